#include "identifiers/idn.hpp"

#include "util/text.hpp"

#include <idn2.h>
#include <locale.h>
#include <wctype.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <string>

namespace triage::ident {

namespace {

struct Cp {
    char32_t c;
    size_t at;  // byte offset in the text
};

locale_t utf8_locale() {
    static locale_t loc = newlocale(LC_CTYPE_MASK, "C.UTF-8", static_cast<locale_t>(nullptr));
    if (!loc) throw std::runtime_error("the C.UTF-8 locale (glibc) is needed for Unicode letters");
    return loc;
}

std::vector<Cp> decode(std::string_view s) {
    std::vector<Cp> out;
    out.reserve(s.size());
    for (size_t i = 0; i < s.size();) {
        const unsigned char c = static_cast<unsigned char>(s[i]);
        const size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 1;
        char32_t cp = n == 1 ? c : n == 2 ? (c & 0x1f) : n == 3 ? (c & 0x0f) : (c & 0x07);
        for (size_t k = 1; k < n && i + k < s.size(); ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3f);
        out.push_back({n == 1 && c >= 0x80 ? char32_t{0xFFFD} : cp, i});
        i += n;
    }
    return out;
}

bool ascii_alnum(char32_t c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }
// A letter, digit or combining mark of any script (Romanian ă, Cyrillic ї, Georgian ა ...).
bool word(char32_t c) {
    if (c < 0x80) return ascii_alnum(c);
    if (c == 0xFFFD) return false;
    if (iswalnum_l(static_cast<wint_t>(c), utf8_locale())) return true;
    return (c >= 0x0300 && c <= 0x036F) || (c >= 0x0483 && c <= 0x0489);  // combining marks
}
bool local_char(char32_t c) { return word(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-'; }
bool host_char(char32_t c) { return word(c) || c == '.' || c == '-'; }
bool text_before(char32_t c) {
    return c == 0 || c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == 0xA0 || c == 0xAB || c == 0x201C ||
           c == 0x201E || (c < 0x80 && std::string_view("\"'(<[=,:;>").find(static_cast<char>(c)) != std::string_view::npos);
}
bool text_after(char32_t c) {
    return c == 0 || c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == 0xA0 || c == 0xBB || c == 0x201C ||
           c == 0x201D || (c < 0x80 && std::string_view("\"')>]},;:!?/|*.<").find(static_cast<char>(c)) != std::string_view::npos);
}

// The country-code and generic top-level domains in Cyrillic and Georgian script of the region.
constexpr std::array<std::u32string_view, 16> kIdnTlds = {
    U"укр", U"рф", U"бел", U"қаз", U"срб", U"мкд", U"бг", U"ею", U"мон", U"გე", U"рус", U"орг", U"ком", U"онлайн", U"сайт", U"москва"};
// The ASCII top-level domains extract() accepts for bare domains, and those of the region.
constexpr std::array<std::string_view, 33> kAsciiTlds = {
    "com", "net", "org", "info", "biz", "edu", "gov", "online", "site", "ua", "md", "ro", "pl", "hu", "sk", "lt", "lv",
    "ee", "ge", "ru", "by", "kz", "am", "az", "de", "at", "bg", "rs", "mk", "cz", "eu", "me", "su"};

std::string utf8_of(const std::u32string& s) {
    std::string out;
    for (char32_t c : s) triage::util::append_utf8(c, out);
    return out;
}

// The TLD of the domain's Unicode form is one this region uses (ASCII or not).
bool known_tld(const std::string& unicode_domain) {
    const auto dot = unicode_domain.rfind('.');
    if (dot == std::string::npos) return false;
    const std::string tld = unicode_domain.substr(dot + 1);
    if (std::find(kAsciiTlds.begin(), kAsciiTlds.end(), tld) != kAsciiTlds.end()) return true;
    for (auto t : kIdnTlds)
        if (utf8_of(std::u32string(t)) == tld) return true;
    return false;
}

// Cased letters all lower, or all upper (a capital first letter of a label allowed): random
// bytes decoded as text mix cases.
bool one_case(const std::vector<Cp>& cps, size_t b, size_t e) {
    bool lo = false, up = false;
    for (size_t i = b; i < e; ++i) {
        const wint_t c = static_cast<wint_t>(cps[i].c);
        const bool first = i == b || cps[i - 1].c == '.';
        if (iswlower_l(c, utf8_locale())) lo = true;
        if (!first && iswupper_l(c, utf8_locale())) up = true;
    }
    return !(lo && up);
}

bool any_non_ascii(const std::vector<Cp>& cps, size_t b, size_t e) {
    for (size_t i = b; i < e; ++i)
        if (cps[i].c >= 0x80) return true;
    return false;
}

std::u32string slice(const std::vector<Cp>& cps, size_t b, size_t e) {
    std::u32string s;
    for (size_t i = b; i < e; ++i) s += cps[i].c;
    return s;
}

}  // namespace

bool idna_forms(std::string_view domain, std::string& ascii, std::string& unicode) {
    const std::string in(domain);
    char* a = nullptr;
    if (idn2_to_ascii_8z(in.c_str(), &a, IDN2_NONTRANSITIONAL | IDN2_NFC_INPUT) != IDN2_OK) return false;
    std::unique_ptr<char, decltype(&idn2_free)> ap(a, &idn2_free);
    char* u = nullptr;
    if (idn2_to_unicode_8z8z(a, &u, 0) != IDN2_OK) return false;
    std::unique_ptr<char, decltype(&idn2_free)> up(u, &idn2_free);
    ascii = a;
    unicode = u;
    // At least two labels of 1..63 characters, 253 in all (RFC 1035, on the ASCII form).
    if (ascii.size() > 253 || ascii.find('.') == std::string::npos) return false;
    size_t start = 0;
    while (true) {
        const size_t dot = ascii.find('.', start);
        const size_t len = (dot == std::string::npos ? ascii.size() : dot) - start;
        if (len == 0 || len > 63) return false;
        if (dot == std::string::npos) break;
        start = dot + 1;
    }
    return true;
}

std::vector<Hit> extract_idn(std::string_view text) {
    std::vector<Hit> out;
    if (std::none_of(text.begin(), text.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; })) return out;
    const std::vector<Cp> cps = decode(text);
    auto byte_at = [&](size_t i) { return i < cps.size() ? cps[i].at : text.size(); };
    std::vector<std::pair<size_t, size_t>> taken;  // e-mail addresses, in code points
    std::string ascii, unicode;

    for (size_t at = 0; at < cps.size(); ++at) {
        if (cps[at].c != '@') continue;
        size_t b = at;
        while (b > 0 && at - b < 64 && local_char(cps[b - 1].c)) --b;
        while (b < at && (cps[b].c == '.' || cps[b].c == '-')) ++b;
        size_t e = at + 1;
        while (e < cps.size() && e - at < 254 && host_char(cps[e].c)) ++e;
        while (e > at + 1 && (cps[e - 1].c == '.' || cps[e - 1].c == '-')) --e;
        if (b == at || e <= at + 1 || !any_non_ascii(cps, b, e)) continue;
        const std::u32string local = slice(cps, b, at);
        if (local.find(U"..") != std::u32string::npos || local.back() == '.') continue;
        const std::string host = utf8_of(slice(cps, at + 1, e));
        if (!idna_forms(host, ascii, unicode) || !known_tld(unicode)) continue;
        std::u32string lower;
        for (char32_t c : local) lower += static_cast<char32_t>(towlower_l(static_cast<wint_t>(c), utf8_locale()));
        out.push_back({"email", utf8_of(lower) + "@" + unicode, "punycode " + ascii, byte_at(b), byte_at(e) - byte_at(b)});
        taken.push_back({b, e});
    }

    // Bare domain names: a run of letters, digits, hyphens and dots with text on both sides.
    for (size_t i = 0; i < cps.size();) {
        if (!word(cps[i].c)) {
            ++i;
            continue;
        }
        size_t b = i, e = i;
        while (e < cps.size() && host_char(cps[e].c)) ++e;
        i = e;
        while (e > b && (cps[e - 1].c == '.' || cps[e - 1].c == '-')) --e;
        if (!any_non_ascii(cps, b, e)) continue;
        const char32_t before = b == 0 ? 0 : cps[b - 1].c, after = e < cps.size() ? cps[e].c : 0;
        if (!text_before(before) || !text_after(after)) continue;
        if (std::any_of(taken.begin(), taken.end(), [&](const auto& t) { return b < t.second && e > t.first; })) continue;
        size_t dots = 0, first_label = 0;
        for (size_t k = b; k < e; ++k)
            if (cps[k].c == '.') {
                if (dots++ == 0) first_label = k - b;
            }
        if (dots == 0 || (dots == 1 && first_label < 2) || !one_case(cps, b, e)) continue;
        if (!idna_forms(utf8_of(slice(cps, b, e)), ascii, unicode) || !known_tld(unicode)) continue;
        out.push_back({"domain", unicode, "punycode " + ascii, byte_at(b), byte_at(e) - byte_at(b)});
    }
    return out;
}

}  // namespace triage::ident
