// What the fuzz targets share: an invariant check that stops the process with a message (so a
// broken invariant is a crash libFuzzer records, and a failed replay under ctest), and small
// helpers to carve one input into several values.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#define FUZZ_CHECK(cond, what)                                                                     \
    do {                                                                                           \
        if (!(cond)) ::triage_fuzz::fail(__FILE__, __LINE__, #cond, (what));                       \
    } while (0)

namespace triage_fuzz {

[[noreturn]] inline void fail(const char* file, int line, const char* cond, const std::string& what) {
    std::fprintf(stderr, "%s:%d: invariant broken: %s\n  %s\n", file, line, cond, what.c_str());
    std::fflush(stderr);
    std::abort();
}

// The input as printable text for a message: at most 200 characters, bytes outside ASCII as \xHH.
inline std::string shown(std::string_view s) {
    std::string o;
    static const char* hex = "0123456789abcdef";
    for (unsigned char c : s.substr(0, 200)) {
        if (c >= 0x20 && c < 0x7f && c != '\\') {
            o += static_cast<char>(c);
        } else {
            o += "\\x";
            o += hex[c >> 4];
            o += hex[c & 15];
        }
    }
    if (s.size() > 200) o += "...";
    return o;
}

}  // namespace triage_fuzz
