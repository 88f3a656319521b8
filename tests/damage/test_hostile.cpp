// Hostile content (issue 11, item 5): names from evidence never make `triage export` write outside
// its folder and stay inert in the report; zip bombs, traversal and symlink members are bounded in
// time and memory and write nothing anywhere; a YARA rule made to run away is cut off by the
// per-object budget (--detector-timeout); a 10 GB sparse file is hashed in bounded memory.
//
// Oracles: the whole file tree under a temporary root listed by find(1) before and after, fls(1)
// for the names, sha256sum / head -c of /dev/zero for the contents, /usr/bin/time -f %M for the
// peak resident set size.
//
#include "report/report_support.hpp"
#include "support/harness.hpp"
#include "support/images.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

namespace fs = std::filesystem;

namespace {

std::string gen(const std::string& args) {
    auto r = th::run("/usr/bin/python3 " + th::q(std::string(TRIAGE_SOURCE_DIR) + "/tests/damage/gen_hostile.py") + " " + args);
    INFO("gen_hostile.py " << args << ": " << r.err);
    REQUIRE(r.rc == 0);
    return r.out;
}

// Every entry under ROOT (type, size, mode, path relative to ROOT), by find(1), NUL-separated so
// that names with newlines are kept whole.
std::set<std::string> tree(const std::string& root) {
    auto r = th::run("find " + th::q(root) + " -mindepth 1 -printf '%y %s %m %P\\0'");
    REQUIRE(r.rc == 0);
    std::set<std::string> s;
    std::string cur;
    for (char c : r.out) {
        if (c == '\0') {
            s.insert(cur);
            cur.clear();
        } else {
            cur += c;
        }
    }
    return s;
}

std::vector<std::string> added(const std::set<std::string>& before, const std::set<std::string>& after) {
    std::vector<std::string> out;
    for (const auto& e : after)
        if (!before.count(e)) out.push_back(e);
    return out;
}

struct Timed {
    th::CmdResult r;
    double seconds = 0;
    long rss_kib = -1;
};

// `cd CWD && timeout LIMIT /usr/bin/time -f %M triage ARGS`: exit code, wall time, peak RSS.
Timed timed_triage(const std::string& cwd, const std::string& args, int limit_s, const std::string& rss_file) {
    Timed t;
    auto t0 = std::chrono::steady_clock::now();
    t.r = th::run("cd " + th::q(cwd) + " && timeout " + std::to_string(limit_s) + " /usr/bin/time -f %M -o " + th::q(rss_file) +
                  " " + th::q(th::triage_bin()) + " " + args);
    t.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::ifstream in(rss_file);
    std::string line, last;
    while (std::getline(in, line))
        if (!line.empty()) last = line;
    if (!last.empty() && last.find_first_not_of("0123456789") == std::string::npos) t.rss_kib = std::stol(last);
    return t;
}

}  // namespace

