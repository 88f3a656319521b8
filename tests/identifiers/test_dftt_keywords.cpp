// DFTT #2 "FAT Keyword Search" (Brian Carrier): every answer of the key (index.html: string,
// sector, offset) is found at exactly the sector and offset the key gives: in file content, in
// unallocated clusters, in file slack (file_slack ranges, whose seam margins also catch a string
// running from a file into its slack, from slack into the next file, or from one file's last
// byte into the next file), and in the root directory (fs_metadata). File offsets become image
// offsets through the file's sector list as The Sleuth Kit's istat prints it; the slack and
// directory sectors are checked against TSK too (blkls -s, istat of the root directory).
#include "support/harness.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace {

struct Answer {
    int num = 0;  // 0 for the key's unnumbered row
    std::string term, file, note;
    uint64_t at = 0;  // sector * 512 + offset
};

std::string slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

// The "Standard Terms" table of the key.
std::vector<Answer> parse_key(const std::string& html) {
    std::vector<Answer> out;
    std::regex row(R"(<TD>\s*(\d+|&nbsp;)\s*</TD><TD>([^<]+)</TD><TD>\s*(\d+)\s*</TD><TD>\s*(\d+)\s*</TD><TD>([^<]*)</TD><TD>([^<]*))");
    for (std::sregex_iterator it(html.begin(), html.end(), row), end; it != end; ++it) {
        const auto& m = *it;
        Answer a;
        a.num = m[1] == "&nbsp;" ? 0 : std::stoi(m[1]);
        a.term = m[2];
        a.at = std::stoull(m[3]) * 512 + std::stoull(m[4]);
        a.file = m[5];
        a.note = m[6];
        out.push_back(a);
    }
    return out;
}

std::vector<uint64_t> sectors_of(const std::string& img, int64_t meta_addr) {
    auto r = th::run("istat -f fat " + th::q(img) + " " + std::to_string(meta_addr));
    REQUIRE(r.rc == 0);
    auto pos = r.out.find("Sectors:");
    REQUIRE(pos != std::string::npos);
    std::vector<uint64_t> out;
    std::istringstream in(r.out.substr(pos + 8));
    for (uint64_t s; in >> s;) out.push_back(s);
    return out;
}

}  // namespace

