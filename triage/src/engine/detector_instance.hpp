// One detector's instance inside one worker, behind a common interface: built-in detectors run
// in process through the C ABI; external plugins run in a child process of their own
// (plugin_process.cpp), so a plugin that crashes, hangs or eats memory is killed and recorded
// while the scan goes on.
#pragma once

#include "engine/detectors.hpp"
#include "engine/worker.hpp"

#include <chrono>
#include <memory>
#include <string>

namespace triage::engine {

using Clock = std::chrono::steady_clock;

struct InstanceLimits {
    std::chrono::milliseconds object_budget{60000};  // per object, all phases together
    uint64_t memory_bytes = 2ull << 30;              // address-space limit of a plugin process
    uint64_t whole_cap_bytes = 64ull << 20;          // TRIAGE_WANT_WHOLE objects up to this size
    bool skip_known_good = true;                     // heavy detectors skip objects marked known_good
    // Objects of split_object_bytes or more (0: none) have their streaming detectors run in up
    // to split_groups groups, each on a thread of its own, from the same blocks (Worker).
    uint64_t split_object_bytes = 8ull << 20;
    unsigned split_groups = 2;
};

class DetectorInstance {
public:
    virtual ~DetectorInstance() = default;
    // Each phase returns false on failure (error() says why); results go to out.
    // budget: the time this detector may spend on this object, all phases together.
    // known_hashes: what get_hash() answers (the metadata phase), or null.
    virtual bool begin(const triage_object_info& info, Clock::duration budget, const std::vector<HashRec>* known_hashes,
                       ObjectResult& out) = 0;
    virtual bool block(const uint8_t* data, size_t len, uint64_t offset, ObjectResult& out) = 0;
    virtual bool end(ObjectResult& out) = 0;
    // A TRIAGE_WANT_WHOLE detector's answer to "do you want this object whole?", from its first
    // block, before begin. True when the detector cannot say (no callback, another process).
    virtual bool wants_whole(const triage_object_info& /*info*/, const uint8_t* /*head*/, size_t /*len*/) {
        return true;
    }
    virtual std::string error() const = 0;
    // False when the instance cannot be used at all (creation failed repeatedly).
    virtual bool usable() const = 0;
};

std::unique_ptr<DetectorInstance> make_in_process_instance(const LoadedDetector& det);

// Runs init() of every enabled detector once before a scan: in process for built-ins; for
// external plugins, by starting one plugin process (which runs init there). Returns an empty
// string, or a message naming the detector that refused to start.
// What a detector logged while starting: a warning (a slow rule) goes to the audit log; an
// error (a rule file skipped with --rules-skip-broken: coverage lost) also to the errors table.
struct StartMessage {
    std::string detector, message;
    bool error = false;
};
std::string start_detectors(const std::vector<const LoadedDetector*>& detectors, const InstanceLimits& limits,
                            std::vector<StartMessage>* messages = nullptr);
// Calls shutdown() of the built-ins started by start_detectors.
void stop_detectors(const std::vector<const LoadedDetector*>& detectors);
std::unique_ptr<DetectorInstance> make_plugin_process_instance(const LoadedDetector& det, const InstanceLimits& limits);

// Entry point of the child process: `triage __plugin-host SO DETECTOR [KEY=VALUE...]`,
// talking the plugin protocol on file descriptor 3.
int plugin_host_main(int argc, char** argv);

}  // namespace triage::engine
