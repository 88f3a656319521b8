// The HTML report (and its CSV and PDF): structure on a DFTT image, escaping of hostile file names
// checked in headless Chromium, translations, CSAM safety of the share profile, a large case.
#include "report/report_support.hpp"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>
#include <regex>
#include <set>
#include <unordered_set>

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

const char* const kSections[] = {"case", "evidence", "layout", "summary", "activity", "types", "hashset",
                                 "yara", "carved", "notable", "files", "errors", "audit", "versions"};

// ext4 from a source tree (mke2fs -d; nothing mounted).
std::string make_ext4(const th::TempDir& t, const std::map<std::string, std::string>& files, const std::string& size = "16M") {
    for (const auto& [rel, content] : files) th::img::write_file(t / ("tree/" + rel), content);
    std::string img = t / "fs.img";
    auto r = th::run("mke2fs -q -t ext4 -d " + th::q(t / "tree") + " -F " + th::q(img) + " " + size);
    INFO(r.err);
    REQUIRE(r.rc == 0);
    return img;
}

// Sum of the counts in the activity chart's bar titles of one time kind ("Modified ... : N").
uint64_t chart_total(const std::string& html, const std::string& label) {
    static const std::regex bar("<title>([A-Za-z]+) [0-9T:Z-]+ – [0-9T:Z-]+: ([0-9]+)</title>");
    uint64_t n = 0;
    for (std::sregex_iterator it(html.begin(), html.end(), bar), end; it != end; ++it)
        if ((*it)[1] == label) n += std::stoull((*it)[2]);
    return n;
}

}  // namespace

