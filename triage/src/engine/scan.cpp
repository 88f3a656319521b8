#include "engine/scan.hpp"
#include "util/thread_name.hpp"

#include "engine/bounded_queue.hpp"
#include "engine/detector_instance.hpp"
#include "engine/image_stream.hpp"
#include "engine/worker.hpp"
#include "evidence/image.hpp"
#include "evidence/image_hash.hpp"
#include "index/case_index.hpp"
#include "index/writer.hpp"
#include "layout/layout.hpp"
#include "util/text.hpp"

#include <nlohmann/json.hpp>

#include <unistd.h>

#include <algorithm>
#include <malloc.h>
#include <chrono>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <iostream>
#include <memory>
#include <mutex>
#include <thread>
#include <set>
#include <unordered_set>

namespace fs = std::filesystem;
using nlohmann::json;

namespace triage::engine {

std::atomic<bool> g_cancel{false};

namespace {

// Everything the index needs about one listing row.
struct FileRow {
    int64_t file_id = 0, evidence_id = 0, fs_id = 0;
    layout::FileEntry e;
    std::string content = "none";
    std::string location;   // for error rows
    // Objects derived by a detector (archive members, carved items).
    std::string origin = "fs";
    std::optional<int64_t> parent_id, parent_offset;
    std::string detector;
};

struct UnallocRange {
    uint64_t start = 0, length = 0;
    std::string volume;  // container volume the offsets are in ("" the image)
    std::string kind;    // unalloc_ranges.kind: ranges of different kinds may start at one offset
};

struct Job {
    FileRow row;
    std::optional<UnallocRange> unalloc;   // set for an unallocated range instead of a file
    BoundedQueue<Block> blocks{4};
    bool read_ok = true;       // written by the reader before blocks.close()
    bool cancelled = false;
    std::string read_error;
    uint64_t bytes_read = 0;
};

// What an object's rows hold in memory until the index writer has committed them, for the
// writer's byte bound: the records and the strings' heap (a detector's findings can be megabytes:
// every identifier of a large text file).
uint64_t heap_of(const std::string& s) { return s.capacity() > 15 ? s.capacity() + 1 : 0; }
uint64_t held_bytes(const ObjectResult& r) {
    uint64_t n = sizeof r;
    for (const auto& f : r.findings)
        n += sizeof f + heap_of(f.detector) + heap_of(f.version) + heap_of(f.kind) + heap_of(f.rule) +
             heap_of(f.category) + heap_of(f.detail);
    for (const auto& p : r.properties) n += sizeof p + heap_of(p.detector) + heap_of(p.key) + heap_of(p.value);
    for (const auto& h : r.hashes) n += sizeof h + heap_of(h.detector) + heap_of(h.algorithm) + heap_of(h.value);
    for (const auto& e : r.errors) n += sizeof e + heap_of(e.detector) + heap_of(e.message);
    return n;
}
uint64_t held_bytes(const FileRow& r) {
    return sizeof r + heap_of(r.e.path) + heap_of(r.e.name) + heap_of(r.e.stream) + heap_of(r.location) +
           r.e.extents.capacity() * sizeof(layout::Extent);
}
uint64_t held_bytes(const std::vector<std::pair<FileRow, ObjectResult>>& rows) {
    uint64_t n = 0;
    for (const auto& [row, res] : rows) n += held_bytes(row) + held_bytes(res);
    return n;
}

// Detector findings; offset_base is added to each offset (image offset of an unallocated range).
void insert_findings(index::Db& db, std::optional<int64_t> file_id, int64_t evidence_id, int64_t offset_base,
                     const std::vector<FindingRec>& findings, const std::string& volume = "") {
    auto& st = db.cached(
        "INSERT INTO findings(file_id, evidence_id, detector, detector_version, kind, rule, category, severity, offset, "
        "length, detail, volume) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)");
    for (const auto& f : findings)
        st.bind(1, file_id)
            .bind(2, evidence_id)
            .bind(3, f.detector)
            .bind(4, f.version)
            .bind(5, f.kind)
            .bind(6, f.rule)
            .bind(7, f.category)
            .bind(8, f.severity)
            .bind(9, f.offset ? std::optional<int64_t>(*f.offset + offset_base) : std::nullopt)
            .bind(10, f.length)
            .bind(11, f.detail)
            .bind(12, volume)
            .run();
}

void insert_file(index::Db& db, const FileRow& r, const ObjectResult* res) {
    const auto& e = r.e;
    auto& st = db.cached(
        "INSERT OR IGNORE INTO files(file_id, evidence_id, fs_id, path, name, stream, meta_addr, meta_seq, attr_type, "
        "attr_id, name_type, meta_type, allocated, realloc, virtual, size, mode, uid, gid, mtime, atime, ctime, crtime, "
        "content, origin, parent_id, detector, parent_offset) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
    st.bind(1, r.file_id).bind(2, r.evidence_id).bind(3, r.fs_id).bind(4, e.path).bind(5, e.name);
    if (e.stream.empty())
        st.bind_null(6);
    else
        st.bind(6, e.stream);
    st.bind(7, static_cast<int64_t>(e.meta_addr)).bind(8, static_cast<int64_t>(e.meta_seq));
    st.bind(9, static_cast<int64_t>(e.attr_type)).bind(10, static_cast<int64_t>(e.attr_id));
    st.bind(11, std::string(1, e.name_type)).bind(12, std::string(1, e.meta_type));
    st.bind(13, e.allocated ? 1 : 0).bind(14, e.realloc ? 1 : 0).bind(15, e.is_virtual ? 1 : 0);
    st.bind(16, e.size).bind(17, e.mode).bind(18, e.uid).bind(19, e.gid);
    st.bind(20, e.mtime).bind(21, e.atime).bind(22, e.ctime).bind(23, e.crtime).bind(24, r.content);
    st.bind(25, r.origin).bind(26, r.parent_id).bind(27, r.detector.empty() ? nullptr : r.detector.c_str());
    st.bind(28, r.parent_offset);
    st.run();
    if (db.changes() == 0 || !res) return;  // already indexed (resumed scan or a name listed twice)
    auto& hs = db.cached("INSERT OR REPLACE INTO hashes(file_id, algorithm, value) VALUES (?,?,?)");
    for (const auto& h : res->hashes) hs.bind(1, r.file_id).bind(2, h.algorithm).bind(3, h.value).run();
    auto& ps = db.cached("INSERT OR REPLACE INTO properties(file_id, detector, key, value) VALUES (?,?,?,?)");
    for (const auto& p : res->properties) ps.bind(1, r.file_id).bind(2, p.detector).bind(3, p.key).bind(4, p.value).run();
    insert_findings(db, r.file_id, r.evidence_id, 0, res->findings);
    if (res->known_good || res->sensitive)
        db.cached("UPDATE files SET known_good = ?, sensitive = ? WHERE file_id = ?")
            .bind(1, res->known_good ? 1 : 0)
            .bind(2, res->sensitive ? 1 : 0)
            .bind(3, r.file_id)
            .run();
}

// Bytes held in memory (a child object) as the blocks a worker reads: the queue is made with
// child_queue_slots(size) so every block fits, then filled, closed, and the bytes released.
constexpr size_t kChildBlock = 1 << 20;
size_t child_queue_slots(size_t bytes) { return bytes / kChildBlock + 2; }
void queue_child_bytes(std::vector<uint8_t>& data, BoundedQueue<Block>& q) {
    for (size_t off = 0; off < data.size(); off += kChildBlock) {
        Block b;
        b.offset = off;
        b.data.assign(data.begin() + static_cast<std::ptrdiff_t>(off),
                      data.begin() + static_cast<std::ptrdiff_t>(std::min(data.size(), off + kChildBlock)));
        q.push(std::move(b));
    }
    q.close();
    std::vector<uint8_t>().swap(data);
}

}  // namespace

// Every column of the range's UNIQUE key, so that the update is one index lookup (without kind
// it walked every range of the evidence: quadratic in the number of ranges) and marks only this
// range, not another kind's range that starts at the same offset.
const char* const kMarkRangeScannedSql =
    "UPDATE unalloc_ranges SET scanned=1 WHERE evidence_id=? AND volume=? AND kind=? AND start_offset=?";

void mark_range_scanned(index::Db& db, int64_t evidence_id, const std::string& volume, const std::string& kind,
                        uint64_t start) {
    db.cached(kMarkRangeScannedSql).bind(1, evidence_id).bind(2, volume).bind(3, kind).bind(4, start).run();
}

namespace {

// Findings on an unallocated range: no file, offsets made image offsets.
void insert_range_findings(index::Db& db, int64_t evidence_id, const UnallocRange& range, const ObjectResult& res) {
    insert_findings(db, std::nullopt, evidence_id, static_cast<int64_t>(range.start), res.findings, range.volume);
    mark_range_scanned(db, evidence_id, range.volume, range.kind, range.start);
}

void insert_error(index::Db& db, std::optional<int64_t> evidence_id, const std::string& location,
                  const std::string& detector, std::optional<int64_t> file_id, const std::string& message) {
    db.cached("INSERT OR IGNORE INTO errors(evidence_id, location, detector, file_id, message, time) VALUES (?,?,?,?,?,?)")
        .bind(1, evidence_id)
        .bind(2, location)
        .bind(3, detector.empty() ? nullptr : detector.c_str())
        .bind(4, file_id)
        .bind(5, message)
        .bind(6, util::now_iso_utc())
        .run();
}

struct Progress {
    std::atomic<uint64_t> image_bytes{0};
    std::atomic<uint64_t> content_bytes{0};
    std::atomic<uint64_t> files{0};
    std::atomic<uint64_t> reused_bytes{0};  // shadow-copy content not read again (same as the current volume)
    // Content read on its own (through TSK or a container volume), apart from the one
    // sequential read of the image: with one_read, these bytes are read a second time.
    std::atomic<uint64_t> targeted_bytes{0};
    uint64_t image_size = 0;
    std::string label;
};

std::string fingerprint(evidence::Image& img) {
    // Size plus three 1 MiB samples: cheap, path-independent identity of an evidence item.
    std::string buf = std::to_string(img.size()) + "|" + img.format() + "|";
    const uint64_t chunk = 1 << 20;
    for (uint64_t off : {uint64_t{0}, img.size() / 2, img.size() > chunk ? img.size() - chunk : 0}) {
        std::string part(chunk, '\0');
        int64_t n = img.read(off, part.data(), part.size());
        part.resize(n > 0 ? static_cast<size_t>(n) : 0);
        buf += util::sha256_hex(part);
    }
    // The samples at the middle and the end made libewf load those parts' chunk tables.
    img.release_caches();
    return util::sha256_hex(buf);
}

class EvidenceScan final : public layout::LayoutSink {
public:
    EvidenceScan(index::CaseIndex& idx, index::IndexWriter& writer, int64_t evidence_id,
                 const std::string& label, const std::vector<const LoadedDetector*>& dets, unsigned jobs,
                 Progress& progress, const InstanceLimits& limits)
        : idx_(idx), writer_(writer), evidence_id_(evidence_id), label_(label), progress_(progress), limits_(limits),
          jobs_(jobs * 2) {
        next_file_id_ = index::query_int(idx_.db(), "SELECT max(file_id) FROM files", 0) + 1;
        whole_cap_ = limits.whole_cap_bytes;
        for (const auto* d : dets) wants_unalloc_ = wants_unalloc_ || (d->desc->wants & TRIAGE_WANT_UNALLOC);
        next_fs_id_ = index::query_int(idx_.db(), "SELECT max(fs_id) FROM filesystems", 0) + 1;
        dets_ = &dets;
        for (unsigned i = 0; i < jobs; ++i)
            workers_.emplace_back([this, &dets, i] {
                util::name_thread("worker-" + std::to_string(i + 1));
                worker_main(dets);
            });
    }
    ~EvidenceScan() override { finish_workers(); }

