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

// Bytes a detector derived from the object (extracted, carved), to be scanned in turn.
struct ChildRec {
    std::string detector, relative_path;
    std::vector<uint8_t> data;
    int64_t parent_offset = -1;
};

// What the detectors said about one object.
struct ObjectResult {
    std::vector<HashRec> hashes;
    std::vector<FindingRec> findings;
    std::vector<ErrorRec> errors;
    std::vector<ChildRec> children;
    uint64_t child_bytes = 0;
};

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
    Worker(const std::vector<const LoadedDetector*>& detectors, const InstanceLimits& limits);
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
    std::vector<Slot> slots_;
    ObjectResult current_;
    std::chrono::milliseconds budget_;
};

}  // namespace triage::engine
