// Nothing lost (issue 11, item 3): a scan stopped by SIGKILL at 20+ points spread over its whole
// progress and run again ends with exactly the index of an uninterrupted scan; SIGINT and SIGTERM
// stop cleanly (exit 130, consistent index, the audit log says so); a full disk under the case
// folder gives a clear message, and after space is freed the same command resumes to the same index.
//
// The stop points are chosen by progress, not by timers: TRIAGE_TEST_RAISE="SIG@N" makes the
// index writer send SIG to its own process just before it applies its Nth operation (see
// triage/src/index/writer.cpp). The full disk is an LD_PRELOAD shim (tests/engine/enospc_shim.c)
// that makes writes growing files under the case folder fail with ENOSPC past a byte budget.
#include "support/harness.hpp"
#include "support/images.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

namespace fs = std::filesystem;

namespace {

const char* kMarker = "SIGNALS-TEST-MARKER";

void write_file(const std::string& path, const std::string& content) {
    fs::create_directories(fs::path(path).parent_path());
    std::ofstream o(path, std::ios::binary);
    o << content;
    REQUIRE(o.good());
}

// Distinct content per file (so hashes differ) of varied sizes; every fifth file carries the
// YARA marker.
std::string content_for(int i) {
    std::string s = "file " + std::to_string(i) + "\n";
    if (i % 5 == 0) s += std::string(kMarker) + "-" + std::to_string(i) + "\n";
    for (int k = 0; k < 40 * (1 + (i * 13) % 50); ++k) s += static_cast<char>('a' + (i + k) % 26);
    return s;
}

// A disk with several file systems, deleted files, an archive (child objects), a deleted JPEG
// for the carver and YARA hits: MBR with ext4 (mke2fs -d, debugfs rm), FAT (mkfs.vfat, mcopy,
// mdel) and NTFS (mkntfs, ntfscp), plus unpartitioned space at the end.
std::string make_rich_image(const th::TempDir& t) {
    const std::string tree = t / "ext-tree";
    for (int i = 0; i < 150; ++i) write_file(tree + "/d" + std::to_string(i % 6) + "/f" + std::to_string(i) + ".txt", content_for(i));
    auto py = th::run("/usr/bin/python3 -c " +
                      th::q("import sys, zipfile\n"
                            "from PIL import Image\n"
                            "z = zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_DEFLATED)\n"
                            "for i in range(5): z.writestr('inner/m%d.txt' % i, 'zip member %d SIGNALS-TEST-MARKER\\n' % i * 20)\n"
                            "z.close()\n"
                            "img = Image.new('RGB', (64, 48))\n"
                            "img.putdata([((x * 4) % 256, (y * 5) % 256, (x * y) % 256) for y in range(48) for x in range(64)])\n"
                            "img.save(sys.argv[2], 'JPEG', quality=90)\n") +
                      " " + th::q(tree + "/archive.zip") + " " + th::q(t / "photo.jpg"));
    INFO(py.err);
    REQUIRE(py.rc == 0);
    REQUIRE(th::run("mke2fs -q -t ext4 -d " + th::q(tree) + " -F " + th::q(t / "p1.img") + " 8M").rc == 0);
    REQUIRE(th::run("debugfs -w -R 'rm /d1/f7.txt' " + th::q(t / "p1.img")).rc == 0);
    REQUIRE(th::run("debugfs -w -R 'rm /d4/f10.txt' " + th::q(t / "p1.img")).rc == 0);

    const std::string p2 = t / "p2.img";
    REQUIRE(th::run("mkfs.vfat -C " + th::q(p2) + " 8192 >/dev/null").rc == 0);
    const std::string mt = "MTOOLS_SKIP_CHECK=1 ";
    for (int i = 200; i < 260; ++i) {
        write_file(t / ("fat-src/g" + std::to_string(i) + ".txt"), content_for(i));
        REQUIRE(th::run(mt + "mcopy -i " + th::q(p2) + " " + th::q(t / ("fat-src/g" + std::to_string(i) + ".txt")) + " ::").rc == 0);
    }
    REQUIRE(th::run(mt + "mcopy -i " + th::q(p2) + " " + th::q(t / "photo.jpg") + " ::PHOTO.JPG").rc == 0);
    REQUIRE(th::run(mt + "mdel -i " + th::q(p2) + " ::PHOTO.JPG ::G205.TXT").rc == 0);

    const std::string p3 = t / "p3.img";
    REQUIRE(th::run("truncate -s 16M " + th::q(p3) + " && mkntfs -F -Q -s 512 -L nothinglost " + th::q(p3) + " >/dev/null").rc == 0);
    for (int i = 300; i < 330; ++i) {
        std::string src = t / ("ntfs-src/n" + std::to_string(i) + ".txt");
        write_file(src, content_for(i));
        REQUIRE(th::run("ntfscp -f " + th::q(p3) + " " + th::q(src) + " n" + std::to_string(i) + ".txt >/dev/null").rc == 0);
    }

    // 1 MiB gap, 8 + 8 + 16 MiB partitions, 1 MiB unpartitioned at the end.
    const std::string disk = t / "disk.img";
    REQUIRE(th::run("truncate -s 34M " + th::q(disk)).rc == 0);
    REQUIRE(th::run("printf 'label: dos\\nstart=2048, size=16384, type=83\\nstart=18432, size=16384, type=6\\n"
                    "start=34816, size=32768, type=7\\n' | sfdisk -q " + th::q(disk))
                .rc == 0);
    const std::pair<const char*, int> parts[] = {{"p1.img", 2048}, {"p2.img", 18432}, {"p3.img", 34816}};
    for (const auto& [p, start] : parts)
        REQUIRE(th::run("dd if=" + th::q(t / p) + " of=" + th::q(disk) + " bs=512 seek=" + std::to_string(start) +
                        " conv=notrunc status=none")
                    .rc == 0);
    write_file(t / "rules.yar", std::string("rule signals_marker { strings: $m = \"") + kMarker + "\" condition: $m }\n");
    return disk;
}

std::string scan_args(const th::TempDir& t) { return "--jobs 2 --carve --rules " + th::q(t / "rules.yar"); }

// Every row that matters, with surrogate ids replaced by natural keys and run times left out,
// one line per row, sorted: two indexes of the same evidence must give the same lines.
const char* kDumpSql = R"SQL(
WITH fsk AS (SELECT fs_id, volume || '@' || offset || '/' || fs_type || '/' || pool_block AS k FROM filesystems),
     fk AS (SELECT f.file_id, fsk.k || ':' || f.path || '#' || f.meta_addr || '.' || f.attr_type || '.' || f.attr_id AS k
            FROM files f JOIN fsk USING (fs_id)),
     vk AS (SELECT volume_id, volume || '/' || slot AS k FROM volumes)
SELECT line FROM (
  SELECT 'evidence|' || (quote(path) || '|' || format || '|' || size || '|' || sector_size || '|' || fingerprint || '|' || quote(stored_md5) || '|' || quote(computed_md5) || '|' || quote(computed_sha1) || '|' || quote(computed_sha256) || '|' || verification || '|' || status) AS line FROM evidence
  UNION ALL SELECT 'volume|' || (quote(volume) || '|' || vs_type || '|' || slot || '|' || start_offset || '|' || length || '|' || quote(description) || '|' || kind)
         FROM volumes
  UNION ALL SELECT 'container|' || (parent_volume || '|' || kind || '|' || offset || '|' || length || '|' || status || '|' || quote(reason) || '|' || detail || '|' || volumes)
         FROM containers
  UNION ALL SELECT 'filesystem|' || (fsk.k || '|' || quote(vk.k) || '|' || quote(block_size) || '|' || quote(block_count) || '|' || status)
         FROM filesystems s JOIN fsk USING (fs_id) LEFT JOIN vk ON vk.volume_id = s.volume_id
  UNION ALL SELECT 'file|' || (fk.k || '|' || quote(name) || '|' || quote(stream) || '|' || quote(meta_seq) || '|' || name_type || '|' || meta_type || '|' || allocated || '|' || realloc || '|' || virtual || '|' || quote(size) || '|' || quote(mode) || '|' || quote(uid) || '|' || quote(gid) || '|' || quote(mtime) || '|' || quote(atime) || '|' || quote(ctime) || '|' || quote(crtime) || '|' || content || '|' || origin || '|' || known_good || '|' || sensitive || '|' || quote(p.k) || '|' || quote(detector) || '|' || quote(parent_offset))
         FROM files f JOIN fk USING (file_id) LEFT JOIN fk p ON p.file_id = f.parent_id
  UNION ALL SELECT 'hash|' || (fk.k || '|' || algorithm || '|' || value) FROM hashes JOIN fk USING (file_id)
  UNION ALL SELECT 'property|' || (fk.k || '|' || detector || '|' || key || '|' || value) FROM properties JOIN fk USING (file_id)
  UNION ALL SELECT 'finding|' || (quote(fk.k) || '|' || detector || '|' || detector_version || '|' || kind || '|' || quote(rule) || '|' || quote(category) || '|' || quote(severity) || '|' || quote(offset) || '|' || quote(length) || '|' || quote(detail) || '|' || volume)
         FROM findings LEFT JOIN fk USING (file_id)
  UNION ALL SELECT 'unalloc|' || (quote(fsk.k) || '|' || kind || '|' || volume || '|' || start_offset || '|' || length || '|' || scanned)
         FROM unalloc_ranges LEFT JOIN fsk USING (fs_id)
  UNION ALL SELECT 'error|' || (location || '|' || quote(detector) || '|' || quote(fk.k) || '|' || message)
         FROM errors LEFT JOIN fk USING (file_id)
  UNION ALL SELECT 'detector_run|' || (detector || '|' || version || '|' || origin) FROM detector_runs
) ORDER BY line;
)SQL";

