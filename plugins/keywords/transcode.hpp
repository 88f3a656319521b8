// Content seen through another encoding: bytes of a UTF-16 or legacy 8-bit code page decoded
// into UTF-8, with the way back from each UTF-8 byte to the byte offset it came from. Regular
// expressions (which cannot be expanded into per-encoding byte patterns as literals are) are
// matched over these views by one UTF-8 Hyperscan database.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace triage::kw {

struct View {
    std::string text;            // valid UTF-8
    std::vector<uint32_t> from;  // from[i]: source offset of the character output byte i belongs
                                 // to; from[text.size()]: the end of the last character
    void clear() {
        text.clear();
        from.clear();
    }
};

// One 8-bit code page as 256 UTF-8 strings (a byte the code page leaves undefined is U+FFFD).
struct CodePage {
    const char* label;
    std::array<std::string, 256> utf8;
};

// The 8-bit encodings of encodings() (CP1251 ... ISO-8859-16), built with glibc's iconv.
const std::vector<CodePage>& code_pages();

// buf[0, len) read as the code page.
void decode_8bit(const CodePage& cp, const uint8_t* buf, size_t len, View& out);

// buf[0, len) read as UTF-8: valid sequences as they are (overlong forms and surrogates are not
// valid), every other byte U+FFFD.
void decode_utf8(const uint8_t* buf, size_t len, View& out);

// buf[parity, len) read as UTF-16 code units (surrogate pairs joined, a lone surrogate U+FFFD).
void decode_utf16(const uint8_t* buf, size_t len, bool little_endian, unsigned parity, View& out);

}  // namespace triage::kw
