// ZIP (and the formats built on it): local file headers are walked one after another (each
// member's data jumped over by its compressed size, or, for members written with a data
// descriptor, up to the descriptor whose size matches), then the central directory entries,
// optional ZIP64 end records and the end-of-central-directory record. The EOCD must agree with
// what the walk found: entry count, directory offset and size. Member names give the item its
// type: OOXML ([Content_Types].xml with word/, xl/, ppt/), ODF (the "mimetype" member), JAR, APK.
// A walk that breaks inside the member data is carved to that member's declared end (a file
// cut short) and flagged truncated.
#include "formats.hpp"

#include <cstring>
#include <string_view>

namespace triage::carve {
namespace {

constexpr uint32_t kLocal = 0x04034b50, kCentral = 0x02014b50, kEnd = 0x06054b50, kEnd64 = 0x06064b50,
                   kLocator64 = 0x07064b50, kDescriptor = 0x08074b50;

std::string type_from_members(const std::vector<std::string_view>& names, std::string_view mimetype) {
    if (mimetype.starts_with("application/vnd.oasis.opendocument.")) {
        const auto kind = mimetype.substr(35);
        if (kind == "text") return "odt";
        if (kind == "spreadsheet") return "ods";
        if (kind == "presentation") return "odp";
        if (kind == "graphics") return "odg";
        return "odf";
    }
    if (mimetype == "application/epub+zip") return "epub";
    bool ct = false, word = false, xl = false, ppt = false, vba = false, manifest = false, android = false;
    for (auto nm : names) {
        ct = ct || nm == "[Content_Types].xml";
        word = word || nm.starts_with("word/");
        xl = xl || nm.starts_with("xl/");
        ppt = ppt || nm.starts_with("ppt/");
        vba = vba || nm.ends_with("vbaProject.bin");
        manifest = manifest || nm == "META-INF/MANIFEST.MF";
        android = android || nm == "AndroidManifest.xml";
    }
    if (ct && word) return vba ? "docm" : "docx";
    if (ct && xl) return vba ? "xlsm" : "xlsx";
    if (ct && ppt) return vba ? "pptm" : "pptx";
    if (android) return "apk";
    if (manifest) return "jar";
    return "zip";
}

}  // namespace

Check validate_zip(Bytes d) {
    const uint8_t* b = d.data();
    const size_t n = d.size();
    if (n < 30) return need_more(30);
    if (le32(b) != kLocal) return invalid();
    std::vector<std::string_view> names;
    std::string_view mimetype;
    size_t p = 0, members = 0;
    // Local headers and member data.
    while (p + 4 <= n && le32(b + p) == kLocal) {
        if (p + 30 > n) return members ? ran_out(n, 0, "zip") : need_more();
        const uint16_t flags = le16(b + p + 6), method = le16(b + p + 8);
        uint64_t csize = le32(b + p + 18);
        const size_t nlen = le16(b + p + 26), xlen = le16(b + p + 28);
        if (method > 99 || nlen == 0) return members ? truncated(p, "zip") : invalid();
        const size_t data = p + 30 + nlen + xlen;
        if (data > n) return members ? ran_out(n, 0, "zip") : need_more(data);
        const std::string_view name(reinterpret_cast<const char*>(b + p + 30), nlen);
        // ZIP64: the sizes are in the extra field.
        if (csize == 0xFFFFFFFFu) {
            for (size_t x = p + 30 + nlen; x + 4 <= data;) {
                const uint16_t id = le16(b + x), sz = le16(b + x + 2);
                if (id == 1 && sz >= 16 && x + 4 + 16 <= data) csize = le64(b + x + 12);
                x += 4 + sz;
            }
        }
        uint64_t end;
        if ((flags & 0x0008) && csize == 0) {
            // Data descriptor: its compressed-size field equals the distance from the data.
            size_t q = data;
            end = 0;
            while (true) {
                const void* r = q < n ? memmem(b + q, n - q, "PK\x07\x08", 4) : nullptr;
                if (!r) return ran_out(n, 0, "zip");
                q = static_cast<size_t>(static_cast<const uint8_t*>(r) - b);
                if (q + 16 > n) return ran_out(n, 0, "zip");
                if (le32(b + q + 8) == q - data) {
                    end = q + 16;
                    break;
                }
                if (q + 24 <= n && le64(b + q + 8) == q - data) {  // ZIP64 descriptor
                    end = q + 24;
                    break;
                }
                ++q;
            }
        } else {
            end = data + csize;
            if ((flags & 0x0008) && end + 4 <= n && le32(b + end) == kDescriptor) end += 16;
            else if (flags & 0x0008) end += 12;
        }
        if (end + 4 > n) return ran_out(n, end + 22, "zip");
        if (name == "mimetype" && method == 0 && members == 0)
            mimetype = std::string_view(reinterpret_cast<const char*>(b + data), static_cast<size_t>(std::min<uint64_t>(csize, 128)));
        names.push_back(name);
        ++members;
        const uint32_t next = le32(b + end);
        if (next != kLocal && next != kCentral && next != kEnd64 && next != kEnd) {
            // Cut inside (or overwritten after) this member: keep what it declared.
            return truncated(end, "zip");
        }
        p = static_cast<size_t>(end);
    }
    if (!members) return invalid();
    // Central directory.
    const size_t cd_start = p;
    size_t entries = 0;
    while (true) {
        if (p + 4 > n) return ran_out(n, 0, "zip");
        if (le32(b + p) != kCentral) break;
        if (p + 46 > n) return ran_out(n, 0, "zip");
        const uint32_t local_off = le32(b + p + 42);
        if (local_off != 0xFFFFFFFFu && local_off >= cd_start) return truncated(cd_start, "zip");
        if (local_off != 0xFFFFFFFFu && le32(b + local_off) != kLocal) return truncated(cd_start, "zip");
        p += 46 + le16(b + p + 28) + le16(b + p + 30) + le16(b + p + 32);
        ++entries;
    }
    const size_t cd_size = p - cd_start;
    if (le32(b + p) == kEnd64) {
        if (p + 12 > n) return ran_out(n, 0, "zip");
        p += 12 + static_cast<size_t>(le64(b + p + 4));
        if (p + 4 > n) return ran_out(n, 0, "zip");
    }
    if (le32(b + p) == kLocator64) p += 20;
    if (p + 22 > n) return ran_out(n, p + 22, "zip");
    if (le32(b + p) != kEnd) return truncated(cd_start, "zip");
    const uint32_t eocd_entries = le16(b + p + 10), eocd_size = le32(b + p + 12), eocd_off = le32(b + p + 16);
    const size_t comment = le16(b + p + 20);
    const bool z64 = eocd_entries == 0xFFFF || eocd_size == 0xFFFFFFFFu || eocd_off == 0xFFFFFFFFu;
    if (!z64 && (eocd_entries != entries || eocd_size != cd_size || eocd_off != cd_start))
        return truncated(cd_start, "zip");
    const size_t end = p + 22 + comment;
    if (end > n) return ran_out(n, end, "zip");
    return complete(end, type_from_members(names, mimetype));
}

}  // namespace triage::carve
