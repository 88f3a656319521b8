#include "engine/worker.hpp"

#include "engine/detector_instance.hpp"

#include <algorithm>

namespace triage::engine {

Worker::Worker(const std::vector<const LoadedDetector*>& dets, const InstanceLimits& limits, uint32_t only_wants)
    : budget_(limits.object_budget), skip_known_good_(limits.skip_known_good) {
    slots_.reserve(dets.size());
    for (const auto* d : dets) {
        if (only_wants && !(d->desc->wants & only_wants)) continue;
        // Built-in detectors are part of triage and run in process; anything loaded from a
        // plugin file runs in a child process of its own.
        auto inst = d->origin == "built-in" ? make_in_process_instance(*d) : make_plugin_process_instance(*d, limits);
        slots_.push_back({d, std::move(inst)});
    }
}

Worker::~Worker() = default;

ObjectResult Worker::process(const ObjectDesc& obj, BoundedQueue<Block>& blocks, uint64_t whole_cap) {
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
    const bool unalloc = obj.kind == TRIAGE_OBJECT_UNALLOC;
    const uint32_t streaming = unalloc ? TRIAGE_WANT_UNALLOC : TRIAGE_WANT_BLOCKS;
    // The per-object budget holds for every GiB of the object: an unallocated range can be a
    // whole disk, and a file can be a 10 GB VM disk whose hashing alone outlasts one budget
    // (a hash cut off is a hash lost).
    const auto budget = budget_ * static_cast<int64_t>(std::max<uint64_t>(1, (obj.size + (1ull << 30) - 1) >> 30));

    auto start = [&](Slot& s, const std::vector<HashRec>* hashes) {
        if (!s.instance->usable()) {
            current_.errors.push_back({s.det->desc->name, "detector unavailable: " + s.instance->error()});
            return false;
        }
        if (s.instance->begin(info, budget, hashes, current_)) return true;
        fail(s);
        return false;
    };

    // Streaming detectors see each block as it arrives.
    std::vector<char> active(slots_.size(), 0);
    for (size_t i = 0; i < slots_.size(); ++i)
        if (slots_[i].det->desc->wants & streaming) active[i] = start(slots_[i], nullptr);
    // Whole-object detectors get one buffer at the end, if the object fits the cap.
    bool want_whole = false;
    if (!unalloc)
        for (const auto& s : slots_) want_whole = want_whole || (s.det->desc->wants & TRIAGE_WANT_WHOLE);
    std::vector<uint8_t> whole;
    bool whole_fits = want_whole && obj.size <= whole_cap;
    if (whole_fits) whole.reserve(obj.size);

    while (auto b = blocks.pop()) {
        for (size_t i = 0; i < slots_.size(); ++i) {
            if (!active[i]) continue;
            active[i] = slots_[i].instance->block(b->data.data(), b->data.size(), b->offset, current_);
            if (!active[i]) fail(slots_[i]);
        }
        if (obj.after_block) obj.after_block(current_);
        if (whole_fits) {
            if (whole.size() + b->data.size() > whole_cap)
                whole_fits = false;
            else
                whole.insert(whole.end(), b->data.begin(), b->data.end());
        }
    }
    // The order of the ends: light content detectors (the hashers), whole-object detectors,
    // the metadata detectors (hash sets: they mark known-good and sensitive objects), and last
    // the heavy detectors, which can then skip known-good objects.
    auto heavy = [&](const Slot& s) { return (s.det->desc->wants & TRIAGE_WANT_HEAVY) != 0; };
    auto end_streaming = [&](bool heavy_ones) {
        for (size_t i = 0; i < slots_.size(); ++i)
            if (active[i] && heavy(slots_[i]) == heavy_ones && !slots_[i].instance->end(current_)) fail(slots_[i]);
    };
    auto run_whole = [&](bool heavy_ones) {
        if (!whole_fits) return;
        for (auto& s : slots_) {
            if (!(s.det->desc->wants & TRIAGE_WANT_WHOLE) || (s.det->desc->wants & TRIAGE_WANT_BLOCKS)) continue;
            if (heavy(s) != heavy_ones || (heavy_ones && current_.skip_heavy)) continue;
            if (!start(s, nullptr)) continue;
            if (!s.instance->block(whole.data(), whole.size(), 0, current_) || !s.instance->end(current_)) fail(s);
        }
    };
    end_streaming(false);
    if (unalloc) {
        end_streaming(true);
        if (obj.after_block) obj.after_block(current_);  // children emitted by end()
        return std::move(current_);
    }
    run_whole(false);
    // Metadata detectors run when the hashes are final.
    const std::vector<HashRec> hashes = current_.hashes;
    for (auto& s : slots_) {
        if (!(s.det->desc->wants & TRIAGE_WANT_METADATA) || (s.det->desc->wants & (TRIAGE_WANT_BLOCKS | TRIAGE_WANT_WHOLE)))
            continue;
        if (start(s, &hashes) && !s.instance->end(current_)) fail(s);
    }
    current_.skip_heavy = skip_known_good_ && current_.known_good;
    end_streaming(true);
    run_whole(true);
    return std::move(current_);
}

void Worker::fail(Slot& s) {
    const std::string name = s.det->desc->name;
    // Named in the message too: two detectors failing the same way on one object are two rows
    // (the errors table keeps one row per location and message).
    current_.errors.push_back({name, "detector '" + name + "': " + s.instance->error()});
    // What this detector emitted for the object is no longer trustworthy.
    std::erase_if(current_.findings, [&](const FindingRec& f) { return f.detector == name; });
    std::erase_if(current_.hashes, [&](const HashRec& h) { return h.detector == name; });
    std::erase_if(current_.properties, [&](const PropertyRec& p) { return p.detector == name; });
    std::erase_if(current_.children, [&](const ChildRec& c) { return c.detector == name; });
}

}  // namespace triage::engine
