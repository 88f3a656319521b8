// The keywords detector: the examiner's own terms (triage scan --keywords FILE) found
// case-insensitively in UTF-8, UTF-16LE/BE and the Cyrillic and Central European code pages,
// over file content and unallocated space, by one Hyperscan database (so 1,000 terms cost
// about what 10 do). A hit is reported once per location: pages with a margin, a hit belongs to
// the page its first byte is in.
#include <triage/detector.hpp>

#include "identifiers/pager.hpp"
#include "identifiers/text_views.hpp"
#include "keywords/terms.hpp"
#include "keywords/transcode.hpp"

#include <hs/hs.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using triage::ident::Pager;
using triage::ident::Window;
using namespace triage::kw;

const triage_option_desc kOptions[] = {
    {"file", "string", "", "keywords file (triage scan --keywords): one term a line, 're:' for a regex"},
    {"page_mb", "int", "4", "content is scanned in pages of this size (plus margin)"},
    {"margin_kb", "int", "64", "bytes after each page also scanned, for hits straddling pages"},
    {"max_hits", "int", "100000", "keyword hits reported per object at most"},
};

std::string option_of(const triage_host_api* api, triage_host* host, const char* key) {
    const char* v = api->get_option(host, key);
    return v ? v : "";
}

// Built once per scan: the terms and their compiled database, shared read-only.
struct KeywordSet {
    std::vector<Term> terms;
    std::vector<Pattern> patterns;
    hs_database_t* db = nullptr;
    std::string file;
    // Bytes a pattern always matches, or 0 when that varies: fixed-width patterns need no
    // start-of-match tracking (HS_FLAG_SOM_LEFTMOST is what makes a large database slow).
    std::vector<unsigned> width;

