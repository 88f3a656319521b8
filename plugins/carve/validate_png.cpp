// PNG: the signature, then chunks (length, type, data, CRC-32 over type and data) from IHDR to
// IEND, every CRC checked (zlib's crc32). A chunk whose CRC fails is corrupt when a well-formed
// chunk header follows it (the item is rejected); when junk follows instead, the file was cut
// inside that chunk: the item is carved to the chunk's declared end and flagged truncated.
#include "formats.hpp"

#include <zlib.h>

namespace triage::carve {
namespace {

bool chunk_type_ok(const uint8_t* t) {
    for (int i = 0; i < 4; ++i)
        if (!((t[i] >= 'A' && t[i] <= 'Z') || (t[i] >= 'a' && t[i] <= 'z'))) return false;
    return true;
}

uint32_t crc_of(const uint8_t* p, size_t n) {
    uLong c = crc32(0L, Z_NULL, 0);
    while (n > 0) {
        const uInt part = static_cast<uInt>(std::min<size_t>(n, 1u << 30));
        c = crc32(c, p, part);
        p += part;
        n -= part;
    }
    return static_cast<uint32_t>(c);
}

}  // namespace

Check validate_png(Bytes d) {
    static const uint8_t sig[8] = {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A};
    const uint8_t* b = d.data();
    const size_t n = d.size();
    if (n < 33) return need_more(33);
    if (!std::equal(sig, sig + 8, b)) return invalid();
    // IHDR: 13 bytes, non-zero size, a valid bit depth / colour type, correct CRC.
    if (be32(b + 8) != 13 || std::string_view(reinterpret_cast<const char*>(b + 12), 4) != "IHDR") return invalid();
    if (be32(b + 16) == 0 || be32(b + 20) == 0 || be32(b + 16) > (1u << 24) || be32(b + 20) > (1u << 24)) return invalid();
    if (crc_of(b + 12, 17) != be32(b + 29)) return invalid();
    size_t p = 33;
    bool idat = false;
    while (true) {
        if (p + 8 > n) return ran_out(n, 0, "png");
        const uint32_t len = be32(b + p);
        const uint8_t* type = b + p + 4;
        if (len > 0x7FFFFFFFu || !chunk_type_ok(type)) return idat ? truncated(p, "png") : invalid();
        const uint64_t end = p + 12 + static_cast<uint64_t>(len);
        if (end > n) return ran_out(n, end, "png");
        if (crc_of(type, 4 + len) != be32(b + p + 8 + len)) {
            // Corrupt, or cut inside this chunk? A proper chunk header after it says corrupt.
            if (end + 8 <= n && be32(b + end) <= 0x7FFFFFFFu && chunk_type_ok(b + end + 4)) return invalid();
            if (!idat && std::string_view(reinterpret_cast<const char*>(type), 4) != "IDAT") return invalid();
            return truncated(end, "png");
        }
        const std::string_view t(reinterpret_cast<const char*>(type), 4);
        if (t == "IDAT") idat = true;
        if (t == "IEND") return idat ? complete(end, "png") : invalid();
        p = end;
    }
}

}  // namespace triage::carve
