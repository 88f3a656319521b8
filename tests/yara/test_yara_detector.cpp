// The YARA detector: matches equal the yara CLI's on the files tsk_recover extracts; strings at
// offsets 0 and 65 and straddling page boundaries found once with exact offsets; external
// variables; broken rules refused or skipped; a runaway rule cut off by the timeout.
#include "support/harness.hpp"
#include "support/images.hpp"

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

namespace fs = std::filesystem;

namespace {

const std::string kMarker = "TRIAGE-YARA-MARKER-0123456789";

std::string rules_dir() { return std::string(TRIAGE_SOURCE_DIR) + "/tests/yara/rules"; }

// (path, rule) pairs triage found, for file-system objects (no streams, no derived objects).
std::set<std::pair<std::string, std::string>> triage_matches(const std::string& case_dir) {
    std::set<std::pair<std::string, std::string>> out;
    std::string rows = th::sql1(case_dir,
                                "SELECT group_concat(v.path || '|' || f.rule, '\n') FROM v_findings f JOIN v_files v ON "
                                "v.file_id=f.file_id WHERE f.detector='yara'");
    std::istringstream in(rows);
    for (std::string l; std::getline(in, l);) {
        auto bar = l.rfind('|');
        std::string path = l.substr(0, bar);
        if (path.find('>') != std::string::npos || path.find(':') != std::string::npos) continue;
        out.emplace(path, l.substr(bar + 1));
    }
    return out;
}

// What `yara -r RULES DIR` reports, as (path under DIR with a leading '/', rule).
std::set<std::pair<std::string, std::string>> cli_matches(const std::string& rules, const std::string& dir) {
    auto r = th::run("yara -w -r " + th::q(rules) + " " + th::q(dir));
    REQUIRE(r.rc == 0);
    std::set<std::pair<std::string, std::string>> out;
    std::istringstream in(r.out);
    for (std::string l; std::getline(in, l);) {
        auto sp = l.find(' ');
        std::string path = l.substr(sp + 1).substr(dir.size());
        out.emplace(path, l.substr(0, sp));
    }
    return out;
}

// Paths of regular files named only once in the listing: tsk_recover writes one file per path,
// so a deleted and an allocated file of the same name cannot both be compared.
std::set<std::string> unique_paths(const std::string& case_dir) {
    std::set<std::string> once, twice;
    for (const auto& r : th::rows(case_dir))
        if (r.type == "r" && r.md5 && r.origin == "fs") (once.count(r.path) ? twice : once).insert(r.path);
    for (const auto& p : twice) once.erase(p);
    return once;
}

void compare_with_cli(const std::string& image, const th::TempDir& t, const std::string& name, bool expect_matches) {
    std::string c = t / (name + "-case");
    REQUIRE(th::scan({image}, c, "--option yara.default_rules=false --rules " + th::q(rules_dir() + "/oracle.yar")) == 0);
    std::string out = t / (name + "-recovered");
    REQUIRE(th::run("tsk_recover -e " + th::q(image) + " " + th::q(out) + " >/dev/null").rc == 0);
    auto keep = unique_paths(c);
    std::set<std::pair<std::string, std::string>> ours, theirs;
    for (const auto& m : triage_matches(c))
        if (keep.count(m.first)) ours.insert(m);
    for (const auto& m : cli_matches(rules_dir() + "/oracle.yar", out))
        if (keep.count(m.first)) theirs.insert(m);
    INFO(name);
    CHECK(ours == theirs);
    if (expect_matches) CHECK(!theirs.empty());
}

}  // namespace

TEST_CASE("YARA matches equal the yara CLI's on the files tsk_recover extracts", "[yara]") {
    th::TempDir t;
    compare_with_cli(th::testdata("dftt/8-jpeg-search/8-jpeg-search.dd"), t, "jpeg-search", true);
    compare_with_cli(th::testdata("dftt/6-undel-fat/6-fat-undel.dd"), t, "undel-fat", false);
}