    KeywordSet(const triage_host_api* api, triage_host* host) {
        file = option_of(api, host, "file");
        if (file.empty()) return;  // no keywords this scan
        terms = load_terms(file);
        if (terms.empty()) {
            api->log(host, TRIAGE_LOG_WARNING, ("keywords file " + file + " has no terms").c_str());
            return;
        }
        const auto t0 = std::chrono::steady_clock::now();
        patterns = build_patterns(terms);
        const auto t1 = std::chrono::steady_clock::now();
        std::vector<const char*> exprs;
        std::vector<unsigned> flags, ids;
        for (unsigned i = 0; i < patterns.size(); ++i) {
            exprs.push_back(patterns[i].expression.c_str());
            unsigned f = 0;
            // Literal patterns carry their case variants themselves. Regular expressions use
            // Hyperscan's caseless matching; one with non-ASCII characters is compiled as UTF-8
            // (its Cyrillic letters then match either case), an ASCII one as bytes (UTF-8 mode
            // promises nothing on the invalid UTF-8 that binary data is). Not with Unicode
            // properties (HS_FLAG_UCP): \w, \d, \s stay ASCII, because with them a single
            // "\w+" is "too large" for Hyperscan and 30 terms like "слово\W{0,3}\d{0,6}" took
            // 112 s to compile.
            if (patterns[i].regex) {
                f |= HS_FLAG_CASELESS | HS_FLAG_DOTALL;
                const auto& x = patterns[i].expression;
                if (std::any_of(x.begin(), x.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; }))
                    f |= HS_FLAG_UTF8;
            }
            unsigned w = 0;
            hs_expr_info_t* info = nullptr;
            hs_compile_error_t* ierr = nullptr;
            if (hs_expression_info(exprs.back(), f, &info, &ierr) == HS_SUCCESS) {
                if (info->min_width == info->max_width && info->min_width > 0) w = info->min_width;
                std::free(info);
            } else {
                hs_free_compile_error(ierr);  // the compile below reports it with file and line
            }
            width.push_back(w);
            if (w == 0) f |= HS_FLAG_SOM_LEFTMOST;
            flags.push_back(f);
            ids.push_back(i);
        }
        hs_compile_error_t* err = nullptr;
        if (hs_compile_multi(exprs.data(), flags.data(), ids.data(), static_cast<unsigned>(exprs.size()), HS_MODE_BLOCK,
                             nullptr, &db, &err) != HS_SUCCESS) {
            std::string msg = err && err->message ? err->message : "unknown error";
            std::string where;
            if (err && err->expression >= 0 && static_cast<size_t>(err->expression) < patterns.size()) {
                const Term& t = terms[patterns[static_cast<size_t>(err->expression)].term];
                where = " line " + std::to_string(t.line) + " ('" + t.text + "')";
            }
            hs_free_compile_error(err);
            throw std::runtime_error("keywords file " + file + where + ": " + msg);
        }
        compile_views(api, host);
        const auto t2 = std::chrono::steady_clock::now();
        auto ms = [](auto a, auto b) { return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(b - a).count()); };
        api->log(host, TRIAGE_LOG_INFO,
                 ("keywords: " + std::to_string(terms.size()) + " terms, " + std::to_string(patterns.size()) +
                  " patterns (encoded in " + ms(t0, t1) + " ms, compiled in " + ms(t1, t2) + " ms)")
                     .c_str());
    }
    ~KeywordSet() {
        if (db) hs_free_database(db);
        if (views_db) hs_free_database(views_db);
        if (cp_db) hs_free_database(cp_db);
    }

    // Regular expressions over the UTF-16 and code-page views (transcode.hpp): every regex
    // compiled once more for valid UTF-8 (caseless, ASCII classes), so that one database serves
    // all views. views_pattern[id] is the pattern (index into patterns) of database id `id`.
    // views_db holds every regex (for the UTF-16 views); cp_db only those with non-ASCII
    // characters (for the 8-bit code pages: an ASCII regex matches there exactly what it matches
    // in the bytes themselves, where \W, [^...] and . already take any byte >= 0x80 for one
    // non-word character). Both map ids through views_pattern/views_width.
    hs_database_t* views_db = nullptr;
    hs_database_t* cp_db = nullptr;
    std::vector<unsigned> views_pattern, views_width;

    void compile_views(const triage_host_api* api, triage_host* host) {
        std::vector<const char*> exprs;
        std::vector<unsigned> flags, ids;
        std::vector<const char*> cp_exprs;
        std::vector<unsigned> cp_flags, cp_ids;
        for (unsigned i = 0; i < patterns.size(); ++i) {
            if (!patterns[i].regex) continue;
            unsigned f = HS_FLAG_CASELESS | HS_FLAG_DOTALL | HS_FLAG_UTF8;  // no UCP: see above
            hs_expr_info_t* info = nullptr;
            hs_compile_error_t* err = nullptr;
            if (hs_expression_info(patterns[i].expression.c_str(), f, &info, &err) != HS_SUCCESS) {
                const Term& t = terms[patterns[i].term];
                api->log(host, TRIAGE_LOG_WARNING,
                         ("keywords file " + file + " line " + std::to_string(t.line) +
                          ": regex not searched in UTF-16 and the code pages (" + (err && err->message ? err->message : "?") + ")")
                             .c_str());
                hs_free_compile_error(err);
                continue;
            }
            unsigned w = info->min_width == info->max_width && info->min_width > 0 ? info->min_width : 0;
            std::free(info);
            if (w == 0) f |= HS_FLAG_SOM_LEFTMOST;
            const auto& x = patterns[i].expression;
            if (std::any_of(x.begin(), x.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; })) {
                cp_exprs.push_back(x.c_str());
                cp_flags.push_back(f);
                cp_ids.push_back(static_cast<unsigned>(views_pattern.size()));
            }
            exprs.push_back(x.c_str());
            flags.push_back(f);
            ids.push_back(static_cast<unsigned>(views_pattern.size()));
            views_pattern.push_back(i);
            views_width.push_back(w);
        }
        compile(exprs, flags, ids, views_db, "UTF-16");
        compile(cp_exprs, cp_flags, cp_ids, cp_db, "the code pages");
    }

    void compile(const std::vector<const char*>& exprs, const std::vector<unsigned>& flags,
                 const std::vector<unsigned>& ids, hs_database_t*& db_out, const char* what) {
        if (exprs.empty()) return;
        hs_compile_error_t* err = nullptr;
        if (hs_compile_multi(exprs.data(), flags.data(), ids.data(), static_cast<unsigned>(exprs.size()), HS_MODE_BLOCK,
                             nullptr, &db_out, &err) != HS_SUCCESS) {
            const std::string msg = err && err->message ? err->message : "unknown error";
            hs_free_compile_error(err);
            throw std::runtime_error("keywords file " + file + ": regular expressions for " + what + ": " + msg);
        }
    }
};

