#include "identifiers/text_views.hpp"

#include <algorithm>
#include <cstdio>

namespace triage::ident {

std::string narrow_utf16(const uint8_t* buf, size_t len, bool le, unsigned parity) {
    std::string out;
    if (len < parity + 2) return out;
    const size_t units = (len - parity) / 2;
    out.resize(units);
    const uint8_t* p = buf + parity;
    for (size_t k = 0; k < units; ++k, p += 2) {
        const uint8_t lo = le ? p[0] : p[1], hi = le ? p[1] : p[0];
        char c;
        if (hi != 0)
            c = static_cast<char>(0x80);
        else if ((lo >= 0x20 && lo < 0x7f) || lo == '\n' || lo == '\r' || lo == '\t')
            c = static_cast<char>(lo);
        else
            c = lo == 0 ? '\0' : static_cast<char>(0x80);
        out[k] = c;
    }
    return out;
}

namespace {
bool text_unit(const uint8_t* p, bool le) {
    const uint8_t lo = le ? p[0] : p[1], hi = le ? p[1] : p[0];
    return hi == 0 && ((lo >= 0x20 && lo < 0x7f) || lo == '\n' || lo == '\r' || lo == '\t');
}
}  // namespace

size_t utf16_text_run(const uint8_t* buf, size_t len, size_t start, bool le) {
    if (start + 2 > len || !text_unit(buf + start, le)) return 0;
    size_t n = 1;
    for (size_t b = start; b >= 2 && text_unit(buf + b - 2, le); b -= 2) ++n;
    for (size_t e = start + 2; e + 2 <= len && text_unit(buf + e, le); e += 2) ++n;
    return n;
}

std::string escape_context(std::string_view s, size_t max_chars) {
    std::string out;
    for (unsigned char c : s) {
        std::string piece;
        if (c == '\\')
            piece = "\\\\";
        else if (c >= 0x20 && c < 0x7f)
            piece = std::string(1, static_cast<char>(c));
        else {
            char b[8];
            std::snprintf(b, sizeof b, "\\x%02x", c);
            piece = b;
        }
        if (out.size() + piece.size() > max_chars) break;
        out += piece;
    }
    return out;
}

std::string context_of(std::string_view text, size_t start, size_t len) {
    const size_t before = std::min<size_t>(start, 16);
    const size_t end = std::min(text.size(), start + len + 16);
    // Non-text around the hit (0x80 and NUL in narrowed UTF-16) is left out, not escaped.
    size_t b = start - before;
    while (b < start && (static_cast<unsigned char>(text[b]) >= 0x80 || text[b] == '\0')) ++b;
    size_t e = end;
    while (e > start + len && (static_cast<unsigned char>(text[e - 1]) >= 0x80 || text[e - 1] == '\0')) --e;
    return escape_context(text.substr(b, e - b));
}

}  // namespace triage::ident
