// The identifiers detector through the C ABI: identifiers planted at known offsets in
// generated content (valid ones from published examples, invalid ones one character off) in
// UTF-8, UTF-16LE and UTF-16BE; every valid one reported exactly once at its offset whatever the
// block split and across page boundaries; no invalid one ever.
#include "support/detector_driver.hpp"

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <map>
#include <random>
#include <string>
#include <vector>

extern "C" const triage_plugin* triage_builtin_identifiers_entry(uint32_t host_api_version);

namespace {

struct Planted {
    std::string type, text, value;
};

// Published examples (IBAN registry, BIP-173/350, EIP-55, bitcoinjs/bisq/Trust Wallet fixtures,
// processors' test cards, RFC 3849/5737 documentation addresses) and numbers in the national
// plans; value is the normalised form the detector must give.
const std::vector<Planted> kValid = {
    {"email", "Ivan.Petrenko@ukr.net", "ivan.petrenko@ukr.net"},
    {"url", "https://www.Example.com.ua/path?q=1", "https://www.example.com.ua/path?q=1"},
    {"domain", "mail.gov.md", "mail.gov.md"},
    {"phone", "+380 67 123 45 67", "+380671234567"},
    {"phone", "+373 69 123456", "+37369123456"},
    {"phone", "+40 721 234 567", "+40721234567"},
    {"phone", "+48 512-345-678", "+48512345678"},
    {"phone", "+36 1 234 5678", "+3612345678"},
    {"phone", "+421 905 123 456", "+421905123456"},
    {"phone", "+370 612 34567", "+37061234567"},
    {"phone", "+371 2123 4567", "+37121234567"},
    {"phone", "+372 5123 4567", "+37251234567"},
    {"phone", "+995 555 12 34 56", "+995555123456"},
    {"phone", "(067) 123-45-67", "+380671234567"},
    {"iban", "UA21 3223 1300 0002 6007 2335 6600 1", "UA213223130000026007233566001"},
    {"iban", "MD24AG000225100013104168", "MD24AG000225100013104168"},
    {"iban", "RO49AAAA1B31007593840000", "RO49AAAA1B31007593840000"},
    {"card", "4111 1111 1111 1111", "4111111111111111"},
    {"card", "5555-5555-5555-4444", "5555555555554444"},
    {"card", "378282246310005", "378282246310005"},
    {"btc", "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"},
    {"btc", "BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4", "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"},
    {"btc", "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0",
     "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0"},
    {"eth", "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359", "0xfb6916095ca1df60bb79ce92ce3ea74c37c5d359"},
    {"eth", "0xde709f2102306220921060314715629080e2fb77", "0xde709f2102306220921060314715629080e2fb77"},
    {"trx", "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t", "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"},
    {"xmr", "44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3XjrpDtQGv7SqSsaBYBb98uNbr2VBBEt7f2wfn3RVGQBEP3A",
     "44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3XjrpDtQGv7SqSsaBYBb98uNbr2VBBEt7f2wfn3RVGQBEP3A"},
    {"ltc", "LV7LV7Z4bWDEjYkfx9dQo6k6RjGbXsg6hS", "LV7LV7Z4bWDEjYkfx9dQo6k6RjGbXsg6hS"},
    {"ltc", "MGEW4aba3tnrVtVhGcmoqqHaLt5ymPSLPi", "MGEW4aba3tnrVtVhGcmoqqHaLt5ymPSLPi"},
    {"ltc", "ltc1qxtm55gultqzhqzl2p3ks50hg2478y3hehuj6dz", "ltc1qxtm55gultqzhqzl2p3ks50hg2478y3hehuj6dz"},
    {"ipv4", "198.51.100.23", "198.51.100.23"},
    {"ipv6", "2001:DB8:0:0:8:800:200C:417A", "2001:db8::8:800:200c:417a"},
};

// Each fails its checksum, length or range.
const std::vector<std::string> kInvalid = {
    "GB29NWBK60161331926818",                         // IBAN mod 97
    "UA21322313000002600723356600",                   // IBAN one digit short
    "4111 1111 1111 1112",                            // Luhn
    "9111111111111117",                               // no issuer range (Luhn-valid)
    "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb",             // Base58Check
    "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5",     // bech32
    "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqh2y7hd",  // v1 with bech32 (BIP-350)
    "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d35A",     // EIP-55 case
    "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6u",             // TRON checksum
    "44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3XjrpDtQGv7SqSsaBYBb98uNbr2VBBEt7f2wfn3RVGQBEP3B",
    "LV7LV7Z4bWDEjYkfx9dQo6k6RjGbXsg6hT",             // Litecoin checksum
    "+380 67 123 45 6",                               // UA: 8-digit NSN
    "+48 512 345 67",                                 // PL: 8-digit NSN
    "300.1.2.3",                                      // not IPv4
    "version 1.2.3.4",                                // a version number
};

std::string utf16(const std::string& ascii, bool le) {
    std::string out;
    for (char c : ascii) {
        if (le) {
            out += c;
            out += '\0';
        } else {
            out += '\0';
            out += c;
        }
    }
    return out;
}

struct Doc {
    std::string data;
    std::vector<std::pair<size_t, const Planted*>> where;  // byte offset of each valid one
};

// Random binary filler, then each identifier in the given text form between separators.
Doc make_doc(const std::string& encoding, size_t filler, unsigned seed) {
    std::mt19937 rng(seed);
    auto enc = [&](const std::string& s) {
        return encoding == "utf-8" ? s : utf16(s, encoding == "utf-16le");
    };
    auto junk = [&](size_t n) {
        std::string j(n, '\0');
        for (auto& c : j) c = static_cast<char>(0x80 | (rng() & 0x7f));  // never ASCII
        return j;
    };
    Doc d;
    d.data = junk(filler);
    for (const auto& p : kValid) {
        d.data += enc(" id: ");
        d.where.push_back({d.data.size(), &p});
        d.data += enc(p.text);
        d.data += enc(" ;\n");
        d.data += junk(filler);
    }
    for (const auto& s : kInvalid) d.data += enc(" x " + s + " .\n") + junk(filler);
    return d;
}

using Key = std::tuple<std::string, std::string, int64_t>;  // type, value, offset

std::multiset<Key> run(th::DetectorDriver& drv, const std::string& data, const std::vector<size_t>& splits,
                       const std::string& encoding) {
    auto e = drv.run(data, splits);
    REQUIRE(e.end_rc == TRIAGE_OK);
    std::multiset<Key> got;
    for (const auto& f : e.findings) {
        REQUIRE(f.kind == "identifier");
        auto j = nlohmann::json::parse(f.detail);
        CHECK(j["encoding"] == encoding);
        CHECK(j["context"].get<std::string>().size() <= 80);
        got.insert({f.rule, j["value"].get<std::string>(), f.offset});
    }
    return got;
}

}  // namespace

