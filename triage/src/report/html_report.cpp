#include "report/html_report.hpp"

#include "report/escape.hpp"
#include "util/text.hpp"

#include <kainjow/mustache.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <stdexcept>

namespace triage::report {

namespace fs = std::filesystem;
using json = nlohmann::json;
namespace mus = kainjow::mustache;

namespace {

// Keys the renderer itself looks up (enumerated values turned into words); the templates' own
// keys are found by reading the templates.
const char* const kRendererKeys[] = {
    "verification_verified", "verification_mismatch", "verification_no_stored_hash", "verification_not_checked",
    "time_mtime", "time_atime", "time_ctime", "time_crtime", "volume_partition", "volume_unallocated",
    "volume_meta", "volume_filesystem", "type_none", "other", "yes", "no", "allocated", "deleted",
    "flag_sensitive", "flag_known_good", "flag_carved", "withheld_sensitive", "profile_internal",
    "profile_share", "scan_date", "files_unit", "range_no_filesystem", "range_unpartitioned",
    "range_fs_unallocated", "fs_incomplete", "container_opened", "container_locked", "container_unsupported",
    "container_damaged", "content_unreadable", "content_partial", "evidence_incomplete"};

std::string read_text(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    if (!in) throw std::runtime_error(p.string() + ": cannot read");
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

void write_text(const fs::path& p, const std::string& s) {
    std::ofstream out(p, std::ios::binary);
    out << s;
    out.close();
    if (!out) throw std::runtime_error(p.string() + ": cannot write");
}

bool has_column(index::Db& db, const std::string& table, const std::string& column) {
    auto s = db.prepare("SELECT 1 FROM pragma_table_info(?1) WHERE name = ?2");
    s.bind(1, table).bind(2, column);
    return s.step();
}

std::string templates_of(const Options& o) { return o.templates_dir.empty() ? default_templates_dir() : o.templates_dir; }

// ---- translations -----------------------------------------------------------------------------

std::set<std::string> template_keys(const std::string& dir) {
    std::set<std::string> keys;
    static const std::regex ref(R"(\{\{[{#^/&]?\s*t\.([A-Za-z0-9_]+))");
    fs::path html = fs::path(dir) / "html";
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(html, ec)) {
        if (e.path().extension() != ".mustache") continue;
        std::string text = read_text(e.path());
        for (std::sregex_iterator it(text.begin(), text.end(), ref), end; it != end; ++it) keys.insert((*it)[1]);
    }
    // Strings the page script shows are handed to it through data-l-* attributes in the
    // templates, so they are template keys too.
    for (const char* k : kRendererKeys) keys.insert(k);
    return keys;
}

// ---- small formatting helpers -----------------------------------------------------------------

// Empty text as null, so that {{#x}} in a template skips it (kainjow treats "" as true).
json opt(const std::string& s) { return s.empty() ? json(nullptr) : json(s); }

std::string num(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f", v);
    return buf;
}

// "2026-11-29T07:00:00Z" or "2026-11-29 07:00:00" (SQLite's datetime) -> Unix seconds; -1 if neither.
int64_t parse_iso(const std::string& s) {
    std::tm tm{};
    if (s.size() < 19) return -1;
    if (std::sscanf(s.c_str(), "%4d-%2d-%2d%*c%2d:%2d:%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
                    &tm.tm_min, &tm.tm_sec) != 6)
        return -1;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return static_cast<int64_t>(timegm(&tm));
}

// The examiner's zone and its offset from UTC now, e.g. "Europe/Kyiv (UTC+02:00)". The zone must
// name a file of the system's time-zone database; an unknown zone is an error, not a guess.
std::string describe_timezone(std::string tz) {
    auto known = [](const std::string& z) {
        return !z.empty() && z[0] != '/' && z.find("..") == std::string::npos &&
               fs::is_regular_file(fs::path("/usr/share/zoneinfo") / z);
    };
    if (!tz.empty() && tz != "UTC" && !known(tz))
        throw std::invalid_argument("unknown time zone '" + tz + "' (not in /usr/share/zoneinfo; e.g. Europe/Kyiv)");
    // Not given: the machine's zone when it names one, else UTC (never a guess stated as fact).
    if (tz.empty()) {
        if (const char* e = std::getenv("TZ"); e && *e && known(e[0] == ':' ? e + 1 : e)) tz = e[0] == ':' ? e + 1 : e;
    }
    if (tz.empty()) {
        std::ifstream f("/etc/timezone");
        std::string z;
        std::getline(f, z);
        if (known(z)) tz = z;
    }
    if (tz.empty()) tz = "UTC";
    // The offset through the C library: TZ is switched for this one computation and restored.
    std::string saved;
    const char* old = std::getenv("TZ");
    if (old) saved = old;
    setenv("TZ", tz.c_str(), 1);
    tzset();
    std::time_t now = std::time(nullptr);
    std::tm lt{};
    localtime_r(&now, &lt);
    long off = lt.tm_gmtoff;
    if (old)
        setenv("TZ", saved.c_str(), 1);
    else
        unsetenv("TZ");
    tzset();
    char buf[32];
    std::snprintf(buf, sizeof buf, "%c%02ld:%02ld", off < 0 ? '-' : '+', std::labs(off) / 3600, (std::labs(off) % 3600) / 60);
    return tz + " (UTC" + buf + ")";
}

// ---- charts: geometry here, drawing in the templates ------------------------------------------

// Horizontal bars: one per (label, value), scaled to the largest.
json hbar_chart(const std::vector<std::pair<std::string, uint64_t>>& items, bool bytes) {
    const double label_w = 170, bar_w = 460, row_h = 22;
    uint64_t max = 0;
    for (const auto& [l, v] : items) max = std::max(max, v);
    json bars = json::array();
    double y = 4;
    for (const auto& [l, v] : items) {
        double w = max ? std::max(1.0, bar_w * static_cast<double>(v) / static_cast<double>(max)) : 0;
        std::string value = bytes ? util::human_bytes(v) : std::to_string(v);
        bars.push_back({{"label", l}, {"value", value}, {"x", num(label_w)}, {"y", num(y)}, {"w", num(w)},
                        {"h", num(row_h - 6)}, {"ty", num(y + row_h - 10)}, {"vx", num(label_w + w + 6)},
                        {"lx", num(label_w - 6)}});
        y += row_h;
    }
    return {{"w", num(label_w + bar_w + 110)}, {"h", num(y + 4)}, {"bars", bars}, {"empty", items.empty()}};
}

struct Tr {
    const std::map<std::string, std::string>& t;
    std::string operator()(const std::string& key) const {
        auto it = t.find(key);
        return it == t.end() ? key : it->second;
    }
};

// The histogram of one evidence item's file times: a row of bars per time kind (M, A, C, B),
// sharing one time axis, each row scaled to its own peak; the scan date marked when inside.
json activity_chart(index::Db& db, int64_t evidence_id, int64_t scan_time, const Tr& tr) {
    const int64_t lo_limit = 315619200;                         // 1980-01-02: FAT's zero date is not activity
    const int64_t hi_limit = (scan_time > 0 ? scan_time : std::time(nullptr)) + 366 * 86400;
    const char* cols[] = {"mtime", "atime", "ctime", "crtime"};
    std::vector<std::vector<int64_t>> values(4);
    int64_t lo = INT64_MAX, hi = INT64_MIN, outside = 0;
    auto s = db.prepare("SELECT mtime, atime, ctime, crtime FROM files WHERE evidence_id = ?1");
    s.bind(1, evidence_id);
    while (s.step())
        for (int c = 0; c < 4; ++c) {
            if (s.col_null(c)) continue;
            int64_t v = s.col_int(c);
            if (v == 0) continue;
            if (v < lo_limit || v > hi_limit) {
                ++outside;
                continue;
            }
            values[c].push_back(v);
            lo = std::min(lo, v);
            hi = std::max(hi, v);
        }
    json out = {{"empty", lo > hi}, {"outside", outside}};
    if (lo > hi) return out;
    const int nbins = 48;
    const double left = 110, width = 640, row_h = 46, gap = 12, top = 8;
    int64_t span = std::max<int64_t>(hi - lo + 1, nbins);
    int64_t bin = (span + nbins - 1) / nbins;
    json rows = json::array();
    for (int c = 0; c < 4; ++c) {
        std::vector<uint64_t> counts(nbins, 0);
        for (int64_t v : values[c]) counts[static_cast<size_t>(std::min<int64_t>((v - lo) / bin, nbins - 1))]++;
        uint64_t peak = *std::max_element(counts.begin(), counts.end());
        double y0 = top + c * (row_h + gap);
        json bars = json::array();
        for (int i = 0; i < nbins; ++i) {
            if (!counts[i]) continue;
            double h = row_h * static_cast<double>(counts[i]) / static_cast<double>(peak);
            int64_t from = lo + i * bin;
            bars.push_back({{"x", num(left + i * width / nbins)}, {"y", num(y0 + row_h - h)},
                            {"w", num(width / nbins - 1)}, {"h", num(std::max(h, 1.0))},
                            {"title", tr(std::string("time_") + cols[c]) + " " + util::iso_utc(from) + " – " +
                                          util::iso_utc(from + bin - 1) + ": " + std::to_string(counts[i])}});
        }
        rows.push_back({{"label", tr(std::string("time_") + cols[c])}, {"peak", std::to_string(peak)},
                        {"count", std::to_string(values[c].size())}, {"cls", cols[c]}, {"ly", num(y0 + 14)},
                        {"py", num(y0 + 30)}, {"base", num(y0 + row_h)}, {"bars", bars}});
    }
    double axis_y = top + 4 * (row_h + gap);
    out["w"] = num(left + width + 20);
    out["h"] = num(axis_y + 24);
    out["left"] = num(left);
    out["right"] = num(left + width);
    out["axis_y"] = num(axis_y);
    out["label_y"] = num(axis_y + 16);
    out["mid"] = num(left + width / 2);
    // Axis labels: dates, or dates and times when the whole range is shorter than a few days.
    const size_t chars = nbins * bin < 4 * 86400 ? 16 : 10;
    out["from"] = util::iso_utc(lo).substr(0, chars);
    out["to"] = util::iso_utc(lo + nbins * bin - 1).substr(0, chars);
    out["middle"] = util::iso_utc(lo + nbins * bin / 2).substr(0, chars);
    out["bin"] = bin >= 86400 ? std::to_string(bin / 86400) + " d" : std::to_string(bin) + " s";
    out["rows"] = rows;
    out["scan_date"] = scan_time > 0 ? util::iso_utc(scan_time) : "";
    if (scan_time >= lo && scan_time < lo + nbins * bin) {
        double x = left + width * static_cast<double>(scan_time - lo) / static_cast<double>(nbins * bin);
        out["marker"] = {{"x", num(x)}, {"y1", num(top - 4)}, {"y2", num(axis_y)}, {"label", tr("scan_date")}};
    } else {
        out["marker_outside"] = scan_time > 0;
    }
    return out;
}

// ---- the model --------------------------------------------------------------------------------

struct Builder {
    Builder(index::CaseIndex& i, const Options& o) : idx(i), opts(o) {}
    index::CaseIndex& idx;
    const Options& opts;
    std::map<std::string, std::string> t;
    Tr tr{t};
    json config;
    bool share = false;
    std::set<std::string> internal_items;   // case.json "internal"
    bool has_sensitive = false, has_known_good = false;
    bool has_volumes = false;   // container volumes (LVM, LUKS, BitLocker, shadow copies): volumes.volume, containers

