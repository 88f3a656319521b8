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

}  // namespace triage::util