TEST_CASE("identifiers: valid ones once at their offsets, invalid ones never, in UTF-8 and UTF-16LE/BE", "[identifiers]") {
    const triage_plugin* p = triage_builtin_identifiers_entry(TRIAGE_HOST_API_VERSION);
    for (const std::string encoding : {"utf-8", "utf-16le", "utf-16be"}) {
        for (size_t filler : {size_t{0}, size_t{65}, size_t{3000}}) {
            Doc d = make_doc(encoding, filler, 11);
            std::multiset<Key> want;
            for (const auto& [off, pl] : d.where) want.insert({pl->type, pl->value, static_cast<int64_t>(off)});
            th::DetectorDriver drv(*p->detectors[0]);
            for (const auto& splits : th::standard_splits(d.data.size())) {
                CAPTURE(encoding, filler, splits);
                CHECK(run(drv, d.data, splits, encoding) == want);
            }
        }
    }
}

TEST_CASE("identifiers: one straddling a page boundary is found once, at any shift", "[identifiers]") {
    const triage_plugin* p = triage_builtin_identifiers_entry(TRIAGE_HOST_API_VERSION);
    th::DetectorDriver drv(*p->detectors[0], {{"page_mb", "1"}, {"margin_kb", "16"}});
    const size_t mib = 1 << 20;
    const std::string id = "UA21 3223 1300 0002 6007 2335 6600 1";
    for (size_t shift : {size_t{1}, size_t{5}, size_t{20}, id.size() - 1, id.size(), id.size() + 1}) {
        std::string data(3 * mib, ' ');
        const size_t at = mib - shift;
        data.replace(at, id.size(), id);
        data.replace(2 * mib - shift, id.size(), id);  // and over the second boundary
        for (const auto& splits : th::standard_splits(data.size())) {
            CAPTURE(shift, splits);
            std::multiset<Key> want = {{"iban", "UA213223130000026007233566001", static_cast<int64_t>(at)},
                                       {"iban", "UA213223130000026007233566001", static_cast<int64_t>(at + mib)}};
            CHECK(run(drv, data, splits, "utf-8") == want);
        }
    }
}

TEST_CASE("identifiers: a known-good file is skipped when the host says so", "[identifiers]") {
    const triage_plugin* p = triage_builtin_identifiers_entry(TRIAGE_HOST_API_VERSION);
    th::DetectorDriver drv(*p->detectors[0]);
    drv.marked = {"known_good", "skip"};
    auto e = drv.run("write to ivan.petrenko@ukr.net", {});
    CHECK(e.findings.empty());
    drv.marked.clear();
    CHECK(drv.run("write to ivan.petrenko@ukr.net", {}).findings.size() == 1);
}

TEST_CASE("identifiers: NUL around UTF-16 strings (string tables) is not part of a value", "[identifiers]") {
    const triage_plugin* p = triage_builtin_identifiers_entry(TRIAGE_HOST_API_VERSION);
    th::DetectorDriver drv(*p->detectors[0]);
    std::string data(8, '\0');
    data += utf16("admin@example.com", true) + std::string(4, '\0') + utf16("198.51.100.7", true) + std::string(6, '\0');
    auto got = run(drv, data, {}, "utf-16le");
    std::multiset<Key> want = {{"email", "admin@example.com", 8}, {"ipv4", "198.51.100.7", 8 + 34 + 4}};
    CHECK(got == want);
}
