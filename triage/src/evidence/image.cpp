#include "evidence/image.hpp"

#include "util/text.hpp"

#include <libdeflate.h>
#include <libewf.h>
#include <libqcow.h>

#include <fcntl.h>
#include <malloc.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <optional>

namespace fs = std::filesystem;

namespace triage::evidence {

namespace {

// ---- TSK adapter: lets The Sleuth Kit read through any Image ---------------------------
struct ExternalTskImage {
    TSK_IMG_INFO info;  // must stay the first member (tsk_img_open_external's contract)
    Image* owner;
};

ssize_t external_read(TSK_IMG_INFO* img, TSK_OFF_T off, char* buf, size_t len) {
    auto* ext = reinterpret_cast<ExternalTskImage*>(img);
    if (off < 0) return -1;
    int64_t n = ext->owner->read(static_cast<uint64_t>(off), buf, len);
    if (n < 0) {
        tsk_error_reset();
        tsk_error_set_errno(TSK_ERR_IMG_READ);
        tsk_error_set_errstr("read error at image offset %lld", static_cast<long long>(off));
    }
    return static_cast<ssize_t>(n);
}

void external_close(TSK_IMG_INFO* img) { delete reinterpret_cast<ExternalTskImage*>(img); }

void external_stat(TSK_IMG_INFO*, FILE* f) { std::fputs("Image type: triage evidence adapter\n", f); }

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
    return s;
}

// ---- raw and split raw ---------------------------------------------------------------
class RawImage final : public Image {
public:
    explicit RawImage(std::vector<std::string> segs) {
        segments_ = std::move(segs);
        format_ = segments_.size() > 1 ? "split raw" : "raw";
        uint64_t total = 0;
        for (const auto& s : segments_) {
            int fd = ::open(s.c_str(), O_RDONLY | O_CLOEXEC);
            if (fd < 0) throw ImageError("cannot open evidence '" + s + "': " + std::strerror(errno));
            struct stat st {};
            if (::fstat(fd, &st) != 0) {
                ::close(fd);
                throw ImageError("cannot stat evidence '" + s + "': " + std::strerror(errno));
            }
            uint64_t sz = static_cast<uint64_t>(st.st_size);
            if (S_ISBLK(st.st_mode)) {
                off_t end = ::lseek(fd, 0, SEEK_END);
                sz = end > 0 ? static_cast<uint64_t>(end) : 0;
            }
            fds_.push_back(fd);
            starts_.push_back(total);
            total += sz;
        }
        size_ = total;
    }
    ~RawImage() override {
        close_tsk();
        for (int fd : fds_) ::close(fd);
    }
    int64_t read(uint64_t offset, void* buf, size_t len) override {
        auto* out = static_cast<char*>(buf);
        size_t done = 0;
        while (done < len && offset + done < size_) {
            uint64_t pos = offset + done;
            size_t i = static_cast<size_t>(std::upper_bound(starts_.begin(), starts_.end(), pos) - starts_.begin()) - 1;
            uint64_t seg_end = i + 1 < starts_.size() ? starts_[i + 1] : size_;
            size_t want = static_cast<size_t>(std::min<uint64_t>(len - done, seg_end - pos));
            ssize_t n = ::pread(fds_[i], out + done, want, static_cast<off_t>(pos - starts_[i]));
            if (n < 0) {
                if (errno == EINTR) continue;
                return done > 0 ? static_cast<int64_t>(done) : -1;
            }
            if (n == 0) break;  // segment shorter than when opened
            done += static_cast<size_t>(n);
        }
        return static_cast<int64_t>(done);
    }
    std::unique_ptr<Image> reopen() const override { return std::make_unique<RawImage>(segments_); }

private:
    std::vector<int> fds_;
    std::vector<uint64_t> starts_;
};

// ---- E01 through libewf ---------------------------------------------------------------
std::string ewf_message(libewf_error_t* err) {
    std::string msg = "libewf error";
    if (err) {
        char buf[2048];
        if (libewf_error_sprint(err, buf, sizeof buf) > 0) msg = buf;
        libewf_error_free(&err);
    }
    std::replace(msg.begin(), msg.end(), '\n', ' ');
    return msg;
}

std::atomic<uint64_t> g_ewf_recycle_bytes{1ull << 30};
std::atomic<bool> g_ewf_chunk_map{true};

uint32_t le32(const uint8_t* p) {
    return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 | static_cast<uint32_t>(p[2]) << 16 |
           static_cast<uint32_t>(p[3]) << 24;
}
uint64_t le64(const uint8_t* p) { return le32(p) | static_cast<uint64_t>(le32(p + 4)) << 32; }

bool pread_all(int fd, void* buf, size_t len, uint64_t at) {
    auto* out = static_cast<uint8_t*>(buf);
    size_t done = 0;
    while (done < len) {
        const ssize_t n = ::pread(fd, out + done, len - done, static_cast<off_t>(at + done));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        done += static_cast<size_t>(n);
    }
    return true;
}

struct Fd {
    int fd = -1;
    explicit Fd(int f = -1) : fd(f) {}
    ~Fd() { reset(); }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    void reset(int f = -1) {
        if (fd >= 0) ::close(fd);
        fd = f;
    }
};

// Where every chunk of an E01 lies, read from the segment files' own section descriptors and
// table headers (EWF-E01 as EnCase 1 to 7, FTK Imager, linen and ewfacquire write it; see libewf's
// "Expert Witness Compression Format" document). A table section lists the offsets of its
// chunks (bit 31: compressed); EnCase 6 and later add a base offset. The chunks of a table lie
// in the sectors section just before it (EnCase 2 and later) or, in EnCase 1, in the table
// section itself after its entries. What is kept is one row per table, some 40 bytes for up to
// 65,534 chunks; the entries are read when a chunk of that table is wanted. libewf, which keeps
// 8 bytes for every chunk of the image from the moment it opens it (256 MiB for a terabyte),
// is then needed only for what this map does not account for.
//
// The media's geometry comes from the volume section (EnCase 1 and later: 1,052 bytes) and the
// stored hashes from the hash and digest sections, so that an intact E01 is opened without
// libewf at all.
//
// build() gives nothing unless every descriptor, the volume section, the hash and digest
// sections and every table header pass their Adler-32, each file's header names EWF-E01 (not
// EWF-L01 or EWF2) with segment numbers in the file order, each file but the last ends in "next"
// and the last in "done", and the tables count exactly the volume's chunks, which cover its
// sectors. A table whose entries fail their own Adler-32 (the footer) is not used; and every chunk
// read through the map must inflate to exactly its size, or match its stored Adler-32, or it is
// read through libewf.
struct EwfTable {
    uint32_t file;        // index in the segment list
    uint32_t count;       // entries
    uint64_t entries_at;  // file offset of the entry array (its Adler-32 footer follows it)
    uint64_t base;        // added to each entry's 31-bit offset (0 before EnCase 6)
    uint64_t first_chunk;
    uint64_t data_end;  // end of the data the table's last chunk lies in
};

class EwfChunkMap {
public:
    static std::optional<EwfChunkMap> build(const std::vector<std::string>& segments) {
        EwfChunkMap m;
        uint64_t next_chunk = 0, chunks = 0;
        bool have_volume = false;
        for (size_t i = 0; i < segments.size(); ++i) {
            Fd f(::open(segments[i].c_str(), O_RDONLY | O_CLOEXEC));
            struct stat st {};
            if (f.fd < 0 || ::fstat(f.fd, &st) != 0) return std::nullopt;
            const uint64_t file_size = static_cast<uint64_t>(st.st_size);
            uint8_t head[13];
            if (!pread_all(f.fd, head, sizeof head, 0) || std::memcmp(head, "EVF\x09\x0d\x0a\xff\x00", 8) != 0 ||
                head[8] != 1 || (head[9] | head[10] << 8) != static_cast<int>(i + 1))
                return std::nullopt;
            const bool last = i + 1 == segments.size();
            uint64_t off = 13, sectors_end = 0;
            bool ended = false;
            for (int n = 0; n < 1000000 && !ended; ++n) {
                uint8_t d[76];
                if (off + sizeof d > file_size || !pread_all(f.fd, d, sizeof d, off) ||
                    libdeflate_adler32(1, d, 72) != le32(d + 72))
                    return std::nullopt;
                const std::string type(reinterpret_cast<const char*>(d), strnlen(reinterpret_cast<const char*>(d), 16));
                const uint64_t next = le64(d + 16), size = le64(d + 24);
                if (type == "sectors") {
                    if (size < sizeof d || off + size > file_size) return std::nullopt;
                    sectors_end = off + size;
                } else if ((type == "volume" || type == "disk") && i == 0) {
                    uint8_t v[1052];
                    if (have_volume || size < 76 + sizeof v || off + 76 + sizeof v > file_size ||
                        !pread_all(f.fd, v, sizeof v, off + 76) || libdeflate_adler32(1, v, 1048) != le32(v + 1048))
                        return std::nullopt;
                    have_volume = true;
                    chunks = le32(v + 4);
                    const uint64_t per_chunk = le32(v + 8), sector = le32(v + 12), sectors = le64(v + 16);
                    m.sector_size_ = static_cast<unsigned>(sector);
                    m.chunk_size_ = per_chunk * sector;
                    m.media_size_ = sectors * sector;
                    if (sector < 512 || sector > 65536 || per_chunk == 0 || m.chunk_size_ > (64u << 20) ||
                        sectors > (~0ull >> 20) || chunks != (m.media_size_ + m.chunk_size_ - 1) / m.chunk_size_)
                        return std::nullopt;
                } else if (type == "xhash") {
                    m.hashes_elsewhere_ = true;  // libewf's EWFX: hashes in compressed XML
                } else if (type == "hash" || type == "digest") {
                    const bool digest = type == "digest";
                    uint8_t h[80];
                    const size_t n = digest ? 80 : 36;
                    if (size < 76 + n || off + 76 + n > file_size || !pread_all(f.fd, h, n, off + 76) ||
                        libdeflate_adler32(1, h, n - 4) != le32(h + n - 4))
                        return std::nullopt;
                    // All zeros: not computed.
                    const auto hex = [](const uint8_t* b, size_t len) {
                        return std::all_of(b, b + len, [](uint8_t c) { return c == 0; }) ? std::string()
                                                                                        : util::to_hex(b, len);
                    };
                    if (const std::string md5 = hex(h, 16); !md5.empty()) m.stored_.md5 = md5;
                    if (digest)
                        if (const std::string sha1 = hex(h + 16, 20); !sha1.empty()) m.stored_.sha1 = sha1;
                } else if (type == "table") {
                    uint8_t h[24];
                    if (off + 100 > file_size || !pread_all(f.fd, h, sizeof h, off + 76) ||
                        libdeflate_adler32(1, h, 20) != le32(h + 20))
                        return std::nullopt;
                    EwfTable t{static_cast<uint32_t>(i), le32(h), off + 100, le64(h + 8), next_chunk, 0};
                    // EnCase 6 and later write up to 65,534 entries; more is not a table.
                    if (t.count == 0 || t.count > (1u << 20) || t.entries_at + 4ull * t.count + 4 > file_size)
                        return std::nullopt;
                    // The chunks lie in the sectors section before the table, or (EnCase 1) in
                    // the table section after its entries.
                    t.data_end = sectors_end ? sectors_end : off + size;
                    if (t.data_end > file_size) return std::nullopt;
                    sectors_end = 0;
                    m.tables_.push_back(t);
                    next_chunk += t.count;
                } else if (type == "done" || type == "next") {
                    if ((type == "done") != last) return std::nullopt;
                    ended = true;
                    continue;
                }
                if (next <= off) return std::nullopt;
                off = next;
            }
            if (!ended) return std::nullopt;
        }
        if (!have_volume || next_chunk != chunks || m.tables_.empty()) return std::nullopt;
        // SMART and EWF (ASR Data's) tables have no Adler-32 footer to check their entries by:
        // a first table that does not pass it leaves the set to libewf.
        const EwfTable& t = m.tables_.front();
        Fd f(::open(segments[t.file].c_str(), O_RDONLY | O_CLOEXEC));
        std::vector<uint8_t> entries(4ull * t.count + 4);
        if (f.fd < 0 || !pread_all(f.fd, entries.data(), entries.size(), t.entries_at) ||
            libdeflate_adler32(1, entries.data(), 4ull * t.count) != le32(entries.data() + 4ull * t.count))
            return std::nullopt;
        return m;
    }

