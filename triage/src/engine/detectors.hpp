// The detectors of a scan: built-in ones from plugins/builtin.cpp and external ones loaded
// from shared objects, all through the same C entry point; enable/disable and options.
#pragma once

#include <triage/detector_abi.h>

#include <map>
#include <string>
#include <vector>

namespace triage::engine {

struct LoadedDetector {
    const triage_detector* desc = nullptr;
    std::string origin;                          // "built-in" or the .so path
    std::map<std::string, std::string> options;  // values set with --option
    bool enabled = true;
    mutable void* shared = nullptr;              // what init() returned, for this scan (in process)
};

class DetectorSet {
public:
    DetectorSet() = default;
    ~DetectorSet();
    DetectorSet(const DetectorSet&) = delete;
    DetectorSet& operator=(const DetectorSet&) = delete;

    // Registers every built-in detector.
    void load_builtins();
    // Loads every *.so in dir; problems (not a plugin, incompatible ABI) are returned as
    // messages naming the file, and that file is skipped.
    std::vector<std::string> load_directory(const std::string& dir);
    // Loads one shared object; returns an empty string or the reason it was refused.
    std::string load_file(const std::string& path);

    // "NAME.KEY=VALUE"; throws std::invalid_argument naming the problem.
    void set_option(const std::string& assignment);
    void enable_only(const std::vector<std::string>& names);   // throws on unknown names
    void disable(const std::vector<std::string>& names);       // throws on unknown names
    void enable(const std::vector<std::string>& names);        // adds detectors that are off by default

    const std::vector<LoadedDetector>& all() const { return detectors_; }
    std::vector<const LoadedDetector*> enabled() const;

private:
    std::string add_plugin(const triage_plugin* plugin, const std::string& origin);
    LoadedDetector* find(const std::string& name);
    std::vector<LoadedDetector> detectors_;
    std::vector<void*> handles_;
};

// Checks a value against a declared option type ("string", "int", "bool", "size"); returns
// an empty string or what is wrong.
std::string check_option_value(const std::string& type, const std::string& value);

// Default folder for external plugins: $TRIAGE_PLUGIN_DIR, else ~/.local/lib/triage/plugins.
std::string default_plugin_dir();

}  // namespace triage::engine
