// PDQ against oracles nobody on the project wrote: the reference hashes published with Meta's
// test images (../shared/testdata/pdq, derived/published-hashes.csv and the reference hasher's
// own output), and copies of those images re-encoded, resized, rotated and flipped by Pillow at
// test time. Also: damaged images must not crash the decoders, and the pdq detector emits what
// the hash-set matcher reads.
#include "similarity/image_decode.hpp"
#include "similarity/pdq.hpp"
#include "support/detector_driver.hpp"
#include "support/harness.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <random>
#include <sstream>

extern "C" const triage_plugin* triage_builtin_pdq_entry(uint32_t host_api_version);

namespace fs = std::filesystem;
namespace sim = triage::similarity;

namespace {

std::string slurp(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    if (!f) FAIL("cannot read " << path);
    return {std::istreambuf_iterator<char>(f), {}};
}

sim::PdqResult hash_file(const std::string& path) {
    const std::string d = slurp(path);
    sim::DecodedImage img;
    try {
        img = sim::decode_image(reinterpret_cast<const uint8_t*>(d.data()), d.size());
    } catch (const sim::DecodeError& e) {
        FAIL(path << " does not decode: " << e.what());
    }
    return sim::pdq_hash({img.pixels.data(), img.width, img.height, img.channels, size_t(img.width) * img.channels});
}

// As hash_file, decoding JPEGs the way the pdq detector does by default (DCT-scaled to >= 512).
sim::PdqResult hash_file_scaled(const std::string& path, int* width = nullptr, int* height = nullptr) {
    const std::string d = slurp(path);
    sim::DecodeLimits lim;
    lim.reduce_to = 512;
    sim::DecodedImage img;
    try {
        img = sim::decode_image(reinterpret_cast<const uint8_t*>(d.data()), d.size(), lim);
    } catch (const sim::DecodeError& e) {
        FAIL(path << " does not decode: " << e.what());
    }
    if (width) *width = img.width;
    if (height) *height = img.height;
    return sim::pdq_hash({img.pixels.data(), img.width, img.height, img.channels, size_t(img.width) * img.channels});
}

sim::PdqHash parse(const std::string& hex) {
    auto h = sim::PdqHash::from_hex(hex);
    if (!h) FAIL("not a PDQ hash: " << hex);
    return *h;
}

std::vector<std::string> split(const std::string& s, char sep) {
    std::vector<std::string> out;
    std::string cur;
    bool quoted = false;
    for (char c : s) {
        if (c == '"') quoted = !quoted;
        else if (c == sep && !quoted) out.push_back(std::exchange(cur, {}));
        else cur.push_back(c);
    }
    out.push_back(cur);
    return out;
}

// The reference value per image: the upstream C++ hasher built with the same JPEG library as
// Debian's (the "LOCAL regen" rows), else the WASM build of it, else the older C++ publication.
struct Reference {
    std::string hash;
    int quality = -1;
    int rank = 99;
};
std::map<std::string, Reference> reference_hashes() {
    const std::string csv = th::testdata("pdq/derived/published-hashes.csv");
    std::ifstream in(csv);
    std::string line;
    std::getline(in, line);
    std::map<std::string, Reference> refs;
    // image,pdq_hash_hex,quality,transform,implementation,source_file,source_commit,note
    // (an implementation may span lines inside quotes: join until the quotes balance)
    while (std::getline(in, line)) {
        while (std::count(line.begin(), line.end(), '"') % 2 == 1) {
            std::string more;
            if (!std::getline(in, more)) break;
            line += "\n" + more;
        }
        auto f = split(line, ',');
        if (f.size() < 5 || f[3] != "orig") continue;
        const int rank = f[4].rfind("LOCAL regen", 0) == 0 ? 0 : f[4].rfind("wasm", 0) == 0 ? 1
                       : f[4].rfind("cpp-reference", 0) == 0 ? 2 : 99;
        if (rank == 99) continue;
        auto& r = refs[f[0]];
        if (rank < r.rank) r = {f[1], f[2].empty() ? -1 : std::stoi(f[2]), rank};
    }
    return refs;
}

int dihedral_index(const std::string& name) {
    for (size_t i = 0; i < sim::kDihedralNames.size(); ++i)
        if (name == sim::kDihedralNames[i]) return static_cast<int>(i);
    FAIL("unknown transform " << name);
    return -1;
}

// Images of reasonable size and quality (>= 80) to re-encode and rotate (see docs/similarity.md
// for why the small, densely textured q0122 and the 34x42-pixel wee.jpg are not among them).
const std::vector<std::string> kPhotos = {
    "pdq/data/reg-test-input/dih/bridge-1-original.jpg", "pdq/data/reg-test-input/pen-and-coaster.png",
    "pdq/data/misc-images/c.png",                        "pdq/data/reg-test-input/labelme-subset/q0291.jpg",
    "pdq/data/reg-test-input/labelme-subset/q0746.jpg",  "pdq/data/reg-test-input/labelme-subset/q1050.jpg",
    "pdq/data/reg-test-input/labelme-subset/q2821.jpg",
};

std::string make_images(const th::TempDir& t, const std::vector<std::string>& sources) {
    std::string cmd = "/usr/bin/python3 " + th::q(std::string(TRIAGE_SOURCE_DIR) + "/tests/similarity/make_images.py") +
                      " " + th::q(t / "img");
    for (const auto& s : sources) cmd += " " + th::q(th::testdata(s));
    auto r = th::run(cmd);
    if (r.rc != 0) FAIL("make_images.py (Pillow, Debian's python3-pil) failed: " << r.err);
    return t / "img";
}

// Pillow's copies of kPhotos, made once per test run (Pillow takes tens of seconds for them).
std::string photo_copies() {
    static th::TempDir t;
    static const std::string dir = make_images(t, kPhotos);
    return dir;
}

}  // namespace

