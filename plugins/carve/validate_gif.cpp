// GIF: header, logical screen descriptor and colour tables, then blocks: extensions and images
// (each a chain of length-prefixed sub-blocks ending with a zero-length one) up to the trailer
// 0x3B. A block that is neither ends the item: truncated if an image was already complete.
#include "formats.hpp"

#include <cstring>

namespace triage::carve {
namespace {

// Skips a chain of sub-blocks starting at p; returns the offset after the terminator, or 0 when
// the span ends first.
size_t skip_sub_blocks(const uint8_t* b, size_t n, size_t p) {
    while (p < n) {
        const uint8_t len = b[p];
        if (len == 0) return p + 1;
        p += 1 + len;
    }
    return 0;
}

}  // namespace

Check validate_gif(Bytes d) {
    const uint8_t* b = d.data();
    const size_t n = d.size();
    if (n < 13) return need_more(13);
    if (std::memcmp(b, "GIF87a", 6) != 0 && std::memcmp(b, "GIF89a", 6) != 0) return invalid();
    if (le16(b + 6) == 0 || le16(b + 8) == 0) return invalid();
    size_t p = 13;
    if (b[10] & 0x80) p += 3u << ((b[10] & 7) + 1);
    bool image = false;
    while (true) {
        if (p >= n) return image ? ran_out(n, 0, "gif") : need_more();
        const uint8_t kind = b[p];
        if (kind == 0x3B) return image ? complete(p + 1, "gif") : invalid();
        if (kind == 0x21) {
            if (p + 2 > n) return image ? ran_out(n, 0, "gif") : need_more();
            const size_t q = skip_sub_blocks(b, n, p + 2);
            if (!q) return image ? ran_out(n, 0, "gif") : need_more();
            p = q;
        } else if (kind == 0x2C) {
            if (p + 11 > n) return image ? ran_out(n, 0, "gif") : need_more();
            if (le16(b + p + 5) == 0 || le16(b + p + 7) == 0) return image ? truncated(p, "gif") : invalid();
            size_t q = p + 10;
            if (b[p + 9] & 0x80) q += 3u << ((b[p + 9] & 7) + 1);
            if (q >= n) return image ? ran_out(n, 0, "gif") : need_more();
            if (b[q] < 2 || b[q] > 8) return image ? truncated(p, "gif") : invalid();  // LZW minimum code size
            const size_t r = skip_sub_blocks(b, n, q + 1);
            if (!r) return ran_out(n, 0, "gif");
            image = true;
            p = r;
        } else {
            return image ? truncated(p, "gif") : invalid();
        }
    }
}

}  // namespace triage::carve
