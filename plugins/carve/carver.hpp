// The streaming carver shared by the `carve` detector and `triage carve`: bytes of one range
// are fed in order; candidates (a format's signature at any byte offset) are validated over a
// window that holds the unscanned page plus a margin, so an item that straddles a page boundary
// is seen whole and carved exactly once. Each validated item is handed to the sink once, with
// its offset in the range and its bytes; the scan resumes after it, so nothing inside a carved
// item (an EXIF thumbnail, a JPEG stored in a ZIP) becomes an item of its own.
// Memory: the window is page + margin bytes, growing only while one candidate is being
// followed, and never beyond the item cap plus a page.
#pragma once

#include "formats.hpp"

#include <functional>

namespace triage::carve {

struct Item {
    uint64_t offset = 0;       // in the range (add the range's image offset for an image offset)
    uint64_t length = 0;
    const Format* format = nullptr;
    std::string ext;           // "jpg", "docx", ...
    bool truncated = false;    // the structure broke or the bytes ran out: carved as far as it goes
    bool cut_at_cap = false;   // longer than the item cap: only the first `cap` bytes are carved
    std::string why;           // for truncated items: what ended them
    Bytes bytes;               // valid during the sink call only
};

struct CarverOptions {
    std::vector<const Format*> formats;  // empty = all
    uint64_t page = 16ull << 20;
    uint64_t margin = 4ull << 20;
    uint64_t item_cap = 256ull << 20;
};

class Carver {
public:
    using Sink = std::function<void(const Item&)>;
    Carver(CarverOptions opt, Sink sink);
    // Bytes of the range, in order.
    void feed(const uint8_t* data, size_t len);
    // The range is over: everything still pending is decided.
    void finish();
    uint64_t items() const { return items_; }

private:
    void scan(bool final);
    void compact();
    CarverOptions opt_;
    Sink sink_;
    std::vector<uint8_t> win_;
    uint64_t base_ = 0;      // range offset of win_[0]
    uint64_t sp_ = 0;        // range offset where the scan resumes
    uint64_t wait_for_ = 0;  // scan again once the window ends at or after this range offset
    uint64_t items_ = 0;
    bool first_byte_[256] = {};
};

}  // namespace triage::carve
