// `triage report --format vics`: the case's hash-set hits and sensitive files as a Project VIC
// VICS 2.0 case export ("@odata.context": ".../2.0.xml/US/$metadata#Cases"): one Case object
// whose Media list has one entry per distinct MD5, each with the MediaFiles where that content
// was found (path, times, deleted and unallocated flags). Only metadata: no file content, no
// thumbnails, no PhotoDNA.
// Which files: every file marked sensitive, and every file with a hash-set match (findings of
// kind 'hashset') except matches against known-good sets (NSRL), which are not for exchange.
// Category: the match's category, as a number when it is one (the US scale 0-4), else as the
// set wrote it (UK A/B/C); null when no set gave one. Series and the victim/offender flags come
// from the match detail when the set had them.
#include "report/export_common.hpp"
#include "report/exports.hpp"
#include "util/text.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <stdexcept>
#include <vector>

namespace triage::report {

namespace {

using nlohmann::ordered_json;

std::string upper(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    return s;
}

ordered_json category_value(const std::string& c) {
    // The hashset detector writes the set's kind when the set gave no category: not a category.
    if (c.empty() || c == "known-bad" || c == "known-good" || c == "notable") return nullptr;
    if (std::all_of(c.begin(), c.end(), [](unsigned char ch) { return std::isdigit(ch); }) && c.size() < 9)
        return std::stoi(c);
    return c;
}

bool known_good_set(const ordered_json& detail) {
    for (const char* k : {"set_kind", "kind"}) {
        auto it = detail.find(k);
        if (it != detail.end() && it->is_string() && *it == "known-good") return true;
    }
    return false;
}

struct Media {
    std::string md5, sha1, sha256;
    std::optional<int64_t> size;
    ordered_json category = nullptr;
    std::set<std::string> sets;
    ordered_json series = nullptr, victim = nullptr, offender = nullptr;
    bool sensitive = false, matched = false;
    std::vector<ordered_json> files;
};

}  // namespace

std::string write_vics(index::CaseIndex& idx, const Options& opts) {
    auto& db = idx.db();
    const auto shape = exp::shape_of(db);
    const std::string path = exp::output_path(idx, opts, exp::default_output_name("vics"));
    const auto ci = exp::case_info(db);
    const auto cfg = exp::case_config(idx, opts);

    // file_id -> what the hash-set matches say about it.
    struct Hit {
        ordered_json category = nullptr, series = nullptr, victim = nullptr, offender = nullptr;
        std::set<std::string> sets;
    };
    std::map<int64_t, Hit> hits;
    {
        auto s = db.prepare("SELECT file_id, rule, category, detail FROM findings WHERE kind = 'hashset' AND "
                            "file_id IS NOT NULL ORDER BY finding_id");
        while (s.step()) {
            auto detail = ordered_json::parse(s.col_text(3), nullptr, false);
            if (detail.is_discarded() || !detail.is_object()) detail = ordered_json::object();
            if (known_good_set(detail)) continue;
            Hit& h = hits[s.col_int(0)];
            if (!s.col_null(1)) h.sets.insert(s.col_text(1));
            if (h.category.is_null() && !s.col_null(2)) h.category = category_value(s.col_text(2));
            auto take = [&](ordered_json& dst, std::initializer_list<const char*> keys) {
                for (const char* k : keys) {
                    auto it = detail.find(k);
                    if (dst.is_null() && it != detail.end() && !it->is_null()) dst = *it;
                }
            };
            take(h.series, {"series", "Series"});
            take(h.victim, {"victim_identified", "VictimIdentified"});
            take(h.offender, {"offender_identified", "OffenderIdentified"});
        }
    }

    std::map<std::string, Media> media;  // by MD5
    {
        std::string where = "f.file_id IN (SELECT file_id FROM findings WHERE kind = 'hashset' AND file_id IS NOT NULL)";
        if (shape.sensitive) where = "(" + where + " OR f.sensitive = 1)";
        auto s = db.prepare(
            "SELECT f.file_id, f.evidence_id, f.path, f.name, f.size, f.crtime, f.mtime, f.atime, f.allocated, "
            "f.origin, f.parent_offset, " +
            exp::sensitive_expr(shape) +
            ", (SELECT value FROM hashes h WHERE h.file_id = f.file_id AND h.algorithm = 'md5'), "
            "(SELECT value FROM hashes h WHERE h.file_id = f.file_id AND h.algorithm = 'sha1'), "
            "e.path, (SELECT value FROM hashes h WHERE h.file_id = f.file_id AND h.algorithm = 'sha256') "
            "FROM files f JOIN evidence e ON e.evidence_id = f.evidence_id WHERE " +
            where + " ORDER BY f.file_id");
        while (s.step()) {
            const int64_t fid = s.col_int(0);
            const bool sensitive = !s.col_null(11) && s.col_int(11) == 1;
            auto hit = hits.find(fid);
            if (hit == hits.end() && !sensitive) continue;  // only known-good matches
            if (s.col_null(12)) continue;  // no content was read: VICS media are keyed by MD5
            const std::string md5 = upper(s.col_text(12));
            Media& m = media[md5];
            m.md5 = md5;
            if (!s.col_null(13)) m.sha1 = upper(s.col_text(13));
            if (!s.col_null(15)) m.sha256 = upper(s.col_text(15));
            if (!s.col_null(4)) m.size = s.col_int(4);
            m.sensitive = m.sensitive || sensitive;
            if (hit != hits.end()) {
                m.matched = true;
                m.sets.insert(hit->second.sets.begin(), hit->second.sets.end());
                if (m.category.is_null()) m.category = hit->second.category;
                if (m.series.is_null()) m.series = hit->second.series;
                if (m.victim.is_null()) m.victim = hit->second.victim;
                if (m.offender.is_null()) m.offender = hit->second.offender;
            }
            auto t = [&](int i) { return s.col_null(i) ? ordered_json(nullptr) : ordered_json(util::iso_utc(s.col_int(i))); };
            const std::string origin = s.col_text(9);
            std::string p = exp::utf8_clean(s.col_text(2));
            ordered_json mf;
            mf["MD5"] = md5;
            mf["FileName"] = exp::utf8_clean(s.col_text(3));
            mf["FilePath"] = p;
            mf["Created"] = t(5);
            mf["Written"] = t(6);
            mf["Accessed"] = t(7);
            // Unallocated: recovered from unallocated space (carved); Deleted: a deleted name.
            mf["Unallocated"] = origin == "carved";
            mf["Deleted"] = origin != "carved" && s.col_int(8) == 0;
            mf["PhysicalLocation"] = origin == "carved" && !s.col_null(10) ? ordered_json(s.col_int(10)) : ordered_json(nullptr);
            mf["SourceID"] = "E" + std::to_string(s.col_int(1)) + ":" + exp::utf8_clean(cfg.evidence_path(s.col_text(14)));
            m.files.push_back(mf);
        }
    }

    ordered_json list = ordered_json::array();
    int64_t media_id = 0;
    for (auto& [md5, m] : media) {
        ordered_json o;
        o["MediaID"] = ++media_id;
        o["Category"] = m.category;
        o["MD5"] = m.md5;
        o["SHA1"] = m.sha1.empty() ? ordered_json(nullptr) : ordered_json(m.sha1);
        // SHA256 is not in the VICS 2.0 list; readers that know it (triage's importer) take it.
        o["SHA256"] = m.sha256.empty() ? ordered_json(nullptr) : ordered_json(m.sha256);
        o["MediaSize"] = m.size ? ordered_json(*m.size) : ordered_json(nullptr);
        o["VictimIdentified"] = m.victim;
        o["OffenderIdentified"] = m.offender;
        o["Series"] = m.series;
        o["Tags"] = ordered_json::array();
        for (const auto& set : m.sets) o["Tags"].push_back(set);
        o["IsPrecategorized"] = m.matched;
        o["PrecategorizationSource"] = m.sets.empty() ? ordered_json(nullptr) : ordered_json(*m.sets.begin());
        o["IsSuspected"] = m.sensitive && !m.matched;
        o["MediaFiles"] = m.files;
        list.push_back(o);
    }
    ordered_json c;
    c["CaseID"] = exp::stable_uuid(exp::case_key(db), "case");
    c["CaseNumber"] = ci.case_number;
    c["ContactTitle"] = cfg.hidden("examiner") ? std::string() : ci.examiner;
    c["SourceApplicationName"] = "triage";
    c["SourceApplicationVersion"] = exp::tool_version();
    c["Media"] = list;
    ordered_json root;
    root["@odata.context"] = "http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/US/$metadata#Cases";
    root["value"] = ordered_json::array({c});

    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    if (!f) throw std::runtime_error("cannot write '" + path + "'");
    f << root.dump(2, ' ', false, ordered_json::error_handler_t::replace) << "\n";
    f.flush();
    if (!f) throw std::runtime_error("writing '" + path + "' failed");
    return path;
}

}  // namespace triage::report
