// An E01 handle is closed and opened again after a set number of bytes read through it, or once it
// has touched more distinct parts of the image than that many bytes span, so that libewf's
// per-handle chunk tables do not grow with the image (evidence::set_ewf_recycle_bytes). These
// tests read through libewf alone (evidence::set_ewf_chunk_map(false)), as a damaged segment set
// is read; an intact one is read through triage's chunk map (test_ewf_map.cpp), and libewf only
// for the chunks the map cannot verify.
// Oracles: the bytes read through a handle renewed every MiB hash as sha256sum of the source the
// E01 was acquired from (ewfacquire), and a corrupted chunk is reported at the sectors ewfverify
// names, once, though the handle that found it was replaced long before the question was asked.
#include "evidence/image.hpp"
#include "support/harness.hpp"
#include "util/text.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <regex>
#include <string>
#include <vector>

namespace ev = triage::evidence;

namespace {

struct RecycleEvery {
    uint64_t saved = ev::ewf_recycle_bytes();
    explicit RecycleEvery(uint64_t bytes) { ev::set_ewf_recycle_bytes(bytes); }
    ~RecycleEvery() { ev::set_ewf_recycle_bytes(saved); }
};
struct LibewfOnly {
    LibewfOnly() { ev::set_ewf_chunk_map(false); }
    ~LibewfOnly() { ev::set_ewf_chunk_map(true); }
};
struct RegionPacing {
    double saved = ev::ewf_region_pacing();
    explicit RegionPacing(double factor) { ev::set_ewf_region_pacing(factor); }
    ~RegionPacing() { ev::set_ewf_region_pacing(saved); }
};

// Every byte of the image, read front to back in 1 MiB requests, as one string.
std::string read_all(ev::Image& img) {
    std::string out;
    std::string buf(1 << 20, '\0');
    for (uint64_t off = 0; off < img.size();) {
        const int64_t n = img.read(off, buf.data(), buf.size());
        REQUIRE(n > 0);
        out.append(buf.data(), static_cast<size_t>(n));
        off += static_cast<uint64_t>(n);
    }
    return out;
}

}  // namespace

