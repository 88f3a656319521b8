// The machine-readable exports of `triage report` and the signed bundle, checked against tools
// nobody on the project wrote: python3-jsonschema (JSON against docs/report-json.schema.json),
// Python's csv module, rdflib (JSON-LD), xmllint with dfxml.xsd, The Sleuth Kit's mactime and
// fls, and the openssl CLI (CMS signature, certificate). Images: a DFTT image from
// ../shared/testdata and an ext4 image built here with names that try to break every format.
#include "index/db.hpp"
#include "report/bundle.hpp"
#include "support/harness.hpp"
#include "support/images.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <unordered_set>

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

const std::string kPy = "/usr/bin/python3";
std::string T() { return th::q(th::triage_bin()); }
std::string here(const std::string& f) { return std::string(TRIAGE_SOURCE_DIR) + "/tests/exports/" + f; }
std::string schema() { return std::string(TRIAGE_SOURCE_DIR) + "/docs/report-json.schema.json"; }
std::string xsd() { return th::testdata("dfxml-schema/dfxml.xsd"); }

std::string ntfs_image() { return th::testdata("dftt/7-undel-ntfs/7-ntfs-undel.dd"); }

// The DFTT NTFS image scanned once for the whole test run.
const std::string& ntfs_case() {
    static th::TempDir t;
    static const std::string c = [] {
        std::string dir = t / "case";
        REQUIRE(th::scan({ntfs_image()}, dir, "--examiner 'I. Petrenko' --case-number UA-2026-0007") == 0);
        return dir;
    }();
    return c;
}

std::string report(const std::string& case_dir, const std::string& format, const std::string& out,
                   const std::string& extra = "") {
    auto r = th::run(T() + " report " + th::q(case_dir) + " --format " + format + " -o " + th::q(out) + " " + extra);
    INFO("triage report --format " << format << ": " << r.err);
    REQUIRE(r.rc == 0);
    return out;
}

// 8 KiB of letters and digits from a fixed seed: printable, so a detector could quote it in a
// finding's detail, and unlike anything else in the image.
std::string secret_content() {
    std::mt19937 gen(4242);
    const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    std::string s(8192, 'x');
    for (auto& c : s) c = alphabet[gen() % alphabet.size()];
    return s;
}

const std::vector<std::string>& tricky_names() {
    static const std::vector<std::string> names = {
        "=1+1.txt", "@SUM(A1).txt", "-2+3.txt", "+cmd.txt", "a|b.txt", "line\nbreak.txt", "comma,\"quote\".txt",
        "<img src=x onerror=alert(1)>.txt", "\xff\xfe-not-utf8.bin", "amp&lt;.txt"};
    return names;
}

// An ext4 image (mke2fs -d) whose names carry formula prefixes, '|', a newline, quotes, markup
// and bytes that are not UTF-8, plus /dir/secret.jpg that the test marks sensitive the way the
// hash-set detector does (a 'hashset' finding, files.sensitive = 1), and a detector finding on it
// that quotes its content (which must never reach an export).
const std::string& tricky_case() {
    static th::TempDir t;
    static const std::string c = [] {
        const std::string tree = t / "tree";
        int i = 0;
        for (const auto& n : tricky_names()) th::img::write_file(tree + "/" + n, "file " + std::to_string(i++) + "\n");
        th::img::write_file(tree + "/dir/secret.jpg", secret_content());
        th::img::write_file(tree + "/dir/normal.txt", "nothing to see\n");
        const std::string img = t / "tricky.img";
        REQUIRE(th::run("mke2fs -q -t ext4 -d " + th::q(tree) + " -F " + th::q(img) + " 8M").rc == 0);
        const std::string dir = t / "case";
        REQUIRE(th::scan({img}, dir, "--examiner 'O. Ionescu' --case-number RO-2026-1") == 0);
        triage::index::Db db(dir + "/index.db", false);
        const int64_t fid = triage::index::query_int(db, "SELECT file_id FROM files WHERE path = '/dir/secret.jpg'", 0);
        REQUIRE(fid > 0);
        const std::string md5 = th::sql1(dir, "SELECT value FROM hashes WHERE file_id = " + std::to_string(fid) +
                                                  " AND algorithm = 'md5'");
        REQUIRE(md5.size() == 32);
        db.prepare("UPDATE files SET sensitive = 1 WHERE file_id = ?").bind(1, fid).run();
        json hit = {{"set_kind", "known-bad"}, {"algorithm", "md5"}, {"hash", md5}, {"series", "Series-7"},
                    {"victim_identified", false}, {"sensitive", true}};
        db.prepare("INSERT INTO findings(file_id, evidence_id, detector, detector_version, kind, rule, category, detail) "
                   "VALUES (?, 1, 'hashset', '1.0.0', 'hashset', 'test-cam-set', '1', ?)")
            .bind(1, fid)
            .bind(2, hit.dump())
            .run();
        json quote = {{"strings", {{{"offset", 0}, {"data", secret_content().substr(0, 100)}}}}};
        db.prepare("INSERT INTO findings(file_id, evidence_id, detector, detector_version, kind, rule, detail) "
                   "VALUES (?, 1, 'yara', '4.3', 'yara', 'quote_rule', ?)")
            .bind(1, fid)
            .bind(2, quote.dump())
            .run();
        return dir;
    }();
    return c;
}

