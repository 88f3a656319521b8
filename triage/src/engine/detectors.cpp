#include "engine/detectors.hpp"

#include "builtin.hpp"

#include <dlfcn.h>

#include <algorithm>
#include <cctype>
#include <cstddef>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>

namespace fs = std::filesystem;

namespace triage::engine {

DetectorSet::~DetectorSet() {
    detectors_.clear();
    for (void* h : handles_) dlclose(h);
}

std::string DetectorSet::add_plugin(const triage_plugin* plugin, const std::string& origin) {
    // Sizes as of host API version 1: later hosts grow these structs at the end and must keep
    // accepting plugins built against the version-1 headers.
    constexpr size_t kPluginV1Size = offsetof(triage_plugin, detector_count) + sizeof(size_t);
    constexpr size_t kDetectorV1Size = offsetof(triage_detector, last_error) + sizeof(void*);
    if (!plugin) return "its entry point returned no plugin description";
    if (plugin->struct_size < kPluginV1Size) return "its plugin description is from an unknown ABI (too small)";
    if (plugin->min_host_api > TRIAGE_HOST_API_VERSION)
        return "it needs host API version " + std::to_string(plugin->min_host_api) + ", this triage provides version " +
               std::to_string(TRIAGE_HOST_API_VERSION);
    for (size_t i = 0; i < plugin->detector_count; ++i) {
        const triage_detector* d = plugin->detectors[i];
        if (!d || d->struct_size < kDetectorV1Size || !d->name || !d->version || !d->create ||
            !d->destroy || !d->object_begin || !d->object_block || !d->object_end)
            return "detector #" + std::to_string(i) + " is incomplete (missing name, version or callbacks)";
        if (find(d->name)) return "a detector named '" + std::string(d->name) + "' is already loaded";
    }
    for (size_t i = 0; i < plugin->detector_count; ++i) {
        LoadedDetector ld;
        ld.desc = plugin->detectors[i];
        ld.origin = origin;
        detectors_.push_back(std::move(ld));
    }
    return {};
}

void DetectorSet::load_builtins() {
    for (const auto& e : plugins::builtin_entries()) {
        const size_t before = detectors_.size();
        std::string err = add_plugin(e.entry(TRIAGE_HOST_API_VERSION), "built-in");
        if (!err.empty()) throw std::logic_error("built-in module '" + std::string(e.module) + "': " + err);
        for (size_t i = before; i < detectors_.size(); ++i) detectors_[i].enabled = e.on_by_default;
    }
}

std::string DetectorSet::load_file(const std::string& path) {
    void* h = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char* e = dlerror();
        return "plugin '" + path + "' is not a loadable shared object: " + (e ? e : "unknown error");
    }
    auto entry = reinterpret_cast<triage_plugin_entry_fn>(dlsym(h, TRIAGE_PLUGIN_ENTRY_SYMBOL));
    if (!entry) {
        dlclose(h);
        return "plugin '" + path + "' has no entry symbol '" TRIAGE_PLUGIN_ENTRY_SYMBOL "' (not a triage plugin)";
    }
    std::string err = add_plugin(entry(TRIAGE_HOST_API_VERSION), path);
    if (!err.empty()) {
        dlclose(h);
        return "plugin '" + path + "' refused: " + err;
    }
    handles_.push_back(h);
    return {};
}

std::vector<std::string> DetectorSet::load_directory(const std::string& dir) {
    std::vector<std::string> problems;
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) {
        problems.push_back("plugin directory '" + dir + "' does not exist or is not a directory");
        return problems;
    }
    std::vector<std::string> files;
    for (const auto& e : fs::directory_iterator(dir, ec))
        if (e.path().extension() == ".so") files.push_back(e.path().string());
    std::sort(files.begin(), files.end());
    for (const auto& f : files) {
        std::string err = load_file(f);
        if (!err.empty()) problems.push_back(err);
    }
    return problems;
}

LoadedDetector* DetectorSet::find(const std::string& name) {
    for (auto& d : detectors_)
        if (name == d.desc->name) return &d;
    return nullptr;
}

// The declared option types, checked before a detector ever sees the value.
std::string check_option_value(const std::string& type, const std::string& v) {
    auto all_digits = [](const std::string& x) {
        return !x.empty() && std::all_of(x.begin(), x.end(), [](unsigned char c) { return std::isdigit(c); });
    };
    if (type == "int") {
        std::string body = !v.empty() && (v[0] == '-' || v[0] == '+') ? v.substr(1) : v;
        if (!all_digits(body) || body.size() > 18) return "'" + v + "' is not an integer";
    } else if (type == "bool") {
        static const char* ok[] = {"true", "false", "1", "0", "yes", "no", "on", "off"};
        if (std::find(std::begin(ok), std::end(ok), v) == std::end(ok)) return "'" + v + "' is not true/false";
    } else if (type == "size") {
        std::string body = v;
        if (!body.empty() && std::string("kKmMgGtT").find(body.back()) != std::string::npos) body.pop_back();
        if (!all_digits(body) || body.size() > 15) return "'" + v + "' is not a size (a number, optionally K, M, G or T)";
    }
    return {};
}

void DetectorSet::set_option(const std::string& assignment) {
    auto dot = assignment.find('.');
    auto eq = assignment.find('=');
    if (dot == std::string::npos || eq == std::string::npos || dot > eq || dot == 0 || eq == dot + 1)
        throw std::invalid_argument("option '" + assignment + "' is not of the form DETECTOR.KEY=VALUE");
    std::string name = assignment.substr(0, dot), key = assignment.substr(dot + 1, eq - dot - 1);
    LoadedDetector* d = find(name);
    if (!d) throw std::invalid_argument("option '" + assignment + "': no detector named '" + name + "'");
    const triage_option_desc* desc = nullptr;
    for (size_t i = 0; i < d->desc->option_count; ++i)
        if (key == d->desc->options[i].key) desc = &d->desc->options[i];
    if (!desc) throw std::invalid_argument("option '" + assignment + "': detector '" + name + "' has no option '" + key + "'");
    const std::string value = assignment.substr(eq + 1);
    if (std::string why = check_option_value(desc->type ? desc->type : "string", value); !why.empty())
        throw std::invalid_argument("option '" + assignment + "': " + why);
    d->options[key] = value;
}

void DetectorSet::enable_only(const std::vector<std::string>& names) {
    for (const auto& n : names)
        if (!find(n)) throw std::invalid_argument("--enable: no detector named '" + n + "'");
    for (auto& d : detectors_) d.enabled = std::find(names.begin(), names.end(), d.desc->name) != names.end();
}

void DetectorSet::enable(const std::vector<std::string>& names) {
    for (const auto& n : names) {
        LoadedDetector* d = find(n);
        if (!d) throw std::invalid_argument("no detector named '" + n + "'");
        d->enabled = true;
    }
}

void DetectorSet::disable(const std::vector<std::string>& names) {
    for (const auto& n : names) {
        LoadedDetector* d = find(n);
        if (!d) throw std::invalid_argument("--disable: no detector named '" + n + "'");
        d->enabled = false;
    }
}

std::vector<const LoadedDetector*> DetectorSet::enabled() const {
    std::vector<const LoadedDetector*> out;
    for (const auto& d : detectors_)
        if (d.enabled) out.push_back(&d);
    return out;
}

std::string default_plugin_dir() {
    if (const char* e = std::getenv("TRIAGE_PLUGIN_DIR"); e && *e) return e;
    const char* home = std::getenv("HOME");
    return std::string(home && *home ? home : ".") + "/.local/lib/triage/plugins";
}

}  // namespace triage::engine
