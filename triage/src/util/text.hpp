// Small text helpers shared across stages: hex, digests of strings, UTC time stamps.
#pragma once

#include <cstdint>
#include <ctime>
#include <string>
#include <string_view>

namespace triage::util {

std::string to_hex(const unsigned char* data, size_t n);
std::string sha256_hex(std::string_view data);
std::string iso_utc(std::time_t t);   // 2026-01-31T12:00:00Z
std::string now_iso_utc();
std::string human_bytes(uint64_t n);  // 1.5 GiB
// The body of a JSON string literal for s: quote, backslash and control characters escaped
// (bytes >= 0x80 pass through; the caller keeps s valid UTF-8).
std::string json_escape(const std::string& s);

// Length of the valid UTF-8 sequence at s[i] (1-4), or 0 when the bytes there are not one (stray
// continuation bytes, overlong forms, surrogates, past U+10FFFF, cut short). i < s.size().
size_t utf8_sequence(std::string_view s, size_t i);

// Text from evidence or from a received file (a name, a detector's message, a hash set's line)
// made safe to print on an examiner's terminal: control characters (C0, DEL and the C1 range
// U+0080-U+009F, which terminals read as escape sequences) become \xNN and \u00NN, bytes that are
// not UTF-8 \xNN, and a backslash \\, so that the escaped form is unambiguous. Any other UTF-8
// (Cyrillic, Georgian ...) passes unchanged.
std::string terminal_safe(std::string_view s);

// Appends the UTF-8 encoding of code point c (the caller has checked it is a valid one).
inline void append_utf8(char32_t c, std::string& out) {
    if (c < 0x80) {
        out += static_cast<char>(c);
    } else if (c < 0x800) {
        out += static_cast<char>(0xC0 | (c >> 6));
        out += static_cast<char>(0x80 | (c & 0x3F));
    } else if (c < 0x10000) {
        out += static_cast<char>(0xE0 | (c >> 12));
        out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (c & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (c >> 18));
        out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (c & 0x3F));
    }
}

}  // namespace triage::util
