// E01 chunks are read raw (located by triage's chunk map, test_ewf_map.cpp) and inflated by
// triage (libdeflate), each checked against its Adler-32; a chunk that does not inflate or verify
// is read through libewf instead, which records the checksum error and zeroes the chunk. Oracles: sha256sum of the source ewfacquire
// read (clean images), `ewfexport -w`'s raw output (checksum failures zeroed, as libewf's
// reading does), and the sectors ewfverify names.
#include "evidence/image.hpp"
#include "evidence/image_reads.hpp"
#include "support/harness.hpp"
#include "util/text.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <algorithm>
#include <fstream>
#include <regex>
#include <string>
#include <thread>
#include <vector>

namespace ev = triage::evidence;

TEST_CASE("E01 chunks inflated by triage: the source's bytes; a corrupted chunk as libewf reads it, with ewfverify's error",
          "[evidence]") {
    th::TempDir t;
    const std::string src = t / "src.raw";
    // Random bytes (stored uncompressed, with their own Adler-32) followed by text and zeros
    // (stored as zlib chunks), and a size that ends in a partial chunk.
    REQUIRE(th::run("cd " + th::q(t.path) +
                    " && head -c 5000000 /dev/urandom > src.raw"
                    " && for i in $(seq 1 150000); do echo \"line $i of evidence text $((i * 7919 % 10007))\"; done >> src.raw"
                    " && truncate -s 16000000 src.raw")
                .rc == 0);
    REQUIRE(th::run("cd " + th::q(t.path) + " && ewfacquire -u -q -t d -c deflate:fast -f encase6 -S 2MiB src.raw "
                    "</dev/null >/dev/null 2>&1")
                .rc == 0);
    const std::string e01 = t / "d.E01";

    SECTION("clean: every chunk inflated here, in aligned and unaligned requests") {
        const std::string want = th::ev_reads::sha256_of(src);
        auto img = ev::open_image(e01);
        REQUIRE(img->size() == 16000000);
        CHECK(triage::util::sha256_hex(th::ev_reads::read_all(*img, 4 << 20)) == want);
        const uint64_t chunks = (img->size() + 32767) / 32768;
        CHECK(img->chunks_inflated_here() == chunks);
        // Requests that start inside a chunk: whole chunks in them are still inflated here.
        auto again = ev::open_image(e01);
        CHECK(triage::util::sha256_hex(th::ev_reads::read_all(*again, 100000, 12345)) == want);
        CHECK(again->chunks_inflated_here() > chunks / 2);
        CHECK(img->integrity_errors().empty());
        CHECK(again->integrity_errors().empty());
    }

    SECTION("a corrupted compressed chunk and a corrupted stored one: libewf's bytes and ewfverify's sectors") {
        // The first segment holds random bytes (stored chunks); the last one text (zlib chunks).
        std::vector<std::string> segs;
        for (const auto& e : std::filesystem::directory_iterator(t.path))
            if (e.path().filename().string().rfind("d.E", 0) == 0) segs.push_back(e.path().string());
        std::sort(segs.begin(), segs.end());
        REQUIRE(segs.size() >= 3);
        for (const std::string& seg : {segs.front(), segs.back()}) {
            std::fstream f(seg, std::ios::in | std::ios::out | std::ios::binary);
            f.seekp(static_cast<std::streamoff>(std::filesystem::file_size(seg) / 2));
            f.write("\xde\xad\xbe\xef\xde\xad\xbe\xef", 8);
        }
        const auto verify = th::run("ewfverify -q " + th::q(e01) + " 2>&1");
        std::vector<std::string> sectors;
        std::vector<uint64_t> first_sector;
        const std::regex at(R"(at sector\(s\): (\d+) - (\d+))");
        for (std::sregex_iterator m(verify.out.begin(), verify.out.end(), at), end; m != end; ++m) {
            sectors.push_back("sectors " + (*m)[1].str() + "-" + (*m)[2].str());
            first_sector.push_back(std::stoull((*m)[1].str()));
        }
        REQUIRE(sectors.size() == 2);
        CHECK(first_sector[0] * 512 < 5000000);  // a stored chunk (random bytes)
        CHECK(first_sector[1] * 512 >= 5000000);  // a zlib chunk (text)
        // libewf's reading zeroes the sectors of a chunk that fails its checksum, as `ewfexport -w` does.
        REQUIRE(th::run("cd " + th::q(t.path) + " && ewfexport -q -u -w -f raw -t out d.E01 >/dev/null 2>&1").rc == 0);

        auto img = ev::open_image(e01);
        CHECK(triage::util::sha256_hex(th::ev_reads::read_all(*img, 4 << 20)) == th::ev_reads::sha256_of(t / "out.raw"));
        CHECK(img->chunks_inflated_here() == (img->size() + 32767) / 32768 - 2);
        const auto errors = img->integrity_errors();
        REQUIRE(errors.size() == 2);
        for (size_t i = 0; i < 2; ++i) CHECK(errors[i].find(sectors[i]) != std::string::npos);

        // Views from reopen() share the image's libewf handle: four of them read the whole image
        // at once, each on its own thread, with the same bytes, and what one of them found is
        // what every one reports.
        auto fresh = ev::open_image(e01);
        std::vector<std::unique_ptr<ev::Image>> views;
        for (int i = 0; i < 4; ++i) views.push_back(fresh->reopen());
        std::vector<std::string> got(views.size());
        std::vector<std::thread> threads;
        for (size_t i = 0; i < views.size(); ++i)
            threads.emplace_back([&, i] { got[i] = triage::util::sha256_hex(th::ev_reads::read_all(*views[i], 1 << 20, i * 100 * 32768)); });
        for (auto& th : threads) th.join();
        for (size_t i = 0; i < views.size(); ++i) {
            CHECK(got[i] == th::ev_reads::sha256_of(t / "out.raw"));
            CHECK(views[i]->chunks_inflated_here() == (img->size() + 32767) / 32768 - 2);
        }
        CHECK(fresh->chunks_inflated_here() == 0);
        CHECK(fresh->integrity_errors() == errors);
        CHECK(views[0]->integrity_errors() == errors);

        // A scan whose stream readers share the walk's handle records each error once (the index
        // keeps one row for one message at one place), and the image as not verified.
        th::TempDir c;
        th::scan({e01}, c / "case", "--jobs 4");
        for (const auto& s : sectors)
            CHECK(th::sql_int(c / "case", "SELECT count(*) FROM v_errors WHERE message LIKE '%" + s + " %'") == 1);
        CHECK(th::sql1(c / "case", "SELECT verification FROM evidence") == "mismatch");
        // The two chunks that did not verify were read through libewf, by the walk and the
        // readers as each came to them.
        const auto audit = nlohmann::json::parse(
            th::sql1(c / "case", "SELECT detail FROM audit WHERE action = 'evidence scanned'"));
        CHECK(audit.at("container_library_reads").get<uint64_t>() >= 2);
    }
}