TEST_CASE("an E01 handle renewed every MiB reads the same bytes and keeps the checksum errors it found", "[evidence]") {
    LibewfOnly libewf;
    th::TempDir t;
    const std::string src = t / "src.raw";
    REQUIRE(th::run("head -c 50331648 /dev/urandom > " + th::q(src)).rc == 0);
    // Seven segment files of 8 MiB: the renewed handle crosses all of them.
    REQUIRE(th::run("cd " + th::q(t.path) + " && ewfacquire -u -q -t d -c deflate:fast -f encase6 -S 8MiB src.raw "
                    "</dev/null >/dev/null 2>&1")
                .rc == 0);
    const std::string want = th::run("sha256sum " + th::q(src)).out.substr(0, 64);

    SECTION("clean: the bytes are the source's") {
        RecycleEvery every(1 << 20);
        auto img = ev::open_image(t / "d.E01");
        REQUIRE(img->segments().size() == 7);
        CHECK(triage::util::sha256_hex(read_all(*img)) == want);
        CHECK(img->handles_renewed() >= 40);
        CHECK(img->integrity_errors().empty());
    }

    // The two sections below renew every 8 MiB read, or on a third distinct 4 MiB region touched
    // (libewf loads the table of every part a handle touches, as the walk's reads do all over the disk).
    std::ifstream raw(src, std::ios::binary);
    auto same_as_source = [&](ev::Image& img, uint64_t off) {
        std::string got(4096, '\0'), want_bytes(4096, '\0');
        REQUIRE(img.read(off, got.data(), got.size()) == 4096);
        raw.seekg(static_cast<std::streamoff>(off));
        raw.read(want_bytes.data(), static_cast<std::streamsize>(want_bytes.size()));
        return got == want_bytes;
    };

    SECTION("reads scattered over the image renew the handle though few bytes were read") {
        RecycleEvery every(8 << 20);
        RegionPacing unpaced(0);
        auto img = ev::open_image(t / "d.E01");
        // Back and forth within two regions: 200 KiB read, no renewal.
        for (int i = 0; i < 50; ++i) CHECK(same_as_source(*img, uint64_t(i % 2) * (4 << 20) + uint64_t(i) * 4096));
        CHECK(img->handles_renewed() == 0);
        // One page in each of the other ten regions: 40 KiB more, and a renewal every other region.
        for (uint64_t r = 2; r < 12; ++r) CHECK(same_as_source(*img, r * (4 << 20) + 12345));
        CHECK(img->handles_renewed() == 5);
        CHECK(img->integrity_errors().empty());
    }

    SECTION("renewal by regions waits for the handle to have lived its pacing; renewal by bytes does not") {
        RecycleEvery every(8 << 20);
        RegionPacing never(1e9);
        auto img = ev::open_image(t / "d.E01");
        for (uint64_t r = 0; r < 12; ++r) CHECK(same_as_source(*img, r * (4 << 20) + 12345));
        CHECK(img->handles_renewed() == 0);
        CHECK(triage::util::sha256_hex(read_all(*img)) == want);
        CHECK(img->handles_renewed() >= 5);
    }

    SECTION("a renewal that cannot open the evidence again: reads fail while it cannot, then read the source") {
        RecycleEvery every(8 << 20);
        auto img = ev::open_image(t / "d.E01");
        std::string buf((8 << 20) - 4096, '\0');
        REQUIRE(img->read(0, buf.data(), buf.size()) == (8 << 20) - 4096);
        const std::string moved = t / "moved";
        REQUIRE(th::run("mkdir " + th::q(moved) + " && mv " + th::q(t.path) + "/d.E0* " + th::q(moved)).rc == 0);
        // Within the first 8 MiB the open handle still reads (its files stay open); past them it
        // is renewed, which closes it first, and opening the files again fails.
        CHECK(same_as_source(*img, 4096));
        buf.resize(4096);
        CHECK(img->read(9 << 20, buf.data(), buf.size()) < 0);
        CHECK(img->read(20 << 20, buf.data(), buf.size()) < 0);
        REQUIRE(th::run("mv " + th::q(moved) + "/d.E0* " + th::q(t.path)).rc == 0);
        CHECK(same_as_source(*img, 20 << 20));
        CHECK(triage::util::sha256_hex(read_all(*img)) == want);
        CHECK(img->integrity_errors().empty());
    }

    SECTION("a corrupted chunk: reported as ewfverify reports it, after the handle that found it is gone") {
        {
            std::fstream f(t / "d.E03", std::ios::in | std::ios::out | std::ios::binary);
            f.seekp(4 << 20);
            f.write("\xde\xad\xbe\xef\xde\xad\xbe\xef", 8);
        }
        const auto verify = th::run("ewfverify -q " + th::q(t / "d.E01") + " 2>&1");
        std::smatch m;
        REQUIRE(std::regex_search(verify.out, m, std::regex(R"(at sector\(s\): (\d+) - (\d+))")));
        const std::string sectors = "sectors " + m[1].str() + "-" + m[2].str();

        std::vector<std::string> renewed, kept;
        {
            RecycleEvery every(1 << 20);
            auto img = ev::open_image(t / "d.E01");
            read_all(*img);
            CHECK(img->handles_renewed() >= 40);
            renewed = img->integrity_errors();
        }
        {
            auto img = ev::open_image(t / "d.E01");  // the default: 1 GiB, never reached here
            read_all(*img);
            CHECK(img->handles_renewed() == 0);
            kept = img->integrity_errors();
        }
        REQUIRE(renewed.size() == 1);
        CHECK(renewed.front().find(sectors) != std::string::npos);
        CHECK(renewed == kept);
    }
}
