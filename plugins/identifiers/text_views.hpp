// The encodings identifiers are looked for in: the bytes themselves (ASCII, and the ASCII part
// of UTF-8 and of the 8-bit code pages) and UTF-16LE/BE narrowed to their ASCII characters, at
// both byte parities, with the way back to byte offsets. Also the short escaped context.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace triage::ident {

// UTF-16 code units from byte `parity` on: each unit U+0020..U+007E becomes its character,
// U+0000 becomes '\0', anything else 0x80 (a separator). Character k is at byte parity + 2k.
std::string narrow_utf16(const uint8_t* buf, size_t len, bool little_endian, unsigned parity);

// Length in code units of the run of ASCII text (printable, tab, CR, LF) in UTF-16 of the given
// byte order that contains the unit at byte `start` (0 when that unit is not text). Decides
// between the two readings of "\0a\0b\0" (UTF-16BE at s or UTF-16LE at s + 1): the longer run is
// the text as written.
size_t utf16_text_run(const uint8_t* buf, size_t len, size_t start, bool little_endian);

// Printable ASCII kept, backslash doubled, everything else \xHH; cut to at most max_chars.
std::string escape_context(std::string_view s, size_t max_chars = 80);

// Context around [start, start+len) of text: a few characters each side, escaped, <= 80 chars.
std::string context_of(std::string_view text, size_t start, size_t len);

}  // namespace triage::ident