    void finish_workers() {
        jobs_.close();
        for (auto& l : range_lanes_) l.jobs.close();
        for (auto& t : workers_)
            if (t.joinable()) t.join();
        for (auto& l : range_lanes_)
            if (l.thread.joinable()) l.thread.join();
    }

    void volume(const layout::VolumeInfo& v) override {
        int64_t ev = evidence_id_;
        writer_.post([ev, v](index::Db& db) {
            db.cached("INSERT OR IGNORE INTO volumes(evidence_id, vs_type, slot, start_offset, length, description, kind, "
                      "volume) VALUES (?,?,?,?,?,?,?,?)")
                .bind(1, ev)
                .bind(2, v.vs_type)
                .bind(3, v.slot)
                .bind(4, v.start)
                .bind(5, v.length)
                .bind(6, v.description)
                .bind(7, v.kind)
                .bind(8, v.volume)
                .run();
        });
    }

    bool filesystem_begin(const layout::FsInfo& f) override {
        existing_keys_.clear();
        base_flushed_ = false;
        index::Stmt s = idx_.db().prepare(
            "SELECT fs_id, status FROM filesystems WHERE evidence_id=? AND offset=? AND fs_type=? AND pool_block=? AND "
            "volume=?");
        s.bind(1, evidence_id_).bind(2, f.offset).bind(3, f.fs_type).bind(4, f.pool_block).bind(5, f.volume);
        if (s.step()) {
            fs_id_ = s.col_int(0);
            if (s.col_text(1) == "complete") return false;
            index::Stmt k = idx_.db().prepare("SELECT path, meta_addr, attr_type, attr_id FROM files WHERE fs_id=?");
            k.bind(1, fs_id_);
            while (k.step())
                existing_keys_.insert(key(k.col_text(0), static_cast<uint64_t>(k.col_int(1)),
                                          static_cast<uint32_t>(k.col_int(2)), static_cast<uint16_t>(k.col_int(3))));
            return true;
        }
        fs_id_ = next_fs_id_++;
        int64_t ev = evidence_id_, id = fs_id_;
        writer_.post([ev, id, f](index::Db& db) {
            db.cached("INSERT INTO filesystems(fs_id, evidence_id, volume_id, offset, fs_type, block_size, block_count, "
                      "pool_block, volume) VALUES (?1, ?2, (SELECT volume_id FROM volumes WHERE evidence_id=?3 AND slot=?4 "
                      "AND volume=?10), ?5, ?6, ?7, ?8, ?9, ?10)")
                .bind(1, id)
                .bind(2, ev)
                .bind(3, ev)
                .bind(4, f.slot)
                .bind(5, f.offset)
                .bind(6, f.fs_type)
                .bind(7, f.block_size)
                .bind(8, f.block_count)
                .bind(9, f.pool_block)
                .bind(10, f.volume)
                .run();
        });
        return true;
    }

    // Called from inside TSK's walk: nothing may throw through it, so a failure (the index
    // writer stopped, out of memory) stops the walk and is reported afterwards.
    void file(const layout::FsInfo& f, const layout::FileEntry& e, const layout::ContentReader& content) override {
        try {
            file_impl(f, e, content);
        } catch (const std::exception& ex) {
            set_fatal(ex.what());
        }
    }
    // The first failure that stopped the scan (set from the walk and from the worker threads).
    std::string fatal() const {
        std::lock_guard lock(fatal_mu_);
        return fatal_;
    }
    void set_fatal(const std::string& what) {
        {
            std::lock_guard lock(fatal_mu_);
            if (fatal_.empty()) fatal_ = what;
        }
        g_cancel = true;
    }

    void file_impl(const layout::FsInfo& f, const layout::FileEntry& e, const layout::ContentReader& content) {
        progress_.files.fetch_add(1, std::memory_order_relaxed);
        if (!existing_keys_.empty() && existing_keys_.count(key(e.path, e.meta_addr, e.attr_type, e.attr_id))) return;
        FileRow row;
        row.file_id = next_file_id_.fetch_add(1);
        row.evidence_id = evidence_id_;
        row.fs_id = fs_id_;
        row.e = e;
        row.location = label_ + (f.volume.empty() ? "" : ": volume " + f.volume) + ": file system at offset " +
                       std::to_string(f.offset) + ": inode " +
                       std::to_string(e.meta_addr) + " " + e.path;
        if (!e.has_content) {
            writer_.post([row = std::move(row)](index::Db& db) { insert_file(db, row, nullptr); });
            return;
        }
        if (e.same_as_base && f.vol && f.vol->snapshot_of()) {
            ObjectResult res;
            if (reuse_from_base(f, e, res)) {
                row.content = "shared";
                progress_.reused_bytes.fetch_add(e.size ? static_cast<uint64_t>(*e.size) : 0, std::memory_order_relaxed);
                writer_.post([row = std::move(row), res = std::move(res)](index::Db& db) { insert_file(db, row, &res); });
                return;
            }
        }
        // The one sequential read: a file whose bytes lie plainly in the image ahead of the
        // stream waits for the end of this file system's walk, when the stream passes its blocks.
        if (stream_ && !stream_->failed() && !e.extents.empty() && e.extents.front().offset >= stream_->position()) {
            pending_files_.push_back(std::move(row));
            if (pending_files_.size() >= kMaxPendingFiles) stream_pending(&f);
            return;
        }
        read_now(std::move(row), content);
    }

