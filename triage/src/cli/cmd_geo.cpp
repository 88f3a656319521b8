// `triage export-geo CASE --format kml|geojson [-o FILE]`: every GPS position the exif detector
// found in the case, with the file's path and hashes (never the image itself), as KML for
// Google Earth / QGIS or as GeoJSON.
#include "cli/commands.hpp"
#include "index/case_index.hpp"
#include "util/text.hpp"

#include <nlohmann/json.hpp>

#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>

namespace triage::cli {
namespace {

struct GeoPoint {
    int64_t file_id = 0, evidence_id = 0;
    std::string path, md5, sha1, sha256, taken;
    double lat = 0, lon = 0;
    std::optional<double> alt;
    bool sensitive = false;
};

std::vector<GeoPoint> load_points(index::CaseIndex& idx) {
    auto st = idx.db().prepare(
        "SELECT v.file_id, v.evidence_id, v.path, coalesce(v.md5,''), coalesce(v.sha1,''), coalesce(v.sha256,''), "
        "f.detail, coalesce((SELECT value FROM properties p WHERE p.file_id = v.file_id AND "
        "p.key = 'exif.datetime_original' LIMIT 1), ''), coalesce(v.sensitive, 0) "
        "FROM v_findings f JOIN v_files v ON v.file_id = f.file_id "
        "WHERE f.detector = 'exif' AND f.kind = 'exif' AND f.rule = 'gps' ORDER BY v.file_id");
    std::vector<GeoPoint> out;
    while (st.step()) {
        GeoPoint p;
        p.file_id = st.col_int(0);
        p.evidence_id = st.col_int(1);
        p.path = st.col_text(2);
        p.md5 = st.col_text(3);
        p.sha1 = st.col_text(4);
        p.sha256 = st.col_text(5);
        p.taken = st.col_text(7);
        p.sensitive = st.col_int(8) != 0;
        try {
            const auto d = nlohmann::json::parse(st.col_text(6));
            p.lat = d.at("latitude").get<double>();
            p.lon = d.at("longitude").get<double>();
            if (d.contains("altitude")) p.alt = d.at("altitude").get<double>();
        } catch (const std::exception& e) {
            std::cerr << "triage export-geo: file " << p.file_id << " (" << util::terminal_safe(p.path)
                      << "): unreadable GPS finding, skipped: " << e.what() << "\n";
            continue;
        }
        out.push_back(std::move(p));
    }
    return out;
}

// XML text and attribute content: the five special characters escaped, characters XML 1.0
// cannot carry (C0 controls other than tab, newline, carriage return) replaced by U+FFFD.
std::string xml_escape(const std::string& s) {
    std::string o;
    for (unsigned char c : s) {
        switch (c) {
            case '&': o += "&amp;"; break;
            case '<': o += "&lt;"; break;
            case '>': o += "&gt;"; break;
            case '"': o += "&quot;"; break;
            case '\'': o += "&apos;"; break;
            default:
                if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
                    o += "\xef\xbf\xbd";
                else
                    o += static_cast<char>(c);
        }
    }
    return o;
}

std::string num(double v) {
    std::ostringstream s;
    s.imbue(std::locale::classic());
    s.precision(10);
    s << v;
    return s.str();
}

std::string kml(const std::vector<GeoPoint>& pts, const std::string& case_dir) {
    std::ostringstream o;
    o << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
         "<kml xmlns=\"http://www.opengis.net/kml/2.2\">\n<Document>\n<name>"
      << xml_escape("GPS positions in " + case_dir) << "</name>\n";
    for (const auto& p : pts) {
        o << "<Placemark>\n<name>" << xml_escape(p.path) << "</name>\n<description>"
          << xml_escape("file_id " + std::to_string(p.file_id) + "; evidence " + std::to_string(p.evidence_id) +
                        "; MD5 " + p.md5 + "; SHA-1 " + p.sha1 + "; SHA-256 " + p.sha256 +
                        (p.taken.empty() ? "" : "; taken " + p.taken))
          << "</description>\n<ExtendedData>\n";
        auto data = [&](const char* k, const std::string& v) {
            o << "<Data name=\"" << k << "\"><value>" << xml_escape(v) << "</value></Data>\n";
        };
        data("file_id", std::to_string(p.file_id));
        data("evidence_id", std::to_string(p.evidence_id));
        data("path", p.path);
        data("md5", p.md5);
        data("sha1", p.sha1);
        data("sha256", p.sha256);
        if (!p.taken.empty()) data("datetime_original", p.taken);
        if (p.sensitive) data("sensitive", "1");
        o << "</ExtendedData>\n<Point><coordinates>" << num(p.lon) << "," << num(p.lat);
        if (p.alt) o << "," << num(*p.alt);
        o << "</coordinates></Point>\n</Placemark>\n";
    }
    o << "</Document>\n</kml>\n";
    return o.str();
}

std::string geojson(const std::vector<GeoPoint>& pts) {
    nlohmann::json fc = {{"type", "FeatureCollection"}, {"features", nlohmann::json::array()}};
    for (const auto& p : pts) {
        nlohmann::json coords = {p.lon, p.lat};
        if (p.alt) coords.push_back(*p.alt);
        nlohmann::json props = {{"file_id", p.file_id}, {"evidence_id", p.evidence_id}, {"path", p.path},
                                {"md5", p.md5},         {"sha1", p.sha1},               {"sha256", p.sha256}};
        if (!p.taken.empty()) props["datetime_original"] = p.taken;
        if (p.sensitive) props["sensitive"] = true;
        fc["features"].push_back(
            {{"type", "Feature"}, {"geometry", {{"type", "Point"}, {"coordinates", coords}}}, {"properties", props}});
    }
    // Paths from evidence may hold bytes that are not UTF-8: replace them rather than fail.
    return fc.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace

void add_geo_commands(CLI::App& app, Commands& out) {
    struct Args {
        std::string case_dir, format = "geojson", out;
    };
    auto a = std::make_shared<Args>();
    auto* sub = app.add_subcommand("export-geo", "Write every GPS position found in images of a case (KML or GeoJSON)");
    sub->add_option("case", a->case_dir, "Case folder")->required();
    sub->add_option("--format,-f", a->format, "kml or geojson (default geojson)")
        ->check(CLI::IsMember({"kml", "geojson"}));
    sub->add_option("--out,-o", a->out, "Output file (default: standard output); an existing file is not overwritten");
    out.push_back({sub, [a] {
                       index::CaseIndex idx(a->case_dir, false);
                       const auto pts = load_points(idx);
                       const std::string text = a->format == "kml" ? kml(pts, a->case_dir) : geojson(pts);
                       if (a->out.empty()) {
                           std::cout << text;
                       } else {
                           if (std::ifstream(a->out).good()) {
                               std::cerr << "triage export-geo: " << a->out << " exists; not overwritten\n";
                               return 2;
                           }
                           std::ofstream f(a->out, std::ios::binary);
                           f << text;
                           if (!f.flush()) {
                               std::cerr << "triage export-geo: cannot write " << a->out << "\n";
                               return 1;
                           }
                       }
                       idx.audit("gps positions exported",
                                 {{"format", a->format}, {"points", pts.size()}, {"to", a->out.empty() ? "-" : a->out}});
                       std::cerr << pts.size() << " GPS position(s) written\n";
                       return 0;
                   }});
}

}  // namespace triage::cli