TEST_CASE("PDQ: hash text form round-trips and Hamming distance counts bits", "[similarity]") {
    const std::string hex = "d8f8f0cee0f4a84f0637022a078f67f0b36e2ed596621e1d33e6339c4e9c9b22";
    auto h = parse(hex);
    CHECK(h.hex() == hex);
    CHECK(parse("D8F8F0CEE0F4A84F0637022A078F67F0B36E2ED596621E1D33E6339C4E9C9B22") == h);
    CHECK_FALSE(sim::PdqHash::from_hex("d8f8"));
    CHECK_FALSE(sim::PdqHash::from_hex(std::string(63, '0') + "g"));
    // Last hex digit = DCT row 0, its lowest bit = column 0.
    CHECK(parse(std::string(63, '0') + "1").words[0] == 1);
    CHECK(sim::hamming(parse(std::string(64, '0')), parse(std::string(64, 'f'))) == 256);
    CHECK(sim::hamming(h, h) == 0);
}

TEST_CASE("PDQ: the reference images hash within distance 10 of the reference values", "[similarity]") {
    const auto refs = reference_hashes();
    int compared = 0, exact = 0;
    for (const auto& [image, ref] : refs) {
        const fs::path p = fs::path(TRIAGE_SHARED_DIR) / "testdata/pdq" / image;
        if (!fs::exists(p)) continue;   // exif-rotn-1/3/8 are listed but were left out for size
        const auto r = hash_file(p.string());
        const int d = sim::hamming(r.hash, parse(ref.hash));
        INFO(image << ": ours " << r.hash.hex() << " quality " << r.quality << ", reference " << ref.hash
                   << " quality " << ref.quality << ", distance " << d);
        CHECK(d <= 10);
        if (ref.quality >= 0) CHECK((r.quality >= 50) == (ref.quality >= 50));
        ++compared;
        exact += d == 0;
    }
    INFO("reference images compared: " << compared);
    REQUIRE(compared >= 25);
    // The same decoder (libjpeg-turbo 2.1.5) and the same arithmetic give the same bits.
    WARN("PDQ: " << exact << " of " << compared << " reference images bit-identical to the reference");
}

