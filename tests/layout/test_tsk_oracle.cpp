// Every image in ../shared/testdata that TSK reads: triage's listing equals `fls -r -p`, and
// every regular file's MD5 and SHA-256 equal those of `icat` (deleted files and streams too).
#include "support/harness.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <map>
#include <sstream>

namespace {

using th::check_against_tsk;

void scan_and_check(const std::string& image) {
    th::TempDir t;
    REQUIRE(th::scan({image}, t / "case") == 0);
    check_against_tsk(image, t / "case");
}

}  // namespace

TEST_CASE("DFTT FAT and NTFS images match fls/icat", "[layout]") {
    for (const char* rel : {"dftt/6-undel-fat/6-fat-undel.dd", "dftt/7-undel-ntfs/7-ntfs-undel.dd",
                            "dftt/8-jpeg-search/8-jpeg-search.dd", "dftt/2-kwsrch-fat/fat-img-kw.dd",
                            "dftt/5-fat-daylight/daylight.dd"}) {
        SECTION(rel) { scan_and_check(th::testdata(rel)); }
    }
}

TEST_CASE("ISO9660, HFS+, ext2 and NTFS samples match fls/icat", "[layout]") {
    for (const char* rel : {"dftt/14-iso9660-1/iso-dirtree1.iso", "dftt/14-iso9660-1/iso-dirtree2.iso",
                            "sleuthkit/image.dd", "dfvfs/ext2.raw", "dfvfs/hfsplus.raw", "plaso/syslog_image.dd",
                            "plaso/ímynd.dd", "colinfinck-ntfs/testfs1", "rust-fatfs/fat12.img", "rust-fatfs/fat16.img"}) {
        SECTION(rel) { scan_and_check(th::testdata(rel)); }
    }
}

TEST_CASE("partitioned disks: every partition's file system matches fls/icat", "[layout]") {
    SECTION("MBR with primary and logical partitions (dfvfs mbr.raw)") {
        th::TempDir t;
        auto img = th::testdata("dfvfs/mbr.raw");
        REQUIRE(th::scan({img}, t / "case") == 0);
        CHECK(th::sql_int(t / "case", "SELECT count(*) FROM filesystems") == 2);
        check_against_tsk(img, t / "case");
    }
    SECTION("E01 of an MBR disk with two NTFS partitions") {
        th::TempDir t;
        auto img = th::testdata("sleuthkit/imageformat_mmls_1.E01");
        REQUIRE(th::scan({img}, t / "case") == 0);
        CHECK(th::sql_int(t / "case", "SELECT count(*) FROM filesystems") == 2);
        check_against_tsk(img, t / "case");
    }
    SECTION("two file systems in one partition (DFTT 10b): both are walked") {
        th::TempDir t;
        REQUIRE(th::run("unzip -q " + th::q(th::testdata("dftt/10b-ntfs-autodetect.zip")) + " -d " + th::q(t.path)).rc == 0);
        auto img = t / "10-ntfs-autodetect/10-ntfs-disk.dd";
        REQUIRE(th::scan({img}, t / "case") == 0);
        CHECK(th::sql_int(t / "case", "SELECT count(*) FROM filesystems") == 4);
        CHECK(th::sql_int(t / "case", "SELECT count(*) FROM v_errors WHERE message LIKE 'more than one file system%'") == 2);
        check_against_tsk(img, t / "case");
    }
    SECTION("APFS container: its volume is walked") {
        th::TempDir t;
        auto img = th::testdata("dfvfs/apfs.raw");
        REQUIRE(th::scan({img}, t / "case") == 0);
        CHECK(th::sql1(t / "case", "SELECT fs_type || ':' || pool_block FROM filesystems") == "apfs:107");
        check_against_tsk(img, t / "case");
    }
    SECTION("extended partition chain with six FAT16 file systems (DFTT 1)") {
        th::TempDir t;
        REQUIRE(th::run("unzip -q " + th::q(th::testdata("dftt/1-extend-part.zip")) + " -d " + th::q(t.path)).rc == 0);
        auto img = t / "1-extend-part/ext-part-test-2.dd";
        REQUIRE(th::scan({img}, t / "case") == 0);
        CHECK(th::sql_int(t / "case", "SELECT count(*) FROM filesystems") == 6);
        check_against_tsk(img, t / "case");
    }
}

