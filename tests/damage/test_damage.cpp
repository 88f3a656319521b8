// Damaged and bad evidence: looping FAT directories and cluster chains (fatcat), truncated raw and
// E01 images, an E01 with a changed byte in a chunk, a zeroed partition table, a file system TSK
// cannot read, and paths that are not images. Each: no crash, no hang (every scan runs under
// `timeout 120`), the documented exit code (README: 0 when the evidence was opened and read, problems
// inside it in v_errors; 1 when an evidence item could not be opened or read; 2 bad options), an
// errors row naming the image and the place, and what is still readable indexed.
//
#include "support/harness.hpp"
#include "support/images.hpp"

#include <catch2/catch.hpp>

#include <filesystem>

namespace fs = std::filesystem;
using th::img::basename;
using th::img::check_no_crash_no_hang;
using th::img::errors_naming;
using th::img::scan_timed;

namespace {

std::string gunzip_to(const std::string& gz, const std::string& out) {
    REQUIRE(th::run("gunzip -c " + th::q(gz) + " > " + th::q(out)).rc == 0);
    return out;
}

// The first N bytes of SRC as DST.
std::string cut(const std::string& src, const std::string& dst, uint64_t n) {
    REQUIRE(th::run("head -c " + std::to_string(n) + " " + th::q(src) + " > " + th::q(dst)).rc == 0);
    REQUIRE(fs::file_size(dst) == n);
    return dst;
}

// The whole image is recorded as one 'no_filesystem' range.
void check_no_filesystem_range(const std::string& case_dir, uint64_t image_size) {
    CHECK(th::sql_int(case_dir, "SELECT count(*) FROM filesystems") == 0);
    CHECK(th::sql_int(case_dir, "SELECT count(*) FROM files") == 0);
    CHECK(th::sql_int(case_dir, "SELECT count(*) FROM unalloc_ranges WHERE kind = 'no_filesystem' AND start_offset = 0 AND length = " +
                                    std::to_string(image_size)) == 1);
}

}  // namespace

TEST_CASE("fatcat's damaged FAT32 images: scans complete and match fls/icat", "[damage]") {
    for (const char* name : {"hello-world", "deleted", "directory-loop", "infinite-file", "two-file-same-cluster"}) {
        SECTION(name) {
            th::TempDir tmp;
            std::string img = gunzip_to(th::testdata(std::string("fatcat/") + name + ".img.gz"), tmp / (std::string(name) + ".img"));
            auto r = scan_timed({img}, tmp / "case");
            check_no_crash_no_hang(r);
            REQUIRE(r.rc == 0);
            CHECK(th::sql1(tmp / "case", "SELECT status FROM evidence") == "complete");
            CHECK(th::sql1(tmp / "case", "SELECT group_concat(fs_type || ':' || status) FROM filesystems") == "fat32:complete");
            CHECK(th::sql1(tmp / "case", "SELECT computed_md5 FROM v_evidence") == th::img::file_hash(img, "md5sum"));
            INFO("errors: " << th::img::dump_errors(tmp / "case"));
            REQUIRE(th::img::fls_works(img, 0));
            th::img::check_against_tsk(img, tmp / "case", 0, true);

            auto md5_of = [&](const std::string& path) {
                return th::sql1(tmp / "case", "SELECT md5 FROM v_files WHERE path = '" + path + "'");
            };
            const std::string name_s = name;
            if (name_s == "hello-world") {
                CHECK(md5_of("/hello.txt") == th::run("printf 'Hello world!\\n' | md5sum").out.substr(0, 32));
            } else if (name_s == "deleted") {
                CHECK(th::sql_int(tmp / "case", "SELECT count(*) FROM v_files WHERE allocated = 0") == 3);
                auto content = th::run(th::q(th::triage_bin()) + " export " + th::q(tmp / "case") + " " +
                                       th::sql1(tmp / "case", "SELECT file_id FROM v_files WHERE meta_addr = 24") + " --to " +
                                       th::q(tmp / "out"));
                CHECK(content.rc == 0);
                std::string written = content.out.substr(0, content.out.find('\t'));
                CHECK(th::run("head -c 22 " + th::q(written)).out == "This file was deleted!");
            } else if (name_s == "directory-loop") {
                // The loop A/B/C/A -> B is listed once round, as fls does, and the walk ends.
                CHECK(th::sql_int(tmp / "case", "SELECT count(*) FROM v_files WHERE path = '/A/B/C/A/B'") == 1);
                CHECK(th::sql_int(tmp / "case", "SELECT count(*) FROM v_files WHERE path LIKE '/A/B/C/A/B/%'") == 0);
            } else if (name_s == "infinite-file") {
                CHECK(th::sql_int(tmp / "case", "SELECT count(*) FROM v_files WHERE path = '/BigMamma' AND allocated = 0") == 1);
            } else if (name_s == "two-file-same-cluster") {
                CHECK(!md5_of("/a.txt").empty());
                CHECK(md5_of("/a.txt") == md5_of("/b.txt"));
            }
        }
    }
}

