#include "engine/worker.hpp"

#include "engine/detector_instance.hpp"

#include <algorithm>

namespace triage::engine {

Worker::Worker(const std::vector<const LoadedDetector*>& dets, const InstanceLimits& limits)
    : budget_(limits.object_budget) {
    slots_.reserve(dets.size());
    for (const auto* d : dets) {
        // Built-in detectors are part of triage and run in process; anything loaded from a
        // plugin file runs in a child process of its own.
        auto inst = d->origin == "built-in" ? make_in_process_instance(*d) : make_plugin_process_instance(*d, limits);
        slots_.push_back({d, std::move(inst)});
    }
}

Worker::~Worker() = default;

ObjectResult Worker::process(const ObjectDesc& obj, BoundedQueue<Block>& blocks) {
    current_ = ObjectResult{};
    triage_object_info info{};
    info.struct_size = sizeof info;
    info.kind = obj.kind;
    info.object_id = obj.object_id;
    info.path = obj.path.c_str();
    info.name = obj.name.c_str();
    info.size = obj.size;
    info.allocated = obj.allocated ? 1 : 0;
    info.image_offset = obj.image_offset;
    std::vector<char> active(slots_.size(), 0);
    for (size_t i = 0; i < slots_.size(); ++i) {
        auto& s = slots_[i];
        if (!(s.det->desc->wants & TRIAGE_WANT_BLOCKS)) continue;
        if (!s.instance->usable()) {
            current_.errors.push_back({s.det->desc->name, "detector unavailable: " + s.instance->error()});
            continue;
        }
        active[i] = s.instance->begin(info, budget_, current_);
        if (!active[i]) fail(s);
    }
    while (auto b = blocks.pop()) {
        for (size_t i = 0; i < slots_.size(); ++i) {
            if (!active[i]) continue;
            active[i] = slots_[i].instance->block(b->data.data(), b->data.size(), b->offset, current_);
            if (!active[i]) fail(slots_[i]);
        }
    }
    for (size_t i = 0; i < slots_.size(); ++i)
        if (active[i] && !slots_[i].instance->end(current_)) fail(slots_[i]);
    return std::move(current_);
}

void Worker::fail(Slot& s) {
    const std::string name = s.det->desc->name;
    current_.errors.push_back({name, s.instance->error()});
    // What this detector emitted for the object is no longer trustworthy.
    std::erase_if(current_.findings, [&](const FindingRec& f) { return f.detector == name; });
    std::erase_if(current_.hashes, [&](const HashRec& h) { return h.detector == name; });
}

}  // namespace triage::engine