json py_json(const std::string& cmd) {
    auto r = th::run(cmd);
    INFO(cmd << "\nstderr: " << r.err << "\nstdout: " << r.out.substr(0, 2000));
    REQUIRE(r.rc == 0);
    return json::parse(r.out);
}

void validate_json(const std::string& file) {
    auto r = th::run(kPy + " -c " +
                     th::q("import json,sys,jsonschema\n"
                           "s=json.load(open(sys.argv[1]))\n"
                           "jsonschema.Draft202012Validator.check_schema(s)\n"
                           "jsonschema.Draft202012Validator(s).validate(json.load(open(sys.argv[2])))\n") +
                     " " + th::q(schema()) + " " + th::q(file));
    INFO("jsonschema on " << file << ": " << r.err.substr(0, 3000));
    REQUIRE(r.rc == 0);
}

std::string slurp(const std::string& p) { return th::img::read_all(p); }

}  // namespace

TEST_CASE("json export: validates against docs/report-json.schema.json and holds the whole index", "[exports]") {
    th::TempDir t;
    const auto& c = ntfs_case();
    const std::string out = report(c, "json", t / "r.json");
    validate_json(out);
    json j = json::parse(slurp(out));
    CHECK(j["profile"] == "internal");
    CHECK(j["case"]["case_number"] == "UA-2026-0007");
    CHECK(j["files"].size() == static_cast<size_t>(th::sql_int(c, "SELECT count(*) FROM files")));
    CHECK(j["evidence"].size() == 1);
    CHECK(j["evidence"][0]["computed_hashes"]["md5"] == th::img::file_hash(ntfs_image(), "md5sum"));
    CHECK(j["audit"].size() == static_cast<size_t>(th::sql_int(c, "SELECT count(*) FROM audit")));
    CHECK(j["audit_head"]["hash"] == th::sql1(c, "SELECT hash FROM audit ORDER BY seq DESC LIMIT 1"));
    CHECK(j["filesystems"].size() == static_cast<size_t>(th::sql_int(c, "SELECT count(*) FROM filesystems")));
    // Every file's hashes are those of the index (which [layout] compares with icat).
    std::map<std::string, std::string> md5_by_path;
    for (const auto& r : th::rows(c))
        if (r.md5) md5_by_path[r.path] = *r.md5;
    size_t compared = 0;
    for (const auto& f : j["files"])
        if (f["hashes"].contains("md5")) {
            CHECK(md5_by_path[f["path"]] == f["hashes"]["md5"]);
            ++compared;
        }
    CHECK(compared == md5_by_path.size());

    // The oracle can fail: a document missing a required member, or with a wrong type, is refused.
    json broken = j;
    broken.erase("files");
    th::img::write_file(t / "broken.json", broken.dump());
    auto r = th::run(kPy + " -c " +
                     th::q("import json,sys,jsonschema\n"
                           "jsonschema.Draft202012Validator(json.load(open(sys.argv[1]))).validate(json.load(open(sys.argv[2])))") +
                     " " + th::q(schema()) + " " + th::q(t / "broken.json"));
    CHECK(r.rc != 0);
}

TEST_CASE("json export: names that are not UTF-8 keep their bytes as hex; sensitive files show only what is allowed",
          "[exports]") {
    th::TempDir t;
    const auto& c = tricky_case();
    const std::string out = report(c, "json", t / "r.json", "--profile share");
    validate_json(out);
    json j = json::parse(slurp(out));
    CHECK(j["profile"] == "share");
    bool saw_bad_utf8 = false;
    for (const auto& f : j["files"]) {
        if (f.contains("path_hex") && f["path"].get<std::string>().find("not-utf8") != std::string::npos) {
            saw_bad_utf8 = true;
            CHECK(f["path_hex"] == "2ffffe2d6e6f742d757466382e62696e");  // "/" FF FE "-not-utf8.bin"
        }
        if (f["path"] == "/dir/secret.jpg") {
            CHECK(f["sensitive"] == true);
            std::set<std::string> keys;
            for (auto it = f.begin(); it != f.end(); ++it) keys.insert(it.key());
            CHECK(keys == std::set<std::string>{"file_id", "evidence_id", "fs_id", "path", "allocated", "size", "mtime",
                                                "atime", "ctime", "crtime", "hashes", "sensitive", "known_good"});
        }
    }
    CHECK(saw_bad_utf8);
    // Its hash-set match is there (set and category); the finding quoting its content is not.
    int hashset = 0, yara = 0;
    for (const auto& fi : j["findings"]) {
        if (fi["kind"] == "hashset" && fi["rule"] == "test-cam-set" && fi["category"] == "1") ++hashset;
        if (fi["kind"] == "yara") ++yara;
    }
    CHECK(hashset == 1);
    CHECK(yara == 0);
}