TEST_CASE("hostile names: export writes only inside its folder, names are sanitised, the report is inert", "[hostile]") {
    th::TempDir t;
    const std::string root = t / "root";
    const std::string out = root + "/l1/l2/out";   // '../../x' from here lands in ROOT/l1, '../../../x' in ROOT
    fs::create_directories(root + "/l1/l2");
    th::img::write_file(root + "/sentinel.txt", "must not change\n");
    const std::string escape_abs = root + "/abs-escape";
    const std::string img = t / "names.img";
    gen("names " + th::q(img) + " " + th::q(t / "work") + " " + th::q(escape_abs));

    const std::string c = t / "case";
    auto s = th::img::scan_timed({img}, c);
    INFO(s.err);
    REQUIRE(s.rc == 0);
    // The index holds every name as fls lists it (control characters shown as '^'), and the same content.
    CHECK(th::check_against_tsk(img, c) >= 15);
    for (const char* p : {"/../../x", "/../../../x", "/<script>alert(''x'')</script>.html"})
        CHECK(th::sql_int(c, std::string("SELECT count(*) FROM v_files WHERE path = '") + p + "'") == 1);
    CHECK(th::sql_int(c, "SELECT count(*) FROM v_files WHERE path = '/" + escape_abs + "'") == 1);
    CHECK(th::sql_int(c, "SELECT max(length(CAST(path AS BLOB))) FROM v_files") >= 4000);

    const auto before = tree(root);
    std::vector<std::string> ids;
    {
        std::istringstream in(th::sql1(c, "SELECT group_concat(file_id, ' ') FROM v_files WHERE meta_type = 'r' AND sha256 IS NOT NULL"));
        for (std::string id; in >> id;) ids.push_back(id);
    }
    REQUIRE(ids.size() >= 16);
    std::set<std::string> written_names;
    for (const auto& id : ids) {
        INFO("file " << id << ": " << th::sql1(c, "SELECT path FROM v_files WHERE file_id = " + id));
        auto r = th::run(th::q(th::triage_bin()) + " export " + th::q(c) + " " + id + " --to " + th::q(out));
        INFO(r.err);
        REQUIRE(r.rc == 0);
        const std::string written = r.out.substr(0, r.out.find('\t'));
        CHECK(fs::path(written).parent_path() == fs::path(out));
        const std::string name = fs::path(written).filename().string();
        CHECK(name.size() <= 255);
        CHECK(name.find('/') == std::string::npos);
        CHECK(name.rfind(id + "_", 0) == 0);
        for (unsigned char ch : name) CHECK((ch >= 0x20 && ch != 0x7f));
        CHECK(th::img::file_hash(written) == th::sql1(c, "SELECT sha256 FROM v_files WHERE file_id = " + id));
        written_names.insert(name);
    }
    CHECK(written_names.size() == ids.size());
    // The whole tree under ROOT: only the exported files were added, all directly inside OUT.
    const auto after = tree(root);
    auto news = added(before, after);
    CHECK(news.size() == ids.size() + 1);   // the files and OUT itself
    for (const auto& e : news) {
        INFO(e);
        CHECK(e.find(" l1/l2/out") != std::string::npos);
        const auto rel = e.substr(e.find(" l1/l2/out") + 1);
        CHECK((rel == "l1/l2/out" || (rel.rfind("l1/l2/out/", 0) == 0 && rel.find('/', 10) == std::string::npos)));
    }
    CHECK(added(after, before).empty());   // nothing removed or changed
    CHECK_FALSE(fs::exists(escape_abs));
    CHECK_FALSE(fs::exists(root + "/x"));
    CHECK_FALSE(fs::exists(root + "/l1/x"));

    // The HTML report: names appear escaped; no raw markup or control byte from the evidence.
    auto rep = th::run(th::q(th::triage_bin()) + " report " + th::q(c) + " --format html -o " + th::q(t / "report"));
    INFO(rep.err);
    REQUIRE(rep.rc == 0);
    auto all = th::run("cat " + th::q(t / "report") + "/*.html " + th::q(t / "report") + "/assets/*.js");
    REQUIRE(all.rc == 0);
    CHECK(all.out.find("<script>alert") == std::string::npos);
    CHECK(all.out.find("<img src=x") == std::string::npos);
    CHECK(all.out.find("\x1b[31m") == std::string::npos);
    CHECK(all.out.find('\x07') == std::string::npos);

    // The report's files.csv: a name cell a spreadsheet would run as a formula (= + - @) starts
    // with a single quote, and is otherwise the name fls lists; a path starts with '/' and is kept.
    const auto rows = th::rep::parse_csv(th::rep::slurp(t / "report/files.csv"));
    REQUIRE(rows.size() > 1);
    REQUIRE(rows[0][5] == "name");
    std::set<std::string> csv_names;
    for (size_t i = 1; i < rows.size(); ++i) csv_names.insert(rows[i][5]);
    for (const char* n : {"=HYPERLINK(1).txt", "+SUM(1).txt", "-2+3.txt", "@cmd.txt"}) {
        INFO(n);
        CHECK(th::run("fls -r " + th::q(img) + " | grep -F -e " + th::q(std::string(":\t") + n)).rc == 0);
        CHECK(csv_names.count(std::string("'") + n) == 1);
        CHECK(csv_names.count(n) == 0);
        CHECK(th::sql_int(c, std::string("SELECT count(*) FROM v_files WHERE path = '/") + n + "'") == 1);
    }

    // `triage ls` on a terminal: one line per file, no control character from a name (C0, DEL,
    // C1 such as U+009B, CSI), which are escaped; the C1 name is in the index as fls lists it.
    REQUIRE(th::run("fls -r " + th::q(img) + " | grep -c -F -e " + th::q("c1-\xc2\x9b" "2J-")).out == "1\n");
    REQUIRE(th::sql_int(c, "SELECT count(*) FROM v_files WHERE name = CAST(X'63312DC29B324A2DC29D303B7469746C65C29C2E747874' AS TEXT)") == 1);
    auto listing = th::run(th::q(th::triage_bin()) + " ls " + th::q(c));
    REQUIRE(listing.rc == 0);
    CHECK(static_cast<int64_t>(std::count(listing.out.begin(), listing.out.end(), '\n')) ==
          th::sql_int(c, "SELECT count(*) FROM v_files") + 1);
    for (size_t i = 0; i < listing.out.size(); ++i) {
        const auto ch = static_cast<unsigned char>(listing.out[i]);
        if ((ch < 0x20 && ch != '\t' && ch != '\n') || ch == 0x7f ||
            (ch == 0xc2 && i + 1 < listing.out.size() && static_cast<unsigned char>(listing.out[i + 1]) < 0xa0)) {
            FAIL_CHECK("control character 0x" << std::hex << int(ch) << " at byte " << std::dec << i << " of the listing");
            break;
        }
    }
    CHECK(listing.out.find("/c1-\\u009b2J-\\u009d0;title\\u009c.txt") != std::string::npos);
}

