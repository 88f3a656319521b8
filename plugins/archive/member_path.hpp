// How an archive member's name from the evidence becomes the relative path of its child object
// (plugins/archive): kept apart from the detector so the fuzz target (tests/fuzz/archive_paths)
// can test it alone.
#pragma once

#include <cstddef>
#include <string>

namespace triage::archive_detail {

// Replaces bytes that are not valid UTF-8 by '?'.
std::string valid_utf8(const std::string& s);

// A member path from the evidence made safe for the index path: '\' becomes '/', empty and "."
// elements go, ".." becomes "__", control characters and '>' (the engine's child separator)
// become '_', invalid UTF-8 becomes '?', at most 1024 bytes. Empty result: "member-N".
std::string sanitise_member_path(const std::string& raw, size_t index);

}  // namespace triage::archive_detail
