// The checksum primitives against published vectors (FIPS 202 via OpenSSL's SHA3-256, the
// Ethereum empty-input Keccak-256, EIP-55, BIP-173/BIP-350, the SWIFT IBAN registry examples,
// payment processors' published test card numbers), never against values this code produced.
#include "identifiers/checksums.hpp"

#include <catch2/catch.hpp>

#include <openssl/evp.h>

#include <random>
#include <string>

using namespace triage::ident;

namespace {
std::string hex(const std::array<uint8_t, 32>& h) {
    static const char* d = "0123456789abcdef";
    std::string s;
    for (uint8_t b : h) {
        s += d[b >> 4];
        s += d[b & 15];
    }
    return s;
}
std::string openssl_sha3(const std::string& m) {
    unsigned char out[32];
    unsigned len = 32;
    EVP_Digest(m.data(), m.size(), out, &len, EVP_sha3_256(), nullptr);
    std::array<uint8_t, 32> a{};
    std::copy(out, out + 32, a.begin());
    return hex(a);
}
}  // namespace

TEST_CASE("Keccak-f[1600]: SHA3-256 padding equals OpenSSL for every length around the rate", "[identifiers]") {
    std::mt19937 rng(7);
    for (size_t n : {0, 1, 55, 135, 136, 137, 271, 272, 273, 1000}) {
        std::string m(n, '\0');
        for (auto& c : m) c = static_cast<char>(rng());
        CAPTURE(n);
        CHECK(hex(keccak256(m, 0x06)) == openssl_sha3(m));
    }
}

