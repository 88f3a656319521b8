// QCOW2 evidence through libqcow: the media equals what other readers give (the dfvfs answer
// MD5; python3-libqcow's export), and the file systems inside match fls/icat on that export.
#include "support/harness.hpp"

#include <catch2/catch.hpp>

TEST_CASE("QCOW2 images open like any other evidence", "[evidence]") {
    SECTION("dfvfs ext2.qcow2 holds the same ext2 as ext2.raw") {
        th::TempDir t;
        REQUIRE(th::scan({th::testdata("dfvfs/ext2.qcow2")}, t / "q") == 0);
        REQUIRE(th::scan({th::testdata("dfvfs/ext2.raw")}, t / "r") == 0);
        CHECK(th::sql1(t / "q", "SELECT format FROM v_evidence") == "qcow");
        // dfvfs/SOURCES.md: the same file system in every container has MD5 196066ad...
        CHECK(th::sql1(t / "q", "SELECT computed_md5 FROM v_evidence") == "196066add11fb71c4c49cf1bb50d6d24");
        const char* q = "SELECT group_concat(path || ' ' || meta_addr || ' ' || allocated || ' ' || ifnull(sha256,'-'), ',') "
                        "FROM (SELECT * FROM v_files ORDER BY path)";
        CHECK(th::sql1(t / "q", q) == th::sql1(t / "r", q));
    }
    SECTION("windows_volume.qcow2 (NTFS) matches fls/icat on its media exported by python3-libqcow") {
        th::TempDir t;
        auto img = th::testdata("dfvfs/windows_volume.qcow2");
        auto exp = th::run("/usr/bin/python3 -c " +
                           th::q("import pyqcow,sys\n"
                                 "f=pyqcow.file(); f.open(sys.argv[1]); out=open(sys.argv[2],'wb')\n"
                                 "size=f.get_media_size(); off=0\n"
                                 "while off<size:\n"
                                 "    b=f.read_buffer_at_offset(min(1<<20,size-off),off); out.write(b); off+=len(b)\n") +
                           " " + th::q(img) + " " + th::q(t / "media.raw"));
        REQUIRE(exp.rc == 0);
        REQUIRE(th::scan({img}, t / "case") == 0);
        CHECK(th::sql1(t / "case", "SELECT computed_sha256 FROM v_evidence") ==
              th::run("sha256sum " + th::q(t / "media.raw")).out.substr(0, 64));
        CHECK(th::check_against_tsk(t / "media.raw", t / "case") > 5);
    }
}
