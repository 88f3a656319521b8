// An intact E01's chunks are located by triage's own map of the segment files' tables and read
// with pread, so that libewf's handle, which holds 8 bytes for every chunk of the image from the
// moment it opens (256 MiB for a terabyte), is closed after the opening and stays closed.
// The map also reads the media's geometry and the stored hashes, so an intact E01 is opened
// without libewf. Oracles: sha256sum of the source ewfacquire read, for every format ewfacquire
// writes; ewfinfo's media size and stored MD5 and SHA-1; the bytes `ewfexport -w` writes for a
// damaged table.
#include "evidence/image.hpp"
#include "evidence/image_reads.hpp"
#include "support/harness.hpp"
#include "util/text.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>

namespace ev = triage::evidence;
namespace fs = std::filesystem;

namespace {

// Random bytes (stored as they are), text (zlib chunks), zeros, and a size in whole sectors that
// ends inside a chunk.
void make_source(const std::string& dir) {
    REQUIRE(th::run("cd " + th::q(dir) +
                    " && head -c 1500000 /dev/urandom > src.raw"
                    " && for i in $(seq 1 60000); do echo \"record $i of the seized disk $((i * 7919 % 10007))\"; done >> src.raw"
                    " && truncate -s 6000640 src.raw")
                .rc == 0);
}

}  // namespace

TEST_CASE("an intact E01 is read through triage's chunk map, libewf's handle closed, in every format ewfacquire writes",
          "[evidence]") {
    th::TempDir t;
    make_source(t.path);
    const std::string want = th::ev_reads::sha256_of(t / "src.raw");
    struct Case {
        const char* format;
        const char* compression;
        const char* sectors_per_chunk;
        bool mapped;  // the layout the map reads: EWF-E01 of EnCase 2 and later, FTK, linen
    };
    const Case cases[] = {
        {"encase6", "deflate:fast", "64", true},   {"encase6", "none", "64", true},
        {"encase6", "deflate:best", "128", true},  {"encase6", "empty-block", "16", true},
        {"encase7", "deflate:fast", "64", true},   {"encase5", "deflate:fast", "64", true},
        {"encase4", "deflate:fast", "64", true},   {"encase3", "deflate:fast", "64", true},
        {"encase2", "deflate:fast", "64", true},   {"ftk", "deflate:fast", "64", true},
        {"linen5", "deflate:fast", "64", true},    {"linen6", "deflate:fast", "256", true},
        {"linen7", "deflate:fast", "64", true},    {"ewfx", "deflate:fast", "64", true},
        {"encase6", "deflate:fast", "1024", true},
        // SMART and EWF keep no Adler-32 of a table's entries: libewf reads them, as before.
        {"smart", "deflate:fast", "64", false},    {"ewf", "deflate:fast", "64", false},
    };
    for (const auto& c : cases) {
        const std::string name = std::string(c.format) + "-" + c.compression + "-" + c.sectors_per_chunk;
        INFO(name);
        const std::string dir = t / name;
        fs::create_directories(dir);
        const auto acq = th::run("cd " + th::q(dir) + " && ewfacquire -u -q -t d -d sha1 -c " + c.compression + " -f " +
                                 c.format + " -b " + c.sectors_per_chunk + " -S 1MiB ../src.raw </dev/null 2>&1");
        INFO(acq.out);
        REQUIRE(acq.rc == 0);
        std::vector<std::string> segs;
        for (const auto& e : fs::directory_iterator(dir)) segs.push_back(e.path().filename().string());
        REQUIRE(segs.size() >= 2);  // several segment files, several tables
        std::sort(segs.begin(), segs.end());  // d.E01 (d.e01 for ewfx, d.s01 for SMART) first
        auto img = ev::open_image(dir + "/" + segs.front());
        REQUIRE(img->size() == 6000640);
        CHECK(img->library_handle_open() == !c.mapped);  // with the map, never opened
        // The stored hashes, as libewf reads them.
        const std::string info = th::run("ewfinfo " + th::q(dir + "/" + segs.front())).out;
        std::smatch m;
        REQUIRE(std::regex_search(info, m, std::regex(R"(MD5:\s+([0-9a-f]{32}))")));
        CHECK(img->stored_hashes().md5 == m[1].str());
        if (std::regex_search(info, m, std::regex(R"(SHA1:\s+([0-9a-f]{40}))")))
            CHECK(img->stored_hashes().sha1 == m[1].str());
        else
            CHECK(img->stored_hashes().sha1.empty());
        CHECK(img->stored_hashes().md5 == th::run("md5sum " + th::q(t / "src.raw")).out.substr(0, 32));
        CHECK(std::regex_search(info, std::regex("Bytes per sector:\\s+" + std::to_string(img->sector_size()) + "\n")));
        // Whole chunks, then requests of 4 KiB from an odd offset (the walk's reads: parts of chunks).
        CHECK(triage::util::sha256_hex(th::ev_reads::read_all(*img, 1 << 20)) == want);
        auto small = img->reopen();
        CHECK(triage::util::sha256_hex(th::ev_reads::read_all(*small, 4096, 777)) == want);
        if (c.mapped) {
            const uint64_t chunk = std::stoull(c.sectors_per_chunk) * 512;
            CHECK(img->chunks_inflated_here() == (img->size() + chunk - 1) / chunk);
            CHECK(img->library_reads() == 0);
            CHECK(small->library_reads() == 0);
            CHECK_FALSE(img->library_handle_open());
        } else {
            CHECK(img->chunks_inflated_here() > 0);  // libewf's path: raw chunks, inflated here
            CHECK(img->library_handle_open());
        }
        CHECK(img->integrity_errors().empty());
    }
}