TEST_CASE("truncated raw images: exit 0, errors name the image and place, the readable part is indexed", "[damage]") {
    auto ntfs = th::testdata("dftt/7-undel-ntfs/7-ntfs-undel.dd");
    const uint64_t size = fs::file_size(ntfs);

    SECTION("NTFS cut to 60%: the file system cannot be opened (nor by fls)") {
        th::TempDir tmp;
        std::string img = cut(ntfs, tmp / "ntfs60.dd", size * 60 / 100);
        auto r = scan_timed({img}, tmp / "case");
        check_no_crash_no_hang(r);
        CHECK(r.rc == 0);
        INFO("errors: " << th::img::dump_errors(tmp / "case"));
        CHECK(errors_naming(tmp / "case", "ntfs60.dd") >= 1);
        CHECK(th::img::fls_works(img, 0) == false);
        check_no_filesystem_range(tmp / "case", size * 60 / 100);
        CHECK(th::sql1(tmp / "case", "SELECT computed_md5 FROM v_evidence") == th::img::file_hash(img, "md5sum"));
        CHECK(th::sql1(tmp / "case", "SELECT size FROM v_evidence") == std::to_string(size * 60 / 100));
    }
    SECTION("NTFS cut to 80%: the file system opens, files past the end are errors, the rest has content") {
        th::TempDir tmp;
        std::string img = cut(ntfs, tmp / "ntfs80.dd", size * 80 / 100);
        auto r = scan_timed({img}, tmp / "case");
        check_no_crash_no_hang(r);
        CHECK(r.rc == 0);
        INFO("errors: " << th::img::dump_errors(tmp / "case"));
        CHECK(errors_naming(tmp / "case", "ntfs80.dd: file system at offset 0") >= 1);
        // A file's unreadable content is an errors row naming the file by inode and path.
        CHECK(th::sql_int(tmp / "case", "SELECT count(*) FROM v_errors WHERE location LIKE '%inode%' AND message LIKE '%could not be read%'") >= 1);
        CHECK(th::img::check_against_tsk(img, tmp / "case", 0, true) >= 10);
        // The answer-key files that lie before the cut are intact.
        CHECK(th::sql1(tmp / "case", "SELECT md5 FROM v_files WHERE path = '/res1.dat'") == "9036637712b491904cd0bfbdbe648453");
        CHECK(th::sql1(tmp / "case", "SELECT status FROM evidence") == "complete");
    }
    SECTION("ext4 (generated) cut to 50%") {
        th::TempDir tmp;
        th::img::write_file(tmp / "tree/early.txt", "an early file\n");
        th::img::write_file(tmp / "tree/big.bin", th::img::random_bytes(6 * 1024 * 1024, 9));
        REQUIRE(th::run("mke2fs -q -t ext4 -d " + th::q(tmp / "tree") + " -F " + th::q(tmp / "full.img") + " 16M").rc == 0);
        std::string img = cut(tmp / "full.img", tmp / "ext4half.img", 8 * 1024 * 1024);
        auto r = scan_timed({img}, tmp / "case");
        check_no_crash_no_hang(r);
        CHECK(r.rc == 0);
        INFO("errors: " << th::img::dump_errors(tmp / "case"));
        CHECK(errors_naming(tmp / "case", "ext4half.img: file system at offset 0") >= 1);
        th::img::check_against_tsk(img, tmp / "case", 0, true);
        CHECK(th::sql1(tmp / "case", "SELECT sha256 FROM v_files WHERE path = '/early.txt'") ==
              th::img::file_hash(tmp / "tree/early.txt"));
    }
}

