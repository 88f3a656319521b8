// The YARA rule set triage ships (rules/): proved with the yara CLI, independently of triage.
// The whole set and every category file compile without errors or warnings; index.yar includes
// every category file; there are at least 40 rules, each with the required meta; every rule has
// positive and negative samples under rules/tests/<rule>/, matches all its positives and none of
// its negatives.
#include "support/harness.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

const fs::path kRules = fs::path(TRIAGE_SOURCE_DIR) / "rules";
const fs::path kSamples = kRules / "tests";

std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// Every rule file (*.yar / *.yara) under rules/, samples excluded, sorted.
std::vector<fs::path> rule_files() {
    std::vector<fs::path> out;
    for (auto it = fs::recursive_directory_iterator(kRules); it != fs::recursive_directory_iterator(); ++it) {
        if (it->is_directory() && it->path() == kSamples) {
            it.disable_recursion_pending();
            continue;
        }
        auto ext = it->path().extension().string();
        if (it->is_regular_file() && (ext == ".yar" || ext == ".yara")) out.push_back(it->path());
    }
    std::sort(out.begin(), out.end());
    return out;
}

struct Rule {
    std::string name;
    fs::path file;
    std::string body;   // from "rule NAME" to the next rule declaration
};

std::vector<Rule> parse_rules(const std::vector<fs::path>& files) {
    static const std::regex decl(R"((^|\n)[ \t]*((private|global)[ \t]+)*rule[ \t]+([A-Za-z_][A-Za-z0-9_]*))");
    std::vector<Rule> rules;
    for (const auto& f : files) {
        const std::string text = slurp(f);
        std::vector<std::pair<size_t, std::string>> starts;
        for (auto it = std::sregex_iterator(text.begin(), text.end(), decl); it != std::sregex_iterator(); ++it)
            starts.emplace_back(static_cast<size_t>(it->position(0)), (*it)[4].str());
        for (size_t i = 0; i < starts.size(); ++i) {
            size_t end = i + 1 < starts.size() ? starts[i + 1].first : text.size();
            rules.push_back({starts[i].second, f, text.substr(starts[i].first, end - starts[i].first)});
        }
    }
    return rules;
}

// The meta: section of a rule body, as key -> raw value text.
std::map<std::string, std::string> meta_of(const std::string& body) {
    std::map<std::string, std::string> meta;
    size_t m = body.find("meta:");
    if (m == std::string::npos) return meta;
    size_t end = std::min(body.find("strings:", m), body.find("condition:", m));
    std::string section = body.substr(m + 5, end == std::string::npos ? std::string::npos : end - m - 5);
    static const std::regex kv(R"(([A-Za-z_][A-Za-z0-9_]*)[ \t]*=[ \t]*("(?:[^"\\]|\\.)*"|-?[0-9]+|true|false))");
    for (auto it = std::sregex_iterator(section.begin(), section.end(), kv); it != std::sregex_iterator(); ++it)
        meta[(*it)[1].str()] = (*it)[2].str();
    return meta;
}

std::string unquote(const std::string& v) {
    return v.size() >= 2 && v.front() == '"' && v.back() == '"' ? v.substr(1, v.size() - 2) : v;
}

std::vector<std::string> lines_of(const std::string& s) {
    std::vector<std::string> out;
    std::istringstream in(s);
    for (std::string line; std::getline(in, line);)
        if (!line.empty()) out.push_back(line);
    return out;
}

}  // namespace

TEST_CASE("rule set: the yara CLI compiles it whole and file by file, without warnings", "[rules]") {
    REQUIRE(fs::exists(kRules / "index.yar"));
    REQUIRE(th::run("yara --version").rc == 0);
    th::TempDir t;
    std::ofstream(t / "empty").close();

    // From another working directory: the includes resolve relative to index.yar.
    auto whole = th::run("cd " + th::q(t.path) + " && yara --fail-on-warnings " + th::q((kRules / "index.yar").string()) +
                         " empty");
    INFO("yara: " << whole.err);
    CHECK(whole.rc == 0);
    CHECK(whole.err.empty());
    CHECK(whole.out.empty());   // no rule matches an empty file

    auto compiled = th::run("yarac " + th::q((kRules / "index.yar").string()) + " " + th::q(t / "all.yarc"));
    INFO("yarac: " << compiled.err);
    CHECK(compiled.rc == 0);
    CHECK(compiled.err.empty());
    CHECK(fs::exists(t / "all.yarc"));

    for (const auto& f : rule_files()) {
        if (f.filename() == "index.yar") continue;
        auto one = th::run("yara --fail-on-warnings " + th::q(f.string()) + " " + th::q(t / "empty"));
        INFO(f.string() << ": " << one.err);
        CHECK(one.rc == 0);
        CHECK(one.err.empty());
    }
}