    // The container volume a row lies in ('' the evidence itself).
    std::string vol(const std::string& alias) const { return has_volumes ? alias + ".volume" : "''"; }

    index::Db& db() { return idx.db(); }

    bool hidden(const std::string& item) const { return share && internal_items.count(item); }

    // Files marked sensitive (CSAM): listed with hashes, path, size, times, set and category only.
    std::string sensitive_expr(const std::string& alias) const {
        return has_sensitive ? "COALESCE(" + alias + ".sensitive, 0)" : "0";
    }
    std::string known_good_expr(const std::string& alias) const {
        return has_known_good ? "COALESCE(" + alias + ".known_good, 0)" : "0";
    }

    json case_section() {
        json c;
        auto s = db().prepare("SELECT case_number, examiner, created FROM case_info WHERE id = 1");
        if (s.step()) {
            c["number"] = s.col_text(0);
            c["examiner"] = hidden("examiner") ? "" : s.col_text(1);
            c["created"] = s.col_text(2);
        }
        c["examiner_hidden"] = hidden("examiner");
        for (const char* k : {"title", "agency", "unit", "description"})
            if (config.contains(k) && config[k].is_string() && !hidden(k)) c[k] = opt(config[k].get<std::string>());
        json fields = json::array();
        if (config.contains("fields"))
            for (const auto& f : config["fields"]) {
                bool internal = f.value("internal", false) || hidden("fields." + f.value("label", ""));
                if (share && internal) continue;
                fields.push_back({{"label", f.value("label", "")}, {"value", f.value("value", "")}, {"internal", internal}});
            }
        c["fields"] = fields;
        // Examiner notes are the examiner's own: never in the share profile.
        json notes = json::array();
        if (!share && config.contains("notes")) {
            const auto& n = config["notes"];
            if (n.is_string())
                notes.push_back({{"text", n.get<std::string>()}, {"time", nullptr}});
            else
                for (const auto& x : n)
                    notes.push_back(x.is_string() ? json{{"text", x.get<std::string>()}, {"time", nullptr}}
                                                  : json{{"text", x.value("text", "")}, {"time", opt(x.value("time", ""))}});
        }
        c["notes"] = notes;
        c["has_notes"] = !notes.empty();
        return c;
    }

