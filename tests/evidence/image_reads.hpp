// Helpers of the E01 reading tests: a whole image read through the Image API, and a file's
// SHA-256 by sha256sum (the oracle).
#pragma once

#include "evidence/image.hpp"
#include "support/harness.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <string>

namespace th::ev_reads {

// The whole image read in requests of `step` bytes starting at `first` (then `first` bytes at 0).
inline std::string read_all(triage::evidence::Image& img, size_t step, uint64_t first = 0) {
    std::string out(img.size(), '\0');
    auto read_range = [&](uint64_t from, uint64_t to) {
        for (uint64_t off = from; off < to;) {
            const int64_t n = img.read(off, out.data() + off, static_cast<size_t>(std::min<uint64_t>(step, to - off)));
            REQUIRE(n > 0);
            off += static_cast<uint64_t>(n);
        }
    };
    read_range(first, img.size());
    read_range(0, first);
    return out;
}

inline std::string sha256_of(const std::string& path) { return th::run("sha256sum " + th::q(path)).out.substr(0, 64); }

}  // namespace th::ev_reads