TEST_CASE("rule set: index.yar includes every category file", "[rules]") {
    const std::string index = slurp(kRules / "index.yar");
    static const std::regex inc(R"re(include[ \t]+"([^"]+)")re");
    std::set<fs::path> included;
    for (auto it = std::sregex_iterator(index.begin(), index.end(), inc); it != std::sregex_iterator(); ++it) {
        fs::path p = kRules / (*it)[1].str();
        INFO("include " << (*it)[1].str());
        CHECK(fs::exists(p));
        included.insert(p.lexically_normal());
    }
    for (const auto& f : rule_files()) {
        if (f.filename() == "index.yar") continue;
        INFO(f.string() << " is not included by index.yar");
        CHECK(included.count(f.lexically_normal()) == 1);
    }
}

TEST_CASE("rule set: at least 40 rules, each with author, description, date, severity and category", "[rules]") {
    auto rules = parse_rules(rule_files());
    REQUIRE(rules.size() >= 40);

    // The CLI sees the same rules: -n lists every rule that does not match (all of them, on an
    // empty file).
    th::TempDir t;
    std::ofstream(t / "empty").close();
    auto listed = th::run("yara -w -n " + th::q((kRules / "index.yar").string()) + " " + th::q(t / "empty"));
    REQUIRE(listed.rc == 0);
    std::set<std::string> cli;
    for (const auto& line : lines_of(listed.out)) cli.insert(line.substr(0, line.find(' ')));

    std::set<std::string> names;
    static const std::regex date(R"(\d{4}-\d{2}-\d{2})");
    for (const auto& r : rules) {
        INFO("rule " << r.name << " in " << r.file.string());
        CHECK(names.insert(r.name).second);   // unique across the set
        CHECK(cli.count(r.name) == 1);
        auto meta = meta_of(r.body);
        CHECK(unquote(meta["author"]) == "triage project");
        CHECK(unquote(meta["description"]).size() >= 20);
        CHECK(std::regex_match(unquote(meta["date"]), date));
        REQUIRE(meta.count("severity") == 1);
        REQUIRE(std::regex_match(meta["severity"], std::regex(R"(\d+)")));
        int severity = std::stoi(meta["severity"]);
        CHECK(severity >= 1);
        CHECK(severity <= 10);
        // the category is the rule file's folder under rules/
        std::string folder = fs::relative(r.file, kRules).begin()->string();
        CHECK(unquote(meta["category"]) == folder);
        if (meta.count("reference")) CHECK(unquote(meta["reference"]).rfind("http", 0) == 0);
    }
    CHECK(cli.size() == names.size());

    // Every category the rule set promises is there.
    std::set<std::string> categories;
    for (const auto& r : rules) categories.insert(fs::relative(r.file, kRules).begin()->string());
    for (const char* c : {"crypto", "ransomware", "stealers", "remote_access", "anonymity", "exploits", "fraud",
                          "anti_forensics"}) {
        INFO("category " << c);
        CHECK(categories.count(c) == 1);
    }
}

TEST_CASE("rule set: every rule matches its positive samples and none of its negative samples", "[rules]") {
    auto rules = parse_rules(rule_files());
    REQUIRE(rules.size() >= 40);
    REQUIRE(fs::is_directory(kSamples));

    // One compiled set, one recursive scan of all samples: lines "RULE PATH".
    th::TempDir t;
    REQUIRE(th::run("yarac " + th::q((kRules / "index.yar").string()) + " " + th::q(t / "all.yarc")).rc == 0);
    auto scan = th::run("yara -w -r -C " + th::q(t / "all.yarc") + " " + th::q(kSamples.string()));
    INFO("yara: " << scan.err);
    REQUIRE(scan.rc == 0);
    REQUIRE(scan.err.empty());
    std::map<std::string, std::set<std::string>> matched;   // sample path -> rules
    for (const auto& line : lines_of(scan.out)) {
        size_t sp = line.find(' ');
        REQUIRE(sp != std::string::npos);
        matched[fs::path(line.substr(sp + 1)).lexically_normal().string()].insert(line.substr(0, sp));
    }

    std::set<std::string> names;
    uintmax_t bytes = 0;
    int positives_total = 0, negatives_total = 0;
    for (const auto& r : rules) {
        names.insert(r.name);
        const fs::path dir = kSamples / r.name;
        INFO("rule " << r.name << ": samples in " << dir.string());
        int positives = 0, negatives = 0;
        if (!fs::is_directory(dir)) {
            FAIL_CHECK("no sample folder");
            continue;
        }
        for (const auto& e : fs::directory_iterator(dir)) {
            if (!e.is_regular_file()) continue;
            const std::string file = e.path().filename().string();
            const std::string key = e.path().lexically_normal().string();
            const bool hit = matched[key].count(r.name) == 1;
            bytes += e.file_size();
            INFO("sample " << file);
            if (file.rfind("positive-", 0) == 0) {
                ++positives;
                CHECK(hit);
            } else if (file.rfind("negative-", 0) == 0) {
                ++negatives;
                CHECK_FALSE(hit);
            } else {
                FAIL_CHECK("sample names start with positive- or negative-");
            }
        }
        CHECK(positives >= 1);
        CHECK(negatives >= 1);
        positives_total += positives;
        negatives_total += negatives;
    }
    // Every sample folder belongs to a rule.
    for (const auto& e : fs::directory_iterator(kSamples)) {
        INFO("sample folder " << e.path().filename().string() << " has no rule");
        CHECK((!e.is_directory() || names.count(e.path().filename().string()) == 1));
    }
    CHECK(positives_total >= 40);
    CHECK(negatives_total >= 40);
    CHECK(bytes < 2u * 1024 * 1024);   // samples stay small
}
