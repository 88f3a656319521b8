// Header-only C++ helper over the C detector ABI: a detector is one class deriving from
// triage::sdk::Detector; triage::sdk::describe<T>() builds the C descriptor whose callbacks
// catch every exception, so nothing throws across the ABI.
#ifndef TRIAGE_DETECTOR_HPP
#define TRIAGE_DETECTOR_HPP

#include <triage/detector_abi.h>

#include <cstdint>
#include <cstdio>
#include <exception>
#include <string>
#include <type_traits>

namespace triage::sdk {

class Detector {
public:
    Detector(const triage_host_api* api, triage_host* host) : api_(api), host_(host) {}
    virtual ~Detector() = default;
    Detector(const Detector&) = delete;
    Detector& operator=(const Detector&) = delete;

    virtual void begin(const triage_object_info& /*object*/) {}
    virtual void block(const uint8_t* /*data*/, size_t /*length*/, uint64_t /*offset*/) {}
    virtual void end() {}
    // TRIAGE_WANT_WHOLE detectors: false when the object, judged by its first block, is of no
    // use to this detector, so the host need not hold it whole (the default wants everything).
    virtual bool wants_whole(const triage_object_info& /*object*/, const uint8_t* /*head*/, size_t /*length*/) {
        return true;
    }

    std::string error;  // set by the wrappers when a callback throws

protected:
    void log(int level, const std::string& message) const { api_->log(host_, level, message.c_str()); }
    void emit_hash(const char* algorithm, const std::string& hex) const {
        api_->emit_hash(host_, algorithm, hex.c_str());
    }
    void emit_finding(const triage_finding& finding) const { api_->emit_finding(host_, &finding); }
    std::string option(const char* key, const std::string& fallback = {}) const {
        const char* v = api_->get_option(host_, key);
        return v ? std::string(v) : fallback;
    }
    bool cancelled() const { return api_->is_cancelled(host_) != 0; }
    // Hash of the current object (metadata detectors), empty when unknown.
    std::string hash(const char* algorithm) const {
        const char* v = api_->get_hash(host_, algorithm);
        return v ? std::string(v) : std::string();
    }
    // Host API v2: mark the current object ("known_good", "sensitive"); false on an older host.
    bool mark(const char* flag) const {
        return api_->api_version >= 2 && api_->mark_object && api_->mark_object(host_, flag) == TRIAGE_OK;
    }
    // Host API v2: does the current object carry FLAG ("known_good", "sensitive", "skip")?
    bool marked(const char* flag) const {
        return api_->api_version >= 2 && api_->object_marked && api_->object_marked(host_, flag) != 0;
    }
    // Host API v2: a property of the current object (e.g. "mime"); false on an older host or a bad key.
    bool set_property(const char* key, const std::string& value) const {
        return api_->api_version >= 2 && api_->set_property &&
               api_->set_property(host_, key, value.c_str()) == TRIAGE_OK;
    }
    // Bytes derived from the current object that re-enter the scan as a child object.
    bool emit_child(const std::string& relative_path, const uint8_t* data, size_t length, int64_t parent_offset) const {
        return api_->emit_child(host_, relative_path.c_str(), data, length, parent_offset) == TRIAGE_OK;
    }

private:
    const triage_host_api* api_;
    triage_host* host_;
};

namespace detail {
template <class T, class F>
int guarded(void* instance, F&& call) {
    auto* d = static_cast<T*>(instance);
    try {
        call(*d);
        return TRIAGE_OK;
    } catch (const std::exception& e) {
        d->error = e.what();
    } catch (...) {
        d->error = "unknown exception";
    }
    return TRIAGE_ERROR;
}
}  // namespace detail

// Fills a triage_detector for class T. T needs a constructor (const triage_host_api*, triage_host*),
// or, with a Shared type, (const triage_host_api*, triage_host*, const Shared&): Shared is built
// once per scan by its constructor (const triage_host_api*, triage_host*), which may throw to
// refuse the scan with its message (a broken rule file, a bad option value).
template <class T, class Shared = void>
constexpr triage_detector describe(const char* name, const char* version, const char* author,
                                   const char* description, uint32_t wants,
                                   const triage_option_desc* options = nullptr, size_t option_count = 0) {
    triage_detector d{};
    d.struct_size = sizeof(triage_detector);
    d.name = name;
    d.version = version;
    d.author = author;
    d.description = description;
    d.wants = wants;
    d.options = options;
    d.option_count = option_count;
    if constexpr (!std::is_void_v<Shared>) {
        d.init = [](const triage_host_api* api, triage_host* host, void** shared, char* error, size_t size) {
            try {
                *shared = new Shared(api, host);
                return TRIAGE_OK;
            } catch (const std::exception& e) {
                std::snprintf(error, size, "%s", e.what());
            } catch (...) {
                std::snprintf(error, size, "unknown exception");
            }
            return TRIAGE_ERROR;
        };
        d.shutdown = [](void* shared) { delete static_cast<Shared*>(shared); };
    }
    d.create = [](const triage_host_api* api, triage_host* host, void* shared) -> void* {
        try {
            if constexpr (std::is_void_v<Shared>) {
                (void)shared;
                return new T(api, host);
            } else {
                return new T(api, host, *static_cast<const Shared*>(shared));
            }
        } catch (...) {
            return nullptr;
        }
    };
    d.destroy = [](void* instance) { delete static_cast<T*>(instance); };
    d.object_begin = [](void* instance, const triage_object_info* object) {
        return detail::guarded<T>(instance, [&](T& t) {
            t.error.clear();
            t.begin(*object);
        });
    };
    d.object_block = [](void* instance, const uint8_t* data, size_t length, uint64_t offset) {
        return detail::guarded<T>(instance, [&](T& t) { t.block(data, length, offset); });
    };
    d.object_end = [](void* instance) { return detail::guarded<T>(instance, [](T& t) { t.end(); }); };
    d.last_error = [](void* instance) -> const char* { return static_cast<T*>(instance)->error.c_str(); };
    d.wants_whole = [](void* instance, const triage_object_info* object, const uint8_t* head, size_t length) {
        // An exception means "cannot tell": the object is held, as without the callback.
        int wants = 1;
        detail::guarded<T>(instance, [&](T& t) { wants = t.wants_whole(*object, head, length) ? 1 : 0; });
        return wants;
    };
    return d;
}

}  // namespace triage::sdk

#endif  // TRIAGE_DETECTOR_HPP
