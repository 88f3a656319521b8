// The hash-set detector: every object's MD5, SHA-1 and SHA-256 (from the hashers, no second
// read) and, when the similarity detector gave them, its PDQ hashes, looked up in every set of
// the hash-set directory. Matches are findings; known-good matches mark the object known_good
// (heavy detectors then skip it), abuse-material matches mark it sensitive.
#include <triage/detector.hpp>

#include "hashset/hashset.hpp"

#include <memory>
#include <sstream>
#include <string>
#include <vector>

namespace {

namespace hs = triage::hashset;

const triage_option_desc kOptions[] = {
    {"dir", "string", "", "hash-set directory (triage scan --hashsets); empty: the per-user default"},
    {"pdq_distance", "int", "31", "largest PDQ Hamming distance that counts as a match"},
    {"pdq_min_quality", "int", "50", "PDQ hashes (of the file or in a set) below this quality are ignored"},
};

std::string option_of(const triage_host_api* api, triage_host* host, const char* key) {
    const char* v = api->get_option(host, key);
    return v ? v : "";
}

// Built once per scan: the catalog, opened read-only (memory maps shared by every worker).
struct Shared {
    std::unique_ptr<hs::Catalog> catalog;
    int pdq_distance = 31, pdq_min_quality = 50;
    bool any_pdq = false;

    Shared(const triage_host_api* api, triage_host* host) {
        std::string dir = option_of(api, host, "dir");
        if (dir.empty()) dir = hs::default_dir();
        pdq_distance = std::stoi(option_of(api, host, "pdq_distance"));
        pdq_min_quality = std::stoi(option_of(api, host, "pdq_min_quality"));
        if (pdq_distance < 0 || pdq_distance > 256) throw std::runtime_error("hashset.pdq_distance must be 0..256");
        catalog = std::make_unique<hs::Catalog>(dir);
        for (const auto& p : catalog->problems())
            api->log(host, TRIAGE_LOG_WARNING, ("hash set not loaded: " + p).c_str());
        if (catalog->sets().empty()) {
            // Not an error: a scan without sets is normal; the audit log records it.
            api->log(host, TRIAGE_LOG_WARNING, ("no hash sets loaded from " + dir + ": hash-set matching is off").c_str());
            return;
        }
        std::string names;
        for (const auto& s : catalog->sets()) {
            const auto& m = s->manifest();
            names += (names.empty() ? "" : ", ") + m.name + " (" + hs::kind_name(m.kind) + (m.csam ? ", csam" : "") +
                     ", sha256 of source " + m.source_sha256.substr(0, 16) + ")";
            any_pdq = any_pdq || m.counts[static_cast<int>(hs::Algo::Pdq)] > 0;
        }
        api->log(host, TRIAGE_LOG_INFO, ("hash sets loaded from " + dir + ": " + names).c_str());
    }
};

int severity_of(hs::Kind k) {
    switch (k) {
        case hs::Kind::KnownBad: return 10;
        case hs::Kind::Notable: return 5;
        case hs::Kind::KnownGood: return 0;
    }
    return 0;
}

class HashSetMatch final : public triage::sdk::Detector {
public:
    HashSetMatch(const triage_host_api* api, triage_host* host, const Shared& shared) : Detector(api, host), s_(shared) {}

    void end() override {
        if (s_.catalog->sets().empty()) return;
        struct Known {
            hs::Algo algo;
            uint8_t d[32];
        };
        std::vector<Known> known;
        for (hs::Algo a : {hs::Algo::Sha256, hs::Algo::Sha1, hs::Algo::Md5}) {
            std::string h = hash(hs::algo_name(a));
            Known k{a, {}};
            if (!h.empty() && hs::parse_hex(h, k.d, hs::digest_bytes(a))) known.push_back(k);
        }
        std::vector<std::array<uint8_t, 32>> pdq = pdq_hashes();

        for (const auto& set : s_.catalog->sets()) {
            std::optional<hs::Match> first;
            std::vector<std::string> also;
            for (const auto& k : known)
                if (auto m = set->find(k.algo, k.d)) {
                    if (!first)
                        first = std::move(m);
                    else
                        also.push_back(hs::algo_name(k.algo));
                }
            if (!first && !pdq.empty()) first = set->find_pdq(pdq, s_.pdq_distance, s_.pdq_min_quality);
            if (first) report(*set, *first, also);
        }
    }

private:
    // "pdq8": the image's PDQ hash and its 7 rotations/flips, comma-separated; "pdq_quality".
    std::vector<std::array<uint8_t, 32>> pdq_hashes() const {
        std::vector<std::array<uint8_t, 32>> out;
        if (!s_.any_pdq) return out;
        std::string all = hash("pdq8");
        if (all.empty()) return out;
        std::string q = hash("pdq_quality");
        if (!q.empty()) {
            try {
                if (std::stoi(q) < s_.pdq_min_quality) return out;
            } catch (const std::exception&) {
                return out;
            }
        }
        std::stringstream ss(all);
        std::string one;
        while (std::getline(ss, one, ',')) {
            std::array<uint8_t, 32> d{};
            if (hs::parse_hex(one, d.data(), 32)) out.push_back(d);
        }
        return out;
    }

    void report(const hs::Set& set, const hs::Match& m, const std::vector<std::string>& also) {
        const auto& man = set.manifest();
        nlohmann::json detail = {{"set_kind", hs::kind_name(man.kind)}, {"algorithm", hs::algo_name(m.algo)}, {"hash", m.hex}};
        if (!also.empty()) detail["also_matched"] = also;
        if (m.algo == hs::Algo::Pdq) detail["distance"] = m.distance;
        if (m.meta) {
            const auto& md = *m.meta;
            if (!md.series.empty()) detail["series"] = md.series;
            if (md.victim_identified) detail["victim_identified"] = *md.victim_identified;
            if (md.offender_identified) detail["offender_identified"] = *md.offender_identified;
            if (!md.media_id.empty()) detail["media_id"] = md.media_id;
            if (!md.file_name.empty()) detail["set_file_name"] = md.file_name;
            if (md.size) detail["set_size"] = *md.size;
        }
        const bool sensitive = man.csam || (m.meta && m.meta->abuse);
        if (sensitive) detail["sensitive"] = true;
        const std::string d = detail.dump();
        const std::string category = m.meta && !m.meta->category.empty() ? m.meta->category : hs::kind_name(man.kind);
        triage_finding f{sizeof f, "hashset", man.name.c_str(), category.c_str(), severity_of(man.kind), -1, -1, d.c_str()};
        emit_finding(f);
        if (man.kind == hs::Kind::KnownGood) mark("known_good");
        if (sensitive) mark("sensitive");
    }

    const Shared& s_;
};

const triage_detector kHashSet = triage::sdk::describe<HashSetMatch, Shared>(
    "hashset", "1.0.0", "triage project",
    "Looks every object's MD5/SHA-1/SHA-256 (and PDQ, near match) up in the hash sets of --hashsets",
    TRIAGE_WANT_METADATA, kOptions, sizeof kOptions / sizeof kOptions[0]);
const triage_detector* const kDetectors[] = {&kHashSet};
// Host API 2 for mark_object; on an older host the findings are still made (marks are skipped).
const triage_plugin kPlugin{sizeof(triage_plugin), 1, kDetectors, 1};

}  // namespace

extern "C" const triage_plugin* triage_builtin_hashset_entry(uint32_t /*host_api_version*/) { return &kPlugin; }