TEST_CASE("an E01 table whose entries were altered is not trusted: its chunks read as libewf reads them", "[evidence]") {
    // Two entries of a table swapped: each still points at a chunk that inflates and verifies,
    // so only the table's own Adler-32 tells. libewf then reads the copy (table2).
    th::TempDir t;
    make_source(t.path);
    REQUIRE(th::run("cd " + th::q(t.path) + " && ewfacquire -u -q -t d -c deflate:fast -f encase6 -S 1MiB src.raw "
                    "</dev/null >/dev/null 2>&1")
                .rc == 0);
    auto swap_entries = [&](const std::string& segment) {
        std::string bytes;
        {
            std::ifstream in(segment, std::ios::binary);
            bytes.assign(std::istreambuf_iterator<char>(in), {});
        }
        const size_t table = bytes.find(std::string("table\0\0\0\0\0\0\0\0\0\0\0", 16));
        REQUIRE(table != std::string::npos);
        const size_t entries = table + 76 + 24;
        REQUIRE(bytes.substr(entries + 12, 4) != bytes.substr(entries + 16, 4));
        std::fstream f(segment, std::ios::in | std::ios::out | std::ios::binary);
        f.seekp(static_cast<std::streamoff>(entries + 12));
        f.write(bytes.data() + entries + 16, 4);
        f.write(bytes.data() + entries + 12, 4);
    };
    auto check_reads_as_libewf = [&] {
        REQUIRE(th::run("cd " + th::q(t.path) + " && rm -f out.raw && ewfexport -q -u -w -f raw -t out d.E01 >/dev/null 2>&1").rc == 0);
        const std::string libewf_reads = th::ev_reads::sha256_of(t / "out.raw");
        CHECK(libewf_reads == th::ev_reads::sha256_of(t / "src.raw"));  // libewf's copy of the table is whole
        auto img = ev::open_image(t / "d.E01");
        CHECK(triage::util::sha256_hex(th::ev_reads::read_all(*img, 1 << 20)) == libewf_reads);
        auto small = img->reopen();
        CHECK(triage::util::sha256_hex(th::ev_reads::read_all(*small, 4096, 777)) == libewf_reads);
        return img;
    };

    SECTION("a later segment's table: the map serves the other tables, libewf that one") {
        swap_entries(t / "d.E02");
        auto img = check_reads_as_libewf();
        CHECK(img->library_reads() > 0);
        CHECK(img->chunks_inflated_here() > 0);
    }
    SECTION("the first table: no map, the whole set through libewf") {
        swap_entries(t / "d.E01");
        auto img = check_reads_as_libewf();
        CHECK(img->library_handle_open());
    }
}

TEST_CASE("the E01s of the test data, written by other tools, read through the map as libewf reads them", "[evidence]") {
    // Oracles: ewfinfo's stored MD5 and media size, and ewfverify's MD5 of the media it reads.
    th::TempDir t;
    for (const char* rel : {"sleuthkit/image.E01", "sleuthkit/imageformat_mmls_1.E01", "plaso/image.E01", "dfvfs/ext2.E01",
                            "dfvfs/ext2.split.E01"}) {
        INFO(rel);
        const std::string e01 = th::testdata(rel);
        const std::string info = th::run("ewfinfo " + th::q(e01)).out;
        const std::string verify = th::run("ewfverify -q " + th::q(e01) + " 2>&1").out;
        std::smatch m;
        REQUIRE(std::regex_search(verify, m, std::regex(R"(MD5 hash calculated over data:\s+([0-9a-f]{32}))")));
        const std::string computed = m[1].str();
        auto img = ev::open_image(e01);
        CHECK_FALSE(img->library_handle_open());
        REQUIRE(std::regex_search(info, m, std::regex(R"(Media size:.*\((\d+) bytes\))")));
        CHECK(img->size() == std::stoull(m[1].str()));
        if (std::regex_search(info, m, std::regex(R"(MD5:\s+([0-9a-f]{32}))")))
            CHECK(img->stored_hashes().md5 == m[1].str());
        else
            CHECK(img->stored_hashes().md5.empty());
        const std::string all = th::ev_reads::read_all(*img, 1 << 20);
        auto view = img->reopen();
        CHECK(th::ev_reads::read_all(*view, 4096, 777) == all);
        const std::string out = t / "read.bin";
        {
            std::ofstream o(out, std::ios::binary);
            o.write(all.data(), static_cast<std::streamsize>(all.size()));
        }
        CHECK(th::run("md5sum " + th::q(out)).out.substr(0, 32) == computed);
        CHECK(img->library_reads() + view->library_reads() == 0);
        CHECK_FALSE(img->library_handle_open());
        CHECK(img->integrity_errors().empty());
    }
}