struct Hit {
    unsigned term;
    uint64_t start, end;
    std::vector<std::string> labels;
};

class Keywords final : public triage::sdk::Detector {
public:
    Keywords(const triage_host_api* api, triage_host* host, const KeywordSet& set)
        : Detector(api, host),
          set_(set),
          pager_(triage::ident::bounded_option(option("page_mb", "4"), "page_mb", 1, 1024) << 20,
                 triage::ident::bounded_option(option("margin_kb", "64"), "margin_kb", 1, 65536) << 10, 16),
          max_hits_(std::stoull(option("max_hits", "100000"))) {
        if (set_.db && hs_alloc_scratch(set_.db, &scratch_) != HS_SUCCESS)
            throw std::runtime_error("cannot allocate Hyperscan scratch space");
        if (set_.views_db && hs_alloc_scratch(set_.views_db, &scratch_) != HS_SUCCESS)
            throw std::runtime_error("cannot allocate Hyperscan scratch space");
        if (set_.cp_db && hs_alloc_scratch(set_.cp_db, &scratch_) != HS_SUCCESS)
            throw std::runtime_error("cannot allocate Hyperscan scratch space");
    }
    ~Keywords() override {
        if (scratch_) hs_free_scratch(scratch_);
    }

    void begin(const triage_object_info& o) override {
        pager_.reset();
        pending_.clear();
        reported_ = 0;
        immediate_ = o.kind == TRIAGE_OBJECT_UNALLOC;
        // A file_slack range carries seam margins (detector_abi.h): only hits reaching past the
        // file's end and starting before the slack's end are its own.
        seam_ = immediate_ && o.name && std::string(o.name) == "file_slack";
        seam_end_ = o.size > TRIAGE_SEAM_BYTES ? o.size - TRIAGE_SEAM_BYTES : 0;
    }
    void block(const uint8_t* data, size_t len, uint64_t) override {
        if (!set_.db) return;
        pager_.feed(data, len, [this](const Window& w) { scan(w); });
    }
    void end() override {
        if (!set_.db) return;
        if (!immediate_ && marked("skip")) {
            pending_.clear();
            pager_.reset();
            return;
        }
        pager_.finish([this](const Window& w) { scan(w); });
        for (const auto& f : pending_) emit_one(f);
        pending_.clear();
    }

private:
    struct Found {
        std::string rule, detail;
        int64_t offset, length;
    };

    static int on_match(unsigned id, unsigned long long from, unsigned long long to, unsigned, void* ctx) {
        auto* self = static_cast<Keywords*>(ctx);
        const Pattern& p = self->set_.patterns[id];
        if (const unsigned w = self->set_.width[id]) from = to - w;
        auto key = std::make_pair(p.term, static_cast<uint64_t>(from));
        auto it = self->hits_.find(key);
        if (it == self->hits_.end()) {
            self->hits_.emplace(key, Hit{p.term, from, to, p.labels});
        } else {  // the same term at the same place in another encoding: one hit, all encodings
            for (const auto& l : p.labels)
                if (std::find(it->second.labels.begin(), it->second.labels.end(), l) == it->second.labels.end())
                    it->second.labels.push_back(l);
            it->second.end = std::min<uint64_t>(it->second.end, to);
        }
        return 0;
    }

