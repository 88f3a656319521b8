// Page + margin over a stream of blocks (bulk_extractor's scheme, see STYLE.md): a page is
// scanned together with the bytes that follow it (the margin) and a few that precede it (the
// look-behind, so a token is never cut at its left end); a hit is reported only by the page its
// first byte lies in, so a hit straddling a block or page boundary is found exactly once.
#pragma once

#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

namespace triage::ident {

// What a scan of one window is told: buf[0, len) starts at object offset base; report only hits
// whose first byte lies in [from, to).
struct Window {
    const uint8_t* buf;
    size_t len;
    size_t from, to;
    uint64_t base;
};

// A page or margin size option: a whole number in [lo, hi] (Hyperscan scans at most 4 GiB).
inline size_t bounded_option(const std::string& value, const char* name, size_t lo, size_t hi) {
    size_t pos = 0;
    unsigned long long v = 0;
    try {
        v = std::stoull(value, &pos);
    } catch (const std::exception&) {
        pos = 0;
    }
    if (pos == 0 || pos != value.size() || v < lo || v > hi)
        throw std::invalid_argument(std::string(name) + " must be a whole number from " + std::to_string(lo) + " to " +
                                    std::to_string(hi) + ", not '" + value + "'");
    return static_cast<size_t>(v);
}

class Pager {
public:
    Pager(size_t page, size_t margin, size_t lookbehind) : page_(page), margin_(margin), behind_(lookbehind) {}

    void reset() {
        buf_.clear();
        base_ = 0;
        kept_ = 0;
    }

    template <class Scan>
    void feed(const uint8_t* data, size_t n, Scan&& scan) {
        buf_.insert(buf_.end(), data, data + n);
        while (buf_.size() >= kept_ + page_ + margin_) {
            scan(Window{buf_.data(), buf_.size(), kept_, kept_ + page_, base_});
            // Keep the look-behind before the next page, and everything after it.
            const size_t next = kept_ + page_;
            const size_t drop = next > behind_ ? next - behind_ : 0;
            buf_.erase(buf_.begin(), buf_.begin() + static_cast<std::ptrdiff_t>(drop));
            base_ += drop;
            kept_ = next - drop;
        }
    }

    // The last (possibly short or empty) page.
    template <class Scan>
    void finish(Scan&& scan) {
        if (buf_.size() > kept_ || base_ == 0) scan(Window{buf_.data(), buf_.size(), kept_, buf_.size(), base_});
        reset();
    }

private:
    size_t page_, margin_, behind_;
    std::vector<uint8_t> buf_;
    uint64_t base_ = 0;  // object offset of buf_[0]
    size_t kept_ = 0;    // look-behind bytes at the front of buf_
};

}  // namespace triage::ident
