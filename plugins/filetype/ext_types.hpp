// The extension table of the filetype detector: which content types an extension may carry.
#pragma once

#include <optional>
#include <string>

namespace triage::filetype {

// The lower-case extension of a file name ("IMG.JPG" -> "jpg"; "archive.tar.gz" -> "gz"),
// empty when there is none (no dot, a leading dot only, or more than 8 characters after it).
std::string extension_of(const std::string& name);

// nullopt when MIME (libmagic's type of the content) is acceptable for the extension EXT (or
// EXT is not in the table); otherwise what the extension would need, for the finding's detail.
// sniffed: how many bytes libmagic saw (an empty object contradicts nothing).
std::optional<std::string> check_extension(const std::string& ext, const std::string& mime, size_t sniffed,
                                           bool generic_text = false);

}  // namespace triage::filetype
