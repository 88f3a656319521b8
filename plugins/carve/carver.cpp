#include "carver.hpp"

#include <algorithm>
#include <cstring>

namespace triage::carve {

Carver::Carver(CarverOptions opt, Sink sink) : opt_(std::move(opt)), sink_(std::move(sink)) {
    if (opt_.formats.empty())
        for (const auto& f : all_formats()) opt_.formats.push_back(&f);
    for (const auto* f : opt_.formats) first_byte_[static_cast<uint8_t>(f->magic[0])] = true;
    opt_.item_cap = std::max<uint64_t>(opt_.item_cap, 4096);
    win_.reserve(static_cast<size_t>(opt_.page + opt_.margin + (1 << 20)));
}

void Carver::feed(const uint8_t* data, size_t len) {
    win_.insert(win_.end(), data, data + len);
    const uint64_t end = base_ + win_.size();
    if (wait_for_ ? end >= wait_for_ : end - sp_ >= opt_.page + opt_.margin) scan(false);
}

void Carver::finish() {
    scan(true);
    std::vector<uint8_t>().swap(win_);
}

void Carver::compact() {
    const size_t drop = static_cast<size_t>(sp_ - base_);
    if (drop == 0) return;
    win_.erase(win_.begin(), win_.begin() + static_cast<std::ptrdiff_t>(drop));
    base_ = sp_;
}

void Carver::scan(bool final) {
    wait_for_ = 0;
    const uint8_t* w = win_.data();
    const size_t wn = win_.size();
    const size_t resume = static_cast<size_t>(sp_ - base_);
    // Candidates in the last `margin` bytes wait for the next page, so that an item crossing
    // the page boundary is validated with the bytes after it in the window.
    const size_t limit = final ? wn : (wn > opt_.margin ? static_cast<size_t>(wn - opt_.margin) : 0);
    size_t i = resume;
    while (i < limit) {
        while (i < limit && !first_byte_[w[i]]) ++i;
        if (i >= limit) break;
        size_t next = i + 1;
        for (const Format* f : opt_.formats) {
            const auto& m = f->magic;
            if (w[i] != static_cast<uint8_t>(m[0]) || i + m.size() > wn || std::memcmp(w + i, m.data(), m.size()) != 0)
                continue;
            if (i < f->magic_at || i - f->magic_at < resume) continue;
            const size_t start = i - f->magic_at;
            const size_t avail = static_cast<size_t>(std::min<uint64_t>(wn - start, opt_.item_cap));
            const Check c = f->validate(Bytes(w + start, avail));
            if (c.verdict == Verdict::Invalid) continue;
            // The span ended at the window's end: more bytes of the range may settle it.
            const bool more_may_come = !final && start + avail == wn && avail < opt_.item_cap;
            if (c.verdict == Verdict::NeedMore || (c.verdict == Verdict::Truncated && c.ran_out)) {
                if (more_may_come) {
                    uint64_t want = std::max<uint64_t>({c.need, 2 * static_cast<uint64_t>(avail), 1 << 16});
                    want = std::min<uint64_t>(want, opt_.item_cap);
                    sp_ = base_ + start;
                    wait_for_ = base_ + start + want;
                    compact();
                    return;
                }
                if (c.verdict == Verdict::NeedMore) continue;
            }
            if (c.length == 0) continue;
            Item it;
            it.offset = base_ + start;
            it.length = std::min<uint64_t>(c.length, avail);
            it.format = f;
            it.ext = c.ext;
            it.truncated = c.verdict == Verdict::Truncated;
            if (it.truncated) {
                if (c.ran_out && avail == opt_.item_cap && (wn - start > avail || !final)) {
                    it.cut_at_cap = true;
                    it.why = "longer than the item cap; the first " + std::to_string(avail) + " bytes are carved";
                } else if (c.ran_out) {
                    it.why = "the range ends inside the item";
                } else {
                    it.why = "the structure breaks after " + std::to_string(c.length) + " bytes";
                }
            }
            it.bytes = Bytes(w + start, static_cast<size_t>(it.length));
            sink_(it);
            ++items_;
            next = start + static_cast<size_t>(it.length);
            break;
        }
        i = std::max(next, i + 1);
    }
    sp_ = base_ + std::max(i, resume);
    compact();
}

}  // namespace triage::carve
