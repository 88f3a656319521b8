// Large objects whose streaming detectors run in groups on several threads (--split-objects-mib):
// the file hashes equal sha256sum's and md5sum's, the YARA matches equal the yara CLI's, a picture
// inside a file comes out as a child with the picture's sha256sum, and every hash, property and
// finding equals those of the same scan with the split off.
#include "support/harness.hpp"
#include "support/images.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

// The non-empty lines of a tool's output.
std::vector<std::string> lines(const std::string& text) {
    std::vector<std::string> out;
    for (size_t pos = 0; pos < text.size();) {
        size_t nl = text.find('\n', pos);
        if (nl == std::string::npos) nl = text.size();
        if (nl > pos) out.push_back(text.substr(pos, nl - pos));
        pos = nl + 1;
    }
    return out;
}

// Every (path, what) a scan recorded about files: hashes, properties and findings.
std::set<std::string> facts(const std::string& case_dir) {
    std::set<std::string> out;
    auto r = th::run("sqlite3 -separator ' | ' " + th::q(case_dir + "/index.db") +
                     " \"SELECT f.path, 'hash', h.algorithm, h.value FROM hashes h JOIN files f USING (file_id)"
                     " UNION ALL SELECT f.path, 'property', p.detector || '.' || p.key, p.value FROM properties p JOIN files f USING (file_id)"
                     " UNION ALL SELECT f.path, 'finding', x.detector || ' ' || x.kind || ' ' || coalesce(x.rule, '') || ' @' ||"
                     " coalesce(x.offset, -1), coalesce(x.detail, '') FROM findings x JOIN files f USING (file_id)\"");
    REQUIRE(r.rc == 0);
    for (auto& line : lines(r.out)) out.insert(std::move(line));
    return out;
}

}  // namespace

TEST_CASE("a large object's detectors split over threads give the same results as in one", "[engine]") {
    th::TempDir t;
    const std::string tree = t / "tree", img = t / "split.img", rules = t / "planted.yar";
    fs::create_directories(tree + "/big");
    const std::string jpeg = th::img::read_all(th::testdata("pdq/data/reg-test-input/dih/bridge-1-original.jpg"));
    // Files of 2-6 MiB (split at 1 MiB) and small ones (never split); each big one carries an
    // e-mail address, a card number and a YARA string at places that straddle the 1 MiB blocks.
    for (int i = 0; i < 5; ++i) {
        std::string data = th::img::random_bytes((2u << 20) + static_cast<size_t>(i) * (1u << 20) + 12345, 7000 + i);
        const std::string plant = "contact ivan.petrenko" + std::to_string(i) + "@example.com.ua card 4111111111111111 ";
        data.replace((1u << 20) - 20, plant.size(), plant);
        if (i % 2 == 0) data.replace(data.size() - 5000, 22, "TRIAGE-SPLIT-MARKER-" + std::to_string(i) + "!");
        if (i % 2 == 1) data.replace((2u << 20) - 3000, jpeg.size(), jpeg);  // a picture inside, across two blocks
        th::img::write_file(tree + "/big/file" + std::to_string(i) + ".bin", data);
    }
    for (int i = 0; i < 20; ++i)
        th::img::write_file(tree + "/small" + std::to_string(i) + ".txt",
                            "note " + std::to_string(i) + " TRIAGE-SPLIT-MARKER-s " + th::img::random_bytes(3000, 90 + i));
    th::img::write_file(rules, "rule split_marker { strings: $a = \"TRIAGE-SPLIT-MARKER-\" condition: $a }\n");
    REQUIRE(th::run("mke2fs -q -t ext2 -d " + th::q(tree) + " -F " + th::q(img) + " 64M").rc == 0);

    const std::string common = " --preset full --option yara.default_rules=false --rules " + th::q(rules);
    REQUIRE(th::scan({img}, t / "split", common + " --split-objects-mib 1") == 0);
    REQUIRE(th::scan({img}, t / "whole", common + " --split-objects-mib 0") == 0);

    // The hashes of every file against sha256sum and md5sum of the source tree.
    int checked = 0;
    for (const auto& e : fs::recursive_directory_iterator(tree)) {
        if (!e.is_regular_file()) continue;
        const std::string rel = fs::relative(e.path(), tree).string();
        const std::string where = " FROM v_files WHERE path='/" + rel + "'";
        CHECK(th::sql1(t / "split", "SELECT sha256" + where) == th::img::file_hash(e.path().string(), "sha256sum"));
        CHECK(th::sql1(t / "split", "SELECT md5" + where) == th::img::file_hash(e.path().string(), "md5sum"));
        ++checked;
    }
    CHECK(checked == 25);

    // YARA: the yara CLI over the source tree is the oracle.
    std::set<std::string> cli, ours;
    auto y = th::run("cd " + th::q(tree) + " && yara -w -r " + th::q(rules) + " .");
    REQUIRE(y.rc == 0);
    for (const auto& line : lines(y.out))
        cli.insert(line.substr(0, line.find(' ')) + " /" + line.substr(line.find(' ') + 3));  // "rule ./path"
    auto m = th::run("sqlite3 " + th::q(t / "split/index.db") +
                     " \"SELECT x.rule || ' ' || f.path FROM findings x JOIN files f USING (file_id) WHERE x.detector='yara'\"");
    for (auto& line : lines(m.out)) ours.insert(std::move(line));
    CHECK(cli.size() == 23);  // three big files and the twenty small ones
    CHECK(ours == cli);

    // The pictures inside (emitted by the embedded detector while the blocks stream, so from
    // whichever group ran it) are children with the picture's own hash.
    const std::string want = th::img::file_hash(th::testdata("pdq/data/reg-test-input/dih/bridge-1-original.jpg"));
    for (const char* parent : {"/big/file1.bin>%", "/big/file3.bin>%"})
        CHECK(th::sql_int(t / "split", std::string("SELECT count(*) FROM v_files WHERE path LIKE '") + parent +
                                           "' AND sha256='" + want + "'") == 1);

    // Split and unsplit scans agree on everything they recorded about the files.
    const auto split = facts(t / "split"), whole = facts(t / "whole");
    CHECK(split.size() > 100);
    CHECK(split == whole);
    // The identifiers of the big files were found (the split ran the identifiers detector too).
    CHECK(th::sql_int(t / "split", "SELECT count(*) FROM findings x JOIN files f USING (file_id) WHERE "
                                   "x.kind='identifier' AND f.path LIKE '/big/%' AND x.detail LIKE '%@example.com.ua%'") >= 5);
}
