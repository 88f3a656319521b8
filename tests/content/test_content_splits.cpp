// The content detectors give the same result wherever the blocks of an object begin and end
// (the bulk_extractor habit): each is driven through the C ABI by a small host of its own that
// also keeps the child objects, with the same bytes cut in many ways. The embedded carver is
// checked against the very JPEG files it should find (made by Pillow).
#include "support/harness.hpp"

#include <triage/detector_abi.h>

#include <catch2/catch.hpp>

#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

extern "C" const triage_plugin* triage_builtin_filetype_entry(uint32_t);
extern "C" const triage_plugin* triage_builtin_archive_entry(uint32_t);
extern "C" const triage_plugin* triage_builtin_embedded_entry(uint32_t);
extern "C" const triage_plugin* triage_builtin_entropy_entry(uint32_t);
extern "C" const triage_plugin* triage_builtin_exif_entry(uint32_t);

namespace {

struct Result {
    std::map<std::string, std::string> children;    // relative path -> bytes
    std::map<std::string, std::string> properties;
    std::vector<std::string> findings;               // "kind/rule"
    bool operator==(const Result&) const = default;
};

struct Host {
    const triage_detector* det = nullptr;
    Result* out = nullptr;
    std::string option_value;
};

Host* H(triage_host* h) { return reinterpret_cast<Host*>(h); }
void h_log(triage_host*, int, const char*) {}
int h_finding(triage_host* h, const triage_finding* f) {
    H(h)->out->findings.push_back(std::string(f->kind) + "/" + (f->rule ? f->rule : ""));
    return TRIAGE_OK;
}
int h_hash(triage_host*, const char*, const char*) { return TRIAGE_OK; }
int h_child(triage_host* h, const char* path, const uint8_t* d, size_t n, int64_t) {
    H(h)->out->children[path] = std::string(reinterpret_cast<const char*>(d), n);
    return TRIAGE_OK;
}
const char* h_option(triage_host* h, const char* key) {
    const auto* det = H(h)->det;
    for (size_t i = 0; i < det->option_count; ++i)
        if (std::strcmp(det->options[i].key, key) == 0) return det->options[i].default_value;
    return nullptr;
}
int h_cancelled(triage_host*) { return 0; }
const char* h_get_hash(triage_host*, const char*) { return nullptr; }
int h_mark(triage_host*, const char*) { return TRIAGE_OK; }
int h_marked(triage_host*, const char*) { return 0; }
int h_property(triage_host* h, const char* k, const char* v) {
    H(h)->out->properties[k] = v;
    return TRIAGE_OK;
}
const triage_host_api kApi{sizeof(triage_host_api), TRIAGE_HOST_API_VERSION, h_log, h_finding, h_hash, h_child,
                           h_option, h_cancelled, h_get_hash, h_mark, h_marked, h_property};

// One object through DET, cut at SPLITS (offsets into data).
Result run(triage_plugin_entry_fn entry, const std::string& data, std::vector<size_t> splits, const std::string& name) {
    const triage_detector* det = entry(TRIAGE_HOST_API_VERSION)->detectors[0];
    Result r;
    Host host{det, &r, {}};
    auto* th_ = reinterpret_cast<triage_host*>(&host);
    void* shared = nullptr;
    char err[256] = "";
    if (det->init) REQUIRE(det->init(&kApi, th_, &shared, err, sizeof err) == TRIAGE_OK);
    void* inst = det->create(&kApi, th_, shared);
    REQUIRE(inst);
    triage_object_info info{};
    info.struct_size = sizeof info;
    info.kind = TRIAGE_OBJECT_FILE;
    info.path = name.c_str();
    info.name = name.c_str();
    info.size = data.size();
    info.allocated = 1;
    REQUIRE(det->object_begin(inst, &info) == TRIAGE_OK);
    splits.push_back(data.size());
    size_t at = 0;
    for (size_t s : splits) {
        if (s <= at || s > data.size()) continue;
        REQUIRE(det->object_block(inst, reinterpret_cast<const uint8_t*>(data.data()) + at, s - at, at) == TRIAGE_OK);
        at = s;
    }
    REQUIRE(det->object_end(inst) == TRIAGE_OK);
    det->destroy(inst);
    if (det->shutdown) det->shutdown(shared);
    return r;
}

std::string slurp(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    REQUIRE(f.good());
    return {std::istreambuf_iterator<char>(f), {}};
}

std::string random_bytes(size_t n, unsigned seed) {
    std::string s(n, '\0');
    uint32_t x = seed * 2654435761u + 1;
    for (auto& c : s) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        c = static_cast<char>(x & 0xff);
    }
    return s;
}

