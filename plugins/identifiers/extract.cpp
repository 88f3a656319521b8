#include "identifiers/extract.hpp"

#include "identifiers/checksums.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cstring>

namespace triage::ident {

namespace {

bool alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool digit(char c) { return c >= '0' && c <= '9'; }
bool alnum(char c) { return alpha(c) || digit(c); }
bool upper(char c) { return c >= 'A' && c <= 'Z'; }
bool hexch(char c) { return digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
bool local_char(char c) { return alnum(c) || (c != 0 && std::strchr("._%+-", c) != nullptr); }
bool host_char(char c) { return alnum(c) || c == '.' || c == '-'; }
bool url_char(char c) {
    return alnum(c) || (c != 0 && std::strchr("-._~:/?#[]@!$&'()*+,;=%", c) != nullptr);
}
std::string lower(std::string_view s) {
    std::string r(s);
    for (auto& c : r)
        if (upper(c)) c = static_cast<char>(c - 'A' + 'a');
    return r;
}

// Top-level domains accepted for bare domain names (not needed for e-mail and URL hosts, which
// carry their own evidence): the generic ones and the country codes of Europe and the region.
// Those that are also common file extensions (md, pl, sh, ...) need three labels, see domain().
constexpr std::array<std::string_view, 70> kTlds = {
    "com", "net", "org", "info", "biz", "edu", "gov", "mil", "int", "io",  "co",  "me",  "app", "dev",
    "online", "site", "xyz", "top", "club", "shop", "onion", "ua", "md", "ro", "pl", "hu", "sk", "lt",
    "lv", "ee", "ge", "ru", "by", "kz", "am", "az", "de", "at", "ch", "fr", "it", "es", "pt", "nl",
    "be", "lu", "uk", "ie", "cz", "si", "hr", "rs", "ba", "me", "mk", "al", "bg", "gr", "cy", "mt",
    "dk", "se", "no", "fi", "is", "eu", "us", "ca", "tr", "il"};
constexpr std::array<std::string_view, 9> kExtensionLike = {"md", "pl", "sh", "me", "co", "am", "al", "io", "is"};

bool known_tld(std::string_view t) { return std::find(kTlds.begin(), kTlds.end(), t) != kTlds.end(); }

// RFC 1035 host name with at least two labels and an alphabetic TLD.
bool valid_host(std::string_view h, size_t* labels = nullptr) {
    if (h.empty() || h.size() > 253) return false;
    size_t n = 0, pos = 0;
    std::string_view last;
    while (true) {
        size_t dot = h.find('.', pos);
        std::string_view l = h.substr(pos, dot == std::string_view::npos ? std::string_view::npos : dot - pos);
        if (l.empty() || l.size() > 63 || l.front() == '-' || l.back() == '-') return false;
        for (char c : l)
            if (!alnum(c) && c != '-') return false;
        ++n;
        last = l;
        if (dot == std::string_view::npos) break;
        pos = dot + 1;
    }
    if (n < 2 || last.size() < 2 || last.size() > 24) return false;
    for (char c : last)
        if (!alpha(c)) return false;
    if (labels) *labels = n;
    return true;
}

bool ipv4_valid(std::string_view s) {
    if (s.size() < 7 || s.size() > 15) return false;
    int parts = 0;
    size_t pos = 0;
    while (pos <= s.size()) {
        size_t dot = s.find('.', pos);
        std::string_view p = s.substr(pos, dot == std::string_view::npos ? std::string_view::npos : dot - pos);
        if (p.empty() || p.size() > 3 || (p.size() > 1 && p[0] == '0')) return false;
        for (char c : p)
            if (!digit(c)) return false;
        ++parts;
        if (dot == std::string_view::npos) break;
        pos = dot + 1;
    }
    if (parts != 4) return false;
    in_addr a{};
    return inet_pton(AF_INET, std::string(s).c_str(), &a) == 1;
}

// Characters that may stand right before / after a bare domain or a national phone number in
// text. Random binary data is full of short dotted letter runs ("GlK.kZ"); requiring text on both
// sides (or NUL, as in string tables) and one letter case keeps them out.
bool text_before(char c) { return c == '\0' || std::strchr(" \t\n\r\"'(<[=,:;>", c) != nullptr; }
bool text_after(char c) { return c == '\0' || std::strchr(" \t\n\r\"')>]},;:!?/|*.<", c) != nullptr; }
bool one_case(std::string_view s) {
    bool lo = false, up = false;
    for (size_t i = 0; i < s.size(); ++i) {
        lo |= s[i] >= 'a' && s[i] <= 'z';
        up |= i > 0 && upper(s[i]);  // "Example.com" is fine
    }
    return !(lo && up) || std::none_of(s.begin(), s.end(), [](char c) { return c >= 'a' && c <= 'z'; });
}

struct Span {
    size_t b, e;
};

class Extractor {
public:
    explicit Extractor(std::string_view t) : t_(t) {}

    std::vector<Hit> run() {
        emails();
        urls();
        std::sort(taken_.begin(), taken_.end(), [](const Span& a, const Span& b) { return a.b < b.b; });
        tokens();
        std::sort(out_.begin(), out_.end(), [](const Hit& a, const Hit& b) { return a.start < b.start; });
        return std::move(out_);
    }

private:
    char at(size_t i) const { return i < t_.size() ? t_[i] : '\0'; }
    // taken_ is sorted by start once e-mails and URLs are found; spans may nest, so a few
    // spans starting before b are looked at.
    bool inside_taken(size_t b, size_t e) const {
        auto it = std::upper_bound(taken_.begin(), taken_.end(), b, [](size_t v, const Span& s) { return v < s.b; });
        for (int k = 0; k < 8 && it != taken_.begin(); ++k) {
            --it;
            if (b >= it->b && e <= it->e) return true;
        }
        return false;
    }
    void add(std::string type, std::string value, size_t b, size_t e, std::string note = {}) {
        out_.push_back({std::move(type), std::move(value), std::move(note), b, e - b});
    }

    void emails() {
        for (size_t at_pos = t_.find('@'); at_pos != std::string_view::npos; at_pos = t_.find('@', at_pos + 1)) {
            size_t b = at_pos;
            while (b > 0 && at_pos - b < 64 && local_char(t_[b - 1])) --b;
            while (b < at_pos && (t_[b] == '.' || t_[b] == '-')) ++b;
            size_t e = at_pos + 1;
            while (e < t_.size() && e - at_pos < 254 && host_char(t_[e])) ++e;
            while (e > at_pos + 1 && (t_[e - 1] == '.' || t_[e - 1] == '-')) --e;
            if (b == at_pos || e <= at_pos + 1) continue;
            std::string_view local = t_.substr(b, at_pos - b), host = t_.substr(at_pos + 1, e - at_pos - 1);
            if (local.find("..") != std::string_view::npos || local.back() == '.') continue;
            if (!valid_host(host)) continue;
            add("email", lower(t_.substr(b, e - b)), b, e);
            taken_.push_back({b, e});
        }
    }

    void urls() {
        static constexpr std::string_view schemes[] = {"https", "http", "ftps", "ftp", "sftp", "wss", "ws", "rtsp", "ssh", "smb"};
        for (size_t p = t_.find("://"); p != std::string_view::npos; p = t_.find("://", p + 3)) {
            size_t b = p;
            while (b > 0 && alpha(t_[b - 1]) && p - b < 6) --b;
            std::string scheme = lower(t_.substr(b, p - b));
            if (std::find(std::begin(schemes), std::end(schemes), scheme) == std::end(schemes)) {
                // "xhttp://": take the longest known scheme that ends at p
                bool found = false;
                for (auto s : schemes)
                    if (p >= s.size() && lower(t_.substr(p - s.size(), s.size())) == s) {
                        b = p - s.size();
                        scheme = s;
                        found = true;
                        break;
                    }
                if (!found) continue;
            }
            size_t e = p + 3;
            while (e < t_.size() && e - b < 2048 && url_char(t_[e])) ++e;
            while (e > p + 3 && std::strchr(".,;:!?')]\"", t_[e - 1])) --e;
            // host[:port] after an optional user@
            std::string_view rest = t_.substr(p + 3, e - p - 3);
            size_t hend = rest.find_first_of("/?#");
            std::string_view auth = rest.substr(0, hend);
            if (auto a = auth.rfind('@'); a != std::string_view::npos) auth = auth.substr(a + 1);
            std::string_view host = auth;
            if (!host.empty() && host[0] == '[') {
                auto close = host.find(']');
                if (close == std::string_view::npos) continue;
                in6_addr a6{};
                if (inet_pton(AF_INET6, std::string(host.substr(1, close - 1)).c_str(), &a6) != 1) continue;
                host = host.substr(0, close + 1);
            } else {
                host = host.substr(0, host.find(':'));
                if (!valid_host(host) && !ipv4_valid(host) && lower(host) != "localhost") continue;
            }
            const size_t host_b = static_cast<size_t>(host.data() - t_.data());
            std::string value = scheme + "://" + std::string(t_.substr(p + 3, host_b - p - 3)) + lower(host) +
                                std::string(t_.substr(host_b + host.size(), e - host_b - host.size()));
            add("url", value, b, e);
            taken_.push_back({b, e});
        }
    }

    // Walks the alphanumeric tokens once; each kind of identifier looks at the token (and what
    // surrounds it) where it can start.
    void tokens() {
        size_t dotted_until = 0, number_until = 0;
        for (size_t i = 0; i < t_.size();) {
            if (!alnum(t_[i])) {
                ++i;
                continue;
            }
            size_t j = i;
            while (j < t_.size() && alnum(t_[j])) ++j;
            const char prev = i ? t_[i - 1] : '\0';
            if (!alnum(prev)) {
                if (j - i >= 25) crypto(i, j);
                if (j - i >= 2 && upper(t_[i]) && upper(at(i + 1)) && digit(at(i + 2)) && digit(at(i + 3))) iban(i);
                if (i >= dotted_until && prev != '@' && prev != '.' && prev != '-' && prev != '_') dotted_until = dotted(i);
                if (i >= number_until && digit(t_[i])) number_until = number(i);
                if (hexch(t_[i]) && prev != ':' && prev != '.') ipv6(i);
            }
            i = j;
        }
    }

    void crypto(size_t b, size_t e) {
        std::string_view s = t_.substr(b, e - b);
        const size_t n = s.size();
        if (n == 42 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
            std::string_view hex = s.substr(2);
            if (std::all_of(hex.begin(), hex.end(), hexch) && eip55_valid(hex)) add("eth", "0x" + lower(hex), b, e);
            return;
        }
        if (n >= 26 && n <= 35 && (s[0] == '1' || s[0] == '3' || s[0] == 'L' || s[0] == 'M' || s[0] == 'T')) {
            auto p = base58check_decode(s);
            if (!p || p->size() != 21) return;
            const uint8_t v = (*p)[0];
            if (v == 0x00 && s[0] == '1') add("btc", std::string(s), b, e, "p2pkh");
            // 0x05 P2SH is shared by Bitcoin and Litecoin's legacy '3' addresses.
            else if (v == 0x05 && s[0] == '3') add("btc", std::string(s), b, e, "p2sh (also a legacy litecoin p2sh)");
            else if (v == 0x30 && s[0] == 'L') add("ltc", std::string(s), b, e, "p2pkh");
            else if (v == 0x32 && s[0] == 'M') add("ltc", std::string(s), b, e, "p2sh");
            else if (v == 0x41 && s[0] == 'T' && n == 34) add("trx", std::string(s), b, e);
            return;
        }
        if ((n == 95 || n == 106) && (s[0] == '4' || s[0] == '8')) {
            auto p = monero_base58_decode(s);
            if (!p || p->size() < 69) return;
            const uint8_t net = (*p)[0];
            const size_t body = p->size() - 4;
            auto h = keccak256(p->data(), body);
            if (std::memcmp(h.data(), p->data() + body, 4) != 0) return;
            if ((n == 95 && (net == 18 || net == 42)) || (n == 106 && net == 19))
                add("xmr", std::string(s), b, e, net == 42 ? "subaddress" : net == 19 ? "integrated" : "standard");
            return;
        }
        std::string l = lower(s.substr(0, 4));
        if (l.rfind("bc1", 0) == 0 && n >= 14 && n <= 74) {
            if (segwit_valid(s, "bc")) add("btc", lower(s), b, e, "segwit");
        } else if (l == "ltc1" && n >= 15 && n <= 75) {
            if (segwit_valid(s, "ltc")) add("ltc", lower(s), b, e, "segwit");
        }
    }

    void iban(size_t b) {
        const int len = iban_length(t_.substr(b, 2));
        if (!len) return;
        std::string compact;
        size_t i = b;
        // Compact, or printed in groups of four separated by one space.
        while (i < t_.size() && static_cast<int>(compact.size()) < len) {
            char c = t_[i];
            if (upper(c) || digit(c)) {
                compact += c;
                ++i;
            } else if (c == ' ' && compact.size() % 4 == 0 && (upper(at(i + 1)) || digit(at(i + 1)))) {
                ++i;
            } else {
                break;
            }
        }
        if (static_cast<int>(compact.size()) != len || alnum(at(i))) return;
        if (iban_valid(compact)) add("iban", compact, b, i);
    }

    // host names of the TLD list, and IPv4 addresses, as dotted runs
    size_t dotted(size_t b) {
        size_t e = b;
        while (e < t_.size() && host_char(t_[e])) ++e;
        size_t end = e;
        while (e > b && (t_[e - 1] == '.' || t_[e - 1] == '-')) --e;
        std::string_view s = t_.substr(b, e - b);
        if (s.find('.') == std::string_view::npos || at(e) == '@' || at(b - 1) == '@' || inside_taken(b, e)) return end;
        if (ipv4_valid(s)) {
            if (at(e) == '.' && digit(at(e + 1))) return end;  // five-part version numbers
            // binary on either side (bytes >= 0x80): not text
            if (static_cast<unsigned char>(at(b - 1)) >= 0x80 || static_cast<unsigned char>(at(e)) >= 0x80) return end;
            if (!version_before(b) && s.substr(0, 2) != "0." && !(s.size() > 6 && s.substr(s.size() - 6) == ".0.0.0"))
                add("ipv4", std::string(s), b, e);
            return end;
        }
        if (!text_before(at(b - 1)) || !text_after(at(e)) || !one_case(s)) return end;
        size_t labels = 0;
        if (!valid_host(s, &labels)) return end;
        std::string host = lower(s);
        std::string tld = host.substr(host.rfind('.') + 1);
        if (!known_tld(tld)) return end;
        if (labels < 3 && std::find(kExtensionLike.begin(), kExtensionLike.end(), tld) != kExtensionLike.end()) return end;
        // "x.kz", "ho.es": short two-label names are what binary data spells by chance
        if (labels == 2 && host.find('.') < 3) return end;
        add("domain", host, b, e);
        return end;
    }

    bool version_before(size_t b) const {
        size_t k = b;
        while (k > 0 && b - k < 3 && (t_[k - 1] == ' ' || t_[k - 1] == ':' || t_[k - 1] == '=')) --k;
        size_t w = k;
        while (w > 0 && k - w < 12 && alpha(t_[w - 1])) --w;
        std::string word = lower(t_.substr(w, k - w));
        return word == "v" || word == "ver" || word == "version" || word == "build" || word == "release" ||
               word == "fileversion" || word == "productversion";
    }

    void ipv6(size_t b) {
        size_t e = b;
        while (e < t_.size() && (hexch(t_[e]) || t_[e] == ':' || t_[e] == '.')) ++e;
        while (e > b && (t_[e - 1] == '.' || (t_[e - 1] == ':' && at(e - 2) != ':'))) --e;
        if (alnum(at(e)) || e - b < 6) return;
        std::string s(t_.substr(b, e - b));
        size_t groups = 0;
        for (size_t i = 0; i < s.size();) {
            if (s[i] == ':') {
                ++i;
                continue;
            }
            ++groups;
            while (i < s.size() && s[i] != ':') ++i;
        }
        if (std::count(s.begin(), s.end(), ':') < 2 || groups < 3 || inside_taken(b, e)) return;
        in6_addr a{};
        if (inet_pton(AF_INET6, s.c_str(), &a) != 1) return;
        char buf[INET6_ADDRSTRLEN];
        inet_ntop(AF_INET6, &a, buf, sizeof buf);
        add("ipv6", buf, b, e);
    }

    struct Number {
        std::string digits;
        std::vector<size_t> groups;
        std::string seps;  // every separator character seen
        bool plus = false, paren = false;
        size_t b = 0, e = 0;
    };

    // A run of digits with single separators (or "(...)") between groups.
    size_t number(size_t i) {
        Number n;
        n.b = i;
        if (i > 0 && t_[i - 1] == '+') {
            n.plus = true;
            n.b = i - 1;
        } else if (i > 0 && t_[i - 1] == '(') {
            n.b = i - 1;
        }
        const char before = n.b ? t_[n.b - 1] : '\0';
        if (alnum(before) || (before == '.' && digit(at(n.b - 2))) || (before == ',' && digit(at(n.b - 2))) ||
            (before == '-' && digit(at(n.b - 2))))
            return i + 1;
        size_t k = i;
        while (true) {
            size_t g = k;
            while (k < t_.size() && digit(t_[k])) ++k;
            n.groups.push_back(k - g);
            n.digits += t_.substr(g, k - g);
            if (n.digits.size() > 19) return k;
            size_t s = k;
            while (s < t_.size() && s - k < 2 && std::strchr(" -.()", t_[s]) && t_[s] != '\0') ++s;
            if (s == k || !digit(at(s))) break;
            std::string_view sep = t_.substr(k, s - k);
            if (sep.size() == 2 && sep.find_first_of("()") == std::string_view::npos) break;
            n.seps += sep;
            if (sep.find_first_of("()") != std::string_view::npos) n.paren = true;
            k = s;
        }
        n.e = k;
        if (alpha(at(k)) || (at(k) == '.' && digit(at(k + 1))) || (at(k) == ',' && digit(at(k + 1)))) return k;
        if (!inside_taken(n.b, n.e) && !card(n)) phone(n);
        return k;
    }

    bool card(const Number& n) {
        const size_t d = n.digits.size();
        if (n.plus || n.paren || d < 12 || d > 19) return false;
        if (!n.seps.empty()) {
            if (n.seps.find_first_not_of(n.seps[0]) != std::string::npos || (n.seps[0] != ' ' && n.seps[0] != '-'))
                return false;
            const auto& g = n.groups;
            bool fours = true;
            for (size_t i = 0; i + 1 < g.size(); ++i) fours &= g[i] == 4;
            fours &= g.back() >= 1 && g.back() <= 4;
            const bool amex = g == std::vector<size_t>{4, 6, 5} || g == std::vector<size_t>{4, 6, 4};
            if (!fours && !amex) return false;
        }
        if (!luhn_valid(n.digits)) return false;
        std::string scheme = card_scheme(n.digits);
        if (scheme.empty()) return false;
        add("card", n.digits, n.b, n.e, scheme);
        return true;
    }

    struct Plan {
        const char* cc;
        const char* name;
        int min_nsn, max_nsn;
    };

    void phone(const Number& n) {
        // National significant number lengths (ITU-T E.164 national plans).
        static const Plan plans[] = {{"380", "UA", 9, 9}, {"373", "MD", 8, 8}, {"40", "RO", 9, 9},
                                     {"48", "PL", 9, 9},  {"36", "HU", 8, 9},  {"421", "SK", 9, 9},
                                     {"370", "LT", 8, 8}, {"371", "LV", 8, 8}, {"372", "EE", 7, 8},
                                     {"995", "GE", 9, 9}};
        std::string d = n.digits;
        bool intl = n.plus;
        if (!intl && d.rfind("00", 0) == 0) {
            intl = true;
            d = d.substr(2);
        }
        if (intl) {
            for (const auto& p : plans) {
                const std::string cc = p.cc;
                if (d.rfind(cc, 0) != 0) continue;
                std::string nsn = d.substr(cc.size());
                const int len = static_cast<int>(nsn.size());
                if (len >= p.min_nsn && len <= p.max_nsn && nsn[0] != '0')
                    add("phone", "+" + d, n.b, n.e, p.name);
                return;
            }
            return;
        }
        national(n);
    }

    // National formats, conservative: a trunk prefix and a mobile range of the plan with the
    // exact length; PL and GE (no trunk prefix) only in their usual 3-3-3 / 3-2-2-2 grouping.
    void national(const Number& n) {
        const std::string& d = n.digits;
        const size_t len = d.size();
        auto pre = [&](std::initializer_list<const char*> ps) {
            for (const char* p : ps)
                if (d.rfind(p, 0) == 0) return true;
            return false;
        };
        std::vector<std::pair<std::string, std::string>> c;  // country, E.164
        if (len == 10 && pre({"039", "050", "063", "066", "067", "068", "073", "089", "091", "092", "093", "094", "095",
                              "096", "097", "098", "099"}))
            c.push_back({"UA", "+380" + d.substr(1)});
        if (len == 9 && pre({"06", "07"})) c.push_back({"MD", "+373" + d.substr(1)});
        if (len == 10 && pre({"07"})) c.push_back({"RO", "+40" + d.substr(1)});
        if (len == 10 && pre({"090", "091", "094", "095"})) c.push_back({"SK", "+421" + d.substr(1)});
        if (len == 11 && pre({"0620", "0630", "0631", "0650", "0670", "0670"})) c.push_back({"HU", "+36" + d.substr(2)});
        if (len == 9 && pre({"86"})) c.push_back({"LT", "+370" + d.substr(1)});
        const auto& g = n.groups;
        const char before = at(n.b - 1);
        if (n.b > 0 && !text_before(before) && before != '-') return;
        const bool g333 = g == std::vector<size_t>{3, 3, 3}, g3222 = g == std::vector<size_t>{3, 2, 2, 2};
        if (len == 9 && (g333 || g3222) && pre({"45", "50", "51", "53", "57", "60", "66", "69", "72", "73", "78", "79", "88"}))
            c.push_back({"PL", "+48" + d});
        if (len == 9 && (g333 || g3222) && pre({"5"})) c.push_back({"GE", "+995" + d});
        // LV and EE have neither a trunk prefix nor a grouping distinct from other 7-8 digit
        // numbers (status codes and sizes in logs): international format only.
        if (c.empty()) return;
        if (c.size() == 1) {
            add("phone", c[0].second, n.b, n.e, c[0].first + " national");
            return;
        }
        // The same digits fit several plans: the value stays national, the note names them all.
        std::string note = "national, one of";
        for (const auto& [cc, e164] : c) note += " " + cc + " " + e164;
        add("phone", d, n.b, n.e, note);
    }

    std::string_view t_;
    std::vector<Hit> out_;
    std::vector<Span> taken_;
};

}  // namespace

std::vector<Hit> extract(std::string_view text) { return Extractor(text).run(); }

}  // namespace triage::ident