TEST_CASE("YARA strings at offsets 0 and 65 and across page boundaries, externals, includes", "[yara]") {
    th::TempDir t;
    fs::create_directories(t / "tree");
    std::ofstream(t / "tree/at0.bin", std::ios::binary) << kMarker << std::string(100, 'x');
    std::ofstream(t / "tree/at65.bin", std::ios::binary) << std::string(65, 'y') << kMarker;
    // 3 MiB with the marker straddling the 1 MiB and 2 MiB page boundaries.
    std::string big(3 << 20, 'z');
    const size_t b1 = (1 << 20) - 10, b2 = (2 << 20) - 5;
    big.replace(b1, kMarker.size(), kMarker);
    big.replace(b2, kMarker.size(), kMarker);
    std::ofstream(t / "tree/paged.bin", std::ios::binary) << big;
    std::ofstream(t / "tree/gone.txt") << "deleted " << kMarker << "\n";
    fs::copy_file(th::testdata("yara/tiny"), t / "tree/tiny.exe");
    std::string img = t / "disk.img";
    REQUIRE(th::run("mke2fs -q -t ext4 -d " + th::q(t / "tree") + " -F " + th::q(img) + " 16M").rc == 0);
    REQUIRE(th::run("debugfs -w -R 'rm /gone.txt' " + th::q(img)).rc == 0);

    std::string c = t / "case";
    REQUIRE(th::scan({img}, c,
                     "--option yara.default_rules=false --rules " + th::q(rules_dir() + "/markers.yar") +
                         " --rules " + th::q(th::testdata("yara/foo.yar")) +
                         " --option yara.max_buffer_mb=1 --option yara.margin_kb=64") == 0);
    auto detail = [&](const std::string& path, const std::string& rule) {
        std::string d = th::sql1(c, "SELECT f.detail FROM v_findings f JOIN v_files v ON v.file_id=f.file_id WHERE "
                                    "f.detector='yara' AND v.path='" + path + "' AND f.rule='" + rule + "'");
        return d.empty() ? nlohmann::json() : nlohmann::json::parse(d);
    };
    auto offsets = [&](const nlohmann::json& d) {
        std::vector<int64_t> o;
        if (d.is_object())
            for (const auto& s : d["strings"]) o.push_back(s["offset"].get<int64_t>());
        return o;
    };
    CHECK(offsets(detail("/at0.bin", "test_marker")) == std::vector<int64_t>{0});
    CHECK(offsets(detail("/at65.bin", "test_marker")) == std::vector<int64_t>{65});
    // Paged (1 MiB pages): each straddling string found once, at its exact object offset.
    CHECK(offsets(detail("/paged.bin", "test_marker")) ==
          std::vector<int64_t>{static_cast<int64_t>(b1), static_cast<int64_t>(b2)});
    CHECK(th::sql_int(c, "SELECT count(*) FROM v_findings f JOIN v_files v ON v.file_id=f.file_id WHERE v.path='/paged.bin' "
                         "AND f.rule='test_marker'") == 1);
    // The finding carries the rule's meta, namespace and an escaped context.
    auto d0 = detail("/at0.bin", "test_marker");
    REQUIRE(d0.is_object());
    CHECK(d0["meta"]["author"] == "triage tests");
    CHECK(d0["namespace"] == "markers.yar");
    CHECK(d0["strings"][0]["context"].get<std::string>().find(kMarker) == 0);
    CHECK(th::sql1(c, "SELECT severity || ' ' || category || ' ' || kind FROM v_findings WHERE rule='test_marker' LIMIT 1") ==
          "5 test yara");
    // pe module on the PE sample; externals on the deleted file.
    CHECK(detail("/tiny.exe", "test_pe_seven_sections").is_object());
    CHECK(detail("/gone.txt", "test_marker_in_deleted_txt").is_object());
    CHECK(th::sql_int(c, "SELECT count(*) FROM v_findings WHERE rule='test_marker_in_deleted_txt'") == 1);
    // testdata/yara/foo.yar includes include/bar.yar, which includes ../baz.yar: all resolve.
    for (const char* r : {"foo", "bar", "baz"}) CHECK(detail("/tiny.exe", r).is_object());
}