    json volumes_of(int64_t ev, uint64_t size, json& partition_chart) {
        json vols = json::array();
        std::vector<std::tuple<uint64_t, uint64_t, std::string, std::string, int64_t>> segs;
        auto s = db().prepare("SELECT v.slot, v.start_offset, v.length, v.description, v.kind, v.vs_type, " + vol("v") +
                              " FROM volumes v WHERE v.evidence_id = ?1 ORDER BY " + vol("v") + ", v.start_offset, v.slot");
        s.bind(1, ev);
        std::string vs_type;
        while (s.step()) {
            std::string kind = s.col_text(4), volume = s.col_text(6);
            uint64_t off = static_cast<uint64_t>(s.col_int(1)), len = static_cast<uint64_t>(s.col_int(2));
            vols.push_back({{"slot", s.col_int(0)}, {"offset", off}, {"length", len}, {"length_h", util::human_bytes(len)},
                            {"description", s.col_text(3)}, {"kind", tr("volume_" + kind)}, {"cls", kind},
                            {"volume", volume}});
            // The bar is the evidence itself; tables inside a container volume have offsets in that volume.
            if (!volume.empty()) continue;
            vs_type = s.col_text(5);
            segs.emplace_back(off, len, kind, s.col_text(3), s.col_int(0));
        }
        if (segs.empty()) {
            // A bare file system (or none): the file systems themselves are the layout.
            auto f = db().prepare("SELECT offset, COALESCE(block_size * block_count, 0), fs_type FROM filesystems f "
                                  "WHERE evidence_id = ?1 AND " + vol("f") + " = '' ORDER BY offset");
            f.bind(1, ev);
            while (f.step()) {
                uint64_t len = static_cast<uint64_t>(f.col_int(1));
                segs.emplace_back(static_cast<uint64_t>(f.col_int(0)), len ? len : size, "filesystem", f.col_text(2), -1);
            }
        }
        // To scale: partitions and unallocated slots on the main track, volume-system tables
        // (and extended containers, which overlap partitions) on a thin track above.
        const double left = 10, width = 760;
        json rects = json::array();
        double scale = size ? width / static_cast<double>(size) : 0;
        for (const auto& [off, len, kind, desc, slot] : segs) {
            double x = left + static_cast<double>(off) * scale, w = std::max(1.0, static_cast<double>(len) * scale);
            if (x > left + width) continue;
            w = std::min(w, left + width - x);
            bool meta = kind == "meta";
            std::string label = slot >= 0 ? "#" + std::to_string(slot) : desc;
            rects.push_back({{"x", num(x)}, {"y", meta ? "4" : "18"}, {"w", num(w)}, {"h", meta ? "10" : "34"},
                             {"cls", kind}, {"label", w > 40 && !meta ? label : ""}, {"tx", num(x + 4)},
                             {"title", tr("volume_" + kind) + " " + label + " " + desc + ": " + std::to_string(off) +
                                           " + " + std::to_string(len) + " B (" + util::human_bytes(len) + ")"}});
        }
        partition_chart = {{"w", num(left * 2 + width)}, {"h", "56"}, {"rects", rects}, {"vs_type", opt(vs_type)},
                           {"size_h", util::human_bytes(size)}, {"empty", rects.empty()}};
        return vols;
    }

    json evidence_section(json& counts) {
        json list = json::array();
        auto s = db().prepare(
            "SELECT e.evidence_id, e.path, e.format, e.size, e.stored_md5, e.stored_sha1, e.computed_md5, e.computed_sha1, "
            "e.computed_sha256, e.verification, e.added, e.completed, e.status, e.sector_size FROM evidence e "
            "ORDER BY e.evidence_id");
        while (s.step()) {
            int64_t ev = s.col_int(0);
            uint64_t size = static_cast<uint64_t>(s.col_int(3));
            std::string path = s.col_text(1);
            if (hidden("evidence_paths")) path = fs::path(path).filename().string();
            std::string verification = s.col_text(9);
            std::string vkey = verification;
            std::replace(vkey.begin(), vkey.end(), ' ', '_');
            json e = {{"id", ev}, {"path", path}, {"format", s.col_text(2)}, {"size", size},
                      {"size_h", util::human_bytes(size)}, {"stored_md5", s.col_text(4)}, {"stored_sha1", s.col_text(5)},
                      {"computed_md5", s.col_text(6)}, {"computed_sha1", s.col_text(7)},
                      {"computed_sha256", s.col_text(8)}, {"verification", tr("verification_" + vkey)},
                      {"verification_cls", vkey}, {"added", s.col_text(10)}, {"completed", opt(s.col_text(11))},
                      {"incomplete", s.col_text(12) != "complete"}, {"sector_size", s.col_int(13)}};
            json chart;
            e["volumes"] = volumes_of(ev, size, chart);
            e["has_volumes"] = !e["volumes"].empty();
            e["partition_chart"] = chart;
            json fss = json::array();
            auto f = db().prepare(
                "SELECT fs.fs_id, fs.offset, fs.fs_type, fs.block_size, fs.block_count, fs.status, "
                "(SELECT count(*) FROM files WHERE fs_id = fs.fs_id), "
                "(SELECT count(*) FROM files WHERE fs_id = fs.fs_id AND allocated = 0), " + vol("fs") +
                " FROM filesystems fs WHERE fs.evidence_id = ?1 ORDER BY " + vol("fs") + ", fs.offset, fs.pool_block");
            f.bind(1, ev);
            while (f.step())
                fss.push_back({{"id", f.col_int(0)}, {"offset", f.col_int(1)}, {"type", f.col_text(2)},
                               {"block_size", f.col_text(3)}, {"block_count", f.col_text(4)},
                               {"complete", f.col_text(5) == "complete"}, {"files", f.col_int(6)},
                               {"deleted", f.col_int(7)}, {"volume", f.col_text(8)}});
            e["filesystems"] = fss;
            e["has_filesystems"] = !fss.empty();
            // Containers (LVM, LUKS, BitLocker, FileVault, shadow copies): opened or why not.
            json conts = json::array();
            if (has_volumes) {
                auto c = db().prepare("SELECT kind, parent_volume, offset, length, status, COALESCE(reason, ''), volumes "
                                      "FROM containers WHERE evidence_id = ?1 ORDER BY parent_volume, offset, kind");
                c.bind(1, ev);
                while (c.step()) {
                    std::string opened;
                    json v = json::parse(c.col_text(6), nullptr, false);
                    if (v.is_array())
                        for (const auto& x : v)
                            if (x.is_string()) opened += (opened.empty() ? "" : ", ") + x.get<std::string>();
                    conts.push_back({{"kind", c.col_text(0)}, {"parent", c.col_text(1)}, {"offset", c.col_int(2)},
                                     {"length", c.col_int(3)}, {"length_h", util::human_bytes(static_cast<uint64_t>(c.col_int(3)))},
                                     {"status", tr("container_" + c.col_text(4))}, {"opened", c.col_text(4) == "opened"},
                                     {"reason", c.col_text(5)}, {"volumes", opened}});
                }
            }
            e["containers"] = conts;
            e["has_containers"] = !conts.empty();
            e["activity"] = activity_chart(db(), ev, parse_iso(s.col_text(10)), tr);
            list.push_back(e);
        }
        counts["evidence"] = list.size();
        return list;
    }

