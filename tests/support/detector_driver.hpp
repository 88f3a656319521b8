// Drives one detector through the C ABI without a scan: a fake host that records what the
// detector emits, and helpers that feed the same content in different block splits (the
// bulk_extractor habit: a result must not depend on where blocks begin).
#pragma once

#include <triage/detector_abi.h>

#include <map>
#include <set>
#include <string>
#include <vector>

namespace th {

struct Emitted {
    std::map<std::string, std::string> hashes;
    struct Finding {
        std::string kind, rule, detail;
        int64_t offset, length;
    };
    std::vector<Finding> findings;
    std::set<std::string> marks;  // what the detector passed to mark_object
    std::map<std::string, std::string> properties;  // what it passed to set_property
    int begin_rc = 0, end_rc = 0;
    std::vector<int> block_rcs;
};

class DetectorDriver {
public:
    DetectorDriver(const triage_detector& det, std::map<std::string, std::string> options = {});
    ~DetectorDriver();
    DetectorDriver(const DetectorDriver&) = delete;
    DetectorDriver& operator=(const DetectorDriver&) = delete;

    // Runs one object whose content is data, handed over in blocks that end at the given
    // split points (offsets into data).
    Emitted run(const std::string& data, const std::vector<size_t>& splits, const std::string& name = "object");

    // The host-facing state; public so the C callbacks can reach it.
    const triage_detector& det;
    std::map<std::string, std::string> options;
    std::map<std::string, std::string> known_hashes;  // what get_hash answers
    std::set<std::string> marked;                      // what object_marked answers 1 for
    Emitted* current = nullptr;
    void* instance = nullptr;
    void* shared = nullptr;
};

// The splits every detector test uses: whole, at 65, and around a 1 MiB block boundary.
std::vector<std::vector<size_t>> standard_splits(size_t size);

}  // namespace th
