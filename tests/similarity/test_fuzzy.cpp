// The fuzzy detector's ssdeep and TLSH digests equal what Debian's `ssdeep` and `tlsh`
// (tlsh-tools) print for the same files, whatever the block boundaries.
#include "support/detector_driver.hpp"
#include "support/harness.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <iterator>
#include <random>

extern "C" const triage_plugin* triage_builtin_fuzzy_entry(uint32_t host_api_version);

namespace {

// `ssdeep -s -b FILE` prints a header line and `digest,"name"`.
std::string ssdeep_cli(const std::string& path) {
    auto r = th::run("ssdeep -s -b " + th::q(path));
    if (r.rc != 0) FAIL("ssdeep failed on " << path << ": " << r.err << " (install Debian's ssdeep)");
    const auto nl = r.out.find('\n');
    const std::string line = r.out.substr(nl + 1);
    return line.substr(0, line.find(",\""));
}

// `tlsh -f FILE` prints `DIGEST<TAB>name`, or nothing when the file is too small or too uniform.
std::string tlsh_cli(const std::string& path) {
    auto r = th::run("tlsh -f " + th::q(path));
    if (r.rc != 0) FAIL("tlsh failed on " << path << ": " << r.err << " (install Debian's tlsh-tools)");
    return r.out.substr(0, r.out.find('\t'));
}

}  // namespace

TEST_CASE("fuzzy detector: ssdeep and TLSH equal the ssdeep and tlsh tools", "[similarity]") {
    const triage_plugin* p = triage_builtin_fuzzy_entry(TRIAGE_HOST_API_VERSION);
    REQUIRE(p->detector_count == 1);
    REQUIRE(std::string(p->detectors[0]->name) == "fuzzy");
    REQUIRE((p->detectors[0]->wants & TRIAGE_WANT_BLOCKS) != 0);
    th::DetectorDriver drv(*p->detectors[0]);
    th::TempDir t;

    // Text made of English-ish words, a compressible binary, random bytes across the 1 MiB block
    // boundary, and the edge sizes (TLSH's 256-byte minimum, all-equal bytes, one byte).
    std::mt19937 rng(4);
    const char* words[] = {"evidence ", "seized ", "laptop ", "image ", "hash ", "report ", "the ", "of ", "\n"};
    std::string text;
    while (text.size() < 200000) text += words[rng() % 9];
    std::string random_bytes((1 << 20) + 4099, '\0');
    for (auto& c : random_bytes) c = static_cast<char>(rng());
    std::string structured;
    for (int i = 0; i < 70000; ++i) structured += std::to_string(i * 7 % 1000) + (i % 13 ? "," : "\n");
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"text", text},
        {"text_edited", text.substr(0, 90000) + "a few words added in the middle " + text.substr(90000)},
        {"random", random_bytes},
        {"structured", structured},
        {"exactly256", text.substr(0, 256)},
        {"255", text.substr(0, 255)},
        {"uniform", std::string(5000, 'A')},
        {"one", "x"},
    };
    int with_tlsh = 0;
    for (const auto& [name, data] : cases) {
        std::ofstream(t / name, std::ios::binary) << data;
        const std::string want_ssdeep = ssdeep_cli(t / name);
        const std::string want_tlsh = tlsh_cli(t / name);
        with_tlsh += !want_tlsh.empty();
        for (const auto& splits : th::standard_splits(data.size())) {
            INFO(name << " (" << data.size() << " bytes), " << splits.size() << " split points");
            auto e = drv.run(data, splits);
            REQUIRE(e.end_rc == TRIAGE_OK);
            CHECK(e.hashes["ssdeep"] == want_ssdeep);
            if (want_tlsh.empty()) CHECK(e.hashes.count("tlsh") == 0);
            else CHECK(e.hashes["tlsh"] == want_tlsh);
        }
    }
    CHECK(with_tlsh >= 4);   // the oracle really produced digests

    // Empty objects get nothing; images are left to the pdq detector unless images=true.
    CHECK(drv.run("", {}).hashes.empty());
    std::string png = "\x89PNG\r\n\x1a\n" + text.substr(0, 5000);
    CHECK(drv.run(png, {}).hashes.empty());
    th::DetectorDriver with_images(*p->detectors[0], {{"images", "true"}});
    CHECK(with_images.run(png, {}).hashes.count("ssdeep") == 1);

    // Objects above max_mb are left out; at or below it they are hashed.
    th::DetectorDriver capped(*p->detectors[0], {{"max_mb", "1"}});
    CHECK(capped.run(random_bytes, {}).hashes.empty());
    CHECK(capped.run(random_bytes.substr(0, 1 << 20), {}).hashes.count("tlsh") == 1);
}
