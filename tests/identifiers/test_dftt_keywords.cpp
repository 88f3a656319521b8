// DFTT #2 "FAT Keyword Search" (Brian Carrier): every answer of the key (index.html: string,
// sector, offset) that lies in file content or in unallocated clusters is found at exactly the
// sector and offset the key gives. File offsets become image offsets through the file's sector
// list as The Sleuth Kit's istat prints it. What the key places in slack space, in a directory
// entry or across the end of one file into the next is not reachable through file content and
// unallocated ranges: the test states that it is not reported there.
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

// Where the key's description puts a string outside file content and unallocated clusters.
bool reachable(const Answer& a) {
    return a.note.find("slack") == std::string::npos && a.note.find("dentry") == std::string::npos &&
           a.note.find("two allocated files") == std::string::npos;
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

TEST_CASE("DFTT 2-kwsrch-fat: every reachable answer at the key's sector and offset", "[identifiers]") {
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
        if (reachable(a)) {
            CAPTURE(a.num, a.term);
            REQUIRE(d < 8);
            CHECK((d == 0 || a.num == 10));
            a.at += d;
        }
    }

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
    // (rule, image offset) of every keyword finding
    std::set<std::pair<std::string, uint64_t>> found;
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
        if (meta < 0) {  // unallocated range: the offset is already an image offset
            found.insert({rule, off});
            continue;
        }
        if (!sectors.count(meta)) sectors[meta] = sectors_of(img, meta);
        const auto& s = sectors[meta];
        REQUIRE(off / 512 < s.size());
        found.insert({rule, s[off / 512] * 512 + off % 512});
    }

    int reachable_count = 0;
    for (const auto& a : answers) {
        CAPTURE(a.num, a.term, a.note, a.at);
        if (reachable(a)) {
            ++reachable_count;
            CHECK(found.count({a.term, a.at}) == 1);
        } else {
            CHECK(found.count({a.term, a.at}) == 0);
        }
    }
    CHECK(reachable_count == 8);  // #1 #2 #4 #5 #9 #10 #11 #12
    for (const auto& [term, nums] : variations) {
        const std::string rule = term.rfind("re:", 0) == 0 ? term.substr(3) : term;
        for (int n : nums) {
            const Answer& a = *std::find_if(answers.begin(), answers.end(), [&](const Answer& x) { return x.num == n; });
            CAPTURE(term, n, a.at);
            // A variation finds its answer where the answer is reachable (at its start, or for the
            // "slack" pattern wherever "slack" itself starts, which is in slack space for all three).
            if (reachable(a)) CHECK(found.count({rule, a.at}) == 1);
        }
    }
}