TEST_CASE("report html on DFTT 6-fat-undel: sections, evidence hash, listing CSV and activity chart match TSK", "[report]") {
    const std::string img = th::testdata("dftt/6-undel-fat/6-fat-undel.dd");
    th::TempDir t;
    // --disable hashset: this case is the one in which no hash-set detector ran.
    REQUIRE(th::scan({img}, t / "case", "--examiner 'I. Petrenko' --case-number UA-2026-7 --disable hashset") == 0);
    std::string index = th::rep::html(t / "case", t / "out", "--timezone Europe/Kyiv");
    std::string page = th::rep::slurp(index);

    for (const char* s : kSections) th::rep::section(page, s);
    CHECK(page.find("UA-2026-7") != std::string::npos);
    CHECK(page.find("I. Petrenko") != std::string::npos);
    CHECK(page.find("Europe/Kyiv (UTC+0") != std::string::npos);
    // The acquisition hash: the image's own SHA-256 by coreutils.
    const std::string sha = th::img::file_hash(img, "sha256sum");
    CHECK(th::rep::section(page, "evidence").find(sha) != std::string::npos);
    CHECK(th::rep::section(page, "evidence").find("no stored hash") != std::string::npos);
    // No hash-set detector ran: the section says so; YARA ran (shipped rules) and says what it found.
    CHECK(th::rep::section(page, "hashset").find("Not run") != std::string::npos);
    CHECK(th::rep::section(page, "yara").find("Not run") == std::string::npos);
    CHECK(th::rep::section(page, "carved").find("Not run") == std::string::npos);  // the default preset carves

    // files.csv: one row per name fls lists, with the same paths.
    auto rows = th::rep::parse_csv(th::rep::slurp(t / "out/files.csv"));
    REQUIRE(rows.size() >= 2);
    CHECK(rows[0][4] == "path");
    auto fls = th::fls(img, 0);
    CHECK(rows.size() - 1 == fls.size());
    std::multiset<std::string> csv_paths, fls_paths;
    for (size_t i = 1; i < rows.size(); ++i) {
        REQUIRE(rows[i].size() == rows[0].size());
        csv_paths.insert(th::fls_sanitize(rows[i][4]));
    }
    for (const auto& e : fls) fls_paths.insert(e.path);
    CHECK(csv_paths == fls_paths);

    // The activity chart counts every modification time TSK's body file (fls -m) has.
    auto body = th::run("fls -r -m / " + th::q(img));
    REQUIRE(body.rc == 0);
    uint64_t mtimes = 0, lines = 0;
    std::istringstream in(body.out);
    for (std::string line; std::getline(in, line);) {
        std::vector<std::string> f;
        std::stringstream ls(line);
        for (std::string x; std::getline(ls, x, '|');) f.push_back(x);
        REQUIRE(f.size() == 11);
        ++lines;
        if (std::stoll(f[8]) > 315619200) ++mtimes;   // as the chart: after 1980-01-02
    }
    REQUIRE(lines == fls.size());
    CHECK(mtimes > 0);
    CHECK(chart_total(th::rep::section(page, "activity"), "Modified") == mtimes);

    // The page's own script builds the file listing's rows in the browser.
    json r = th::rep::drive(index, R"JS(
window.addEventListener('load', function () {
  var rows = document.querySelectorAll('#file-listing tbody tr');
  var out = { rows: rows.length, shown: document.querySelector('#file-listing table').getAttribute('data-shown'),
              svgs: document.querySelectorAll('svg.chart').length };
  // Sorting through the page's own headings: size (column 6), twice for descending.
  var th = document.querySelectorAll('#file-listing thead th')[6];
  th.click(); th.click();
  out.sizes = Array.prototype.map.call(document.querySelectorAll('#file-listing tbody tr'), function (tr) { return tr.cells[6].textContent; });
  var pre = document.createElement('pre'); pre.id = 'test-result'; pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
});)JS");
    CHECK(r["rows"].get<size_t>() == fls.size());
    CHECK(r["shown"].get<std::string>() == std::to_string(fls.size()));
    CHECK(r["svgs"].get<int>() >= 4);
    // Sorted numerically by size, largest first: the same sizes as files.csv, in order.
    std::vector<int64_t> sizes;
    for (const auto& v : r["sizes"]) sizes.push_back(v.get<std::string>().empty() ? -1 : std::stoll(v.get<std::string>()));
    REQUIRE(sizes.size() == fls.size());
    CHECK(std::is_sorted(sizes.rbegin(), sizes.rend()));
    std::vector<int64_t> csv_sizes;
    for (size_t i = 1; i < rows.size(); ++i) csv_sizes.push_back(rows[i][10].empty() ? -1 : std::stoll(rows[i][10]));
    std::sort(csv_sizes.rbegin(), csv_sizes.rend());
    CHECK(sizes == csv_sizes);
}

TEST_CASE("report partition layout is drawn to scale (mmls is the oracle)", "[report]") {
    th::TempDir t;
    REQUIRE(th::run("unzip -q " + th::q(th::testdata("dftt/1-extend-part.zip")) + " -d " + th::q(t.path)).rc == 0);
    const std::string img = t / "1-extend-part/ext-part-test-2.dd";
    REQUIRE(th::scan({img}, t / "case", "--disable yara") == 0);
    std::string page = th::rep::slurp(th::rep::html(t / "case", t / "out"));
    std::string layout = th::rep::section(page, "layout");
    const double size = static_cast<double>(fs::file_size(img));

    // Each partition and unallocated slot mmls lists is a bar whose width is its share of 760 px.
    auto mmls = th::run("mmls " + th::q(img));
    REQUIRE(mmls.rc == 0);
    static const std::regex line(R"(^\d+:\s+\S+\s+(\d+)\s+(\d+)\s+(\d+)\s+(.*)$)");
    static const std::regex bar(R"RE(<title>[^<]* (\d+) \+ (\d+) B \([^<]*\)</title><rect class="seg (\w+)" x="([0-9.]+)" y="[0-9.]+" width="([0-9.]+)")RE");
    std::map<std::pair<uint64_t, uint64_t>, std::pair<double, double>> bars;   // (offset, length) -> (x, width)
    for (std::sregex_iterator it(layout.begin(), layout.end(), bar), end; it != end; ++it)
        bars[{std::stoull((*it)[1]), std::stoull((*it)[2])}] = {std::stod((*it)[4]), std::stod((*it)[5])};
    int checked = 0;
    std::istringstream in(mmls.out);
    for (std::string l; std::getline(in, l);) {
        std::smatch m;
        if (!std::regex_match(l, m, line)) continue;
        uint64_t off = std::stoull(m[1]) * 512, len = std::stoull(m[3]) * 512;
        INFO("mmls: " << l);
        auto it = bars.find({off, len});
        REQUIRE(it != bars.end());
        CHECK(std::abs(it->second.first - (10 + 760.0 * static_cast<double>(off) / size)) < 0.2);
        CHECK(std::abs(it->second.second - std::max(1.0, 760.0 * static_cast<double>(len) / size)) < 0.2);
        ++checked;
    }
    CHECK(checked >= 5);
}

