// The identifiers detector: e-mail addresses, URLs, domains, phone numbers, IBANs, payment
// cards, cryptocurrency addresses and IP addresses in file content and unallocated space, in
// ASCII/UTF-8 and UTF-16LE/BE text. Every candidate is validated (identifiers/extract.cpp); a
// hit is reported once per location (page + margin, identifiers/pager.hpp).
#include <triage/detector.hpp>

#include "identifiers/extract.hpp"
#include "identifiers/idn.hpp"
#include "identifiers/pager.hpp"
#include "identifiers/text_views.hpp"
#include "keywords/terms.hpp"
#include "keywords/transcode.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <set>
#include <tuple>
#include <string>
#include <vector>

namespace {

using namespace triage::ident;

const triage_option_desc kOptions[] = {
    {"page_mb", "int", "4", "content is scanned in pages of this size (plus margin)"},
    {"margin_kb", "int", "16", "bytes after each page also scanned, for identifiers straddling pages"},
    {"max_hits", "int", "100000", "identifiers reported per object at most (a warning says when more were found)"},
};

struct Found {
    Hit hit;
    const char* encoding;
    uint64_t offset, length;  // bytes, object offset
    std::string context;
};

class Identifiers final : public triage::sdk::Detector {
public:
    Identifiers(const triage_host_api* api, triage_host* host)
        : Detector(api, host),
          pager_(bounded_option(option("page_mb", "4"), "page_mb", 1, 1024) << 20,
                 bounded_option(option("margin_kb", "16"), "margin_kb", 8, 65536) << 10, 1024),
          max_hits_(std::stoull(option("max_hits", "100000"))) {}

    void begin(const triage_object_info& o) override {
        pager_.reset();
        pending_.clear();
        reported_ = 0;
        over_ = false;
        // Unallocated ranges can be large and are never known-good: their hits go out at once.
        immediate_ = o.kind == TRIAGE_OBJECT_UNALLOC;
        // A file_slack range carries seam margins (detector_abi.h): only hits reaching past the
        // file's end and starting before the slack's end are its own; one starting at the
        // range's first byte may be cut at its left end and is left out.
        seam_ = immediate_ && o.name && std::string(o.name) == "file_slack";
        seam_end_ = o.size > TRIAGE_SEAM_BYTES ? o.size - TRIAGE_SEAM_BYTES : 0;
    }

    void block(const uint8_t* data, size_t len, uint64_t) override {
        pager_.feed(data, len, [this](const Window& w) { scan(w); });
    }

    void end() override {
        if (!immediate_ && marked("skip")) {  // a known-good file and the examiner skips those
            pending_.clear();
            pager_.reset();
            return;
        }
        pager_.finish([this](const Window& w) { scan(w); });
        for (const auto& f : pending_) emit(f);
        pending_.clear();
        if (over_) log(TRIAGE_LOG_WARNING, "more than " + std::to_string(max_hits_) + " identifiers in one object; the rest are not reported");
    }

private:
    void scan(const Window& w) {
        std::vector<Found> found;
        const std::string_view raw(reinterpret_cast<const char*>(w.buf), w.len);
        for (auto& h : extract(raw))
            found.push_back({h, "utf-8", h.start, h.length, context_of(raw, h.start, h.length)});
        for (bool le : {true, false})
            for (unsigned parity : {0u, 1u}) {
                const std::string text = narrow_utf16(w.buf, w.len, le, parity);
                for (auto& h : extract(text))
                    found.push_back({h, le ? "utf-16le" : "utf-16be", parity + 2 * h.start, 2 * h.length,
                                     context_of(text, h.start, h.length)});
            }
        std::vector<Found> idn = internationalised(w);
        drop_utf16_twins(found, w);
        drop_pieces(found, idn);
        for (auto& f : found) {
            if (f.offset < w.from || f.offset >= w.to) continue;  // another page reports it
            f.offset += w.base;
            if (seam_ && !(f.offset > 0 && f.offset + f.length > TRIAGE_SEAM_BYTES && f.offset < seam_end_)) continue;
            if (seam_) {  // the context starts at the file's end: its own bytes stay out of it
                const uint64_t from = std::max<uint64_t>(f.offset, TRIAGE_SEAM_BYTES) - w.base;
                const uint64_t to = std::min<uint64_t>(w.len, f.offset + f.length - w.base + 16);
                f.context = escape_context(std::string_view(reinterpret_cast<const char*>(w.buf) + from, to - from));
            }
            if (reported_ >= max_hits_) {
                over_ = true;
                return;
            }
            ++reported_;
            if (immediate_)
                emit(f);
            else
                pending_.push_back(std::move(f));
        }
    }

