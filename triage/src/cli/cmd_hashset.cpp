// `triage hashset import|list|remove|lookup`: the hash-set directory every scan uses.
#include "cli/commands.hpp"
#include "hashset/hashset.hpp"
#include "util/text.hpp"

#include <chrono>
#include <iomanip>
#include <iostream>
#include <memory>
#include <sstream>

namespace triage::cli {

namespace {

const std::string kDirHelp = "Hash-set directory (default: $TRIAGE_HASHSETS, else $XDG_DATA_HOME/triage/hashsets, "
                             "else ~/.local/share/triage/hashsets; now " +
                             hashset::default_dir() + ")";

std::string join_formats() {
    std::string s;
    for (const auto& f : hashset::formats()) s += (s.empty() ? "" : ", ") + f;
    return s;
}

void print_match(const std::string& query, const hashset::Set& set, const hashset::Match& m) {
    nlohmann::json detail = m.meta ? m.meta->to_json() : nlohmann::json::object();
    if (m.algo == hashset::Algo::Pdq) detail["distance"] = m.distance;
    std::string category = m.meta && !m.meta->category.empty() ? m.meta->category : "-";
    std::cout << query << "\t" << set.manifest().name << "\t" << hashset::kind_name(set.manifest().kind) << "\t"
              << hashset::algo_name(m.algo) << "\t" << m.hex << "\t" << category << "\t" << detail.dump() << "\n";
}

int run_import(const std::string& file, hashset::ImportOptions o, const std::string& kind, bool quiet) {
    o.kind = *hashset::kind_from_name(kind);
    try {
        auto r = hashset::import_file(file, o, [&](const std::string& line) {
            if (!quiet) std::cerr << "triage hashset import: " << util::terminal_safe(line) << "\n";
        });
        for (const auto& msg : r.messages) std::cerr << "triage hashset import: " << util::terminal_safe(msg) << "\n";
        if (r.problems > r.messages.size())
            std::cerr << "triage hashset import: ... and " << (r.problems - r.messages.size()) << " more problem(s)\n";
        const auto& m = r.manifest;
        uint64_t dups = 0;
        for (auto d : m.duplicates) dups += d;
        std::cout << "imported set " << m.name << " (" << hashset::kind_name(m.kind) << (m.csam ? ", csam" : "")
                  << ", format " << m.format << ") into " << o.dir << "\n"
                  << "  md5 " << m.counts[0] << ", sha1 " << m.counts[1] << ", sha256 " << m.counts[2] << ", pdq "
                  << m.counts[3] << "\n"
                  << "  records " << m.records << ", skipped " << m.records_skipped << ", duplicates folded " << dups
                  << ", problems " << r.problems << "\n"
                  << "  source " << m.source_path << " sha256 " << m.source_sha256 << "\n"
                  << "  " << std::fixed << std::setprecision(2) << r.seconds << " s\n";
        return 0;
    } catch (const hashset::ImportError& e) {
        std::cerr << "triage hashset import: " << util::terminal_safe(e.what()) << "\nno set was written; an existing set of that name is unchanged\n";
        return 1;
    } catch (const std::invalid_argument& e) {
        std::cerr << "triage hashset import: " << e.what() << "\n";
        return 2;
    }
}

int run_list(const std::string& dir) {
    hashset::Catalog cat(dir);
    for (const auto& p : cat.problems()) std::cerr << "triage hashset list: cannot open set " << p << "\n";
    std::cout << "name\tkind\tcsam\tmd5\tsha1\tsha256\tpdq\trecords_skipped\timported_at\tsource_sha256\tsource\n";
    for (const auto& s : cat.sets()) {
        const auto& m = s->manifest();
        std::cout << m.name << "\t" << hashset::kind_name(m.kind) << "\t" << (m.csam ? "yes" : "no") << "\t" << m.counts[0]
                  << "\t" << m.counts[1] << "\t" << m.counts[2] << "\t" << m.counts[3] << "\t" << m.records_skipped << "\t"
                  << m.imported_at << "\t" << m.source_sha256 << "\t" << m.source_path << "\n";
    }
    if (cat.sets().empty()) std::cerr << "no hash sets in " << dir << "\n";
    return 0;
}

struct LookupArgs {
    std::string dir = hashset::default_dir();
    std::vector<std::string> hashes;
    bool from_stdin = false, quiet = false, pdq = false;
    int distance = 31, min_quality = 50;
};

int run_lookup(const LookupArgs& a) {
    using clock = std::chrono::steady_clock;
    const auto t0 = clock::now();
    hashset::Catalog cat(a.dir);
    const double open_ms = std::chrono::duration<double, std::milli>(clock::now() - t0).count();
    for (const auto& p : cat.problems()) std::cerr << "triage hashset lookup: cannot open set " << p << "\n";
    if (cat.sets().empty()) std::cerr << "triage hashset lookup: warning: no hash sets in " << a.dir << "\n";
    uint64_t lookups = 0, hits = 0, bad = 0;
    const auto t1 = clock::now();
    auto one = [&](const std::string& raw) {
        std::string h = raw;
        while (!h.empty() && std::isspace(static_cast<unsigned char>(h.back()))) h.pop_back();
        if (h.empty()) return;
        ++lookups;
        bool found = false;
        if (a.pdq) {
            std::array<uint8_t, 32> q{};
            if (!hashset::parse_hex(h, q.data(), 32)) {
                ++bad;
                std::cerr << "triage hashset lookup: '" << h << "' is not a PDQ hash (64 hex digits)\n";
                return;
            }
            for (const auto& s : cat.sets())
                if (auto m = s->find_pdq({q}, a.distance, a.min_quality)) {
                    found = true;
                    if (!a.quiet) print_match(h, *s, *m);
                }
        } else {
            auto algo = hashset::algo_from_hex_length(h.size());
            uint8_t d[32];
            if (!algo || !hashset::parse_hex(h, d, hashset::digest_bytes(*algo))) {
                ++bad;
                std::cerr << "triage hashset lookup: '" << h << "' is not an MD5, SHA-1 or SHA-256\n";
                return;
            }
            for (const auto& s : cat.sets())
                if (auto m = s->find(*algo, d)) {
                    found = true;
                    if (!a.quiet) print_match(h, *s, *m);
                }
        }
        if (found) ++hits;
        else if (!a.quiet) std::cout << h << "\t-\tnot found\n";
    };
    for (const auto& h : a.hashes) one(h);
    if (a.from_stdin) {
        std::string line;
        while (std::getline(std::cin, line)) one(line);
    }
    const double secs = std::chrono::duration<double>(clock::now() - t1).count();
    if (a.quiet || a.from_stdin)
        std::cerr << "sets " << cat.sets().size() << ", open " << std::fixed << std::setprecision(3) << open_ms
                  << " ms, lookups " << lookups << ", hits " << hits << ", misses " << (lookups - hits - bad)
                  << ", invalid " << bad << ", " << std::setprecision(3) << secs << " s, "
                  << std::setprecision(0) << (secs > 0 ? lookups / secs : 0) << " lookups/s\n";
    if (bad) return 2;
    return hits > 0 ? 0 : 1;
}

}  // namespace

void add_hashset_commands(CLI::App& app, Commands& out) {
    auto* hs = app.add_subcommand("hashset", "Import, list, remove and look up hash sets (known-bad, known-good, notable)");
    hs->require_subcommand(1);

    struct ImportArgs {
        std::string file, kind, dir = hashset::default_dir();
        hashset::ImportOptions o;
        bool quiet = false;
    };
    auto ia = std::make_shared<ImportArgs>();
    auto* imp = hs->add_subcommand("import", "Import a hash set (format detected from content: " + join_formats() + ")");
    imp->add_option("file", ia->file, "The set to import")->required();
    imp->add_option("--name", ia->o.name, "Set name (letters, digits, '.', '_', '-')")->required();
    imp->add_option("--kind", ia->kind, "known-bad, known-good or notable")
        ->required()
        ->check(CLI::IsMember({"known-bad", "known-good", "notable"}));
    imp->add_flag("--csam", ia->o.csam, "Every match of this set is child-abuse material: files are marked sensitive");
    imp->add_option("--format", ia->o.format, "Force the format: " + join_formats())
        ->check(CLI::IsMember(hashset::formats()));
    imp->add_flag("--replace", ia->o.replace, "Replace an existing set of that name (atomically, only once the import succeeded)");
    imp->add_flag("--quiet,-q", ia->quiet, "No progress lines");
    imp->add_option("--hashsets", ia->dir, kDirHelp);
    out.push_back({imp, [ia] {
                       ia->o.dir = ia->dir;
                       return run_import(ia->file, ia->o, ia->kind, ia->quiet);
                   }});

    auto list_dir = std::make_shared<std::string>(hashset::default_dir());
    auto* ls = hs->add_subcommand("list", "List the sets: counts, import date, source file and its SHA-256");
    ls->add_option("--hashsets", *list_dir, kDirHelp);
    out.push_back({ls, [list_dir] { return run_list(*list_dir); }});

    struct RemoveArgs {
        std::string name, dir = hashset::default_dir();
    };
    auto ra = std::make_shared<RemoveArgs>();
    auto* rm = hs->add_subcommand("remove", "Remove a set");
    rm->add_option("name", ra->name, "Set name")->required();
    rm->add_option("--hashsets", ra->dir, kDirHelp);
    out.push_back({rm, [ra] {
                       try {
                           if (hashset::remove_set(ra->dir, ra->name)) {
                               std::cout << "removed set " << ra->name << " from " << ra->dir << "\n";
                               return 0;
                           }
                           std::cerr << "triage hashset remove: no set named '" << ra->name << "' in " << ra->dir << "\n";
                           return 1;
                       } catch (const std::invalid_argument& e) {
                           std::cerr << "triage hashset remove: " << e.what() << "\n";
                           return 2;
                       }
                   }});

    auto la = std::make_shared<LookupArgs>();
    auto* lk = hs->add_subcommand("lookup",
                                  "Look hashes up in every set: one line per match (hash, set, kind, algorithm, "
                                  "stored hash, category, details); exit 0 when something matched, 1 when nothing did");
    lk->add_option("hash", la->hashes, "MD5, SHA-1 or SHA-256 (or PDQ with --pdq)");
    lk->add_flag("--stdin", la->from_stdin, "Also read hashes from standard input, one per line (prints a timing summary)");
    lk->add_flag("--quiet,-q", la->quiet, "Only the summary line");
    lk->add_flag("--pdq", la->pdq, "The hashes are PDQ: near match by Hamming distance");
    lk->add_option("--distance", la->distance, "PDQ: largest Hamming distance that matches (default 31)")
        ->check(CLI::Range(0, 256));
    lk->add_option("--min-quality", la->min_quality, "PDQ: stored hashes of lower quality are ignored (default 50)")
        ->check(CLI::Range(0, 101));
    lk->add_option("--hashsets", la->dir, kDirHelp);
    out.push_back({lk, [la] {
                       if (la->hashes.empty() && !la->from_stdin) {
                           std::cerr << "triage hashset lookup: give a hash or --stdin\n";
                           return 2;
                       }
                       return run_lookup(*la);
                   }});
}

}  // namespace triage::cli