    // Reads a file through TSK (or its container volume) and hands its blocks to a worker.
    void read_now(FileRow row, const layout::ContentReader& content) {
        auto job = std::make_shared<Job>();
        job->row = std::move(row);
        struct CloseOnExit {
            Job& j;
            ~CloseOnExit() { j.blocks.close(); }
        } close_guard{*job};
        inflight_.fetch_add(1);
        jobs_.push(job);
        std::string err;
        bool ok = content(
            [&](const uint8_t* data, size_t len, uint64_t off) {
                Block b;
                b.data.assign(data, data + len);
                b.offset = off;
                job->bytes_read = off + len;
                progress_.content_bytes.fetch_add(len, std::memory_order_relaxed);
                progress_.targeted_bytes.fetch_add(len, std::memory_order_relaxed);
                job->blocks.push(std::move(b));
                return !g_cancel.load(std::memory_order_relaxed);
            },
            err);
        job->read_ok = ok;
        job->read_error = err;
        // A read cut short by cancellation says nothing about the evidence: the row is not
        // written, so the resumed scan reads this file again.
        job->cancelled = !ok && g_cancel.load();
    }

    // The hashes, properties and marks of the same file in the volume a snapshot is of, if that
    // file was read completely; false when there is none (the snapshot file is then read).
    bool reuse_from_base(const layout::FsInfo& f, const layout::FileEntry& e, ObjectResult& res) {
        if (!base_flushed_) {  // the base volume was walked just before: make its rows visible
            writer_.flush();
            base_flushed_ = true;
        }
        index::Stmt s = idx_.db().prepare(
            "SELECT f.file_id, f.known_good, f.sensitive FROM files f JOIN filesystems fs ON fs.fs_id = f.fs_id "
            "WHERE fs.evidence_id=? AND fs.volume=? AND fs.offset=? AND fs.fs_type=? AND f.path=? AND f.meta_addr=? "
            "AND f.attr_type=? AND f.attr_id=? AND f.content='read' AND f.size IS ?");
        s.bind(1, evidence_id_).bind(2, *f.vol->snapshot_of()).bind(3, f.vol->snapshot_offset() + f.offset);
        s.bind(4, f.fs_type).bind(5, e.path).bind(6, e.meta_addr).bind(7, static_cast<int64_t>(e.attr_type));
        s.bind(8, static_cast<int64_t>(e.attr_id)).bind(9, e.size);
        if (!s.step()) return false;
        const int64_t base_id = s.col_int(0);
        res.known_good = s.col_int(1) != 0;
        res.sensitive = s.col_int(2) != 0;
        index::Stmt h = idx_.db().prepare("SELECT algorithm, value FROM hashes WHERE file_id=?");
        h.bind(1, base_id);
        while (h.step()) res.hashes.push_back({"", h.col_text(0), h.col_text(1)});
        index::Stmt p = idx_.db().prepare("SELECT detector, key, value FROM properties WHERE file_id=?");
        p.bind(1, base_id);
        while (p.step()) res.properties.push_back({p.col_text(0), p.col_text(1), p.col_text(2)});
        return !res.hashes.empty();
    }

    void filesystem_end(const layout::FsInfo& f, bool walk_ok) override {
        if (stream_) stream_pending(&f);
        wait_idle();
        // Stays 'walking' (a later run resumes it) when the walk ended early, and when the scan was
        // stopped while the stream was still serving this file system's files.
        if (!walk_ok || g_cancel.load()) return;
        int64_t id = fs_id_;
        writer_.post([id](index::Db& db) {
            db.cached("UPDATE filesystems SET status='complete' WHERE fs_id=?").bind(1, id).run();
        });
    }

    void unallocated(const std::optional<layout::FsInfo>& in_fs, const std::string& kind, uint64_t start,
                     uint64_t length, const std::string& volume) override {
        int64_t ev = evidence_id_;
        std::optional<int64_t> fs = in_fs ? std::optional<int64_t>(fs_id_) : std::nullopt;
        if (stream_ && wants_unalloc_ && volume.empty() && length > 0)
            pending_ranges_.push_back({{start, length, volume, kind}, fs.value_or(0)});
        writer_.post([=](index::Db& db) {
            db.cached("INSERT OR IGNORE INTO unalloc_ranges(evidence_id, fs_id, kind, start_offset, length, volume) "
                      "VALUES (?,?,?,?,?,?)")
                .bind(1, ev)
                .bind(2, fs)
                .bind(3, kind)
                .bind(4, start)
                .bind(5, length)
                .bind(6, volume)
                .run();
        });
    }

    void container(const std::string& parent_volume, const volumes::Container& c) override {
        int64_t ev = evidence_id_;
        nlohmann::json labels = nlohmann::json::array();
        for (const auto& v : c.volumes) labels.push_back(v->label());
        const std::string where = label_ + (parent_volume.empty() ? "" : ": volume " + parent_volume) + ": " + c.kind +
                                  " at offset " + std::to_string(c.offset);
        if (c.status != "opened") ++errors_;
        writer_.post([=](index::Db& db) {
            db.cached("INSERT OR REPLACE INTO containers(evidence_id, parent_volume, kind, offset, length, status, reason, "
                      "detail, volumes) VALUES (?,?,?,?,?,?,?,?,?)")
                .bind(1, ev)
                .bind(2, parent_volume)
                .bind(3, c.kind)
                .bind(4, c.offset)
                .bind(5, c.length)
                .bind(6, c.status)
                .bind(7, c.reason.empty() ? nullptr : c.reason.c_str())
                .bind(8, c.detail.dump())
                .bind(9, labels.dump())
                .run();
            // A volume that could not be opened is an area of the evidence not read.
            if (c.status != "opened") insert_error(db, ev, where, "", std::nullopt, c.status + ": " + c.reason);
        });
    }

    void error(const std::string& location, const std::string& message) override {
        ++errors_;
        int64_t ev = evidence_id_;
        writer_.post([=](index::Db& db) { insert_error(db, ev, location, "", std::nullopt, message); });
    }

    void wait_idle() {
        std::unique_lock lock(idle_mu_);
        idle_cv_.wait(lock, [&] { return inflight_.load() == 0; });
    }

    int errors() const { return errors_; }
    bool wants_unallocated() const { return wants_unalloc_; }

private:
    static std::string key(const std::string& path, uint64_t meta, uint32_t type, uint16_t id) {
        return path + '\0' + std::to_string(meta) + '\0' + std::to_string(type) + '\0' + std::to_string(id);
    }

    void worker_main(const std::vector<const LoadedDetector*>& dets) {
        Worker w(dets, limits_);
        std::unique_ptr<Worker> carved_worker;  // made when the first item is carved
        while (auto j = jobs_.pop()) {
            auto job = std::move(*j);
            // A failure here (the index writer stopped: the case folder's disk is full ...) must
            // not leave the thread (std::terminate): like one in the walk, it stops the scan and
            // is reported afterwards. The job's reader is let finish (it stops on g_cancel).
            const uint64_t size = object_size(*job);
            try {
                run_job(w, carved_worker, *job);
            } catch (const std::exception& ex) {
                set_fatal(ex.what());
                while (job->blocks.pop()) {
                }
                finish_job();
            }
            job.reset();
            // A large object's buffers (whole object, YARA, archive, decoded picture) were freed
            // into this thread's malloc arena, which glibc keeps: give the pages back, so that
            // peak memory does not ratchet up with every large file (issue 8: flat memory).
            if (size >= kTrimAfterBytes) malloc_trim(0);
        }
    }
    static constexpr uint64_t kTrimAfterBytes = 8 << 20;
    static uint64_t object_size(const Job& j) {
        return j.unalloc ? j.unalloc->length : static_cast<uint64_t>(std::max<int64_t>(0, j.row.e.size.value_or(0)));
    }