TEST_CASE("PDQ: the 8 dihedral hashes equal the reference hasher's and the turned images'", "[similarity]") {
    // The reference C++ hasher's --pdqdih-across line for bridge-1-original.jpg.
    std::ifstream in(th::testdata("pdq/derived/regenerated-cpp-cimg-libjpeg-turbo.out"));
    std::string line, across;
    bool next = false;
    while (std::getline(in, line)) {
        if (line.rfind("pdq-photo-hasher --pdqdih-across data/", 0) == 0) next = true;
        else if (next && !line.empty()) {
            across = line;
            break;
        }
    }
    REQUIRE_FALSE(across.empty());
    const auto f = split(across, ',');
    REQUIRE(f.size() >= 9);
    const auto r = hash_file(th::testdata("pdq/data/reg-test-input/dih/bridge-1-original.jpg"));
    for (int i = 0; i < 8; ++i) {
        INFO(sim::kDihedralNames[i] << ": ours " << r.dihedral[i].hex() << ", reference " << f[i]);
        CHECK(sim::hamming(r.dihedral[i], parse(f[i])) <= 10);
    }
    CHECK(r.hash == r.dihedral[0]);

    // Upstream's own turned copies of the bridge photo.
    const std::map<std::string, std::string> dih = {
        {"bridge-2-rotate-90.jpg", "rot90"}, {"bridge-3-rotate-180.jpg", "rot180"},
        {"bridge-4-rotate-270.jpg", "rot270"}, {"bridge-5-flipx.jpg", "flipx"},
        {"bridge-6-flipy.jpg", "flipy"},      {"bridge-7-flip-plus-1.jpg", "flipp"},
        {"bridge-8-flip-minus-1.jpg", "flipm"}};
    for (const auto& [file, t] : dih) {
        const auto turned = hash_file(th::testdata("pdq/data/reg-test-input/dih/" + file));
        const int d = sim::hamming(turned.hash, r.dihedral[dihedral_index(t)]);
        INFO(file << " vs the computed " << t << ": distance " << d);
        CHECK(d <= 31);
    }

    // Pillow's turned copies of the larger pictures. (PDQ is not exactly invariant: its sampling
    // grid moves by a pixel when the picture turns, which small, densely textured pictures such
    // as the 256x256 labelme ones feel: 26 to 58 bits there. docs/similarity.md has the figures.)
    const std::vector<std::string> turnable(kPhotos.begin(), kPhotos.begin() + 3);
    const std::string dir = photo_copies();
    for (const auto& src : turnable) {
        const auto orig = hash_file(th::testdata(src));
        const std::string stem = fs::path(src).stem().string();
        for (int i = 1; i < 8; ++i) {
            const auto turned = hash_file(dir + "/" + stem + "__" + sim::kDihedralNames[i] + ".png");
            const int d = sim::hamming(turned.hash, orig.dihedral[i]);
            INFO(stem << " " << sim::kDihedralNames[i] << ": distance " << d);
            CHECK(d <= 31);
            // ... and the turned picture is not mistaken for the picture itself.
            if (i != 0) CHECK(sim::hamming(turned.hash, orig.hash) > 31);
        }
    }
}

TEST_CASE("PDQ: re-encoded and resized copies match, unrelated images do not", "[similarity]") {
    const std::string dir = photo_copies();
    std::vector<std::pair<std::string, sim::PdqResult>> originals;
    for (const auto& src : kPhotos) originals.emplace_back(fs::path(src).stem().string(), hash_file(th::testdata(src)));
    const std::vector<std::string> copies = {"jpeg70.jpg", "png.png", "webp.webp", "gif.gif", "bmp.bmp", "bmp8.bmp"};
    for (const auto& [stem, orig] : originals) {
        REQUIRE(orig.quality >= 80);
        for (const auto& c : copies) {
            const auto copy = hash_file(dir + "/" + stem + "__" + c);
            const int d = sim::hamming(copy.hash, orig.hash);
            INFO(stem << " as " << c << ": distance " << d << ", quality " << copy.quality);
            CHECK(d <= 31);
            // Every other original is farther than the match threshold.
            for (const auto& [other, o] : originals)
                if (other != stem) CHECK(sim::hamming(copy.hash, o.hash) > 31);
        }
    }
}