std::vector<std::string> dump(const std::string& case_dir) {
    auto r = th::run("sqlite3 -readonly " + th::q(case_dir + "/index.db") + " " + th::q(kDumpSql));
    INFO(r.err);
    REQUIRE(r.rc == 0);
    std::vector<std::string> lines;
    std::istringstream in(r.out);
    for (std::string l; std::getline(in, l);) lines.push_back(l);
    return lines;
}

// What differs between two dumps, for the failure message (at most a few lines each way).
std::string diff(const std::vector<std::string>& want, const std::vector<std::string>& got) {
    std::multiset<std::string> a(want.begin(), want.end()), b(got.begin(), got.end());
    std::string out;
    int n = 0;
    for (const auto& l : a)
        if (a.count(l) > b.count(l) && n++ < 8) out += "  missing:  " + l + "\n";
    n = 0;
    for (const auto& l : b)
        if (b.count(l) > a.count(l) && n++ < 8) out += "  extra:    " + l + "\n";
    return out;
}

// The index is sound: SQLite's integrity check, no duplicate natural keys, the audit chain.
void check_consistent(const std::string& case_dir) {
    CHECK(th::sql1(case_dir, "PRAGMA integrity_check") == "ok");
    CHECK(th::sql_int(case_dir, "SELECT count(*) FROM (SELECT 1 FROM findings GROUP BY file_id, detector, kind, rule, "
                                "offset, length, detail, volume HAVING count(*) > 1)") == 0);
    CHECK(th::run(th::q(th::triage_bin()) + " audit " + th::q(case_dir) + " --check").rc == 0);
}