    // A detector that stops because the scan is being cancelled (is_cancelled) reports an error;
    // recording the object then would keep that error for good and lose what the detector would
    // have found (an archive's members: found by the nothing-lost tests). Such an object is left
    // to the resumed scan, like a read cut short.
    static bool cut_short_by_cancel(const std::vector<std::pair<FileRow, ObjectResult>>& rows) {
        if (!g_cancel.load()) return false;
        for (const auto& [row, res] : rows)
            if (!res.errors.empty()) return true;
        return false;
    }

    void run_job(Worker& w, std::unique_ptr<Worker>& carved_worker, Job& job_ref) {
        Job* job = &job_ref;
        if (job->unalloc) {
            process_range(w, carved_worker, *job);
            finish_job();
            return;
        }
        std::vector<std::pair<FileRow, ObjectResult>> rows;
        process_file(w, std::move(job->row), job->blocks, job, 0, rows);
        // A read cut short by cancellation is not recorded (see file_impl). The reader's
        // status is final once the block queue is drained, which process_file did.
        if (job->cancelled || cut_short_by_cancel(rows)) {
            finish_job();
            return;
        }
        // The object and everything derived from it land in one transaction, so a resumed
        // scan never finds a parent without its children.
        post_rows(std::move(rows));
        finish_job();
    }

    static constexpr int kMaxChildDepth = 8;

    // An object's rows (it and what was derived from it) as one writer operation.
    void post_rows(std::vector<std::pair<FileRow, ObjectResult>> rows) {
        const uint64_t bytes = held_bytes(rows);
        writer_.post(
            [rows = std::move(rows)](index::Db& db) {
                for (const auto& [row, res] : rows) {
                    insert_file(db, row, &res);
                    for (const auto& e : res.errors)
                        insert_error(db, row.evidence_id, row.location, e.detector, row.file_id, e.message);
                }
            },
            bytes);
    }

    // job: the reader's side of a file read from the evidence (its status is read only after
    // the blocks are drained); null for child objects, whose bytes are all in memory.
    void process_file(Worker& w, FileRow row, BoundedQueue<Block>& blocks, const Job* job, int depth,
                      std::vector<std::pair<FileRow, ObjectResult>>& rows) {
        const auto& e = row.e;
        ObjectDesc obj;
        obj.kind = depth > 0 ? TRIAGE_OBJECT_CHILD : e.stream.empty() ? TRIAGE_OBJECT_FILE : TRIAGE_OBJECT_STREAM;
        obj.object_id = row.file_id;
        obj.path = e.path;
        obj.name = e.name;
        obj.size = e.size ? static_cast<uint64_t>(*e.size) : 0;
        obj.allocated = e.allocated;
        ObjectResult res = w.process(obj, blocks, whole_cap_);
        const bool read_ok = !job || job->read_ok;
        if (job && job->cancelled) return;
        if (read_ok) {
            row.content = "read";
        } else {
            res.hashes.clear();  // hashes of part of a file would be wrong, not partial
            res.children.clear();
            row.content = job->bytes_read > 0 ? "partial" : "unreadable";
            res.errors.push_back({"", job->read_error});
        }
        std::vector<ChildRec> children = std::move(res.children);
        const FileRow parent = row;
        rows.emplace_back(std::move(row), std::move(res));
        for (auto& c : children) {
            FileRow cr;
            cr.file_id = next_file_id_.fetch_add(1);
            cr.evidence_id = parent.evidence_id;
            cr.fs_id = parent.fs_id;
            cr.e = parent.e;
            cr.e.path = parent.e.path + ">" + c.relative_path;
            auto slash = c.relative_path.find_last_of('/');
            cr.e.name = slash == std::string::npos ? c.relative_path : c.relative_path.substr(slash + 1);
            cr.e.stream.clear();
            cr.e.name_type = 'r';
            cr.e.meta_type = 'r';
            cr.e.is_virtual = false;
            cr.e.extents.clear();
            cr.e.size = static_cast<int64_t>(c.data.size());
            cr.origin = "extracted";
            cr.parent_id = parent.file_id;
            cr.detector = c.detector;
            if (c.parent_offset >= 0) cr.parent_offset = c.parent_offset;
            cr.location = parent.location + ">" + c.relative_path;
            if (depth + 1 > kMaxChildDepth) {
                rows.emplace_back(cr, ObjectResult{});
                rows.back().second.errors.push_back(
                    {c.detector, "not scanned: more than " + std::to_string(kMaxChildDepth) + " levels of nested objects"});
                continue;
            }
            BoundedQueue<Block> q(child_queue_slots(c.data.size()));
            queue_child_bytes(c.data, q);
            process_file(w, std::move(cr), q, nullptr, depth + 1, rows);
        }
    }

    // Items carved out of an unallocated range enter the pipeline like children of files:
    // each becomes a files row (origin 'carved', allocated 0, path RANGE/ITEM, parent_offset =
    // its image offset) and goes through every detector on `cw`, a second worker (the range's
    // own worker is still inside the range). Called while the range streams (after_block), so
    // at most one item's bytes are held here at a time. The carver's "carved" finding about the
    // item moves onto the item's row.
    // Items carved outside any file system (unpartitioned space, an image or partition with no
    // readable file system) belong to a pseudo file system 'none' of the evidence, made when the
    // first such item is carved, so that files.fs_id and v_files stay as they are.
    int64_t none_fs() {
        std::lock_guard lock(none_mu_);
        if (none_fs_) return none_fs_;
        const int64_t ev = evidence_id_;
        writer_.post([ev](index::Db& db) {
            db.cached("INSERT OR IGNORE INTO filesystems(evidence_id, offset, fs_type, pool_block, status) "
                      "VALUES (?, 0, 'none', -1, 'complete')")
                .bind(1, ev)
                .run();
        });
        writer_.flush();
        none_fs_ = index::query_int(idx_.db(), "SELECT fs_id FROM filesystems WHERE fs_type='none' AND evidence_id=" +
                                                   std::to_string(ev), 0);
        return none_fs_;
    }

    void index_carved(std::unique_ptr<Worker>& carved_worker, ObjectResult& res, const Job& job) {
        if (res.children.empty()) return;
        if (!carved_worker) carved_worker = std::make_unique<Worker>(*dets_, limits_);
        Worker& cw = *carved_worker;
        std::vector<ChildRec> children = std::move(res.children);
        res.children.clear();
        res.child_bytes = 0;
        const UnallocRange r = *job.unalloc;
        for (auto& c : children) {
            FileRow cr;
            cr.file_id = next_file_id_.fetch_add(1);
            cr.evidence_id = evidence_id_;
            cr.fs_id = job.row.fs_id ? job.row.fs_id : none_fs();
            cr.e.path = job.row.e.path + "/" + c.relative_path;
            cr.e.name = c.relative_path;
            cr.e.name_type = 'r';
            cr.e.meta_type = 'r';
            cr.e.allocated = false;
            cr.e.size = static_cast<int64_t>(c.data.size());
            cr.origin = "carved";
            cr.detector = c.detector;
            if (c.parent_offset >= 0) cr.parent_offset = static_cast<int64_t>(r.start) + c.parent_offset;
            cr.location = label_ + ": " + cr.e.path;
            std::optional<FindingRec> about;
            auto it = std::find_if(res.findings.begin(), res.findings.end(), [&](const FindingRec& f) {
                return f.detector == c.detector && f.kind == "carved" && f.offset && *f.offset == c.parent_offset;
            });
            if (it != res.findings.end()) {
                about = std::move(*it);
                res.findings.erase(it);
                about->offset = 0;
            }
            BoundedQueue<Block> q(child_queue_slots(c.data.size()));
            queue_child_bytes(c.data, q);
            std::vector<std::pair<FileRow, ObjectResult>> rows;
            process_file(cw, std::move(cr), q, nullptr, 1, rows);
            if (about) rows.front().second.findings.push_back(std::move(*about));
            // A resumed scan carves the range again: the natural key (fs, path) makes the
            // second insert a no-op, children included.
            post_rows(std::move(rows));
        }
    }

