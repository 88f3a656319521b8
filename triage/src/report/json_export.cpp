// `triage report --format json`: the whole case as one JSON document, schema in
// docs/report-json.schema.json (described in docs/report-json.md). Rows are streamed one by one,
// so a case with millions of files does not have to fit in memory as a JSON tree.
#include "report/export_common.hpp"
#include "report/exports.hpp"
#include "util/text.hpp"

#include <nlohmann/json.hpp>

#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <stdexcept>

namespace triage::report {

namespace {

using nlohmann::ordered_json;

std::string dump(const ordered_json& j) { return j.dump(-1, ' ', false, ordered_json::error_handler_t::replace); }

ordered_json col_json(const index::Stmt& s, int i) {
    switch (sqlite3_column_type(s.raw(), i)) {
    case SQLITE_INTEGER: return s.col_int(i);
    case SQLITE_FLOAT: return sqlite3_column_double(s.raw(), i);
    case SQLITE_NULL: return nullptr;
    default: return s.col_text(i);
    }
}

ordered_json time_json(const index::Stmt& s, int i) {
    if (s.col_null(i)) return nullptr;
    return util::iso_utc(static_cast<std::time_t>(s.col_int(i)));
}

// Text from evidence that is not valid UTF-8 is written with U+FFFD in its place; the exact
// bytes go beside it as hex so nothing is lost.
void put_text(ordered_json& o, const std::string& key, const std::string& v) {
    o[key] = v;
    if (!exp::valid_utf8(v)) o[key + "_hex"] = util::to_hex(reinterpret_cast<const unsigned char*>(v.data()), v.size());
}

class Out {
public:
    explicit Out(const std::string& path) : path_(path), f_(path, std::ios::binary | std::ios::trunc) {
        if (!f_) throw std::runtime_error("cannot write '" + path + "'");
    }
    std::ofstream& f() { return f_; }
    void key(const char* k) { f_ << (first_ ? "\n" : ",\n") << dump(k) << ": ", first_ = false; }
    // An array member whose rows come from SQL; each row becomes one object through make.
    void rows(const char* k, index::Db& db, const std::string& sql,
              const std::function<ordered_json(const index::Stmt&)>& make) {
        key(k);
        f_ << "[";
        auto s = db.prepare(sql);
        bool first = true;
        while (s.step()) {
            f_ << (first ? "\n  " : ",\n  ") << dump(make(s));
            first = false;
        }
        f_ << (first ? "]" : "\n]");
    }
    void finish() {
        f_ << "\n}\n";
        f_.flush();
        if (!f_) throw std::runtime_error("writing '" + path_ + "' failed");
    }

private:
    std::string path_;
    std::ofstream f_;
    bool first_ = true;
};

// Every column of a row under its own name; columns named in times are Unix seconds made ISO.
ordered_json row_object(const index::Stmt& s, const std::set<std::string>& times = {}) {
    ordered_json o = ordered_json::object();
    int n = sqlite3_column_count(s.raw());
    for (int i = 0; i < n; ++i) {
        std::string name = sqlite3_column_name(s.raw(), i);
        o[name] = times.count(name) ? time_json(s, i) : col_json(s, i);
    }
    return o;
}

}  // namespace

std::string write_json(index::CaseIndex& idx, const Options& opts) {
    auto& db = idx.db();
    const auto shape = exp::shape_of(db);
    const std::string path = exp::output_path(idx, opts, exp::default_output_name("json"));
    const auto ci = exp::case_info(db);
    const auto cfg = exp::case_config(idx, opts);
    Out out(path);
    out.f() << "{";

    out.key("format");
    out.f() << dump("triage-report-json");
    out.key("format_version");
    out.f() << 1;
    out.key("generated");
    out.f() << dump(util::now_iso_utc());
    out.key("profile");
    out.f() << dump(exp::profile_name(opts.profile));
    out.key("timezone");
    out.f() << dump(opts.timezone.empty() ? ordered_json(nullptr) : ordered_json(opts.timezone));
    out.key("tool");
    out.f() << dump(ordered_json{{"name", "triage"}, {"version", exp::tool_version()}});
    {
        ordered_json c = {
            {"case_number", ci.case_number.empty() ? ordered_json(nullptr) : ordered_json(ci.case_number)},
            {"examiner", ci.examiner.empty() || cfg.hidden("examiner") ? ordered_json(nullptr) : ordered_json(ci.examiner)},
            {"created", ci.created},
            {"schema_version", index::query_int(db, "SELECT value FROM meta WHERE key='schema_version'")}};
        // What the examiner wrote in CASE/case.json, less what the profile leaves out.
        for (const char* k : {"title", "agency", "unit", "description"})
            if (cfg.config.contains(k) && cfg.config[k].is_string() && !cfg.hidden(k)) c[k] = cfg.config[k].get<std::string>();
        ordered_json fields = ordered_json::array();
        if (cfg.config.contains("fields"))
            for (const auto& f : cfg.config["fields"]) {
                if (!f.is_object()) continue;
                const std::string label = f.value("label", std::string());
                const bool internal = f.value("internal", false) || cfg.hidden("fields." + label);
                if (cfg.share && internal) continue;
                fields.push_back({{"label", label}, {"value", f.value("value", std::string())}, {"internal", internal}});
            }
        c["fields"] = fields;
        ordered_json notes = ordered_json::array();
        if (!cfg.share && cfg.config.contains("notes")) {
            const nlohmann::json& n = cfg.config["notes"];
            const nlohmann::json list = n.is_array() ? n : nlohmann::json::array({n});
            for (const auto& x : list) {
                ordered_json note;
                note["text"] = x.is_string() ? x.get<std::string>() : x.value("text", std::string());
                note["time"] = x.is_object() && x.contains("time") && x["time"].is_string() ? ordered_json(x["time"].get<std::string>())
                                                                                          : ordered_json(nullptr);
                notes.push_back(note);
            }
        }
        c["notes"] = notes;
        out.key("case");
        out.f() << dump(c);
        out.key("withheld");
        out.f() << dump(ordered_json(cfg.withheld()));
    }

    // Summary counts, so a reader need not count arrays.
    {
        ordered_json sum;
        sum["evidence"] = index::query_int(db, "SELECT count(*) FROM evidence");
        sum["files"] = index::query_int(db, "SELECT count(*) FROM files");
        sum["deleted_files"] = index::query_int(db, "SELECT count(*) FROM files WHERE allocated = 0");
        sum["hashed_files"] = index::query_int(db, "SELECT count(DISTINCT file_id) FROM hashes");
        sum["findings"] = index::query_int(
            db, "SELECT count(*) FROM findings fi WHERE " + exp::visible_findings_where(shape));
        sum["errors"] = index::query_int(db, "SELECT count(*) FROM errors");
        sum["sensitive_files"] =
            shape.sensitive ? ordered_json(index::query_int(db, "SELECT count(*) FROM files WHERE sensitive = 1"))
                            : ordered_json(nullptr);
        sum["known_good_files"] =
            shape.known_good ? ordered_json(index::query_int(db, "SELECT count(*) FROM files WHERE known_good = 1"))
                             : ordered_json(nullptr);
        ordered_json by_kind = ordered_json::object();
        auto s = db.prepare("SELECT kind, count(*) FROM findings fi WHERE " + exp::visible_findings_where(shape) +
                            " GROUP BY kind ORDER BY kind");
        while (s.step()) by_kind[s.col_text(0)] = s.col_int(1);
        sum["findings_by_kind"] = by_kind;
        out.key("summary");
        out.f() << dump(sum);
    }

    out.rows("evidence", db,
             "SELECT evidence_id, path, segments, format, size, sector_size, stored_md5, stored_sha1, computed_md5, "
             "computed_sha1, computed_sha256, verification, status, added, completed FROM evidence ORDER BY evidence_id",
             [&](const index::Stmt& s) {
                 ordered_json o;
                 o["evidence_id"] = s.col_int(0);
                 put_text(o, "path", cfg.evidence_path(s.col_text(1)));
                 auto segs = ordered_json::parse(s.col_text(2), nullptr, false);
                 if (segs.is_discarded() || !segs.is_array()) segs = ordered_json::array({s.col_text(2)});
                 for (auto& x : segs)
                     if (x.is_string()) x = cfg.evidence_path(x.get<std::string>());
                 o["segments"] = segs;
                 o["format"] = s.col_text(3);
                 o["size"] = s.col_int(4);
                 o["sector_size"] = s.col_int(5);
                 o["stored_hashes"] = {{"md5", col_json(s, 6)}, {"sha1", col_json(s, 7)}};
                 o["computed_hashes"] = {{"md5", col_json(s, 8)}, {"sha1", col_json(s, 9)}, {"sha256", col_json(s, 10)}};
                 o["verification"] = s.col_text(11);
                 o["status"] = s.col_text(12);
                 o["added"] = s.col_text(13);
                 o["completed"] = col_json(s, 14);
                 return o;
             });
    out.rows("volumes", db,
             "SELECT volume_id, evidence_id, vs_type, slot, start_offset, length, description, kind FROM volumes "
             "ORDER BY evidence_id, start_offset, slot",
             [](const index::Stmt& s) { return row_object(s); });
    out.rows("filesystems", db,
             "SELECT fs_id, evidence_id, volume_id, offset, fs_type, pool_block, block_size, block_count, status "
             "FROM filesystems ORDER BY fs_id",
             [](const index::Stmt& s) { return row_object(s); });

    // Files, with their hashes merged in from the hashes table walked in the same file_id order.
    {
        auto hs = db.prepare("SELECT file_id, algorithm, value FROM hashes ORDER BY file_id, algorithm");
        bool h_more = hs.step();
        // What detectors recorded about each file (mime type, ...), as detector -> key -> value.
        auto ps = db.prepare(shape.properties ? "SELECT file_id, detector, key, value FROM properties ORDER BY file_id, detector, key"
                                              : "SELECT 0, '', '', '' WHERE 0");
        bool p_more = ps.step();
        out.rows(
            "files", db,
            "SELECT f.file_id, f.evidence_id, f.fs_id, f.path, f.name, f.stream, f.meta_addr, f.meta_seq, f.name_type, "
            "f.meta_type, f.allocated, f.realloc, f.virtual, f.size, f.mode, f.uid, f.gid, f.mtime, f.atime, f.ctime, "
            "f.crtime, f.content, f.origin, f.parent_id, f.detector, f.parent_offset, " +
                exp::sensitive_expr(shape) + ", " + exp::known_good_expr(shape) + " FROM files f ORDER BY f.file_id",
            [&](const index::Stmt& s) {
                const int64_t id = s.col_int(0);
                ordered_json hashes = ordered_json::object();
                while (h_more && hs.col_int(0) < id) h_more = hs.step();
                while (h_more && hs.col_int(0) == id) {
                    hashes[hs.col_text(1)] = hs.col_text(2);
                    h_more = hs.step();
                }
                ordered_json props = ordered_json::object();
                while (p_more && ps.col_int(0) < id) p_more = ps.step();
                while (p_more && ps.col_int(0) == id) {
                    props[ps.col_text(1)][ps.col_text(2)] = ps.col_text(3);
                    p_more = ps.step();
                }
                const bool sensitive = !s.col_null(26) && s.col_int(26) == 1;
                ordered_json o;
                o["file_id"] = id;
                o["evidence_id"] = s.col_int(1);
                o["fs_id"] = s.col_int(2);
                put_text(o, "path", s.col_text(3));
                o["allocated"] = s.col_int(10) == 1;
                o["size"] = col_json(s, 13);
                o["mtime"] = time_json(s, 17);
                o["atime"] = time_json(s, 18);
                o["ctime"] = time_json(s, 19);
                o["crtime"] = time_json(s, 20);
                o["hashes"] = hashes;
                o["sensitive"] = s.col_null(26) ? ordered_json(nullptr) : ordered_json(sensitive);
                o["known_good"] = s.col_null(27) ? ordered_json(nullptr) : ordered_json(s.col_int(27) == 1);
                // A sensitive file shows hashes, path, size, times (and, in findings, its set and
                // category) only: nothing more is said about it.
                if (sensitive) return o;
                put_text(o, "name", s.col_text(4));
                o["stream"] = col_json(s, 5);
                o["meta_addr"] = s.col_int(6);
                o["meta_seq"] = col_json(s, 7);
                o["name_type"] = s.col_text(8);
                o["meta_type"] = s.col_text(9);
                o["realloc"] = s.col_int(11) == 1;
                o["virtual"] = s.col_int(12) == 1;
                o["mode"] = col_json(s, 14);
                o["uid"] = col_json(s, 15);
                o["gid"] = col_json(s, 16);
                o["content"] = s.col_text(21);
                o["origin"] = s.col_text(22);
                o["parent_id"] = col_json(s, 23);
                o["detector"] = col_json(s, 24);
                o["parent_offset"] = col_json(s, 25);
                o["properties"] = props;
                return o;
            });
    }

    out.rows("findings", db,
             "SELECT finding_id, file_id, evidence_id, detector, detector_version, kind, rule, category, severity, "
             "offset, length, detail FROM findings fi WHERE " +
                 exp::visible_findings_where(shape) + " ORDER BY finding_id",
             [](const index::Stmt& s) { return row_object(s); });
    out.rows("errors", db,
             "SELECT error_id, evidence_id, location, detector, file_id, message, time FROM errors ORDER BY error_id",
             [](const index::Stmt& s) { return row_object(s); });
    out.rows("unallocated_ranges", db,
             "SELECT range_id, evidence_id, fs_id, kind, start_offset, length, scanned FROM unalloc_ranges "
             "ORDER BY evidence_id, start_offset",
             [](const index::Stmt& s) {
                 ordered_json o = row_object(s);
                 o["scanned"] = s.col_int(6) == 1;
                 return o;
             });
    out.rows("detector_runs", db,
             "SELECT evidence_id, detector, version, origin FROM detector_runs ORDER BY evidence_id, detector",
             [](const index::Stmt& s) { return row_object(s); });
    out.rows("audit", db, "SELECT seq, time, action, detail, prev_hash, hash FROM audit ORDER BY seq",
             [&](const index::Stmt& s) {
                 ordered_json o = row_object(s);
                 // case.json may withhold the details from partners; time, action and the chain stay.
                 if (cfg.hidden("audit_details")) {
                     o["detail"] = "";
                     o["detail_parsed"] = nullptr;
                     return o;
                 }
                 // The chain hash covers the detail text exactly as stored: keep it as text, and
                 // give the parsed form beside it for readers.
                 auto parsed = ordered_json::parse(s.col_text(3), nullptr, false);
                 o["detail_parsed"] = parsed.is_discarded() ? ordered_json(nullptr) : parsed;
                 return o;
             });
    {
        ordered_json head = {{"seq", nullptr}, {"hash", nullptr}};
        auto s = db.prepare("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1");
        if (s.step()) head = {{"seq", s.col_int(0)}, {"hash", s.col_text(1)}};
        out.key("audit_head");
        out.f() << dump(head);
    }
    out.finish();
    return path;
}

}  // namespace triage::report
