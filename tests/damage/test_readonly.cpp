// Evidence untouched (issue 11, item 4): scanning works on images with mode 0444 in a read-only
// folder (also as an unprivileged user, for whom the modes are enforced), the evidence's SHA-256
// is the same afterwards, and strace(1) shows that no command - scan, export, report, info,
// verify-image, carve - ever opens a path under the evidence folder for writing.
//
#include "support/harness.hpp"
#include "support/images.hpp"

#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>

namespace fs = std::filesystem;

namespace {

// Builds CASE-less evidence: an ext4 image (raw) and the same image as an E01, in DIR/evidence.
std::string make_evidence(const th::TempDir& t) {
    th::img::write_file(t / "tree/report.txt", "quarterly report\n");
    th::img::write_file(t / "tree/photos/a.bin", th::img::random_bytes(300000, 3));
    th::img::write_file(t / "tree/deleted-later.txt", "soon gone\n");
    const std::string ev = t / "evidence";
    fs::create_directories(ev);
    REQUIRE(th::run("mke2fs -q -t ext4 -d " + th::q(t / "tree") + " -F " + th::q(ev + "/disk.raw") + " 8M").rc == 0);
    REQUIRE(th::run("ewfacquire -u -q -t " + th::q(ev + "/disk") + " -c deflate:fast -f encase6 " + th::q(ev + "/disk.raw") +
                    " </dev/null >/dev/null")
                .rc == 0);
    return ev;
}

std::map<std::string, std::string> hashes_under(const std::string& dir) {
    std::map<std::string, std::string> m;
    for (const auto& e : fs::recursive_directory_iterator(dir))
        if (e.is_regular_file()) m[e.path().string()] = th::img::file_hash(e.path().string());
    return m;
}

void make_read_only(const std::string& dir) {
    REQUIRE(th::run("chmod 0444 " + th::q(dir) + "/* && chmod 0555 " + th::q(dir)).rc == 0);
}

struct Open {
    std::string line, path;
    bool write = false, resolved = true;
};

// strace -f lines: "PID openat(AT_FDCWD, \"/p\", O_RDONLY|O_CLOEXEC) = 3", "creat(\"/p\", 0644)",
// "truncate(\"/p\", 0)"; with threads a call may be split at "<unfinished ...>" after its arguments.
std::vector<Open> parse_strace(const std::string& trace_file, const std::string& cwd) {
    std::ifstream in(trace_file);
    REQUIRE(in.good());
    static const std::regex call(R"((openat|open|creat|truncate)\((AT_FDCWD, |(\d+)(<[^>]*>)?, )?\"((?:[^\"\\]|\\.)*)\"(, ([A-Z_|0-9]+))?)");
    std::vector<Open> out;
    std::string line;
    while (std::getline(in, line)) {
        std::smatch m;
        if (!std::regex_search(line, m, call)) continue;
        Open o;
        o.line = line;
        const std::string fn = m[1], flags = m[7];
        o.path = m[5];
        o.write = fn == "creat" || fn == "truncate" || flags.find("O_WRONLY") != std::string::npos ||
                  flags.find("O_RDWR") != std::string::npos || flags.find("O_CREAT") != std::string::npos ||
                  flags.find("O_TRUNC") != std::string::npos;
        if (!o.path.empty() && o.path[0] != '/') {
            if (m[3].matched) o.resolved = false;   // relative to a directory descriptor
            else o.path = cwd + "/" + o.path;
        }
        out.push_back(o);
    }
    return out;
}

bool under(const std::string& path, const std::string& dir) {
    auto p = fs::weakly_canonical(path).string(), d = fs::weakly_canonical(dir).string();
    return p == d || p.rfind(d + "/", 0) == 0;
}

}  // namespace

