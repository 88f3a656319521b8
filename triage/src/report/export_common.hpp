// What the machine-readable exports (json, csv, case, dfxml, bodyfile, vics) share: where they
// write, which optional columns the index has, the CSAM-safe rules for sensitive files, and text
// clean-up for formats that must be valid UTF-8 or XML.
#pragma once

#include "index/case_index.hpp"
#include "report/escape.hpp"
#include "report/report.hpp"

#include <cstdint>
#include <nlohmann/json.hpp>

#include <optional>
#include <set>
#include <vector>
#include <string>
#include <string_view>

namespace triage::report::exp {

// The file or folder a writer creates: opts.out, else CASE/reports/<default_name>. Makes the
// parent folder.
std::string output_path(index::CaseIndex& idx, const Options& opts, const std::string& default_name);

// The name each format gets inside a bundle and under CASE/reports/ ("report.json", "csv", ...).
// Formats this file does not know (added by other writers) get their own name.
std::string default_output_name(const std::string& format);

// Optional columns (files.known_good, files.sensitive) arrive with the hash-set detector; older
// indexes lack them, so every query is built for what the index has.
struct IndexShape {
    bool known_good = false;
    bool sensitive = false;
    bool properties = false;  // the properties table (mime type ...) of host API 2
};
IndexShape shape_of(index::Db& db);
bool has_column(index::Db& db, const std::string& table, const std::string& column);

// SQL expressions over the files table aliased `f`: 1/0, or NULL when the column is missing.
std::string sensitive_expr(const IndexShape& s, const std::string& alias = "f");
std::string known_good_expr(const IndexShape& s, const std::string& alias = "f");

// Findings every export may show: all of them, except those on a sensitive file that are not a
// hash-set match (a YARA match carries matched bytes in its detail: content of the file).
// An SQL condition over findings aliased `fi`.
std::string visible_findings_where(const IndexShape& s);

const char* profile_name(Profile p);
std::string tool_version();

// The TSK metadata type letter as a TSK_FS_META_TYPE number (DFXML's meta_type), or nullopt.
std::optional<int> tsk_meta_type_number(const std::string& letter);
// "rwxr-xr-x" (with s/S/t/T) from TSK's mode bits, which follow POSIX.
std::string mode_string(int64_t mode);

// A stable UUID (version 8, name-based on SHA-256) for NAME within the case: the same case gives
// the same identifiers each time it is exported.
std::string stable_uuid(const std::string& case_key, const std::string& name);
// What identifies this case across exports: SHA-256 of its creation time and case number.
std::string case_key(index::Db& db);

// What the share profile leaves out, read from CASE/case.json (the same file and keys the HTML
// report reads; docs/report.md): "notes" (examiner notes: never shared), "fields" with
// "internal": true, and the items named in "internal": examiner, evidence_paths (evidence by
// file name only), audit_details, title, agency, unit, description, fields.LABEL.
struct CaseConfig {
    nlohmann::json config = nlohmann::json::object();
    bool share = false;
    std::set<std::string> internal;
    bool hidden(const std::string& item) const { return share && internal.count(item) > 0; }
    // The evidence path as the profile shows it.
    std::string evidence_path(const std::string& p) const;
    // Items actually left out, for the record in the export.
    std::vector<std::string> withheld() const;
};
// Throws std::runtime_error naming case.json when it is malformed.
CaseConfig case_config(index::CaseIndex& idx, const Options& opts);

// Current case row.
struct CaseInfo {
    std::string case_number, examiner, created;
};
CaseInfo case_info(index::Db& db);

}  // namespace triage::report::exp