    void process_range(Worker& w, std::unique_ptr<Worker>& carved_worker, Job& job) {
        const UnallocRange r = *job.unalloc;
        ObjectDesc obj;
        obj.kind = TRIAGE_OBJECT_UNALLOC;
        obj.path = job.row.e.path;
        obj.name = job.row.e.name;
        obj.size = r.length;
        obj.allocated = false;
        obj.image_offset = r.start;
        obj.after_block = [&](ObjectResult& so_far) { index_carved(carved_worker, so_far, job); };
        ObjectResult res = w.process(obj, job.blocks, 0);
        // Not marked scanned: the next run does it again.
        if (job.cancelled || (g_cancel.load() && !res.errors.empty())) return;
        if (!job.read_ok) res.errors.push_back({"", job.read_error});
        int64_t ev = evidence_id_;
        std::string loc = label_ + ": " + job.row.e.path;
        const uint64_t bytes = held_bytes(res);
        writer_.post(
            [ev, r, loc, res = std::move(res)](index::Db& db) {
                insert_range_findings(db, ev, r, res);
                for (const auto& e : res.errors) insert_error(db, ev, loc, e.detector, std::nullopt, e.message);
            },
            bytes);
    }

public:
    // Streams each unallocated range not yet scanned to the TRIAGE_WANT_UNALLOC detectors.
    // Ranges inside container volumes are read through the volume (opened by this run's walk).
    void scan_unallocated(evidence::Image& img,
                          const std::map<std::string, std::shared_ptr<volumes::Volume>>& opened_volumes) {
        writer_.flush();
        index::Stmt s = idx_.db().prepare(
            "SELECT start_offset, length, kind, volume, fs_id FROM unalloc_ranges WHERE evidence_id=? AND scanned=0 "
            "ORDER BY volume, start_offset");
        s.bind(1, evidence_id_);
        std::vector<PendingRange> pending;  // fs_id: the file system a range belongs to, 0 for none
        while (s.step())
            pending.push_back(
                {{static_cast<uint64_t>(s.col_int(0)), static_cast<uint64_t>(s.col_int(1)), s.col_text(3), s.col_text(2)},
                 s.col_null(4) ? 0 : s.col_int(4)});
        const size_t bs = 1 << 20;
        std::vector<uint8_t> buf(bs);
        for (const auto& [r, fs_id] : pending) {
            if (g_cancel.load()) break;
            evidence::Image* src = &img;
            if (!r.volume.empty()) {
                auto it = opened_volumes.find(r.volume);
                if (it == opened_volumes.end()) {
                    error(label_ + ": volume " + r.volume,
                          "unallocated ranges not scanned: the volume was not opened in this run (give its secret)");
                    continue;
                }
                src = it->second.get();
            }
            auto job = range_job(r, fs_id);
            struct CloseOnExit {
                Job& j;
                ~CloseOnExit() { j.blocks.close(); }
            } guard{*job};
            inflight_.fetch_add(1);
            jobs_.push(job);
            for (uint64_t off = 0; off < r.length && !g_cancel.load();) {
                size_t want = static_cast<size_t>(std::min<uint64_t>(bs, r.length - off));
                int64_t n = src->read(r.start + off, buf.data(), want);
                if (n <= 0) {
                    job->read_ok = false;
                    job->read_error = "read error at " + std::string(r.volume.empty() ? "image" : "volume") +
                                      " offset " + std::to_string(r.start + off);
                    break;
                }
                Block b;
                b.offset = off;
                b.data.assign(buf.begin(), buf.begin() + n);
                progress_.content_bytes.fetch_add(static_cast<uint64_t>(n), std::memory_order_relaxed);
                progress_.targeted_bytes.fetch_add(static_cast<uint64_t>(n), std::memory_order_relaxed);
                job->blocks.push(std::move(b));
                off += static_cast<uint64_t>(n);
            }
            job->cancelled = g_cancel.load();
        }
        wait_idle();
    }

    // An unallocated range as a job: path unalloc@0xSTART (inside its volume), fs_id 0 when the
    // range lies outside any file system (see none_fs).
    static std::shared_ptr<Job> range_job(const UnallocRange& r, int64_t fs_id) {
        char name[64];
        std::snprintf(name, sizeof name, "unalloc@0x%llx", static_cast<unsigned long long>(r.start));
        auto job = std::make_shared<Job>();
        job->unalloc = r;
        job->row.e.path = r.volume.empty() ? std::string(name) : r.volume + "/" + name;
        job->row.e.name = r.kind;
        job->row.fs_id = fs_id;
        return job;
    }

    // The one sequential read (see ImageStream). Files are put aside during a file system's
    // walk; at its end they are sorted by where they lie and fed from the stream in one pass,
    // together with the unallocated ranges, while the stream also feeds the image hash.
    void use_stream(ImageStream* s, size_t block_size) {
        stream_ = s;
        block_size_ = block_size;
    }

    // Streams what is left (ranges outside any file system, the space after the last one) and
    // reads the image to its end; returns the image hashes.
    evidence::ImageHashes finish_stream() {
        stream_pending(nullptr);
        for (auto& row : pending_files_)  // only after a walk that threw: their file system is closed
            error(row.location, "not read: the walk of its file system ended before the file could be read");
        pending_files_.clear();
        return stream_->finish();
    }

private:
    struct PendingRange {
        UnallocRange r;
        int64_t fs_id = 0;
    };

    // Objects fed from the stream one after another: each item's extents follow the previous
    // item's, so at most one item of a lane is open at a time and a worker waiting on it
    // never waits on a later item (no deadlock however few workers there are).
    struct Lane {
        // An item is a file or a range; its Job (block queue, locks) is made only when the
        // stream reaches it, so a file system's hundred thousand waiting files cost their
        // rows, not a queue each.
        struct Item {
            std::vector<layout::Extent> extents;
            std::unique_ptr<FileRow> row;       // a file (until open()),
            std::optional<PendingRange> range;  // or an unallocated range
            std::shared_ptr<Job> job;           // from open() until the item's last block

            Job& open() {
                if (range) {
                    job = range_job(range->r, range->fs_id);
                } else {
                    job = std::make_shared<Job>();
                    job->row = std::move(*row);
                    row.reset();
                }
                return *job;
            }
        };
        std::deque<Item> items;
        size_t cur = 0, ext = 0;
        uint64_t ext_done = 0;      // bytes of items[cur].extents[ext] already taken
        bool open = false;
        size_t block = 1 << 20;     // bytes per Block handed to the worker
        std::vector<uint8_t> buf;   // the block being filled
        uint64_t obj_off = 0;       // object offset of buf[0]
        std::function<void(const std::shared_ptr<Job>&)> start;
        std::atomic<uint64_t>* counter = nullptr;

        Lane() = default;
        Lane(const Lane&) = delete;
        Lane& operator=(const Lane&) = delete;
        // An item left open by an exception is ended as cancelled, so its worker is not left
        // waiting for blocks that never come.
        ~Lane() {
            if (open && cur < items.size() && items[cur].job) {
                items[cur].job->cancelled = true;
                items[cur].job->blocks.close();
            }
        }

        void push_block(Job& j) {
            if (buf.empty()) return;
            Block b;
            b.offset = obj_off;
            obj_off += buf.size();
            b.data = std::move(buf);
            buf.clear();
            buf.reserve(block);
            j.bytes_read = obj_off;
            j.blocks.push(std::move(b));
        }
        void feed(uint64_t off, const uint8_t* p, size_t n) {
            const uint64_t end = off + n;
            while (cur < items.size()) {
                Item& it = items[cur];
                const layout::Extent& x = it.extents[ext];
                const uint64_t at = x.offset + ext_done;
                if (at >= end) return;
                if (!open) {
                    open = true;
                    obj_off = 0;
                    buf.clear();
                    buf.reserve(block);
                    it.open();
                    start(it.job);
                }
                const uint64_t take = std::min(x.length - ext_done, end - at);
                const uint8_t* src = p + (at - off);
                for (uint64_t done = 0; done < take;) {
                    const size_t room = block - buf.size();
                    const size_t k = static_cast<size_t>(std::min<uint64_t>(room, take - done));
                    buf.insert(buf.end(), src + done, src + done + k);
                    done += k;
                    if (buf.size() == block) push_block(*it.job);
                }
                if (counter) counter->fetch_add(take, std::memory_order_relaxed);
                ext_done += take;
                if (ext_done < x.length) return;  // the chunk ended inside this extent
                ext_done = 0;
                if (++ext == it.extents.size()) {
                    push_block(*it.job);
                    it.job->blocks.close();
                    it.job.reset();
                    std::vector<layout::Extent>().swap(it.extents);
                    open = false;
                    ext = 0;
                    ++cur;
                }
            }
        }
        // After a failed or cancelled stream: the open item ends with the error; the items not
        // started are returned to the caller.
        std::deque<Item> stop(const std::string& why, bool cancelled) {
            if (open && cur < items.size()) {
                Job& j = *items[cur].job;
                push_block(j);
                j.read_ok = false;
                j.read_error = why;
                j.cancelled = cancelled;
                j.blocks.close();
                ++cur;
                open = false;
            }
            std::deque<Item> rest(std::make_move_iterator(items.begin() + static_cast<std::ptrdiff_t>(cur)),
                                  std::make_move_iterator(items.end()));
            items.clear();
            cur = 0;
            return rest;
        }
    };