TEST_CASE("evidence untouched: mode 0444 in a read-only folder, same SHA-256, scanned like a writable copy", "[readonly]") {
    th::TempDir t;
    const std::string ev = make_evidence(t);
    // The reference: the same images scanned from a writable copy.
    REQUIRE(th::run("cp -a " + th::q(ev) + " " + th::q(t / "copy")).rc == 0);
    REQUIRE(th::scan({t / "copy/disk.raw", t / "copy/disk.E01"}, t / "ref") == 0);
    const auto reference = th::img::row_set(t / "ref");
    REQUIRE(reference.size() >= 5);

    make_read_only(ev);
    const auto before = hashes_under(ev);
    REQUIRE(before.size() == 2);
    CHECK(th::run("stat -c %a " + th::q(ev + "/disk.raw")).out == "444\n");

    SECTION("as this user") {
        auto r = th::img::scan_timed({ev + "/disk.raw", ev + "/disk.E01"}, t / "case");
        INFO(r.err);
        CHECK(r.rc == 0);
        CHECK(th::img::row_set(t / "case") == reference);
        CHECK(th::sql1(t / "case", "SELECT group_concat(verification) FROM v_evidence ORDER BY evidence_id") ==
              "no stored hash,verified");
    }
    SECTION("as an unprivileged user, for whom 0444 and 0555 are enforced") {
        // Root ignores file modes; setpriv(1) drops to nobody so that any write to the
        // evidence would fail. Without root the test already runs unprivileged.
        const std::string casedir = t / "nobody-case";
        std::string prefix;
        if (geteuid() == 0) {
            REQUIRE(th::run("command -v setpriv").rc == 0);
            // nobody must reach the binary, the evidence and its case folder.
            REQUIRE(th::run("chmod 0755 " + th::q(t.path) + " && mkdir " + th::q(casedir) + " && chown 65534:65534 " +
                            th::q(casedir))
                        .rc == 0);
            auto reach = th::run("setpriv --reuid=65534 --regid=65534 --clear-groups test -x " + th::q(th::triage_bin()));
            if (reach.rc != 0) FAIL("nobody (uid 65534) cannot execute " << th::triage_bin() << ": make the build folder world-readable");
            prefix = "setpriv --reuid=65534 --regid=65534 --clear-groups ";
            CHECK(th::run(prefix + "sh -c " + th::q("echo x >> " + th::q(ev + "/disk.raw"))).rc != 0);   // the mode holds
        }
        auto r = th::run(prefix + "timeout 120 " + th::q(th::triage_bin()) + " scan " + th::q(ev + "/disk.raw") + " " +
                         th::q(ev + "/disk.E01") + " --case " + th::q(casedir) + " --quiet");
        INFO(r.err);
        CHECK(r.rc == 0);
        CHECK(th::img::row_set(casedir) == reference);
    }
    CHECK(hashes_under(ev) == before);
}

TEST_CASE("evidence untouched: strace shows no write-mode open under the evidence folder in any command", "[readonly]") {
    REQUIRE(th::run("command -v strace").rc == 0);
    th::TempDir t;
    const std::string ev = make_evidence(t);
    make_read_only(ev);
    const auto before = hashes_under(ev);
    const std::string work = t / "work";
    fs::create_directories(work);
    const std::string bin = th::q(th::triage_bin());
    const std::string c = t / "case";

    // Each command runs from WORK under strace -f; every trace is checked.
    int n = 0;
    std::vector<std::string> traces;
    auto traced = [&](const std::string& args) {
        std::string trace = t / ("trace" + std::to_string(n++) + ".txt");
        traces.push_back(trace);
        // LeakSanitizer cannot run under ptrace and fails the process at exit: in a sanitizer build
        // the traced commands keep ASan's memory checks but not its leak check.
        auto r = th::run("cd " + th::q(work) + " && ASAN_OPTIONS=\"${ASAN_OPTIONS:-}:detect_leaks=0\" timeout 300 strace -f -qq "
                         "-s 8192 -e trace=open,openat,creat,truncate -o " + th::q(trace) + " " + bin + " " + args);
        INFO("triage " << args << "\nstderr: " << r.err);
        return r;
    };
    CHECK(traced("scan " + th::q(ev + "/disk.raw") + " " + th::q(ev + "/disk.E01") + " --case " + th::q(c) + " --quiet").rc == 0);
    const std::string id = th::sql1(c, "SELECT file_id FROM v_files WHERE path = '/photos/a.bin' AND evidence_id = 1");
    const std::string id2 = th::sql1(c, "SELECT file_id FROM v_files WHERE path = '/report.txt' AND evidence_id = 2");
    REQUIRE(!id.empty());
    REQUIRE(!id2.empty());
    CHECK(traced("export " + th::q(c) + " " + id + " --to " + th::q(t / "out")).rc == 0);
    CHECK(traced("export " + th::q(c) + " " + id2 + " --to " + th::q(t / "out")).rc == 0);
    CHECK(traced("report " + th::q(c) + " --format html -o " + th::q(t / "report")).rc == 0);
    CHECK(traced("report " + th::q(c) + " --format json -o " + th::q(t / "report.json")).rc == 0);
    CHECK(traced("info " + th::q(ev + "/disk.E01")).rc == 0);
    CHECK(traced("verify-image " + th::q(ev + "/disk.E01")).rc == 0);
    CHECK(traced("carve " + th::q(ev + "/disk.raw") + " --to " + th::q(t / "carved")).rc == 0);

    int evidence_opens = 0, write_opens = 0;
    for (const auto& trace : traces) {
        for (const auto& o : parse_strace(trace, work)) {
            INFO(trace << ": " << o.line);
            if (o.write) {
                ++write_opens;
                CHECK(o.resolved);   // a write-mode open relative to a directory descriptor: cannot be placed
                CHECK_FALSE(under(o.path, ev));
            } else if (under(o.path, ev)) {
                ++evidence_opens;
            }
        }
    }
    // The check saw the evidence being read and the case being written (so it is not vacuous).
    CHECK(evidence_opens >= 6);
    CHECK(write_opens >= 3);
    CHECK(hashes_under(ev) == before);
    CHECK(th::img::file_hash(t / "out/" + id + "_a.bin") == th::img::file_hash(t / "tree/photos/a.bin"));
}
