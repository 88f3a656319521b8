// ISO base media (MP4, M4A, 3GP, HEIC) and QuickTime (MOV): an "ftyp" box with a printable
// brand, then top-level boxes (32- or 64-bit sizes) of known types one after another. The item
// ends where the next bytes are not a known top-level box; it needs a "moov" (or "meta" for
// HEIF) box to count as complete. The brand names the type.
#include "formats.hpp"

#include <cstring>
#include <string_view>

namespace triage::carve {
namespace {

bool top_level(std::string_view t) {
    static const char* const known[] = {"ftyp", "moov", "mdat", "free", "skip", "wide", "uuid", "pdin", "moof",
                                        "mfra", "meta", "styp", "sidx", "ssix", "prft", "emsg", "pnot", "junk"};
    for (const char* k : known)
        if (t == k) return true;
    return false;
}

std::string ext_for_brand(std::string_view brand) {
    if (brand == "qt  ") return "mov";
    if (brand.starts_with("M4A") || brand.starts_with("M4B")) return "m4a";
    if (brand.starts_with("3g")) return "3gp";
    if (brand == "heic" || brand == "heix" || brand == "mif1" || brand == "msf1") return "heic";
    if (brand == "avif") return "avif";
    return "mp4";
}

}  // namespace

Check validate_mp4(Bytes d) {
    const uint8_t* b = d.data();
    const size_t n = d.size();
    if (n < 16) return need_more(16);
    if (std::memcmp(b + 4, "ftyp", 4) != 0) return invalid();
    const uint32_t fsize = be32(b);
    if (fsize < 16 || fsize > 512 || fsize % 4 != 0) return invalid();
    for (int i = 8; i < 12; ++i)
        if (b[i] < 0x20 || b[i] > 0x7E) return invalid();
    const std::string ext = ext_for_brand(std::string_view(reinterpret_cast<const char*>(b + 8), 4));
    uint64_t p = fsize;
    bool moov = false;
    while (true) {
        if (p == n && moov) return complete(p, ext);  // ends exactly where the bytes end
        if (p + 8 > n) return moov ? ran_out(n, 0, ext) : need_more();
        const std::string_view type(reinterpret_cast<const char*>(b + p + 4), 4);
        if (!top_level(type) || type == "ftyp") return moov ? complete(p, ext) : (p > fsize ? truncated(p, ext) : invalid());
        uint64_t size = be32(b + p);
        if (size == 1) {
            if (p + 16 > n) return ran_out(n, 0, ext);
            size = be64(b + p + 8);
            if (size < 16) return moov ? complete(p, ext) : invalid();
        } else if (size == 0) {
            // "to the end of the file": unknowable in unallocated space; keep what is there.
            return ran_out(n, 0, ext);
        } else if (size < 8) {
            return moov ? complete(p, ext) : invalid();
        }
        if (type == "moov" || type == "meta") moov = true;
        if (p + size > n) return ran_out(n, p + size, ext);
        p += size;
    }
}

}  // namespace triage::carve