TEST_CASE("DFTT answer keys: every MD5 TSK can recover is in the index", "[layout]") {
    // The authors' answer keys (dftt/*/index.html) list MD5s of files, deleted ones included, and
    // of the image itself. Those that icat reproduces from some entry must be in the index.
    for (const char* dir : {"dftt/6-undel-fat", "dftt/7-undel-ntfs", "dftt/8-jpeg-search"}) {
        SECTION(dir) {
            std::string key_html = th::testdata(std::string(dir) + "/index.html");
            std::string image;
            for (const auto& e : std::filesystem::directory_iterator(th::testdata(dir)))
                if (e.path().extension() == ".dd") image = e.path().string();
            REQUIRE(!image.empty());
            auto key = th::run("grep -io '[0-9a-f]\\{32\\}' " + th::q(key_html) + " | tr A-F a-f | sort -u");
            REQUIRE(key.rc == 0);
            std::set<std::string> key_md5s;
            std::istringstream in(key.out);
            for (std::string l; std::getline(in, l);) key_md5s.insert(l);
            REQUIRE(key_md5s.size() >= 5);

            th::TempDir t;
            REQUIRE(th::scan({image}, t / "case") == 0);
            std::set<std::string> ours;
            for (const auto& r : th::rows(t / "case"))
                if (r.md5) ours.insert(*r.md5);
            ours.insert(th::sql1(t / "case", "SELECT computed_md5 FROM v_evidence"));
            std::set<std::string> tsk;
            for (const auto& e : th::fls(image, 0))
                if (e.type.size() == 3 && e.type[2] == 'r')
                    if (auto m = th::icat_hash(image, 0, e.addr_spec, "md5sum")) tsk.insert(*m);
            tsk.insert(th::run("md5sum " + th::q(image)).out.substr(0, 32));
            int held = 0;
            for (const auto& m : key_md5s) {
                if (!tsk.count(m)) continue;  // TSK cannot recover it either (fragmented, inside archives)
                INFO("answer-key MD5 " << m);
                CHECK(ours.count(m) == 1);
                ++held;
            }
            CHECK(held >= 5);
        }
    }
}

TEST_CASE("deleted files: NTFS answer key values by path", "[layout]") {
    th::TempDir t;
    REQUIRE(th::scan({th::testdata("dftt/7-undel-ntfs/7-ntfs-undel.dd")}, t / "case") == 0);
    auto md5_of = [&](const std::string& path) {
        return th::sql1(t / "case", "SELECT md5 FROM v_files WHERE path = '" + path + "'");
    };
    CHECK(md5_of("/frag1.dat") == "7a3bc5b763bef201202108f4ba128149");
    CHECK(md5_of("/sing1.dat") == "59b20779f69ff9f0ac5fcd2c38835a79");
    CHECK(md5_of("/mult1.dat:ADS") == "ba1b9eedb1c091ddca253d35dde8f616");
    CHECK(md5_of("/res1.dat") == "9036637712b491904cd0bfbdbe648453");
    CHECK(md5_of("/$OrphanFiles/sing2.dat") == "c229626f6a71b167ad7e50c4f2fccdb1");
    CHECK(th::sql_int(t / "case", "SELECT allocated FROM v_files WHERE path = '/frag1.dat'") == 0);
    CHECK(th::sql1(t / "case", "SELECT computed_md5 FROM v_evidence") == "e7dbb96759d9cd62b729463ebfe61dab");
}
