// Identifier candidates in one-byte-per-character text (ASCII/UTF-8 bytes as they are, or
// UTF-16 narrowed to its ASCII characters): each candidate is validated (checksum, length,
// issuer range, numbering plan) before it becomes a hit.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace triage::ident {

struct Hit {
    std::string type;   // email, url, domain, phone, iban, card, btc, eth, trx, xmr, ltc, ipv4, ipv6
    std::string value;  // normalised
    std::string note;   // extra facts for the detail (card scheme, phone country), may be empty
    size_t start = 0;   // in characters of the text given
    size_t length = 0;
};

// Every identifier in text. Characters >= 0x80 and control characters separate tokens.
std::vector<Hit> extract(std::string_view text);

}  // namespace triage::ident