TEST_CASE("csv export: one RFC 4180 file per table, row counts equal the index's, formulas defused", "[exports]") {
    th::TempDir t;
    for (const std::string& c : {ntfs_case(), tricky_case()}) {
        const std::string dir = report(c, "csv", t / ("csv-" + std::to_string(c.size())));
        json counts = py_json(kPy + " " + th::q(here("csv_rows.py")) + " " + th::q(dir) + " --cells");
        std::map<std::string, std::string> tables = {
            {"case_info", "case_info"},   {"evidence", "evidence"}, {"volumes", "volumes"},
            {"filesystems", "filesystems"}, {"files", "files"},     {"hashes", "hashes"},
            {"errors", "errors"},         {"unallocated_ranges", "unalloc_ranges"},
            {"detector_runs", "detector_runs"}, {"audit", "audit"},
            // properties of sensitive files (EXIF, descriptions) are not exported
            {"properties", "properties p WHERE NOT EXISTS (SELECT 1 FROM files sf WHERE sf.file_id = p.file_id AND "
                           "sf.sensitive = 1)"}};
        for (const auto& [csv, table] : tables) {
            INFO("case " << c << ", " << csv << ".csv");
            REQUIRE(counts.contains(csv));
            CHECK(counts[csv]["rows"] == th::sql_int(c, "SELECT count(*) FROM " + table));
        }
        // Findings: all of them but those on sensitive files that are not hash-set matches.
        CHECK(counts["findings"]["rows"] ==
              th::sql_int(c, "SELECT count(*) FROM findings fi WHERE fi.kind = 'hashset' OR fi.file_id IS NULL OR "
                             "fi.file_id NOT IN (SELECT file_id FROM files WHERE sensitive = 1)"));
        // No cell a spreadsheet would run as a formula.
        for (auto it = counts.begin(); it != counts.end(); ++it)
            for (const auto& cell : (*it)["cells"]) {
                const std::string s = cell;
                if (s.empty()) continue;
                bool number = s.find_first_not_of("-0123456789.") == std::string::npos;
                INFO(it.key() << ".csv cell: " << s);
                CHECK((number || std::string("=+-@").find(s[0]) == std::string::npos));
            }
    }
    // The tricky names come back (with the quote before the formula ones) through the csv module.
    json tr = py_json(kPy + " " + th::q(here("csv_rows.py")) + " " + th::q(report(tricky_case(), "csv", t / "tr")) +
                      " --cells");
    std::set<std::string> cells;
    for (const auto& x : tr["files"]["cells"]) cells.insert(x.get<std::string>());
    CHECK(cells.count("'=1+1.txt"));
    CHECK(cells.count("'@SUM(A1).txt"));
    CHECK(cells.count("'-2+3.txt"));
    CHECK(cells.count("'+cmd.txt"));
    CHECK(cells.count("/line\nbreak.txt"));
    CHECK(cells.count("/comma,\"quote\".txt"));
}

