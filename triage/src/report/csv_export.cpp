// `triage report --format csv`: one CSV file per table of the index, in one folder, for
// spreadsheets and scripts. RFC 4180: comma-separated, CRLF line ends, fields quoted when they
// hold a comma, quote, CR or LF, quotes doubled; UTF-8 (bytes that are not UTF-8 become U+FFFD).
// Formula injection: a text cell that starts with = + - @ (or tab / CR) gets a leading single
// quote, so a spreadsheet shows it as text instead of running it. Numbers are never changed.
#include "report/export_common.hpp"
#include "report/exports.hpp"

#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <vector>
#include <stdexcept>

namespace fs = std::filesystem;

namespace triage::report {

namespace {

// Text columns the profile rewrites (column name -> new text).
using Rewrites = std::map<std::string, std::function<std::string(const std::string&)>>;

// Writes DIR/NAME.csv from SQL: a header of the column names, then one line per row.
int64_t write_table(index::Db& db, const fs::path& dir, const std::string& name, const std::string& sql,
                    const Rewrites& rewrite = {}) {
    fs::path p = dir / (name + ".csv");
    std::ofstream f(p, std::ios::binary | std::ios::trunc);
    if (!f) throw std::runtime_error("cannot write '" + p.string() + "'");
    auto s = db.prepare(sql);
    const int n = sqlite3_column_count(s.raw());
    std::vector<const std::function<std::string(const std::string&)>*> rw(static_cast<size_t>(n), nullptr);
    for (int i = 0; i < n; ++i) {
        auto it = rewrite.find(sqlite3_column_name(s.raw(), i));
        if (it != rewrite.end()) rw[static_cast<size_t>(i)] = &it->second;
        f << (i ? "," : "") << exp::csv_field(sqlite3_column_name(s.raw(), i), true);
    }
    f << "\r\n";
    int64_t rows = 0;
    while (s.step()) {
        for (int i = 0; i < n; ++i) {
            if (i) f << ',';
            switch (sqlite3_column_type(s.raw(), i)) {
            case SQLITE_NULL: break;  // an empty field
            case SQLITE_INTEGER:
            case SQLITE_FLOAT: f << s.col_text(i); break;
            default: {
                const auto* r = rw[static_cast<size_t>(i)];
                f << exp::csv_field(r ? (*r)(s.col_text(i)) : s.col_text(i), true);
            }
            }
        }
        f << "\r\n";
        ++rows;
    }
    f.flush();
    if (!f) throw std::runtime_error("writing '" + p.string() + "' failed");
    return rows;
}

std::string iso(const std::string& col) {
    return "strftime('%Y-%m-%dT%H:%M:%SZ', " + col + ", 'unixepoch') AS " + col.substr(col.find('.') + 1);
}

}  // namespace

std::string write_csv(index::CaseIndex& idx, const Options& opts) {
    auto& db = idx.db();
    const auto shape = exp::shape_of(db);
    const fs::path dir = exp::output_path(idx, opts, exp::default_output_name("csv"));
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) throw std::runtime_error("cannot create folder '" + dir.string() + "': " + ec.message());

    const std::string sens = exp::sensitive_expr(shape);
    // A sensitive file's row carries hashes, path, size and times only: its other columns are empty.
    auto unless_sensitive = [&](const std::string& col) {
        return shape.sensitive ? "CASE WHEN f.sensitive = 1 THEN NULL ELSE " + col + " END AS " +
                                     col.substr(col.find('.') + 1)
                               : col;
    };
    std::string files_sql =
        "SELECT f.file_id, f.evidence_id, f.fs_id, fs.offset AS partition_offset, fs.fs_type, f.path, " +
        unless_sensitive("f.name") + ", " + unless_sensitive("f.stream") + ", " + unless_sensitive("f.meta_addr") +
        ", " + unless_sensitive("f.meta_seq") + ", " + unless_sensitive("f.name_type") + ", " +
        unless_sensitive("f.meta_type") + ", f.allocated, " + unless_sensitive("f.realloc") + ", " +
        unless_sensitive("f.virtual") + ", f.size, " + unless_sensitive("f.mode") + ", " + unless_sensitive("f.uid") +
        ", " + unless_sensitive("f.gid") + ", " + iso("f.mtime") + ", " + iso("f.atime") + ", " + iso("f.ctime") +
        ", " + iso("f.crtime") + ", " + unless_sensitive("f.content") + ", " + unless_sensitive("f.origin") + ", " +
        unless_sensitive("f.parent_id") + ", " + unless_sensitive("f.detector") + ", " +
        unless_sensitive("f.parent_offset") + ", " +
        "(SELECT value FROM hashes h WHERE h.file_id = f.file_id AND h.algorithm = 'md5') AS md5, "
        "(SELECT value FROM hashes h WHERE h.file_id = f.file_id AND h.algorithm = 'sha1') AS sha1, "
        "(SELECT value FROM hashes h WHERE h.file_id = f.file_id AND h.algorithm = 'sha256') AS sha256, " +
        sens + " AS sensitive, " + exp::known_good_expr(shape) +
        " AS known_good FROM files f JOIN filesystems fs ON fs.fs_id = f.fs_id ORDER BY f.file_id";