TEST_CASE("report escapes hostile file names: nothing from evidence runs in Chromium, tables render and filter", "[report]") {
    th::TempDir t;
    const std::string payload_content = "<script>window.__pwned='content'</script> marker-for-yara";
    const std::string sep = "line\xE2\x80\xA8sep\xE2\x80\xA9x.txt";
    std::map<std::string, std::string> files = {
        {"<script>window.__pwned='script'</script>", payload_content},
        {"\"><img src=x onerror=\"window.__pwned='img'\">", payload_content},
        {"'><svg onload=window.__pwned='svg'>", "svg"},
        {"</script><script>window.__pwned='close'</script>", "close"},
        {sep, "sep"},
        {"{{t.report_title}}{{{case.number}}}.txt", "mustache"},
        {"plain-onerror-word.txt", "plain"},
    };
    std::string img = make_ext4(t, files);
    // A YARA rule whose hit carries evidence bytes (the matched context) and a category with markup.
    th::img::write_file(t / "rules/payload.yar",
                        "rule payload_marker { meta: category = \"cat<b>x</b>\" severity = 5\n"
                        "strings: $a = \"marker-for-yara\" condition: $a }\n");
    REQUIRE(th::scan({img}, t / "case", "--case-number '<i>case</i>' --rules " + th::q(t / "rules/payload.yar")) == 0);
    REQUIRE(th::sql_int(t / "case", "SELECT count(*) FROM findings WHERE rule = 'payload_marker'") == 2);
    std::string index = th::rep::html(t / "case", t / "out");

    // In the files as written: no markup from evidence survives unescaped.
    std::string page = th::rep::slurp(index);
    CHECK(page.find("<img") == std::string::npos);
    CHECK(page.find("<svg onload") == std::string::npos);
    CHECK(page.find("<script>window") == std::string::npos);
    CHECK(page.find("<i>case</i>") == std::string::npos);
    CHECK(page.find("<b>x</b>") == std::string::npos);
    CHECK(page.find("&lt;b&gt;x&lt;/b&gt;") != std::string::npos);
    std::string data = th::rep::slurp(t / "out/assets/files-data.js");
    CHECK(data.find('<') == std::string::npos);
    CHECK(data.find('>') == std::string::npos);
    CHECK(data.find("\xE2\x80\xA8") == std::string::npos);
    CHECK(data.find("\\u2028") != std::string::npos);

    json r = th::rep::drive(index, R"JS(
window.addEventListener('load', function () {
  function paths() {
    return Array.prototype.map.call(document.querySelectorAll('#file-listing tbody tr'), function (tr) {
      return tr.cells.length > 2 ? tr.cells[2].textContent : '';
    });
  }
  var out = { title: document.title, pwned: window.__pwned || null,
              imgs: document.querySelectorAll('img').length,
              handlers: document.querySelectorAll('[onerror],[onload]').length,
              scripts: Array.prototype.map.call(document.scripts, function (s) { return s.getAttribute('src') || 'inline'; }),
              before: paths(),
              yara: Array.prototype.map.call(document.querySelectorAll('#yara table.tt tbody tr'), function (tr) { return tr.textContent; }) };
  var input = document.querySelector('#files .tt-controls input.filter');
  input.value = 'ONERROR';
  input.dispatchEvent(new Event('input'));
  out.filtered = paths();
  input.value = '';
  input.dispatchEvent(new Event('input'));
  out.cleared = paths().length;
  var pre = document.createElement('pre'); pre.id = 'test-result'; pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
});)JS");
    INFO(r.dump(2));
    CHECK(r["pwned"].is_null());
    CHECK(r["title"].get<std::string>() == "Evidence triage report <i>case</i>");
    CHECK(r["imgs"] == 0);
    CHECK(r["handlers"] == 0);
    CHECK(r["scripts"] == json::array({"assets/files-data.js", "assets/report.js", "test-driver.js"}));
    // Every hostile name is in the listing as plain text, exactly as on the disk.
    std::set<std::string> before = r["before"].get<std::set<std::string>>();
    for (const auto& [rel, content] : files) {
        INFO(rel);
        CHECK(before.count("/" + rel) == 1);
    }
    const int64_t total = th::sql_int(t / "case", "SELECT count(*) FROM files");
    CHECK(static_cast<int64_t>(before.size()) == std::min<int64_t>(total, 100));
    // Filtering through the page's own control: exactly the two names with "onerror" (any case).
    std::set<std::string> filtered = r["filtered"].get<std::set<std::string>>();
    CHECK(filtered == std::set<std::string>{"/\"><img src=x onerror=\"window.__pwned='img'\">", "/plain-onerror-word.txt"});
    CHECK(r["cleared"].get<size_t>() == before.size());
    // The YARA table shows the hits with the matched context as text.
    REQUIRE(r["yara"].size() == 2);
    CHECK(r["yara"][0].get<std::string>().find("marker-for-yara") != std::string::npos);
    CHECK(r["yara"][0].get<std::string>().find("cat<b>x</b>") != std::string::npos);
}