    json summary_counts() {
        json c;
        auto q = [&](const std::string& sql) { return index::query_int(db(), sql); };
        c["files"] = q("SELECT count(*) FROM files");
        c["regular"] = q("SELECT count(*) FROM files WHERE meta_type = 'r'");
        c["directories"] = q("SELECT count(*) FROM files WHERE meta_type = 'd'");
        c["deleted"] = q("SELECT count(*) FROM files WHERE allocated = 0");
        c["bytes"] = util::human_bytes(static_cast<uint64_t>(q("SELECT COALESCE(sum(size), 0) FROM files WHERE meta_type = 'r'")));
        c["hashed"] = q("SELECT count(DISTINCT file_id) FROM hashes WHERE algorithm = 'sha256'");
        c["partitions"] = q("SELECT count(*) FROM volumes WHERE kind = 'partition'");
        c["filesystems"] = q("SELECT count(*) FROM filesystems");
        c["findings"] = q("SELECT count(*) FROM findings");
        c["hashset_hits"] = q("SELECT count(*) FROM findings WHERE kind = 'hashset'");
        c["yara_hits"] = q("SELECT count(*) FROM findings WHERE kind = 'yara'");
        c["carved"] = q("SELECT count(*) FROM files WHERE origin = 'carved'");
        c["errors"] = q("SELECT count(*) FROM errors");
        c["sensitive"] = has_sensitive ? q("SELECT count(*) FROM files WHERE sensitive = 1") : 0;
        c["known_good"] = has_known_good ? q("SELECT count(*) FROM files WHERE known_good = 1") : 0;
        return c;
    }

    // Did any detector of this family run? detector_runs records each detector per evidence item;
    // findings of the kind prove it ran even in an index written before detector_runs existed.
    bool ran(const std::string& like, const std::string& kind) {
        auto s = db().prepare("SELECT 1 FROM detector_runs WHERE detector LIKE ?1 UNION ALL "
                              "SELECT 1 FROM findings WHERE kind = ?2 LIMIT 1");
        s.bind(1, like).bind(2, kind);
        return s.step();
    }

    // A finding's detail, readable: YARA's tags and matched strings; withheld for a sensitive file,
    // whose matched bytes are its content.
    std::string detail_text(const std::string& kind, const std::string& detail, bool sensitive) {
        if (sensitive) return tr("withheld_sensitive");
        if (detail.empty()) return "";
        // A detector's detail of an unexpected shape is shown as it is, not dropped.
        try {
            return detail_summary(kind, detail);
        } catch (const json::exception&) {
            return detail;
        }
    }

    std::string detail_summary(const std::string& kind, const std::string& detail) {
        json d = json::parse(detail, nullptr, false);
        if (d.is_discarded() || !d.is_object()) return detail;
        std::string out;
        if (kind == "yara") {
            if (d.contains("tags") && !d["tags"].empty()) {
                out += "tags:";
                for (const auto& tg : d["tags"]) out += " " + tg.get<std::string>();
                out += "; ";
            }
            if (d.contains("strings"))
                for (const auto& st : d["strings"])
                    out += st.value("id", "") + "@" + std::to_string(st.value("offset", 0)) + " \"" +
                           st.value("context", "") + "\"; ";
            if (!out.empty()) return out;
        }
        for (auto it = d.begin(); it != d.end(); ++it)
            out += it.key() + "=" + (it->is_string() ? it->get<std::string>() : it->dump(-1, ' ', false, json::error_handler_t::replace)) + "; ";
        return out;
    }

    json findings_of(const std::string& kind, json& by_category) {
        json rows = json::array();
        uint64_t known_good_hits = 0;
        std::map<std::pair<std::string, std::string>, uint64_t> groups;
        std::map<std::string, uint64_t> cats;
        auto s = db().prepare(
            "SELECT fi.finding_id, fi.file_id, fi.evidence_id, fi.detector, fi.detector_version, fi.rule, "
            "COALESCE(fi.category, ''), fi.severity, fi.offset, fi.length, fi.detail, f.path, " +
            sensitive_expr("f") + ", (SELECT value FROM hashes h WHERE h.file_id = fi.file_id AND h.algorithm = 'sha256'), " +
            known_good_expr("f") + " "
            "FROM findings fi LEFT JOIN files f ON f.file_id = fi.file_id WHERE fi.kind = ?1 "
            "ORDER BY fi.severity DESC, fi.rule, fi.finding_id");
        s.bind(1, kind);
        while (s.step()) {
            bool sensitive = s.col_int(12) != 0;
            std::string cat = s.col_text(6);
            groups[{s.col_text(5), cat}]++;
            cats[cat.empty() ? tr("type_none") : cat]++;
            // Known-good hits (NSRL: often most of a disk) are counted by set and category, not listed.
            if (s.col_int(14)) {
                ++known_good_hits;
                continue;
            }
            rows.push_back({{"id", s.col_int(0)}, {"file_id", s.col_text(1)}, {"evidence_id", s.col_int(2)},
                            {"detector", s.col_text(3)}, {"version", s.col_text(4)}, {"rule", s.col_text(5)},
                            {"category", cat}, {"severity", s.col_text(7)}, {"offset", s.col_text(8)},
                            {"length", s.col_text(9)}, {"path", s.col_text(11)}, {"sha256", s.col_text(13)},
                            {"sensitive", sensitive}, {"detail", detail_text(kind, s.col_text(10), sensitive)}});
        }
        json g = json::array();
        for (const auto& [k, n] : groups) g.push_back({{"rule", k.first}, {"category", k.second}, {"count", n}});
        std::vector<std::pair<std::string, uint64_t>> items(cats.begin(), cats.end());
        std::sort(items.begin(), items.end(), [](auto& a, auto& b) { return a.second > b.second; });
        by_category = hbar_chart(items, false);
        return json{{"rows", rows}, {"groups", g}, {"count", rows.size()}, {"any", !groups.empty()},
                    {"known_good_hits", known_good_hits}, {"any_known_good", known_good_hits > 0}};
    }

