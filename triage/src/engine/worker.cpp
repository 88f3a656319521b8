#include "engine/worker.hpp"

#include "engine/detector_instance.hpp"

#include <algorithm>
#include <memory>
#include <thread>

namespace triage::engine {

Worker::Worker(const std::vector<const LoadedDetector*>& dets, const InstanceLimits& limits, uint32_t only_wants)
    : budget_(limits.object_budget),
      skip_known_good_(limits.skip_known_good),
      split_bytes_(limits.split_object_bytes),
      split_groups_(std::max(1u, limits.split_groups)) {
    slots_.reserve(dets.size());
    for (const auto* d : dets) {
        if (only_wants && !(d->desc->wants & only_wants)) continue;
        // Built-in detectors are part of triage and run in process; anything loaded from a
        // plugin file runs in a child process of its own.
        auto inst = d->origin == "built-in" ? make_in_process_instance(*d) : make_plugin_process_instance(*d, limits);
        slots_.push_back({d, std::move(inst)});
    }
    ns_per_mib_.assign(slots_.size(), 0.0);
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
    // Whole-object detectors get one buffer at the end, if the object fits the cap and one of
    // them wants it: each is asked at the first block (a picture decoder has no use for a video),
    // and an object none wants is not held in memory.
    auto whole_only = [&](const Slot& s) {
        return (s.det->desc->wants & TRIAGE_WANT_WHOLE) && !(s.det->desc->wants & TRIAGE_WANT_BLOCKS);
    };
    std::vector<char> whole_wanted(slots_.size(), 0);
    if (!unalloc)
        for (size_t i = 0; i < slots_.size(); ++i) whole_wanted[i] = whole_only(slots_[i]);
    std::vector<uint8_t> whole;
    bool whole_fits = std::count(whole_wanted.begin(), whole_wanted.end(), 1) > 0 && obj.size <= whole_cap;
    bool whole_asked = false;
    auto keep_whole = [&](const Block& b) {
        if (!whole_fits) return;
        if (!whole_asked) {
            whole_asked = true;
            for (size_t i = 0; i < slots_.size(); ++i)
                if (whole_wanted[i] && slots_[i].instance->usable())
                    whole_wanted[i] = slots_[i].instance->wants_whole(info, b.data.data(), b.data.size());
            if (std::count(whole_wanted.begin(), whole_wanted.end(), 1) == 0) {
                whole_fits = false;
                return;
            }
            whole.reserve(obj.size);
        }
        if (whole.size() + b.data.size() > whole_cap)
            whole_fits = false;
        else
            whole.insert(whole.end(), b.data.begin(), b.data.end());
    };
    const size_t streams = static_cast<size_t>(std::count(active.begin(), active.end(), 1));
    if (!unalloc && split_groups_ > 1 && split_bytes_ > 0 && obj.size >= split_bytes_ && streams > 1) {
        stream_split(active, blocks, keep_whole);
    } else {
        while (auto b = blocks.pop()) {
            for (size_t i = 0; i < slots_.size(); ++i) {
                if (!active[i]) continue;
                active[i] = timed_block(i, *b, current_);
                if (!active[i]) fail(slots_[i]);
            }
            if (obj.after_block) obj.after_block(current_);
            keep_whole(*b);
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
        for (size_t i = 0; i < slots_.size(); ++i) {
            auto& s = slots_[i];
            if (!whole_wanted[i]) continue;
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

bool Worker::timed_block(size_t i, const Block& b, ObjectResult& out) {
    // Only blocks of 64 KiB or more are timed: a small file's last few bytes would measure the
    // cost of a call, not of a MiB.
    if (b.data.size() < (64u << 10)) return slots_[i].instance->block(b.data.data(), b.data.size(), b.offset, out);
    const auto t0 = std::chrono::steady_clock::now();
    const bool ok = slots_[i].instance->block(b.data.data(), b.data.size(), b.offset, out);
    const double ns = static_cast<double>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0).count());
    // A running mean (weighted towards recent blocks) of this detector's cost per MiB here.
    const double per_mib = ns * static_cast<double>(1u << 20) / static_cast<double>(b.data.size());
    ns_per_mib_[i] = ns_per_mib_[i] == 0 ? per_mib : 0.99 * ns_per_mib_[i] + 0.01 * per_mib;
    return ok;
}

// A large object's streaming detectors, split into groups balanced by their measured cost per
// MiB (longest first, each to the least loaded group), each group on a thread of its own fed
// the same blocks: the object then takes the time of its costliest group, not of all its
// detectors, and the stream, which waits for this object's blocks to be taken, is held up that
// much less. Each detector instance is still used by one thread at a time; each group emits
// into its own result, merged in detector order afterwards.
void Worker::stream_split(std::vector<char>& active, BoundedQueue<Block>& blocks,
                          const std::function<void(const Block&)>& keep_whole) {
    std::vector<size_t> order;
    for (size_t i = 0; i < slots_.size(); ++i)
        if (active[i]) order.push_back(i);
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return ns_per_mib_[a] > ns_per_mib_[b]; });
    const size_t ngroups = std::min<size_t>(split_groups_, order.size());
    std::vector<std::vector<size_t>> groups(ngroups);
    std::vector<double> load(ngroups, 0.0);
    for (size_t i : order) {
        const size_t g = static_cast<size_t>(std::min_element(load.begin(), load.end()) - load.begin());
        groups[g].push_back(i);
        load[g] += std::max(ns_per_mib_[i], 1.0);  // not measured yet: counted as cheap, spread by count
    }
    using Shared = std::shared_ptr<const Block>;
    std::vector<std::unique_ptr<BoundedQueue<Shared>>> queues;
    std::vector<ObjectResult> results(ngroups);
    std::vector<std::vector<size_t>> failed(ngroups);
    auto run_group = [&](size_t g, const Block& b) {
        for (size_t i : groups[g]) {
            if (!active[i]) continue;  // each group writes only its own detectors' flags
            active[i] = timed_block(i, b, results[g]);
            if (!active[i]) failed[g].push_back(i);
        }
    };
    std::vector<std::thread> threads;
    for (size_t g = 1; g < ngroups; ++g) {
        queues.push_back(std::make_unique<BoundedQueue<Shared>>(4));
        threads.emplace_back([&, g, q = queues.back().get()] {
            while (auto b = q->pop()) run_group(g, **b);
        });
    }
    {
        // The helpers end with the blocks, also when an exception leaves this loop.
        struct Join {
            std::vector<std::unique_ptr<BoundedQueue<Shared>>>& qs;
            std::vector<std::thread>& ts;
            ~Join() {
                for (auto& q : qs) q->close();
                for (auto& t : ts) t.join();
            }
        } join{queues, threads};
        while (auto b = blocks.pop()) {
            auto shared = std::make_shared<const Block>(std::move(*b));
            for (auto& q : queues) q->push(shared);
            run_group(0, *shared);
            keep_whole(*shared);
        }
    }
    // Merge in group order; then the failures, which also drop what a failed detector emitted.
    for (auto& r : results) {
        auto move_all = [](auto& to, auto& from) { to.insert(to.end(), std::make_move_iterator(from.begin()), std::make_move_iterator(from.end())); };
        move_all(current_.hashes, r.hashes);
        for (auto& p : r.properties) add_property(current_, p.detector, p.key, p.value);
        move_all(current_.findings, r.findings);
        move_all(current_.errors, r.errors);
        move_all(current_.children, r.children);
        current_.child_bytes += r.child_bytes;
        current_.known_good = current_.known_good || r.known_good;
        current_.sensitive = current_.sensitive || r.sensitive;
    }
    for (auto& f : failed)
        for (size_t i : f) fail(slots_[i]);
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
