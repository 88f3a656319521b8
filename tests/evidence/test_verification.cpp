// Acquisition hashes: triage's computed image hashes against md5sum/sha1sum/sha256sum (raw)
// and ewfverify (E01), and the verification verdict.
#include "support/harness.hpp"

#include <catch2/catch.hpp>

namespace {
std::string first_word(const std::string& s) { return s.substr(0, s.find_first_of(" \n")); }

// "MD5 hash calculated over data:\t\t<hex>" from ewfverify's output.
std::string ewfverify_value(const std::string& out, const std::string& label) {
    auto p = out.find(label);
    if (p == std::string::npos) return {};
    p = out.find_first_of("0123456789abcdef", out.find(':', p));
    return out.substr(p, out.find('\n', p) - p);
}
}  // namespace

TEST_CASE("raw image: acquisition hashes equal coreutils' and the verdict is 'no stored hash'", "[evidence]") {
    auto img = th::testdata("dftt/6-undel-fat/6-fat-undel.dd");
    th::TempDir t;
    REQUIRE(th::scan({img}, t / "case") == 0);
    CHECK(th::sql1(t / "case", "SELECT computed_md5 FROM v_evidence") == first_word(th::run("md5sum " + th::q(img)).out));
    CHECK(th::sql1(t / "case", "SELECT computed_sha1 FROM v_evidence") == first_word(th::run("sha1sum " + th::q(img)).out));
    CHECK(th::sql1(t / "case", "SELECT computed_sha256 FROM v_evidence") ==
          first_word(th::run("sha256sum " + th::q(img)).out));
    CHECK(th::sql1(t / "case", "SELECT verification FROM v_evidence") == "no stored hash");
    CHECK(th::sql1(t / "case", "SELECT format FROM v_evidence") == "raw");

    auto v = th::run(th::q(th::triage_bin()) + " verify-image " + th::q(img));
    CHECK(v.rc == 0);
    CHECK(v.out.find("no stored hash") != std::string::npos);
}

TEST_CASE("E01 images: stored hashes verified against ewfverify's own computation", "[evidence]") {
    for (const char* rel : {"sleuthkit/image.E01", "sleuthkit/imageformat_mmls_1.E01", "dfvfs/ext2.E01",
                            "dfvfs/ext2.split.E01", "plaso/image.E01"}) {
        SECTION(rel) {
            auto img = th::testdata(rel);
            auto ewf = th::run("ewfverify -q " + th::q(img));
            REQUIRE(ewf.rc == 0);
            std::string md5 = ewfverify_value(ewf.out, "MD5 hash calculated over data");
            REQUIRE(md5.size() == 32);
            th::TempDir t;
            REQUIRE(th::scan({img}, t / "case") == 0);
            CHECK(th::sql1(t / "case", "SELECT format FROM v_evidence") == "E01");
            CHECK(th::sql1(t / "case", "SELECT computed_md5 FROM v_evidence") == md5);
            CHECK(th::sql1(t / "case", "SELECT stored_md5 FROM v_evidence") == md5);
            CHECK(th::sql1(t / "case", "SELECT verification FROM v_evidence") == "verified");
            std::string sha1 = ewfverify_value(ewf.out, "SHA1 hash calculated over data");
            if (!sha1.empty()) CHECK(th::sql1(t / "case", "SELECT computed_sha1 FROM v_evidence") == sha1);
            // The media's SHA-256, by an independent reader: ewfexport to a raw file.
            auto exp = th::run("ewfexport -q -u -f raw -t " + th::q(t / "media") + " " + th::q(img) +
                               " >/dev/null && sha256sum " + th::q(t / "media.raw"));
            REQUIRE(exp.rc == 0);
            CHECK(th::sql1(t / "case", "SELECT computed_sha256 FROM v_evidence") == first_word(exp.out));

            auto v = th::run(th::q(th::triage_bin()) + " verify-image " + th::q(img));
            CHECK(v.rc == 0);
            CHECK(v.out.find("verification:    verified") != std::string::npos);
        }
    }
}

TEST_CASE("split raw: segments found from the first one", "[evidence]") {
    auto img = th::testdata("dfvfs/ext2.splitraw.000");
    th::TempDir t;
    REQUIRE(th::scan({img}, t / "case") == 0);
    CHECK(th::sql1(t / "case", "SELECT format FROM v_evidence") == "split raw");
    CHECK(th::sql1(t / "case", "SELECT json_array_length(segments) FROM evidence") == "2");
    auto cat = th::run("cat " + th::q(img) + " " + th::q(th::testdata("dfvfs/ext2.splitraw.001")) + " | md5sum");
    CHECK(th::sql1(t / "case", "SELECT computed_md5 FROM v_evidence") == first_word(cat.out));
}

TEST_CASE("VMDK and VHD open through The Sleuth Kit", "[evidence]") {
    for (const char* rel : {"dfvfs/ext2.vmdk", "dfvfs/ext2.vhd"}) {
        SECTION(rel) {
            th::TempDir t;
            REQUIRE(th::scan({th::testdata(rel)}, t / "case") == 0);
            auto fmt = th::sql1(t / "case", "SELECT format FROM v_evidence");
            CHECK((fmt == "vmdk" || fmt == "vhd"));
            // Same file system as ext2.raw: the same files with the same hashes.
            th::TempDir r;
            REQUIRE(th::scan({th::testdata("dfvfs/ext2.raw")}, r / "case") == 0);
            const char* q = "SELECT group_concat(path || ':' || ifnull(md5,'-'), ',') FROM (SELECT * FROM v_files ORDER BY path)";
            CHECK(th::sql1(t / "case", q) == th::sql1(r / "case", q));
        }
    }
}
