// What the host hands to each kind of detector, checked end to end through an external plugin
// (so through the out-of-process protocol): metadata detectors get the final hashes, whole-
// object detectors one buffer, unallocated-range detectors image offsets, and child objects
// re-enter the scan with their own hashes.
#include "support/harness.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;

namespace {

std::string md5_of_bytes(const std::string& bytes, const th::TempDir& t) {
    std::ofstream(t / "bytes.bin", std::ios::binary) << bytes;
    return th::run("md5sum " + th::q(t / "bytes.bin")).out.substr(0, 32);
}

}  // namespace

TEST_CASE("detector kinds: metadata, whole objects, unallocated ranges, child objects", "[plugins]") {
    th::TempDir t;
    std::string plugins = t / "plugins";
    fs::create_directories(plugins);
    fs::copy_file(std::string(TRIAGE_FIXTURE_DIR) + "/abi_probe.so", plugins + "/abi_probe.so");

    fs::create_directories(t / "tree");
    std::string pair;
    for (int i = 0; i < 3000; ++i) pair += "line " + std::to_string(i) + "\n";
    std::ofstream(t / "tree/data.pair", std::ios::binary) << pair;
    std::ofstream(t / "tree/small.txt") << "small file\n";
    std::ofstream(t / "tree/loop.nest") << "nested forever\n";
    std::string big((2 << 20) + 3, 'B');  // over the 1 MiB whole-object cap used below
    std::ofstream(t / "tree/big.bin", std::ios::binary) << big;
    std::string img = t / "disk.img";
    REQUIRE(th::run("mke2fs -q -t ext4 -b 4096 -d " + th::q(t / "tree") + " -F " + th::q(img) + " 16M").rc == 0);

    // Plant the marker in unallocated space: twice inside one free range, once across a 1 MiB
    // boundary of the range's blocks.
    REQUIRE(th::scan({img}, t / "first") == 0);
    int64_t start = th::sql_int(t / "first", "SELECT start_offset FROM unalloc_ranges WHERE kind='fs_unallocated' AND "
                                             "length >= 4194304 ORDER BY length DESC LIMIT 1");
    REQUIRE(start > 0);
    const std::string mark = "UNALLOC-MARK-7f3a";
    std::vector<int64_t> planted = {start + 100, start + 5000, start + (1 << 20) - 7};
    for (int64_t off : planted)
        REQUIRE(th::run("printf '%s' " + mark + " | dd of=" + th::q(img) + " bs=1 seek=" + std::to_string(off) +
                        " conv=notrunc status=none")
                    .rc == 0);
    auto grep = th::run("grep -obUa " + mark + " " + th::q(img) + " | cut -d: -f1 | sort -n");
    REQUIRE(grep.rc == 0);

    std::string c = t / "case";
    REQUIRE(th::scan({img}, c, "--plugin-dir " + th::q(plugins) + " --whole-object-cap 1") == 0);
    INFO("errors: " << th::sql1(c, "SELECT group_concat(location || ': ' || message, '\n') FROM v_errors"));

    SECTION("metadata detectors see the final hashes") {
        int64_t n = th::sql_int(c, "SELECT count(*) FROM v_findings f JOIN v_files v ON v.file_id=f.file_id WHERE "
                                   "f.detector='probe_meta' AND f.detail = v.md5");
        CHECK(n == th::sql_int(c, "SELECT count(*) FROM v_files WHERE md5 IS NOT NULL"));
        CHECK(n >= 4);
    }
    SECTION("whole-object detectors get one buffer, only up to the cap") {
        CHECK(th::sql1(c, "SELECT f.detail FROM v_findings f JOIN v_files v ON v.file_id=f.file_id WHERE "
                          "f.detector='probe_whole' AND v.path='/data.pair'") == "1:" + std::to_string(pair.size()));
        CHECK(th::sql_int(c, "SELECT count(*) FROM v_findings f JOIN v_files v ON v.file_id=f.file_id WHERE "
                             "f.detector='probe_whole' AND v.path='/big.bin'") == 0);
    }
    SECTION("unallocated-range detectors report image offsets, each once") {
        std::string ours = th::sql1(c, "SELECT group_concat(offset, '\n') FROM (SELECT offset FROM v_findings WHERE "
                                       "detector='probe_unalloc' AND file_id IS NULL ORDER BY offset)");
        std::string theirs = grep.out;
        while (!theirs.empty() && theirs.back() == '\n') theirs.pop_back();
        CHECK(ours == theirs);
        CHECK(th::sql_int(c, "SELECT count(*) FROM unalloc_ranges WHERE scanned=0") == 0);
    }
    SECTION("child objects re-enter the scan with their own hashes and a parent") {
        size_t half = pair.size() / 2;
        CHECK(th::sql1(c, "SELECT md5 FROM v_files WHERE path='/data.pair>first-half'") == md5_of_bytes(pair.substr(0, half), t));
        CHECK(th::sql1(c, "SELECT md5 FROM v_files WHERE path='/data.pair>second-half'") == md5_of_bytes(pair.substr(half), t));
        CHECK(th::sql1(c, "SELECT p.path FROM files f JOIN files p ON p.file_id=f.parent_id WHERE f.path='/data.pair>first-half'") ==
              "/data.pair");
        CHECK(th::sql1(c, "SELECT origin || ' ' || detector || ' ' || parent_offset FROM files WHERE path='/data.pair>second-half'") ==
              "extracted probe_child " + std::to_string(half));
        // Children are scanned by every detector, the metadata ones included.
        CHECK(th::sql_int(c, "SELECT count(*) FROM v_findings f JOIN v_files v ON v.file_id=f.file_id WHERE "
                             "f.detector='probe_meta' AND v.path='/data.pair>first-half'") == 1);
        // Endless nesting stops at the depth limit, recorded.
        CHECK(th::sql_int(c, "SELECT count(*) FROM files WHERE path LIKE '/loop.nest>%'") == 9);
        CHECK(th::sql_int(c, "SELECT count(*) FROM v_errors WHERE message LIKE '%levels of nested objects%'") == 1);
    }
    SECTION("a second run adds nothing") {
        std::string before = th::sql1(c, "SELECT (SELECT count(*) FROM files) || '/' || (SELECT count(*) FROM findings)");
        REQUIRE(th::scan({img}, c, "--plugin-dir " + th::q(plugins) + " --whole-object-cap 1") == 0);
        CHECK(th::sql1(c, "SELECT (SELECT count(*) FROM files) || '/' || (SELECT count(*) FROM findings)") == before);
    }
}