TEST_CASE("hostile archives: bombs, traversal and symlink members are bounded and write nothing", "[hostile]") {
    th::TempDir t;
    const std::string root = t / "root";
    const std::string cwd = root + "/w1/w2";   // a member '../../x' resolved from here lands in ROOT
    fs::create_directories(cwd);
    gen("archives " + th::q(t / "tree"));
    const std::string img = t / "archives.img";
    REQUIRE(th::run("mke2fs -q -t ext4 -d " + th::q(t / "tree") + " -F " + th::q(img) + " 32M").rc == 0);
    const std::string passwd = th::img::file_hash("/etc/passwd");
    const std::string out = root + "/l1/l2/out";
    fs::create_directories(out);

    const auto before = tree(root);
    const std::string c = t / "case";
    auto s = timed_triage(cwd, "scan " + th::q(img) + " --case " + th::q(c) + " --quiet", 300, t / "rss");
    INFO("scan exit " << s.r.rc << " in " << s.seconds << " s, peak RSS " << s.rss_kib << " KiB\n" << s.r.err);
    WARN("hostile archives: scan " << s.seconds << " s, peak RSS " << s.rss_kib / 1024 << " MiB");
    REQUIRE(s.r.rc == 0);
    // Bounded: 8 GiB of nested zeros and a 200 MiB member must not be expanded in memory or take long.
    CHECK(s.seconds < 120);
    CHECK(s.rss_kib > 0);
    CHECK(s.rss_kib < 1024 * 1024);
    // The limits are recorded as findings; the members' names are kept as data only.
    CHECK(th::sql_int(c, "SELECT count(*) FROM findings WHERE kind = 'archive_limit'") >= 2);
    CHECK(th::sql_int(c, "SELECT count(*) FROM v_files WHERE path LIKE '/traversal.zip>%'") >= 1);
    INFO(th::sql1(c, "SELECT group_concat(path, char(10)) FROM v_files WHERE path LIKE '%>%' AND path NOT LIKE '/bomb%'"));

    // Exporting any archive member: either its own bytes inside OUT, or a refusal; never outside.
    const auto before_export = tree(root);
    std::istringstream ids(th::sql1(c, "SELECT group_concat(file_id, ' ') FROM v_files WHERE path LIKE '%>%' AND path NOT LIKE '/bomb%'"));
    int members = 0;
    for (std::string id; ids >> id; ++members) {
        INFO("member " << id << ": " << th::sql1(c, "SELECT path FROM v_files WHERE file_id = " + id));
        auto r = th::run(th::q(th::triage_bin()) + " export " + th::q(c) + " " + id + " --to " + th::q(out));
        INFO(r.out << r.err);
        CHECK(r.rc < 128);
        if (r.rc == 0) {
            const std::string written = r.out.substr(0, r.out.find('\t'));
            CHECK(fs::path(written).parent_path() == fs::path(out));
            CHECK(th::img::file_hash(written) == th::sql1(c, "SELECT sha256 FROM v_files WHERE file_id = " + id));
        } else {
            CHECK(r.err.find(id) != std::string::npos);   // a clear message naming the file
        }
    }
    CHECK(members >= 3);
    for (const auto& e : added(before_export, tree(root))) {
        INFO(e);
        CHECK(e.find(" l1/l2/out/") != std::string::npos);
    }

    const auto after = tree(root);
    for (const auto& e : added(before, after)) {
        INFO(e);
        CHECK(e.find(" l1/l2/out") != std::string::npos);   // only the export folder
    }
    CHECK(added(after, before).empty());
    CHECK_FALSE(fs::exists("/abs-escape"));
    CHECK_FALSE(fs::exists("/abs-tar-escape"));
    CHECK(th::img::file_hash("/etc/passwd") == passwd);
}