// Cuts: none, one-byte blocks around every interesting offset, and a few arbitrary ones.
std::vector<std::vector<size_t>> cuts(size_t size, const std::vector<size_t>& interesting) {
    std::vector<std::vector<size_t>> out = {{}, {1, 2, 3}, {65}, {size / 2}, {size / 3, 2 * size / 3}};
    for (size_t p : interesting)
        for (size_t d = 0; d < 12; ++d) {
            out.push_back({p + d});
            if (p >= d) out.push_back({p - d, p - d + 1, p - d + 2});
        }
    std::vector<size_t> every_4k;
    for (size_t p = 4096; p < size; p += 4096) every_4k.push_back(p);
    out.push_back(every_4k);
    return out;
}

}  // namespace

TEST_CASE("content splits: results do not depend on where blocks begin", "[content]") {
    th::TempDir t;
    REQUIRE(th::run("cd " + th::q(t.path) + " && /usr/bin/python3 -c '\nfrom PIL import Image\n"
                    "Image.new(\"RGB\", (120, 80), (200, 100, 50)).save(\"a.jpg\", quality=90)\n"
                    "im = Image.effect_noise((96, 64), 60).convert(\"RGB\")\n"
                    "im.save(\"b.jpg\", progressive=True, quality=80)'")
                .rc == 0);
    const std::string a = slurp(t / "a.jpg"), b = slurp(t / "b.jpg");

    SECTION("embedded: two JPEGs (one progressive) inside other bytes come out whole") {
        const std::string data = random_bytes(1572, 1) + a + random_bytes(3000, 2) + b + random_bytes(777, 3);
        const size_t at_a = 1572, at_b = 1572 + a.size() + 3000;
        char na[32], nb[32];
        std::snprintf(na, sizeof na, "jpeg@0x%zx.jpg", at_a);
        std::snprintf(nb, sizeof nb, "jpeg@0x%zx.jpg", at_b);
        const std::map<std::string, std::string> expected{{na, a}, {nb, b}};
        for (const auto& c : cuts(data.size(), {at_a, at_a + 20, at_a + a.size() - 2, at_b, at_b + b.size() - 2})) {
            INFO("first cut " << (c.empty() ? 0 : c.front()) << " of " << c.size());
            CHECK(run(&triage_builtin_embedded_entry, data, c, "blob.dat").children == expected);
        }
        // A JPEG file itself is not searched (its EXIF thumbnail belongs to it).
        CHECK(run(&triage_builtin_embedded_entry, a + b, {}, "x.jpg").children.empty());
    }

    SECTION("entropy, filetype, exif and archive agree with themselves across cuts") {
        std::string pdf = "%PDF-1.7\n" + random_bytes(5000, 4) + "\ntrailer << /Size 3 /Encrypt 5 0 R >>\n%%EOF\n";
        const size_t enc = pdf.find("/Encrypt");
        const std::string zip_path = t / "m.zip";
        REQUIRE(th::run("cd " + th::q(t.path) + " && zip -q m.zip a.jpg b.jpg").rc == 0);
        const std::string zip = slurp(zip_path);
        struct Case {
            triage_plugin_entry_fn entry;
            std::string data, name;
            std::vector<size_t> interesting;
        };
        const Case cases[] = {
            {&triage_builtin_entropy_entry, pdf, "x.pdf", {enc, enc + 4, enc + 8}},
            {&triage_builtin_entropy_entry, random_bytes(300000, 5), "r.bin", {}},
            {&triage_builtin_filetype_entry, a, "a.jpg", {2}},
            {&triage_builtin_exif_entry, a, "a.jpg", {2, 12}},
            {&triage_builtin_archive_entry, zip, "m.zip", {2, 4}},
        };
        for (const auto& k : cases) {
            INFO(k.name);
            const Result whole = run(k.entry, k.data, {}, k.name);
            for (const auto& c : cuts(k.data.size(), k.interesting)) CHECK(run(k.entry, k.data, c, k.name) == whole);
        }
        CHECK(run(&triage_builtin_entropy_entry, pdf, {enc + 3}, "x.pdf").findings == std::vector<std::string>{"encrypted/pdf"});
        const auto members = run(&triage_builtin_archive_entry, zip, {1, 2, 3}, "m.zip").children;
        CHECK(members == std::map<std::string, std::string>{{"a.jpg", a}, {"b.jpg", b}});
    }
}