TEST_CASE("report translations: every language has every key and renders", "[report]") {
    const std::string tdir = triage::report::default_templates_dir();
    auto langs = triage::report::languages(tdir);
    for (const char* l : {"en", "uk", "ro"}) CHECK(std::count(langs.begin(), langs.end(), l) == 1);

    th::TempDir t;
    REQUIRE(th::scan({th::testdata("dftt/6-undel-fat/6-fat-undel.dd")}, t / "case", "--disable yara") == 0);
    for (const auto& lang : langs) {
        INFO("language " << lang);
        CHECK(triage::report::missing_translation_keys(tdir, lang).empty());
        auto tr = triage::report::load_translation(tdir, lang);
        std::string page = th::rep::slurp(th::rep::html(t / "case", t / ("out-" + lang), "--lang " + lang));
        CHECK(page.find("<html lang=\"" + lang + "\"") != std::string::npos);
        CHECK(page.find("{{") == std::string::npos);
        // The fixed text is the language's own (escaped as the page holds it).
        auto esc = [](std::string s) {
            std::string o;
            for (char c : s) o += c == '\'' ? std::string("&apos;") : c == '"' ? std::string("&quot;") : std::string(1, c);
            return o;
        };
        for (const char* k : {"report_title", "section_evidence", "section_audit", "not_run", "time_mtime"})
            CHECK(page.find(esc(tr.at(k))) != std::string::npos);
    }

    // A missing key is an error naming the file and the key, not a blank in the report.
    fs::copy(tdir, t / "tpl", fs::copy_options::recursive);
    json uk = json::parse(th::rep::slurp(t / "tpl/lang/uk.json"));
    uk.erase("section_audit");
    th::img::write_file(t / "tpl/lang/uk.json", uk.dump(2));
    auto missing = triage::report::missing_translation_keys(t / "tpl", "uk");
    CHECK(missing == std::vector<std::string>{"section_audit"});
    auto r = th::rep::report(t / "case", "-o " + th::q(t / "bad") + " --lang uk --templates " + th::q(t / "tpl"));
    CHECK(r.rc != 0);
    CHECK(r.err.find("uk.json") != std::string::npos);
    CHECK(r.err.find("section_audit") != std::string::npos);
    auto unknown = th::rep::report(t / "case", "-o " + th::q(t / "bad2") + " --lang xx");
    CHECK(unknown.rc != 0);
    CHECK(unknown.err.find("xx") != std::string::npos);
}

