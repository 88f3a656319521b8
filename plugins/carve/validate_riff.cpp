// RIFF (AVI, WAV, WebP): "RIFF", the form size and a known form type; the chunks inside must
// tile the form exactly (each id printable, each size inside the form, padded to even) and the
// first chunk must be the one the form requires (AVI "LIST", WAV "fmt ", WebP "VP8 ", "VP8L" or
// "VP8X"). Length = 8 + form size (+1 pad byte when odd).
#include "formats.hpp"

#include <cstring>
#include <string_view>

namespace triage::carve {

Check validate_riff(Bytes d) {
    const uint8_t* b = d.data();
    const size_t n = d.size();
    if (n < 20) return need_more(20);
    if (std::memcmp(b, "RIFF", 4) != 0) return invalid();
    const std::string_view form(reinterpret_cast<const char*>(b + 8), 4);
    const std::string_view first(reinterpret_cast<const char*>(b + 12), 4);
    std::string ext;
    if (form == "AVI " && first == "LIST")
        ext = "avi";
    else if (form == "WAVE" && (first == "fmt " || first == "JUNK" || first == "bext" || first == "LIST"))
        ext = "wav";
    else if (form == "WEBP" && (first == "VP8 " || first == "VP8L" || first == "VP8X"))
        ext = "webp";
    else
        return invalid();
    const uint64_t size = le32(b + 4);
    if (size < 12) return invalid();
    const uint64_t end = 8 + size;
    uint64_t p = 12;
    while (p + 8 <= end) {
        if (p + 8 > n) return ran_out(n, end, ext);
        for (int i = 0; i < 4; ++i)
            if (b[p + i] < 0x20 || b[p + i] > 0x7E) return p > 12 ? truncated(p, ext) : invalid();
        const uint64_t cs = le32(b + p + 4);
        p += 8 + cs + (cs & 1);
        if (p > end + 1) return p == 20 + cs + (cs & 1) ? invalid() : truncated(std::min<uint64_t>(end, n), ext);
    }
    const uint64_t len = end + (end & 1 && p == end + 1 ? 1 : 0);
    if (len > n) return ran_out(n, len, ext);
    return complete(len, ext);
}

}  // namespace triage::carve