    json hits_section(const std::string& kind, const std::string& detector_like) {
        json chart;
        json h = findings_of(kind, chart);
        h["ran"] = ran(detector_like, kind);
        h["chart"] = chart;
        return h;
    }

    json carved_section() {
        json rows = json::array();
        auto s = db().prepare(
            "SELECT f.file_id, f.evidence_id, f.path, f.size, f.detector, f.parent_offset, "
            "(SELECT value FROM hashes h WHERE h.file_id = f.file_id AND h.algorithm = 'sha256'), " +
            sensitive_expr("f") + " FROM files f WHERE f.origin = 'carved' ORDER BY f.evidence_id, f.file_id");
        while (s.step())
            rows.push_back({{"id", s.col_int(0)}, {"evidence_id", s.col_int(1)}, {"path", s.col_text(2)},
                            {"size", s.col_text(3)}, {"detector", s.col_text(4)}, {"offset", s.col_text(5)},
                            {"sha256", s.col_text(6)}, {"sensitive", s.col_int(7) != 0}});
        bool ran_ = !rows.empty();
        if (!ran_) {
            auto r = db().prepare("SELECT 1 FROM detector_runs WHERE detector LIKE '%carv%' LIMIT 1");
            ran_ = r.step();
        }
        return {{"rows", rows}, {"count", rows.size()}, {"any", !rows.empty()}, {"ran", ran_}};
    }

    // Notable: every file a detector reported (known-good files excluded), worst first.
    json notable_section() {
        json rows = json::array();
        auto s = db().prepare(
            "SELECT f.file_id, f.evidence_id, f.path, f.size, f.allocated, "
            "(SELECT value FROM hashes h WHERE h.file_id = f.file_id AND h.algorithm = 'sha256'), " +
            sensitive_expr("f") +
            ", group_concat(DISTINCT fi.kind), group_concat(DISTINCT fi.rule), "
            "group_concat(DISTINCT fi.category), max(fi.severity), count(*) "
            "FROM findings fi JOIN files f ON f.file_id = fi.file_id WHERE " +
            known_good_expr("f") + " = 0 GROUP BY f.file_id ORDER BY max(fi.severity) DESC, count(*) DESC, f.file_id");
        while (s.step())
            rows.push_back({{"id", s.col_int(0)}, {"evidence_id", s.col_int(1)}, {"path", s.col_text(2)},
                            {"size", s.col_text(3)}, {"state", tr(s.col_int(4) ? "allocated" : "deleted")},
                            {"sha256", s.col_text(5)}, {"sensitive", s.col_int(6) != 0}, {"kinds", s.col_text(7)},
                            {"rules", s.col_text(8)}, {"categories", s.col_text(9)}, {"severity", s.col_text(10)},
                            {"findings", s.col_int(11)}});
        return {{"rows", rows}, {"any", !rows.empty()}};
    }

    json errors_section() {
        json errs = json::array();
        auto s = db().prepare("SELECT evidence_id, location, message, detector, time FROM errors ORDER BY error_id");
        while (s.step())
            errs.push_back({{"evidence_id", s.col_text(0)}, {"location", s.col_text(1)}, {"message", s.col_text(2)},
                            {"detector", s.col_text(3)}, {"time", s.col_text(4)}});
        // Areas not read: ranges with no readable file system, file systems whose walk did not
        // finish, evidence not read to the end, and files whose content could not be read.
        json areas = json::array();
        auto r = db().prepare("SELECT evidence_id, kind, start_offset, length, " + vol("u") + " FROM unalloc_ranges u "
                              "WHERE kind = 'no_filesystem' ORDER BY evidence_id, " + vol("u") + ", start_offset");
        while (r.step())
            areas.push_back({{"evidence_id", r.col_int(0)}, {"what", tr("range_" + r.col_text(1))},
                             {"where", (r.col_text(4).empty() ? "" : r.col_text(4) + " @ ") + std::to_string(r.col_int(2)) +
                                           " + " + std::to_string(r.col_int(3)) + " B (" +
                                           util::human_bytes(static_cast<uint64_t>(r.col_int(3))) + ")"}});
        // Containers not opened (a locked LUKS or BitLocker volume, an unsupported or damaged one):
        // everything inside them is unread.
        if (has_volumes) {
            auto c = db().prepare("SELECT evidence_id, kind, parent_volume, offset, length, status, COALESCE(reason, '') "
                                  "FROM containers WHERE status <> 'opened' ORDER BY evidence_id, parent_volume, offset");
            while (c.step())
                areas.push_back({{"evidence_id", c.col_int(0)}, {"what", tr("container_" + c.col_text(5)) + ": " + c.col_text(1)},
                                 {"where", (c.col_text(2).empty() ? "" : c.col_text(2) + " @ ") + std::to_string(c.col_int(3)) +
                                               " + " + std::to_string(c.col_int(4)) + " B" +
                                               (c.col_text(6).empty() ? "" : " (" + c.col_text(6) + ")")}});
        }
        auto f = db().prepare("SELECT evidence_id, offset, fs_type FROM filesystems WHERE status <> 'complete'");
        while (f.step())
            areas.push_back({{"evidence_id", f.col_int(0)}, {"what", tr("fs_incomplete")},
                             {"where", f.col_text(2) + " @ " + std::to_string(f.col_int(1))}});
        auto e = db().prepare("SELECT evidence_id, verification FROM evidence WHERE status <> 'complete' OR "
                              "verification = 'not checked'");
        while (e.step()) areas.push_back({{"evidence_id", e.col_int(0)}, {"what", tr("evidence_incomplete")}, {"where", ""}});
        auto c = db().prepare("SELECT evidence_id, content, count(*) FROM files WHERE content IN ('unreadable', 'partial') "
                              "GROUP BY evidence_id, content");
        while (c.step())
            areas.push_back({{"evidence_id", c.col_int(0)}, {"what", tr("content_" + c.col_text(1))},
                             {"where", std::to_string(c.col_int(2)) + " " + tr("files_unit")}});
        return {{"rows", errs}, {"any", !errs.empty()}, {"areas", areas}, {"any_areas", !areas.empty()}};
    }

    json audit_section() {
        json rows = json::array();
        bool hide = hidden("audit_details");
        auto s = db().prepare("SELECT seq, time, action, detail, hash FROM audit ORDER BY seq");
        std::string last;
        while (s.step()) {
            last = s.col_text(4);
            std::string detail = hide ? "" : s.col_text(3);
            rows.push_back({{"seq", s.col_int(0)}, {"time", s.col_text(1)}, {"action", s.col_text(2)},
                            {"detail", detail}, {"hash", last}});
        }
        auto check = idx.check_audit();
        return {{"rows", rows}, {"last_hash", last}, {"chain_ok", check.ok}, {"chain_message", check.message},
                {"details_hidden", hide}};
    }