struct Run {
    int rc;
    std::string err;
};

Run scan_with_env(const std::string& env, const std::string& img, const std::string& case_dir, const std::string& args) {
    auto r = th::run(env + " " + th::q(th::triage_bin()) + " scan " + th::q(img) + " --case " + th::q(case_dir) +
                     " --quiet " + args);
    return {r.rc, r.err};
}

struct Fixture {
    th::TempDir t;
    std::string img;
    std::vector<std::string> expected;
    uint64_t total_ops = 0;  // index operations of a whole scan (found by the SIGKILL test)
    Fixture() {
        img = make_rich_image(t);
        REQUIRE(th::scan({img}, t / "clean", scan_args(t)) == 0);
        expected = dump(t / "clean");
        // The image is rich enough to make the comparison mean something.
        CHECK(th::sql_int(t / "clean", "SELECT count(DISTINCT fs_type) FROM filesystems") >= 3);
        CHECK(th::sql_int(t / "clean", "SELECT count(*) FROM files WHERE allocated = 0 AND content != 'none'") >= 2);
        CHECK(th::sql_int(t / "clean", "SELECT count(*) FROM findings WHERE detector = 'yara'") >= 30);
        CHECK(th::sql_int(t / "clean", "SELECT count(*) FROM files WHERE origin = 'extracted'") >= 5);
        CHECK(th::sql_int(t / "clean", "SELECT count(*) FROM files WHERE origin = 'carved'") >= 1);
        CHECK(th::sql_int(t / "clean", "SELECT count(*) FROM unalloc_ranges") >= 3);
        check_consistent(t / "clean");
    }
    // The number of index operations of a whole scan: the last N at which TRIAGE_TEST_RAISE
    // still stops it (bisection over SIGKILLed runs, when the SIGKILL test has not found it).
    uint64_t ops() {
        if (total_ops) return total_ops;
        auto killed = [&](uint64_t n) {
            std::string c = t / "probe";
            auto r = scan_with_env("TRIAGE_TEST_RAISE=9@" + std::to_string(n), img, c, scan_args(t));
            fs::remove_all(c);
            return r.rc != 0;
        };
        uint64_t n = 1;
        while (killed(n)) n *= 2;
        uint64_t lo = n / 2, hi = n;
        while (hi - lo > 1) {
            uint64_t mid = lo + (hi - lo) / 2;
            (killed(mid) ? lo : hi) = mid;
        }
        return total_ops = lo;
    }
    // Resumes CASE without any hook and compares it with the uninterrupted scan.
    void resume_and_compare(const std::string& case_dir, bool keep = false) {
        auto r = scan_with_env("", img, case_dir, scan_args(t));
        INFO(r.err);
        REQUIRE(r.rc == 0);
        auto got = dump(case_dir);
        INFO("difference from the uninterrupted scan:\n" << diff(expected, got));
        CHECK(got == expected);
        check_consistent(case_dir);
        std::error_code ec;
        if (!keep) fs::remove_all(case_dir, ec);  // dozens of cases per run: keep /tmp small
    }
};