TEST_CASE("broken rules: the scan refuses, or skips them when asked; a runaway rule times out", "[yara]") {
    th::TempDir t;
    auto img = th::testdata("dftt/6-undel-fat/6-fat-undel.dd");
    fs::create_directories(t / "rules");
    std::ofstream(t / "rules/broken.yar") << "rule ok_one { condition: true }\n\nrule broken { strings: $a = \"x\" condition: $b }\n";
    std::ofstream(t / "rules/missing_include.yar") << "include \"nowhere.yar\"\nrule x { condition: true }\n";
    std::ofstream(t / "good.yar") << "rule good_rule { condition: filesize > 0 }\n";
    const std::string bin = th::q(th::triage_bin());

    auto refused = th::run(bin + " scan " + th::q(img) + " --case " + th::q(t / "c1") + " --quiet --rules " +
                           th::q(t / "rules/broken.yar"));
    CHECK(refused.rc == 2);
    CHECK(refused.err.find("broken.yar:3") != std::string::npos);
    CHECK(th::sql_int(t / "c1", "SELECT count(*) FROM files") == 0);  // nothing read

    auto missing = th::run(bin + " scan " + th::q(img) + " --case " + th::q(t / "c2") + " --quiet --rules " +
                           th::q(t / "rules/missing_include.yar"));
    CHECK(missing.rc == 2);
    CHECK(missing.err.find("missing_include.yar") != std::string::npos);
    CHECK(missing.err.find("nowhere.yar") != std::string::npos);

    auto skipped = th::run(bin + " scan " + th::q(img) + " --case " + th::q(t / "c3") + " --quiet --rules " +
                           th::q(t / "rules") + " --rules " + th::q(t / "good.yar") +
                           " --option yara.default_rules=false --rules-skip-broken");
    CHECK(skipped.rc == 0);
    CHECK(th::sql_int(t / "c3", "SELECT count(*) FROM v_errors WHERE message LIKE 'skipped rule file %broken.yar%'") == 1);
    CHECK(th::sql_int(t / "c3", "SELECT count(*) FROM v_errors WHERE message LIKE 'skipped rule file %missing_include.yar%'") == 1);
    CHECK(th::sql_int(t / "c3", "SELECT count(*) FROM audit WHERE action='detector error' AND detail LIKE '%skipped rule file%broken.yar%'") == 1);
    CHECK(th::sql_int(t / "c3", "SELECT count(*) FROM v_findings WHERE rule='good_rule'") > 0);
    CHECK(th::sql_int(t / "c3", "SELECT count(*) FROM v_findings WHERE rule='ok_one'") == 0);

    // A rule whose condition loops over every byte, on a 24 MiB file, with a 1 s budget.
    std::ofstream(t / "slow.yar") << "rule slow { condition: for all i in (0..filesize-1) : "
                                     "(for any j in (0..64) : (uint8(i) != j + 100)) }\n";
    fs::create_directories(t / "tree");
    { std::ofstream(t / "tree/big.bin", std::ios::binary) << std::string(24 << 20, 'a'); }
    REQUIRE(th::run("mke2fs -q -t ext4 -d " + th::q(t / "tree") + " -F " + th::q(t / "slow.img") + " 40M").rc == 0);
    auto start = std::chrono::steady_clock::now();
    auto slow = th::run(bin + " scan " + th::q(t / "slow.img") + " --case " + th::q(t / "c4") +
                        " --quiet --option yara.default_rules=false --rules " + th::q(t / "slow.yar") +
                        " --option yara.timeout=1");
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    CHECK(slow.rc == 0);
    CHECK(secs < 60);
    CHECK(th::sql_int(t / "c4", "SELECT count(*) FROM v_errors WHERE message LIKE '%timed out%'") == 1);
    CHECK(!th::sql1(t / "c4", "SELECT sha256 FROM v_files WHERE path='/big.bin'").empty());
}

TEST_CASE("DFTT keyword image: strings inside files found at the answer key's sector and offset", "[yara]") {
    // dftt/2-kwsrch-fat/index.html: (rule, sector, offset in sector, path)
    struct Key {
        const char* rule;
        int64_t sector, offset;
        const char* path;
        int64_t lead = 0;  // the key counts this many leading bytes of context into the offset
    };
    const Key keys[] = {{"kw_first", 271, 167, "/file1.dat"},        {"kw_second", 272, 288, "/file2.dat"},
                        {"kw_cross2", 273, 508, "/file3.dat"},       {"kw_fragment1", 275, 507, "/file4.dat"},
                        {"kw_fragment2", 278, 500, "/file6.dat", 2},    {"kw_deleted", 276, 230, "/_ILE5.DAT"},
                        {"kw_regexp_chars", 279, 160, "/file7.dat"}};
    th::TempDir t;
    auto img = th::testdata("dftt/2-kwsrch-fat/fat-img-kw.dd");
    REQUIRE(th::scan({img}, t / "case",
                     "--option yara.default_rules=false --rules " + th::q(rules_dir() + "/dftt_keywords.yar")) == 0);
    for (const auto& k : keys) {
        INFO(k.rule << " in " << k.path);
        std::string meta = th::sql1(t / "case", std::string("SELECT meta_addr FROM v_files WHERE path='") + k.path + "'");
        REQUIRE(!meta.empty());
        // The file's sectors, from istat (the oracle maps file offsets to image offsets).
        auto ist = th::run("istat " + th::q(img) + " " + meta + " | sed -n '/^Sectors:/,$p' | tail -n +2");
        REQUIRE(ist.rc == 0);
        std::vector<int64_t> sectors;
        std::istringstream in(ist.out);
        for (int64_t s; in >> s;) sectors.push_back(s);
        REQUIRE(!sectors.empty());
        std::string d = th::sql1(t / "case", std::string("SELECT f.detail FROM v_findings f JOIN v_files v ON "
                                                         "v.file_id=f.file_id WHERE v.path='") +
                                                 k.path + "' AND f.rule='" + k.rule + "'");
        REQUIRE(!d.empty());
        std::set<int64_t> image_offsets;
        const auto parsed = nlohmann::json::parse(d);
        for (const auto& s : parsed["strings"]) {
            int64_t off = s["offset"].get<int64_t>();
            if (off / 512 < static_cast<int64_t>(sectors.size()))
                image_offsets.insert(sectors[static_cast<size_t>(off / 512)] * 512 + off % 512);
        }
        INFO("istat sectors: " << ist.out << "; detail: " << d);
        // Row 10 of the key ("2fragment sentence2", "crosses fragmented sectors on ' '") gives the
        // offset of the two spaces before the string; icat | grep -ob puts the string 2 bytes on.
        CHECK(image_offsets.count(k.sector * 512 + k.offset + k.lead) == 1);
    }
}

