#include "keywords/terms.hpp"

#include <iconv.h>
#include <locale.h>
#include <wctype.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <stdexcept>

namespace triage::kw {

namespace {

// UTF-8 to code points; false on malformed input.
bool utf8_decode(const std::string& s, std::u32string& out) {
    for (size_t i = 0; i < s.size();) {
        const unsigned char c = static_cast<unsigned char>(s[i]);
        const int n = c < 0x80 ? 0 : (c >> 5) == 6 ? 1 : (c >> 4) == 14 ? 2 : (c >> 3) == 30 ? 3 : -1;
        if (n < 0 || i + static_cast<size_t>(n) >= s.size()) return false;
        char32_t cp = n == 0 ? c : n == 1 ? (c & 0x1f) : n == 2 ? (c & 0x0f) : (c & 0x07);
        for (int k = 1; k <= n; ++k) {
            const unsigned char cc = static_cast<unsigned char>(s[i + static_cast<size_t>(k)]);
            if ((cc >> 6) != 2) return false;
            cp = (cp << 6) | (cc & 0x3f);
        }
        out.push_back(cp);
        i += static_cast<size_t>(n) + 1;
    }
    return true;
}

locale_t utf8_locale() {
    static locale_t loc = newlocale(LC_CTYPE_MASK, "C.UTF-8", static_cast<locale_t>(nullptr));
    if (!loc) throw std::runtime_error("the C.UTF-8 locale (glibc) is needed for Unicode case mapping");
    return loc;
}

// Romanian: s/t with comma below (U+0219/U+021B, the correct letters) and with cedilla
// (U+015F/U+0163, what CP1250 and ISO-8859-2 can hold and what older text uses) are one letter.
char32_t romanian_twin(char32_t c) {
    switch (c) {
        case 0x0218: return 0x015E;
        case 0x0219: return 0x015F;
        case 0x021A: return 0x0162;
        case 0x021B: return 0x0163;
        case 0x015E: return 0x0218;
        case 0x015F: return 0x0219;
        case 0x0162: return 0x021A;
        case 0x0163: return 0x021B;
        default: return 0;
    }
}

std::set<char32_t> variants(char32_t c) {
    locale_t l = utf8_locale();
    std::set<char32_t> v{c};
    for (char32_t x : std::set<char32_t>(v)) {
        v.insert(static_cast<char32_t>(towlower_l(static_cast<wint_t>(x), l)));
        v.insert(static_cast<char32_t>(towupper_l(static_cast<wint_t>(x), l)));
    }
    for (char32_t x : std::set<char32_t>(v))
        if (char32_t t = romanian_twin(x)) v.insert(t);
    return v;
}

struct Iconv {
    iconv_t cd;
    Iconv(const char* to, const char* from) : cd(iconv_open(to, from)) {
        if (cd == reinterpret_cast<iconv_t>(-1))
            throw std::runtime_error(std::string("iconv cannot convert from ") + from + " to " + to);
    }
    ~Iconv() { iconv_close(cd); }
    Iconv(const Iconv&) = delete;
    Iconv& operator=(const Iconv&) = delete;
};

// One code point in ENC, or empty when the encoding has no such character.
std::string encode_one(Iconv& cv, char32_t c) {
    iconv(cv.cd, nullptr, nullptr, nullptr, nullptr);
    char in[4] = {static_cast<char>(c & 0xff), static_cast<char>((c >> 8) & 0xff), static_cast<char>((c >> 16) & 0xff),
                  static_cast<char>((c >> 24) & 0xff)};
    char out[16];
    char* ip = in;
    char* op = out;
    size_t il = 4, ol = sizeof out;
    if (iconv(cv.cd, &ip, &il, &op, &ol) == static_cast<size_t>(-1)) return {};
    return std::string(out, static_cast<size_t>(op - out));
}

std::string hex_bytes(const std::string& b) {
    std::string out;
    char buf[8];
    for (unsigned char c : b) {
        std::snprintf(buf, sizeof buf, "\\x%02x", c);
        out += buf;
    }
    return out;
}

// Variants of one length that are exactly the product of per-byte sets ("а"/"А" in UTF-8 are
// d0 b0 / d0 90, i.e. \xd0[\x90\xb0]) as byte classes; Hyperscan compiles classes far faster
// than alternations. Empty when the set is not such a product.
std::string byte_classes(const std::set<std::string>& alts) {
    const size_t len = alts.begin()->size();
    for (const auto& a : alts)
        if (a.size() != len) return {};
    std::vector<std::set<unsigned char>> pos(len);
    for (const auto& a : alts)
        for (size_t i = 0; i < len; ++i) pos[i].insert(static_cast<unsigned char>(a[i]));
    size_t product = 1;
    for (const auto& p : pos) product *= p.size();
    if (product != alts.size()) return {};
    std::string out;
    for (const auto& p : pos) {
        if (p.size() == 1) {
            out += hex_bytes(std::string(1, static_cast<char>(*p.begin())));
            continue;
        }
        out += "[";
        for (unsigned char c : p) out += hex_bytes(std::string(1, static_cast<char>(c)));
        out += "]";
    }
    return out;
}

}  // namespace

std::vector<Term> load_terms(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("keywords file " + path + ": cannot open");
    std::vector<Term> out;
    std::string line;
    int n = 0;
    while (std::getline(in, line)) {
        ++n;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (n == 1 && line.rfind("\xEF\xBB\xBF", 0) == 0) line.erase(0, 3);  // UTF-8 byte order mark
        if (line.empty() || line[0] == '#') continue;
        Term t;
        t.line = n;
        if (line.rfind("re:", 0) == 0) {
            t.regex = true;
            t.text = line.substr(3);
        } else if (line.rfind("lit:", 0) == 0) {
            t.text = line.substr(4);
        } else {
            t.text = line;
        }
        std::u32string cps;
        if (t.text.empty()) throw std::runtime_error("keywords file " + path + " line " + std::to_string(n) + ": empty term");
        if (!utf8_decode(t.text, cps))
            throw std::runtime_error("keywords file " + path + " line " + std::to_string(n) + ": not valid UTF-8");
        out.push_back(std::move(t));
    }
    return out;
}

const std::vector<Encoding>& encodings() {
    static const std::vector<Encoding> e = {
        {"UTF-8", "utf-8"},       {"UTF-16LE", "utf-16le"},     {"UTF-16BE", "utf-16be"},     {"CP1251", "cp1251"},
        {"KOI8-U", "koi8-u"},     {"KOI8-R", "koi8-r"},         {"CP866", "cp866"},           {"ISO-8859-5", "iso-8859-5"},
        {"CP1250", "cp1250"},     {"ISO-8859-2", "iso-8859-2"}, {"ISO-8859-16", "iso-8859-16"},
    };
    return e;
}

std::vector<Pattern> build_patterns(const std::vector<Term>& terms) {
    std::vector<std::unique_ptr<Iconv>> cvs;
    for (const auto& e : encodings()) cvs.push_back(std::make_unique<Iconv>(e.iconv_name, "UTF-32LE"));
    std::vector<Pattern> out;
    for (unsigned ti = 0; ti < terms.size(); ++ti) {
        const Term& t = terms[ti];
        if (t.regex) {  // regular expressions are matched in UTF-8 (and ASCII) only
            out.push_back({t.text, ti, {"utf-8"}, true});
            continue;
        }
        std::u32string cps;
        utf8_decode(t.text, cps);
        std::map<std::string, size_t> by_expr;  // identical bytes in several encodings: one pattern
        const size_t utf8_at = out.size();       // encodings()[0] is UTF-8, always representable
        for (size_t ei = 0; ei < encodings().size(); ++ei) {
            std::string expr;
            bool ok = true;
            for (char32_t c : cps) {
                std::set<std::string> alts;
                for (char32_t v : variants(c))
                    if (auto b = encode_one(*cvs[ei], v); !b.empty()) alts.insert(b);
                if (alts.empty()) {
                    ok = false;
                    break;
                }
                if (alts.size() == 1) {
                    expr += hex_bytes(*alts.begin());
                } else if (auto classes = byte_classes(alts); !classes.empty()) {
                    expr += classes;
                } else {
                    std::string g = "(?:";
                    for (const auto& a : alts) g += (g.size() > 3 ? "|" : "") + hex_bytes(a);
                    expr += g + ")";
                }
            }
            if (!ok) continue;
            const bool ascii = std::all_of(cps.begin(), cps.end(), [](char32_t c) { return c < 0x80; });
            if (ascii && ei > 0 && expr == out[utf8_at].expression) {
                // An ASCII term has the same bytes in UTF-8 and every code page: one label says so.
                out[utf8_at].labels = {"ascii"};
                continue;
            }
            if (auto it = by_expr.find(expr); it != by_expr.end()) {
                out[it->second].labels.push_back(encodings()[ei].label);
            } else {
                by_expr[expr] = out.size();
                out.push_back({expr, ti, {encodings()[ei].label}, false});
            }
        }
    }
    return out;
}

std::string decode_context(const std::string& bytes, const std::string& label, size_t max_chars) {
    const char* from = "UTF-8";
    for (const auto& e : encodings())
        if (label == e.label) from = e.iconv_name;
    Iconv cv("UTF-8", from);
    std::string out;
    size_t chars = 0;
    const size_t unit = (label == "utf-16le" || label == "utf-16be") ? 2 : 1;
    char* ip = const_cast<char*>(bytes.data());
    size_t il = bytes.size();
    auto put = [&](const std::string& s) {
        if (chars >= max_chars) return;
        out += s;
        ++chars;
    };
    while (il > 0 && chars < max_chars) {
        char buf[8];
        char* op = buf;
        size_t ol = sizeof buf;
        // One character at a time, so a bad byte costs only itself.
        size_t take = std::min(il, unit == 2 ? size_t{2} : size_t{1});
        size_t before = take;
        size_t rc = iconv(cv.cd, &ip, &take, &op, &ol);
        if (rc == static_cast<size_t>(-1) && errno == EINVAL && unit == 1 && il > 1) {
            // a multi-byte UTF-8 character: give iconv up to four bytes
            take = std::min<size_t>(il, 4);
            before = take;
            op = buf;
            ol = sizeof buf;
            rc = iconv(cv.cd, &ip, &take, &op, &ol);
        }
        const size_t used = before - take;
        if (rc == static_cast<size_t>(-1) && used == 0) {
            char h[8];
            std::snprintf(h, sizeof h, "\\x%02x", static_cast<unsigned char>(*ip));
            put(h);
            ++ip;
            --il;
            iconv(cv.cd, nullptr, nullptr, nullptr, nullptr);
            continue;
        }
        il -= used;
        std::string s(buf, static_cast<size_t>(op - buf));
        if (s.size() == 1 && (static_cast<unsigned char>(s[0]) < 0x20 || s[0] == 0x7f)) {
            char h[8];
            std::snprintf(h, sizeof h, "\\x%02x", static_cast<unsigned char>(s[0]));
            s = h;
        } else if (s == "\\") {
            s = "\\\\";
        }
        if (!s.empty()) put(s);
    }
    return out;
}

}  // namespace triage::kw
