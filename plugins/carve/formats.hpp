// The carver's file formats: one validator per format, each a pure function over a byte span
// that starts at a candidate signature (easy to fuzz: no state, no I/O, no allocation beyond
// the result). A validator walks the format's structure and says where the item ends.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace triage::carve {

using Bytes = std::span<const uint8_t>;

enum class Verdict {
    Invalid,    // not this format here (a chance signature, or a corrupt item)
    Complete,   // a whole, structurally consistent item of `length` bytes
    Truncated,  // an item whose structure breaks (or whose bytes run out) after `length` bytes
    NeedMore,   // the span ended before the validator could decide
};

struct Check {
    Verdict verdict = Verdict::Invalid;
    uint64_t length = 0;   // Complete / Truncated: bytes that belong to the item
    bool ran_out = false;  // Truncated: the span ended inside the item (more bytes may complete it)
    uint64_t need = 0;     // Truncated+ran_out / NeedMore: total bytes the item needs, when known
    std::string ext;       // file-name extension for the item ("jpg", "docx", ...)
};

inline Check invalid() { return {}; }
inline Check complete(uint64_t len, std::string ext) { return {Verdict::Complete, len, false, 0, std::move(ext)}; }
inline Check truncated(uint64_t len, std::string ext) { return {Verdict::Truncated, len, false, 0, std::move(ext)}; }
// The span ended inside an item that looked right so far: `have` bytes, `need` total if known.
inline Check ran_out(uint64_t have, uint64_t need, std::string ext) {
    return {Verdict::Truncated, have, true, need, std::move(ext)};
}
inline Check need_more(uint64_t need = 0) { return {Verdict::NeedMore, 0, true, need, {}}; }

// Little helpers shared by the validators (bounds are the caller's business).
inline uint16_t be16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
inline uint32_t be32(const uint8_t* p) {
    return static_cast<uint32_t>(p[0]) << 24 | static_cast<uint32_t>(p[1]) << 16 | static_cast<uint32_t>(p[2]) << 8 | p[3];
}
inline uint64_t be64(const uint8_t* p) { return static_cast<uint64_t>(be32(p)) << 32 | be32(p + 4); }
inline uint16_t le16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | p[1] << 8); }
inline uint32_t le32(const uint8_t* p) {
    return p[0] | static_cast<uint32_t>(p[1]) << 8 | static_cast<uint32_t>(p[2]) << 16 | static_cast<uint32_t>(p[3]) << 24;
}
inline uint64_t le64(const uint8_t* p) { return le32(p) | static_cast<uint64_t>(le32(p + 4)) << 32; }

// The validators (validate_*.cpp). `d` starts at the format's signature.
Check validate_jpeg(Bytes d);
Check validate_png(Bytes d);
Check validate_gif(Bytes d);
Check validate_bmp(Bytes d);
Check validate_pdf(Bytes d);
Check validate_zip(Bytes d);     // also names OOXML (docx, xlsx, pptx ...) and ODF (odt, ods ...)
Check validate_sqlite(Bytes d);
Check validate_mp4(Bytes d);     // ISO base media / QuickTime: mp4, mov, m4a, 3gp, heic
Check validate_riff(Bytes d);    // avi, wav, webp
Check validate_elf(Bytes d);
Check validate_pe(Bytes d);

// A format: its name (as in --formats and the manifest), its signature and where the
// signature sits relative to the item start, and its validator.
struct Format {
    const char* name;
    std::string_view magic;
    size_t magic_at;  // the signature is at item start + magic_at (MP4's "ftyp" is at 4)
    Check (*validate)(Bytes);
};

// Every format the carver knows, in the order they are tried at one offset.
std::span<const Format> all_formats();
// The formats named in a comma-separated list ("jpeg,png"); empty list = all. Throws
// std::invalid_argument naming an unknown format.
std::vector<const Format*> select_formats(const std::string& list);

}  // namespace triage::carve