TEST_CASE("CASE/UCO export: JSON-LD that rdflib parses, every node typed, every reference defined, hashes typed",
          "[exports]") {
    th::TempDir t;
    const auto& c = ntfs_case();
    const std::string out = report(c, "case", t / "case.jsonld");
    json s = py_json(kPy + " " + th::q(here("check_case_uco.py")) + " " + th::q(out));
    CHECK(s["problems"].empty());
    CHECK(s["triples"].get<int>() > 100);
    CHECK(s["files"] == th::sql_int(c, "SELECT count(*) FROM files"));
    // Every file with content read has its MD5 in a ContentDataFacet, equal to the index's.
    std::map<std::string, std::string> md5_by_path;
    for (const auto& r : th::rows(c))
        if (r.md5) md5_by_path[r.path] = *r.md5;
    CHECK(s["files_md5"].size() == md5_by_path.size());
    for (auto it = s["files_md5"].begin(); it != s["files_md5"].end(); ++it)
        CHECK(md5_by_path[(*it)[0].get<std::string>()] == (*it)[1].get<std::string>());
    // The run: one investigative action per evidence item with performer, instrument, object,
    // result and times; provenance records carry exhibit numbers; the tool is named.
    REQUIRE(s["actions"].size() == 1);
    for (const auto& a : s["actions"])
        for (const char* k : {"performer", "instrument", "object", "result", "start", "end"}) CHECK(a[k] == true);
    CHECK(s["provenance_exhibits"] == json::array({"UA-2026-0007/E1", "UA-2026-0007/E1"}));
    CHECK(std::find(s["tools"].begin(), s["tools"].end(), "triage") != s["tools"].end());

    // The checker is the same one the published CASE examples pass (and it can fail).
    json ex = py_json(kPy + " " + th::q(here("check_case_uco.py")) + " " + th::q(th::testdata("case-uco/exif_data.json")));
    CHECK(ex["problems"].empty());
    json g = json::parse(slurp(out));
    g["@graph"].push_back({{"@id", "kb:dangling"}, {"@type", "uco-core:Annotation"}, {"uco-core:object", {{"@id", "kb:nowhere"}}}});
    th::img::write_file(t / "bad.jsonld", g.dump());
    CHECK(th::run(kPy + " " + th::q(here("check_case_uco.py")) + " " + th::q(t / "bad.jsonld")).rc != 0);

    // The tricky image: still valid, and the sensitive file carries no fileSystemType or mime type.
    const std::string out2 = report(tricky_case(), "case", t / "tricky.jsonld", "--profile share");
    json s2 = py_json(kPy + " " + th::q(here("check_case_uco.py")) + " " + th::q(out2));
    CHECK(s2["problems"].empty());
}

TEST_CASE("DFXML export validates against dfxml.xsd with xmllint and lists every file", "[exports]") {
    th::TempDir t;
    for (const std::string& c : {ntfs_case(), tricky_case()}) {
        const std::string out = report(c, "dfxml", t / ("d" + std::to_string(c.size()) + ".xml"));
        auto r = th::run("xmllint --noout --schema " + th::q(xsd()) + " " + th::q(out));
        INFO("xmllint: " << r.err);
        CHECK(r.rc == 0);
        CHECK(r.err.find("validates") != std::string::npos);
        auto n = th::run(kPy + " -c " +
                         th::q("import sys,xml.etree.ElementTree as E\n"
                               "ns={'d':'http://www.forensicswiki.org/wiki/Category:Digital_Forensics_XML'}\n"
                               "print(len(E.parse(sys.argv[1]).getroot().findall('.//d:fileobject', ns)))") +
                         " " + th::q(out));
        REQUIRE(n.rc == 0);
        CHECK(std::stoll(n.out) == th::sql_int(c, "SELECT count(*) FROM files"));
    }
    // The oracle can fail: DFXML written by The Sleuth Kit itself does not validate.
    CHECK(th::run("xmllint --noout --schema " + th::q(xsd()) + " " + th::q(th::testdata("sleuthkit/image_dd.xml"))).rc != 0);
}

TEST_CASE("body file: mactime reads it without complaint and lists the files fls -m lists", "[exports]") {
    th::TempDir t;
    const auto& c = ntfs_case();
    const std::string out = report(c, "bodyfile", t / "body.txt");
    auto m = th::run("mactime -b " + th::q(out) + " -d");
    INFO("mactime stderr: " << m.err);
    REQUIRE(m.rc == 0);
    CHECK(m.err.empty());
    // Names in our body file vs fls -r -m (TSK's own body file): every name fls gives is ours too
    // ($FILE_NAME attribute entries aside, which triage does not list as files).
    auto names = [](const std::string& body) {
        std::set<std::string> s;
        std::istringstream in(body);
        std::string line;
        while (std::getline(in, line)) {
            std::vector<std::string> f;
            std::stringstream ls(line);
            std::string x;
            while (std::getline(ls, x, '|')) f.push_back(x);
            REQUIRE(f.size() == 11);
            if (f[1].find("($FILE_NAME)") == std::string::npos) s.insert(f[1]);
        }
        return s;
    };
    auto fls = th::run("fls -r -m / " + th::q(ntfs_image()));
    REQUIRE(fls.rc == 0);
    const auto ours = names(slurp(out)), theirs = names(fls.out);
    for (const auto& n : theirs) {
        INFO("fls -m lists " << n);
        CHECK(ours.count(n));
    }
    CHECK(ours.size() == static_cast<size_t>(th::sql_int(c, "SELECT count(*) FROM files")));
    // mactime lists every name that has a time.
    size_t listed = 0;
    for (const auto& n : ours)
        if (m.out.find("\"" + n + "\"") != std::string::npos) ++listed;
    CHECK(listed == ours.size() - static_cast<size_t>(th::sql_int(
                                      c, "SELECT count(*) FROM files WHERE coalesce(mtime,0)=0 AND coalesce(atime,0)=0 "
                                         "AND coalesce(ctime,0)=0 AND coalesce(crtime,0)=0")));

    // The tricky names: '|' and the newline cannot split a line.
    const std::string out2 = report(tricky_case(), "bodyfile", t / "body2.txt");
    auto m2 = th::run("mactime -b " + th::q(out2) + " -d");
    CHECK(m2.rc == 0);
    CHECK(m2.err.empty());
    const auto n2 = names(slurp(out2));
    CHECK(n2.count("/a^b.txt"));
    CHECK(n2.count("/line^break.txt"));
}