    // E-mail addresses and domain names with non-ASCII letters (idn.hpp), in the window decoded
    // as UTF-8 and as UTF-16LE/BE at both parities. Decoding everything costs five times the
    // ASCII extraction (measured on the 1 GiB corpus), and binary data decodes into noise, so
    // only text is decoded: 4 KiB blocks in which at least 90 % of the characters of that
    // encoding are text (printable ASCII, whitespace, letters of the Latin, Cyrillic, Georgian
    // blocks, punctuation), runs of them widened by 512 bytes each side. An internationalised
    // address inside a mostly binary block (a string table) is not looked for.
    static constexpr size_t kBlock = 4096, kWiden = 512;

    static bool text_unit(unsigned c) {
        if (c < 0x80) return (c >= 0x20 && c < 0x7F) || c == '\t' || c == '\n' || c == '\r';
        return (c >= 0xA0 && c < 0x0530) || (c >= 0x10A0 && c < 0x1100) || (c >= 0x1C90 && c < 0x1CC0) ||
               (c >= 0x1E00 && c < 0x1F00) || (c >= 0x2000 && c < 0x2070);
    }

    // Share of text characters in buf[0, n) read as view v (0 UTF-8, 1/2 UTF-16LE parity 0/1,
    // 3/4 UTF-16BE parity 0/1), as a fraction of the characters read.
    // Stops as soon as more than a tenth is not text (binary data and the wrong byte order fail
    // within a few hundred characters). UTF-8 blocks without a byte >= 0x80 are not wanted: the
    // ASCII extraction has seen them.
    static bool texty(const uint8_t* b, size_t n, int v) {
        size_t odd = 0;
        if (v == 0) {
            if (std::none_of(b, b + n, [](uint8_t c) { return c >= 0x80; })) return false;
            const size_t limit = n / 10;
            for (size_t i = 0; i < n;) {
                const uint8_t c = b[i];
                size_t len = c < 0x80 ? 1 : (c >= 0xC2 && c <= 0xDF) ? 2 : (c & 0xF0) == 0xE0 ? 3 : 0;
                bool ok = len > 0 && i + len <= n;
                for (size_t k = 1; ok && k < len; ++k) ok = (b[i + k] & 0xC0) == 0x80;
                if (!ok) {
                    if (++odd > limit) return false;
                    ++i;
                    continue;
                }
                unsigned cp = len == 1 ? c : len == 2 ? ((c & 0x1Fu) << 6) | (b[i + 1] & 0x3Fu)
                                                      : ((c & 0x0Fu) << 12) | ((b[i + 1] & 0x3Fu) << 6) | (b[i + 2] & 0x3Fu);
                if (!text_unit(cp) && ++odd > limit) return false;
                i += len;
            }
            return true;
        }
        const bool le = v < 3;
        const size_t limit = n / 20;  // a tenth of the n / 2 code units
        for (size_t i = static_cast<size_t>(v - 1) % 2; i + 1 < n; i += 2)
            if (!text_unit(le ? (b[i] | (b[i + 1] << 8)) : ((b[i] << 8) | b[i + 1])) && ++odd > limit) return false;
        return n > 1;
    }

