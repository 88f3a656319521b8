// PDF: the body is walked object by object from the header ("N G obj ... endobj"; a stream is
// jumped over by its direct /Length and must be followed by "endstream", or searched for when
// the length is an indirect reference), through xref sections and trailers, to each
// "startxref N %%EOF". That end is consistent when N points back into the document at an xref
// table or an xref stream object. The item ends at the last consistent %%EOF reached before the
// walk meets something that is not PDF syntax (so incremental updates are kept). A document cut
// inside a stream is carved to the stream's declared end and flagged truncated; one that breaks
// elsewhere, to the end of its last complete object.
#include "formats.hpp"

#include <algorithm>
#include <cstring>
#include <string_view>

namespace triage::carve {
namespace {

constexpr size_t kMaxObjectText = 1 << 20;        // a non-stream object longer than this is not believed
constexpr size_t kMaxStreamSearch = 64ull << 20;  // how far "endstream" is searched for (indirect /Length)

bool ws(uint8_t c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f' || c == 0; }
bool digit(uint8_t c) { return c >= '0' && c <= '9'; }

struct Text {
    const uint8_t* b;
    size_t n;
    bool at(size_t p, std::string_view s) const { return p + s.size() <= n && std::memcmp(b + p, s.data(), s.size()) == 0; }
    size_t find(size_t from, size_t to, std::string_view s) const {
        to = std::min(to, n);
        if (from >= to) return std::string_view::npos;
        const void* r = memmem(b + from, to - from, s.data(), s.size());
        return r ? static_cast<size_t>(static_cast<const uint8_t*>(r) - b) : std::string_view::npos;
    }
    size_t skip_ws(size_t p) const {
        while (p < n && ws(b[p])) ++p;
        return p;
    }
    // Parses an unsigned integer at p; returns the position after it, or npos.
    size_t number(size_t p, uint64_t& v) const {
        size_t q = p;
        v = 0;
        while (q < n && digit(b[q]) && q - p < 19) v = v * 10 + (b[q++] - '0');
        return q > p ? q : std::string_view::npos;
    }
    // "N G obj" at p: returns the position after "obj", or npos.
    size_t object_header(size_t p) const {
        uint64_t num, gen;
        size_t q = number(p, num);
        if (q == std::string_view::npos || q >= n || !ws(b[q])) return std::string_view::npos;
        q = number(skip_ws(q), gen);
        if (q == std::string_view::npos || q >= n || !ws(b[q])) return std::string_view::npos;
        q = skip_ws(q);
        return at(q, "obj") ? q + 3 : std::string_view::npos;
    }
};

constexpr size_t npos = std::string_view::npos;

}  // namespace

Check validate_pdf(Bytes d) {
    const Text t{d.data(), d.size()};
    const size_t n = d.size();
    if (n < 16) return need_more(16);
    if (!t.at(0, "%PDF-") || !digit(t.b[5]) || t.b[6] != '.' || !digit(t.b[7])) return invalid();
    size_t p = 8;
    while (p < n && t.b[p] != '\n' && t.b[p] != '\r' && p < 64) ++p;
    size_t best_end = 0, last_good = 0, objects = 0;
    auto broken = [&](size_t cut) -> Check {
        if (best_end) return complete(best_end, "pdf");
        if (objects) return truncated(cut ? cut : last_good, "pdf");
        return invalid();
    };
    auto out_of_data = [&](size_t need) -> Check { return objects || best_end ? ran_out(n, need, "pdf") : need_more(need); };
    while (true) {
        // Whitespace and comments (the %%EOF after startxref is handled with startxref).
        while (true) {
            p = t.skip_ws(p);
            if (p < n && t.b[p] == '%') {
                while (p < n && t.b[p] != '\n' && t.b[p] != '\r') ++p;
                continue;
            }
            break;
        }
        if (p >= n) return best_end && best_end >= last_good ? complete(best_end, "pdf") : out_of_data(0);
        if (digit(t.b[p])) {
            const size_t body = t.object_header(p);
            if (body == npos) return p + 32 > n ? out_of_data(0) : broken(0);
            const size_t limit = body + kMaxObjectText;
            const size_t e = t.find(body, limit, "endobj");
            const size_t s = t.find(body, e == npos ? limit : e, "stream");
            if (s == npos && e == npos) return limit > n ? out_of_data(0) : broken(0);
            if (s != npos) {
                size_t data = s + 6;
                if (t.at(data, "\r\n"))
                    data += 2;
                else if (t.at(data, "\n") || t.at(data, "\r"))
                    data += 1;
                uint64_t len = 0;
                bool direct = false;
                const size_t lk = t.find(body, s, "/Length");
                if (lk != npos) {
                    size_t q = t.number(t.skip_ws(lk + 7), len);
                    if (q != npos) {
                        // "/Length 12 0 R" is an indirect reference, not a length.
                        uint64_t g;
                        size_t r = t.number(t.skip_ws(q), g);
                        direct = !(r != npos && t.at(t.skip_ws(r), "R"));
                    }
                }
                size_t es;
                if (direct) {
                    const uint64_t end = data + len;
                    if (end + 9 > n) return out_of_data(end + 32);
                    es = t.skip_ws(static_cast<size_t>(end));
                    if (!t.at(es, "endstream")) {
                        // Cut inside this stream (what follows is not its end): carve to its declared end.
                        objects++;
                        return broken(static_cast<size_t>(end));
                    }
                } else {
                    es = t.find(data, data + kMaxStreamSearch, "endstream");
                    if (es == npos) return data + kMaxStreamSearch > n ? out_of_data(0) : broken(0);
                }
                size_t q = t.skip_ws(es + 9);
                if (q + 6 > n) return out_of_data(0);
                if (!t.at(q, "endobj")) return broken(0);
                p = q + 6;
            } else {
                p = e + 6;
            }
            objects++;
            last_good = p;
            continue;
        }
        if (t.at(p, "xref") || t.at(p, "trailer")) {
            const size_t sx = t.find(p, p + (16ull << 20), "startxref");
            if (sx == npos) return p + (16ull << 20) > n ? out_of_data(0) : broken(0);
            p = sx;
            continue;
        }
        if (t.at(p, "startxref")) {
            uint64_t off = 0;
            size_t q = t.number(t.skip_ws(p + 9), off);
            if (q == npos) return p + 32 > n ? out_of_data(0) : broken(0);
            q = t.skip_ws(q);
            if (q + 5 > n) return out_of_data(0);
            if (!t.at(q, "%%EOF")) return broken(0);
            q += 5;
            if (t.at(q, "\r\n"))
                q += 2;
            else if (q < n && (t.b[q] == '\n' || t.b[q] == '\r'))
                q += 1;
            // Consistent: the offset points back into this document at an xref table or stream.
            if (off > 8 && off < p) {
                const size_t x = t.skip_ws(static_cast<size_t>(off));
                if (t.at(x, "xref") || t.object_header(x) != npos) best_end = q;
            }
            last_good = q;
            p = q;
            continue;
        }
        return broken(0);
    }
}

}  // namespace triage::carve