    json versions_section() {
        json tools = json::array();
        std::set<std::string> seen;
        auto a = db().prepare("SELECT detail FROM audit WHERE action = 'scan started' ORDER BY seq");
        while (a.step()) {
            json d = json::parse(a.col_text(0), nullptr, false);
            if (d.is_object() && d.contains("tool") && d["tool"].is_string() && seen.insert(d["tool"]).second)
                tools.push_back({{"name", d["tool"].get<std::string>()}});
        }
        json dets = json::array();
        auto s = db().prepare("SELECT detector, version, origin, count(*) FROM detector_runs GROUP BY detector, version, "
                              "origin ORDER BY detector, version");
        while (s.step())
            dets.push_back({{"name", s.col_text(0)}, {"version", s.col_text(1)}, {"origin", s.col_text(2)},
                            {"evidence", s.col_int(3)}});
        // Rules as recorded with their hits: the rule's namespace (its file) and its meta version/date.
        json rules = json::array();
        auto r = db().prepare("SELECT detector, detector_version, rule, min(detail), count(*) FROM findings "
                              "WHERE kind = 'yara' GROUP BY detector, detector_version, rule ORDER BY rule");
        while (r.step()) {
            json d = json::parse(r.col_text(3), nullptr, false);
            std::string ns, ver;
            if (d.is_object() && (!d.contains("namespace") || d["namespace"].is_string())) {
                ns = d.value("namespace", "");
                if (d.contains("meta") && d["meta"].is_object())
                    for (const char* k : {"version", "date", "modified"})
                        if (d["meta"].contains(k)) ver += (ver.empty() ? "" : ", ") + std::string(k) + " " +
                                                          (d["meta"][k].is_string() ? d["meta"][k].get<std::string>()
                                                                                    : d["meta"][k].dump());
            }
            rules.push_back({{"detector", r.col_text(0)}, {"detector_version", r.col_text(1)}, {"rule", r.col_text(2)},
                             {"file", ns}, {"version", ver}, {"hits", r.col_int(4)}});
        }
        return {{"tools", tools}, {"detectors", dets}, {"any_detectors", !dets.empty()}, {"rules", rules},
                {"any_rules", !rules.empty()}, {"renderer", "triage " TRIAGE_VERSION}};
    }

    // Regular files by type: the MIME type a type detector recorded (v_files.type), else the extension.
    json types_section() {
        std::map<std::string, std::pair<uint64_t, uint64_t>> groups;
        auto s = db().prepare("SELECT name, type, size FROM v_files WHERE meta_type = 'r'");
        while (s.step()) {
            std::string type = s.col_text(1), key;
            if (!type.empty()) {
                key = type;
            } else {
                std::string name = s.col_text(0);
                if (auto colon = name.find(':'); colon != std::string::npos) name.resize(colon);   // NTFS stream
                auto dot = name.find_last_of('.');
                if (dot != std::string::npos && dot > 0 && name.size() - dot <= 9) {
                    key = name.substr(dot);
                    std::transform(key.begin(), key.end(), key.begin(), [](unsigned char ch) { return std::tolower(ch); });
                } else {
                    key = tr("type_none");
                }
            }
            auto& g = groups[key];
            g.first++;
            g.second += static_cast<uint64_t>(std::max<int64_t>(0, s.col_int(2)));
        }
        auto top = [&](bool by_size) {
            std::vector<std::pair<std::string, uint64_t>> items;
            for (const auto& [k, v] : groups) items.emplace_back(k, by_size ? v.second : v.first);
            std::sort(items.begin(), items.end(), [](auto& a, auto& b) { return a.second > b.second || (a.second == b.second && a.first < b.first); });
            if (items.size() > 12) {
                uint64_t rest = 0;
                for (size_t i = 11; i < items.size(); ++i) rest += items[i].second;
                items.resize(11);
                items.emplace_back(tr("other"), rest);
            }
            return items;
        };
        return {{"by_count", hbar_chart(top(false), false)}, {"by_size", hbar_chart(top(true), true)},
                {"any", !groups.empty()}};
    }