    void scan(const Window& w) {
        hits_.clear();
        if (w.len == 0) return;
        hs_error_t rc = hs_scan(set_.db, reinterpret_cast<const char*>(w.buf), static_cast<unsigned>(w.len), 0, scratch_,
                                &Keywords::on_match, this);
        if (rc != HS_SUCCESS) throw std::runtime_error("Hyperscan scan failed (error " + std::to_string(rc) + ")");
        if (set_.views_db) scan_views(w);
        drop_utf16_twins(w);
        for (const auto& [key, h] : hits_) {
            if (h.start < w.from || h.start >= w.to) continue;  // another page reports it
            if (seam_ && !(w.base + h.end > TRIAGE_SEAM_BYTES && w.base + h.start < seam_end_)) continue;
            if (reported_ >= max_hits_) {
                log(TRIAGE_LOG_WARNING, "more than " + std::to_string(max_hits_) + " keyword hits in one object; the rest are not reported");
                return;
            }
            ++reported_;
            std::string enc;
            for (const auto& l : h.labels) enc += (enc.empty() ? "" : ",") + l;
            const bool utf16 = h.labels.front().rfind("utf-16", 0) == 0;
            uint64_t from = h.start - std::min<uint64_t>(h.start, utf16 ? 32 : 16);
            // In a slack range the context starts at the file's end: the file's own bytes stay
            // out of it (the file may be one marked sensitive).
            if (seam_ && w.base + from < TRIAGE_SEAM_BYTES) {
                from = TRIAGE_SEAM_BYTES - w.base;
                if (utf16 && (from - h.start) % 2) ++from;  // stay on the hit's code units
            }
            const size_t after = std::min<uint64_t>(w.len - h.end, utf16 ? 32 : 16);
            std::string bytes(reinterpret_cast<const char*>(w.buf) + from, h.end + after - from);
            nlohmann::json d = {{"encoding", enc},
                                {"context", decode_context(bytes, h.labels.front())},
                                {"value", set_.terms[h.term].text}};
            Found f{set_.terms[h.term].text, d.dump(), static_cast<int64_t>(w.base + h.start),
                    static_cast<int64_t>(h.end - h.start)};
            if (immediate_)
                emit_one(f);
            else
                pending_.push_back(std::move(f));
        }
    }

    // Regular expressions in UTF-16LE/BE (both byte parities) and in each 8-bit code page: the
    // window is decoded to UTF-8 in chunks (with an overlap, so a match crossing a chunk is seen
    // whole by the next one) and matched there; offsets go back through View::from. A match in
    // a code page whose bytes are all ASCII is the UTF-8 pass's, not repeated; a chunk with no
    // byte >= 0x80 is not decoded for the code pages at all.
    static constexpr size_t kChunk = 1 << 20, kOverlap = 64 << 10;

    static int on_view_match(unsigned id, unsigned long long from, unsigned long long to, unsigned, void* ctx) {
        auto* self = static_cast<Keywords*>(ctx);
        if (const unsigned w = self->set_.views_width[id]) from = to - w;
        self->view_hits_.push_back({id, from, to});
        return 0;
    }

    void scan_views(const Window& w) {
        for (size_t c0 = 0; c0 < w.len; c0 += kChunk) {
            const size_t c1 = std::min(w.len, c0 + kChunk + kOverlap);
            const uint8_t* p = w.buf + c0;
            const size_t n = c1 - c0;
            for (bool le : {true, false})
                for (unsigned parity : {0u, 1u}) {
                    decode_utf16(p, n, le, parity, view_);
                    match_view(set_.views_db, w, c0, le ? "utf-16le" : "utf-16be", false);
                }
            if (!set_.cp_db || std::none_of(p, p + n, [](uint8_t b) { return b >= 0x80; })) continue;
            for (const auto& cp : code_pages()) {
                decode_8bit(cp, p, n, view_);
                match_view(set_.cp_db, w, c0, cp.label, true);
            }
        }
    }