    const std::vector<EwfTable>& tables() const { return tables_; }
    uint64_t media_size() const { return media_size_; }
    uint64_t chunk_size() const { return chunk_size_; }
    unsigned sector_size() const { return sector_size_; }
    // Hashes the acquisition stored in the hash and digest sections; empty when none is.
    const StoredHashes& stored() const { return stored_; }
    // Hashes may also be where only libewf reads them (an xhash section).
    bool hashes_elsewhere() const { return hashes_elsewhere_; }
    // The table holding chunk `chunk` (< the image's chunks).
    size_t table_of(uint64_t chunk) const {
        auto it = std::upper_bound(tables_.begin(), tables_.end(), chunk,
                                   [](uint64_t c, const EwfTable& t) { return c < t.first_chunk; });
        return static_cast<size_t>(it - tables_.begin()) - 1;
    }

private:
    std::vector<EwfTable> tables_;
    uint64_t media_size_ = 0, chunk_size_ = 0;
    unsigned sector_size_ = 512;
    StoredHashes stored_;
    bool hashes_elsewhere_ = false;
};

std::atomic<double> g_ewf_region_pacing{20.0};

// An E01's chunk map and its one libewf handle, shared by every EwfImage opened on that
// evidence: the scan's own (the walk, TSK) and the stream readers' (reopen()). With the map the
// views read chunks themselves and libewf is opened only when one does not verify. Without it,
// they take turns with this handle to read chunks as stored (a pread and a copy) and inflate
// them each on its own thread: from the moment it is opened a libewf 2014 handle keeps 8 bytes
// for every 32 KiB chunk of the image (256 MiB for a terabyte), so the readers do not each open
// one. Every field but the map and the media's geometry, and every libewf call, is guarded by mu.
//
// What the handle holds beyond that follows the parts of the image read through it: libewf
// expands the chunk table of a segment file when any chunk in it is read, and the walk reads
// little but all over the disk. The image is cut in regions of half the renewal size: the handle
// is renewed before the reads through it pass that size, or before they touch a third distinct
// region. Opening costs time in proportion to the segments and the image (a fraction of a
// second for a terabyte), so a walk that jumps between regions must not renew on every jump:
// renewal by regions waits until the handle has lived the time it took to open times the pacing
// factor (20: at most 5 % of the time goes to opening). The old handle is closed before the new
// one opens, so that two never hold their tables at once.
class EwfHandle {
public:
    explicit EwfHandle(std::vector<std::string> segments) : segments_(std::move(segments)) {
        // An intact E01 is opened by triage's own map, without libewf: its handle (and the 8
        // bytes per chunk it holds from the moment it opens) is opened only for a read the map
        // cannot serve (a chunk that does not verify, which libewf then zeroes and records), and
        // renewed as before while it is open. A segment set the map does not account for is read
        // through libewf alone, as before.
        if (g_ewf_chunk_map.load())
            if (auto m = EwfChunkMap::build(segments_)) {
                map_ = std::make_shared<const EwfChunkMap>(std::move(*m));
                opened_once_ = true;
                size_ = map_->media_size();
                sector_size_ = map_->sector_size();
                chunk_size_ = map_->chunk_size();
                stored_ = map_->stored();
                // Hashes kept where only libewf reads them (its own EWFX's xhash section): ask
                // libewf, then close its handle.
                if (map_->hashes_elsewhere() && try_open_locked()) {
                    stored_.md5 = hash_value("MD5");
                    stored_.sha1 = hash_value("SHA1");
                    add_new(carried_, errors_of_handle_locked());
                    close_locked();
                    malloc_trim(0);
                }
                return;
            }
        open_locked();
    }
    ~EwfHandle() { close_locked(); }
    EwfHandle(const EwfHandle&) = delete;
    EwfHandle& operator=(const EwfHandle&) = delete;

