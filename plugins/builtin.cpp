// The one list of built-in detectors. Each is reached through the same entry-point type an
// external plugin exports (triage_plugin_entry_fn), so the shipped detectors prove the ABI.
#include "builtin.hpp"

extern "C" const triage_plugin* triage_builtin_hash_entry(uint32_t host_api_version);
extern "C" const triage_plugin* triage_builtin_yara_entry(uint32_t host_api_version);
extern "C" const triage_plugin* triage_builtin_filetype_entry(uint32_t host_api_version);
extern "C" const triage_plugin* triage_builtin_archive_entry(uint32_t host_api_version);
extern "C" const triage_plugin* triage_builtin_exif_entry(uint32_t host_api_version);
extern "C" const triage_plugin* triage_builtin_entropy_entry(uint32_t host_api_version);
extern "C" const triage_plugin* triage_builtin_embedded_entry(uint32_t host_api_version);

namespace triage::plugins {

std::span<const BuiltinEntry> builtin_entries() {
    static const BuiltinEntry entries[] = {
        {"hash", &triage_builtin_hash_entry},
        {"yara", &triage_builtin_yara_entry},
        {"filetype", &triage_builtin_filetype_entry},
        {"archive", &triage_builtin_archive_entry},
        {"exif", &triage_builtin_exif_entry},
        {"entropy", &triage_builtin_entropy_entry},
        {"embedded", &triage_builtin_embedded_entry},
    };
    return entries;
}

}  // namespace triage::plugins
