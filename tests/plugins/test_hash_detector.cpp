// The built-in hashers through the C ABI: MD5, SHA-1 and SHA-256 equal coreutils' for content
// fed whole, from offset 65, and split around block boundaries.
#include "support/detector_driver.hpp"
#include "support/harness.hpp"

#include <catch2/catch.hpp>

#include <fstream>

extern "C" const triage_plugin* triage_builtin_hash_entry(uint32_t host_api_version);

TEST_CASE("hash detector: results do not depend on block boundaries", "[plugins]") {
    const triage_plugin* p = triage_builtin_hash_entry(TRIAGE_HOST_API_VERSION);
    REQUIRE(p->detector_count == 1);
    th::DetectorDriver drv(*p->detectors[0]);
    th::TempDir t;
    for (size_t size : {size_t{0}, size_t{1}, size_t{65}, size_t{4096}, size_t{(1 << 20) + 7}}) {
        std::string data(size, '\0');
        for (size_t i = 0; i < size; ++i) data[i] = static_cast<char>((i * 131 + 7) % 251);
        std::ofstream(t / "f", std::ios::binary) << data;
        std::string md5 = th::run("md5sum " + th::q(t / "f")).out.substr(0, 32);
        std::string sha1 = th::run("sha1sum " + th::q(t / "f")).out.substr(0, 40);
        std::string sha256 = th::run("sha256sum " + th::q(t / "f")).out.substr(0, 64);
        for (const auto& splits : th::standard_splits(size)) {
            INFO("size " << size << ", " << splits.size() << " split points");
            auto e = drv.run(data, splits);
            CHECK(e.begin_rc == TRIAGE_OK);
            CHECK(e.end_rc == TRIAGE_OK);
            CHECK(e.hashes["md5"] == md5);
            CHECK(e.hashes["sha1"] == sha1);
            CHECK(e.hashes["sha256"] == sha256);
        }
    }
}