    std::mutex mu;

    // Set by the first opening and kept: views read them without the lock.
    const std::vector<std::string>& segments() const { return segments_; }
    uint64_t size() const { return size_; }
    unsigned sector_size() const { return sector_size_; }
    uint64_t chunk_size() const { return chunk_size_; }  // 0: chunks are read through libewf only
    const StoredHashes& stored() const { return stored_; }
    // Where the chunks lie (see EwfChunkMap); null when libewf reads everything. Set once.
    const std::shared_ptr<const EwfChunkMap>& map() const { return map_; }
    bool library_open_locked() const { return handle_ != nullptr; }

    // Before a read of [offset, offset+len): renews the handle when it is due. True if it did.
    bool prepare_read_locked(uint64_t offset, size_t len) {
        std::vector<uint64_t> fresh = new_regions_locked(offset, len);
        bool renewed = false;
        if (handle_ && should_renew_locked(fresh.size())) {
            renewed = renew_locked();
            fresh = new_regions_locked(offset, len);
        }
        touched_.insert(touched_.end(), fresh.begin(), fresh.end());
        read_since_open_ += len;
        return renewed;
    }

    // One chunk at `at` as stored (see libewf_handle_read_chunk); at most raw_len bytes.
    ssize_t read_chunk_locked(uint64_t at, uint8_t* raw, size_t raw_len, int8_t* compressed, uint8_t* checksum_bytes,
                              uint32_t* checksum, int8_t* has_checksum) {
        if (!handle_) return -1;
        libewf_error_t* err = nullptr;
        if (libewf_handle_seek_offset(handle_, static_cast<off64_t>(at), SEEK_SET, &err) < 0) {
            libewf_error_free(&err);
            return -1;
        }
        const ssize_t n = libewf_handle_read_chunk(handle_, raw, raw_len, compressed, checksum_bytes, checksum,
                                                   has_checksum, &err);
        if (n < 0 && err) libewf_error_free(&err);
        if (n > 0) read_ok_since_open_ = true;
        return n;
    }

