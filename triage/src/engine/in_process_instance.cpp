#include "engine/detector_instance.hpp"

#include "engine/scan.hpp"
#include "util/text.hpp"

#include <algorithm>
#include <cctype>
#include <cstddef>
#include <iostream>
#include <mutex>

// The host context a detector instance gets; defined here, opaque to plugins.
struct triage_host {
    const triage::engine::LoadedDetector* det = nullptr;
    triage::engine::ObjectResult* result = nullptr;  // the worker's current object
    std::string option_buf;
    triage::engine::Clock::time_point deadline = triage::engine::Clock::time_point::max();
    const std::vector<triage::engine::HashRec>* known_hashes = nullptr;
    std::vector<std::pair<int, std::string>>* init_log = nullptr;  // logged during init, kept for the index
};

namespace triage::engine {
namespace {

void host_log(triage_host* h, int level, const char* message) {
    if (level < TRIAGE_LOG_WARNING || !message) return;
    if (h->init_log) h->init_log->push_back({level, message});
    static std::mutex mu;
    std::lock_guard lock(mu);
    std::cerr << "\n[" << h->det->desc->name << "] " << (level >= TRIAGE_LOG_ERROR ? "error: " : "warning: ")
              << util::terminal_safe(message) << "\n";
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

int host_emit_child(triage_host* h, const char* relative_path, const uint8_t* data, size_t length,
                    int64_t parent_offset) {
    auto* r = h->result;
    if (!r || !relative_path || !*relative_path || (!data && length)) return TRIAGE_ERROR;
    if (r->child_bytes + length > kMaxChildBytesPerObject) {
        r->errors.push_back({h->det->desc->name, "emit_child refused: more than " +
                                                     std::to_string(kMaxChildBytesPerObject >> 20) +
                                                     " MiB of child objects from one object"});
        return TRIAGE_ERROR;
    }
    r->child_bytes += length;
    r->children.push_back({h->det->desc->name, relative_path, std::vector<uint8_t>(data, data + length), parent_offset});
    return TRIAGE_OK;
}

const char* host_get_hash(triage_host* h, const char* algorithm) {
    if (!h->known_hashes || !algorithm) return nullptr;
    for (const auto& x : *h->known_hashes)
        if (x.algorithm == algorithm) return x.value.c_str();
    return nullptr;
}

const char* host_get_option(triage_host* h, const char* key) {
    if (!key) return nullptr;
    // Reserved key: what is left of this object's time budget, so that a detector whose library
    // runs one long call (YARA) can bound that call by it. NULL outside an object.
    if (std::string(key) == TRIAGE_OPTION_TIME_LEFT_MS) {
        if (h->deadline == Clock::time_point::max()) return nullptr;
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(h->deadline - Clock::now()).count();
        h->option_buf = std::to_string(std::max<int64_t>(left, 0));
        return h->option_buf.c_str();
    }
    auto it = h->det->options.find(key);
    if (it != h->det->options.end()) {
        h->option_buf = it->second;
        return h->option_buf.c_str();
    }
    for (size_t i = 0; i < h->det->desc->option_count; ++i)
        if (std::string(key) == h->det->desc->options[i].key) return h->det->desc->options[i].default_value;
    return nullptr;
}

int host_is_cancelled(triage_host* h) {
    return g_cancel.load(std::memory_order_relaxed) || Clock::now() > h->deadline ? 1 : 0;
}

int host_mark_object(triage_host* h, const char* flag) {
    return h->result && apply_mark(*h->result, flag) ? TRIAGE_OK : TRIAGE_ERROR;
}

int host_object_marked(triage_host* h, const char* flag) { return h->result ? query_mark(*h->result, flag) : 0; }

int host_set_property(triage_host* h, const char* key, const char* value) {
    if (!h->result || !valid_property(key, value)) return TRIAGE_ERROR;
    add_property(*h->result, h->det->desc->name, key, value);
    return TRIAGE_OK;
}

const triage_host_api kHostApi{sizeof(triage_host_api), TRIAGE_HOST_API_VERSION, host_log, host_emit_finding,
                               host_emit_hash,          host_emit_child,         host_get_option, host_is_cancelled,
                               host_get_hash,           host_mark_object,        host_object_marked,
                               host_set_property};

// A built-in (or trusted) detector called directly through the C ABI.
class InProcessInstance final : public DetectorInstance {
public:
    explicit InProcessInstance(const LoadedDetector& det) : det_(det) {
        host_.det = &det;
        instance_ = det.desc->create(&kHostApi, &host_, det.shared);
    }
    ~InProcessInstance() override {
        if (instance_) det_.desc->destroy(instance_);
    }
    InProcessInstance(const InProcessInstance&) = delete;
    InProcessInstance& operator=(const InProcessInstance&) = delete;

    bool usable() const override { return instance_ != nullptr; }
    bool begin(const triage_object_info& info, Clock::duration budget, const std::vector<HashRec>* known_hashes,
               ObjectResult& out) override {
        host_.known_hashes = known_hashes;
        budget_ = budget;
        spent_ = Clock::duration::zero();
        return timed(out, "object_begin", [&] { return det_.desc->object_begin(instance_, &info); });
    }
    bool block(const uint8_t* data, size_t len, uint64_t offset, ObjectResult& out) override {
        return timed(out, "object_block", [&] { return det_.desc->object_block(instance_, data, len, offset); });
    }
    bool end(ObjectResult& out) override {
        return timed(out, "object_end", [&] { return det_.desc->object_end(instance_); });
    }
    bool wants_whole(const triage_object_info& info, const uint8_t* head, size_t len) override {
        constexpr size_t kHas = offsetof(triage_detector, wants_whole) + sizeof(void*);
        if (det_.desc->struct_size < kHas || !det_.desc->wants_whole) return true;
        return det_.desc->wants_whole(instance_, &info, head, len) != 0;
    }
    std::string error() const override { return error_; }

private:
    // Calls one phase, charging its time to this object's budget (is_cancelled turns true
    // once the budget is spent, so a cooperative detector can stop early).
    template <class F>
    bool timed(ObjectResult& out, const char* phase, F&& call) {
        host_.result = &out;
        auto start = Clock::now();
        host_.deadline = start + (budget_ - spent_);
        int rc = call();
        spent_ += Clock::now() - start;
        host_.result = nullptr;
        if (rc == TRIAGE_OK && spent_ <= budget_) return true;
        if (rc != TRIAGE_OK) {
            error_ = std::string(phase) + " failed";
            if (det_.desc->last_error) {
                const char* m = det_.desc->last_error(instance_);
                if (m && *m) error_ += ": " + std::string(m);
            }
        } else {
            // An in-process detector cannot be stopped mid-call; it is no longer fed this object.
            error_ = std::string("exceeded the per-object time budget (during ") + phase + ")";
        }
        return false;
    }
    const LoadedDetector& det_;
    triage_host host_;
    void* instance_ = nullptr;
    std::string error_;
    Clock::duration budget_{}, spent_{};
};

}  // namespace

std::unique_ptr<DetectorInstance> make_in_process_instance(const LoadedDetector& det) {
    return std::make_unique<InProcessInstance>(det);
}

std::string start_detectors(const std::vector<const LoadedDetector*>& detectors, const InstanceLimits& limits,
                            std::vector<StartMessage>* warnings) {
    for (const auto* d : detectors) {
        if (d->origin != "built-in") {
            auto probe = make_plugin_process_instance(*d, limits);
            if (!probe->usable())
                return "detector '" + std::string(d->desc->name) + "' (" + d->origin + ") could not start: " + probe->error();
            continue;
        }
        if (!d->desc->init) continue;
        triage_host host;
        host.det = d;
        std::vector<std::pair<int, std::string>> logged;
        host.init_log = &logged;
        char error[1024] = "";
        void* shared = nullptr;
        if (d->desc->init(&kHostApi, &host, &shared, error, sizeof error) != TRIAGE_OK) {
            error[sizeof error - 1] = '\0';
            return "detector '" + std::string(d->desc->name) + "' could not start: " + (error[0] ? error : "init failed");
        }
        d->shared = shared;
        if (warnings)
            for (auto& [level, m] : logged) warnings->push_back({d->desc->name, m, level >= TRIAGE_LOG_ERROR});
    }
    return {};
}

void stop_detectors(const std::vector<const LoadedDetector*>& detectors) {
    for (const auto* d : detectors) {
        if (d->origin == "built-in" && d->desc->shutdown) d->desc->shutdown(d->shared);
        d->shared = nullptr;
    }
}

}  // namespace triage::engine