TEST_CASE("report share profile: a sensitive file's bytes appear in no output; notes and internal fields left out", "[report]") {
    th::TempDir t;
    // Printable random content, so that a YARA context would carry it byte for byte.
    std::string secret = th::img::random_bytes(8192, 77);
    for (auto& c : secret) c = static_cast<char>('a' + (static_cast<unsigned char>(c) % 26));
    secret.replace(4000, 12, "SECRETMARKER");
    std::string img = make_ext4(t, {{"photos/secret.bin", secret}, {"docs/readme.txt", "an ordinary file\n"}});
    th::img::write_file(t / "rules/secret.yar", "rule secret_marker { strings: $a = \"SECRETMARKER\" condition: $a }\n");
    // --disable hashset: the hash-set run and hit are recorded by hand below.
    REQUIRE(th::scan({img}, t / "case", "--rules " + th::q(t / "rules/secret.yar") + " --disable hashset") == 0);
    th::img::write_file(t / "case/case.json", R"({
  "agency": "Cyber Police Department",
  "notes": ["NOTE-ONLY-FOR-THE-EXAMINER"],
  "fields": [{"label": "Operation", "value": "Nightfall"},
             {"label": "Informant", "value": "INFORMANT-NAME-INTERNAL", "internal": true}]
})");

    // Every 32-byte run of the content, looked up in every byte window of every output file.
    std::unordered_set<std::string> runs;
    for (size_t i = 0; i + 32 <= secret.size(); ++i) runs.insert(secret.substr(i, 32));
    auto leaks = [&](const std::string& dir) {
        std::vector<std::string> found;
        for (const auto& f : th::rep::files_under(dir)) {
            std::string data = th::rep::slurp(f);
            for (size_t i = 0; i + 32 <= data.size(); ++i)
                if (runs.count(data.substr(i, 32))) {
                    found.push_back(f);
                    break;
                }
        }
        return found;
    };

    // A malformed case configuration is refused, naming the file and the entry.
    th::img::write_file(t / "bad-case.json", th::rep::slurp(t / "case/case.json"));
    th::img::write_file(t / "case/case.json", R"({"fields": [{"label": "x", "value": 42}]})");
    auto bad = th::rep::report(t / "case", "-o " + th::q(t / "bad"));
    CHECK(bad.rc != 0);
    CHECK(bad.err.find("case.json") != std::string::npos);
    CHECK(bad.err.find("fields[0].value") != std::string::npos);
    th::img::write_file(t / "case/case.json", th::rep::slurp(t / "bad-case.json"));

    // Before the file is marked, the YARA context does carry its bytes: the search can find them.
    th::rep::html(t / "case", t / "unmarked");
    CHECK(!leaks(t / "unmarked").empty());

    // Marked sensitive (the hash-set code sets this column; done here directly).
    if (th::sql_int(t / "case", "SELECT count(*) FROM pragma_table_info('files') WHERE name = 'sensitive'") == 0)
        REQUIRE(th::run("sqlite3 " + th::q(t / "case/index.db") +
                        " 'ALTER TABLE files ADD COLUMN sensitive INTEGER NOT NULL DEFAULT 0'").rc == 0);
    REQUIRE(th::run("sqlite3 " + th::q(t / "case/index.db") +
                    " \"UPDATE files SET sensitive = 1 WHERE path = '/photos/secret.bin'\"").rc == 0);
    const std::string sha = th::sql1(t / "case", "SELECT sha256 FROM v_files WHERE path = '/photos/secret.bin'");
    REQUIRE(sha.size() == 64);
    // A hash-set hit and a carved item, as the hash-set and carving detectors record them.
    REQUIRE(th::run("sqlite3 " + th::q(t / "case/index.db") +
                    " \"INSERT INTO detector_runs VALUES (1, 'hashset', '1.0.0', 'built-in');"
                    " INSERT INTO findings(file_id, evidence_id, detector, detector_version, kind, rule, category, severity, detail)"
                    " SELECT file_id, 1, 'hashset', '1.0.0', 'hashset', 'TEST-SET-CSAM', 'CAT-1', 10, '{}' FROM files WHERE path = '/photos/secret.bin';"
                    " INSERT INTO files(evidence_id, fs_id, path, name, meta_addr, name_type, meta_type, allocated, size, origin, detector, parent_offset)"
                    " VALUES (1, 1, '/unalloc@0x1f000/carved-0001.jpg', 'carved-0001.jpg', 0, 'r', 'r', 0, 4096, 'carved', 'carver', 126976);"
                    " INSERT INTO containers(evidence_id, parent_volume, kind, offset, length, status, reason, detail, volumes)"
                    " VALUES (1, '', 'luks', 1048576, 4194304, 'locked', 'no passphrase given', '{}', '[]')\"")
                .rc == 0);

    for (const char* profile : {"share", "internal"}) {
        INFO("profile " << profile);
        const std::string out = t / (std::string("out-") + profile);
        std::string page = th::rep::slurp(th::rep::html(t / "case", out, std::string("--profile ") + profile));
        CHECK(leaks(out).empty());
        // Listed with its hashes and path, its detail withheld.
        CHECK(th::rep::slurp(out + "/files.csv").find(sha) != std::string::npos);
        CHECK(th::rep::section(page, "notable").find("/photos/secret.bin") != std::string::npos);
        CHECK(th::rep::section(page, "yara").find("withheld") != std::string::npos);
        CHECK(th::rep::section(page, "hashset").find("TEST-SET-CSAM") != std::string::npos);
        CHECK(th::rep::section(page, "hashset").find("<title>CAT-1: 1</title>") != std::string::npos);
        CHECK(th::rep::section(page, "carved").find("/unalloc@0x1f000/carved-0001.jpg") != std::string::npos);
        CHECK(th::rep::section(page, "carved").find("Not run") == std::string::npos);
        // A locked container is listed with the layout and counted among the areas not read.
        CHECK(th::rep::section(page, "layout").find("no passphrase given") != std::string::npos);
        CHECK(th::rep::section(page, "errors").find("locked (encrypted, not opened): luks") != std::string::npos);
        CHECK(th::rep::section(page, "errors").find("1048576 + 4194304 B") != std::string::npos);
        CHECK(page.find("Cyber Police Department") != std::string::npos);
        CHECK(page.find("Nightfall") != std::string::npos);
        const bool share = std::string(profile) == "share";
        CHECK((page.find("NOTE-ONLY-FOR-THE-EXAMINER") == std::string::npos) == share);
        CHECK((page.find("INFORMANT-NAME-INTERNAL") == std::string::npos) == share);
        CHECK((page.find("Share profile") != std::string::npos) == share);
    }
}

