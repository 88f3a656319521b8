// Access to the list of built-in detector modules (plugins/builtin.cpp).
#pragma once

#include <triage/detector_abi.h>

#include <span>

namespace triage::plugins {

struct BuiltinEntry {
    const char* module;
    triage_plugin_entry_fn entry;
    bool on_by_default = true;  // off: runs only when asked for (scan --carve, --enable)
};

std::span<const BuiltinEntry> builtin_entries();

}  // namespace triage::plugins