TEST_CASE("DFTT 2-kwsrch-fat: every answer at the key's sector and offset", "[identifiers]") {
    const std::string img = th::testdata("dftt/2-kwsrch-fat/fat-img-kw.dd");
    const std::string image = slurp(img);
    auto answers = parse_key(slurp(th::testdata("dftt/2-kwsrch-fat/index.html")));
    REQUIRE(answers.size() == 13);  // 12 numbered rows and the unnumbered dentry row

    // The key's offset for #10 points at the two spaces before "2fragment" (the note says the
    // string crosses sectors "on ' '"); the image's own bytes decide where the string starts.
    for (auto& a : answers) {
        const size_t in_sector = 512 - a.at % 512;
        const std::string head = a.term.substr(0, std::min(a.term.size(), in_sector));
        size_t d = 0;
        while (d < 8 && image.compare(a.at + d, std::min(head.size(), in_sector - d), head, 0,
                                      std::min(head.size(), in_sector - d)) != 0)
            ++d;
        CAPTURE(a.num, a.term);
        REQUIRE(d < 8);
        CHECK((d == 0 || a.num == 10));
        a.at += d;
    }

    // Where TSK puts the answers the file content cannot give. blkls -s writes each file's last
    // sector with the content zeroed: every "slack" answer reaches into the slack of its sector.
    auto slack = th::run("blkls -s " + th::q(img));
    REQUIRE(slack.rc == 0);
    REQUIRE(slack.out.size() % 512 == 0);
    for (const auto& a : answers) {
        if (a.note.find("slack") == std::string::npos) continue;
        CAPTURE(a.num, a.term);
        const uint64_t sector = a.at / 512, in = a.at % 512;
        bool reaches = false;
        for (size_t b = 0; b < slack.out.size(); b += 512) {
            size_t cut = 0;
            while (cut < 512 && slack.out[b + cut] == 0) ++cut;
            if (cut < 512 && slack.out.compare(b + cut, 512 - cut, image, sector * 512 + cut, 512 - cut) == 0)
                reaches = reaches || in + a.term.size() > cut;
        }
        CHECK(reaches);
    }
    // ... and the root directory's sectors (istat of inode 2) hold the dentry answer.
    const auto root = sectors_of(img, 2);
    REQUIRE(!root.empty());
    for (const auto& a : answers)
        if (a.note.find("dentry") != std::string::npos) CHECK((a.at / 512 >= root.front() && a.at / 512 <= root.back()));

    // The key's terms, and its variations (#13 case-insensitive, #14-#20 regular expressions).
    th::TempDir dir;
    std::string kw;
    std::set<std::string> seen;
    for (const auto& a : answers)
        if (seen.insert(a.term).second) kw += "lit:" + a.term + "\n";
    const std::map<std::string, std::vector<int>> variations = {
        // term -> numbers of the answers the key says it "should find"
        {"FirST", {1}},
        {"re:f[[:alpha:]]rst", {1}},
        {"re:f[a-z]r[0-9]?s[[:space:]]*t", {1}},
        {"re:d[a-z]l.?t.?d", {11}},
        {"re:[r-t][[:space:]]?[j-m][[:space:]]?[a-c]{2,2}[[:space:]]?[j-m]", {6, 7, 8}},
        {"re:[1572943][[:space:]]?fr.{2,3}ent[[:space:]]?", {9, 10}},
        {"re:a\\??[a-c]\\\\*[a-c]\\**", {12}},
        {"re:[[:alpha:]]\\??x?y?Q?[a-c]\\\\*u*[a-c]\\**d\\$[0-9]*e#", {12}},
    };
    for (const auto& [t, _] : variations) kw += t + "\n";
    std::ofstream(dir / "kw.txt") << kw;

    REQUIRE(th::scan({img}, dir / "case", "--enable keywords,hash --keywords " + th::q(dir / "kw.txt")) == 0);
    // The ranges the scan recorded: the three slack areas and the root directory among them.
    CHECK(th::sql_int(dir / "case", "SELECT count(*) FROM unalloc_ranges WHERE kind = 'file_slack'") >= 3);
    CHECK(th::sql_int(dir / "case", "SELECT count(*) FROM unalloc_ranges WHERE kind = 'fs_metadata' AND start_offset <= " +
                                        std::to_string(root.front() * 512) + " AND start_offset + length >= " +
                                        std::to_string((root.back() + 1) * 512)) == 1);
    // (rule, image offset) of every keyword finding, counted separately for file content and
    // for ranges (a deleted file's clusters are also unallocated: one hit in each is right).
    std::map<std::pair<std::string, uint64_t>, int> in_files, in_ranges;
    std::istringstream rows(th::sql1(dir / "case",
                                     "SELECT group_concat(f.rule || char(9) || f.offset || char(9) || "
                                     "coalesce(v.meta_addr, -1), char(10)) FROM v_findings f LEFT JOIN v_files v "
                                     "ON v.file_id = f.file_id WHERE f.kind = 'keyword'"));
    std::map<int64_t, std::vector<uint64_t>> sectors;
    for (std::string l; std::getline(rows, l);) {
        auto t1 = l.find('\t'), t2 = l.rfind('\t');
        const std::string rule = l.substr(0, t1);
        const uint64_t off = std::stoull(l.substr(t1 + 1, t2 - t1 - 1));
        const int64_t meta = std::stoll(l.substr(t2 + 1));
        if (meta < 0) {  // a range: the offset is already an image offset
            ++in_ranges[{rule, off}];
            continue;
        }
        if (!sectors.count(meta)) sectors[meta] = sectors_of(img, meta);
        const auto& s = sectors[meta];
        REQUIRE(off / 512 < s.size());
        ++in_files[{rule, s[off / 512] * 512 + off % 512}];
    }
    for (const auto& m : {in_files, in_ranges})
        for (const auto& [k, n] : m) {
            CAPTURE(k.first, k.second);
            CHECK(n == 1);  // once per location
        }
    auto found = [&](const std::string& rule, uint64_t at) { return in_files.count({rule, at}) + in_ranges.count({rule, at}); };

    for (const auto& a : answers) {
        CAPTURE(a.num, a.term, a.note, a.at);
        CHECK(found(a.term, a.at) >= 1);
        // Where the key says the string is not (only) in one file's content, the file content
        // cannot give it: a range does.
        if (a.note.find("slack") != std::string::npos || a.note.find("dentry") != std::string::npos ||
            a.note.find("two allocated files") != std::string::npos || a.note.find("unalloc") != std::string::npos) {
            CHECK(in_ranges.count({a.term, a.at}) == 1);
            CHECK(in_files.count({a.term, a.at}) == 0);
        }
    }
    for (const auto& [term, nums] : variations) {
        const std::string rule = term.rfind("re:", 0) == 0 ? term.substr(3) : term;
        for (int n : nums) {
            const Answer& a = *std::find_if(answers.begin(), answers.end(), [&](const Answer& x) { return x.num == n; });
            // The "slack" pattern (#17) matches "slack" itself, one byte after "1slack1" starts.
            const uint64_t at = a.note.find("slack") != std::string::npos && rule.rfind("[r-t]", 0) == 0 ? a.at + 1 : a.at;
            CAPTURE(term, n, at);
            CHECK(found(rule, at) >= 1);  // #11 twice: in the deleted file and in its free cluster
        }
    }
}