    // Bytes through libewf, which zeroes a chunk failing its checksum and records the error.
    // libewf keeps the chunks read through a handle in one cache, which its raw chunk reads and
    // its own reads share; on a damaged image, what earlier reads left there can make a read fail
    // that a fresh handle makes (measured: a cut E01's first chunk, read by a stream reader after
    // the walk). A read that fails on a handle that has read something is therefore tried once
    // more on a fresh one; renewed counts that renewal.
    ssize_t read_random_locked(uint8_t* out, size_t len, uint64_t at, uint64_t& renewed) {
        // An earlier renewal could not open the evidence again: try once more.
        if (!handle_ && !try_open_locked()) return -1;
        ssize_t n = read_random_once_locked(out, len, at);
        if (n < 0 && read_ok_since_open_ && renew_locked()) {
            ++renewed;
            if (handle_) n = read_random_once_locked(out, len, at);
        }
        if (n > 0) read_ok_since_open_ = true;
        return n;
    }

    // A fresh handle for the old one, keeping what the old one had found. The old one is closed
    // first; if the evidence cannot be opened again, the reads that follow try again, and fail
    // (each recorded where it was asked for) while it cannot.
    bool renew_locked() {
        if (!handle_) return false;
        add_new(carried_, errors_of_handle_locked());
        close_locked();
        // Its many small allocations lie between others in the malloc arena: give the pages back.
        malloc_trim(0);
        try_open_locked();  // when it cannot, the reads that follow fail and try again
        return true;
    }

    // Chunk checksum errors and damaged segment files found by this handle and those before it.
    std::vector<std::string> errors_locked() {
        std::vector<std::string> out = carried_;
        add_new(out, errors_of_handle_locked());
        return out;
    }

private:
    uint64_t region_bytes() const {
        return std::max<uint64_t>(g_ewf_recycle_bytes.load(std::memory_order_relaxed) / 2, 1);
    }
    // The regions of [offset, offset+len) the current handle has not touched yet.
    std::vector<uint64_t> new_regions_locked(uint64_t offset, size_t len) const {
        const uint64_t r = region_bytes();
        std::vector<uint64_t> out;
        for (uint64_t k = offset / r; k <= (offset + std::max<size_t>(len, 1) - 1) / r; ++k)
            if (std::find(touched_.begin(), touched_.end(), k) == touched_.end()) out.push_back(k);
        return out;
    }
    // fresh: how many regions the coming read touches that the current handle has not.
    bool should_renew_locked(size_t fresh) const {
        const uint64_t limit = g_ewf_recycle_bytes.load(std::memory_order_relaxed);
        if (read_since_open_ >= limit) return true;
        const double pacing = g_ewf_region_pacing.load(std::memory_order_relaxed);
        if (pacing > 0 && std::chrono::duration<double>(std::chrono::steady_clock::now() - opened_at_).count() <
                              pacing * open_seconds_)
            return false;
        return !touched_.empty() && (touched_.size() + fresh) * region_bytes() > limit;
    }
    ssize_t read_random_once_locked(uint8_t* out, size_t len, uint64_t at) {
        libewf_error_t* err = nullptr;
        const ssize_t n = libewf_handle_read_random(handle_, out, len, static_cast<off64_t>(at), &err);
        if (n < 0 && err) libewf_error_free(&err);
        return n;
    }
    static void add_new(std::vector<std::string>& to, std::vector<std::string> from) {
        for (auto& e : from)
            if (std::find(to.begin(), to.end(), e) == to.end()) to.push_back(std::move(e));
    }
    std::vector<std::string> errors_of_handle_locked() {
        std::vector<std::string> out;
        if (!handle_) return out;
        // Segment files cut short or damaged (sections missing): libewf still opens what it can.
        if (libewf_handle_segment_files_corrupted(handle_, nullptr) == 1)
            out.push_back("E01 segment files are corrupted or truncated (sections missing after the last complete "
                          "chunk); data past that point and the stored hashes may be lost");
        uint32_t n = 0;
        if (libewf_handle_get_number_of_checksum_errors(handle_, &n, nullptr) != 1) return out;
        for (uint32_t i = 0; i < n; ++i) {
            uint64_t start = 0, count = 0;
            if (libewf_handle_get_checksum_error(handle_, i, &start, &count, nullptr) == 1)
                out.push_back("E01 chunk checksum error: sectors " + std::to_string(start) + "-" +
                              std::to_string(start + count - 1) + " (image offset " +
                              std::to_string(start * sector_size_) + ", " + std::to_string(count * sector_size_) +
                              " bytes)");
        }
        return out;
    }
    void close_locked() {
        if (!handle_) return;
        libewf_handle_close(handle_, nullptr);
        libewf_handle_free(&handle_, nullptr);
        handle_ = nullptr;
    }
    bool try_open_locked() {
        try {
            open_locked();
            return true;
        } catch (const ImageError&) {
            return false;
        }
    }
    // Opens the handle (timed, for the pacing) and starts its count of bytes and regions.
    void open_locked() {
        const auto start = std::chrono::steady_clock::now();
        libewf_error_t* err = nullptr;
        libewf_handle_t* h = nullptr;
        if (libewf_handle_initialize(&h, &err) != 1) throw ImageError("libewf: " + ewf_message(err));
        std::vector<char*> argv;
        for (auto& s : segments_) argv.push_back(s.data());
        if (libewf_handle_open(h, argv.data(), static_cast<int>(argv.size()), LIBEWF_OPEN_READ, &err) != 1) {
            std::string m = ewf_message(err);
            libewf_handle_free(&h, nullptr);
            throw ImageError("cannot open E01 evidence '" + segments_.front() + "' (" +
                             std::to_string(segments_.size()) + " segment(s)): " + m);
        }
        size64_t media = 0;
        if (libewf_handle_get_media_size(h, &media, &err) != 1) {
            std::string m = ewf_message(err);
            libewf_handle_close(h, nullptr);
            libewf_handle_free(&h, nullptr);
            throw ImageError("cannot read media size of '" + segments_.front() + "': " + m);
        }
        handle_ = h;
        if (!opened_once_) {
            opened_once_ = true;
            size_ = media;
            uint32_t bps = 0;
            if (libewf_handle_get_bytes_per_sector(handle_, &bps, nullptr) == 1 && bps >= 512) sector_size_ = bps;
            uint32_t chunk = 0;
            // An unusual chunk size (over 64 MiB): libewf reads everything.
            if (libewf_handle_get_chunk_size(handle_, &chunk, nullptr) == 1 && chunk >= 512 && chunk <= (64u << 20))
                chunk_size_ = chunk;
            stored_.md5 = hash_value("MD5");
            stored_.sha1 = hash_value("SHA1");
        }
        read_since_open_ = 0;
        read_ok_since_open_ = false;
        touched_.clear();
        opened_at_ = std::chrono::steady_clock::now();
        open_seconds_ = std::chrono::duration<double>(opened_at_ - start).count();
    }
    std::string hash_value(const char* id) {
        uint8_t value[256] = {};
        if (libewf_handle_get_utf8_hash_value(handle_, reinterpret_cast<const uint8_t*>(id), std::strlen(id), value,
                                              sizeof value, nullptr) == 1)
            return lower(reinterpret_cast<char*>(value));
        return {};
    }

