// Internationalised e-mail addresses (RFC 6531 local parts) and domain names (IDNA2008) in
// decoded text: the ones with non-ASCII letters, which extract() (ASCII by nature) does not see.
// Domains are checked and normalised by GNU libidn2 (UTS #46 non-transitional mapping, NFC).
#pragma once

#include "identifiers/extract.hpp"

#include <string_view>
#include <vector>

namespace triage::ident {

// Every e-mail address or domain name in valid UTF-8 text that holds at least one non-ASCII
// letter; start and length in bytes of the text. value is the Unicode form (lower case, the
// domain as libidn2 gives it back), note "punycode <ASCII form of the domain>".
std::vector<Hit> extract_idn(std::string_view utf8);

// The domain's ASCII (punycode) and Unicode forms, or false when libidn2 rejects it.
bool idna_forms(std::string_view domain, std::string& ascii, std::string& unicode);

}  // namespace triage::ident
