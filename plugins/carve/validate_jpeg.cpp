// JPEG: the marker segments are walked from SOI (each length checked) to the first scan; the
// entropy-coded data is then scanned for the next marker (0xFF not followed by a stuffing 0x00
// or a restart marker). Between scans only the markers a multi-scan (progressive) image uses
// may appear; EOI ends the item. Any other marker inside or after the scan data means the
// item's bytes stop there (the rest of a truncated or overwritten file): it is carved up to
// that point and flagged truncated. An APP segment is skipped by its length, so an EXIF
// thumbnail inside it is part of the outer image, never an item of its own.
#include "formats.hpp"

#include <cstring>

namespace triage::carve {
namespace {

bool is_sof(uint8_t m) { return m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC; }

// Markers with a length field that may appear before the first scan.
bool header_segment(uint8_t m) {
    return is_sof(m) || m == 0xC4 || m == 0xCC || m == 0xDB || m == 0xDD || m == 0xDC || m == 0xDE || m == 0xDF ||
           (m >= 0xE0 && m <= 0xEF) || m == 0xFE;
}

// Markers that may follow a scan's entropy-coded data other than EOI.
bool between_scans(uint8_t m) {
    return m == 0xC4 || m == 0xCC || m == 0xDB || m == 0xDD || m == 0xDA || m == 0xDC || m == 0xFE || (m >= 0xE0 && m <= 0xEF);
}

}  // namespace

Check validate_jpeg(Bytes d) {
    const uint8_t* b = d.data();
    const size_t n = d.size();
    if (n < 4) return need_more();
    if (b[0] != 0xFF || b[1] != 0xD8 || b[2] != 0xFF || !header_segment(b[3])) return invalid();
    size_t p = 2;
    bool sof = false, dqt_or_lossless = false, scanned = false;
    while (true) {
        if (p + 2 > n) return scanned ? ran_out(n, 0, "jpg") : need_more();
        if (b[p] != 0xFF) return scanned ? truncated(p, "jpg") : invalid();
        uint8_t m = b[p + 1];
        while (m == 0xFF) {  // fill bytes before a marker
            if (++p + 2 > n) return scanned ? ran_out(n, 0, "jpg") : need_more();
            m = b[p + 1];
        }
        if (m == 0xD9) return scanned ? complete(p + 2, "jpg") : invalid();
        if (!(scanned ? between_scans(m) : header_segment(m) || m == 0xDA)) return scanned ? truncated(p, "jpg") : invalid();
        if (p + 4 > n) return scanned ? ran_out(n, 0, "jpg") : need_more();
        const size_t len = be16(b + p + 2);
        if (len < 2) return scanned ? truncated(p, "jpg") : invalid();
        if (p + 2 + len > n) return scanned ? ran_out(n, 0, "jpg") : need_more(p + 2 + len);
        const uint8_t* seg = b + p + 4;
        if (is_sof(m)) {
            // precision, height, width, components; each component 3 bytes
            if (len < 8) return invalid();
            const unsigned nc = seg[5];
            if ((seg[0] != 8 && seg[0] != 12 && seg[0] != 16) || be16(seg + 3) == 0 || nc < 1 ||
                nc > 4 || len != 8 + 3 * nc)
                return scanned ? truncated(p, "jpg") : invalid();
            sof = true;
            if (m == 0xC3 || m == 0xC7 || m == 0xCB || m == 0xCF) dqt_or_lossless = true;
        } else if (m == 0xDB) {
            dqt_or_lossless = true;
        } else if (m == 0xDA) {
            const unsigned ns = len >= 3 ? seg[0] : 0;
            if (!sof || !dqt_or_lossless || ns < 1 || ns > 4 || len != 6 + 2 * ns)
                return scanned ? truncated(p, "jpg") : invalid();
            // Entropy-coded data: find the next real marker.
            size_t q = p + 2 + len;
            while (true) {
                const void* ff = q < n ? std::memchr(b + q, 0xFF, n - q) : nullptr;
                if (!ff) return ran_out(n, 0, "jpg");
                q = static_cast<size_t>(static_cast<const uint8_t*>(ff) - b);
                if (q + 1 >= n) return ran_out(n, 0, "jpg");
                const uint8_t c = b[q + 1];
                if (c == 0x00 || (c >= 0xD0 && c <= 0xD7)) {
                    q += 2;
                    continue;
                }
                if (c == 0xFF) {  // fill byte; the marker follows
                    ++q;
                    continue;
                }
                break;
            }
            if (q == p + 2 + len) return scanned ? truncated(p, "jpg") : invalid();  // a scan with no data
            scanned = true;
            p = q;
            continue;
        }
        p += 2 + len;
    }
}

}  // namespace triage::carve
