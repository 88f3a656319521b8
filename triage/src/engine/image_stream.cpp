#include "engine/image_stream.hpp"
#include "util/thread_name.hpp"

#include "engine/bounded_queue.hpp"

#include <algorithm>

namespace triage::engine {

// MD5 (the slowest of the three, no hardware help) on one thread, SHA-1 and SHA-256 on another,
// over the same shared buffers; each thread's queue is bounded, so a slow digest holds back the
// stream rather than letting chunks pile up.
class ImageStream::Hasher {
public:
    explicit Hasher(std::atomic<uint64_t>* progress) : progress_(progress) {
        md5_ = std::thread([this] {
            util::name_thread("hash-md5");
            run(q_md5_, {0}, false);
        });
        sha_ = std::thread([this] {
            util::name_thread("hash-sha");
            run(q_sha_, {1, 2}, true);
        });
    }
    ~Hasher() { join(); }

    void add(const std::shared_ptr<std::vector<uint8_t>>& data, size_t n) {
        q_md5_.push({data, n});
        q_sha_.push({data, n});
    }
    // Waits for every queued chunk; returns the digests (only meaningful when complete).
    void join() {
        q_md5_.close();
        q_sha_.close();
        if (md5_.joinable()) md5_.join();
        if (sha_.joinable()) sha_.join();
    }
    void result(evidence::ImageHashes& r) {
        join();
        digests_.finish(r);
    }

private:
    struct Piece {
        std::shared_ptr<std::vector<uint8_t>> data;
        size_t n = 0;
    };
    void run(BoundedQueue<Piece>& q, std::vector<int> which, bool report) {
        uint64_t done = 0;
        while (auto p = q.pop()) {
            for (int i : which) digests_.update(i, p->data->data(), p->n);
            done += p->n;
            if (report && progress_) progress_->store(done, std::memory_order_relaxed);
        }
    }
    evidence::ImageDigests digests_;
    BoundedQueue<Piece> q_md5_{3}, q_sha_{3};
    std::atomic<uint64_t>* progress_;
    std::thread md5_, sha_;
};

unsigned ImageStream::readers_for(const std::string& format, unsigned jobs) {
    if (format == "raw" || format == "split raw") return 2;
    return jobs <= 1 ? 1 : std::clamp(jobs / 2, 2u, 4u);
}

ImageStream::ImageStream(const evidence::Image& img, unsigned readers, const std::atomic<bool>* cancel,
                         std::atomic<uint64_t>* progress)
    : size_(img.size()), cancel_(cancel), progress_(progress) {
    readers = std::max(1u, readers);
    for (unsigned k = 0; k < readers; ++k) handles_.push_back(img.reopen());
    chunks_ = (size_ + kChunk - 1) / kChunk;
    window_ = readers + 2;
    hasher_ = std::make_unique<Hasher>(progress);
    for (unsigned k = 0; k < readers; ++k) readers_.emplace_back([this, k] { reader_main(k); });
}

ImageStream::~ImageStream() {
    stop_readers();
    hasher_.reset();
}

void ImageStream::stop_readers() {
    {
        std::lock_guard lock(mu_);
        stopping_ = true;
    }
    space_cv_.notify_all();
    ready_cv_.notify_all();
    for (auto& t : readers_)
        if (t.joinable()) t.join();
}

void ImageStream::reader_main(unsigned k) {
    util::name_thread("reader-" + std::to_string(k + 1));
    evidence::Image& h = *handles_[k];
    for (;;) {
        uint64_t i;
        {
            std::unique_lock lock(mu_);
            space_cv_.wait(lock, [&] { return stopping_ || next_to_read_ < next_to_consume_ + window_; });
            if (stopping_ || next_to_read_ >= chunks_) return;
            i = next_to_read_++;
        }
        const uint64_t off = i * kChunk;
        const size_t want = static_cast<size_t>(std::min<uint64_t>(kChunk, size_ - off));
        Chunk c;
        c.data = std::make_shared<std::vector<uint8_t>>(want);
        size_t got = 0;
        while (got < want) {  // a short read is retried from where it stopped
            int64_t n = h.read(off + got, c.data->data() + got, want - got);
            if (n <= 0) break;
            got += static_cast<size_t>(n);
        }
        c.n = got == want ? static_cast<int64_t>(got) : -1;
        {
            std::lock_guard lock(mu_);
            ready_.emplace(i, std::move(c));
        }
        ready_cv_.notify_all();
    }
}

bool ImageStream::advance(uint64_t end, const ChunkFn& fn) {
    end = std::min(end, size_);
    while (!failed_ && pos_ < end) {
        if (!cur_.data || pos_ >= cur_off_ + static_cast<uint64_t>(cur_.n)) {  // the next chunk
            if (cancel_ && cancel_->load(std::memory_order_relaxed)) {
                failed_ = true;
                error_ = "cancelled";
                break;
            }
            const uint64_t i = pos_ / kChunk;
            Chunk c;
            {
                std::unique_lock lock(mu_);
                ready_cv_.wait(lock, [&] { return ready_.count(i) > 0; });
                auto it = ready_.find(i);
                c = std::move(it->second);
                ready_.erase(it);
                next_to_consume_ = i + 1;
            }
            space_cv_.notify_all();
            if (c.n < 0) {
                failed_ = true;
                cur_ = {};
                error_ = "read error in the image chunk at offset " + std::to_string(i * kChunk) + " (" +
                         std::to_string(std::min<uint64_t>(kChunk, size_ - i * kChunk)) + " bytes)";
                break;
            }
            hasher_->add(c.data, static_cast<size_t>(c.n));
            cur_ = std::move(c);
            cur_off_ = i * kChunk;
        }
        // The part of the current chunk up to `end`: the position stops exactly there, so an
        // object that starts inside this chunk can still be served from it.
        const uint64_t upto = std::min(end, cur_off_ + static_cast<uint64_t>(cur_.n));
        fn(pos_, cur_.data->data() + (pos_ - cur_off_), static_cast<size_t>(upto - pos_));
        pos_ = upto;
    }
    return !failed_;
}

evidence::ImageHashes ImageStream::finish() {
    advance(size_, [](uint64_t, const uint8_t*, size_t) {});
    cur_ = {};
    stop_readers();
    evidence::ImageHashes r;
    hasher_->result(r);
    r.bytes = pos_;
    r.complete = !failed_ && pos_ == size_;
    if (!r.complete) {
        r.error = failed_ ? error_ : "stopped at offset " + std::to_string(pos_);
        r.md5.clear();
        r.sha1.clear();
        r.sha256.clear();
    }
    return r;
}

std::vector<std::string> ImageStream::integrity_errors() const {
    std::vector<std::string> out;
    for (const auto& h : handles_)
        for (auto& m : h->integrity_errors())
            if (std::find(out.begin(), out.end(), m) == out.end()) out.push_back(m);
    return out;
}

uint64_t ImageStream::handles_renewed() const {
    uint64_t n = 0;
    for (const auto& h : handles_) n += h->handles_renewed();
    return n;
}

uint64_t ImageStream::library_reads() const {
    uint64_t n = 0;
    for (const auto& h : handles_) n += h->library_reads();
    return n;
}

}  // namespace triage::engine
