// The one sequential read of the image (issue 8): it must change nothing in what a scan finds.
// Every scan here runs twice: the default one read of the image, and --file-by-file (each file
// read through TSK, the image hash on a read of its own); the index content must be equal. The
// image hashes are checked against sha256sum/md5sum, the file hashes against fls/icat.
#include "engine/image_stream.hpp"
#include "support/harness.hpp"
#include "support/images.hpp"

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;

namespace {

// Everything a scan found that does not depend on how the image was read: files and their
// hashes, types, carved items, findings (with offsets), unallocated ranges scanned.
std::string content_of(const std::string& case_dir) {
    std::string out;
    out += th::sql1(case_dir,
                    "SELECT group_concat(k, char(10)) FROM (SELECT origin || ' ' || partition_offset || ' ' || path || ' ' || "
                    "meta_addr || ' ' || allocated || ' ' || ifnull(size,'-') || ' ' || ifnull(md5,'-') || ' ' || "
                    "ifnull(sha1,'-') || ' ' || ifnull(sha256,'-') || ' ' || ifnull(type,'-') || ' ' || known_good || "
                    "sensitive AS k FROM v_files ORDER BY k)");
    out += "\n--findings\n";
    out += th::sql1(case_dir,
                    "SELECT group_concat(k, char(10)) FROM (SELECT ifnull(f.path,'(image)') || ' ' || x.detector || ' ' || "
                    "x.kind || ' ' || ifnull(x.rule,'') || ' ' || ifnull(x.offset,'-') || ' ' || ifnull(x.length,'-') || ' ' || "
                    "ifnull(x.detail,'') AS k FROM findings x LEFT JOIN files f ON f.file_id = x.file_id ORDER BY k)");
    out += "\n--ranges\n";
    out += th::sql1(case_dir,
                    "SELECT group_concat(k, char(10)) FROM (SELECT kind || ' ' || start_offset || ' ' || length || ' ' || "
                    "scanned AS k FROM unalloc_ranges ORDER BY k)");
    out += "\n--evidence\n";
    out += th::sql1(case_dir, "SELECT computed_md5 || ' ' || computed_sha1 || ' ' || computed_sha256 || ' ' || verification "
                              "FROM evidence");
    return out;
}

nlohmann::json scanned_audit(const std::string& case_dir) {
    return nlohmann::json::parse(th::sql1(case_dir, "SELECT detail FROM audit WHERE action = 'evidence scanned'"));
}

// A disk with an MBR: ext4 (files of many sizes, a fragmented one, deleted ones) and FAT16
// (files, deleted ones), with unpartitioned space before, between and after.
std::string make_disk(const th::TempDir& t) {
    const std::string tree = t / "tree";
    for (int i = 0; i < 40; ++i)
        th::img::write_file(tree + "/d" + std::to_string(i % 4) + "/f" + std::to_string(i) + ".bin",
                            th::img::random_bytes(1000 + static_cast<size_t>(i) * 21000, static_cast<uint32_t>(i)));
    th::img::write_file(tree + "/small.txt", "resident-sized text, alice@example.org\n");
    th::img::write_file(tree + "/empty", "");
    const std::string ext = t / "ext.img";
    REQUIRE(th::run("mke2fs -q -t ext4 -b 1024 -d " + th::q(tree) + " -F " + th::q(ext) + " 32M").rc == 0);
    // Deleted files (the inode keeps its extents), then a file written into the holes they
    // leave, so that its blocks are not in one run.
    for (int i : {3, 9, 17, 25})
        REQUIRE(th::run("debugfs -w -R 'rm /d" + std::to_string(i % 4) + "/f" + std::to_string(i) + ".bin' " + th::q(ext) +
                        " >/dev/null 2>&1")
                    .rc == 0);
    th::img::write_file(t / "frag.bin", th::img::random_bytes(900000, 99));
    REQUIRE(th::run("debugfs -w -R 'write " + th::q(t / "frag.bin") + " frag.bin' " + th::q(ext) + " >/dev/null 2>&1").rc == 0);

    const std::string fat = t / "fat.img", mt = "MTOOLS_SKIP_CHECK=1 ";
    REQUIRE(th::run("truncate -s 16M " + th::q(fat) + " && mkfs.vfat -F 16 -n ONEREAD " + th::q(fat) + " >/dev/null").rc == 0);
    for (int i = 0; i < 12; ++i) {
        const std::string src = t / ("v" + std::to_string(i) + ".bin");
        th::img::write_file(src, th::img::random_bytes(5000 + static_cast<size_t>(i) * 61000, 500u + static_cast<uint32_t>(i)));
        REQUIRE(th::run(mt + "mcopy -i " + th::q(fat) + " " + th::q(src) + " ::V" + std::to_string(i) + ".BIN").rc == 0);
    }
    for (int i : {2, 7}) REQUIRE(th::run(mt + "mdel -i " + th::q(fat) + " ::V" + std::to_string(i) + ".BIN").rc == 0);

    // MBR: partition 1 (Linux) at 1 MiB, partition 2 (FAT16) 1 MiB after it, 1 MiB free at the end.
    const std::string disk = t / "disk.raw";
    const std::string py = t / "mbr.py";
    th::img::write_file(py, R"(import os, struct, sys
disk, ext, fat = sys.argv[1:4]
e, f = os.path.getsize(ext), os.path.getsize(fat)
s1 = 2048; s2 = s1 + e // 512 + 2048
total = (s2 + f // 512 + 2048) * 512
mbr = bytearray(512)
def entry(i, kind, start, n):
    struct.pack_into('<B3sB3sII', mbr, 446 + 16 * i, 0, b'\0\0\0', kind, b'\0\0\0', start, n)
entry(0, 0x83, s1, e // 512); entry(1, 0x0e, s2, f // 512)
mbr[510:512] = b'\x55\xaa'
with open(disk, 'wb') as o:
    o.truncate(total); o.write(mbr)
    o.seek(s1 * 512); o.write(open(ext, 'rb').read())
    o.seek(s2 * 512); o.write(open(fat, 'rb').read())
)");
    REQUIRE(th::run("/usr/bin/python3 " + th::q(py) + " " + th::q(disk) + " " + th::q(ext) + " " + th::q(fat)).rc == 0);
    return disk;
}

void check_same_both_ways(const std::string& image, const std::string& extra) {
    th::TempDir t;
    const std::string one = t / "one", per = t / "per";
    INFO("image " << image << " " << extra);
    REQUIRE(th::scan({image}, one, extra) == 0);
    REQUIRE(th::scan({image}, per, extra + " --file-by-file") == 0);
    const std::string a = content_of(one), b = content_of(per);
    CHECK(a == b);
    const auto audit = scanned_audit(one);
    CHECK(audit.at("read_mode") == "one sequential read");
    CHECK(audit.at("image_bytes_streamed").get<uint64_t>() ==
          static_cast<uint64_t>(th::sql_int(one, "SELECT size FROM evidence")));
    CHECK(scanned_audit(per).at("read_mode") == "file by file");
}

}  // namespace

TEST_CASE("one sequential read: the same index as reading file by file, on every kind of file system", "[engine]") {
    for (const char* rel : {"dftt/7-undel-ntfs/7-ntfs-undel.dd", "dftt/6-undel-fat/6-fat-undel.dd", "dfvfs/mbr.raw",
                            "dfvfs/ext2.E01", "dfvfs/hfsplus.raw", "dftt/14-iso9660-1"}) {
        std::string img = th::testdata(rel);
        if (fs::is_directory(img))
            for (const auto& e : fs::directory_iterator(img))
                if (e.path().extension() == ".iso" || e.path().extension() == ".dd") img = e.path().string();
        check_same_both_ways(img, "");
    }
}

TEST_CASE("one sequential read: a partitioned disk with deleted and fragmented files, raw and E01, any worker count",
          "[engine]") {
    th::TempDir t;
    const std::string disk = make_disk(t);
    // The full preset (carving, identifiers, keywords over unallocated space) with one worker
    // and with three: the file lane and the range lane must never wait on each other.
    check_same_both_ways(disk, "--jobs 1");
    check_same_both_ways(disk, "--jobs 3 --preset hashes");

    th::TempDir c;
    REQUIRE(th::scan({disk}, c / "case") == 0);
    // Oracles: the image hashes are sha256sum's and md5sum's; the files are fls/icat's.
    CHECK(th::sql1(c / "case", "SELECT computed_sha256 FROM evidence") == th::img::file_hash(disk, "sha256sum"));
    CHECK(th::sql1(c / "case", "SELECT computed_md5 FROM evidence") == th::img::file_hash(disk, "md5sum"));
    CHECK(th::check_against_tsk(disk, c / "case") > 40);
    const auto audit = scanned_audit(c / "case");
    // Almost everything came from the stream: what is read again is small (resident or
    // fragmented files), and it is recorded.
    CHECK(audit.at("bytes_read_again").get<uint64_t>() < audit.at("content_bytes_read").get<uint64_t>() / 4);
    CHECK(th::sql_int(c / "case", "SELECT count(*) FROM unalloc_ranges WHERE scanned = 0") == 0);

    // The same disk as an E01 (chunks inflated by several readers at once): the same index.
    REQUIRE(th::run("ewfacquire -u -q -t " + th::q(t / "disk") + " -c deflate:fast -f encase6 " + th::q(disk) +
                    " </dev/null >/dev/null")
                .rc == 0);
    th::TempDir e;
    REQUIRE(th::scan({t / "disk.E01"}, e / "case", "--jobs 4") == 0);
    CHECK(scanned_audit(e / "case").at("stream_readers") == 2);
    // Every chunk through triage's own chunk map: libewf was not asked for any.
    CHECK(scanned_audit(e / "case").at("container_library_reads") == 0);
    CHECK(th::sql1(e / "case", "SELECT verification FROM evidence") == "verified");
    CHECK(th::img::row_set(e / "case") == th::img::row_set(c / "case"));
    check_same_both_ways(t / "disk.E01", "--jobs 1");  // one reader
}

TEST_CASE("stream readers: two for a raw image, one per two workers for a container (two to four)", "[engine]") {
    using triage::engine::ImageStream;
    CHECK(ImageStream::readers_for("raw", 16) == 2);
    CHECK(ImageStream::readers_for("split raw", 1) == 2);
    CHECK(ImageStream::readers_for("E01", 1) == 1);
    CHECK(ImageStream::readers_for("E01", 2) == 2);
    CHECK(ImageStream::readers_for("E01", 6) == 3);
    CHECK(ImageStream::readers_for("E01", 16) == 4);
    CHECK(ImageStream::readers_for("qcow", 16) == 4);
}

TEST_CASE("one sequential read: files past the end of a truncated image are read through TSK, with its error",
          "[engine]") {
    th::TempDir t;
    const std::string disk = make_disk(t);
    const std::string cut = t / "cut.raw";
    // Cut inside the FAT partition: what lies before the cut comes from the stream; files whose
    // data reach past the end are read through TSK, each with TSK's own error, as file by file.
    REQUIRE(th::run("head -c " + std::to_string(fs::file_size(disk) - 15 * 1024 * 1024) + " " + th::q(disk) + " > " + th::q(cut))
                .rc == 0);
    th::TempDir one, per;
    th::scan({cut}, one / "case");
    th::scan({cut}, per / "case", "--file-by-file");
    CHECK(th::img::row_set(one / "case") == th::img::row_set(per / "case"));
    const std::string errs = "SELECT count(*) FROM v_errors WHERE message LIKE '%could not be read%'";
    CHECK(th::sql_int(one / "case", errs) == th::sql_int(per / "case", errs));
    CHECK(th::sql_int(one / "case", errs) >= 1);
    // The image is what the file holds: its hash is sha256sum's of the cut file.
    CHECK(th::sql1(one / "case", "SELECT computed_sha256 FROM evidence") == th::img::file_hash(cut, "sha256sum"));
    CHECK(scanned_audit(one / "case").at("bytes_read_again").get<uint64_t>() > 0);
}

TEST_CASE("large files are hashed on two threads with the same result as one", "[engine]") {
    // hash.parallel_mib (default 16): a file at least that large has its MD5 taken on the worker
    // and its SHA-1 and SHA-256 on a helper thread, block by block. Oracles: md5sum, sha1sum and
    // sha256sum of the files the image was built from; the same scan with the split turned off,
    // and file by file, must agree.
    th::TempDir t;
    const std::string tree = t / "tree";
    th::img::write_file(tree + "/big.bin", th::img::random_bytes((40u << 20) + 12345, 7));
    th::img::write_file(tree + "/edge.bin", th::img::random_bytes(16u << 20, 8));   // exactly the threshold
    th::img::write_file(tree + "/small.bin", th::img::random_bytes(300000, 9));
    const std::string img = t / "ext.img";
    REQUIRE(th::run("mke2fs -q -t ext4 -d " + th::q(tree) + " -F " + th::q(img) + " 96M").rc == 0);
    const std::string split = t / "split", whole = t / "whole", per = t / "per";
    REQUIRE(th::scan({img}, split, "--preset hashes") == 0);
    REQUIRE(th::scan({img}, whole, "--preset hashes --option hash.parallel_mib=0") == 0);
    REQUIRE(th::scan({img}, per, "--preset hashes --file-by-file --jobs 1") == 0);
    for (const char* n : {"big.bin", "edge.bin", "small.bin"}) {
        INFO(n);
        const std::string f = tree + "/" + n;
        const std::string want = th::img::file_hash(f, "md5sum") + " " + th::img::file_hash(f, "sha1sum") + " " +
                                 th::img::file_hash(f, "sha256sum");
        const std::string q = std::string("SELECT md5 || ' ' || sha1 || ' ' || sha256 FROM v_files WHERE path='/") + n + "'";
        CHECK(th::sql1(split, q) == want);
        CHECK(th::sql1(whole, q) == want);
        CHECK(th::sql1(per, q) == want);
    }
    CHECK(content_of(split) == content_of(whole));
    REQUIRE(th::scan({img}, t / "bad", "--option hash.parallel_mib=lots") != 0);
}