    json build() {
        const std::string dir = templates_of(opts);
        t = load_translation(dir, opts.lang);
        share = opts.profile == Profile::Share;
        config = load_case_config(idx.case_dir());
        if (config.contains("internal"))
            for (const auto& x : config["internal"])
                if (x.is_string()) internal_items.insert(x.get<std::string>());
        has_sensitive = has_column(db(), "files", "sensitive");
        has_known_good = has_column(db(), "files", "known_good");
        has_volumes = has_column(db(), "volumes", "volume") && has_column(db(), "containers", "kind");
        json m;
        json counts = summary_counts();
        m["generated"] = util::now_iso_utc();
        m["profile"] = tr(share ? "profile_share" : "profile_internal");
        m["profile_share"] = share;
        m["lang"] = opts.lang;
        m["dir"] = t.count("_dir") ? t.at("_dir") : "ltr";
        m["timezone"] = describe_timezone(opts.timezone);
        m["case"] = case_section();
        m["evidence"] = evidence_section(counts);
        m["counts"] = counts;
        m["hashset"] = hits_section("hashset", "%hashset%");
        m["yara"] = hits_section("yara", "yara");
        m["carved"] = carved_section();
        m["notable"] = notable_section();
        m["errors"] = errors_section();
        m["audit"] = audit_section();
        m["versions"] = versions_section();
        m["types"] = types_section();
        m["files_total"] = counts["files"];
        json tj;
        for (const auto& [k, v] : t) tj[k] = v;
        m["t"] = tj;
        return m;
    }
};

// nlohmann JSON -> mustache data. Numbers become text; null becomes false so {{#x}} skips it.
mus::data to_data(const json& j) {
    switch (j.type()) {
    case json::value_t::object: {
        mus::data d{mus::data::type::object};
        for (auto it = j.begin(); it != j.end(); ++it) d.set(it.key(), to_data(*it));
        return d;
    }
    case json::value_t::array: {
        mus::data l{mus::data::type::list};
        for (const auto& x : j) l.push_back(to_data(x));
        return l;
    }
    case json::value_t::string: return mus::data{j.get<std::string>()};
    case json::value_t::boolean: return j.get<bool>() ? mus::data{mus::data::type::bool_true} : mus::data{mus::data::type::bool_false};
    case json::value_t::null: return mus::data{mus::data::type::bool_false};
    default: return mus::data{j.dump()};
    }
}

// The full listing: files.csv (every column, RFC 4180) and the page script's data (the columns the
// browser shows), both streamed from one query so a case of millions of files stays flat in memory.
void write_listing(Builder& b, const fs::path& out_dir) {
    // Which of the 23 columns below are numbers; the others are text from the evidence (names,
    // types), which csv_field keeps from being read as a spreadsheet formula.
    static constexpr bool kNumberColumn[23] = {true, true, true, false, false, false, true, true, false, false, true,
                                               false, false, false, false, false, false, false, false, false,
                                               true, true, false};
    std::string sql =
        "SELECT v.file_id, v.evidence_id, v.partition_offset, v.fs_type, v.path, v.name, v.meta_addr, v.allocated, "
        "v.meta_type, v.type, v.size, v.md5, v.sha1, v.sha256, v.mtime, v.atime, v.ctime, v.crtime, f.origin, f.content, " +
        b.sensitive_expr("f") + ", " + b.known_good_expr("f") +
        ", " + (b.has_volumes ? "COALESCE(v.volume, '')" : "''") +
        " FROM v_files v JOIN files f ON f.file_id = v.file_id ORDER BY v.evidence_id, v.partition_offset, v.path";
    auto s = b.db().prepare(sql);
    std::ofstream csv(out_dir / "files.csv", std::ios::binary);
    std::ofstream js(out_dir / "assets" / "files-data.js", std::ios::binary);
    csv << "file_id,evidence_id,partition_offset,fs_type,path,name,meta_addr,allocated,meta_type,type,size,md5,sha1,"
           "sha256,mtime,atime,ctime,crtime,origin,content,sensitive,known_good,volume\r\n";
    js << "// The file listing of this report (generated; strings escaped for a script context).\n"
          "window.TRIAGE_FILES = [\n";
    const std::string yes = b.tr("allocated"), no = b.tr("deleted");
    bool first = true;
    while (s.step()) {
        for (int i = 0; i < 23; ++i) csv << (i ? "," : "") << exp::csv_field(s.col_text(i), !kNumberColumn[i]);
        csv << "\r\n";
        std::string flags;
        if (s.col_int(20)) flags += b.tr("flag_sensitive");
        if (s.col_int(21)) flags += (flags.empty() ? "" : ", ") + b.tr("flag_known_good");
        if (s.col_text(18) == "carved") flags += (flags.empty() ? "" : ", ") + b.tr("flag_carved");
        json row = {s.col_int(0), s.col_int(1), s.col_text(4), s.col_int(7) ? yes : no, s.col_text(8), s.col_text(9),
                    s.col_null(10) ? json(nullptr) : json(s.col_int(10)), s.col_text(11), s.col_text(13), s.col_text(14),
                    s.col_text(15), s.col_text(16), s.col_text(17), flags};
        js << (first ? "" : ",\n") << script_safe_json(row.dump(-1, ' ', false, json::error_handler_t::replace));
        first = false;
    }
    js << "\n];\n";
    csv.close();
    js.close();
    if (!csv) throw std::runtime_error((out_dir / "files.csv").string() + ": cannot write");
    if (!js) throw std::runtime_error((out_dir / "assets" / "files-data.js").string() + ": cannot write");
}

std::string timestamp_name() {
    std::string s = util::now_iso_utc();   // 2026-11-29T07:00:00Z -> 20261129T070000Z
    s.erase(std::remove_if(s.begin(), s.end(), [](char c) { return c == '-' || c == ':'; }), s.end());
    return s;
}

fs::path default_out(index::CaseIndex& idx, const Options& opts) {
    fs::path base = fs::path(idx.case_dir()) / "reports" /
                    (timestamp_name() + "-" + (opts.profile == Profile::Share ? "share" : "internal") + "-" + opts.lang);
    fs::path p = base;
    for (int i = 2; fs::exists(p); ++i) p = base.string() + "-" + std::to_string(i);
    return p;
}

// Renders the HTML report into DIR (which must not exist yet or be empty).
fs::path render_html_into(index::CaseIndex& idx, const Options& opts, const fs::path& dir) {
    const fs::path tdir = templates_of(opts);
    if (!fs::is_directory(tdir / "html"))
        throw std::runtime_error(tdir.string() + ": not a report template folder (no html/ in it)");
    if (auto missing = missing_translation_keys(tdir, opts.lang); !missing.empty()) {
        std::string list;
        for (const auto& k : missing) list += (list.empty() ? "" : ", ") + k;
        throw std::runtime_error((tdir / "lang" / (opts.lang + ".json")).string() + ": missing translation keys: " + list);
    }
    std::error_code ec;
    if (fs::exists(dir) && !fs::is_empty(dir, ec))
        throw std::runtime_error(dir.string() + ": exists and is not empty (a report is written into a new folder)");
    Builder b(idx, opts);
    json model = b.build();

    mus::data data = to_data(model);
    // Every template in html/ is a partial of report.mustache, by its file stem.
    for (const auto& e : fs::directory_iterator(tdir / "html")) {
        if (e.path().extension() != ".mustache") continue;
        std::string text = read_text(e.path());
        data.set(e.path().stem().string(), mus::partial([text] { return text; }));
    }
    const fs::path main = tdir / "html" / "report.mustache";
    mus::mustache tmpl{read_text(main)};
    if (!tmpl.is_valid()) throw std::runtime_error(main.string() + ": " + tmpl.error_message());
    // Escaping stays on (kainjow's HTML escape: & < > " '), so every string from evidence is inert
    // in text and in quoted attributes; the templates never use {{{ }}} for data.
    std::string html = tmpl.render(data);
    if (!tmpl.is_valid()) throw std::runtime_error(main.string() + ": " + tmpl.error_message());

    fs::create_directories(dir / "assets");
    for (const auto& e : fs::directory_iterator(tdir / "assets"))
        if (e.is_regular_file()) fs::copy_file(e.path(), dir / "assets" / e.path().filename(), fs::copy_options::overwrite_existing);
    write_listing(b, dir);
    write_text(dir / "index.html", html);
    return dir / "index.html";
}

// Runs ARGV (no shell) and waits; returns the exit status, -1 when it could not start.
int run_process(const std::vector<std::string>& argv, const std::string& log) {
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        FILE* f = std::fopen(log.c_str(), "w");
        if (f) {
            dup2(fileno(f), 1);
            dup2(fileno(f), 2);
        }
        execvp(args[0], args.data());
        _exit(127);
    }
    int st = 0;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR) return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

}  // namespace

std::vector<std::string> languages(const std::string& templates_dir) {
    std::vector<std::string> out;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(fs::path(templates_dir) / "lang", ec))
        if (e.path().extension() == ".json") out.push_back(e.path().stem().string());
    std::sort(out.begin(), out.end());
    return out;
}

