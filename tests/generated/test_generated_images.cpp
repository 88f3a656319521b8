// Images generated at run time (never mounted): ext4 from `mke2fs -d`, FAT32 from mkfs.vfat + mtools,
// NTFS from mkntfs + ntfscp, the ext4 image wrapped as E01 by ewfacquire. Each scan is checked
// against two oracles: The Sleuth Kit (fls listing, icat content) and the source files the test
// wrote (sha256sum). Also: the dfvfs ext2 media in four containers gives one and the same index.
#include "support/harness.hpp"
#include "support/images.hpp"

#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <map>

namespace fs = std::filesystem;
using th::img::write_file;

namespace {

// The source tree: nested directories, an empty file, a file larger than 3 MiB (several 1 MiB
// read blocks), a sparse file, a symlink, Cyrillic and Romanian names, and two files to delete.
// Keys are image paths ("/docs/big.bin"), values the source file on disk.
struct Tree {
    std::string root;
    std::map<std::string, std::string> files;   // regular files, by image path
    std::set<std::string> dirs;                 // by image path
    std::set<std::string> deleted;              // image paths deleted after the image is built
};

// mtools (mcopy/mmd) turns a short name like "știință" into the 8.3 name "stiinta" without a long
// name entry (it folds ș/ț to s/t and then finds no long name needed), so the FAT tree uses only
// names long enough to force a long-name entry; ext4 gets "știință" as well.
Tree write_tree(const std::string& root, bool fat) {
    Tree t;
    t.root = root;
    auto file = [&](const std::string& rel, const std::string& content) {
        write_file(root + rel, content);
        t.files[rel] = root + rel;
    };
    auto dir = [&](const std::string& rel) {
        fs::create_directories(root + rel);
        t.dirs.insert(rel);
    };
    dir("/docs");
    dir("/docs/фото");
    dir("/știință_și_tehnică");
    dir("/știință_și_tehnică/raport");
    dir("/empty_dir");
    file("/docs/Звіт_2026.txt", "Звіт за 2026 рік\nрядок 2\n");
    file("/docs/фото/кіт.jpg", std::string("\xff\xd8\xff\xe0", 4) + th::img::random_bytes(5000, 7));
    file("/docs/фото/видалити.txt", "цей файл буде видалено\n");
    file("/învățământ.txt", "învățământ superior, știință și tehnică\n");
    file("/știință_și_tehnică/raport/rezultate_științifice.txt", "ăâîșț ĂÂÎȘȚ\n");
    file("/empty.txt", "");
    file("/docs/big.bin", th::img::random_bytes(3 * 1024 * 1024 + 12345, 42));
    file("/delete_me.txt", "deleted file content, still on disk\n" + std::string(3000, 'd'));
    if (!fat) {
        dir("/docs/știință");
        file("/docs/știință/notă.txt", "notă\n");
    }
    // Sparse: 5 MiB with data only at the start and at 4 000 000.
    {
        std::string p = root + "/sparse.bin";
        {
            std::ofstream o(p, std::ios::binary);
            o << "head of a sparse file";
            o.seekp(4000000);
            o << "tail";
        }
        fs::resize_file(p, 5 * 1024 * 1024);
        t.files["/sparse.bin"] = p;
    }
    t.deleted = {"/delete_me.txt", "/docs/фото/видалити.txt"};
    return t;
}

// Second oracle: every source file appears in the index under its path, allocated unless deleted,
// with the SHA-256 of the source bytes (deleted ones too: on these fresh images nothing has
// overwritten them, and icat reads them). Every directory appears as type 'd'.
void check_against_source(const Tree& t, const std::string& case_dir) {
    std::map<std::string, th::Row> by_path;
    for (auto& r : th::rows(case_dir)) by_path[r.path] = r;
    for (const auto& [path, src] : t.files) {
        INFO("source file " << path);
        auto it = by_path.find(path);
        REQUIRE(it != by_path.end());
        const th::Row& r = it->second;
        CHECK(r.type == "r");
        CHECK(r.allocated == (t.deleted.count(path) ? 0 : 1));
        CHECK(r.size.value_or(-1) == static_cast<int64_t>(fs::file_size(src)));
        CHECK(r.sha256.value_or("(none)") == th::img::file_hash(src, "sha256sum"));
        CHECK(r.md5.value_or("(none)") == th::img::file_hash(src, "md5sum"));
    }
    for (const auto& d : t.dirs) {
        INFO("source directory " << d);
        auto it = by_path.find(d);
        REQUIRE(it != by_path.end());
        CHECK(it->second.type == "d");
        CHECK(it->second.allocated == 1);
    }
}

// ext4 from the tree, then two files deleted with debugfs.
std::string make_ext4(const th::TempDir& tmp, Tree& t) {
    t = write_tree(tmp / "tree", false);
    REQUIRE(th::run("ln -s docs/big.bin " + th::q(tmp / "tree/link_to_big")).rc == 0);
    std::string img = tmp / "ext4.img";
    auto mk = th::run("mke2fs -q -t ext4 -L triage_gen -d " + th::q(tmp / "tree") + " -F " + th::q(img) + " 32M");
    INFO(mk.err);
    REQUIRE(mk.rc == 0);
    for (const auto& d : t.deleted) {
        auto r = th::run("debugfs -w -R " + th::q("rm " + d) + " " + th::q(img));
        INFO(r.err);
        REQUIRE(r.rc == 0);
    }
    return img;
}

}  // namespace

