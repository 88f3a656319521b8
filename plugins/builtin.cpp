// The one list of built-in detectors. Each is reached through the same entry-point type an
// external plugin exports (triage_plugin_entry_fn), so the shipped detectors prove the ABI.
#include "builtin.hpp"

extern "C" const triage_plugin* triage_builtin_hash_entry(uint32_t host_api_version);
extern "C" const triage_plugin* triage_builtin_yara_entry(uint32_t host_api_version);
extern "C" const triage_plugin* triage_builtin_identifiers_entry(uint32_t host_api_version);
extern "C" const triage_plugin* triage_builtin_keywords_entry(uint32_t host_api_version);
extern "C" const triage_plugin* triage_builtin_hashset_entry(uint32_t host_api_version);
extern "C" const triage_plugin* triage_builtin_pdq_entry(uint32_t host_api_version);
extern "C" const triage_plugin* triage_builtin_fuzzy_entry(uint32_t host_api_version);
extern "C" const triage_plugin* triage_builtin_carve_entry(uint32_t host_api_version);
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
        {"identifiers", &triage_builtin_identifiers_entry},
        {"keywords", &triage_builtin_keywords_entry},
        {"hashset", &triage_builtin_hashset_entry},
        {"pdq", &triage_builtin_pdq_entry},
        {"fuzzy", &triage_builtin_fuzzy_entry},
        {"carve", &triage_builtin_carve_entry, false},  // reads all unallocated space: opt-in
        {"filetype", &triage_builtin_filetype_entry},
        {"archive", &triage_builtin_archive_entry},
        {"exif", &triage_builtin_exif_entry},
        {"entropy", &triage_builtin_entropy_entry},
        {"embedded", &triage_builtin_embedded_entry},
    };
    return entries;
}

}  // namespace triage::plugins
