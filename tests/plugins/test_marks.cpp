// Host API v2 end to end (marks and properties), through an external plugin (so through the plugin-process protocol):
// a metadata detector marks objects known-good or sensitive; the marks reach the index; heavy
// detectors (the built-in YARA and a plugin's) skip known-good files unless the examiner says
// otherwise; a sensitive file is not exported without --sensitive, and either way the audit
// log says what happened.
#include "support/harness.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;

TEST_CASE("marks: known-good files skip heavy detectors, sensitive files stay in the index", "[plugins]") {
    th::TempDir t;
    std::string plugins = t / "plugins";
    fs::create_directories(plugins);
    fs::copy_file(std::string(TRIAGE_FIXTURE_DIR) + "/abi_probe.so", plugins + "/abi_probe.so");
    fs::create_directories(t / "tree");
    for (const char* n : {"goodfile.txt", "secret.bin", "plain.txt"})
        std::ofstream(t / (std::string("tree/") + n)) << "MARKTEST-3c1d payload of " << n << "\n";
    std::ofstream(t / "marktest.yar") << "rule marktest { strings: $a = \"MARKTEST-3c1d\" condition: $a }\n";
    std::string img = t / "disk.img";
    REQUIRE(th::run("mke2fs -q -t ext4 -d " + th::q(t / "tree") + " -F " + th::q(img) + " 8M").rc == 0);

    auto yara_hit = [](const std::string& c, const std::string& path) {
        return th::sql_int(c, "SELECT count(*) FROM v_findings f JOIN v_files v ON v.file_id=f.file_id WHERE "
                              "f.kind='yara' AND f.rule='marktest' AND v.path='" + path + "'");
    };
    auto heavy = [](const std::string& c, const std::string& path) {
        return th::sql1(c, "SELECT f.detail FROM v_findings f JOIN v_files v ON v.file_id=f.file_id WHERE "
                           "f.detector='probe_heavy' AND v.path='" + path + "'");
    };
    // The built-in filetype and entropy detectors also set properties ("mime", "entropy"): left
    // out so that the probe's are the only ones.
    const std::string opts = "--plugin-dir " + th::q(plugins) + " --rules " + th::q(t / "marktest.yar") +
                             " --disable filetype,entropy";

    SECTION("default: known-good files are skipped by heavy detectors") {
        std::string c = t / "case";
        REQUIRE(th::scan({img}, c, opts) == 0);
        INFO(th::sql1(c, "SELECT group_concat(location || ': ' || message, '\n') FROM v_errors"));
        CHECK(th::sql1(c, "SELECT known_good || sensitive FROM v_files WHERE path='/goodfile.txt'") == "10");
        CHECK(th::sql1(c, "SELECT known_good || sensitive FROM v_files WHERE path='/secret.bin'") == "01");
        CHECK(th::sql1(c, "SELECT known_good || sensitive FROM v_files WHERE path='/plain.txt'") == "00");
        // set_property through the plugin protocol: the "mime" property is v_files.type.
        CHECK(th::sql1(c, "SELECT type FROM v_files WHERE path='/goodfile.txt'") == "application/x-probe-12");
        CHECK(th::sql1(c, "SELECT detector || ':' || key || '=' || value FROM properties p JOIN v_files v ON "
                          "v.file_id=p.file_id WHERE v.path='/plain.txt'") == "probe_mark:mime=application/x-probe-9");
        CHECK(yara_hit(c, "/goodfile.txt") == 0);
        CHECK(yara_hit(c, "/plain.txt") == 1);
        CHECK(yara_hit(c, "/secret.bin") == 1);
        CHECK(heavy(c, "/goodfile.txt") == "skip=1 known_good=1 sensitive=0");
        CHECK(heavy(c, "/secret.bin") == "skip=0 known_good=0 sensitive=1");
        CHECK(heavy(c, "/plain.txt") == "skip=0 known_good=0 sensitive=0");

        int64_t secret = th::sql_int(c, "SELECT file_id FROM v_files WHERE path='/secret.bin'");
        std::string out = t / "out";
        auto refused = th::run(th::q(th::triage_bin()) + " export " + th::q(c) + " " + std::to_string(secret) +
                               " --to " + th::q(out));
        CHECK(refused.rc == 3);
        CHECK(refused.err.find("sensitive") != std::string::npos);
        CHECK((!fs::exists(out) || fs::is_empty(out)));
        CHECK(th::sql_int(c, "SELECT count(*) FROM audit WHERE action='sensitive export refused'") == 1);
        auto allowed = th::run(th::q(th::triage_bin()) + " export " + th::q(c) + " " + std::to_string(secret) +
                               " --to " + th::q(out) + " --sensitive");
        CHECK(allowed.rc == 0);
        CHECK(th::sql_int(c, "SELECT count(*) FROM audit WHERE action='sensitive file exported'") == 1);
        CHECK(th::run(th::q(th::triage_bin()) + " audit --check " + th::q(c)).rc == 0);
    }
    SECTION("--no-skip-known-good: heavy detectors see every file") {
        std::string c = t / "case-all";
        REQUIRE(th::scan({img}, c, opts + " --no-skip-known-good") == 0);
        CHECK(yara_hit(c, "/goodfile.txt") == 1);
        CHECK(heavy(c, "/goodfile.txt") == "skip=0 known_good=1 sensitive=0");
        CHECK(th::sql1(c, "SELECT known_good FROM v_files WHERE path='/goodfile.txt'") == "1");
    }
}