    static constexpr size_t kMaxPendingFiles = 200000;   // bounds the memory of a huge file system
    static constexpr uint64_t kMaxStreamGap = 8 << 20;   // a fragmented file spanning more is read on its own

    static uint64_t extents_end(const std::vector<layout::Extent>& x) { return x.back().offset + x.back().length; }

    // Feeds the files put aside (of file system f; null at the end of the evidence) and the
    // pending unallocated ranges (those before the end of f) from the stream.
    void stream_pending(const layout::FsInfo* f) {
        const uint64_t pos = stream_->position();
        // Files in image order; one whose extents run backwards, or with wide gaps, or that
        // overlaps the file before it, is read on its own afterwards.
        std::sort(pending_files_.begin(), pending_files_.end(), [](const FileRow& a, const FileRow& b) {
            return a.e.extents.front().offset < b.e.extents.front().offset;
        });
        // Ranges of one kind never overlap, but kinds do (a slack range's margins reach into the
        // next block, which may be free space): each group has its own lane and thread.
        Lane files, ranges[kRangeLanes];
        std::vector<FileRow> later;
        uint64_t cursor = pos, stream_end = pos;
        // Taken from the front as they become lane items, so the rows are not held twice.
        for (; !pending_files_.empty(); pending_files_.pop_front()) {
            FileRow& row = pending_files_.front();
            const auto& x = row.e.extents;
            bool ascending = true;
            uint64_t bytes = 0;
            for (size_t i = 0; i < x.size(); ++i) {
                bytes += x[i].length;
                if (i && x[i].offset < x[i - 1].offset + x[i - 1].length) ascending = false;
            }
            const uint64_t end = extents_end(x);
            // A file whose extents reach past the end of the image (a truncated image) is read
            // through TSK, which says how far it got.
            if (!stream_->failed() && x.front().offset >= cursor && ascending && end <= stream_->size() &&
                end - x.front().offset - bytes <= kMaxStreamGap) {
                std::vector<layout::Extent> ext = std::move(row.e.extents);
                row.e.extents = {};
                files.items.push_back({std::move(ext), std::make_unique<FileRow>(std::move(row)), std::nullopt, nullptr});
                cursor = end;
            } else {
                later.push_back(std::move(row));
            }
        }
        pending_files_.clear();
        stream_end = cursor;
        // Ranges: those ahead of the stream and before the end of this file system; a range
        // already behind the stream is left to scan_unallocated (read on its own).
        const uint64_t limit = f ? f->offset + f->block_count * f->block_size : UINT64_MAX;
        std::set<std::pair<std::string, uint64_t>> done;  // (kind, start) of ranges a previous run scanned
        if (!pending_ranges_.empty()) {
            writer_.flush();
            index::Stmt q = idx_.db().prepare(
                "SELECT kind, start_offset FROM unalloc_ranges WHERE evidence_id=? AND volume='' AND scanned=1");
            q.bind(1, evidence_id_);
            while (q.step()) done.insert({q.col_text(0), static_cast<uint64_t>(q.col_int(1))});
        }
        std::sort(pending_ranges_.begin(), pending_ranges_.end(),
                  [](const PendingRange& a, const PendingRange& b) { return a.r.start < b.r.start; });
        std::vector<PendingRange> keep;
        uint64_t rcursor[kRangeLanes];
        std::fill(std::begin(rcursor), std::end(rcursor), pos);
        for (auto& pr : pending_ranges_) {
            if (pr.r.start >= limit) {
                keep.push_back(std::move(pr));
                continue;
            }
            const int g = range_group(pr.r.kind);
            if (done.count({pr.r.kind, pr.r.start}) || pr.r.start < rcursor[g] || stream_->failed() ||
                pr.r.start + pr.r.length > stream_->size())
                continue;  // left to scan_unallocated, which reads it on its own
            ranges[g].items.push_back({{{pr.r.start, pr.r.length}}, nullptr, pr, nullptr});
            rcursor[g] = pr.r.start + pr.r.length;
            stream_end = std::max(stream_end, rcursor[g]);
        }
        pending_ranges_ = std::move(keep);

        files.block = block_size_;
        files.counter = &progress_.content_bytes;
        files.start = [this](const std::shared_ptr<Job>& j) {
            inflight_.fetch_add(1);
            jobs_.push(j);
        };
        bool any = !files.items.empty(), unfinished = false;
        for (int g = 0; g < kRangeLanes; ++g) {
            ranges[g].counter = &progress_.content_bytes;
            ranges[g].start = [this, g](const std::shared_ptr<Job>& j) {
                start_range_thread(g);
                inflight_.fetch_add(1);
                range_lanes_[g].jobs.push(j);
            };
            any = any || !ranges[g].items.empty();
        }
        if (any) {
            stream_->advance(stream_end, [&](uint64_t off, const uint8_t* p, size_t n) {
                files.feed(off, p, n);
                for (auto& r : ranges) r.feed(off, p, n);
            });
        }
        unfinished = files.cur < files.items.size();
        for (auto& r : ranges) unfinished = unfinished || r.cur < r.items.size();
        if (stream_->failed() || unfinished) {
            const bool cancelled = g_cancel.load();
            const std::string why = stream_->failed() ? stream_->error()
                                                      : "the image ended at offset " + std::to_string(stream_->position());
            for (auto& item : files.stop(why, cancelled)) {
                if (!cancelled) later.push_back(std::move(*item.row));  // read through TSK instead
            }
            for (auto& r : ranges) r.stop(why, cancelled);  // not marked scanned: scan_unallocated reads them
            if (!cancelled) error(label_, "the sequential read of the image stopped: " + why +
                                              "; the rest is read file by file");
        }
        // What the stream could not serve, read through TSK while the file system is open.
        if (f && f->read_again)
            for (auto& row : later) {
                if (g_cancel.load()) break;
                const layout::FileEntry e = row.e;
                read_now(std::move(row), [&](const layout::BlockFn& fn, std::string& err) {
                    return f->read_again(e, fn, err);
                });
            }
    }

    // Which range lane: free space (and space outside file systems), file slack, metadata.
    static constexpr int kRangeLanes = 3;
    static int range_group(const std::string& kind) {
        return kind == "file_slack" ? 1 : kind == "fs_metadata" ? 2 : 0;
    }
    struct RangeLane {
        BoundedQueue<std::shared_ptr<Job>> jobs{4};
        std::thread thread;
    };

    void start_range_thread(int g) {
        RangeLane& lane = range_lanes_[g];
        if (lane.thread.joinable()) return;
        lane.thread = std::thread([this, &lane, g] {
            util::name_thread(g == 0 ? "range-free" : g == 1 ? "range-slack" : "range-meta");
            Worker w(*dets_, limits_, TRIAGE_WANT_UNALLOC);
            std::unique_ptr<Worker> carved_worker;  // made when the first item is carved
            while (auto j = lane.jobs.pop()) {
                auto job = std::move(*j);
                const uint64_t size = object_size(*job);
                try {
                    process_range(w, carved_worker, *job);
                } catch (const std::exception& ex) {  // the index writer stopped (disk full ...)
                    set_fatal(ex.what());
                    while (job->blocks.pop()) {
                    }
                }
                finish_job();
                job.reset();
                if (size >= kTrimAfterBytes) malloc_trim(0);  // its carved items' buffers (see worker_main)
            }
        });
    }

private:

    void finish_job() {
        if (inflight_.fetch_sub(1) == 1) {
            std::lock_guard lock(idle_mu_);
            idle_cv_.notify_all();
        }
    }