TEST_CASE("report pdf: printed by headless Chromium; a clear message when Chromium is missing", "[report]") {
    th::TempDir t;
    REQUIRE(th::scan({th::testdata("dftt/6-undel-fat/6-fat-undel.dd")}, t / "case", "--disable yara") == 0);
    auto r = th::rep::report(t / "case", "--format pdf -o " + th::q(t / "out/report.pdf"));
    INFO(r.err);
    REQUIRE(r.rc == 0);
    std::string pdf = th::rep::slurp(t / "out/report.pdf");
    CHECK(pdf.rfind("%PDF-", 0) == 0);
    CHECK(pdf.find("%%EOF") != std::string::npos);
    CHECK(pdf.size() > 10000);
    // qpdf checks the PDF's structure and counts its pages.
    auto check = th::run("qpdf --check " + th::q(t / "out/report.pdf"));
    INFO(check.out << check.err);
    CHECK(check.rc == 0);
    auto pages = th::run("qpdf --show-npages " + th::q(t / "out/report.pdf"));
    REQUIRE(pages.rc == 0);
    CHECK(std::stoi(pages.out) >= 3);

    auto bad_zone = th::rep::report(t / "case", "-o " + th::q(t / "tz") + " --timezone Mars/Olympus");
    CHECK(bad_zone.rc == 2);
    CHECK(bad_zone.err.find("Mars/Olympus") != std::string::npos);

    auto missing = th::run("TRIAGE_CHROMIUM=/nonexistent/chromium " + th::q(th::triage_bin()) + " report " +
                           th::q(t / "case") + " --format pdf -o " + th::q(t / "out2/report.pdf"));
    CHECK(missing.rc != 0);
    CHECK(missing.err.find("chromium") != std::string::npos);
    CHECK(missing.err.find("install") != std::string::npos);
}

