// `triage similar` on an ext4 image built at test time (mke2fs -d) from a folder with
// near-duplicate text files and images: the near duplicate is listed first, and what the scan
// stored equals the ssdeep and tlsh tools' digests of the same files.
#include "support/harness.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

namespace {

struct Line {
    int64_t file_id;
    int distance;
    std::string path;
};

std::vector<Line> similar(const std::string& case_dir, const std::string& id, const std::string& extra = "") {
    auto r = th::run(th::q(th::triage_bin()) + " similar " + th::q(case_dir) + " " + id + " " + extra);
    INFO("triage similar " << id << " " << extra << ": rc " << r.rc << "\n" << r.out << r.err);
    REQUIRE(r.rc == 0);
    std::vector<Line> out;
    std::istringstream in(r.out);
    std::string l;
    while (std::getline(in, l)) {
        std::istringstream f(l);
        Line x;
        REQUIRE(f >> x.file_id >> x.distance);
        f.get();
        std::getline(f, x.path);
        out.push_back(x);
    }
    return out;
}

}  // namespace

TEST_CASE("triage similar lists the near duplicate first", "[similarity]") {
    th::TempDir t;
    const std::string tree = t / "tree";
    std::filesystem::create_directories(tree);

    // Text: a report, the same report lightly edited, and an unrelated one.
    std::mt19937 rng(11);
    const char* a_words[] = {"suspect ", "device ", "seized ", "warrant ", "officer ", "the ", "and ", "\n"};
    const char* b_words[] = {"invoice ", "total ", "amount ", "customer ", "42 ", "EUR ", ";", "\n"};
    std::string a, b;
    while (a.size() < 60000) a += a_words[rng() % 8];
    while (b.size() < 60000) b += b_words[rng() % 8];
    std::string a2 = a;
    a2.replace(30000, 40, "this paragraph was changed by the editor");
    std::ofstream(tree + "/report.txt") << a;
    std::ofstream(tree + "/report-edited.txt") << a2;
    std::ofstream(tree + "/invoice.txt") << b;

    // Images: a photo, the same photo resized and saved as PNG, the photo turned 90 degrees,
    // and unrelated pictures.
    const std::string py =
        "import sys\nfrom PIL import Image\n"
        "src, other, other2, out = sys.argv[1:5]\n"
        "im = Image.open(src).convert('RGB').resize((640, 402))\n"
        "im.save(out + '/photo.jpg', quality=85)\n"
        "im.resize((320, 201)).save(out + '/photo-small.png')\n"
        "im.transpose(Image.Transpose.ROTATE_90).save(out + '/photo-turned.webp', quality=85)\n"
        "Image.open(other).save(out + '/street.jpg')\n"
        "Image.open(other2).convert('RGB').save(out + '/coaster.bmp')\n";
    std::ofstream(t / "mk.py") << py;
    auto r = th::run("/usr/bin/python3 " + th::q(t / "mk.py") + " " +
                     th::q(th::testdata("pdq/data/reg-test-input/dih/bridge-1-original.jpg")) + " " +
                     th::q(th::testdata("pdq/data/reg-test-input/labelme-subset/q1050.jpg")) + " " +
                     th::q(th::testdata("pdq/data/reg-test-input/pen-and-coaster.png")) + " " + th::q(tree));
    REQUIRE(r.rc == 0);

    const std::string img = t / "sim.img";
    REQUIRE(th::run("mke2fs -q -t ext4 -d " + th::q(tree) + " -F " + th::q(img) + " 16M").rc == 0);
    const std::string case_dir = t / "case";
    REQUIRE(th::scan({img}, case_dir) == 0);

    auto id = [&](const std::string& path) {
        std::string v = th::sql1(case_dir, "SELECT file_id FROM v_files WHERE path = '" + path + "'");
        INFO(path);
        REQUIRE(!v.empty());
        return v;
    };
    auto hash = [&](const std::string& path, const std::string& alg) {
        return th::sql1(case_dir, "SELECT value FROM hashes WHERE algorithm = '" + alg + "' AND file_id = " + id(path));
    };

    // What the scan stored: PDQ for the pictures, ssdeep and TLSH (as the tools print them) for text.
    for (const char* p : {"/photo.jpg", "/photo-small.png", "/photo-turned.webp", "/street.jpg", "/coaster.bmp"}) {
        INFO(p);
        CHECK(hash(p, "pdq").size() == 64);
        CHECK(hash(p, "pdq8").size() == 8 * 64 + 7);
        CHECK(!hash(p, "pdq_quality").empty());
        CHECK(hash(p, "tlsh").empty());
    }
    for (const char* name : {"report.txt", "report-edited.txt", "invoice.txt"}) {
        const std::string f = tree + "/" + name;
        auto s = th::run("ssdeep -s -b " + th::q(f)).out;
        s = s.substr(s.find('\n') + 1);
        CHECK(hash(std::string("/") + name, "ssdeep") == s.substr(0, s.find(",\"")));
        auto tl = th::run("tlsh -f " + th::q(f)).out;
        CHECK(hash(std::string("/") + name, "tlsh") == tl.substr(0, tl.find('\t')));
        CHECK(hash(std::string("/") + name, "pdq").empty());
    }

    // Images: the resized copy first, then the turned copy (through the 8 dihedral hashes).
    auto near_photo = similar(case_dir, id("/photo.jpg"));
    REQUIRE(near_photo.size() >= 2);
    CHECK(near_photo[0].path == "/photo-small.png");
    CHECK(near_photo[0].distance <= 31);
    CHECK(near_photo[1].path == "/photo-turned.webp");
    for (const auto& l : near_photo) CHECK((l.path != "/street.jpg" && l.path != "/coaster.bmp"));

    // Text, by TLSH (auto) and by ssdeep.
    auto near_report = similar(case_dir, id("/report.txt"));
    REQUIRE(!near_report.empty());
    CHECK(near_report[0].path == "/report-edited.txt");
    auto by_ssdeep = similar(case_dir, id("/report.txt"), "--algorithm ssdeep");
    REQUIRE(!by_ssdeep.empty());
    CHECK(by_ssdeep[0].path == "/report-edited.txt");
    CHECK(by_ssdeep[0].distance < 50);
    for (const auto& l : by_ssdeep) CHECK(l.path != "/invoice.txt");

    // --max-distance and --limit cut the list; a file with no such hash is a clear error.
    CHECK(similar(case_dir, id("/report.txt"), "--algorithm tlsh --max-distance 0").empty());
    CHECK(similar(case_dir, id("/photo.jpg"), "--limit 1").size() == 1);
    auto bad = th::run(th::q(th::triage_bin()) + " similar " + th::q(case_dir) + " " + id("/photo.jpg") +
                       " --algorithm tlsh");
    CHECK(bad.rc == 1);
    CHECK(bad.err.find("no TLSH digest") != std::string::npos);
    auto missing = th::run(th::q(th::triage_bin()) + " similar " + th::q(case_dir) + " 999999");
    CHECK(missing.rc == 1);
    CHECK(missing.err.find("no file 999999") != std::string::npos);
}