TEST_CASE("truncated E01: a clear message naming the file and exit 1, or a scan with errors; never a crash or hang", "[damage]") {
    // Each cut either cannot be opened (exit 1, the file named on stderr) or opens and is scanned
    // with an errors row naming it: a truncated E01 must never look like an intact one.
    auto check_cut = [](const std::string& img, const std::string& case_dir) {
        INFO("image " << img);
        auto r = scan_timed({img}, case_dir);
        check_no_crash_no_hang(r);
        INFO("exit " << r.rc << ", stderr: " << r.err);
        CHECK((r.rc == 0 || r.rc == 1));
        if (r.rc == 1) {
            CHECK(r.err.find(basename(img)) != std::string::npos);
        } else if (r.rc == 0) {
            INFO("errors: " << th::img::dump_errors(case_dir));
            // libewf reports the segment files as corrupted; triage records it.
            CHECK(errors_naming(case_dir, basename(img)) >= 1);
            CHECK(th::sql1(case_dir, "SELECT verification FROM v_evidence") != "verified");
        }
        auto v = th::run("timeout 120 " + th::q(th::triage_bin()) + " verify-image " + th::q(img));
        INFO("verify-image exit " << v.rc << ": " << v.out << v.err);
        CHECK(v.rc != 124);
        CHECK(v.rc < 128);
        CHECK(v.rc != 0);   // also for cuts that only lose the hash/done sections
    };
    SECTION("dfvfs ext2.E01 cut at 10%, 50%, 90%, 99%") {
        auto e01 = th::testdata("dfvfs/ext2.E01");
        const uint64_t size = fs::file_size(e01);
        for (int pct : {10, 50, 90, 99}) {
            th::TempDir tmp;
            check_cut(cut(e01, tmp / ("cut" + std::to_string(pct) + ".E01"), size * pct / 100), tmp / "case");
        }
    }
    SECTION("ewfacquire'd ext4 cut at 50% and 90%") {
        th::TempDir src;
        th::img::write_file(src / "tree/a.txt", "a file\n");
        th::img::write_file(src / "tree/big.bin", th::img::random_bytes(2 * 1024 * 1024, 5));
        REQUIRE(th::run("mke2fs -q -t ext4 -d " + th::q(src / "tree") + " -F " + th::q(src / "e.img") + " 8M").rc == 0);
        REQUIRE(th::run("ewfacquire -u -q -t " + th::q(src / "e") + " -c deflate:fast -f encase6 " + th::q(src / "e.img") +
                        " </dev/null >/dev/null")
                    .rc == 0);
        const uint64_t size = fs::file_size(src / "e.E01");
        for (int pct : {50, 90}) {
            th::TempDir tmp;
            check_cut(cut(src / "e.E01", tmp / ("acq" + std::to_string(pct) + ".E01"), size * pct / 100), tmp / "case");
        }
    }
    SECTION("two-segment E01 with the second segment missing") {
        th::TempDir tmp;
        REQUIRE(th::run("cp " + th::q(th::testdata("dfvfs/ext2.split.E01")) + " " + th::q(tmp / "lone.E01")).rc == 0);
        check_cut(tmp / "lone.E01", tmp / "case");
    }
}