TEST_CASE("the shipped rule set: triage's matches on every sample equal the yara CLI's", "[yara]") {
    // Every positive and negative sample under rules/tests, put in one ext4 image (as files of
    // a seized disk would be), scanned with the default rules; the oracle is `yara -r` over the
    // same files with rules/index.yar.
    const std::string rules = std::string(TRIAGE_SOURCE_DIR) + "/rules";
    REQUIRE(fs::exists(rules + "/index.yar"));
    th::TempDir t;
    fs::create_directories(t / "tree");
    int samples = 0;
    for (const auto& e : fs::recursive_directory_iterator(rules + "/tests")) {
        if (!e.is_regular_file()) continue;
        std::string rel = fs::relative(e.path(), rules + "/tests").string();
        std::string flat = rel;
        std::replace(flat.begin(), flat.end(), '/', '_');
        fs::copy_file(e.path(), t / ("tree/" + flat));
        ++samples;
    }
    REQUIRE(samples >= 80);
    std::string img = t / "samples.img";
    REQUIRE(th::run("mke2fs -q -t ext4 -d " + th::q(t / "tree") + " -F " + th::q(img) + " 64M").rc == 0);
    REQUIRE(th::scan({img}, t / "case") == 0);
    auto ours = triage_matches(t / "case");
    auto theirs = cli_matches(rules + "/index.yar", t / "tree");
    CHECK(ours == theirs);
    CHECK(theirs.size() >= 40);
    CHECK(th::sql_int(t / "case", "SELECT count(*) FROM v_errors") == 0);
}

TEST_CASE("YARA with a buffer budget smaller than two large files: matches still equal the yara CLI's", "[yara]") {
    // Files of 5-10 MiB against a shared budget of 6 MiB on three workers: each large file waits
    // for the one before it to be scanned (the paged one too); small files never wait. A stall
    // (a wait that could not end) would hang the scan; a lost buffer would lose matches.
    th::TempDir t;
    fs::create_directories(t / "tree");
    for (int i = 0; i < 6; ++i) {
        std::string data = th::img::random_bytes((5u << 20) + static_cast<size_t>(i) * (1u << 20) + 777, 500 + i);
        data.replace(data.size() / 2 + static_cast<size_t>(i) * 1000, kMarker.size(), kMarker);
        th::img::write_file(t / ("tree/large" + std::to_string(i) + ".bin"), data);
    }
    for (int i = 0; i < 10; ++i)
        th::img::write_file(t / ("tree/small" + std::to_string(i) + ".txt"),
                            (i % 3 ? "" : kMarker) + th::img::random_bytes(5000, 600 + i));
    const std::string img = t / "disk.img", rules = t / "marker.yar";
    th::img::write_file(rules, "rule budget_marker { strings: $m = \"" + kMarker + "\" condition: $m }\n");
    REQUIRE(th::run("mke2fs -q -t ext2 -d " + th::q(t / "tree") + " -F " + th::q(img) + " 96M").rc == 0);
    const std::string c = t / "case";
    REQUIRE(th::scan({img}, c,
                     "--jobs 3 --option yara.default_rules=false --rules " + th::q(rules) +
                         " --option yara.max_buffer_mb=8 --option yara.buffer_budget_mb=6") == 0);
    std::set<std::pair<std::string, std::string>> ours = triage_matches(c), theirs = cli_matches(rules, t / "tree");
    CHECK(theirs.size() == 10);  // six large files and four small ones
    CHECK(ours == theirs);
    CHECK(th::sql_int(c, "SELECT count(*) FROM errors") == 0);
}
