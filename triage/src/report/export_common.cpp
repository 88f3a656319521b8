#include "report/export_common.hpp"

#include "util/text.hpp"

#include <tsk/libtsk.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace fs = std::filesystem;

namespace triage::report::exp {

std::string output_path(index::CaseIndex& idx, const Options& opts, const std::string& default_name) {
    fs::path p = opts.out.empty() ? fs::path(idx.case_dir()) / "reports" / default_name : fs::path(opts.out);
    std::error_code ec;
    if (p.has_parent_path()) {
        fs::create_directories(p.parent_path(), ec);
        if (ec) throw std::runtime_error("cannot create folder '" + p.parent_path().string() + "': " + ec.message());
    }
    return p.string();
}

std::string default_output_name(const std::string& format) {
    if (format == "json") return "report.json";
    if (format == "csv") return "csv";
    if (format == "case") return "case-uco.jsonld";
    if (format == "dfxml") return "dfxml.xml";
    if (format == "bodyfile") return "bodyfile.txt";
    if (format == "vics") return "vics.json";
    if (format == "html") return "html";
    if (format == "pdf") return "report.pdf";
    return format;
}

bool has_column(index::Db& db, const std::string& table, const std::string& column) {
    auto s = db.prepare("SELECT count(*) FROM pragma_table_info(?) WHERE name = ?");
    s.bind(1, table).bind(2, column);
    return s.step() && s.col_int(0) > 0;
}

IndexShape shape_of(index::Db& db) {
    IndexShape s;
    s.known_good = has_column(db, "files", "known_good");
    s.sensitive = has_column(db, "files", "sensitive");
    s.properties = index::query_int(db, "SELECT count(*) FROM sqlite_master WHERE type='table' AND name='properties'") > 0;
    return s;
}

std::string sensitive_expr(const IndexShape& s, const std::string& alias) {
    return s.sensitive ? "(" + alias + ".sensitive = 1)" : "NULL";
}

std::string known_good_expr(const IndexShape& s, const std::string& alias) {
    return s.known_good ? "(" + alias + ".known_good = 1)" : "NULL";
}

std::string visible_findings_where(const IndexShape& s) {
    if (!s.sensitive) return "1";
    return "(fi.kind = 'hashset' OR fi.file_id IS NULL OR "
           "NOT EXISTS (SELECT 1 FROM files sf WHERE sf.file_id = fi.file_id AND sf.sensitive = 1))";
}

const char* profile_name(Profile p) { return p == Profile::Share ? "share" : "internal"; }

std::string tool_version() { return TRIAGE_VERSION; }

std::optional<int> tsk_meta_type_number(const std::string& letter) {
    if (letter.size() != 1) return std::nullopt;
    for (int i = 0; i < TSK_FS_META_TYPE_STR_MAX; ++i)
        if (tsk_fs_meta_type_str[i][0] == letter[0]) return i;
    return std::nullopt;
}

std::string mode_string(int64_t mode) {
    std::string s = "---------";
    const char* rwx = "rwxrwxrwx";
    for (int i = 0; i < 9; ++i)
        if (mode & (0400 >> i)) s[i] = rwx[i];
    if (mode & 04000) s[2] = (mode & 0100) ? 's' : 'S';
    if (mode & 02000) s[5] = (mode & 0010) ? 's' : 'S';
    if (mode & 01000) s[8] = (mode & 0001) ? 't' : 'T';
    return s;
}

std::string stable_uuid(const std::string& case_key, const std::string& name) {
    std::string h = util::sha256_hex(case_key + "\n" + name).substr(0, 32);
    // RFC 9562 version 8 (custom) with the RFC variant bits.
    h[12] = '8';
    const char variants[] = "89ab";
    h[16] = variants[std::stoi(h.substr(16, 1), nullptr, 16) & 3];
    return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) + "-" + h.substr(20);
}

CaseConfig case_config(index::CaseIndex& idx, const Options& opts) {
    CaseConfig c;
    c.share = opts.profile == Profile::Share;
    const fs::path p = fs::path(idx.case_dir()) / "case.json";
    std::error_code ec;
    if (!fs::exists(p, ec)) return c;
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    try {
        c.config = nlohmann::json::parse(ss.str());
    } catch (const nlohmann::json::parse_error& e) {
        throw std::runtime_error(p.string() + ": not valid JSON: " + e.what());
    }
    if (!c.config.is_object()) throw std::runtime_error(p.string() + ": must be a JSON object (see docs/report.md)");
    if (c.config.contains("internal")) {
        if (!c.config["internal"].is_array()) throw std::runtime_error(p.string() + ": \"internal\" must be an array of names");
        for (const auto& x : c.config["internal"])
            if (x.is_string()) c.internal.insert(x.get<std::string>());
    }
    if (c.config.contains("fields") && !c.config["fields"].is_array())
        throw std::runtime_error(p.string() + ": \"fields\" must be an array of {label, value, internal}");
    return c;
}

std::string CaseConfig::evidence_path(const std::string& p) const {
    return hidden("evidence_paths") ? fs::path(p).filename().string() : p;
}

std::vector<std::string> CaseConfig::withheld() const {
    std::vector<std::string> out;
    if (!share) return out;
    if (config.contains("notes")) out.push_back("notes");
    out.insert(out.end(), internal.begin(), internal.end());
    if (config.contains("fields") && config["fields"].is_array())
        for (const auto& f : config["fields"])
            if (f.is_object() && f.value("internal", false)) out.push_back("fields." + f.value("label", std::string()));
    return out;
}

CaseInfo case_info(index::Db& db) {
    CaseInfo c;
    auto s = db.prepare("SELECT case_number, examiner, created FROM case_info WHERE id = 1");
    if (s.step()) {
        c.case_number = s.col_text(0);
        c.examiner = s.col_text(1);
        c.created = s.col_text(2);
    }
    return c;
}

std::string case_key(index::Db& db) {
    auto c = case_info(db);
    return util::sha256_hex(c.created + "|" + c.case_number);
}

}  // namespace triage::report::exp