    const auto cfg = exp::case_config(idx, opts);
    Rewrites case_rw, evidence_rw, audit_rw;
    if (cfg.hidden("examiner")) case_rw["examiner"] = [](const std::string&) { return std::string(); };
    if (cfg.hidden("evidence_paths")) {
        evidence_rw["path"] = [&](const std::string& p) { return cfg.evidence_path(p); };
        evidence_rw["segments"] = [&](const std::string& segs) {
            auto j = nlohmann::json::parse(segs, nullptr, false);
            if (j.is_discarded() || !j.is_array()) return std::string();
            for (auto& x : j)
                if (x.is_string()) x = cfg.evidence_path(x.get<std::string>());
            return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
        };
    }
    if (cfg.hidden("audit_details")) audit_rw["detail"] = [](const std::string&) { return std::string(); };
    write_table(db, dir, "case_info", "SELECT case_number, examiner, created FROM case_info", case_rw);
    write_table(db, dir, "evidence",
                "SELECT evidence_id, path, segments, format, size, sector_size, stored_md5, stored_sha1, computed_md5, "
                "computed_sha1, computed_sha256, verification, status, added, completed FROM evidence ORDER BY evidence_id",
                evidence_rw);
    write_table(db, dir, "volumes",
                "SELECT volume_id, evidence_id, vs_type, slot, start_offset, length, description, kind FROM volumes "
                "ORDER BY evidence_id, start_offset, slot");
    write_table(db, dir, "filesystems",
                "SELECT fs_id, evidence_id, volume_id, offset, fs_type, pool_block, block_size, block_count, status "
                "FROM filesystems ORDER BY fs_id");
    write_table(db, dir, "files", files_sql);
    write_table(db, dir, "hashes", "SELECT file_id, algorithm, value FROM hashes ORDER BY file_id, algorithm");
    if (shape.properties)
        write_table(db, dir, "properties",
                    "SELECT p.file_id, p.detector, p.key, p.value FROM properties p " +
                        std::string(shape.sensitive ? "WHERE NOT EXISTS (SELECT 1 FROM files sf WHERE sf.file_id = "
                                                      "p.file_id AND sf.sensitive = 1) "
                                                    : "") +
                        "ORDER BY p.file_id, p.detector, p.key");
    write_table(db, dir, "findings",
                "SELECT finding_id, file_id, evidence_id, detector, detector_version, kind, rule, category, severity, "
                "offset, length, detail FROM findings fi WHERE " +
                    exp::visible_findings_where(shape) + " ORDER BY finding_id");
    write_table(db, dir, "errors",
                "SELECT error_id, evidence_id, location, detector, file_id, message, time FROM errors ORDER BY error_id");
    write_table(db, dir, "unallocated_ranges",
                "SELECT range_id, evidence_id, fs_id, kind, start_offset, length, scanned FROM unalloc_ranges "
                "ORDER BY evidence_id, start_offset");
    write_table(db, dir, "detector_runs",
                "SELECT evidence_id, detector, version, origin FROM detector_runs ORDER BY evidence_id, detector");
    write_table(db, dir, "audit", "SELECT seq, time, action, detail, prev_hash, hash FROM audit ORDER BY seq", audit_rw);
    return dir.string();
}

}  // namespace triage::report
