// Plugins that are broken or misbehave: refused with a message naming the file, or run out of
// process and recorded per object while the scan completes with every hash.
#include "support/harness.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;

namespace {

std::string fixture_dir(const th::TempDir& t, std::initializer_list<const char*> names) {
    std::string dir = t / "plugins";
    fs::create_directories(dir);
    for (const char* n : names) fs::copy_file(std::string(TRIAGE_FIXTURE_DIR) + "/" + n + ".so", dir + "/" + n + ".so");
    return dir;
}

std::string hashes_of(const std::string& case_dir) {
    return th::sql1(case_dir, "SELECT group_concat(path || '=' || ifnull(sha256,'-'), ',') FROM (SELECT * FROM v_files ORDER BY path)");
}

// The YARA findings by object, to compare a case with the plugin failing and one without it.
std::string yara_findings(const std::string& case_dir) {
    return th::sql1(case_dir, "SELECT group_concat(k, ',') FROM (SELECT x.path || '=' || f.rule AS k FROM findings f "
                              "JOIN files x ON x.file_id = f.file_id WHERE f.detector='yara' ORDER BY k)");
}

}  // namespace

TEST_CASE("broken plugin files are refused by name and the rest still loads", "[plugins]") {
    th::TempDir t;
    std::string dir = fixture_dir(t, {"newer_api", "no_entry", "misbehave"});
    { std::ofstream(dir + "/notes.so") << "this is not a shared object"; }
    auto r = th::run(th::q(th::triage_bin()) + " plugins --plugin-dir " + th::q(dir));
    REQUIRE(r.rc == 0);
    CHECK(r.err.find("newer_api.so") != std::string::npos);
    CHECK(r.err.find("needs host API version 99") != std::string::npos);
    CHECK(r.err.find("no_entry.so") != std::string::npos);
    CHECK(r.err.find("no entry symbol") != std::string::npos);
    CHECK(r.err.find("notes.so") != std::string::npos);
    CHECK(r.err.find("not a loadable shared object") != std::string::npos);
    CHECK(r.out.find("misbehave 0.1.0") != std::string::npos);
    CHECK(r.out.find("misbehave.so") != std::string::npos);
    CHECK(r.out.find("option mode") != std::string::npos);
    CHECK(r.out.find("hash 1.0.0  (built-in)") != std::string::npos);

    // A scan with those files present runs with the good ones.
    auto img = th::testdata("dftt/6-undel-fat/6-fat-undel.dd");
    auto s = th::run(th::q(th::triage_bin()) + " scan " + th::q(img) + " --case " + th::q(t / "case") +
                     " --quiet --plugin-dir " + th::q(dir));
    CHECK(s.rc == 0);
    CHECK(s.err.find("newer_api.so") != std::string::npos);
    CHECK(th::sql_int(t / "case", "SELECT count(*) FROM v_findings WHERE detector='misbehave' AND detector_version='0.1.0'") > 0);
    CHECK(th::sql1(t / "case", "SELECT origin FROM detector_runs WHERE detector='misbehave'").find("misbehave.so") !=
          std::string::npos);
}

TEST_CASE("a plugin that throws, crashes, aborts, hangs or leaks is recorded per object; the scan completes", "[plugins]") {
    th::TempDir t;
    std::string dir = fixture_dir(t, {"misbehave"});
    auto img = th::testdata("dftt/6-undel-fat/6-fat-undel.dd");
    // A rule that matches every object with content: the YARA detector's findings for the very
    // objects the plugin fails on must survive its failure.
    { std::ofstream(t / "every.yar") << "rule every_object { condition: filesize > 0 }\n"; }
    const std::string yara = " --option yara.default_rules=false --rules " + th::q(t / "every.yar");
    REQUIRE(th::scan({img}, t / "plain", yara) == 0);
    const std::string expected = hashes_of(t / "plain");
    const std::string expected_yara = yara_findings(t / "plain");
    REQUIRE(th::sql_int(t / "plain", "SELECT count(*) FROM findings WHERE rule='every_object'") > 3);
    const int64_t objects = th::sql_int(t / "plain", "SELECT count(*) FROM files WHERE content != 'none' AND size > 0");
    REQUIRE(objects > 3);

    struct Mode {
        const char* mode;
        const char* message;
    };
    for (Mode m : {Mode{"throw", "misbehave throws on"}, Mode{"crash", "plugin process"},
                   Mode{"abort", "killed by signal 6"}, Mode{"hang", "time budget"}, Mode{"leak", "plugin process"}}) {
        SECTION(m.mode) {
            std::string c = t / (std::string("case-") + m.mode);
            auto start = std::chrono::steady_clock::now();
            int rc = th::scan({img}, c,
                              "--plugin-dir " + th::q(dir) + " --option misbehave.mode=" + m.mode +
                                  " --detector-timeout 0.5 --plugin-memory 128" + yara);
            double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
            CHECK(rc == 0);
            CHECK(secs < 60);
            // Every hash is still there: one detector's failure is never another's.
            CHECK(hashes_of(c) == expected);
            CHECK(yara_findings(c) == expected_yara);
            // One error row per object the plugin saw, naming the detector.
            int64_t errs = th::sql_int(c, "SELECT count(*) FROM errors WHERE detector='misbehave'");
            CHECK(errs == objects);
            CHECK(th::sql_int(c, std::string("SELECT count(*) FROM errors WHERE detector='misbehave' AND message LIKE '%") +
                                     m.message + "%'") == errs);
            // Nothing it emitted for a failed object is kept.
            CHECK(th::sql_int(c, "SELECT count(*) FROM v_findings f JOIN files x ON x.file_id=f.file_id WHERE "
                                 "f.detector='misbehave' AND x.size > 0") == 0);
        }
    }
}