std::map<std::string, std::string> load_translation(const std::string& templates_dir, const std::string& lang) {
    if (lang.empty() || lang.find_first_of("/.\\") != std::string::npos)
        throw std::invalid_argument("bad language name '" + lang + "'");
    fs::path p = fs::path(templates_dir) / "lang" / (lang + ".json");
    if (!fs::exists(p)) {
        std::string known;
        for (const auto& l : languages(templates_dir)) known += (known.empty() ? "" : ", ") + l;
        throw std::invalid_argument("no translation '" + lang + "': " + p.string() + " does not exist (known: " +
                                    (known.empty() ? "none" : known) + ")");
    }
    json j;
    try {
        j = json::parse(read_text(p));
    } catch (const json::parse_error& e) {
        throw std::runtime_error(p.string() + ": not valid JSON: " + e.what());
    }
    if (!j.is_object()) throw std::runtime_error(p.string() + ": must be one JSON object of key: text");
    std::map<std::string, std::string> t;
    for (auto it = j.begin(); it != j.end(); ++it) {
        if (!it->is_string()) throw std::runtime_error(p.string() + ": the value of '" + it.key() + "' is not a string");
        t[it.key()] = it->get<std::string>();
    }
    return t;
}

std::vector<std::string> missing_translation_keys(const std::string& templates_dir, const std::string& lang) {
    auto t = load_translation(templates_dir, lang);
    std::vector<std::string> missing;
    for (const auto& k : template_keys(templates_dir))
        if (!t.count(k) || t[k].empty()) missing.push_back(k);
    return missing;
}

json load_case_config(const std::string& case_dir) {
    fs::path p = fs::path(case_dir) / "case.json";
    if (!fs::exists(p)) return json::object();
    json j;
    try {
        j = json::parse(read_text(p));
    } catch (const json::parse_error& e) {
        throw std::runtime_error(p.string() + ": not valid JSON: " + e.what());
    }
    // Checked here, so that a mistake is named with the file and the entry, not met while rendering.
    auto bad = [&](const std::string& what) { return std::runtime_error(p.string() + ": " + what + " (see docs/report.md)"); };
    if (!j.is_object()) throw bad("must be a JSON object");
    for (const char* k : {"title", "agency", "unit", "description"})
        if (j.contains(k) && !j[k].is_string()) throw bad(std::string("\"") + k + "\" must be a string");
    if (j.contains("internal")) {
        if (!j["internal"].is_array()) throw bad("\"internal\" must be an array of names");
        for (size_t i = 0; i < j["internal"].size(); ++i)
            if (!j["internal"][i].is_string()) throw bad("internal[" + std::to_string(i) + "] is not a string");
    }
    if (j.contains("fields")) {
        if (!j["fields"].is_array()) throw bad("\"fields\" must be an array of {label, value, internal}");
        for (size_t i = 0; i < j["fields"].size(); ++i) {
            const auto& f = j["fields"][i];
            const std::string at = "fields[" + std::to_string(i) + "]";
            if (!f.is_object()) throw bad(at + " is not an object");
            if (!f.contains("label") || !f["label"].is_string()) throw bad(at + ".label must be a string");
            if (f.contains("value") && !f["value"].is_string()) throw bad(at + ".value must be a string");
            if (f.contains("internal") && !f["internal"].is_boolean()) throw bad(at + ".internal must be true or false");
        }
    }
    if (j.contains("notes")) {
        const auto& n = j["notes"];
        if (!n.is_string() && !n.is_array()) throw bad("\"notes\" must be a string or an array");
        if (n.is_array())
            for (size_t i = 0; i < n.size(); ++i) {
                const std::string at = "notes[" + std::to_string(i) + "]";
                if (n[i].is_string()) continue;
                if (!n[i].is_object() || !n[i].contains("text") || !n[i]["text"].is_string())
                    throw bad(at + " must be a string or {\"time\", \"text\"}");
                if (n[i].contains("time") && !n[i]["time"].is_string()) throw bad(at + ".time must be a string");
            }
    }
    return j;
}

nlohmann::json report_model(index::CaseIndex& idx, const Options& opts) {
    Builder b(idx, opts);
    return b.build();
}

std::string write_html(index::CaseIndex& idx, const Options& opts) {
    fs::path dir = opts.out.empty() ? default_out(idx, opts) : fs::path(opts.out);
    return render_html_into(idx, opts, dir).string();
}

std::string find_chromium() {
    if (const char* e = std::getenv("TRIAGE_CHROMIUM"); e && *e) return access(e, X_OK) == 0 ? e : "";
    const char* path = std::getenv("PATH");
    std::stringstream ss(path ? path : "/usr/bin:/bin");
    std::string d;
    std::vector<std::string> dirs;
    while (std::getline(ss, d, ':')) dirs.push_back(d);
    for (const char* name : {"chromium", "chromium-browser", "google-chrome"})
        for (const auto& dir : dirs) {
            fs::path p = fs::path(dir) / name;
            if (access(p.c_str(), X_OK) == 0) return p.string();
        }
    return "";
}

std::string write_pdf(index::CaseIndex& idx, const Options& opts) {
    const std::string chromium = find_chromium();
    if (chromium.empty())
        throw std::runtime_error("the PDF is printed by headless Chromium, which is not installed: install the Debian "
                                 "package 'chromium' (scripts/install-deps.sh does), or set TRIAGE_CHROMIUM to its path");
    fs::path pdf, html_dir;
    if (opts.out.empty()) {
        html_dir = default_out(idx, opts);
        pdf = html_dir / "report.pdf";
    } else {
        pdf = fs::absolute(opts.out);
        html_dir = pdf.parent_path() / (pdf.stem().string() + "-html");
        if (fs::exists(pdf)) throw std::runtime_error(pdf.string() + ": exists already");
        fs::create_directories(pdf.parent_path());
    }
    Options o = opts;
    o.format = "html";
    fs::path index_html = fs::absolute(render_html_into(idx, o, html_dir));
    // A throw-away browser profile, so nothing of the examiner's own browser is read or changed.
    fs::path profile = html_dir / ".chromium-profile";
    fs::path log = html_dir / ".chromium.log";
    std::vector<std::string> argv = {"timeout", "180", chromium, "--headless", "--no-sandbox", "--disable-gpu",
                                     "--no-first-run", "--disable-extensions", "--user-data-dir=" + profile.string(),
                                     "--no-pdf-header-footer", "--virtual-time-budget=10000",
                                     "--print-to-pdf=" + pdf.string(), "file://" + index_html.string()};
    int rc = run_process(argv, log.string());
    std::error_code ec;
    fs::remove_all(profile, ec);
    if (rc != 0 || !fs::exists(pdf) || fs::file_size(pdf, ec) == 0) {
        std::string tail = fs::exists(log) ? read_text(log) : "";
        if (tail.size() > 2000) tail = tail.substr(tail.size() - 2000);
        throw std::runtime_error(pdf.string() + ": Chromium (" + chromium + ") did not print the report (exit " +
                                 std::to_string(rc) + "): " + tail);
    }
    fs::remove(log, ec);
    return pdf.string();
}

}  // namespace triage::report
