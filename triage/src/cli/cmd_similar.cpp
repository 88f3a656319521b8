// `triage similar CASE FILE_ID [--algorithm auto|pdq|tlsh|ssdeep] [--limit N] [--max-distance D]`:
// the files of a case nearest to one file, by the similarity hashes the pdq and fuzzy detectors
// stored in the hashes table. Prints `file_id<TAB>distance<TAB>path`, nearest first.
#include "cli/commands.hpp"
#include "index/case_index.hpp"
#include "similarity/pdq.hpp"

#include <fuzzy.h>
#include <tlsh.h>

#include <algorithm>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <vector>

namespace triage::cli {

namespace {

namespace sim = triage::similarity;

struct Args {
    std::string case_dir, algorithm = "auto";
    int64_t file_id = 0;
    size_t limit = 20;
    int max_distance = -1;   // -1: the algorithm's default
    int min_quality = 50;
};

struct Hit {
    int64_t file_id;
    int distance;
};

// Every file's values of the given algorithms: file_id -> algorithm -> value.
std::map<int64_t, std::map<std::string, std::string>> load(index::CaseIndex& idx, const std::vector<std::string>& algs) {
    std::map<int64_t, std::map<std::string, std::string>> out;
    std::string in;
    for (size_t i = 0; i < algs.size(); ++i) in += (i ? ",?" : "?") + std::to_string(i + 1);
    auto s = idx.db().prepare("SELECT file_id, algorithm, value FROM hashes WHERE algorithm IN (" + in + ")");
    for (size_t i = 0; i < algs.size(); ++i) s.bind(static_cast<int>(i + 1), algs[i]);
    while (s.step()) out[s.col_int(0)][s.col_text(1)] = s.col_text(2);
    return out;
}

std::vector<sim::PdqHash> parse_pdq_list(const std::string& csv) {
    std::vector<sim::PdqHash> v;
    for (size_t pos = 0; pos <= csv.size();) {
        size_t comma = csv.find(',', pos);
        if (comma == std::string::npos) comma = csv.size();
        if (auto h = sim::PdqHash::from_hex(std::string_view(csv).substr(pos, comma - pos))) v.push_back(*h);
        pos = comma + 1;
    }
    return v;
}

// PDQ: Hamming distance from the file's own hash to the nearest of each other image's 8
// rotations/flips, so a rotated or mirrored copy is found too.
std::vector<Hit> by_pdq(index::CaseIndex& idx, int64_t target, int min_quality) {
    auto all = load(idx, {"pdq", "pdq8", "pdq_quality"});
    auto it = all.find(target);
    if (it == all.end() || !it->second.count("pdq")) throw std::runtime_error("has no PDQ hash");
    const auto mine = sim::PdqHash::from_hex(it->second["pdq"]);
    if (!mine) throw std::runtime_error("has a malformed PDQ hash in the index");
    if (it->second.count("pdq_quality") && std::stoi(it->second["pdq_quality"]) < min_quality)
        std::cerr << "triage similar: note: the file's PDQ quality is " << it->second["pdq_quality"]
                  << " (below " << min_quality << "): matches on it are unreliable\n";
    std::vector<Hit> hits;
    for (auto& [id, h] : all) {
        if (id == target || !h.count("pdq")) continue;
        if (h.count("pdq_quality") && std::stoi(h["pdq_quality"]) < min_quality) continue;
        auto variants = parse_pdq_list(h.count("pdq8") ? h["pdq8"] : h["pdq"]);
        if (variants.empty()) continue;
        int best = 256;
        for (const auto& v : variants) best = std::min(best, sim::hamming(*mine, v));
        hits.push_back({id, best});
    }
    return hits;
}

// TLSH: the library's distance (0 identical, grows without bound; file lengths included).
std::vector<Hit> by_tlsh(index::CaseIndex& idx, int64_t target) {
    auto all = load(idx, {"tlsh"});
    auto it = all.find(target);
    if (it == all.end()) throw std::runtime_error("has no TLSH digest (non-image files of 256 bytes or more have one)");
    Tlsh mine;
    if (mine.fromTlshStr(it->second["tlsh"].c_str()) != 0) throw std::runtime_error("has a malformed TLSH digest");
    std::vector<Hit> hits;
    for (auto& [id, h] : all) {
        if (id == target) continue;
        Tlsh other;
        if (other.fromTlshStr(h["tlsh"].c_str()) != 0) continue;
        hits.push_back({id, mine.totalDiff(&other)});
    }
    return hits;
}

// ssdeep: fuzzy_compare's score (0..100, 100 most alike) shown as the distance 100 - score.
std::vector<Hit> by_ssdeep(index::CaseIndex& idx, int64_t target) {
    auto all = load(idx, {"ssdeep"});
    auto it = all.find(target);
    if (it == all.end()) throw std::runtime_error("has no ssdeep digest (non-image files have one)");
    const std::string mine = it->second["ssdeep"];
    std::vector<Hit> hits;
    for (auto& [id, h] : all) {
        if (id == target) continue;
        const int score = fuzzy_compare(mine.c_str(), h["ssdeep"].c_str());
        if (score >= 0) hits.push_back({id, 100 - score});
    }
    return hits;
}

std::string choose(index::CaseIndex& idx, int64_t target) {
    auto s = idx.db().prepare("SELECT algorithm FROM hashes WHERE file_id = ?1 AND algorithm IN ('pdq','tlsh','ssdeep')");
    s.bind(1, target);
    std::vector<std::string> have;
    while (s.step()) have.push_back(s.col_text(0));
    for (const char* a : {"pdq", "tlsh", "ssdeep"})
        if (std::find(have.begin(), have.end(), a) != have.end()) return a;
    return {};
}

int run(const Args& a) {
    index::CaseIndex idx(a.case_dir, false, true);
    {
        auto s = idx.db().prepare("SELECT 1 FROM files WHERE file_id = ?1");
        s.bind(1, a.file_id);
        if (!s.step()) {
            std::cerr << "triage similar: no file " << a.file_id << " in " << a.case_dir << "\n";
            return 1;
        }
    }
    std::string alg = a.algorithm;
    if (alg == "auto") {
        alg = choose(idx, a.file_id);
        if (alg.empty()) {
            std::cerr << "triage similar: file " << a.file_id
                      << " has no similarity hash (pdq, tlsh or ssdeep): images get PDQ, other files of content "
                         "ssdeep and TLSH when scanned with the pdq and fuzzy detectors\n";
            return 1;
        }
    }
    const int max_distance = a.max_distance >= 0 ? a.max_distance : alg == "pdq" ? 31 : alg == "tlsh" ? 100 : 99;
    std::vector<Hit> hits;
    try {
        hits = alg == "pdq" ? by_pdq(idx, a.file_id, a.min_quality)
             : alg == "tlsh" ? by_tlsh(idx, a.file_id)
                             : by_ssdeep(idx, a.file_id);
    } catch (const std::runtime_error& e) {
        std::cerr << "triage similar: file " << a.file_id << " " << e.what() << "\n";
        return 1;
    }
    std::erase_if(hits, [&](const Hit& h) { return h.distance > max_distance; });
    std::sort(hits.begin(), hits.end(), [](const Hit& x, const Hit& y) {
        return x.distance != y.distance ? x.distance < y.distance : x.file_id < y.file_id;
    });
    if (hits.size() > a.limit) hits.resize(a.limit);
    std::cerr << "triage similar: " << alg << ", distance <= " << max_distance << ", " << hits.size() << " file(s)\n";
    auto path = idx.db().prepare("SELECT path FROM files WHERE file_id = ?1");
    for (const auto& h : hits) {
        path.reset();
        path.bind(1, h.file_id);
        std::string p = path.step() ? path.col_text(0) : "?";
        for (auto& c : p)
            if (static_cast<unsigned char>(c) < 0x20) c = '?';   // one line per file
        std::cout << h.file_id << "\t" << h.distance << "\t" << p << "\n";
    }
    return 0;
}

}  // namespace

void add_similar_commands(CLI::App& app, Commands& out) {
    auto a = std::make_shared<Args>();
    auto* sub = app.add_subcommand(
        "similar",
        "The files of a case nearest to one file: file_id, distance, path (nearest first). Distances: PDQ "
        "Hamming distance 0..256 to the nearest of the other image's 8 rotations/flips (default cut-off 31); "
        "TLSH distance (0 identical; default cut-off 100); ssdeep 100 - fuzzy_compare score (default cut-off 99, "
        "i.e. any score above 0)");
    sub->add_option("case", a->case_dir, "Case folder")->required();
    sub->add_option("file_id", a->file_id, "The file to compare (file_id as `triage ls` shows)")->required();
    sub->add_option("--algorithm", a->algorithm, "auto (PDQ for images, else TLSH, else ssdeep), pdq, tlsh or ssdeep")
        ->check(CLI::IsMember({"auto", "pdq", "tlsh", "ssdeep"}));
    sub->add_option("--limit", a->limit, "At most this many files (default 20)");
    sub->add_option("--max-distance", a->max_distance, "Leave out files farther than this")->check(CLI::NonNegativeNumber);
    sub->add_option("--min-quality", a->min_quality,
                    "PDQ: leave out images whose quality is below this (default 50; the published guidance "
                    "ignores hashes of quality 49 or less)");
    out.push_back({sub, [a] { return run(*a); }});
}

}  // namespace triage::cli