    std::vector<Found> internationalised(const Window& w) {
        std::vector<Found> idn;
        std::set<std::tuple<uint64_t, std::string, std::string>> keys;  // regions may overlap
        auto seen = [&](const Found& f) { return !keys.insert({f.offset, f.hit.type, f.encoding}).second; };
        const bool high = std::any_of(w.buf, w.buf + w.len, [](uint8_t b) { return b >= 0x80; });
        for (int v = 0; v < 5; ++v) {
            if (v == 0 && !high) continue;  // ASCII only: extract() saw it all
            const char* enc = v == 0 ? "utf-8" : v < 3 ? "utf-16le" : "utf-16be";
            for (size_t b0 = 0; b0 < w.len;) {
                if (!texty(w.buf + b0, std::min(kBlock, w.len - b0), v)) {
                    b0 += kBlock;
                    continue;
                }
                size_t b1 = b0 + kBlock;
                while (b1 < w.len && texty(w.buf + b1, std::min(kBlock, w.len - b1), v)) b1 += kBlock;
                const size_t from = b0 > kWiden ? b0 - kWiden : 0, to = std::min(w.len, b1 + kWiden);
                b0 = b1;
                const uint8_t* p = w.buf + from;
                if (v == 0)
                    triage::kw::decode_utf8(p, to - from, view_);
                else
                    triage::kw::decode_utf16(p, to - from, v < 3, static_cast<unsigned>(v - 1) % 2, view_);
                for (auto& h : extract_idn(view_.text)) {
                    const uint64_t start = from + view_.from[h.start], end = from + view_.from[h.start + h.length];
                    const size_t before = std::min<uint64_t>(start, v == 0 ? 24 : 48);
                    const size_t after = std::min<uint64_t>(w.len - end, v == 0 ? 24 : 48);
                    const std::string bytes(reinterpret_cast<const char*>(w.buf) + start - before, end - start + before + after);
                    Found f{h, enc, start, end - start, triage::kw::decode_context(bytes, enc)};
                    if (!seen(f)) idn.push_back(std::move(f));
                }
            }
        }
        drop_idn_twins(idn, w);
        // A page of text decodes to several times its size (a source offset per output byte):
        // not kept between pages, so idle instances (one per worker and lane) hold no such view.
        if (view_.from.capacity() > (1u << 18)) view_ = {};
        return idn;
    }

    // UTF-16 text read with the other byte order one byte off is the same text shifted by one
    // character, garbled where the script changes (LE "ко" + "ivan" read as BE at +1 gives
    // "оѩvan": U+0469 from the 04 of "о" and the 69 of "i"). Of two such readings the one with
    // fewer odd characters around it (controls, archaic and extended Cyrillic, CJK, Hangul,
    // unprintable) is the text as written; on a tie the one at the even offset.
    static size_t oddness(const Window& w, uint64_t at, bool le) {
        size_t odd = 0;
        const uint64_t from = at >= 64 ? at - 64 : at % 2;
        for (uint64_t i = from; i + 1 < w.len && i < at + 64; i += 2) {
            const unsigned c = le ? (w.buf[i] | (w.buf[i + 1] << 8)) : ((w.buf[i] << 8) | w.buf[i + 1]);
            const bool control = (c < 0x20 && c != '\t' && c != '\n' && c != '\r') || (c >= 0x7F && c < 0xA0);
            if (control || (c >= 0x0460 && c <= 0x052F) || (c >= 0x3400 && c <= 0x9FFF) || (c >= 0xAC00 && c <= 0xD7FF) ||
                c >= 0xE000)
                ++odd;
        }
        return odd;
    }

    static void drop_idn_twins(std::vector<Found>& idn, const Window& w) {
        std::vector<bool> drop(idn.size(), false);
        for (size_t i = 0; i < idn.size(); ++i)
            for (size_t j = 0; j < idn.size(); ++j) {
                const std::string_view a = idn[i].encoding, b = idn[j].encoding;
                if (a != "utf-16le" || b != "utf-16be" || idn[i].hit.type != idn[j].hit.type) continue;
                if (idn[i].offset + 1 != idn[j].offset && idn[j].offset + 1 != idn[i].offset) continue;
                const size_t le = oddness(w, idn[i].offset, true), be = oddness(w, idn[j].offset, false);
                const bool keep_le = le != be ? le < be : idn[i].offset % 2 == 0;
                (keep_le ? drop[j] : drop[i]) = true;
            }
        size_t k = 0;
        for (size_t i = 0; i < idn.size(); ++i)
            if (!drop[i]) {
                if (k != i) idn[k] = std::move(idn[i]);
                ++k;
            }
        idn.resize(k);
    }

