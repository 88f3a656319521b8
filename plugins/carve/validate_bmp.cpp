// BMP: the file header's size, reserved fields and pixel-data offset must agree with the DIB
// header (a known header size, one plane, a standard bit depth and compression) and with the
// pixel array an uncompressed image needs. The file size in the header is the item's length.
#include "formats.hpp"

#include <cstdlib>

namespace triage::carve {

Check validate_bmp(Bytes d) {
    const uint8_t* b = d.data();
    const size_t n = d.size();
    if (n < 54) return need_more(54);
    if (b[0] != 'B' || b[1] != 'M' || le32(b + 6) != 0) return invalid();
    const uint64_t size = le32(b + 2), off = le32(b + 10), dib = le32(b + 14);
    if (dib != 12 && dib != 40 && dib != 52 && dib != 56 && dib != 108 && dib != 124) return invalid();
    if (off < 14 + dib || off > size || size < 26 || size > (1ull << 30)) return invalid();
    int64_t w, h;
    unsigned planes, bpp, comp = 0;
    if (dib == 12) {
        w = le16(b + 18);
        h = le16(b + 20);
        planes = le16(b + 22);
        bpp = le16(b + 24);
    } else {
        w = static_cast<int32_t>(le32(b + 18));
        h = static_cast<int32_t>(le32(b + 22));
        planes = le16(b + 26);
        bpp = le16(b + 28);
        comp = le32(b + 30);
    }
    if (planes != 1 || w <= 0 || w > 65535 || h == 0 || std::llabs(h) > 65535) return invalid();
    if (bpp != 1 && bpp != 4 && bpp != 8 && bpp != 16 && bpp != 24 && bpp != 32) return invalid();
    if (comp > 6) return invalid();
    if (comp == 0 || comp == 3 || comp == 6) {
        const uint64_t stride = ((static_cast<uint64_t>(w) * bpp + 31) / 32) * 4;
        const uint64_t pixels = stride * static_cast<uint64_t>(std::llabs(h));
        // The pixel array must fit; a few bytes of slack are common (padding to 4 bytes).
        if (off + pixels > size || size - (off + pixels) > 65536) return invalid();
    }
    if (size > n) return ran_out(n, size, "bmp");
    return complete(size, "bmp");
}

}  // namespace triage::carve