TEST_CASE("generated ext4 (mke2fs -d, debugfs rm): fls/icat and the source files agree with the index", "[generated]") {
    th::TempDir tmp;
    Tree t;
    std::string img = make_ext4(tmp, t);
    REQUIRE(th::scan({img}, tmp / "case") == 0);

    CHECK(th::sql1(tmp / "case", "SELECT fs_type FROM filesystems") == "ext4");
    CHECK(th::img::check_against_tsk(img, tmp / "case") >= 10);
    check_against_source(t, tmp / "case");

    // The deleted files are listed, as deleted, with the inode fls gives them.
    for (const auto& d : t.deleted) {
        INFO(d);
        CHECK(th::sql_int(tmp / "case", "SELECT count(*) FROM v_files WHERE allocated = 0 AND path = '" + d + "'") == 1);
    }
    CHECK(th::sql_int(tmp / "case", "SELECT count(*) FROM v_files WHERE allocated = 0 AND meta_type = 'r'") == 2);
    // The symlink is a row of its own type; the empty file has the empty hash.
    CHECK(th::sql1(tmp / "case", "SELECT meta_type FROM v_files WHERE path = '/link_to_big'") == "l");
    CHECK(th::sql1(tmp / "case", "SELECT sha256 FROM v_files WHERE path = '/empty.txt'") ==
          "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    // The sparse file really is sparse in the image when the source was (mke2fs -d keeps holes):
    // far fewer blocks than 5 MiB / 1 KiB.
    struct stat st {};
    REQUIRE(stat(t.files.at("/sparse.bin").c_str(), &st) == 0);
    if (st.st_blocks * 512 < st.st_size) {
        auto blocks = th::run("debugfs -R 'blocks /sparse.bin' " + th::q(img) + " 2>/dev/null | wc -w");
        REQUIRE(blocks.rc == 0);
        CHECK(std::stoi(blocks.out) < 100);
    }
    // Raw image: acquisition hash computed, nothing stored.
    CHECK(th::sql1(tmp / "case", "SELECT computed_sha256 FROM v_evidence") == th::img::file_hash(img));
    CHECK(th::sql1(tmp / "case", "SELECT verification FROM v_evidence") == "no stored hash");
}

TEST_CASE("generated FAT32 (mkfs.vfat, mmd/mcopy, mdel): fls/icat and the source files agree with the index", "[generated]") {
    th::TempDir tmp;
    Tree t = write_tree(tmp / "tree", true);
    std::string img = tmp / "fat32.img";
    const std::string mt = "MTOOLS_SKIP_CHECK=1 ";
    REQUIRE(th::run("truncate -s 64M " + th::q(img) + " && mkfs.vfat -F 32 -n TRIAGEGEN " + th::q(img) + " >/dev/null").rc == 0);
    for (const auto& d : t.dirs) {   // std::set order puts parents before children
        auto r = th::run(mt + "mmd -i " + th::q(img) + " " + th::q("::" + d));
        INFO(d << ": " << r.err);
        REQUIRE(r.rc == 0);
    }
    for (const auto& [path, src] : t.files) {
        auto r = th::run(mt + "mcopy -i " + th::q(img) + " " + th::q(src) + " " + th::q("::" + path));
        INFO(path << ": " << r.err);
        REQUIRE(r.rc == 0);
    }
    for (const auto& d : t.deleted) {
        auto r = th::run(mt + "mdel -i " + th::q(img) + " " + th::q("::" + d));
        INFO(d << ": " << r.err);
        REQUIRE(r.rc == 0);
    }
    REQUIRE(th::scan({img}, tmp / "case") == 0);
    CHECK(th::sql1(tmp / "case", "SELECT fs_type FROM filesystems") == "fat32");
    CHECK(th::img::check_against_tsk(img, tmp / "case") >= 8);
    check_against_source(t, tmp / "case");
    CHECK(th::sql_int(tmp / "case", "SELECT count(*) FROM v_files WHERE allocated = 0 AND meta_type = 'r'") == 2);
}

TEST_CASE("generated NTFS (mkntfs, ntfscp incl. an alternate data stream): fls/icat and the sources agree", "[generated]") {
    // ntfscp writes into an unmounted image file; it cannot create directories or delete, so this
    // image has files in the root only and no deleted files.
    th::TempDir tmp;
    std::string img = tmp / "ntfs.img";
    auto mk = th::run("truncate -s 16M " + th::q(img) + " && mkntfs -F -Q -s 512 -L triage_gen " + th::q(img));
    INFO(mk.out << mk.err);
    REQUIRE(mk.rc == 0);
    std::map<std::string, std::string> files = {
        {"/Звіт_2026.txt", tmp / "src/big"},           // non-resident, > 3 MiB
        {"/învățământ.txt", tmp / "src/small"},        // resident
        {"/știință_și_tehnică.bin", tmp / "src/mid"},  // a few clusters
        {"/with_ads.txt", tmp / "src/host"},
        {"/with_ads.txt:secret", tmp / "src/ads"},     // alternate data stream
    };
    write_file(tmp / "src/big", th::img::random_bytes(3 * 1024 * 1024 + 777, 1));
    write_file(tmp / "src/small", "învățământ\n");
    write_file(tmp / "src/mid", th::img::random_bytes(20000, 2));
    write_file(tmp / "src/host", "the main stream\n");
    write_file(tmp / "src/ads", "hidden in an alternate data stream\n");
    for (const auto& [path, src] : files) {
        auto colon = path.find(':');
        std::string cmd = colon == std::string::npos
                              ? "ntfscp " + th::q(img) + " " + th::q(src) + " " + th::q(path)
                              : "ntfscp -N " + th::q(path.substr(colon + 1)) + " " + th::q(img) + " " + th::q(src) + " " +
                                    th::q(path.substr(0, colon));
        auto r = th::run(cmd);
        INFO(cmd << ": " << r.out << r.err);
        REQUIRE(r.rc == 0);
    }
    REQUIRE(th::scan({img}, tmp / "case") == 0);
    CHECK(th::sql1(tmp / "case", "SELECT fs_type FROM filesystems") == "ntfs");
    CHECK(th::img::check_against_tsk(img, tmp / "case") >= 5);
    for (const auto& [path, src] : files) {
        INFO(path);
        CHECK(th::sql1(tmp / "case", "SELECT sha256 FROM v_files WHERE path = '" + path + "'") ==
              th::img::file_hash(src, "sha256sum"));
        CHECK(th::sql_int(tmp / "case", "SELECT allocated FROM v_files WHERE path = '" + path + "'") == 1);
    }
    CHECK(th::sql1(tmp / "case", "SELECT stream FROM files WHERE path = '/with_ads.txt:secret'") == "secret");
}

TEST_CASE("the generated ext4 wrapped as E01 by ewfacquire gives the same rows as the raw image, verified", "[generated]") {
    th::TempDir tmp;
    Tree t;
    std::string img = make_ext4(tmp, t);
    auto acq = th::run("ewfacquire -u -q -t " + th::q(tmp / "ext4") +
                       " -c deflate:fast -f encase6 -d sha1 -C UA-2026-0042 -D generated -e tester -E 1 -N none " +
                       th::q(img) + " </dev/null");
    INFO(acq.out << acq.err);
    REQUIRE(acq.rc == 0);
    std::string e01 = tmp / "ext4.E01";
    REQUIRE(fs::exists(e01));

    REQUIRE(th::scan({img}, tmp / "raw") == 0);
    REQUIRE(th::scan({e01}, tmp / "e01") == 0);
    auto raw_rows = th::img::row_set(tmp / "raw");
    CHECK(raw_rows.size() > 15);
    CHECK(th::img::row_set(tmp / "e01") == raw_rows);
    CHECK(th::sql1(tmp / "e01", "SELECT format FROM v_evidence") == "E01");
    CHECK(th::sql1(tmp / "e01", "SELECT verification FROM v_evidence") == "verified");
    const std::string md5 = th::img::file_hash(img, "md5sum");
    CHECK(th::sql1(tmp / "e01", "SELECT stored_md5 FROM v_evidence") == md5);
    CHECK(th::sql1(tmp / "e01", "SELECT computed_md5 FROM v_evidence") == md5);
    CHECK(th::sql1(tmp / "e01", "SELECT stored_sha1 FROM v_evidence") == th::img::file_hash(img, "sha1sum"));
    CHECK(th::sql1(tmp / "e01", "SELECT computed_sha256 FROM v_evidence") == th::img::file_hash(img, "sha256sum"));
    // The E01 against TSK directly too (TSK opens E01 through libewf).
    CHECK(th::img::check_against_tsk(e01, tmp / "e01") >= 10);
    auto v = th::run(th::q(th::triage_bin()) + " verify-image " + th::q(e01));
    CHECK(v.rc == 0);
    CHECK(v.out.find("verification:    verified") != std::string::npos);
}

TEST_CASE("scanning the generated ext4 twice into one case adds no rows", "[generated]") {
    th::TempDir tmp;
    Tree t;
    std::string img = make_ext4(tmp, t);
    REQUIRE(th::scan({img}, tmp / "case") == 0);
    const std::string before = th::img::table_counts(tmp / "case");
    const auto rows_before = th::img::row_set(tmp / "case");
    REQUIRE(th::sql_int(tmp / "case", "SELECT count(*) FROM files") > 15);
    REQUIRE(th::sql_int(tmp / "case", "SELECT count(*) FROM unalloc_ranges") > 0);
    REQUIRE(th::scan({img}, tmp / "case") == 0);
    CHECK(th::img::table_counts(tmp / "case") == before);
    CHECK(th::img::row_set(tmp / "case") == rows_before);
    // Twice on one command line, too.
    REQUIRE(th::scan({img, img}, tmp / "case") == 0);
    CHECK(th::img::table_counts(tmp / "case") == before);
    CHECK(th::run(th::q(th::triage_bin()) + " audit " + th::q(tmp / "case") + " --check").rc == 0);
}

TEST_CASE("dfvfs ext2 as raw, split raw, E01 and two-segment E01 gives identical rows and image MD5", "[generated]") {
    const std::string media_md5 = "196066add11fb71c4c49cf1bb50d6d24";   // testdata/dfvfs/SOURCES.md
    std::set<std::string> reference;
    for (const char* rel : {"dfvfs/ext2.raw", "dfvfs/ext2.splitraw.000", "dfvfs/ext2.E01", "dfvfs/ext2.split.E01"}) {
        INFO(rel);
        auto img = th::testdata(rel);
        th::TempDir tmp;
        REQUIRE(th::scan({img}, tmp / "case") == 0);
        CHECK(th::sql1(tmp / "case", "SELECT computed_md5 FROM v_evidence") == media_md5);
        CHECK(th::sql_int(tmp / "case", "SELECT size FROM v_evidence") == 4194304);
        std::string fmt = th::sql1(tmp / "case", "SELECT format FROM v_evidence");
        if (fmt == "E01") {
            CHECK(th::sql1(tmp / "case", "SELECT verification FROM v_evidence") == "verified");
            CHECK(th::sql1(tmp / "case", "SELECT stored_md5 FROM v_evidence") == media_md5);
        } else {
            CHECK(th::sql1(tmp / "case", "SELECT verification FROM v_evidence") == "no stored hash");
        }
        CHECK(th::img::check_against_tsk(img, tmp / "case") >= 3);
        // File MD5s from SOURCES.md.
        for (const auto& [path, md5] : std::map<std::string, std::string>{
                 {"/a_directory/a_file", "85bebf486af24792085f769afa46717d"},
                 {"/a_directory/another_file", "d54ff73404ed6041a3bd66850b061bff"},
                 {"/passwords.txt", "39cb097008d17660abd0539891a672af"}}) {
            INFO(path);
            CHECK(th::sql1(tmp / "case", "SELECT md5 FROM v_files WHERE path = '" + path + "' AND allocated = 1") == md5);
        }
        auto rows = th::img::row_set(tmp / "case");
        CHECK(rows.size() == 7);   // SOURCES.md: 7 fls entries incl. $OrphanFiles
        if (reference.empty())
            reference = rows;
        else
            CHECK(rows == reference);
    }
}