TEST_CASE("E01 with one byte changed inside chunk data: never a silent 'verified'", "[damage]") {
    struct Case {
        const char* rel;
        uint64_t rel_offset;   // into the 'sectors' section's data
        const char* what;
    };
    // Offset 40 / 1034 lie in the first chunk (sectors 0-63, which hold the ext2 superblock);
    // the middle of the section lies in a later chunk.
    for (const Case& c : {Case{"dfvfs/ext2.E01", 40, "compressed first chunk"},
                          Case{"dfvfs/ext2.split.E01", 1034, "stored (uncompressed) first chunk, two segments"},
                          Case{"sleuthkit/image.E01", 51000, "a chunk in the middle"},
                          Case{"dfvfs/ext2.E01", 3800, "a compressed chunk in the middle"}}) {
        SECTION(std::string(c.rel) + ": " + c.what) {
            th::TempDir tmp;
            std::string src = th::testdata(c.rel);
            std::string img = tmp / basename(src);
            uint64_t at = th::img::ewf_flip_chunk_byte(src, img, c.rel_offset);
            INFO("flipped byte at file offset " << at);
            if (std::string(c.rel) == "dfvfs/ext2.split.E01")
                REQUIRE(th::run("cp " + th::q(th::testdata("dfvfs/ext2.split.E02")) + " " + th::q(tmp / "ext2.split.E02")).rc == 0);
            REQUIRE(th::run("cmp -s " + th::q(src) + " " + th::q(img)).rc == 1);

            auto v = th::run("timeout 120 " + th::q(th::triage_bin()) + " verify-image " + th::q(img));
            INFO("verify-image exit " << v.rc << ":\n" << v.out << v.err);
            CHECK(v.rc == 3);
            CHECK((v.out.find("mismatch") != std::string::npos || v.out.find("integrity") != std::string::npos));

            auto r = scan_timed({img}, tmp / "case");
            check_no_crash_no_hang(r);
            CHECK(r.rc == 0);
            INFO("errors: " << th::img::dump_errors(tmp / "case"));
            const bool not_verified = th::sql1(tmp / "case", "SELECT verification FROM v_evidence") != "verified";
            const int64_t chunk_errors = th::sql_int(
                tmp / "case", "SELECT count(*) FROM v_errors WHERE instr(location, '" + basename(img) + "') > 0 AND message LIKE '%chunk%'");
            CHECK((not_verified || chunk_errors >= 1));
            CHECK(chunk_errors >= 1);   // the chunk is named either way
            CHECK(th::sql1(tmp / "case", "SELECT status FROM evidence") == "complete");
        }
    }
}

TEST_CASE("zeroed partition table: no crash, an errors row, the disk recorded as no_filesystem", "[damage]") {
    th::TempDir tmp;
    std::string img = tmp / "mbr-zeroed.raw";
    REQUIRE(th::run("cp " + th::q(th::testdata("dfvfs/mbr.raw")) + " " + th::q(img) + " && chmod u+w " + th::q(img) +
                    " && dd if=/dev/zero of=" + th::q(img) + " bs=512 count=1 conv=notrunc status=none")
                .rc == 0);
    auto r = scan_timed({img}, tmp / "case");
    check_no_crash_no_hang(r);
    CHECK(r.rc == 0);
    INFO("errors: " << th::img::dump_errors(tmp / "case"));
    CHECK(errors_naming(tmp / "case", "mbr-zeroed.raw: offset 0") >= 1);
    check_no_filesystem_range(tmp / "case", fs::file_size(img));
    CHECK(th::sql1(tmp / "case", "SELECT computed_md5 FROM v_evidence") == th::img::file_hash(img, "md5sum"));
    CHECK(th::sql1(tmp / "case", "SELECT status FROM evidence") == "complete");
}

