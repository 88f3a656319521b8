#include "index/writer.hpp"
#include "util/thread_name.hpp"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <string>

namespace triage::index {

namespace {

// Test hook, inert unless the environment sets it: TRIAGE_TEST_RAISE="SIGNAL@N" sends SIGNAL
// (a number) to this process just before the Nth index operation of the run is applied, so the
// reliability tests (tests/engine/test_nothing_lost.cpp) can stop a scan at chosen points of its
// progress, inside a transaction or between two, instead of guessing with timers.
struct RaiseAt {
    int sig = 0;
    uint64_t at = 0;
};

const RaiseAt& raise_at() {
    static const RaiseAt r = [] {
        RaiseAt v;
        const char* e = std::getenv("TRIAGE_TEST_RAISE");
        if (!e) return v;
        std::string s = e;
        auto at = s.find('@');
        if (at == std::string::npos) return v;
        v.sig = std::atoi(s.substr(0, at).c_str());
        v.at = std::strtoull(s.c_str() + at + 1, nullptr, 10);
        return v;
    }();
    return r;
}

std::atomic<uint64_t> g_ops_applied{0};  // over every writer of the process

void maybe_raise() {
    const RaiseAt& r = raise_at();
    if (r.sig > 0 && g_ops_applied.fetch_add(1) + 1 == r.at) ::kill(::getpid(), r.sig);
}

}  // namespace

IndexWriter::IndexWriter(const std::string& db_path, size_t max_batch, size_t max_queue, uint64_t max_bytes)
    : db_(db_path, false), max_batch_(max_batch), max_queue_(max_queue), max_bytes_(max_bytes) {
    db_.exec("PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;");
    thread_ = std::thread([this] {
        util::name_thread("index-writer");
        run();
    });
}

IndexWriter::~IndexWriter() {
    try {
        stop();
    } catch (...) {
    }
}

void IndexWriter::rethrow_locked() {
    if (error_) std::rethrow_exception(error_);
}

void IndexWriter::post(Op op, uint64_t bytes) {
    std::unique_lock lock(mu_);
    auto room = [&] {
        return (queue_.size() < max_queue_ && (held_bytes_ == 0 || held_bytes_ + bytes <= max_bytes_)) || error_ ||
               stopping_;
    };
    if (!room()) {
        ++full_waits_;
        cv_space_.wait(lock, room);
    }
    rethrow_locked();
    queue_.push_back({std::move(op), bytes});
    held_bytes_ += bytes;
    peak_bytes_ = std::max(peak_bytes_, held_bytes_);
    ++posted_;
    cv_work_.notify_one();
}

void IndexWriter::flush() {
    std::unique_lock lock(mu_);
    uint64_t target = posted_;
    cv_done_.wait(lock, [&] { return done_ >= target || error_; });
    rethrow_locked();
}

void IndexWriter::stop() {
    {
        std::unique_lock lock(mu_);
        if (!thread_.joinable()) return;
        stopping_ = true;
        cv_work_.notify_one();
    }
    thread_.join();
    std::unique_lock lock(mu_);
    rethrow_locked();
}

uint64_t IndexWriter::committed_ops() const {
    std::unique_lock lock(mu_);
    return done_;
}

uint64_t IndexWriter::peak_bytes() const {
    std::unique_lock lock(mu_);
    return peak_bytes_;
}

uint64_t IndexWriter::full_waits() const {
    std::unique_lock lock(mu_);
    return full_waits_;
}

void IndexWriter::run() {
    for (;;) {
        std::deque<Posted> batch;
        uint64_t batch_bytes = 0;
        {
            std::unique_lock lock(mu_);
            cv_work_.wait(lock, [&] { return !queue_.empty() || stopping_; });
            if (queue_.empty() && stopping_) return;
            size_t n = std::min(queue_.size(), max_batch_);
            for (size_t i = 0; i < n; ++i) {
                batch_bytes += queue_.front().bytes;
                batch.push_back(std::move(queue_.front()));
                queue_.pop_front();
            }
            cv_space_.notify_all();
        }
        const auto t0 = std::chrono::steady_clock::now();
        try {
            db_.exec("BEGIN IMMEDIATE");
            try {
                for (auto& p : batch) {
                    maybe_raise();
                    p.op(db_);
                }
                db_.exec("COMMIT");
            } catch (...) {
                try {
                    db_.exec("ROLLBACK");
                } catch (...) {
                }
                throw;
            }
        } catch (...) {
            std::unique_lock lock(mu_);
            error_ = std::current_exception();
            queue_.clear();
            cv_space_.notify_all();
            cv_done_.notify_all();
            return;
        }
        busy_ns_ += static_cast<uint64_t>(
            std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0).count());
        const size_t applied = batch.size();
        batch.clear();  // the operations' memory goes before their bytes are let in again
        std::unique_lock lock(mu_);
        done_ += applied;
        held_bytes_ -= batch_bytes;
        cv_done_.notify_all();
        cv_space_.notify_all();
    }
}

}  // namespace triage::index