    // An ASCII hit inside an internationalised one of the same encoding, or of the other UTF-16
    // byte order one byte off (the twin reading of the same text), is a piece of it.
    static void drop_pieces(std::vector<Found>& found, std::vector<Found>& idn) {
        if (idn.empty()) return;
        auto utf16 = [](const char* e) { return std::string_view(e).rfind("utf-16", 0) == 0; };
        found.erase(std::remove_if(found.begin(), found.end(),
                                   [&](const Found& f) {
                                       return std::any_of(idn.begin(), idn.end(), [&](const Found& g) {
                                           const uint64_t slack = std::string_view(g.encoding) == f.encoding ? 0
                                                                  : utf16(g.encoding) && utf16(f.encoding) ? 1
                                                                                                           : UINT64_MAX;
                                           return slack != UINT64_MAX && f.offset + slack >= g.offset &&
                                                  f.offset + f.length <= g.offset + g.length + slack;
                                       });
                                   }),
                    found.end());
        for (auto& f : idn) found.push_back(std::move(f));
    }

    // "\0a\0b\0" reads as UTF-16BE "ab" at byte 0 and as UTF-16LE "ab" at byte 1: one text, one
    // hit: the reading whose run of text is longer (the other loses a character at an end), on a
    // tie the one at the even offset (where text normally starts).
    static void drop_utf16_twins(std::vector<Found>& found, const Window& w) {
        std::vector<bool> drop(found.size(), false);
        for (size_t i = 0; i < found.size(); ++i) {
            if (std::string_view(found[i].encoding) != "utf-16be") continue;
            for (size_t j = 0; j < found.size(); ++j) {
                if (std::string_view(found[j].encoding) != "utf-16le" || found[j].hit.type != found[i].hit.type ||
                    found[j].hit.value != found[i].hit.value)
                    continue;
                if (found[j].offset == found[i].offset + 1 || found[j].offset + 1 == found[i].offset) {
                    const size_t be = utf16_text_run(w.buf, w.len, found[i].offset, false);
                    const size_t le = utf16_text_run(w.buf, w.len, found[j].offset, true);
                    const bool keep_be = be != le ? be > le : found[i].offset % 2 == 0;
                    (keep_be ? drop[j] : drop[i]) = true;
                }
            }
        }
        size_t k = 0;
        for (size_t i = 0; i < found.size(); ++i)
            if (!drop[i]) {
                if (k != i) found[k] = std::move(found[i]);
                ++k;
            }
        found.resize(k);
    }

    void emit(const Found& f) const {
        nlohmann::json d = {{"value", f.hit.value}, {"encoding", f.encoding}, {"context", f.context}};
        if (!f.hit.note.empty()) d["note"] = f.hit.note;
        const std::string detail = d.dump();
        triage_finding t{sizeof t,   "identifier", f.hit.type.c_str(), "identifier", 0, static_cast<int64_t>(f.offset),
                         static_cast<int64_t>(f.length), detail.c_str()};
        emit_finding(t);
    }

    Pager pager_;
    triage::kw::View view_;
    uint64_t max_hits_;
    std::vector<Found> pending_;
    uint64_t reported_ = 0;
    bool over_ = false, immediate_ = false;
    bool seam_ = false;
    uint64_t seam_end_ = 0;
};

const triage_detector kIdentifiers = triage::sdk::describe<Identifiers>(
    "identifiers", "1.0.0", "triage project",
    "e-mail, URL, domain, phone (UA MD RO PL HU SK LT LV EE GE), IBAN, card, BTC/ETH/TRX/XMR/LTC, IPv4/IPv6 "
    "(checksums validated) in UTF-8 and UTF-16 text of files and unallocated space",
    TRIAGE_WANT_BLOCKS | TRIAGE_WANT_UNALLOC | TRIAGE_WANT_HEAVY, kOptions, sizeof kOptions / sizeof kOptions[0]);
const triage_detector* const kDetectors[] = {&kIdentifiers};
const triage_plugin kPlugin{sizeof(triage_plugin), 2, kDetectors, 1};

}  // namespace

extern "C" const triage_plugin* triage_builtin_identifiers_entry(uint32_t /*host_api_version*/) { return &kPlugin; }