TEST_CASE("VICS export: hash-set hits and sensitive files as VICS 2.0 Media with MediaFiles", "[exports]") {
    th::TempDir t;
    const auto& c = tricky_case();
    const std::string out = report(c, "vics", t / "vics.json", "--profile share");
    json v = json::parse(slurp(out));
    const std::string ctx = v["@odata.context"];
    CHECK(ctx.rfind("http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/", 0) == 0);
    CHECK(ctx.substr(ctx.size() - 6) == "#Cases");
    REQUIRE(v["value"].size() == 1);
    const auto& cs = v["value"][0];
    CHECK(cs["CaseNumber"] == "RO-2026-1");
    CHECK(cs["SourceApplicationName"] == "triage");
    REQUIRE(cs["Media"].size() == 1);
    const auto& m = cs["Media"][0];
    const std::string md5 = th::sql1(c, "SELECT md5 FROM v_files WHERE path = '/dir/secret.jpg'");
    std::string up = md5;
    std::transform(up.begin(), up.end(), up.begin(), ::toupper);
    CHECK(m["MD5"] == up);
    // The content's MD5 from coreutils, not from the index.
    th::img::write_file(t / "secret", secret_content());
    std::string oracle = th::img::file_hash(t / "secret", "md5sum");
    std::transform(oracle.begin(), oracle.end(), oracle.begin(), ::toupper);
    CHECK(m["MD5"] == oracle);
    CHECK(m["Category"] == 1);
    CHECK(m["Series"] == "Series-7");
    CHECK(m["VictimIdentified"] == false);
    CHECK(m["IsPrecategorized"] == true);
    CHECK(m["MediaSize"] == 8192);
    REQUIRE(m["MediaFiles"].size() == 1);
    const auto& mf = m["MediaFiles"][0];
    CHECK(mf["FileName"] == "secret.jpg");
    CHECK(mf["FilePath"] == "/dir/secret.jpg");
    CHECK(mf["Deleted"] == false);
    CHECK(mf["Unallocated"] == false);
    for (const char* k : {"Created", "Written", "Accessed"}) CHECK(mf[k].is_string());
    // Known-good matches are not exported.
    CHECK(out.find("known-good") == std::string::npos);
}

// Round trip through the hash-set importer: export, import the export as a set, scan again
// with it and get the same files with the same categories.
TEST_CASE("VICS export round trip through triage hashset import", "[exports]") {
    th::TempDir t;
    REQUIRE(th::run(T() + " hashset --help").rc == 0);
    const auto& c = tricky_case();
    const std::string out = report(c, "vics", t / "vics.json");
    // No --csam: the category (1, abuse material on the US scale) alone must make the match sensitive.
    auto imp = th::run(T() + " hashset import --name roundtrip --kind known-bad " + th::q(out) + " --hashsets " +
                       th::q(t / "sets"));
    INFO(imp.err);
    REQUIRE(imp.rc == 0);
    const std::string img = fs::path(c).parent_path() / "tricky.img";
    REQUIRE(th::scan({img}, t / "case2", "--hashsets " + th::q(t / "sets")) == 0);
    CHECK(th::sql1(t / "case2", "SELECT group_concat(f.path || ' ' || fi.category) FROM findings fi JOIN files f ON "
                                "f.file_id = fi.file_id WHERE fi.kind = 'hashset'") == "/dir/secret.jpg 1");
    CHECK(th::sql_int(t / "case2", "SELECT count(*) FROM files WHERE sensitive = 1") == 1);
    CHECK(th::sql1(t / "case2", "SELECT json_extract(detail, '$.series') FROM findings WHERE kind = 'hashset'") == "Series-7");
    // The hashes of the set are the file's: MD5, SHA-1 and SHA-256 all match the one file.
    const std::string md5 = th::sql1(c, "SELECT md5 FROM v_files WHERE path = '/dir/secret.jpg'");
    auto look = th::run(T() + " hashset lookup " + md5 + " --hashsets " + th::q(t / "sets"));
    CHECK(look.rc == 0);
    CHECK(look.out.find("roundtrip") != std::string::npos);
}

// ---- the signed bundle -------------------------------------------------------------------

