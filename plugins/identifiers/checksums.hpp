// The checksums identifiers carry, written from their specifications (FIPS 202 for Keccak,
// BIP-173/BIP-350 for bech32, ISO 13616 for IBAN, ISO/IEC 7812 Luhn), so that a candidate
// failing its checksum is never reported.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace triage::ident {

// Keccak-f[1600] sponge with rate 1088 bits (256-bit output). pad = 0x01 is the original Keccak
// padding Ethereum and Monero use; pad = 0x06 is FIPS 202 SHA3-256 (lets tests compare the
// permutation with OpenSSL's SHA3-256).
std::array<uint8_t, 32> keccak256(const uint8_t* data, size_t n, uint8_t pad = 0x01);
inline std::array<uint8_t, 32> keccak256(std::string_view s, uint8_t pad = 0x01) {
    return keccak256(reinterpret_cast<const uint8_t*>(s.data()), s.size(), pad);
}

// Plain Base58 (Bitcoin alphabet) decode; nullopt on a character outside the alphabet.
std::optional<std::vector<uint8_t>> base58_decode(std::string_view s);
// Base58Check: payload without the 4 checksum bytes when double-SHA-256 matches.
std::optional<std::vector<uint8_t>> base58check_decode(std::string_view s);
// Monero's Base58: 8-byte blocks encoded as 11 characters (the last block shorter).
std::optional<std::vector<uint8_t>> monero_base58_decode(std::string_view s);

enum class Bech32Kind { bech32, bech32m };
struct Bech32 {
    std::string hrp;
    std::vector<uint8_t> data;  // 5-bit values without the checksum
    Bech32Kind kind;
};
// Decodes and checks a bech32 or bech32m string (BIP-173 rules: length <= 90, one case).
std::optional<Bech32> bech32_decode(std::string_view s);
// A segwit address for HRP (BIP-173 + BIP-350: v0 with bech32 and 20/32-byte programs,
// v1..16 with bech32m and 2..40-byte programs).
bool segwit_valid(std::string_view addr, std::string_view hrp);

// ISO 13616: the IBAN (upper case, no spaces) has its country's length and mod 97 == 1.
bool iban_valid(std::string_view iban);
// Registered length of the country's IBAN, 0 when the country is not in the table.
int iban_length(std::string_view country);

bool luhn_valid(std::string_view digits);
// The card scheme from the issuer ranges, empty when no scheme we know claims the number
// at that length.
std::string card_scheme(std::string_view digits);

// EIP-55: true when the 40 hex digits are all one case, or their mixed case is the checksum.
bool eip55_valid(std::string_view hex40);
std::string eip55_encode(std::string_view hex40_lower);

}  // namespace triage::ident
