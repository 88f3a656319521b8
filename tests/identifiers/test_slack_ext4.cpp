// File slack on ext4 (mke2fs -d at test time, block size 1024): bytes written after a file's end
// with dd, at offsets The Sleuth Kit's istat gives (the file's block list). A term wholly in the
// slack, one running from the file into its slack, one running from the slack into the next
// block, each found once at its image offset in the file_slack range; a term wholly inside the
// file's last bytes found once, in the file, and not again by the range that overlaps them.
#include "support/harness.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace {

std::vector<uint64_t> blocks_of(const std::string& img, int inode) {
    auto r = th::run("istat " + th::q(img) + " " + std::to_string(inode));
    REQUIRE(r.rc == 0);
    auto pos = r.out.find("Direct Blocks:");
    REQUIRE(pos != std::string::npos);
    std::vector<uint64_t> out;
    std::istringstream in(r.out.substr(pos + 14));
    for (uint64_t b; in >> b;) out.push_back(b);
    return out;
}

void poke(const std::string& img, uint64_t at, const std::string& bytes) {
    REQUIRE(th::run("printf '%s' " + th::q(bytes) + " | dd of=" + th::q(img) + " bs=1 seek=" + std::to_string(at) +
                    " conv=notrunc status=none")
                .rc == 0);
}

}  // namespace

TEST_CASE("file slack on ext4: in, into and out of the slack, once each; the file's tail not twice", "[identifiers]") {
    th::TempDir dir;
    std::filesystem::create_directories(dir / "tree");
    const std::string a = std::string(4970, 'x') + " tail-only-term zz crossing-te";  // 5000 bytes: 904 in the last block
    std::ofstream(dir / "tree/a.txt") << a;
    std::ofstream(dir / "tree/b.txt") << "marker, then the second file\n";
    const std::string img = dir / "e.img";
    REQUIRE(th::run("mke2fs -q -t ext4 -b 1024 -d " + th::q(dir / "tree") + " -F " + th::q(img) + " 8M").rc == 0);
    REQUIRE(th::run("ifind -n /a.txt " + th::q(img)).out == "12\n");
    const auto ab = blocks_of(img, 12);
    REQUIRE(ab.size() == 5);
    const uint64_t end = ab.back() * 1024 + (a.size() - 4 * 1024), block_end = (ab.back() + 1) * 1024;
    poke(img, end, "rm zz hidden-in-slack zz");
    poke(img, block_end - 5, "seam-");
    // The block after the last one: b.txt's first (which starts with "marker"), or free space
    // that gets the same bytes.
    auto next = th::run("blkstat " + th::q(img) + " " + std::to_string(ab.back() + 1));
    REQUIRE(next.rc == 0);
    if (next.out.find("Not Allocated") != std::string::npos) {
        poke(img, block_end, "marker");
    } else {
        REQUIRE(th::run("ifind -n /b.txt " + th::q(img)).out == "13\n");
        REQUIRE(blocks_of(img, 13).front() == ab.back() + 1);
    }

    std::ofstream(dir / "kw.txt") << "tail-only-term\ncrossing-term\nhidden-in-slack\nseam-marker\n";
    const std::string c = dir / "case";
    REQUIRE(th::scan({img}, c, "--enable hash,keywords,carve --keywords " + th::q(dir / "kw.txt")) == 0);
    // The range: 64 bytes before the file's end to 64 bytes after its block's end.
    CHECK(th::sql_int(c, "SELECT count(*) FROM unalloc_ranges WHERE kind = 'file_slack' AND start_offset = " +
                             std::to_string(end - 64) + " AND length = " + std::to_string(block_end + 64 - (end - 64))) == 1);
    auto where = [&](const std::string& term) {
        return th::sql1(c, "SELECT group_concat(coalesce(v.path, 'range') || '@' || f.offset) FROM v_findings f LEFT JOIN "
                           "v_files v ON v.file_id = f.file_id WHERE f.kind = 'keyword' AND f.rule = '" + term + "'");
    };
    CHECK(where("tail-only-term") == "/a.txt@" + std::to_string(a.find("tail-only-term")));
    CHECK(where("crossing-term") == "range@" + std::to_string(end - 11));
    CHECK(where("hidden-in-slack") == "range@" + std::to_string(end + 6));
    CHECK(where("seam-marker") == "range@" + std::to_string(block_end - 5));
    // The context of a hit in slack starts at the file's end: none of the file's own bytes.
    const std::string ctx = th::sql1(c, "SELECT json_extract(detail, '$.context') FROM v_findings WHERE rule = 'crossing-term'");
    CHECK(ctx.rfind("rm zz hidden", 0) == 0);
    // The carver reads no slack or metadata range.
    CHECK(th::sql_int(c, "SELECT count(*) FROM files WHERE origin = 'carved'") == 0);
}