    std::vector<std::string> segments_;
    std::shared_ptr<const EwfChunkMap> map_;
    libewf_handle_t* handle_ = nullptr;
    bool opened_once_ = false;
    uint64_t size_ = 0, chunk_size_ = 0;
    unsigned sector_size_ = 512;
    StoredHashes stored_;
    uint64_t read_since_open_ = 0;
    bool read_ok_since_open_ = false;  // a read through the current handle has given bytes
    std::vector<uint64_t> touched_;  // regions read through the current handle (region_bytes)
    std::chrono::steady_clock::time_point opened_at_;
    double open_seconds_ = 0;           // how long the current handle took to open
    std::vector<std::string> carried_;  // errors found by earlier handles
};

// An E01 as an Image: a view on the shared handle with its own buffer and inflater, so that
// views on several threads inflate in parallel. Reads through one view are serialised.
class EwfImage final : public Image {
public:
    explicit EwfImage(std::shared_ptr<EwfHandle> h) : h_(std::move(h)) {
        segments_ = h_->segments();
        format_ = "E01";
        size_ = h_->size();
        sector_size_ = h_->sector_size();
        stored_ = h_->stored();
        chunk_size_ = h_->chunk_size();
        map_ = h_->map();
        if (chunk_size_) {
            // A chunk stored compressed is at most slightly larger than the chunk itself.
            raw_.resize(chunk_size_ + chunk_size_ / 8 + 1024);
            inflater_.reset(libdeflate_alloc_decompressor());
        }
    }
    static std::unique_ptr<Image> open(const std::string& first) {
        std::vector<std::string> segments;
        libewf_error_t* err = nullptr;
        char** names = nullptr;
        int count = 0;
        if (libewf_glob(first.c_str(), first.size(), LIBEWF_FORMAT_UNKNOWN, &names, &count, &err) == 1 && count > 0) {
            for (int i = 0; i < count; ++i) segments.emplace_back(names[i]);
            libewf_glob_free(names, count, nullptr);
        } else {
            if (err) libewf_error_free(&err);
            segments = {first};
        }
        return std::make_unique<EwfImage>(std::make_shared<EwfHandle>(std::move(segments)));
    }
    ~EwfImage() override { close_tsk(); }

