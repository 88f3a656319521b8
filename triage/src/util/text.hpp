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