TEST_CASE("report of a large case (120,000 files): full CSV, paged listing in the browser, filter finds one", "[report]") {
    th::TempDir t;
    std::string img = make_ext4(t, {{"a.txt", "a"}});
    REQUIRE(th::scan({img}, t / "case", "--disable yara") == 0);
    const int64_t before = th::sql_int(t / "case", "SELECT count(*) FROM files");
    REQUIRE(th::run("sqlite3 " + th::q(t / "case/index.db") +
                    " \"WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 120000) "
                    "INSERT INTO files(evidence_id, fs_id, path, name, meta_addr, name_type, meta_type, allocated, size, mtime) "
                    "SELECT 1, 1, '/synthetic/f' || x, 'f' || x || '.dat', 1000000 + x, 'r', 'r', 1, x, 1100000000 + x * 60 FROM c\"")
                .rc == 0);
    const int64_t total = before + 120000;
    auto start = std::chrono::steady_clock::now();
    std::string index = th::rep::html(t / "case", t / "out");
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    WARN("rendered a report of " << total << " files in " << secs << " s");
    CHECK(secs < 60);
    auto rows = th::rep::parse_csv(th::rep::slurp(t / "out/files.csv"));
    CHECK(static_cast<int64_t>(rows.size()) == total + 1);
    // index.html itself stays small: the listing is data for the page script, not markup.
    CHECK(fs::file_size(index) < 200 * 1024);

    json r = th::rep::drive(index, R"JS(
window.addEventListener('load', function () {
  var t0 = Date.now();
  var tbl = document.querySelector('#file-listing table');
  var out = { rows: tbl.tBodies[0].rows.length, shown: tbl.getAttribute('data-shown') };
  var input = document.querySelector('#files .tt-controls input.filter');
  input.value = 'synthetic/f119999';
  input.dispatchEvent(new Event('input'));
  out.filtered = Array.prototype.map.call(tbl.tBodies[0].rows, function (tr) { return tr.cells.length > 2 ? tr.cells[2].textContent : ''; });
  document.querySelector('#files .tt-controls .next').click();
  var pre = document.createElement('pre'); pre.id = 'test-result'; pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
});)JS");
    CHECK(r["rows"] == 100);
    CHECK(r["shown"].get<std::string>() == std::to_string(total));
    CHECK(r["filtered"] == json::array({"/synthetic/f119999"}));
}