// Built once per test run: the image, its uninterrupted scan and that scan's dump.
Fixture& fixture() {
    static Fixture f;
    return f;
}

}  // namespace

TEST_CASE("SIGKILL at 20+ points of a scan's progress, then a rerun: the index equals an uninterrupted scan's", "[signals]") {
    Fixture& fx = fixture();
    std::vector<uint64_t> points;
    // SIGKILL just before index operation N; when killed, the rerun must give the clean index.
    auto kill_at = [&](uint64_t n) {
        INFO("SIGKILL before index operation " << n);
        std::string c = fx.t / ("kill-" + std::to_string(n));
        auto r = scan_with_env("TRIAGE_TEST_RAISE=9@" + std::to_string(n), fx.img, c, scan_args(fx.t));
        if (r.rc == 0) {  // the scan ended before operation N
            fs::remove_all(c);
            return false;
        }
        INFO(r.err);
        REQUIRE(r.rc == 128 + 9);
        points.push_back(n);
        fx.resume_and_compare(c);
        return true;
    };
    // The start: 1, 2, 4, ... until a scan outlives its hook; then the exact end by bisection
    // (its killed probes are kill points near the end of the scan).
    uint64_t n = 1;
    while (kill_at(n)) n *= 2;
    REQUIRE(n > 1);
    uint64_t lo = n / 2, hi = n;
    while (hi - lo > 1) {
        uint64_t mid = lo + (hi - lo) / 2;
        (kill_at(mid) ? lo : hi) = mid;
    }
    fx.total_ops = lo;  // the last operation an uninterrupted scan applies
    // And evenly over the whole scan.
    for (int i = 1; i < 12; ++i) {
        uint64_t m = lo * static_cast<uint64_t>(i) / 12;
        if (m == 0 || std::find(points.begin(), points.end(), m) != points.end()) continue;
        CHECK(kill_at(m));
    }
    std::sort(points.begin(), points.end());
    std::string list;
    for (auto p : points) list += std::to_string(p) + " ";
    INFO("kill points (index operations, of " << lo << "): " << list);
    CHECK(points.size() >= 20);
    WARN("nothing lost: " << points.size() << " SIGKILL points over " << lo << " index operations: " << list);

    // Killed again and again in the same case, each run getting a little further.
    std::string c = fx.t / "kill-chain";
    int killed = 0;
    for (int i = 0; i < 50; ++i) {
        auto r = scan_with_env("TRIAGE_TEST_RAISE=9@" + std::to_string(std::max<uint64_t>(lo / 6, 2)), fx.img, c,
                               scan_args(fx.t));
        if (r.rc == 0) break;
        REQUIRE(r.rc == 128 + 9);
        ++killed;
    }
    CHECK(killed >= 2);
    fx.resume_and_compare(c);
}