TEST_CASE("a file system TSK cannot read (random bytes): exit 0, an errors row, a no_filesystem range", "[damage]") {
    th::TempDir tmp;
    std::string img = tmp / "random.img";
    // AES-128-CTR keystream from a fixed key: reproducible 4 MiB of noise.
    REQUIRE(th::run("openssl enc -aes-128-ctr -nosalt -K 000102030405060708090a0b0c0d0e0f -iv 0f0e0d0c0b0a09080706050403020100 "
                    "-in /dev/zero 2>/dev/null | head -c 4194304 > " + th::q(img) + "; test -s " + th::q(img))
                .rc == 0);
    REQUIRE(fs::file_size(img) == 4194304);
    CHECK(th::img::file_hash(img, "md5sum") == "9623c8e9933013469fcc04d1c86a2e6d");
    auto r = scan_timed({img}, tmp / "case");
    check_no_crash_no_hang(r);
    CHECK(r.rc == 0);
    INFO("errors: " << th::img::dump_errors(tmp / "case"));
    CHECK(errors_naming(tmp / "case", "random.img") >= 1);
    check_no_filesystem_range(tmp / "case", 4194304);
    CHECK(th::sql1(tmp / "case", "SELECT verification FROM v_evidence") == "no stored hash");

    // dfvfs bogus.001: random-looking, and named like a split-raw segment.
    auto bogus = th::testdata("dfvfs/bogus.001");
    auto b = scan_timed({bogus}, tmp / "bogus");
    check_no_crash_no_hang(b);
    CHECK(b.rc == 0);
    CHECK(errors_naming(tmp / "bogus", "bogus.001") >= 1);
    check_no_filesystem_range(tmp / "bogus", 51200);
}

TEST_CASE("paths that are not images: a message naming the path and a non-zero exit", "[damage]") {
    th::TempDir tmp;
    const std::string bin = th::q(th::triage_bin());
    auto ok = th::testdata("dfvfs/ext2.raw");

    SECTION("missing path") {
        std::string missing = tmp / "no/such/disk.dd";
        auto r = scan_timed({missing}, tmp / "case");
        check_no_crash_no_hang(r);
        CHECK(r.rc != 0);
        CHECK(r.err.find(missing) != std::string::npos);
        auto v = th::run(bin + " verify-image " + th::q(missing));
        CHECK(v.rc == 1);
        CHECK(v.err.find(missing) != std::string::npos);
        // README: exit 1 when an evidence item cannot be opened, "the others are still scanned".
        // One missing image does not stop the others: exit 1, the good one scanned.
        auto mixed = scan_timed({ok, missing}, tmp / "mixed");
        INFO("mixed scan exit " << mixed.rc << ": " << mixed.err);
        CHECK(mixed.err.find(missing) != std::string::npos);
        CHECK(mixed.rc == 1);
        CHECK((fs::exists(tmp / "mixed/index.db") && th::sql_int(tmp / "mixed", "SELECT count(*) FROM files") == 7));
    }
    SECTION("a directory given as the image") {
        std::string dir = tmp / "a_directory";
        fs::create_directories(dir);
        auto r = scan_timed({dir}, tmp / "case");
        check_no_crash_no_hang(r);
        CHECK(r.rc != 0);
        CHECK(r.err.find("a_directory") != std::string::npos);
        auto v = th::run(bin + " verify-image " + th::q(dir));
        CHECK(v.rc == 1);
        CHECK(v.err.find("a_directory") != std::string::npos);
        // As for a missing path: the good image is still scanned.
        auto mixed = scan_timed({ok, dir}, tmp / "mixed");
        INFO("mixed scan exit " << mixed.rc << ": " << mixed.err);
        CHECK(mixed.rc == 1);
        CHECK((fs::exists(tmp / "mixed/index.db") && th::sql_int(tmp / "mixed", "SELECT count(*) FROM files") == 7));
    }
    SECTION("an empty (0-byte) file") {
        std::string empty = tmp / "empty.dd";
        th::img::write_file(empty, "");
        auto r = scan_timed({empty}, tmp / "case");
        check_no_crash_no_hang(r);
        CHECK(r.rc == 1);
        CHECK(r.err.find("empty.dd") != std::string::npos);
        CHECK(r.err.find("empty") != std::string::npos);
        auto v = th::run(bin + " verify-image " + th::q(empty));
        CHECK(v.rc == 1);
        CHECK(v.err.find("empty.dd") != std::string::npos);
        // With a good image beside it, the good one is still scanned and the exit code is 1.
        auto mixed = scan_timed({ok, empty}, tmp / "mixed");
        CHECK(mixed.rc == 1);
        CHECK(th::sql_int(tmp / "mixed", "SELECT count(*) FROM files") == 7);
    }
}
