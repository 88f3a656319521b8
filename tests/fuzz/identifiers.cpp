// Fuzz target: the identifier extraction and validators (plugins/identifiers): extract() over the
// input as bytes and over its four UTF-16 readings (LE/BE at both byte parities, as the detector
// does), the context escaping, and each validator over the raw input.
// Invariants: every hit lies inside the text it came from; a hit's value passes its own checksum
// again (card: Luhn and a known issuer range; IBAN: mod 97; eth: EIP-55; btc/ltc/trx/xmr: their
// Base58 checksums; segwit: bech32/bech32m); context is printable ASCII; EIP-55 encoding is valid.
#include "fuzz_check.hpp"
#include "identifiers/checksums.hpp"
#include "identifiers/extract.hpp"
#include "identifiers/text_views.hpp"

#include <algorithm>
#include <cctype>
#include <string>
#include <string_view>

using namespace triage::ident;

namespace {

bool printable_ascii(std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return c >= 0x20 && c < 0x7f; });
}

void check_hits(std::string_view text, const char* reading) {
    for (const Hit& h : extract(text)) {
        const std::string where = std::string(reading) + " " + h.type + " '" + triage_fuzz::shown(h.value) + "'";
        FUZZ_CHECK(h.length > 0 && h.start + h.length <= text.size(), where + ": span outside the text");
        FUZZ_CHECK(!h.value.empty(), where + ": empty value");
        if (h.type == "card") {
            FUZZ_CHECK(luhn_valid(h.value), where + ": fails Luhn");
            FUZZ_CHECK(!card_scheme(h.value).empty(), where + ": no issuer range");
        } else if (h.type == "iban") {
            FUZZ_CHECK(iban_valid(h.value), where + ": fails mod 97");
        } else if (h.type == "eth") {
            FUZZ_CHECK(h.value.size() == 42 && h.value.rfind("0x", 0) == 0, where + ": not 0x + 40 hex digits");
            FUZZ_CHECK(eip55_valid(eip55_encode(h.value.substr(2))), where + ": its EIP-55 form is not valid");
        } else if (h.type == "btc" || h.type == "ltc") {
            if (h.note == "segwit")
                FUZZ_CHECK(segwit_valid(h.value, h.type == "btc" ? "bc" : "ltc"), where + ": fails bech32");
            else
                FUZZ_CHECK(base58check_decode(h.value).has_value(), where + ": fails Base58Check");
        } else if (h.type == "trx") {
            FUZZ_CHECK(base58check_decode(h.value).has_value(), where + ": fails Base58Check");
        } else if (h.type == "xmr") {
            FUZZ_CHECK(monero_base58_decode(h.value).has_value(), where + ": not Monero Base58");
        }
        const std::string ctx = context_of(text, h.start, h.length);
        FUZZ_CHECK(ctx.size() <= 80 && printable_ascii(ctx), where + ": context '" + triage_fuzz::shown(ctx) + "'");
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view raw(reinterpret_cast<const char*>(data), size);
    check_hits(raw, "bytes");
    for (bool le : {true, false})
        for (unsigned parity : {0u, 1u}) {
            const std::string text = narrow_utf16(data, size, le, parity);
            FUZZ_CHECK(text.size() == (size > parity ? (size - parity) / 2 : 0),
                       "narrow_utf16 gave " + std::to_string(text.size()) + " characters for " + std::to_string(size) + " bytes");
            check_hits(text, le ? "utf-16le" : "utf-16be");
        }
    for (size_t start = 0; start < size; start += 7)
        for (bool le : {true, false}) {
            const size_t run = utf16_text_run(data, size, start, le);
            FUZZ_CHECK(run <= size / 2 + 1, "utf16_text_run longer than the buffer");
        }
    const std::string esc = escape_context(raw);
    FUZZ_CHECK(esc.size() <= 80 && printable_ascii(esc), "escape_context: '" + triage_fuzz::shown(esc) + "'");

    // Each validator over the raw input.
    iban_valid(raw);
    (void)iban_length(raw.substr(0, 2));
    luhn_valid(raw);
    // card_scheme() takes digits (extract() hands it the digits of a candidate).
    if (std::all_of(raw.begin(), raw.end(), [](char c) { return c >= '0' && c <= '9'; })) (void)card_scheme(raw);
    if (auto p = base58_decode(raw)) (void)p->size();
    if (auto p = base58check_decode(raw)) FUZZ_CHECK(base58_decode(raw).has_value(), "Base58Check passed, Base58 failed");
    (void)monero_base58_decode(raw);
    if (auto b = bech32_decode(raw)) {
        FUZZ_CHECK(size <= 90, "bech32 accepted " + std::to_string(size) + " characters");
        FUZZ_CHECK(!b->hrp.empty(), "bech32 accepted an empty human-readable part");
        for (uint8_t v : b->data) FUZZ_CHECK(v < 32, "bech32 data value above 31");
    }
    segwit_valid(raw, "bc");
    segwit_valid(raw, "ltc");
    if (size == 40) {
        eip55_valid(raw);
        std::string lower(raw);
        for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (std::all_of(lower.begin(), lower.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); }))
            FUZZ_CHECK(eip55_valid(eip55_encode(lower)), "the EIP-55 encoding of " + lower + " is not valid");
    }
    (void)keccak256(raw);
    return 0;
}
