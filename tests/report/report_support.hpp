// Helpers for the report tests: running `triage report`, reading its output, parsing its CSV and
// SVG, and driving headless Chromium over a rendered report.
#pragma once

#include "report/html_report.hpp"
#include "support/harness.hpp"
#include "support/images.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

namespace th::rep {

inline std::string slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    INFO("reading " << path);
    REQUIRE(in.good());
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// `triage report CASE ARGS`; returns the result (stdout holds the written path).
inline th::CmdResult report(const std::string& case_dir, const std::string& args) {
    return th::run("timeout 300 " + th::q(th::triage_bin()) + " report " + th::q(case_dir) + " " + args);
}

// Renders the HTML report of CASE into OUT (a new folder); returns OUT/index.html.
inline std::string html(const std::string& case_dir, const std::string& out, const std::string& extra = "") {
    auto r = report(case_dir, "--format html -o " + th::q(out) + " " + extra);
    INFO("stderr: " << r.err);
    REQUIRE(r.rc == 0);
    REQUIRE(std::filesystem::exists(out + "/index.html"));
    return out + "/index.html";
}

// RFC 4180 CSV (quoted fields may hold commas, quotes and line breaks).
inline std::vector<std::vector<std::string>> parse_csv(const std::string& text) {
    std::vector<std::vector<std::string>> rows(1);
    std::string cell;
    bool quoted = false, any = false;
    for (size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (quoted) {
            if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
                cell += '"';
                ++i;
            } else if (c == '"') {
                quoted = false;
            } else {
                cell += c;
            }
        } else if (c == '"') {
            quoted = true;
            any = true;
        } else if (c == ',') {
            rows.back().push_back(cell);
            cell.clear();
        } else if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
            continue;
        } else if (c == '\n') {
            rows.back().push_back(cell);
            cell.clear();
            rows.emplace_back();
        } else {
            cell += c;
            any = true;
        }
    }
    if (!cell.empty() || !rows.back().empty()) rows.back().push_back(cell);
    if (rows.back().empty()) rows.pop_back();
    (void)any;
    return rows;
}

// The text of the element with id="ID" in HTML (from its start tag to the next section end).
inline std::string section(const std::string& html, const std::string& id) {
    auto at = html.find("<section id=\"" + id + "\"");
    INFO("section " << id);
    REQUIRE(at != std::string::npos);
    auto end = html.find("</section>", at);
    REQUIRE(end != std::string::npos);
    return html.substr(at, end - at);
}

inline std::string unescape_html(std::string s) {
    const std::pair<const char*, const char*> ents[] = {{"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""},
                                                        {"&#39;", "'"}, {"&apos;", "'"}, {"&nbsp;", "\xC2\xA0"}, {"&amp;", "&"}};
    for (const auto& [from, to] : ents) {
        std::string out;
        size_t pos = 0, hit;
        while ((hit = s.find(from, pos)) != std::string::npos) {
            out += s.substr(pos, hit - pos) + to;
            pos = hit + std::strlen(from);
        }
        s = out + s.substr(pos);
    }
    return s;
}

// Runs headless Chromium on PAGE (a file) and returns the DOM after load and scripts.
inline std::string chromium_dom(const std::string& page) {
    std::string chr = triage::report::find_chromium();
    INFO("headless Chromium is needed (Debian package chromium; scripts/install-deps.sh installs it)");
    REQUIRE(!chr.empty());
    th::TempDir profile;
    auto r = th::run("timeout 180 " + th::q(chr) +
                     " --headless --no-sandbox --disable-gpu --no-first-run --disable-extensions --user-data-dir=" +
                     th::q(profile.path) + " --virtual-time-budget=8000 --dump-dom " +
                     th::q("file://" + std::filesystem::absolute(page).string()) + " 2>/dev/null");
    INFO("chromium exit " << r.rc);
    REQUIRE(r.rc == 0);
    REQUIRE(!r.out.empty());
    return r.out;
}

// Wraps the report's index.html in a test-only page that loads DRIVER_JS after the report's own
// scripts, loads it in Chromium and returns the JSON the driver wrote into <pre id="test-result">.
inline nlohmann::json drive(const std::string& index_html, const std::string& driver_js) {
    namespace fs = std::filesystem;
    fs::path dir = fs::path(index_html).parent_path();
    std::string page = slurp(index_html);
    auto body_end = page.rfind("</body>");
    REQUIRE(body_end != std::string::npos);
    page.insert(body_end, "<script src=\"test-driver.js\"></script>\n");
    th::img::write_file((dir / "test-driver.js").string(), driver_js);
    th::img::write_file((dir / "test-page.html").string(), page);
    std::string dom = chromium_dom((dir / "test-page.html").string());
    fs::remove(dir / "test-driver.js");
    fs::remove(dir / "test-page.html");
    auto at = dom.find("<pre id=\"test-result\">");
    INFO("the test driver wrote no result; DOM tail: " << dom.substr(dom.size() > 2000 ? dom.size() - 2000 : 0));
    REQUIRE(at != std::string::npos);
    at += std::strlen("<pre id=\"test-result\">");
    auto end = dom.find("</pre>", at);
    REQUIRE(end != std::string::npos);
    return nlohmann::json::parse(unescape_html(dom.substr(at, end - at)));
}

// Every regular file under DIR, recursively.
inline std::vector<std::string> files_under(const std::string& dir) {
    std::vector<std::string> out;
    for (const auto& e : std::filesystem::recursive_directory_iterator(dir))
        if (e.is_regular_file()) out.push_back(e.path().string());
    return out;
}

}  // namespace th::rep