    int64_t read(uint64_t offset, void* buf, size_t len) override {
        if (offset >= size_) return 0;
        len = static_cast<size_t>(std::min<uint64_t>(len, size_ - offset));
        std::lock_guard own(mu_);
        if (!map_) {  // every read goes through the handle: its renewal counts all of them
            std::lock_guard lock(h_->mu);
            if (h_->prepare_read_locked(offset, len)) ++renewed_;
        }
        // Chunk by chunk: read here when possible (read_here), otherwise through libewf, which
        // records its checksum errors.
        auto* out = static_cast<uint8_t*>(buf);
        size_t done = 0;
        while (done < len) {
            const uint64_t at = offset + done;
            const size_t piece = chunk_size_ ? std::min<size_t>(len - done, chunk_size_ - at % chunk_size_) : len - done;
            if (chunk_size_ && read_here(at, piece, out + done)) {
                done += piece;
                continue;
            }
            ssize_t n;
            uint64_t renewed = 0;
            {
                std::lock_guard lock(h_->mu);
                if (map_ && h_->prepare_read_locked(at, piece)) ++renewed;
                n = h_->read_random_locked(out + done, piece, at, renewed);
            }
            renewed_ += renewed;
            ++library_reads_;
            if (n < 0) {
                if (done == 0) return -1;
                break;
            }
            done += static_cast<size_t>(n);
            if (static_cast<size_t>(n) < piece) break;
        }
        return static_cast<int64_t>(done);
    }
    uint64_t chunks_inflated_here() const override { return inflated_here_.load(); }
    uint64_t library_reads() const override { return library_reads_.load(); }
    bool library_handle_open() const override {
        std::lock_guard lock(h_->mu);
        return h_->library_open_locked();
    }
    // A view on the same handle (see EwfHandle): the stream's readers share the walk's handle.
    std::unique_ptr<Image> reopen() const override { return std::make_unique<EwfImage>(h_); }
    std::vector<std::string> integrity_errors() override {
        std::lock_guard lock(h_->mu);
        return h_->errors_locked();
    }
    void release_caches() override {
        std::lock_guard lock(h_->mu);
        if (h_->renew_locked()) ++renewed_;
    }
    // Renewals this view's reads (or release_caches) brought about: the views of one evidence
    // add up to the handle's.
    uint64_t handles_renewed() const override { return renewed_.load(); }

private:
    // The piece at `at` (within one chunk) read here rather than through libewf. With the chunk
    // map, any piece: its chunk is located, read with pread and inflated or checked on this
    // view's thread without the handle's lock, and a piece of a chunk comes from the last chunk
    // this view decoded (TSK's reads are small). Without the map, whole chunks read raw through
    // libewf. False when the chunk is not read or does not verify here.
    bool read_here(uint64_t at, size_t piece, uint8_t* out) {
        const uint64_t chunk = at / chunk_size_, in = at % chunk_size_;
        const size_t want = static_cast<size_t>(std::min<uint64_t>(chunk_size_, size_ - chunk * chunk_size_));
        if (in == 0 && piece == want) return map_ ? map_chunk(chunk, want, out) : inflate_chunk(at, out, want);
        if (!map_) return false;
        if (cached_chunk_ != chunk) {
            cached_chunk_ = kNoChunk;
            cache_.resize(chunk_size_);
            if (map_chunk(chunk, want, cache_.data())) cached_chunk_ = chunk;
        }
        if (cached_chunk_ != chunk) return false;
        std::memcpy(out, cache_.data() + in, piece);
        return true;
    }

    // Chunk `index` (want bytes) into out through the map; false when it cannot be read there or
    // does not verify.
    bool map_chunk(uint64_t index, size_t want, uint8_t* out) {
        const size_t ti = map_->table_of(index);
        const EwfTable& t = map_->tables()[ti];
        if (ti == bad_table_) return false;
        if (ti != entries_table_) {
            entries_table_ = kNoTable;
            if (!file_for(t.file)) return false;
            entries_.resize(t.count + 1);
            if (!pread_all(fd_.fd, entries_.data(), 4ull * t.count + 4, t.entries_at)) return false;
            // The entries' own Adler-32 (the table footer): a damaged table is left to libewf,
            // which reads its copy (table2).
            if (libdeflate_adler32(1, entries_.data(), 4ull * t.count) != le32(reinterpret_cast<uint8_t*>(&entries_[t.count]))) {
                bad_table_ = ti;
                return false;
            }
            entries_table_ = ti;
        }
        const uint64_t k = index - t.first_chunk;
        const auto entry = [&](uint64_t i) { return le32(reinterpret_cast<const uint8_t*>(&entries_[i])); };
        const uint32_t e = entry(k);
        const uint64_t at = t.base + (e & 0x7fffffffu);
        if (!file_for(t.file)) return false;
        if (e & 0x80000000u) {
            // Stored compressed: it ends where the next chunk starts, or where the table's data
            // ends; the zlib stream itself says where it stops.
            const uint64_t end = k + 1 < t.count ? t.base + (entry(k + 1) & 0x7fffffffu) : t.data_end;
            if (end <= at) return false;
            const size_t stored = static_cast<size_t>(std::min<uint64_t>(end - at, raw_.size()));
            return pread_all(fd_.fd, raw_.data(), stored, at) && decode_raw(stored, true, nullptr, want, out);
        }
        // Stored as it is, followed by its Adler-32.
        return pread_all(fd_.fd, raw_.data(), want + 4, at) && decode_raw(want + 4, false, nullptr, want, out);
    }

    // This view's open segment file (one at a time: an E01 may have more segments than a
    // process may open files).
    bool file_for(uint32_t file) {
        if (fd_file_ == file) return true;
        fd_.reset(::open(segments_[file].c_str(), O_RDONLY | O_CLOEXEC));
        fd_file_ = fd_.fd < 0 ? kNoFile : file;
        return fd_.fd >= 0;
    }

    // One whole chunk at `at` (want bytes: the chunk size, less for the last one), read raw
    // under the handle's lock and inflated here with libdeflate, which checks the zlib stream's
    // Adler-32; a chunk stored uncompressed is checked against its stored Adler-32. False, with
    // nothing recorded, when anything differs from that: the caller then reads it through libewf.
    bool inflate_chunk(uint64_t at, uint8_t* out, size_t want) {
        int8_t compressed = 0, has_checksum = 0;
        uint32_t checksum = 0;
        uint8_t checksum_bytes[4] = {};
        ssize_t n;
        {
            std::lock_guard lock(h_->mu);
            n = h_->read_chunk_locked(at, raw_.data(), raw_.size(), &compressed, checksum_bytes, &checksum,
                                      &has_checksum);
        }
        return n > 0 && decode_raw(static_cast<size_t>(n), compressed, has_checksum ? &checksum : nullptr, want, out);
    }

