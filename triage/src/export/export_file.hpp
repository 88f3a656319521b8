// `triage export`: writes one indexed file's content out of the evidence, under a name that
// can never leave the target folder.
#pragma once

#include "index/case_index.hpp"
#include "volumes/volumes.hpp"

#include <cstdint>
#include <string>

namespace triage::exporter {

// A file name safe to create inside a folder: no separators, no control characters, never
// "." or "..", at most max_bytes bytes (cut on a UTF-8 boundary).
std::string safe_file_name(const std::string& evidence_name, size_t max_bytes = 200);

struct ExportResult {
    std::string written_path;
    uint64_t bytes = 0;
    std::string sha256;
    bool hash_matches_index = false;   // false also when the index has no hash
    bool index_has_hash = false;
};

// True when the file is marked sensitive (files.sensitive): matched as abuse material.
// Throws when there is no such file.
bool is_sensitive(index::CaseIndex& idx, int64_t file_id);

// Throws std::runtime_error with a message naming the file and the problem.
// secrets: for files inside encrypted volumes (the same the scan was given).
ExportResult export_file(index::CaseIndex& idx, int64_t file_id, const std::string& to_dir,
                         const volumes::Secrets& secrets = {});

}  // namespace triage::exporter
