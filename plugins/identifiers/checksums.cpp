#include "identifiers/checksums.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <cstring>

namespace triage::ident {

namespace {

// ---- Keccak-f[1600], FIPS 202 section 3 -------------------------------------------------

// rc(t) of FIPS 202 Algorithm 5: the LFSR x^8 + x^6 + x^5 + x^4 + 1.
bool rc_bit(unsigned t) {
    if (t % 255 == 0) return true;
    unsigned r = 1;  // bit i = R[i]
    for (unsigned i = 1; i <= t % 255; ++i) {
        r <<= 1;
        const unsigned r8 = (r >> 8) & 1;
        r ^= r8 | (r8 << 4) | (r8 << 5) | (r8 << 6);
        r &= 0xff;
    }
    return r & 1;
}

struct KeccakTables {
    uint64_t rc[24];
    unsigned rot[25];  // by lane x + 5y
    KeccakTables() {
        for (unsigned ir = 0; ir < 24; ++ir) {  // Algorithm 6 (iota)
            uint64_t v = 0;
            for (unsigned j = 0; j <= 6; ++j)
                if (rc_bit(j + 7 * ir)) v |= uint64_t{1} << ((1u << j) - 1);
            rc[ir] = v;
        }
        rot[0] = 0;  // Algorithm 2 (rho)
        unsigned x = 1, y = 0;
        for (unsigned t = 0; t < 24; ++t) {
            rot[x + 5 * y] = ((t + 1) * (t + 2) / 2) % 64;
            const unsigned nx = y, ny = (2 * x + 3 * y) % 5;
            x = nx;
            y = ny;
        }
    }
};
const KeccakTables& tables() {
    static const KeccakTables t;
    return t;
}

uint64_t rotl(uint64_t v, unsigned n) { return n == 0 ? v : (v << n) | (v >> (64 - n)); }

void keccak_f(uint64_t a[25]) {
    const auto& t = tables();
    for (unsigned round = 0; round < 24; ++round) {
        uint64_t c[5], b[25];
        for (unsigned x = 0; x < 5; ++x) c[x] = a[x] ^ a[x + 5] ^ a[x + 10] ^ a[x + 15] ^ a[x + 20];  // theta
        for (unsigned x = 0; x < 5; ++x) {
            const uint64_t d = c[(x + 4) % 5] ^ rotl(c[(x + 1) % 5], 1);
            for (unsigned y = 0; y < 5; ++y) a[x + 5 * y] ^= d;
        }
        for (unsigned x = 0; x < 5; ++x)  // rho and pi: B[y, 2x+3y] = rot(A[x, y])
            for (unsigned y = 0; y < 5; ++y) b[y + 5 * ((2 * x + 3 * y) % 5)] = rotl(a[x + 5 * y], t.rot[x + 5 * y]);
        for (unsigned x = 0; x < 5; ++x)  // chi
            for (unsigned y = 0; y < 5; ++y)
                a[x + 5 * y] = b[x + 5 * y] ^ (~b[(x + 1) % 5 + 5 * y] & b[(x + 2) % 5 + 5 * y]);
        a[0] ^= t.rc[round];  // iota
    }
}

void absorb_block(uint64_t st[25], const uint8_t* p, size_t rate) {
    for (size_t i = 0; i < rate / 8; ++i) {
        uint64_t lane = 0;
        for (unsigned k = 0; k < 8; ++k) lane |= uint64_t{p[8 * i + k]} << (8 * k);
        st[i] ^= lane;
    }
    keccak_f(st);
}

// ---- SHA-256 through OpenSSL (Base58Check) ------------------------------------------------
void sha256(const uint8_t* p, size_t n, uint8_t out[32]) {
    unsigned len = 32;
    EVP_Digest(p, n, out, &len, EVP_sha256(), nullptr);
}

constexpr std::string_view kB58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
int b58_value(char c) {
    auto p = kB58.find(c);
    return p == std::string_view::npos ? -1 : static_cast<int>(p);
}

// ---- bech32, BIP-173 ---------------------------------------------------------------------
constexpr std::string_view kBech32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
uint32_t polymod(const std::vector<uint8_t>& v) {
    static const uint32_t gen[5] = {0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3};
    uint32_t chk = 1;
    for (uint8_t x : v) {
        const uint32_t top = chk >> 25;
        chk = ((chk & 0x1ffffff) << 5) ^ x;
        for (int i = 0; i < 5; ++i)
            if ((top >> i) & 1) chk ^= gen[i];
    }
    return chk;
}

struct IbanLen {
    const char* cc;
    int len;
};
// SWIFT IBAN registry: every EU/EEA country, the region's neighbours and the other registry members.
constexpr IbanLen kIban[] = {
    {"AD", 24}, {"AE", 23}, {"AL", 28}, {"AT", 20}, {"AZ", 28}, {"BA", 20}, {"BE", 16}, {"BG", 22}, {"BH", 22},
    {"BR", 29}, {"BY", 28}, {"CH", 21}, {"CR", 22}, {"CY", 28}, {"CZ", 24}, {"DE", 22}, {"DK", 18}, {"DO", 28},
    {"EE", 20}, {"EG", 29}, {"ES", 24}, {"FI", 18}, {"FO", 18}, {"FR", 27}, {"GB", 22}, {"GE", 22}, {"GI", 23},
    {"GL", 18}, {"GR", 27}, {"GT", 28}, {"HR", 21}, {"HU", 28}, {"IE", 22}, {"IL", 23}, {"IQ", 23}, {"IS", 26},
    {"IT", 27}, {"JO", 30}, {"KW", 30}, {"KZ", 20}, {"LB", 28}, {"LC", 32}, {"LI", 21}, {"LT", 20}, {"LU", 20},
    {"LV", 21}, {"LY", 25}, {"MC", 27}, {"MD", 24}, {"ME", 22}, {"MK", 19}, {"MR", 27}, {"MT", 31}, {"MU", 30},
    {"NL", 18}, {"NO", 15}, {"PK", 24}, {"PL", 28}, {"PS", 29}, {"PT", 25}, {"QA", 29}, {"RO", 24}, {"RS", 22},
    {"SA", 24}, {"SC", 31}, {"SE", 24}, {"SI", 19}, {"SK", 24}, {"SM", 27}, {"ST", 25}, {"SV", 28}, {"TL", 23},
    {"TN", 24}, {"TR", 26}, {"UA", 29}, {"VA", 22}, {"VG", 24}, {"XK", 20},
};

bool starts(std::string_view d, std::string_view p) { return d.substr(0, p.size()) == p; }
int prefix_num(std::string_view d, size_t n) { return d.size() < n ? -1 : std::stoi(std::string(d.substr(0, n))); }

}  // namespace

std::array<uint8_t, 32> keccak256(const uint8_t* data, size_t n, uint8_t pad) {
    constexpr size_t rate = 136;
    uint64_t st[25] = {};
    while (n >= rate) {
        absorb_block(st, data, rate);
        data += rate;
        n -= rate;
    }
    uint8_t last[rate] = {};
    std::memcpy(last, data, n);
    last[n] ^= pad;
    last[rate - 1] ^= 0x80;
    absorb_block(st, last, rate);
    std::array<uint8_t, 32> out{};
    for (size_t i = 0; i < 32; ++i) out[i] = static_cast<uint8_t>(st[i / 8] >> (8 * (i % 8)));
    return out;
}

std::optional<std::vector<uint8_t>> base58_decode(std::string_view s) {
    std::vector<uint8_t> num;  // big-endian
    size_t zeros = 0;
    while (zeros < s.size() && s[zeros] == '1') ++zeros;
    for (char c : s) {
        int v = b58_value(c);
        if (v < 0) return std::nullopt;
        unsigned carry = static_cast<unsigned>(v);
        for (auto it = num.rbegin(); it != num.rend(); ++it) {
            carry += 58u * *it;
            *it = static_cast<uint8_t>(carry & 0xff);
            carry >>= 8;
        }
        while (carry) {
            num.insert(num.begin(), static_cast<uint8_t>(carry & 0xff));
            carry >>= 8;
        }
    }
    std::vector<uint8_t> out(zeros, 0);
    out.insert(out.end(), num.begin(), num.end());
    return out;
}

std::optional<std::vector<uint8_t>> base58check_decode(std::string_view s) {
    auto raw = base58_decode(s);
    if (!raw || raw->size() < 5) return std::nullopt;
    uint8_t h1[32], h2[32];
    sha256(raw->data(), raw->size() - 4, h1);
    sha256(h1, 32, h2);
    if (std::memcmp(h2, raw->data() + raw->size() - 4, 4) != 0) return std::nullopt;
    raw->resize(raw->size() - 4);
    return raw;
}

std::optional<std::vector<uint8_t>> monero_base58_decode(std::string_view s) {
    // Encoded length of a block of 0..8 bytes.
    static const size_t enc_len[9] = {0, 2, 3, 5, 6, 7, 9, 10, 11};
    std::vector<uint8_t> out;
    for (size_t pos = 0; pos < s.size(); pos += 11) {
        std::string_view blk = s.substr(pos, 11);
        int bytes = -1;
        for (int i = 0; i <= 8; ++i)
            if (enc_len[i] == blk.size()) bytes = i;
        if (bytes <= 0) return std::nullopt;
        unsigned __int128 v = 0;
        for (char c : blk) {
            int d = b58_value(c);
            if (d < 0) return std::nullopt;
            v = v * 58 + static_cast<unsigned>(d);
        }
        if (bytes < 8 && (v >> (8 * bytes)) != 0) return std::nullopt;
        if (bytes == 8 && (v >> 64) != 0) return std::nullopt;
        for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
    }
    return out;
}

std::optional<Bech32> bech32_decode(std::string_view s) {
    if (s.size() < 8 || s.size() > 90) return std::nullopt;
    bool lower = false, upper = false;
    for (char c : s) {
        if (c < 33 || c > 126) return std::nullopt;
        lower |= (c >= 'a' && c <= 'z');
        upper |= (c >= 'A' && c <= 'Z');
    }
    if (lower && upper) return std::nullopt;
    const size_t sep = s.rfind('1');
    if (sep == std::string_view::npos || sep == 0 || sep + 7 > s.size()) return std::nullopt;
    Bech32 r;
    for (size_t i = 0; i < sep; ++i) r.hrp += static_cast<char>(std::tolower(static_cast<unsigned char>(s[i])));
    std::vector<uint8_t> v;
    for (char c : r.hrp) v.push_back(static_cast<uint8_t>(c >> 5));
    v.push_back(0);
    for (char c : r.hrp) v.push_back(static_cast<uint8_t>(c & 31));
    for (size_t i = sep + 1; i < s.size(); ++i) {
        auto p = kBech32.find(static_cast<char>(std::tolower(static_cast<unsigned char>(s[i]))));
        if (p == std::string_view::npos) return std::nullopt;
        v.push_back(static_cast<uint8_t>(p));
        r.data.push_back(static_cast<uint8_t>(p));
    }
    const uint32_t pm = polymod(v);
    if (pm == 1)
        r.kind = Bech32Kind::bech32;
    else if (pm == 0x2bc830a3)
        r.kind = Bech32Kind::bech32m;
    else
        return std::nullopt;
    r.data.resize(r.data.size() - 6);
    return r;
}

bool segwit_valid(std::string_view addr, std::string_view hrp) {
    auto b = bech32_decode(addr);
    if (!b || b->hrp != hrp || b->data.empty()) return false;
    const unsigned version = b->data[0];
    if (version > 16) return false;
    // Regroup the 5-bit program into bytes; leftover bits must be < 5 and zero (BIP-173).
    std::vector<uint8_t> prog;
    unsigned acc = 0, bits = 0;
    for (size_t i = 1; i < b->data.size(); ++i) {
        acc = (acc << 5) | b->data[i];
        bits += 5;
        if (bits >= 8) {
            bits -= 8;
            prog.push_back(static_cast<uint8_t>((acc >> bits) & 0xff));
        }
    }
    if (bits >= 5 || ((acc << (8 - bits)) & 0xff)) return false;
    if (prog.size() < 2 || prog.size() > 40) return false;
    if (version == 0) return b->kind == Bech32Kind::bech32 && (prog.size() == 20 || prog.size() == 32);
    return b->kind == Bech32Kind::bech32m;
}

int iban_length(std::string_view cc) {
    for (const auto& e : kIban)
        if (cc == e.cc) return e.len;
    return 0;
}

bool iban_valid(std::string_view iban) {
    if (iban.size() < 5 || static_cast<int>(iban.size()) != iban_length(iban.substr(0, 2))) return false;
    if (!std::isdigit(static_cast<unsigned char>(iban[2])) || !std::isdigit(static_cast<unsigned char>(iban[3])))
        return false;
    // Move the first four characters to the end, letters to 10..35, remainder mod 97 must be 1.
    std::string r(iban.substr(4));
    r += iban.substr(0, 4);
    unsigned mod = 0;
    for (char c : r) {
        if (c >= '0' && c <= '9')
            mod = (mod * 10 + static_cast<unsigned>(c - '0')) % 97;
        else if (c >= 'A' && c <= 'Z')
            mod = (mod * 100 + static_cast<unsigned>(c - 'A' + 10)) % 97;
        else
            return false;
    }
    return mod == 1;
}

bool luhn_valid(std::string_view d) {
    if (d.empty()) return false;
    unsigned sum = 0;
    bool dbl = false;
    for (auto it = d.rbegin(); it != d.rend(); ++it) {
        if (*it < '0' || *it > '9') return false;
        unsigned v = static_cast<unsigned>(*it - '0');
        if (dbl) v = v * 2 > 9 ? v * 2 - 9 : v * 2;
        sum += v;
        dbl = !dbl;
    }
    return sum % 10 == 0;
}

std::string card_scheme(std::string_view d) {
    const size_t n = d.size();
    const int p2 = prefix_num(d, 2), p3 = prefix_num(d, 3), p4 = prefix_num(d, 4), p6 = prefix_num(d, 6);
    if (p4 >= 2200 && p4 <= 2204 && n >= 16 && n <= 19) return "mir";
    if (((p2 >= 51 && p2 <= 55) || (p4 >= 2221 && p4 <= 2720)) && n == 16) return "mastercard";
    if ((p2 == 34 || p2 == 37) && n == 15) return "amex";
    if (starts(d, "4") && (n == 13 || n == 16 || n == 19)) return "visa";
    if ((p6 >= 622126 && p6 <= 622925) && n >= 16 && n <= 19) return "unionpay";
    if ((starts(d, "6011") || (p3 >= 644 && p3 <= 649) || p2 == 65) && n >= 16 && n <= 19) return "discover";
    if (p2 == 62 && n >= 16 && n <= 19) return "unionpay";
    if (((p3 >= 300 && p3 <= 305) || p4 == 3095 || p2 == 36 || p2 == 38 || p2 == 39) && n >= 14 && n <= 19)
        return "diners";
    if (p4 >= 3528 && p4 <= 3589 && n >= 16 && n <= 19) return "jcb";
    for (int m : {5018, 5020, 5038, 5893, 6304, 6759, 6761, 6762, 6763})
        if (p4 == m && n >= 12 && n <= 19) return "maestro";
    return {};
}

std::string eip55_encode(std::string_view hex) {
    auto h = keccak256(hex);
    std::string out(hex);
    for (size_t i = 0; i < out.size() && i < 40; ++i) {
        const unsigned nib = (i % 2 == 0) ? (h[i / 2] >> 4) : (h[i / 2] & 0xf);
        if (out[i] >= 'a' && out[i] <= 'f' && nib >= 8) out[i] = static_cast<char>(out[i] - 'a' + 'A');
    }
    return out;
}

bool eip55_valid(std::string_view hex) {
    if (hex.size() != 40) return false;
    bool lower = false, upper = false;
    for (char c : hex) {
        if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
        lower |= (c >= 'a' && c <= 'f');
        upper |= (c >= 'A' && c <= 'F');
    }
    if (!(lower && upper)) return true;  // one case: no checksum to check
    std::string low(hex);
    for (auto& c : low) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return eip55_encode(low) == hex;
}

}  // namespace triage::ident
