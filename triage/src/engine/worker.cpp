#include "engine/worker.hpp"

#include "engine/scan.hpp"

#include <algorithm>
#include <cctype>
#include <iostream>
#include <mutex>

// The host context a detector instance gets; defined here, opaque to plugins.
struct triage_host {
    const triage::engine::LoadedDetector* det = nullptr;
    triage::engine::ObjectResult* result = nullptr;  // the worker's current object
    std::string option_buf;
};

namespace triage::engine {
namespace {

void host_log(triage_host* h, int level, const char* message) {
    if (level < TRIAGE_LOG_WARNING || !message) return;
    static std::mutex mu;
    std::lock_guard lock(mu);
    std::cerr << "\n[" << h->det->desc->name << "] " << (level >= TRIAGE_LOG_ERROR ? "error: " : "warning: ") << message
              << "\n";
}

int host_emit_finding(triage_host* h, const triage_finding* f) {
    if (!f || !h->result || !f->kind) return TRIAGE_ERROR;
    FindingRec r;
    r.detector = h->det->desc->name;
    r.version = h->det->desc->version;
    r.kind = f->kind;
    r.rule = f->rule ? f->rule : "";
    r.category = f->category ? f->category : "";
    r.detail = f->detail ? f->detail : "";
    r.severity = f->severity;
    if (f->offset >= 0) r.offset = f->offset;
    if (f->length >= 0) r.length = f->length;
    h->result->findings.push_back(std::move(r));
    return TRIAGE_OK;
}

int host_emit_hash(triage_host* h, const char* alg, const char* hex) {
    if (!alg || !hex || !h->result) return TRIAGE_ERROR;
    std::string a(alg);
    for (auto& c : a) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    h->result->hashes.push_back({h->det->desc->name, a, hex});
    return TRIAGE_OK;
}

int host_emit_child(triage_host* h, const char*, const uint8_t*, size_t, int64_t) {
    if (h->result)
        h->result->errors.push_back({h->det->desc->name, "emit_child: child objects are not accepted by this host yet"});
    return TRIAGE_ERROR;
}

const char* host_get_option(triage_host* h, const char* key) {
    if (!key) return nullptr;
    auto it = h->det->options.find(key);
    if (it != h->det->options.end()) {
        h->option_buf = it->second;
        return h->option_buf.c_str();
    }
    for (size_t i = 0; i < h->det->desc->option_count; ++i)
        if (std::string(key) == h->det->desc->options[i].key) return h->det->desc->options[i].default_value;
    return nullptr;
}

int host_is_cancelled(triage_host*) { return g_cancel.load(std::memory_order_relaxed) ? 1 : 0; }

const triage_host_api kHostApi{sizeof(triage_host_api), TRIAGE_HOST_API_VERSION, host_log, host_emit_finding,
                               host_emit_hash,          host_emit_child,         host_get_option, host_is_cancelled};

}  // namespace

Worker::Worker(const std::vector<const LoadedDetector*>& dets) {
    slots_.reserve(dets.size());
    for (const auto* d : dets) {
        auto host = std::make_unique<triage_host>();
        host->det = d;
        host->result = &current_;
        void* inst = d->desc->create(&kHostApi, host.get());
        slots_.push_back({d, std::move(host), inst});
    }
}

Worker::~Worker() {
    for (auto& s : slots_)
        if (s.instance) s.det->desc->destroy(s.instance);
}

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
        if (!s.instance) {
            current_.errors.push_back({s.det->desc->name, "detector could not be created"});
            continue;
        }
        active[i] = call(s, s.det->desc->object_begin(s.instance, &info), "object_begin");
    }
    while (auto b = blocks.pop()) {
        for (size_t i = 0; i < slots_.size(); ++i)
            if (active[i])
                active[i] = call(slots_[i],
                                 slots_[i].det->desc->object_block(slots_[i].instance, b->data.data(), b->data.size(),
                                                                   b->offset),
                                 "object_block");
    }
    for (size_t i = 0; i < slots_.size(); ++i)
        if (active[i]) call(slots_[i], slots_[i].det->desc->object_end(slots_[i].instance), "object_end");
    return std::move(current_);
}

bool Worker::call(Slot& s, int rc, const char* phase) {
    if (rc == TRIAGE_OK) return true;
    std::string msg = std::string(phase) + " failed";
    if (s.det->desc->last_error) {
        const char* m = s.det->desc->last_error(s.instance);
        if (m && *m) msg += ": " + std::string(m);
    }
    current_.errors.push_back({s.det->desc->name, msg});
    // What this detector emitted for the object is no longer trustworthy.
    const std::string name = s.det->desc->name;
    std::erase_if(current_.findings, [&](const FindingRec& f) { return f.detector == name; });
    std::erase_if(current_.hashes, [&](const HashRec& h) { return h.detector == name; });
    return false;
}

}  // namespace triage::engine
