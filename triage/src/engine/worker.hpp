// A scan worker: its own instance of every enabled detector (so detectors need no locks),
// driven through begin -> blocks -> end for each object, with every callback's failure
// recorded and the detector skipped for the rest of that object.
#pragma once

#include "engine/bounded_queue.hpp"
#include "engine/detectors.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <chrono>
#include <vector>

namespace triage::engine {

struct FindingRec {
    std::string detector, version, kind, rule, category, detail;
    std::optional<int64_t> severity, offset, length;
};

struct ErrorRec {
    std::string detector, message;
};

struct HashRec {
    std::string detector, algorithm, value;  // value: lower-case hex
};

struct PropertyRec {
    std::string detector, key, value;
};

// Bytes a detector derived from the object (extracted, carved), to be scanned in turn.
struct ChildRec {
    std::string detector, relative_path;
    std::vector<uint8_t> data;
    int64_t parent_offset = -1;
};

// What the detectors said about one object.
struct ObjectResult {
    std::vector<HashRec> hashes;
    std::vector<PropertyRec> properties;
    std::vector<FindingRec> findings;
    std::vector<ErrorRec> errors;
    std::vector<ChildRec> children;
    uint64_t child_bytes = 0;
    // Marks set through mark_object (host API v2), kept in files.known_good / files.sensitive.
    bool known_good = false;
    bool sensitive = false;
    bool skip_heavy = false;  // known good and the examiner skips known-good files for heavy detectors
};

// Bit flags of the marks as they cross the plugin-process channel.
inline constexpr uint32_t kMarkKnownGood = 0x1, kMarkSensitive = 0x2, kMarkSkip = 0x4;
inline uint32_t mark_bits(const ObjectResult& r) {
    return (r.known_good ? kMarkKnownGood : 0) | (r.sensitive ? kMarkSensitive : 0) | (r.skip_heavy ? kMarkSkip : 0);
}
// Applies mark_object(FLAG) to r; false for an unknown flag.
inline bool apply_mark(ObjectResult& r, const char* flag) {
    if (!flag) return false;
    const std::string f(flag);
    if (f == "known_good") r.known_good = true;
    else if (f == "sensitive") r.sensitive = true;
    else return false;
    return true;
}
// set_property's rules: a short lower-case key, a bounded value.
inline bool valid_property(const char* key, const char* value) {
    if (!key || !value) return false;
    size_t n = 0;
    for (const char* p = key; *p; ++p, ++n) {
        const char c = *p;
        if (n >= 64 || !((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-'))
            return false;
    }
    size_t m = 0;
    while (value[m] && m <= 4096) ++m;
    return n > 0 && m <= 4096;
}
inline void add_property(ObjectResult& r, const std::string& detector, const std::string& key, const std::string& value) {
    for (auto& p : r.properties)
        if (p.detector == detector && p.key == key) {
            p.value = value;
            return;
        }
    r.properties.push_back({detector, key, value});
}
inline int query_mark(const ObjectResult& r, const char* flag) {
    if (!flag) return 0;
    const std::string f(flag);
    return (f == "known_good" && r.known_good) || (f == "sensitive" && r.sensitive) || (f == "skip" && r.skip_heavy);
}

// Caps on what one object's detectors may emit as children (zip-bomb safety lives in the
// detectors; this is the host's backstop).
inline constexpr uint64_t kMaxChildBytesPerObject = 256ull << 20;

struct Block {
    std::vector<uint8_t> data;
    uint64_t offset = 0;   // object offset of data[0]
};

// The object handed to detectors (see triage_object_info).
struct ObjectDesc {
    int kind = TRIAGE_OBJECT_FILE;
    int64_t object_id = -1;
    std::string path, name;
    uint64_t size = 0;
    bool allocated = true;
    uint64_t image_offset = 0;
    // Called after each block and once after the streaming detectors end, with what they emitted
    // so far: the scan takes carved children out of unallocated ranges here, so that a range's
    // items are processed (and freed) as they come instead of piling up until the range ends.
    std::function<void(ObjectResult&)> after_block;
};

class DetectorInstance;
struct InstanceLimits;

class Worker {
public:
    // only_wants: when non-zero, only the detectors whose wants share a bit with it get an
    // instance (a worker for unallocated ranges needs no file-type or YARA instance).
    Worker(const std::vector<const LoadedDetector*>& detectors, const InstanceLimits& limits, uint32_t only_wants = 0);
    ~Worker();
    Worker(const Worker&) = delete;
    Worker& operator=(const Worker&) = delete;

    // Runs the detectors that want this kind of object over its blocks until the queue closes:
    // for files, the streaming (TRIAGE_WANT_BLOCKS) and whole-object (TRIAGE_WANT_WHOLE, up to
    // whole_cap bytes) detectors, then the metadata detectors with the hashes known; for
    // unallocated ranges, the TRIAGE_WANT_UNALLOC detectors.
    ObjectResult process(const ObjectDesc& object, BoundedQueue<Block>& blocks, uint64_t whole_cap);

private:
    struct Slot {
        const LoadedDetector* det;
        std::unique_ptr<DetectorInstance> instance;
    };
    void fail(Slot& s);
    bool timed_block(size_t slot, const Block& b, ObjectResult& out);
    void stream_split(std::vector<char>& active, BoundedQueue<Block>& blocks,
                      const std::function<void(const Block&)>& keep_whole);
    std::vector<Slot> slots_;
    ObjectResult current_;
    std::chrono::milliseconds budget_;
    bool skip_known_good_;
    uint64_t split_bytes_;            // objects this large have their streaming detectors split
    unsigned split_groups_;           // into at most this many groups, one thread each
    std::vector<double> ns_per_mib_;  // each slot's measured block() cost, for the split
};

}  // namespace triage::engine