TEST_CASE("a cut E01 read through views of one handle: reads past the cut fail, the chunks before it read as libewf "
          "reads them on a fresh handle", "[evidence]") {
    // dfvfs ext2.E01 cut in half: its chunk tables are lost, and whether libewf zeroes a chunk
    // or fails the read depends on what its handle's chunk cache holds. After the walk's reads at
    // the end, the stream's read of the first chunk failed on the shared handle (5 scans in
    // 22 of the [damage] cut-E01 case); a fresh handle reads it. It must read as on a fresh
    // handle.
    th::TempDir t;
    const std::string e01 = th::testdata("dfvfs/ext2.E01");
    const std::string cut = t / "cut50.E01";
    REQUIRE(th::run("head -c " + std::to_string(std::filesystem::file_size(e01) / 2) + " " + th::q(e01) + " > " + th::q(cut)).rc == 0);
    std::string fresh(32768, '\0');
    {
        auto img = ev::open_image(cut);
        REQUIRE(img->read(0, fresh.data(), fresh.size()) == 32768);
    }
    auto img = ev::open_image(cut);
    auto view = img->reopen();
    std::string buf(8192, '\0');
    for (uint64_t off : {img->size() - 8192, img->size() - 4096, img->size() - 1024}) img->read(off, buf.data(), 1024);
    std::string got(32768, '\0');
    CHECK(img->read(0, buf.data(), 4096) == 4096);
    CHECK(view->read(0, got.data(), got.size()) == 32768);
    CHECK(got == fresh);
}
