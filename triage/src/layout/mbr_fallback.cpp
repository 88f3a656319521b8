#include "layout/mbr_fallback.hpp"

#include <algorithm>
#include <array>

namespace triage::layout {

std::vector<MbrEntry> raw_mbr_entries(TSK_IMG_INFO* img) {
    std::vector<MbrEntry> out;
    if (!img || img->size < 512) return out;
    std::array<char, 512> s{};
    if (tsk_img_read(img, 0, s.data(), s.size()) != static_cast<ssize_t>(s.size())) return out;
    auto u8 = [&](size_t at) { return static_cast<uint8_t>(s[at]); };
    if (u8(510) != 0x55 || u8(511) != 0xAA) return out;
    auto le32 = [&](size_t at) {
        return static_cast<uint32_t>(u8(at)) | static_cast<uint32_t>(u8(at + 1)) << 8 | static_cast<uint32_t>(u8(at + 2)) << 16 |
               static_cast<uint32_t>(u8(at + 3)) << 24;
    };
    const uint64_t size = static_cast<uint64_t>(img->size);
    for (int i = 0; i < 4; ++i) {
        const size_t e = 446 + 16 * static_cast<size_t>(i);
        const uint8_t boot = u8(e), type = u8(e + 4);
        if ((boot != 0x00 && boot != 0x80) || type == 0 || type == 0x05 || type == 0x0F || type == 0x85 || type == 0xEE) continue;
        const uint64_t start = static_cast<uint64_t>(le32(e + 8)) * 512, len = static_cast<uint64_t>(le32(e + 12)) * 512;
        if (start == 0 || start >= size || len == 0) continue;
        out.push_back({i, type, start, std::min(len, size - start)});
    }
    return out;
}

}  // namespace triage::layout