    // The chunk in raw_[0, got) as stored, into out (want bytes): a compressed chunk must
    // inflate to exactly want bytes (libdeflate checks the zlib stream's Adler-32); a stored one
    // must match its Adler-32, given (checksum) or stored after its bytes.
    bool decode_raw(size_t got, bool compressed, const uint32_t* checksum, size_t want, uint8_t* out) {
        if (compressed) {
            size_t actual = 0;
            if (libdeflate_zlib_decompress(inflater_.get(), raw_.data(), got, out, want, &actual) != LIBDEFLATE_SUCCESS ||
                actual != want)
                return false;
        } else {
            if (checksum ? got < want : got != want + 4) return false;
            if (libdeflate_adler32(1, raw_.data(), want) != (checksum ? *checksum : le32(raw_.data() + want))) return false;
            std::memcpy(out, raw_.data(), want);
        }
        ++inflated_here_;
        return true;
    }

    std::shared_ptr<EwfHandle> h_;
    std::shared_ptr<const EwfChunkMap> map_;
    std::mutex mu_;  // this view's buffers, inflater and file; taken before h_->mu, never after
    std::atomic<uint64_t> renewed_{0}, inflated_here_{0}, library_reads_{0};
    static constexpr uint64_t kNoChunk = ~0ull;
    static constexpr size_t kNoTable = ~size_t{0};
    static constexpr uint32_t kNoFile = ~0u;
    uint64_t cached_chunk_ = kNoChunk;  // the chunk cache_ holds
    std::vector<uint8_t> cache_;
    size_t entries_table_ = kNoTable;  // the table entries_ holds
    size_t bad_table_ = kNoTable;      // the last table whose entries failed their Adler-32
    std::vector<uint32_t> entries_;    // as stored (little-endian), then the footer
    Fd fd_;                      // segment fd_file_, opened by file_for
    uint32_t fd_file_ = kNoFile;
    struct FreeInflater {
        void operator()(libdeflate_decompressor* d) const { libdeflate_free_decompressor(d); }
    };
    std::unique_ptr<libdeflate_decompressor, FreeInflater> inflater_;
    uint64_t chunk_size_ = 0;
    std::vector<uint8_t> raw_;  // one chunk as stored
};

}  // namespace

void set_ewf_recycle_bytes(uint64_t bytes) { g_ewf_recycle_bytes = std::max<uint64_t>(bytes, 1); }
uint64_t ewf_recycle_bytes() { return g_ewf_recycle_bytes.load(); }
void set_ewf_region_pacing(double factor) { g_ewf_region_pacing = std::max(factor, 0.0); }
double ewf_region_pacing() { return g_ewf_region_pacing.load(); }
void set_ewf_chunk_map(bool on) { g_ewf_chunk_map = on; }

namespace {

// ---- QCOW2 through libqcow (TSK 4.11 in Debian cannot open it) --------------------------
std::string qcow_message(libqcow_error_t* err) {
    std::string msg = "libqcow error";
    if (err) {
        char buf[2048];
        if (libqcow_error_sprint(err, buf, sizeof buf) > 0) msg = buf;
        libqcow_error_free(&err);
    }
    std::replace(msg.begin(), msg.end(), '\n', ' ');
    return msg;
}

class QcowImage final : public Image {
public:
    explicit QcowImage(const std::string& path) {
        segments_ = {path};
        format_ = "qcow";
        libqcow_error_t* err = nullptr;
        if (libqcow_file_initialize(&file_, &err) != 1) throw ImageError("libqcow: " + qcow_message(err));
        if (libqcow_file_open(file_, path.c_str(), LIBQCOW_OPEN_READ, &err) != 1) {
            std::string m = qcow_message(err);
            libqcow_file_free(&file_, nullptr);
            throw ImageError("cannot open QCOW evidence '" + path + "': " + m);
        }
        size64_t media = 0;
        if (libqcow_file_get_media_size(file_, &media, &err) != 1)
            throw ImageError("cannot read media size of '" + path + "': " + qcow_message(err));
        size_ = media;
    }
    ~QcowImage() override {
        close_tsk();
        if (file_) {
            libqcow_file_close(file_, nullptr);
            libqcow_file_free(&file_, nullptr);
        }
    }
    int64_t read(uint64_t offset, void* buf, size_t len) override {
        if (offset >= size_) return 0;
        len = static_cast<size_t>(std::min<uint64_t>(len, size_ - offset));
        std::lock_guard lock(mu_);
        libqcow_error_t* err = nullptr;
        ssize_t n = libqcow_file_read_buffer_at_offset(file_, buf, len, static_cast<off64_t>(offset), &err);
        if (n < 0) {
            if (err) libqcow_error_free(&err);
            return -1;
        }
        return n;
    }
    std::unique_ptr<Image> reopen() const override { return std::make_unique<QcowImage>(segments_.front()); }

private:
    libqcow_file_t* file_ = nullptr;
    std::mutex mu_;
};

// ---- formats The Sleuth Kit opens natively (AFF, VMDK, VHD) -----------------------------
class TskNativeImage final : public Image {
public:
    TskNativeImage(const std::string& path, TSK_IMG_TYPE_ENUM type) {
        tsk_ = tsk_img_open_utf8_sing(path.c_str(), type, 0);
        if (!tsk_)
            throw ImageError("cannot open evidence '" + path + "': " + (tsk_error_get() ? tsk_error_get() : "TSK error"));
        type_ = type;
        segments_ = {path};
        size_ = static_cast<uint64_t>(tsk_->size);
        sector_size_ = tsk_->sector_size;
        const char* name = tsk_img_type_toname(tsk_->itype);
        format_ = name ? name : "tsk";
    }
    ~TskNativeImage() override { close_tsk(); }
    int64_t read(uint64_t offset, void* buf, size_t len) override {
        if (offset >= size_) return 0;
        len = static_cast<size_t>(std::min<uint64_t>(len, size_ - offset));
        return tsk_img_read(tsk_, static_cast<TSK_OFF_T>(offset), static_cast<char*>(buf), len);
    }
    std::unique_ptr<Image> reopen() const override {
        return std::make_unique<TskNativeImage>(segments_.front(), type_);
    }

private:
    TSK_IMG_TYPE_ENUM type_;
};

bool starts_with(const std::string& data, const char* magic, size_t n) {
    return data.size() >= n && std::memcmp(data.data(), magic, n) == 0;
}

}  // namespace