TEST_CASE("PDQ: large JPEGs decoded at a DCT scale hash as the full-size decode does", "[similarity]") {
    // The detector's default (jpeg_scaled_decode): a photo with both sides >= 1024 is decoded at
    // 1/2, 1/4 or 1/8 size, both sides still >= 512, before the reference's 512x512 presize.
    // Oracle: the same file decoded at full size (the reference hasher's way); Pillow makes the
    // large photos (upscaled kPhotos, JPEG quality 90) and reports their size.
    th::TempDir t;
    const std::string dir = t / "big";
    fs::create_directories(dir);
    const std::vector<std::string> sources(kPhotos.begin(), kPhotos.begin() + 4);
    std::string script = "import sys\nfrom PIL import Image\nfor i, (src, f) in enumerate(zip(sys.argv[1::2], sys.argv[2::2])):\n"
                         "    im = Image.open(src).convert('RGB')\n    k = [5200, 3000, 4100, 2100][i] / max(im.size)\n"
                         "    im.resize((round(im.width * k), round(im.height * k)), Image.LANCZOS).save(f, quality=90)\n"
                         "    print(f, *Image.open(f).size)\n";
    std::ofstream(t / "big.py") << script;
    std::string cmd = "/usr/bin/python3 " + th::q(t / "big.py");
    for (size_t i = 0; i < sources.size(); ++i) cmd += " " + th::q(th::testdata(sources[i])) + " " + th::q(dir + "/" + std::to_string(i) + ".jpg");
    const auto r = th::run(cmd);
    REQUIRE(r.rc == 0);
    std::istringstream lines(r.out);
    std::string file;
    int w = 0, h = 0, scaled = 0;
    while (lines >> file >> w >> h) {
        int sw = 0, sh = 0;
        const auto full = hash_file(file);
        const auto small = hash_file_scaled(file, &sw, &sh);
        const int d = sim::hamming(full.hash, small.hash);
        INFO(file << " " << w << "x" << h << " decoded at " << sw << "x" << sh << ": distance " << d << ", quality "
                  << full.quality << " / " << small.quality);
        CHECK(std::min(sw, sh) >= std::min({w, h, 512}));
        if (std::min(w, h) >= 1024) {
            CHECK(std::min(sw, sh) < 1024);   // scaled: 1/2 at least
            CHECK(sw < w);
            ++scaled;
        } else {
            CHECK(sw == w);
        }
        CHECK(d <= 10);
        CHECK((small.quality >= 50) == (full.quality >= 50));
        for (int i = 0; i < 8; ++i) CHECK(sim::hamming(full.dihedral[i], small.dihedral[i]) <= 12);
    }
    CHECK(scaled >= 3);
    // The reference images too: within the reference test's distance of the published hashes.
    for (const auto& [image, ref] : reference_hashes()) {
        const fs::path p = fs::path(TRIAGE_SHARED_DIR) / "testdata/pdq" / image;
        if (!fs::exists(p) || p.extension() != ".jpg") continue;
        const int d = sim::hamming(hash_file_scaled(p.string()).hash, parse(ref.hash));
        INFO(image << ": distance " << d);
        CHECK(d <= 10);
    }
}