TEST_CASE("Keccak-256 with the original padding: published vectors", "[identifiers]") {
    // Ethereum's hash of the empty string (KECCAK_EMPTY) and of "abc" (Keccak team's KAT as used
    // by Ethereum clients).
    CHECK(hex(keccak256("")) == "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
    CHECK(hex(keccak256("abc")) == "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45");
}

TEST_CASE("EIP-55: the EIP's examples pass, a changed case fails", "[identifiers]") {
    for (const char* a : {"5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "fB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
                          "dbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB", "D1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
                          "52908400098527886E0F7030069857D2E4169EE7", "de709f2102306220921060314715629080e2fb77"}) {
        CAPTURE(a);
        CHECK(eip55_valid(a));
    }
    CHECK_FALSE(eip55_valid("5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD"));
    CHECK_FALSE(eip55_valid("5AAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"));
}

TEST_CASE("bech32 and bech32m: BIP-173 and BIP-350 test vectors", "[identifiers]") {
    for (const char* s : {"A12UEL5L", "a12uel5l", "abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw", "?1ezyfcl"}) {
        CAPTURE(s);
        auto b = bech32_decode(s);
        REQUIRE(b);
        CHECK(b->kind == Bech32Kind::bech32);
    }
    for (const char* s : {"A1LQFN3A", "a1lqfn3a", "abcdef1l7aum6echk45nj3s0wdvt2fg8x9yrzpqzd3ryx", "?1v759aa"}) {
        CAPTURE(s);
        auto b = bech32_decode(s);
        REQUIRE(b);
        CHECK(b->kind == Bech32Kind::bech32m);
    }
    CHECK(segwit_valid("BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4", "bc"));
    CHECK(segwit_valid("tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sl5k7", "tb"));
    CHECK(segwit_valid("bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0", "bc"));
    CHECK(segwit_valid("BC1SW50QGDZ25J", "bc"));
    CHECK(segwit_valid("bc1zw508d6qejxtdg4y5r3zarvaryvaxxpcs", "bc"));
    // BIP-350 invalid: v1 with a bech32 checksum, v0 with bech32m, mixed case, wrong checksum
    CHECK_FALSE(segwit_valid("bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqh2y7hd", "bc"));
    CHECK_FALSE(segwit_valid("BC1S0XLXVLHEMJA6C4DQV22UAPCTQUPFHLXM9H8Z3K2E72Q4K9HCZ7VQ54WELL", "bc"));
    CHECK_FALSE(segwit_valid("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4X", "bc"));
    CHECK_FALSE(segwit_valid("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5", "bc"));
    CHECK_FALSE(segwit_valid("tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sl5k7", "bc"));
    // Litecoin native segwit (bisq's asset tests)
    CHECK(segwit_valid("ltc1qxtm55gultqzhqzl2p3ks50hg2478y3hehuj6dz", "ltc"));
}

TEST_CASE("Base58Check and Monero Base58: published addresses", "[identifiers]") {
    for (const char* a : {"1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", "1BgGZ9tcN4rm9KBzDn7KprQz87SZ26SAMH",
                          "LV7LV7Z4bWDEjYkfx9dQo6k6RjGbXsg6hS", "MGEW4aba3tnrVtVhGcmoqqHaLt5ymPSLPi",
                          "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"}) {
        CAPTURE(a);
        auto p = base58check_decode(a);
        REQUIRE(p);
        CHECK(p->size() == 21);
    }
    CHECK((*base58check_decode("1BgGZ9tcN4rm9KBzDn7KprQz87SZ26SAMH"))[1] == 0x75);  // bitcoinjs fixture payload 751e76...
    CHECK_FALSE(base58check_decode("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb"));
    CHECK_FALSE(base58check_decode("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfN0"));  // '0' is not Base58
    auto x = monero_base58_decode(
        "44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3XjrpDtQGv7SqSsaBYBb98uNbr2VBBEt7f2wfn3RVGQBEP3A");
    REQUIRE(x);
    CHECK(x->size() == 69);
    CHECK((*x)[0] == 18);
}

TEST_CASE("IBAN: the SWIFT registry's examples pass, one changed digit fails", "[identifiers]") {
    for (const char* i : {"GB29NWBK60161331926819", "DE89370400440532013000", "UA213223130000026007233566001",
                          "MD24AG000225100013104168", "RO49AAAA1B31007593840000", "PL61109010140000071219812874",
                          "HU42117730161111101800000000", "SK3112000000198742637541", "LT121000011101001000",
                          "LV80BANK0000435195001", "EE382200221020145685", "GE29NB0000000101904917",
                          "FR1420041010050500013M02606", "NO9386011117947", "BE68539007547034"}) {
        CAPTURE(i);
        CHECK(iban_valid(i));
        std::string bad = i;
        bad.back() = bad.back() == '9' ? '8' : static_cast<char>(bad.back() + 1);
        CHECK_FALSE(iban_valid(bad));
    }
    CHECK_FALSE(iban_valid("GB29NWBK6016133192681"));   // one short
    CHECK_FALSE(iban_valid("XX29NWBK60161331926819"));  // no such country
}

TEST_CASE("Cards: processors' published test numbers pass Luhn and their scheme's range", "[identifiers]") {
    const std::pair<const char*, const char*> cards[] = {
        {"4111111111111111", "visa"},       {"4012888888881881", "visa"},     {"5555555555554444", "mastercard"},
        {"5105105105105100", "mastercard"}, {"2223003122003222", "mastercard"}, {"378282246310005", "amex"},
        {"371449635398431", "amex"},        {"6011111111111117", "discover"}, {"6011000990139424", "discover"},
        {"3530111333300000", "jcb"},        {"3566002020360505", "jcb"},      {"30569309025904", "diners"},
        {"6200000000000005", "unionpay"},
    };
    for (const auto& [n, scheme] : cards) {
        CAPTURE(n);
        CHECK(luhn_valid(n));
        CHECK(card_scheme(n) == scheme);
    }
    CHECK_FALSE(luhn_valid("4111111111111112"));
    CHECK(card_scheme("2200000000000004") == "mir");
    CHECK(card_scheme("6759000000000000") == "maestro");
    CHECK(card_scheme("9111111111111111").empty());
}