    index::CaseIndex& idx_;
    index::IndexWriter& writer_;
    int64_t evidence_id_;
    std::string label_;
    Progress& progress_;
    InstanceLimits limits_;
    BoundedQueue<std::shared_ptr<Job>> jobs_;
    std::vector<std::thread> workers_;
    std::atomic<int64_t> inflight_{0};
    std::mutex idle_mu_;
    std::condition_variable idle_cv_;
    std::atomic<int64_t> next_file_id_{1};
    int64_t next_fs_id_ = 1, fs_id_ = 0;
    uint64_t whole_cap_ = 64 << 20;
    std::unordered_set<std::string> existing_keys_;
    const std::vector<const LoadedDetector*>* dets_ = nullptr;
    ImageStream* stream_ = nullptr;
    size_t block_size_ = 1 << 20;
    std::deque<FileRow> pending_files_;  // a deque: no doubling, and freed from the front
    std::vector<PendingRange> pending_ranges_;
    RangeLane range_lanes_[kRangeLanes];
    bool wants_unalloc_ = false;
    bool base_flushed_ = false;
    std::mutex none_mu_;
    int64_t none_fs_ = 0;
    int errors_ = 0;
    mutable std::mutex fatal_mu_;
    std::string fatal_;
};

std::string fmt_eta(double secs) {
    if (secs < 0 || secs > 360000) return "--:--";
    int s = static_cast<int>(secs);
    char buf[32];
    std::snprintf(buf, sizeof buf, "%d:%02d:%02d", s / 3600, (s / 60) % 60, s % 60);
    return buf;
}

// Prints a one-line progress display on a terminal.
class ProgressPrinter {
public:
    ProgressPrinter(Progress& p, bool enabled) : p_(p), enabled_(enabled) {
        if (enabled_)
            thread_ = std::thread([this] {
                util::name_thread("progress");
                loop();
            });
    }
    ~ProgressPrinter() { stop(); }
    void stop() {
        if (!thread_.joinable()) return;
        {
            std::lock_guard lock(mu_);
            stop_ = true;
        }
        cv_.notify_all();
        thread_.join();
        std::fputs("\r\033[K", stderr);
        std::fflush(stderr);
    }

private:
    void loop() {
        auto start = std::chrono::steady_clock::now();
        std::unique_lock lock(mu_);
        while (!cv_.wait_for(lock, std::chrono::milliseconds(500), [&] { return stop_; })) {
            double el = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
            uint64_t img = p_.image_bytes.load(), content = p_.content_bytes.load();
            double rate = el > 0 ? static_cast<double>(img + content) / el : 0;
            double img_rate = el > 0 ? static_cast<double>(img) / el : 0;
            double eta = img_rate > 0 ? static_cast<double>(p_.image_size - std::min(img, p_.image_size)) / img_rate : -1;
            std::fprintf(stderr, "\r\033[K%s: image %s/%s (%.0f%%) | files %llu | content %s | %s/s | ETA %s",
                         p_.label.c_str(), util::human_bytes(img).c_str(), util::human_bytes(p_.image_size).c_str(),
                         p_.image_size ? 100.0 * static_cast<double>(img) / static_cast<double>(p_.image_size) : 100.0,
                         static_cast<unsigned long long>(p_.files.load()), util::human_bytes(content).c_str(),
                         util::human_bytes(static_cast<uint64_t>(rate)).c_str(), fmt_eta(eta).c_str());
            std::fflush(stderr);
        }
    }
    Progress& p_;
    bool enabled_;
    std::mutex mu_;
    std::condition_variable cv_;
    bool stop_ = false;
    std::thread thread_;
};

json segments_json(const evidence::Image& img) {
    json a = json::array();
    for (const auto& s : img.segments()) a.push_back(s);
    return a;
}

}  // namespace

int run_scan(const ScanOptions& opt, const DetectorSet& detectors) {
    index::CaseIndex idx(opt.case_dir, true);
    idx.set_case_details(opt.case_number, opt.examiner);
    const auto dets = detectors.enabled();
    json det_list = json::array();
    for (const auto* d : dets) det_list.push_back({{"name", d->desc->name}, {"version", d->desc->version}, {"origin", d->origin}});
    idx.audit("scan started", {{"command", opt.command_line},
                               {"examiner", opt.examiner},
                               {"case_number", opt.case_number},
                               {"images", opt.images},
                               {"detectors", det_list},
                               {"skip_known_good", opt.skip_known_good},
                               {"tool", "triage " TRIAGE_VERSION}});
    const unsigned jobs = opt.jobs ? opt.jobs : std::max(1u, std::thread::hardware_concurrency());
    InstanceLimits limits;
    limits.object_budget = std::chrono::milliseconds(static_cast<int64_t>(opt.detector_timeout_s * 1000));
    limits.memory_bytes = opt.plugin_memory_mb << 20;
    limits.whole_cap_bytes = opt.whole_object_cap_mb << 20;
    limits.split_object_bytes = opt.split_object_mb << 20;
    limits.split_groups = std::clamp(std::thread::hardware_concurrency(), 2u, 4u);
    limits.skip_known_good = opt.skip_known_good;
    // Every detector starts (options checked, rules compiled ...) before any evidence is read.
    std::vector<StartMessage> start_messages;
    if (std::string why = start_detectors(dets, limits, &start_messages); !why.empty()) {
        std::cerr << "triage scan: " << why << "\n";
        idx.audit("scan refused", {{"reason", why}});
        return kExitUsage;
    }
    for (const auto& m : start_messages) {
        if (m.error)
            idx.db()
                .prepare("INSERT INTO errors(evidence_id, location, detector, message, time) SELECT NULL, ?1, ?2, ?3, ?4 "
                         "WHERE NOT EXISTS (SELECT 1 FROM errors WHERE evidence_id IS NULL AND location = ?1 AND "
                         "message = ?3)")
                .bind(1, "detector " + m.detector)
                .bind(2, m.detector)
                .bind(3, m.message)
                .bind(4, util::now_iso_utc())
                .run();
        idx.audit(m.error ? "detector error" : "detector warning", {{"detector", m.detector}, {"message", m.message}});
    }
    struct StopDetectors {
        const std::vector<const LoadedDetector*>& d;
        ~StopDetectors() { stop_detectors(d); }
    } stop_guard{dets};
    const bool show_progress = !opt.quiet && ::isatty(STDERR_FILENO);
    int exit_code = kExitOk;

    size_t n = 0;
    for (; n < opt.images.size() && !g_cancel.load(); ++n) {
        const std::string& path = opt.images[n];
        std::unique_ptr<evidence::Image> img;
        try {
            img = evidence::open_image(path);
        } catch (const std::exception& e) {
            std::cerr << "triage: " << e.what() << "\n";
            idx.audit("evidence not opened", {{"path", path}, {"error", e.what()}});
            exit_code = kExitEvidenceUnreadable;
            continue;
        }
        if (img->size() == 0) {
            std::cerr << "triage: evidence '" << path << "' holds no data (0 bytes)\n";
            exit_code = kExitEvidenceUnreadable;
            continue;
        }
        const std::string fp = fingerprint(*img);
        int64_t evidence_id = 0;
        bool resume = false;
        {
            index::Stmt s = idx.db().prepare("SELECT evidence_id, status FROM evidence WHERE fingerprint=?");
            s.bind(1, fp);
            if (s.step()) {
                evidence_id = s.col_int(0);
                if (s.col_text(1) == "complete") {
                    if (!opt.quiet)
                        std::cerr << "triage: '" << path << "' is already in this case as evidence " << evidence_id
                                  << "; nothing added\n";
                    idx.audit("evidence already indexed", {{"path", path}, {"evidence_id", evidence_id}});
                    continue;
                }
                resume = true;
            }
        }
        if (!resume) {
            idx.db()
                .prepare("INSERT INTO evidence(path, segments, format, size, sector_size, fingerprint, stored_md5, "
                         "stored_sha1, added) VALUES (?,?,?,?,?,?,?,?,?)")
                .bind(1, fs::absolute(path).string())
                .bind(2, segments_json(*img).dump())
                .bind(3, img->format())
                .bind(4, img->size())
                .bind(5, static_cast<int64_t>(img->sector_size()))
                .bind(6, fp)
                .bind(7, img->stored_hashes().md5.empty() ? nullptr : img->stored_hashes().md5.c_str())
                .bind(8, img->stored_hashes().sha1.empty() ? nullptr : img->stored_hashes().sha1.c_str())
                .bind(9, util::now_iso_utc())
                .run();
            evidence_id = idx.db().last_insert_id();
        }
        idx.audit(resume ? "evidence scan resumed" : "evidence opened",
                  {{"evidence_id", evidence_id},
                   {"path", fs::absolute(path).string()},
                   {"segments", segments_json(*img)},
                   {"format", img->format()},
                   {"size", img->size()},
                   {"stored_md5", img->stored_hashes().md5},
                   {"stored_sha1", img->stored_hashes().sha1}});
        for (const auto* d : dets)
            idx.db()
                .prepare("INSERT OR REPLACE INTO detector_runs(evidence_id, detector, version, origin) VALUES (?,?,?,?)")
                .bind(1, evidence_id)
                .bind(2, d->desc->name)
                .bind(3, d->desc->version)
                .bind(4, d->origin)
                .run();

        Progress progress;
        progress.image_size = img->size();
        progress.label = fs::path(path).filename().string();
        ProgressPrinter printer(progress, show_progress);

        // The acquisition hash: from the one sequential read that also feeds the files, or
        // (one_read off) beside the walk on a handle of its own.
        evidence::ImageHashes hashes;
        std::unique_ptr<evidence::Image> hash_handle;
        std::unique_ptr<ImageStream> stream;
        unsigned stream_readers = 0;
        std::thread hasher;
        if (opt.one_read) {
            stream_readers = ImageStream::readers_for(img->format(), jobs);
            stream = std::make_unique<ImageStream>(*img, stream_readers, &g_cancel, &progress.image_bytes);
        } else {
            hash_handle = img->reopen();
            hasher = std::thread([&] {
                util::name_thread("image-hash");
                hashes = evidence::hash_image(*hash_handle, &progress.image_bytes, &g_cancel);
            });
        }

        layout::WalkSummary summary;
        uint64_t writer_ops = 0, writer_peak_bytes = 0, writer_full_waits = 0, handles_renewed = 0, library_reads = 0;
        double writer_busy = 0;
        const auto scan_start = std::chrono::steady_clock::now();
        int walk_errors = 0;
        bool integrity_problems = false;
        std::string fatal;
        {
            index::IndexWriter writer(fs::path(opt.case_dir) / index::kIndexFile);
            try {
                EvidenceScan scan(idx, writer, evidence_id, path, dets, jobs, progress, limits);
                if (stream) scan.use_stream(stream.get(), opt.block_size);
                layout::WalkOptions wo;
                wo.extents = stream != nullptr;
                wo.block_size = opt.block_size;
                wo.cancel = &g_cancel;
                wo.reuse_snapshots = opt.reuse_snapshots;
                static const volumes::Secrets kNoSecrets;
                wo.secrets = n < opt.secrets.size() ? &opt.secrets[n] : &kNoSecrets;
                if (!wo.secrets->empty())  // which kinds were given, never the secrets themselves
                    idx.audit("secrets supplied", {{"evidence_id", evidence_id}, {"kinds", wo.secrets->kinds()}});
                try {
                    summary = layout::walk(img->tsk(), path, scan, wo);
                } catch (const evidence::ImageError& e) {
                    scan.error(path, e.what());
                }
                scan.wait_idle();
                if (stream && scan.fatal().empty()) {
                    hashes = scan.finish_stream();
                    scan.wait_idle();
                }
                if (scan.wants_unallocated() && scan.fatal().empty() && !g_cancel.load()) scan.scan_unallocated(*img, summary.opened);
                scan.finish_workers();
                if (!scan.fatal().empty()) throw std::runtime_error(scan.fatal());
                walk_errors = scan.errors();
                if (hasher.joinable()) hasher.join();
                for (const auto& m : stream ? stream->integrity_errors() : hash_handle->integrity_errors()) {
                    scan.error(path, m);
                    integrity_problems = true;
                }
                for (const auto& m : img->integrity_errors()) {
                    scan.error(path, m);
                    integrity_problems = true;
                }
                if (!hashes.complete && !g_cancel.load())
                    scan.error(path, "image hash incomplete: " + hashes.error);
                writer.flush();
                writer.stop();
                writer_ops = writer.committed_ops();
                writer_busy = writer.busy_seconds();
                writer_peak_bytes = writer.peak_bytes();
                writer_full_waits = writer.full_waits();
                handles_renewed = img->handles_renewed() + (stream ? stream->handles_renewed() : hash_handle->handles_renewed());
                library_reads = img->library_reads() + (stream ? stream->library_reads() : hash_handle->library_reads());
            } catch (const std::exception& e) {
                fatal = e.what();
                if (hasher.joinable()) {
                    g_cancel = true;
                    hasher.join();
                }
            }
        }
        printer.stop();
        if (!fatal.empty()) {
            std::cerr << "triage: scan of '" << path << "' stopped: " << util::terminal_safe(fatal) << "\n";
            try {
                idx.audit("scan failed", {{"evidence_id", evidence_id}, {"error", fatal}});
            } catch (...) {
            }
            return kExitEvidenceUnreadable;
        }
        const std::string verification = evidence::verdict(img->stored_hashes(), hashes, integrity_problems);
        if (g_cancel.load()) {
            idx.audit("scan interrupted", {{"evidence_id", evidence_id}, {"files_seen", progress.files.load()}});
            std::cerr << "triage: interrupted; the index is consistent and a new run resumes this evidence\n";
            return kExitInterrupted;
        }
        index::Stmt up = idx.db().prepare(
            "UPDATE evidence SET computed_md5=?, computed_sha1=?, computed_sha256=?, verification=?, status='complete', "
            "completed=? WHERE evidence_id=?");
        up.bind(1, hashes.complete ? hashes.md5.c_str() : nullptr)
            .bind(2, hashes.complete ? hashes.sha1.c_str() : nullptr)
            .bind(3, hashes.complete ? hashes.sha256.c_str() : nullptr)
            .bind(4, verification)
            .bind(5, util::now_iso_utc())
            .bind(6, evidence_id)
            .run();
        int64_t nfiles = index::query_int(idx.db(), "SELECT count(*) FROM files WHERE evidence_id=" + std::to_string(evidence_id));
        int64_t nerr = index::query_int(idx.db(), "SELECT count(*) FROM errors WHERE evidence_id=" + std::to_string(evidence_id));
        idx.audit("evidence scanned", {{"evidence_id", evidence_id},
                                       {"verification", verification},
                                       {"computed_md5", hashes.md5},
                                       {"computed_sha1", hashes.sha1},
                                       {"computed_sha256", hashes.sha256},
                                       {"volumes", summary.volumes},
                                       {"filesystems", summary.filesystems},
                                       {"files", nfiles},
                                       {"content_bytes_read", progress.content_bytes.load()},
                                       {"read_mode", opt.one_read ? "one sequential read" : "file by file"},
                                       {"image_bytes_streamed", opt.one_read ? hashes.bytes : 0},
                                       {"stream_readers", stream_readers},
                                       {"bytes_read_again", progress.targeted_bytes.load()},
                                       {"scan_seconds", std::chrono::duration<double>(std::chrono::steady_clock::now() - scan_start).count()},
                                       {"index_writer",
                                        {{"operations", writer_ops},
                                         {"busy_seconds", writer_busy},
                                         {"peak_queued_bytes", writer_peak_bytes},
                                         {"posts_waited_for_room", writer_full_waits}}},
                                       {"container_handles_renewed", handles_renewed},
                                       {"container_library_reads", library_reads},
                                       {"snapshot_bytes_reused", progress.reused_bytes.load()},
                                       {"errors", nerr}});
        if (!hashes.complete) exit_code = kExitEvidenceUnreadable;
        if (!opt.quiet) {
            std::cerr << "triage: " << path << " [" << img->format() << ", " << util::human_bytes(img->size())
                      << "]: " << summary.volumes << " volume entries, " << summary.filesystems << " file systems, "
                      << nfiles << " files indexed, " << nerr << " errors; verification: " << verification << "\n";
            if (progress.reused_bytes.load() > 0)
                std::cerr << "triage: shadow copies: " << util::human_bytes(progress.reused_bytes.load())
                          << " of unchanged files not read again (hashes taken from the current volume)\n";
            if (summary.filesystems == 0)
                std::cerr << "triage: warning: no file system could be read in '" << path
                          << "'; the whole image is recorded as unallocated space\n";
        }
        (void)walk_errors;
    }
    if (n < opt.images.size()) {
        // SIGINT/SIGTERM before this evidence item was opened: not a finished scan.
        idx.audit("scan interrupted", {{"before", fs::absolute(opt.images[n]).string()}});
        std::cerr << "triage: interrupted; the index is consistent and a new run resumes this evidence\n";
        return kExitInterrupted;
    }
    idx.audit("scan finished", {{"exit_code", exit_code}});
    return exit_code;
}

}  // namespace triage::engine