TEST_CASE("a YARA rule that runs away is cut off by --detector-timeout; the file is still indexed", "[hostile]") {
    th::TempDir t;
    // Quadratic: 200,000 x 200,000 byte comparisons on zeros, hours of work.
    th::img::write_file(t / "rules/runaway.yar",
                        "rule runaway_quadratic {\n condition:\n  filesize > 1000 and\n"
                        "  for all i in (0..filesize - 1) : ( for all j in (0..filesize - 1) : "
                        "( uint8(i) != 0xAB or uint8(j) != 0xCD ) )\n}\n");
    REQUIRE(th::run("mkdir -p " + th::q(t / "tree") + " && head -c 200000 /dev/zero > " + th::q(t / "tree/crafted.bin") +
                    " && echo small > " + th::q(t / "tree/small.txt"))
                .rc == 0);
    const std::string img = t / "y.img";
    REQUIRE(th::run("mke2fs -q -t ext4 -d " + th::q(t / "tree") + " -F " + th::q(img) + " 4M").rc == 0);
    // The rule really runs away: the yara CLI gives up on it at its own 2 s timeout.
    auto y = th::run("yara -a 2 " + th::q(t / "rules/runaway.yar") + " " + th::q(t / "tree/crafted.bin"));
    CHECK(y.err.find("timed out") != std::string::npos);

    const std::string c = t / "case";
    auto s = timed_triage(t.path, "scan " + th::q(img) + " --case " + th::q(c) + " --quiet --rules " +
                                      th::q(t / "rules/runaway.yar") + " --detector-timeout 3",
                          120, t / "rss");
    INFO("exit " << s.r.rc << " after " << s.seconds << " s\n" << s.r.err);
    WARN("runaway YARA rule: scan ended after " << s.seconds << " s with --detector-timeout 3 (yara.timeout 60)");
    CHECK(s.r.rc == 0);
    CHECK(s.seconds < 30);   // the YARA option's own timeout is 60 s: only the budget explains this
    INFO(th::img::dump_errors(c));
    CHECK(th::sql_int(c, "SELECT count(*) FROM v_errors WHERE instr(location, '/crafted.bin') > 0 AND "
                         "(message LIKE '%time budget%' OR message LIKE '%timed out%')") >= 1);
    CHECK(th::sql1(c, "SELECT sha256 FROM v_files WHERE path = '/crafted.bin'") == th::img::file_hash(t / "tree/crafted.bin"));
    CHECK(th::sql1(c, "SELECT sha256 FROM v_files WHERE path = '/small.txt'") == th::img::file_hash(t / "tree/small.txt"));
}