TSK_IMG_INFO* Image::tsk() {
    if (tsk_) return tsk_;
    auto* ext = new ExternalTskImage{};
    ext->info.tag = TSK_IMG_INFO_TAG;
    ext->owner = this;
    TSK_IMG_INFO* info = tsk_img_open_external(ext, static_cast<TSK_OFF_T>(size_), sector_size_, external_read,
                                               external_close, external_stat);
    if (!info) {
        delete ext;
        throw ImageError("cannot hand evidence '" + segments_.front() + "' to The Sleuth Kit: " +
                         (tsk_error_get() ? tsk_error_get() : "unknown error"));
    }
    tsk_ = info;
    tsk_owned_external_ = true;
    return tsk_;
}

void Image::close_tsk() {
    if (tsk_) tsk_img_close(tsk_);
    tsk_ = nullptr;
}

std::vector<std::string> split_raw_segments(const std::string& first) {
    std::vector<std::string> segs{first};
    fs::path p(first);
    std::string ext = p.extension().string();
    if (ext.size() < 2) return segs;
    std::string body = ext.substr(1);
    std::string stem = first.substr(0, first.size() - body.size());
    auto exists = [](const std::string& s) {
        std::error_code ec;
        return fs::is_regular_file(s, ec) || fs::is_block_file(s, ec);
    };
    if (std::all_of(body.begin(), body.end(), ::isdigit) && body.size() >= 2) {
        unsigned long n = std::stoul(body);
        if (n > 1) return segs;  // not a first segment
        for (unsigned long k = n + 1;; ++k) {
            std::string num = std::to_string(k);
            if (num.size() < body.size()) num.insert(0, body.size() - num.size(), '0');
            std::string next = stem + num;
            if (!exists(next)) break;
            segs.push_back(next);
        }
    } else if (std::all_of(body.begin(), body.end(), [](char c) { return c == 'a'; }) && body.size() >= 2) {
        std::string cur = body;
        for (;;) {
            int i = static_cast<int>(cur.size()) - 1;
            while (i >= 0 && cur[i] == 'z') cur[i--] = 'a';
            if (i < 0) break;
            ++cur[i];
            std::string next = stem + cur;
            if (!exists(next)) break;
            segs.push_back(next);
        }
    }
    return segs;
}

std::unique_ptr<Image> open_image(const std::string& path) {
    std::error_code ec;
    auto st = fs::status(path, ec);
    if (ec || !fs::exists(st)) throw ImageError("cannot open evidence '" + path + "': no such file");
    if (fs::is_directory(st)) throw ImageError("cannot open evidence '" + path + "': is a directory, not an image");
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw ImageError("cannot open evidence '" + path + "': " + std::strerror(errno));
    std::string head(4096, '\0');
    ssize_t n = ::pread(fd, head.data(), head.size(), 0);
    struct stat sb {};
    ::fstat(fd, &sb);
    std::string tail(512, '\0');
    ssize_t tn = sb.st_size >= 512 ? ::pread(fd, tail.data(), 512, sb.st_size - 512) : 0;
    ::close(fd);
    if (n <= 0) throw ImageError("cannot read evidence '" + path + "': " + (n == 0 ? "file is empty" : std::strerror(errno)));
    head.resize(static_cast<size_t>(n));
    if (tn != 512) tail.clear();

    if (starts_with(head, "EVF\x09\x0d\x0a\xff\x00", 8) || starts_with(head, "LVF\x09\x0d\x0a\xff\x00", 8) ||
        starts_with(head, "EVF2\x0d\x0a\x81\x00", 8))
        return EwfImage::open(path);
    if (starts_with(head, "QFI\xfb", 4)) return std::make_unique<QcowImage>(path);
    const TSK_IMG_TYPE_ENUM supported = tsk_img_type_supported();
    if (starts_with(head, "AFF10\r\n", 7)) {
        if (!(supported & TSK_IMG_TYPE_AFF_ANY))
            throw ImageError("cannot open evidence '" + path + "': AFF image, but this TSK build has no AFF support");
        return std::make_unique<TskNativeImage>(path, TSK_IMG_TYPE_AFF_ANY);
    }
    if (starts_with(head, "KDMV", 4) || head.find("# Disk DescriptorFile") == 0) {
        if (!(supported & TSK_IMG_TYPE_VMDK_VMDK))
            throw ImageError("cannot open evidence '" + path + "': VMDK image, but this TSK build has no VMDK support");
        return std::make_unique<TskNativeImage>(path, TSK_IMG_TYPE_VMDK_VMDK);
    }
    if (starts_with(tail, "conectix", 8) || starts_with(head, "conectix", 8) || starts_with(head, "vhdxfile", 8)) {
        if (!(supported & TSK_IMG_TYPE_VHD_VHD))
            throw ImageError("cannot open evidence '" + path + "': VHD image, but this TSK build has no VHD support");
        return std::make_unique<TskNativeImage>(path, TSK_IMG_TYPE_VHD_VHD);
    }
    return std::make_unique<RawImage>(split_raw_segments(path));
}

}  // namespace triage::evidence
