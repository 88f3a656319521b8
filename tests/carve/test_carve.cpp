// The carver ([carve]). Samples are made at test time by tests/carve/make_samples.py (Pillow,
// zipfile, sqlite3, wave under /usr/bin/python3, each checked with its format's reader there)
// plus /usr/bin/true for ELF; planted bytes are compared with sha256sum of the sample file.
// Per format: a valid item at offset 0, 65, across a page boundary and at the very end of a
// range; a corrupted one rejected (or, for PDF and ZIP, never reported complete); a truncated
// one flagged; random data. Then `triage carve` on a raw image, a FAT image scanned with
// --carve (carved items in v_files/v_carved with their offsets, hashes and YARA findings), and
// the DFTT 8-jpeg-search and 6-undel-fat images against their answer keys.
#include "carve/carver.hpp"
#include "support/harness.hpp"
#include "support/images.hpp"
#include "util/text.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

namespace fs = std::filesystem;
using triage::carve::Carver;
using triage::carve::CarverOptions;
using triage::carve::Item;

namespace {

struct Sample {
    std::string file, format, ext;
};

const std::vector<Sample>& samples() {
    static const std::vector<Sample> s = {
        {"sample.jpg", "jpeg", "jpg"},    {"progressive.jpg", "jpeg", "jpg"}, {"sample.png", "png", "png"},
        {"sample.gif", "gif", "gif"},     {"sample.bmp", "bmp", "bmp"},       {"sample.pdf", "pdf", "pdf"},
        {"sample.zip", "zip", "zip"},     {"sample.docx", "zip", "docx"},     {"sample.odt", "zip", "odt"},
        {"sample.sqlite", "sqlite", "sqlite"}, {"sample.mp4", "mp4", "mp4"},  {"sample.wav", "riff", "wav"},
        {"sample.webp", "riff", "webp"},  {"sample.avi", "riff", "avi"},      {"sample.exe", "pe", "exe"},
        {"sample.elf", "elf", "elf"},
    };
    return s;
}

// The samples folder, made once per test run.
const std::string& sample_dir() {
    static th::TempDir dir;
    static bool made = false;
    if (!made) {
        auto r = th::run("/usr/bin/python3 " + th::q(std::string(TRIAGE_SOURCE_DIR) + "/tests/carve/make_samples.py") +
                         " " + th::q(dir.path));
        INFO("make_samples.py needs /usr/bin/python3 with python3-pil: " << r.err);
        REQUIRE(r.rc == 0);
        REQUIRE(th::run("cp /usr/bin/true " + th::q(dir / "sample.elf")).rc == 0);
        // The formats' own readers, where Debian has one as a command.
        for (const char* z : {"sample.zip", "sample.docx", "sample.odt"}) REQUIRE(th::run("unzip -tq " + th::q(dir / z)).rc == 0);
        auto ic = th::run("sqlite3 " + th::q(dir / "sample.sqlite") + " 'PRAGMA integrity_check'");
        REQUIRE(ic.out == "ok\n");
        REQUIRE(th::run("objdump -f " + th::q(dir / "sample.exe") + " | grep -q pei-i386").rc == 0);
        made = true;
    }
    return dir.path;
}

std::string read_all(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    REQUIRE(in.good());
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

struct Found {
    uint64_t offset, length;
    std::string format, ext, sha256;
    bool truncated, cut;
};

// Carves `range` fed in blocks of `block` bytes, with a small page so that items cross pages.
std::vector<Found> carve(const std::string& range, size_t block = 4096, uint64_t page = 64 << 10,
                         uint64_t margin = 16 << 10, uint64_t cap = 256ull << 20) {
    std::vector<Found> out;
    CarverOptions opt;
    opt.page = page;
    opt.margin = margin;
    opt.item_cap = cap;
    Carver c(opt, [&](const Item& it) {
        out.push_back({it.offset, it.length, it.format->name, it.ext,
                       triage::util::sha256_hex(std::string_view(reinterpret_cast<const char*>(it.bytes.data()), it.bytes.size())),
                       it.truncated, it.cut_at_cap});
    });
    for (size_t off = 0; off < range.size(); off += block) {
        const size_t n = std::min(block, range.size() - off);
        c.feed(reinterpret_cast<const uint8_t*>(range.data() + off), n);
    }
    c.finish();
    return out;
}

// Random filler that holds no signature of any format (so that every item found is planted):
// a chance "BM", "MZ", 0xFF 0xD8 ... is broken by changing its first byte.
std::string filler(size_t n, uint32_t seed) {
    std::string s = th::img::random_bytes(n, seed);
    for (size_t i = 0; i < n; ++i) {
        const unsigned char c = static_cast<unsigned char>(s[i]);
        if (c == 0xFF || c == 0x89 || c == 'G' || c == 'B' || c == '%' || c == 'P' || c == 'S' || c == 'R' ||
            c == 0x7F || c == 'M' || c == 'f')
            s[i] = 'x';
    }
    return s;
}

std::string hex(uint64_t v) {
    std::ostringstream s;
    s << std::hex << v;
    return s.str();
}

}  // namespace

TEST_CASE("carver: every format at offset 0, 65, across a page boundary and at the end of a range", "[carve]") {
    const std::string dir = sample_dir();
    const uint64_t page = 64 << 10;
    for (const auto& s : samples()) {
        const std::string item = read_all(dir + "/" + s.file);
        const std::string want_sha = th::img::file_hash(dir + "/" + s.file);  // sha256sum, the oracle
        const size_t range = 512 << 10;
        const size_t straddle = item.size() / 2 < page ? page - item.size() / 2 : 1000;
        for (size_t at : {size_t{0}, size_t{65}, straddle, range - item.size()}) {
            for (size_t block : {size_t{4096}, size_t{777}, size_t{1} << 20}) {
                std::string r = filler(range, static_cast<uint32_t>(at + block));
                r.replace(at, item.size(), item);
                INFO(s.file << " (" << item.size() << " bytes) at " << at << ", blocks of " << block);
                auto found = carve(r, block, page);
                REQUIRE(found.size() == 1);
                CHECK(found[0].offset == at);
                CHECK(found[0].length == item.size());
                CHECK(found[0].format == s.format);
                CHECK(found[0].ext == s.ext);
                CHECK_FALSE(found[0].truncated);
                CHECK(found[0].sha256 == want_sha);
            }
        }
    }
}

TEST_CASE("carver: two items back to back and an item inside another are carved once each", "[carve]") {
    const std::string dir = sample_dir();
    const std::string a = read_all(dir + "/sample.jpg"), b = read_all(dir + "/sample.png");
    const std::string zip = read_all(dir + "/sample.zip");
    std::string r = filler(100, 1) + a + b + filler(3000, 2) + zip + filler(100, 3);
    auto found = carve(r);
    REQUIRE(found.size() == 3);
    CHECK(found[0].offset == 100);
    CHECK(found[1].offset == 100 + a.size());
    CHECK(found[2].format == "zip");
    // An EXIF-style thumbnail: a JPEG inside a JPEG's APP segment is part of the outer item.
    std::string outer = a;
    const std::string thumb = read_all(dir + "/progressive.jpg").substr(0, 20000);
    std::string app = "\xFF\xE1";
    const size_t seg = 2 + 6 + thumb.size();
    app += static_cast<char>(seg >> 8);
    app += static_cast<char>(seg & 0xFF);
    app += std::string("Exif\0\0", 6) + thumb;
    outer.insert(2, app);
    found = carve(filler(50, 4) + outer + filler(50, 5));
    REQUIRE(found.size() == 1);
    CHECK(found[0].length == outer.size());
}

TEST_CASE("carver: corrupted items are rejected (PDF and ZIP: never reported complete)", "[carve]") {
    const std::string dir = sample_dir();
    // file, what to damage, and whether the carver must reject it outright.
    struct Damage {
        std::string file;
        std::function<void(std::string&)> hurt;
        bool rejected;
    };
    const std::vector<Damage> damages = {
        {"sample.jpg", [](std::string& s) { s[s.find("\xFF\xDB")+ 1] = 0x02; }, true},   // broken marker
        {"sample.png", [](std::string& s) { s[s.find("IDAT") + 100] ^= 0x55; }, true},  // bad CRC
        {"sample.gif", [](std::string& s) { s[6] = 0; s[7] = 0; }, true},                // zero width
        {"sample.bmp", [](std::string& s) { s[14] = 41; }, true},                        // DIB header size
        {"sample.sqlite", [](std::string& s) { s[16] = 0x03; s[17] = 0xE8; }, true},     // page size 1000
        {"sample.mp4", [](std::string& s) { s[3] = 7; }, true},                          // ftyp size
        {"sample.wav", [](std::string& s) { s[11] = 'X'; }, true},                       // form type
        {"sample.elf", [](std::string& s) { s[0x34] = 0; s[0x35] = 0; }, true},          // e_ehsize
        {"sample.exe", [](std::string& s) { s[0x81] = 'X'; }, true},                     // "PE\0\0"
        {"sample.pdf", [](std::string& s) { s.replace(s.rfind("startxref"), 9, "startxreX"); }, false},
        {"sample.zip", [](std::string& s) { s[s.size() - 6] ^= 0x10; }, false},          // EOCD's directory offset
    };
    for (const auto& d : damages) {
        std::string item = read_all(dir + "/" + d.file);
        d.hurt(item);
        INFO(d.file);
        auto found = carve(filler(1000, 7) + item + filler(5000, 8));
        for (const auto& f : found) {
            if (f.offset != 1000) continue;
            CHECK_FALSE(d.rejected);
            CHECK(f.truncated);
        }
    }
}

TEST_CASE("carver: truncated items are carved with the bytes that exist and flagged", "[carve]") {
    const std::string dir = sample_dir();
    for (const auto& s : samples()) {
        const std::string item = read_all(dir + "/" + s.file);
        const size_t cut = item.size() * 6 / 10;
        // The range ends inside the item.
        const std::string head = filler(3000, 9);
        auto found = carve(head + item.substr(0, cut));
        INFO(s.file << " cut at " << cut << " of " << item.size());
        const auto prefix_sha =
            th::img::first_word(th::run("head -c " + std::to_string(cut) + " " + th::q(dir + "/" + s.file) + " | sha256sum").out);
        REQUIRE(found.size() == 1);
        CHECK(found[0].offset == head.size());
        CHECK(found[0].truncated);
        CHECK(found[0].length == cut);
        CHECK(found[0].sha256 == prefix_sha);
    }
    // A JPEG cut inside its scan data and followed by other bytes: carved to where its data
    // stops making sense, flagged, and every written byte is in the item.
    const std::string jpg = read_all(dir + "/sample.jpg");
    const size_t cut = jpg.size() / 2;
    const std::string range = filler(512, 10) + jpg.substr(0, cut) + th::img::random_bytes(200000, 11);
    auto found = carve(range);
    REQUIRE_FALSE(found.empty());
    CHECK(found[0].offset == 512);
    CHECK(found[0].truncated);
    CHECK(found[0].length >= cut);
    CHECK(found[0].length < cut + 200000);
    CHECK(found[0].sha256 == triage::util::sha256_hex(std::string_view(range).substr(512, found[0].length)));
}

TEST_CASE("carver: an item longer than the item cap is cut at the cap and flagged", "[carve]") {
    const std::string dir = sample_dir();
    const std::string png = read_all(dir + "/sample.png");
    auto found = carve(filler(100, 12) + png + filler(100, 13), 4096, 16 << 10, 4 << 10, 64 << 10);
    REQUIRE(found.size() == 1);
    CHECK(found[0].cut);
    CHECK(found[0].truncated);
    CHECK(found[0].length == (64u << 10));
}

TEST_CASE("carver: random data and zeros yield no items", "[carve]") {
    // 64 MiB of unfiltered pseudo-random bytes (every signature occurs by chance: "BM" and "MZ"
    // about a thousand times each) and 8 MiB of zeros. Measured: no item.
    auto found = carve(th::img::random_bytes(64 << 20, 2026), 1 << 20, 16 << 20, 4 << 20);
    for (const auto& f : found) UNSCOPED_INFO("chance item: " << f.format << " at " << f.offset << ", " << f.length);
    CHECK(found.size() == 0);
    CHECK(carve(std::string(8 << 20, '\0'), 1 << 20).empty());
}

TEST_CASE("triage carve: a raw image into a folder, with a manifest whose hashes sha256sum confirms", "[carve]") {
    const std::string dir = sample_dir();
    th::TempDir t;
    // Items at unaligned offsets between random bytes, the last one ending the image.
    std::string image = filler(4096 + 3, 20);
    std::map<uint64_t, std::string> planted;  // offset -> sample file
    for (const auto& s : samples()) {
        planted[image.size()] = s.file;
        image += read_all(dir + "/" + s.file) + filler(1000 + image.size() % 777, static_cast<uint32_t>(image.size()));
    }
    const std::string last = read_all(dir + "/sample.pdf");
    planted[image.size()] = "sample.pdf";
    image += last;
    th::img::write_file(t / "disk.raw", image);
    auto r = th::run(th::q(th::triage_bin()) + " carve " + th::q(t / "disk.raw") + " --to " + th::q(t / "out"));
    INFO(r.err);
    REQUIRE(r.rc == 0);
    std::ifstream man(t / "out/manifest.csv");
    std::string line;
    std::getline(man, line);
    CHECK(line == "offset,length,format,type,truncated,cut_at_cap,sha256,file");
    size_t rows = 0;
    while (std::getline(man, line)) {
        ++rows;
        std::vector<std::string> f;
        std::stringstream ss(line);
        for (std::string x; std::getline(ss, x, ',');) f.push_back(x);
        REQUIRE(f.size() == 8);
        const uint64_t off = std::stoull(f[0]);
        INFO(line);
        REQUIRE(planted.count(off) == 1);
        const std::string src = dir + "/" + planted[off];
        CHECK(std::stoull(f[1]) == fs::file_size(src));
        CHECK(f[4] == "0");
        CHECK(f[6] == th::img::file_hash(src));
        CHECK(th::img::file_hash(t / ("out/" + f[7])) == f[6]);
        CHECK(f[7].rfind("0x" + std::string(10 - hex(off).size(), '0') + hex(off) + ".", 0) == 0);
    }
    CHECK(rows == planted.size());
    // Nothing is overwritten: a second run into the same folder is refused.
    CHECK(th::run(th::q(th::triage_bin()) + " carve " + th::q(t / "disk.raw") + " --to " + th::q(t / "out")).rc == 2);
    CHECK(th::run(th::q(th::triage_bin()) + " carve " + th::q(t / "disk.raw") + " --to " + th::q(t / "o2") +
                  " --formats jpeg,nosuch").rc == 2);
}

TEST_CASE("scan --carve: files deleted from FAT come back from unallocated clusters as carved files", "[carve]") {
    const std::string dir = sample_dir();
    th::TempDir t;
    const std::string img = t / "fat.img", mt = "MTOOLS_SKIP_CHECK=1 ";
    REQUIRE(th::run("truncate -s 16M " + th::q(img) + " && mkfs.vfat -F 16 -n CARVE " + th::q(img) + " >/dev/null").rc == 0);
    const std::vector<std::string> gone = {"sample.jpg", "sample.png", "sample.pdf", "sample.docx", "sample.sqlite",
                                           "sample.elf"};
    for (const auto& f : gone) REQUIRE(th::run(mt + "mcopy -i " + th::q(img) + " " + th::q(dir + "/" + f) + " ::" + f).rc == 0);
    REQUIRE(th::run(mt + "mcopy -i " + th::q(img) + " " + th::q(dir + "/sample.gif") + " ::keep.gif").rc == 0);
    for (const auto& f : gone) REQUIRE(th::run(mt + "mdel -i " + th::q(img) + " ::" + f).rc == 0);
    // A rule that matches the EXIF camera name inside the JPEG.
    th::img::write_file(t / "r.yar", "rule exif_camera { strings: $a = \"TriageTestCam\" condition: $a }\n");
    REQUIRE(th::scan({img}, t / "case", "--carve --option yara.default_rules=false --rules " + th::q(t / "r.yar")) == 0);
    const std::string c = t / "case";
    CHECK(th::sql_int(c, "SELECT count(*) FROM v_carved") == static_cast<int64_t>(gone.size()));
    CHECK(th::sql_int(c, "SELECT count(*) FROM v_errors") == 0);
    for (const auto& f : gone) {
        const std::string sha = th::img::file_hash(dir + "/" + f);
        INFO(f);
        const std::string id = th::sql1(c, "SELECT file_id FROM v_carved WHERE sha256='" + sha + "'");
        REQUIRE_FALSE(id.empty());
        // In v_files: not allocated, marked carved, hashed (MD5 too, the hash detector ran).
        CHECK(th::sql1(c, "SELECT allocated || origin FROM v_files WHERE file_id=" + id) == "0carved");
        CHECK(th::sql1(c, "SELECT md5 FROM v_files WHERE file_id=" + id) == th::img::file_hash(dir + "/" + f, "md5sum"));
        // The image offset is where these bytes are in the image (read back with dd).
        const std::string off = th::sql1(c, "SELECT image_offset FROM v_carved WHERE file_id=" + id);
        const std::string len = th::sql1(c, "SELECT length FROM v_carved WHERE file_id=" + id);
        CHECK(len == std::to_string(fs::file_size(dir + "/" + f)));
        auto dd = th::run("tail -c +" + std::to_string(std::stoull(off) + 1) + " " + th::q(img) + " | head -c " + len +
                          " | sha256sum");
        CHECK(th::img::first_word(dd.out) == sha);
        CHECK(th::sql1(c, "SELECT path FROM v_files WHERE file_id=" + id).find("/0x" + std::string(10 - hex(std::stoull(off)).size(), '0') +
                                                                               hex(std::stoull(off)) + ".") != std::string::npos);
        CHECK(th::sql1(c, "SELECT truncated FROM v_carved WHERE file_id=" + id) == "0");
    }
    // YARA ran over the carved JPEG (and over the deleted file TSK still lists).
    CHECK(th::sql_int(c, "SELECT count(*) FROM v_findings f JOIN files x ON x.file_id = f.file_id WHERE x.origin='carved' "
                         "AND f.detector='yara' AND f.rule='exif_camera'") == 1);
    // The kept file's clusters are allocated: never carved.
    CHECK(th::sql_int(c, "SELECT count(*) FROM v_carved WHERE sha256='" + th::img::file_hash(dir + "/sample.gif") + "'") == 0);
    // The same evidence again: recognised, nothing added.
    REQUIRE(th::scan({img}, c, "--carve") == 0);
    CHECK(th::sql_int(c, "SELECT count(*) FROM v_carved") == static_cast<int64_t>(gone.size()));
}

TEST_CASE("scan --carve: an image with no file system is carved whole; items belong to fs_type 'none'", "[carve]") {
    const std::string dir = sample_dir();
    th::TempDir t;
    std::string image = filler(70000 + 13, 30);
    std::map<uint64_t, std::string> planted;
    for (const auto& s : samples()) {
        planted[image.size()] = s.file;
        image += read_all(dir + "/" + s.file) + filler(5000 + image.size() % 511, static_cast<uint32_t>(image.size()));
    }
    th::img::write_file(t / "dump.raw", image);
    REQUIRE(th::scan({t / "dump.raw"}, t / "case", "--enable hash,carve") == 0);
    const std::string c = t / "case";
    CHECK(th::sql1(c, "SELECT group_concat(kind) FROM unalloc_ranges") == "no_filesystem");
    CHECK(th::sql_int(c, "SELECT count(*) FROM v_carved") == static_cast<int64_t>(planted.size()));
    for (const auto& [off, file] : planted) {
        INFO(file << " at " << off);
        CHECK(th::sql1(c, "SELECT sha256 FROM v_carved WHERE image_offset=" + std::to_string(off)) ==
              th::img::file_hash(dir + "/" + file));
        CHECK(th::sql1(c, "SELECT fs_type || allocated || origin FROM v_files WHERE file_id=(SELECT file_id FROM v_carved "
                          "WHERE image_offset=" + std::to_string(off) + ")") == "none0carved");
    }
    // ZIP members are not extracted by this version's detectors; the carved ZIPs are one row each.
    CHECK(th::sql_int(c, "SELECT count(*) FROM files WHERE origin='extracted'") == 0);
}

TEST_CASE("DFTT 8-jpeg-search and 6-undel-fat: carving the whole image against the answer keys", "[carve]") {
    th::TempDir t;
    const std::string img = th::testdata("dftt/8-jpeg-search/8-jpeg-search.dd");
    auto r = th::run(th::q(th::triage_bin()) + " carve -q " + th::q(img) + " --to " + th::q(t / "out"));
    REQUIRE(r.rc == 0);
    std::map<std::string, std::string> md5_type;  // md5 of each carved file -> its type
    std::ifstream man(t / "out/manifest.csv");
    std::string line;
    std::getline(man, line);
    while (std::getline(man, line)) {
        const std::string file = line.substr(line.rfind(',') + 1);
        md5_type[th::img::file_hash(t / ("out/" + file), "md5sum")] = file.substr(file.rfind('.') + 1);
    }
    // index.html's answer key: the JPEGs stored whole and contiguous (allocated, wrong extension,
    // deleted x2) and the two ZIP files are carved byte-exact.
    for (const char* md5 : {"75b8d00568815a36c3809b46fc84ba6d", "de5d83153339931371719f4e5c924eba",
                            "afd55222024a4e22f7f5a3a665320763", "0c452c5800fcfa7c66027ae89c4f068a"}) {
        INFO("JPEG " << md5);
        CHECK(md5_type[md5] == "jpg");
    }
    CHECK(md5_type["d41b56e0a9f84eb2825e73c24cedd963"] == "zip");
    CHECK(md5_type["73c3029066aee9416a5aeb98a5c55321"] == "zip");
    // The decoys (random data with a .jpg name, 0xFFD8 and nothing else, 0xFFD8 scattered in RTF)
    // are not carved.
    for (const char* md5 : {"1ba4e91591f0541eda255ee26f7533bc", "c8de721102617158e8492121bdad3711", "86f14fc525648c39d878829f288c0543"})
        CHECK(md5_type.count(md5) == 0);
    // Scanned with --carve, only the NTFS free clusters are carved: the two deleted JPEGs
    // (MFT entries 31 and 32), byte-exact by the key's MD5s, and nothing an allocated file holds.
    REQUIRE(th::scan({img}, t / "case", "--enable hash,carve") == 0);
    CHECK(th::sql1(t / "case", "SELECT group_concat(md5, ' ') FROM (SELECT v.md5 FROM v_carved c JOIN v_files v USING "
                               "(file_id) ORDER BY c.image_offset)") ==
          "0c452c5800fcfa7c66027ae89c4f068a afd55222024a4e22f7f5a3a665320763");
    // 6-undel-fat holds text-like .dat files: nothing of a carved format, and nothing is carved.
    const std::string fat = th::testdata("dftt/6-undel-fat/6-fat-undel.dd");
    REQUIRE(th::run(th::q(th::triage_bin()) + " carve -q " + th::q(fat) + " --to " + th::q(t / "fat")).rc == 0);
    CHECK(th::run("wc -l < " + th::q(t / "fat/manifest.csv")).out == "1\n");
}