TEST_CASE("PDQ: damaged and hostile images never crash the decoders", "[similarity]") {
    th::TempDir t;
    const std::string dir = make_images(t, {"pdq/data/reg-test-input/labelme-subset/q0291.jpg"});
    std::vector<std::string> files;
    for (const auto& e : fs::directory_iterator(dir)) files.push_back(e.path().string());
    files.push_back(th::testdata("pdq/data/reg-test-input/labelme-subset/q0291.jpg"));
    std::sort(files.begin(), files.end());
    std::mt19937 rng(20261129);
    int decoded = 0, refused = 0;
    auto attempt = [&](const std::string& bytes) {
        try {
            auto img = sim::decode_image(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
            REQUIRE(img.pixels.size() == size_t(img.width) * img.height * img.channels);
            sim::pdq_hash({img.pixels.data(), img.width, img.height, img.channels, size_t(img.width) * img.channels});
            ++decoded;
        } catch (const sim::DecodeError& e) {
            CHECK(std::string(e.what()).size() > 5);
            ++refused;
        }
    };
    for (const auto& f : files) {
        const std::string d = slurp(f);
        for (size_t cut : {size_t{0}, size_t{3}, size_t{20}, size_t{60}, d.size() / 4, d.size() / 2, d.size() - 1})
            attempt(d.substr(0, cut));
        for (int k = 0; k < 40; ++k) {
            std::string m = d;
            for (int n = 1 + int(rng() % 16); n > 0; --n) m[rng() % m.size()] = static_cast<char>(rng());
            attempt(m);
        }
    }
    INFO(decoded << " decoded, " << refused << " refused");
    CHECK(refused > 0);

    // Absurd dimensions are refused before any pixel buffer is allocated.
    SECTION("a BMP that claims 60000 x 60000 pixels") {
        std::string bmp(54, '\0');
        auto le32 = [&](size_t at, uint32_t v) {
            for (int i = 0; i < 4; ++i) bmp[at + i] = static_cast<char>(v >> (8 * i));
        };
        bmp[0] = 'B', bmp[1] = 'M';
        le32(10, 54), le32(14, 40), le32(18, 60000), le32(22, 60000);
        bmp[26] = 1, bmp[28] = 24;
        CHECK_THROWS_WITH(sim::decode_image(reinterpret_cast<const uint8_t*>(bmp.data()), bmp.size()),
                          Catch::Contains("more than the decoder accepts"));
    }
    SECTION("a PNG that claims 50000 x 50000 pixels") {
        auto r = th::run("/usr/bin/python3 -c " +
                         th::q("import struct,zlib,sys\n"
                               "def chunk(t,d): return struct.pack('>I',len(d))+t+d+struct.pack('>I',zlib.crc32(t+d))\n"
                               "sys.stdout.buffer.write(b'\\x89PNG\\r\\n\\x1a\\n'+chunk(b'IHDR',struct.pack('>IIBBBBB',50000,50000,8,2,0,0,0))"
                               "+chunk(b'IDAT',zlib.compress(b'\\0'*1000))+chunk(b'IEND',b''))\n"));
        REQUIRE(r.rc == 0);
        CHECK_THROWS_WITH(sim::decode_image(reinterpret_cast<const uint8_t*>(r.out.data()), r.out.size()),
                          Catch::Contains("more than the decoder accepts"));
    }
}

TEST_CASE("pdq detector: emits pdq, pdq8 and pdq_quality for images, nothing for other files", "[similarity]") {
    const triage_plugin* p = triage_builtin_pdq_entry(TRIAGE_HOST_API_VERSION);
    REQUIRE(p->detector_count == 1);
    REQUIRE(std::string(p->detectors[0]->name) == "pdq");
    REQUIRE(p->detectors[0]->wants == TRIAGE_WANT_WHOLE);
    th::DetectorDriver drv(*p->detectors[0]);

    const std::string jpg = slurp(th::testdata("pdq/data/reg-test-input/dih/bridge-1-original.jpg"));
    const auto want = hash_file(th::testdata("pdq/data/reg-test-input/dih/bridge-1-original.jpg"));
    auto e = drv.run(jpg, {});
    REQUIRE(e.end_rc == TRIAGE_OK);
    CHECK(e.hashes["pdq"] == want.hash.hex());
    CHECK(e.hashes["pdq_quality"] == "100");
    const auto eight = split(e.hashes["pdq8"], ',');
    REQUIRE(eight.size() == 8);
    CHECK(eight[0] == e.hashes["pdq"]);
    for (int i = 0; i < 8; ++i) CHECK(eight[i] == want.dihedral[i].hex());
    CHECK(e.findings.empty());

    auto text = drv.run("just some text, not a picture\n", {});
    CHECK(text.hashes.empty());
    CHECK(text.findings.empty());

    // A JPEG header with nothing decodable behind it: a finding, not an error of the scan.
    auto broken = drv.run(jpg.substr(0, 40), {});
    CHECK(broken.end_rc == TRIAGE_OK);
    CHECK(broken.hashes.empty());
    REQUIRE(broken.findings.size() == 1);
    CHECK(broken.findings[0].kind == "image");
    CHECK(broken.findings[0].rule == "image not decoded");
    CHECK(broken.findings[0].detail.rfind("jpeg: ", 0) == 0);

    // Cut in the middle of the entropy-coded data: libjpeg fills in the rest; hashed, and noted.
    auto cut = drv.run(jpg.substr(0, jpg.size() / 2), {});
    CHECK(cut.hashes.count("pdq") == 1);
    REQUIRE(cut.findings.size() == 1);
    CHECK(cut.findings[0].rule == "damaged image");
}