TEST_CASE("a 10 GB sparse file inside an image: bounded memory and time, hash of 10 GB of zeros", "[hostile]") {
    // TSK 4.11 cannot walk a hole longer than the file system (icat fails too): triage streams
    // such attributes from their run list (layout/tsk_sparse.hpp). Two shapes of hole: a file that
    // is all hole (one sparse run) and data at both ends of a 2 GB hole (a filler run between extents).
    th::TempDir t;
    const uint64_t size = 10ull * 1000 * 1000 * 1000, size2 = 2ull * 1000 * 1000 * 1000;
    REQUIRE(th::run("mkdir -p " + th::q(t / "tree") + " && truncate -s " + std::to_string(size) + " " + th::q(t / "tree/sparse.bin") +
                    " && echo small > " + th::q(t / "tree/small.txt") + " && printf A > " + th::q(t / "tree/ends.bin") +
                    " && printf Z | dd of=" + th::q(t / "tree/ends.bin") + " bs=1 seek=" + std::to_string(size2 - 1) +
                    " conv=notrunc status=none")
                .rc == 0);
    REQUIRE(fs::file_size(t / "tree/ends.bin") == size2);
    const std::string img = t / "sparse.img";
    // mke2fs -d keeps holes (it copies with SEEK_DATA/SEEK_HOLE): a 64 MiB image holds both files.
    REQUIRE(th::run("mke2fs -q -t ext4 -d " + th::q(t / "tree") + " -F " + th::q(img) + " 64M").rc == 0);
    REQUIRE(fs::file_size(img) == 64ull << 20);
    // The oracles, computed independently of triage and of the image.
    auto z = th::run("head -c " + std::to_string(size) + " /dev/zero | sha256sum");
    auto e = th::run("(printf A; head -c " + std::to_string(size2 - 2) + " /dev/zero; printf Z) | sha256sum");
    REQUIRE(z.rc == 0);
    REQUIRE(e.rc == 0);
    const std::string zeros = th::img::first_word(z.out), ends = th::img::first_word(e.out);
    REQUIRE(zeros.size() == 64);
    CHECK(ends == th::img::file_hash(t / "tree/ends.bin"));

    // Only the hash detector: this is about the read path (12 GB streamed from a 64 MiB image) and
    // the hashes; every content detector over 12 GB of zeros would only make the test long.
    const std::string c = t / "case";
    auto s = timed_triage(t.path, "scan " + th::q(img) + " --case " + th::q(c) + " --quiet --enable hash", 900, t / "rss");
    INFO("exit " << s.r.rc << " after " << s.seconds << " s, peak RSS " << s.rss_kib << " KiB\n" << s.r.err);
    WARN("10 GB + 2 GB sparse files (hash only): scan " << s.seconds << " s, peak RSS " << s.rss_kib / 1024 << " MiB");
    REQUIRE(s.r.rc == 0);
    CHECK(s.rss_kib > 0);
    CHECK(s.rss_kib < 512 * 1024);   // bounded: far below the files' sizes
    CHECK(s.seconds < 600);
    INFO(th::img::dump_errors(c));
    CHECK(th::sql_int(c, "SELECT count(*) FROM v_errors WHERE instr(location, 'sparse.bin') > 0 OR instr(location, 'ends.bin') > 0") == 0);
    CHECK(th::sql1(c, "SELECT size FROM v_files WHERE path = '/sparse.bin'") == std::to_string(size));
    CHECK(th::sql1(c, "SELECT sha256 FROM v_files WHERE path = '/sparse.bin'") == zeros);
    CHECK(th::sql1(c, "SELECT sha256 FROM v_files WHERE path = '/ends.bin'") == ends);

    // Export streams the same bytes (checked against the index by triage, and here by sha256sum).
    const std::string id = th::sql1(c, "SELECT file_id FROM v_files WHERE path = '/ends.bin'");
    auto x = th::run(th::q(th::triage_bin()) + " export " + th::q(c) + " " + id + " --to " + th::q(t / "out"));
    INFO(x.err);
    CHECK(x.rc == 0);
    CHECK(th::img::file_hash(x.out.substr(0, x.out.find('\t'))) == ends);
}

TEST_CASE("a received hash set's malformed lines reach the examiner's terminal escaped", "[hostile]") {
    // A hash set from another agency is input from outside: its bad lines are quoted in the import
    // messages, and C1 controls (U+009B CSI, U+009D OSC: valid UTF-8) must not reach the terminal.
    th::TempDir t;
    const std::string csi = "\xc2\x9b", osc = "\xc2\x9d", st = "\xc2\x9c";
    th::img::write_file(t / "bad.md5", "d41d8cd98f00b204e9800998ecf8427e  empty.txt\n" + csi + "2J" + osc + "0;owned" + st +
                                           "  x.bin\n" + "one-field-only" + csi + "31m\n");
    auto r = th::run(th::q(th::triage_bin()) + " hashset import --name recv --kind known-bad " + th::q(t / "bad.md5") +
                     " --hashsets " + th::q(t / "sets"));
    INFO(r.err);
    REQUIRE(r.rc == 0);
    CHECK(r.out.find("md5 1,") != std::string::npos);  // the good line was imported
    CHECK(r.err.find("\\u009b2J\\u009d0;owned\\u009c") != std::string::npos);
    CHECK(r.err.find("one-field-only\\u009b31m") != std::string::npos);
    for (const std::string& s : {r.out, r.err})
        for (size_t i = 0; i < s.size(); ++i) {
            const auto ch = static_cast<unsigned char>(s[i]);
            const bool c1 = ch == 0xc2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) < 0xa0;
            if ((ch < 0x20 && ch != '\n') || ch == 0x7f || c1) {
                FAIL_CHECK("control character 0x" << std::hex << int(ch) << " at byte " << std::dec << i << ": " << s);
                break;
            }
        }
    // `hashset lookup` of the good hash finds it in the set (the import kept what was valid).
    auto l = th::run(th::q(th::triage_bin()) + " hashset lookup d41d8cd98f00b204e9800998ecf8427e --hashsets " + th::q(t / "sets"));
    CHECK(l.out.find("recv") != std::string::npos);
}
