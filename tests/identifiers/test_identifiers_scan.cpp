// The identifiers detector in a real scan of a FAT image built at test time (mkfs.vfat + mcopy,
// one file deleted with mdel): file hits carry file offsets, hits in the freed cluster carry
// image offsets that `grep -boa` finds in the image, and `triage identifiers` prints the same
// histogram as v_identifiers.
#include "support/harness.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>
#include <string>

TEST_CASE("identifiers in a scan: files, unallocated space, the histogram command", "[identifiers]") {
    th::TempDir dir;
    const std::string iban = "MD24AG000225100013104168", mail = "vasile.rusu@example.md", card = "5555555555554444";
    {
        std::ofstream(dir / "a.txt") << "Plata: " << iban << "\nContact " << mail << "\n";
        std::ofstream(dir / "b.txt") << "IBAN " << iban << " (copie)\n";
        std::ofstream(dir / "gone.txt") << "Card " << card << " expira 12/27 " << std::string(600, '.') << "\n";
    }
    const std::string img = dir / "img.raw";
    REQUIRE(th::run("dd if=/dev/zero of=" + th::q(img) + " bs=1M count=4 2>/dev/null && mkfs.vfat " + th::q(img) +
                    " >/dev/null && mcopy -i " + th::q(img) + " " + th::q(dir / "a.txt") + " " + th::q(dir / "b.txt") +
                    " " + th::q(dir / "gone.txt") + " ::/ && mdel -i " + th::q(img) + " ::/gone.txt")
                .rc == 0);
    REQUIRE(th::scan({img}, dir / "case", "--enable hash,identifiers") == 0);
    const std::string c = dir / "case";

    CHECK(th::sql1(c, "SELECT offset FROM v_findings f JOIN v_files v USING(file_id) WHERE v.path='/a.txt' AND f.rule='iban'") ==
          "7");
    CHECK(th::sql1(c, "SELECT offset FROM v_findings f JOIN v_files v USING(file_id) WHERE v.path='/b.txt' AND f.rule='iban'") ==
          "5");
    // The deleted file's cluster is unallocated: the card is found there at its image offset
    // (and possibly also in the deleted file TSK still lists, at its file offset 5).
    auto g = th::run("grep -boa " + card + " " + th::q(img) + " | cut -d: -f1");
    REQUIRE(g.rc == 0);
    std::string image_off = g.out.substr(0, g.out.find('\n'));
    CHECK(th::sql1(c, "SELECT group_concat(offset) FROM v_findings WHERE rule='card' AND file_id IS NULL") == image_off);

    CHECK(th::sql1(c, "SELECT hits || '/' || files FROM v_identifiers WHERE type='iban' AND value='" + iban + "'") == "2/2");
    auto r = th::run(th::q(th::triage_bin()) + " identifiers " + th::q(c) + " --type iban");
    REQUIRE(r.rc == 0);
    CHECK(r.out == "type\tvalue\thits\tfiles\niban\t" + iban + "\t2\t2\n");
    r = th::run(th::q(th::triage_bin()) + " identifiers " + th::q(c) + " --no-header");
    REQUIRE(r.rc == 0);
    CHECK(r.out.find("email\t" + mail + "\t1\t1\n") != std::string::npos);
}