namespace {

struct Keys {
    th::TempDir t;
    std::string dir = t / "keys";
    std::string key() const { return dir + "/key.pem"; }
    std::string cert() const { return dir + "/cert.pem"; }
};
const Keys& keys() {
    static Keys k;
    static bool made = [] {
        auto r = th::run(T() + " keygen --out " + th::q(k.dir) + " --subject '/C=UA/O=Cyber Police/CN=I. Petrenko' --days 30");
        INFO(r.err);
        REQUIRE(r.rc == 0);
        return true;
    }();
    (void)made;
    return k;
}

std::string make_bundle(const std::string& case_dir, const std::string& out, const std::string& extra = "") {
    auto r = th::run(T() + " bundle " + th::q(case_dir) + " --key " + th::q(keys().key()) + " --cert " +
                     th::q(keys().cert()) + " -o " + th::q(out) + " " + extra);
    INFO("triage bundle: " << r.err);
    REQUIRE(r.rc == 0);
    return out;
}

bool names_file(const triage::report::bundle::VerifyResult& v, const std::string& rel) {
    for (const auto& p : v.problems)
        if (p.rfind(rel + ":", 0) == 0) return true;
    return false;
}

}  // namespace

TEST_CASE("keygen: key 0600, self-signed certificate with the subject, never overwritten", "[exports]") {
    const auto& k = keys();
    struct stat st {};
    REQUIRE(stat(k.key().c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    REQUIRE(stat(k.cert().c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0644);
    auto subj = th::run("openssl x509 -in " + th::q(k.cert()) + " -noout -subject -issuer -enddate -ext keyUsage");
    REQUIRE(subj.rc == 0);
    CHECK(subj.out.find("CN = I. Petrenko") != std::string::npos);
    CHECK(subj.out.find("O = Cyber Police") != std::string::npos);
    CHECK(subj.out.find("Digital Signature") != std::string::npos);
    // Self-signed: verifies against itself.
    CHECK(th::run("openssl verify -CAfile " + th::q(k.cert()) + " " + th::q(k.cert())).rc == 0);
    // The key matches the certificate (same public key).
    auto a = th::run("openssl pkey -in " + th::q(k.key()) + " -pubout");
    auto b = th::run("openssl x509 -in " + th::q(k.cert()) + " -noout -pubkey");
    CHECK((a.rc == 0 && a.out == b.out));
    // Not overwritten.
    const std::string before = slurp(k.key());
    CHECK(th::run(T() + " keygen --out " + th::q(k.dir)).rc != 0);
    CHECK(slurp(k.key()) == before);
}

TEST_CASE("bundle: verify passes on a fresh bundle; openssl cms -verify accepts the signature; audit records it",
          "[exports]") {
    th::TempDir t;
    const auto& c = ntfs_case();
    const std::string b = make_bundle(c, t / "bundle", "--archive");
    // Every registered format is there, rendered with the share profile.
    for (const char* f : {"report.json", "csv/files.csv", "case-uco.jsonld", "dfxml.xml", "bodyfile.txt", "vics.json",
                          "manifest.json", "manifest.json.p7s"})
        CHECK(fs::exists(b + "/" + f));
    CHECK(json::parse(slurp(b + "/report.json"))["profile"] == "share");
    // The manifest lists every other file with its sha256sum.
    json m = json::parse(slurp(b + "/manifest.json"));
    size_t n = 0;
    for (const auto& e : m["files"]) {
        CHECK(e["sha256"] == th::img::file_hash(b + "/" + e["path"].get<std::string>(), "sha256sum"));
        ++n;
    }
    size_t regular = 0;
    for (auto& e : fs::recursive_directory_iterator(b)) regular += e.is_regular_file() ? 1 : 0;
    CHECK(n + 2 == regular);  // all but the manifest and its signature
    CHECK(m["case"]["case_number"] == "UA-2026-0007");
    CHECK(m["signed_by"]["subject"].get<std::string>().find("CN=I. Petrenko") != std::string::npos);

    auto v = th::run(T() + " verify " + th::q(b));
    INFO(v.out);
    CHECK(v.rc == 0);
    CHECK(v.out.find("identity:    NOT checked") != std::string::npos);
    auto fp = th::run("openssl x509 -in " + th::q(keys().cert()) + " -noout -fingerprint -sha256");
    REQUIRE(fp.rc == 0);
    CHECK(v.out.find(fp.out.substr(fp.out.find('=') + 1, 95)) != std::string::npos);
    CHECK(th::run(T() + " verify " + th::q(b) + " --ca " + th::q(keys().cert())).rc == 0);
    CHECK(th::run(T() + " verify " + th::q(b + ".tar") + " --ca " + th::q(keys().cert())).rc == 0);

    // The openssl CLI as oracle: integrity alone, and with the certificate as trust anchor.
    const std::string cms = "openssl cms -verify -binary -inform DER -in " + th::q(b + "/manifest.json.p7s") +
                            " -content " + th::q(b + "/manifest.json") + " -out /dev/null ";
    CHECK(th::run(cms + "-noverify").rc == 0);
    CHECK(th::run(cms + "-CAfile " + th::q(keys().cert())).rc == 0);
    // ... and it refuses the signature for a changed manifest.
    th::img::write_file(t / "m2", slurp(b + "/manifest.json") + " ");
    CHECK(th::run("openssl cms -verify -binary -inform DER -in " + th::q(b + "/manifest.json.p7s") + " -content " +
                  th::q(t / "m2") + " -out /dev/null -noverify")
              .rc != 0);

    // Another unit's certificate as CA: integrity holds, identity does not.
    const std::string other = t / "other";
    REQUIRE(th::run(T() + " keygen --out " + th::q(other) + " --subject /CN=someone-else").rc == 0);
    auto wrong = th::run(T() + " verify " + th::q(b) + " --ca " + th::q(other + "/cert.pem"));
    CHECK(wrong.rc == 3);
    CHECK(wrong.out.find("does not chain") != std::string::npos);

    CHECK(th::sql_int(c, "SELECT count(*) FROM audit WHERE action = 'bundle signed' AND detail LIKE '%" +
                             m["signed_by"]["sha256_fingerprint"].get<std::string>() + "%'") >= 1);
    auto chk = th::run(T() + " audit " + th::q(c) + " --check");
    CHECK(chk.rc == 0);
}

TEST_CASE("bundle: verify fails, naming the file, for every changed byte tried, a removed and an added file",
          "[exports]") {
    th::TempDir t;
    const std::string b = make_bundle(tricky_case(), t / "bundle");
    using triage::report::bundle::verify_bundle;
    REQUIRE(verify_bundle(b).ok());
    std::mt19937 gen(7);
    size_t flips = 0;
    std::vector<std::string> files;
    for (auto& e : fs::recursive_directory_iterator(b))
        if (e.is_regular_file()) files.push_back(fs::relative(e.path(), b).generic_string());
    for (const auto& rel : files) {
        const std::string p = b + "/" + rel;
        const std::string orig = slurp(p);
        REQUIRE(!orig.empty());
        // The manifest and the signature: every byte. Other files: first, last, middle and 13 more.
        std::vector<size_t> at;
        if (rel == "manifest.json" || rel == "manifest.json.p7s") {
            for (size_t i = 0; i < orig.size(); ++i) at.push_back(i);
        } else {
            at = {0, orig.size() - 1, orig.size() / 2};
            for (int i = 0; i < 13; ++i) at.push_back(gen() % orig.size());
        }
        // The signature: every bit of every byte (an OID one bit away can be another valid one).
        const int bits = rel == "manifest.json.p7s" ? 8 : 1;
        for (size_t i : at)
            for (int k = 0; k < bits; ++k) {
                std::string d = orig;
                d[i] = static_cast<char>(d[i] ^ (1 << (bits == 8 ? k : static_cast<int>(gen() % 8))));
                th::img::write_file(p, d);
                auto v = verify_bundle(b);
                INFO(rel << " byte " << i << " bit " << k);
                CHECK_FALSE(v.ok());
                CHECK(names_file(v, rel));
                ++flips;
            }
        th::img::write_file(p, orig);
    }
    CHECK(flips > 15000);
    REQUIRE(verify_bundle(b).ok());

    // A removed file, an added one: named, non-zero exit from the CLI.
    const std::string gone = b + "/csv/files.csv";
    const std::string keep = slurp(gone);
    fs::remove(gone);
    auto v1 = th::run(T() + " verify " + th::q(b));
    CHECK(v1.rc == 3);
    CHECK(v1.out.find("csv/files.csv: missing") != std::string::npos);
    th::img::write_file(gone, keep);
    th::img::write_file(b + "/csv/extra.csv", "a,b\r\n");
    auto v2 = th::run(T() + " verify " + th::q(b));
    CHECK(v2.rc == 3);
    CHECK(v2.out.find("csv/extra.csv: extra file") != std::string::npos);
    fs::remove(b + "/csv/extra.csv");
    CHECK(th::run(T() + " verify " + th::q(b)).rc == 0);
    fs::remove(b + "/manifest.json.p7s");
    auto v3 = th::run(T() + " verify " + th::q(b));
    CHECK(v3.rc == 3);
    CHECK(v3.out.find("manifest.json.p7s: missing") != std::string::npos);
}

TEST_CASE("bundle (share profile): no 32-byte run of a sensitive file's content in any file", "[exports]") {
    th::TempDir t;
    const std::string b = make_bundle(tricky_case(), t / "bundle");
    const std::string secret = secret_content();
    std::unordered_set<std::string> runs;
    for (size_t i = 0; i + 32 <= secret.size(); ++i) runs.insert(secret.substr(i, 32));
    size_t searched = 0;
    for (auto& e : fs::recursive_directory_iterator(b)) {
        if (!e.is_regular_file()) continue;
        const std::string d = slurp(e.path().string());
        bool found = false;
        for (size_t i = 0; i + 32 <= d.size() && !found; ++i) found = runs.count(d.substr(i, 32)) > 0;
        INFO(e.path().string());
        CHECK_FALSE(found);
        ++searched;
    }
    CHECK(searched >= 8);
    // The check can fail: the index itself holds a quote of the content (the detector finding).
    const std::string idx = th::sql1(tricky_case(), "SELECT detail FROM findings WHERE kind = 'yara'");
    bool in_index = false;
    for (size_t i = 0; i + 32 <= idx.size() && !in_index; ++i) in_index = runs.count(idx.substr(i, 32)) > 0;
    CHECK(in_index);
    // The sensitive file is still listed, by its hashes, in the share report.
    th::img::write_file(t / "secret", secret);
    CHECK(slurp(b + "/report.json").find(th::img::file_hash(t / "secret", "sha256sum")) != std::string::npos);
    CHECK(slurp(b + "/report.json").find("/dir/secret.jpg") != std::string::npos);
}

TEST_CASE("share profile: case.json's notes, internal fields and internal items stay out of every export",
          "[exports]") {
    th::TempDir t;
    const std::string c = t / "case";
    fs::copy(tricky_case(), c, fs::copy_options::recursive);
    const std::string lab_path = th::sql1(c, "SELECT path FROM evidence WHERE evidence_id = 1");
    REQUIRE(lab_path.find('/') != std::string::npos);
    json cfg = {{"title", "Operation Test"},
                {"agency", "AGENCY-INTERNAL-NAME"},
                {"fields", {{{"label", "Prosecutor"}, {"value", "PUBLIC-FIELD-VALUE"}},
                            {{"label", "Informant"}, {"value", "INTERNAL-FIELD-VALUE"}, {"internal", true}}}},
                {"notes", {"NOTE-ONE-TEXT", {{"time", "2026-11-29T10:00:00Z"}, {"text", "NOTE-TWO-TEXT"}}}},
                {"internal", {"examiner", "evidence_paths", "audit_details", "agency"}}};
    th::img::write_file(c + "/case.json", cfg.dump());

    // Internal profile: everything is there.
    json in = json::parse(slurp(report(c, "json", t / "internal.json")));
    validate_json(t / "internal.json");
    CHECK(in["case"]["examiner"] == "O. Ionescu");
    CHECK(in["case"]["notes"].size() == 2);
    CHECK(in["case"]["fields"].size() == 2);
    CHECK(in["evidence"][0]["path"] == lab_path);
    CHECK(in["withheld"].empty());

    // Share profile, every export, and the bundle.
    json sh = json::parse(slurp(report(c, "json", t / "share.json", "--profile share")));
    validate_json(t / "share.json");
    CHECK(sh["case"]["examiner"].is_null());
    CHECK(sh["case"]["notes"].empty());
    CHECK(sh["case"]["fields"].size() == 1);
    CHECK(sh["case"]["title"] == "Operation Test");
    CHECK_FALSE(sh["case"].contains("agency"));
    CHECK(sh["evidence"][0]["path"] == fs::path(lab_path).filename().string());
    const std::string b = make_bundle(c, t / "bundle");
    size_t searched = 0;
    for (auto& e : fs::recursive_directory_iterator(b)) {
        if (!e.is_regular_file() || e.path().filename() == "manifest.json.p7s") continue;
        const std::string d = slurp(e.path().string());
        INFO(e.path().string());
        for (const char* s : {"NOTE-ONE-TEXT", "NOTE-TWO-TEXT", "INTERNAL-FIELD-VALUE", "O. Ionescu", "AGENCY-INTERNAL-NAME"})
            CHECK(d.find(s) == std::string::npos);
        CHECK(d.find(lab_path) == std::string::npos);
        ++searched;
    }
    CHECK(searched >= 8);
    CHECK(slurp(b + "/report.json").find("PUBLIC-FIELD-VALUE") != std::string::npos);

    // A malformed case.json is an error naming it.
    th::img::write_file(c + "/case.json", "{ not json");
    auto r = th::run(T() + " report " + th::q(c) + " --format json -o " + th::q(t / "x.json"));
    CHECK(r.rc != 0);
    CHECK(r.err.find("case.json") != std::string::npos);
}