    void match_view(const hs_database_t* db, const Window& w, size_t c0, const char* label, bool needs_high_byte) {
        view_hits_.clear();
        if (view_.text.empty()) return;
        const hs_error_t rc = hs_scan(db, view_.text.data(), static_cast<unsigned>(view_.text.size()), 0,
                                      scratch_, &Keywords::on_view_match, this);
        if (rc != HS_SUCCESS) throw std::runtime_error("Hyperscan scan failed (error " + std::to_string(rc) + ")");
        for (const auto& [id, from, to] : view_hits_) {
            if (to <= from) continue;
            const uint64_t start = c0 + view_.from[from], end = c0 + view_.from[to];
            if (needs_high_byte && std::none_of(w.buf + start, w.buf + end, [](uint8_t b) { return b >= 0x80; })) continue;
            const Pattern& pat = set_.patterns[set_.views_pattern[id]];
            auto key = std::make_pair(pat.term, start);
            auto it = hits_.find(key);
            if (it == hits_.end()) {
                hits_.emplace(key, Hit{pat.term, start, end, {label}});
            } else if (std::find(it->second.labels.begin(), it->second.labels.end(), label) == it->second.labels.end()) {
                it->second.labels.push_back(label);
            }
        }
    }

    // A term in UTF-16BE at byte s and in UTF-16LE at s + 1 over "\0a\0b\0" is one text: kept once,
    // in the reading whose run of text is longer, on a tie at the even offset.
    void drop_utf16_twins(const Window& w) {
        for (auto it = hits_.begin(); it != hits_.end();) {
            const auto& l = it->second.labels;
            const bool be = std::find(l.begin(), l.end(), "utf-16be") != l.end();
            const bool le = std::find(l.begin(), l.end(), "utf-16le") != l.end();
            const uint64_t s = it->second.start;
            bool drop = false;
            if (be || le) {
                for (uint64_t other : {s - 1, s + 1}) {
                    if (other == static_cast<uint64_t>(-1)) continue;
                    auto o = hits_.find({it->second.term, other});
                    if (o == hits_.end()) continue;
                    const auto& ol = o->second.labels;
                    const bool other_le = std::find(ol.begin(), ol.end(), "utf-16le") != ol.end();
                    const bool other_be = std::find(ol.begin(), ol.end(), "utf-16be") != ol.end();
                    if (!((be && other_le) || (le && other_be))) continue;
                    const size_t mine = triage::ident::utf16_text_run(w.buf, w.len, s, le);
                    const size_t theirs = triage::ident::utf16_text_run(w.buf, w.len, other, !le);
                    if (mine != theirs ? mine < theirs : s % 2 == 1) drop = true;
                }
            }
            it = drop ? hits_.erase(it) : std::next(it);
        }
    }

    void emit_one(const Found& f) const {
        triage_finding t{sizeof t, "keyword", f.rule.c_str(), "keyword", 0, f.offset, f.length, f.detail.c_str()};
        emit_finding(t);
    }

    const KeywordSet& set_;
    Pager pager_;
    uint64_t max_hits_;
    hs_scratch_t* scratch_ = nullptr;
    std::map<std::pair<unsigned, uint64_t>, Hit> hits_;
    struct ViewHit {
        unsigned id;
        unsigned long long from, to;
    };
    std::vector<ViewHit> view_hits_;
    triage::kw::View view_;
    std::vector<Found> pending_;
    uint64_t reported_ = 0;
    bool immediate_ = false;
    bool seam_ = false;
    uint64_t seam_end_ = 0;
};

const triage_detector kKeywords = triage::sdk::describe<Keywords, KeywordSet>(
    "keywords", "1.0.0", "triage project",
    "the examiner's keywords (--keywords FILE), case-insensitive, in UTF-8, UTF-16LE/BE, CP1251, KOI8-U/R, CP866, "
    "ISO-8859-5, CP1250, ISO-8859-2/16, over files and unallocated space",
    TRIAGE_WANT_BLOCKS | TRIAGE_WANT_UNALLOC | TRIAGE_WANT_HEAVY, kOptions, sizeof kOptions / sizeof kOptions[0]);
const triage_detector* const kDetectors[] = {&kKeywords};
const triage_plugin kPlugin{sizeof(triage_plugin), 2, kDetectors, 1};

}  // namespace

extern "C" const triage_plugin* triage_builtin_keywords_entry(uint32_t /*host_api_version*/) { return &kPlugin; }