TEST_CASE("SIGINT and SIGTERM stop a scan cleanly: exit 130, consistent index, audit entry, resumable", "[signals]") {
    Fixture& fx = fixture();
    const int64_t total_files = th::sql_int(fx.t / "clean", "SELECT count(*) FROM files");
    const uint64_t total = fx.ops();
    for (int sig : {2, 15}) {
        for (uint64_t at : {uint64_t{1}, total / 3, 2 * total / 3, total}) {
            INFO("signal " << sig << " before index operation " << at);
            std::string c = fx.t / ("sig" + std::to_string(sig) + "-" + std::to_string(at));
            auto r = scan_with_env("TRIAGE_TEST_RAISE=" + std::to_string(sig) + "@" + std::to_string(at), fx.img, c,
                                   scan_args(fx.t));
            INFO(r.err);
            REQUIRE(r.rc == 130);
            CHECK(r.err.find("interrupted") != std::string::npos);
            CHECK(th::sql1(c, "SELECT action FROM audit ORDER BY seq DESC LIMIT 1") == "scan interrupted");
            CHECK(th::sql1(c, "SELECT status FROM evidence") == "scanning");
            if (at == 1) CHECK(th::sql_int(c, "SELECT count(*) FROM files") < total_files);
            check_consistent(c);
            fx.resume_and_compare(c, true);
            CHECK(th::sql_int(c, "SELECT count(*) FROM audit WHERE action='evidence scan resumed'") == 1);
            fs::remove_all(c);
        }
    }
}

TEST_CASE("SIGINT from outside once the index shows progress: clean stop, resumable", "[signals]") {
    Fixture& fx = fixture();
    const int64_t total_files = th::sql_int(fx.t / "clean", "SELECT count(*) FROM files");
    int interrupted = 0;
    for (int64_t want : {int64_t{1}, total_files / 3}) {
        INFO("SIGINT once " << want << " file rows are committed");
        std::string c = fx.t / ("ext-" + std::to_string(want));
        // Waits for committed progress, not for a time: load on the machine cannot move the point.
        std::string script = th::q(th::triage_bin()) + " scan " + th::q(fx.img) + " --case " + th::q(c) + " --quiet " +
                             scan_args(fx.t) + " & p=$!\n" +
                             "while kill -0 $p 2>/dev/null; do\n"
                             "  n=$(sqlite3 -readonly " + th::q(c + "/index.db") +
                             " 'SELECT count(*) FROM files' 2>/dev/null || echo 0)\n"
                             "  if [ \"${n:-0}\" -ge " + std::to_string(want) + " ]; then kill -INT $p; break; fi\n"
                             "  sleep 0.02\n"
                             "done\n"
                             "wait $p; echo $?";
        auto r = th::run(script);
        INFO(r.err);
        const int rc = th::img::last_exit_code(r.out);
        REQUIRE(rc >= 0);
        if (rc == 130) {
            ++interrupted;
            CHECK(th::sql1(c, "SELECT action FROM audit ORDER BY seq DESC LIMIT 1") == "scan interrupted");
            check_consistent(c);
        } else {
            CHECK(rc == 0);  // finished between the last poll and the signal
        }
        fx.resume_and_compare(c);
    }
    CHECK(interrupted >= 1);
}

TEST_CASE("a full disk under the case folder: clear message, consistent index, the rerun resumes", "[signals]") {
    Fixture& fx = fixture();
    const std::string shim = std::string(TRIAGE_FIXTURE_DIR) + "/enospc_shim.so";
    REQUIRE(fs::exists(shim));
    const auto clean_size = fs::file_size(fx.t / "clean/index.db");
    // Free space for: not even the schema, part of the files, most of the scan.
    for (uint64_t budget : {uint64_t{16} << 10, clean_size / 3, clean_size}) {
        INFO("free space under the case folder: " << budget << " bytes");
        std::string c = fx.t / ("full-" + std::to_string(budget));
        fs::create_directories(c);
        // ASan insists on coming first among preloaded libraries; the shim does not allocate.
        std::string env = "ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 LD_PRELOAD=" + th::q(shim) +
                          " ENOSPC_DIR=" + th::q(fs::canonical(c).string()) + " ENOSPC_BYTES=" + std::to_string(budget);
        auto r = scan_with_env(env, fx.img, c, scan_args(fx.t));
        INFO(r.err);
        CHECK(r.rc != 0);
        CHECK(r.rc != 130);
        CHECK(r.err.find("disk holding the case folder is full") != std::string::npos);
        CHECK(r.err.find(c) != std::string::npos);
        if (fs::exists(c + "/index.db")) {
            CHECK(th::sql1(c, "PRAGMA integrity_check") == "ok");
            // When not even the schema fitted (its transaction was rolled back) there is no audit
            // log yet; otherwise its chain must be intact.
            if (th::sql_int(c, "SELECT count(*) FROM sqlite_master WHERE name='audit'") > 0)
                CHECK(th::run(th::q(th::triage_bin()) + " audit " + th::q(c) + " --check").rc == 0);
        }
        fx.resume_and_compare(c);
    }
}
