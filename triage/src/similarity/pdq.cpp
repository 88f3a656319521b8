#include "similarity/pdq.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <stdexcept>
#include <vector>

namespace triage::similarity {

namespace {

constexpr int kSide = 64;      // the decimated picture
constexpr int kDct = 16;       // DCT coefficients kept per axis
constexpr int kPresize = 512;  // the reference CLI's first shrink
constexpr int kMinSide = 5;    // below this the reference gives up (zero hash, quality 0)

using Dct = std::array<std::array<float, kDct>, kDct>;

// D[i][j] = sqrt(2/64) cos(pi / 128 * (i + 1) * (2j + 1)): rows 1..16 of the 64-point DCT-II,
// without row 0 (the mean brightness carries nothing about the picture's structure).
const std::array<std::array<float, kSide>, kDct>& dct_matrix() {
    static const auto m = [] {
        std::array<std::array<float, kSide>, kDct> d{};
        const double scale = std::sqrt(2.0 / kSide);
        for (int i = 0; i < kDct; ++i)
            for (int j = 0; j < kSide; ++j)
                d[i][j] = static_cast<float>(scale * std::cos(M_PI / (2.0 * kSide) * (i + 1) * (2 * j + 1)));
        return d;
    }();
    return m;
}

// One pass of a moving-average (box) filter of `window` samples along n samples spaced
// `stride` apart. The window reaches window - half before and half - 1 after each sample,
// half = (window + 2) / 2; near the edges it averages only the samples that exist.
void box_1d(const float* in, float* out, int n, size_t stride, int window, std::vector<double>& prefix) {
    prefix.assign(static_cast<size_t>(n) + 1, 0.0);
    for (int k = 0; k < n; ++k) prefix[k + 1] = prefix[k] + in[k * stride];
    const int half = (window + 2) / 2;
    const int before = window - half, after = half - 1;
    for (int k = 0; k < n; ++k) {
        const int lo = std::max(0, k - before), hi = std::min(n - 1, k + after);
        out[k * stride] = static_cast<float>((prefix[hi + 1] - prefix[lo]) / (hi - lo + 1));
    }
}

// The Jarosz filter: two box passes along rows and columns approximate a tent filter whose
// width matches the decimation to 64 samples, so the decimation does not alias.
void jarosz_filter(std::vector<float>& img, int w, int h) {
    const int win_x = (w + 2 * kSide - 1) / (2 * kSide);
    const int win_y = (h + 2 * kSide - 1) / (2 * kSide);
    std::vector<float> tmp(img.size());
    std::vector<double> prefix;
    for (int pass = 0; pass < 2; ++pass) {
        for (int y = 0; y < h; ++y) box_1d(&img[size_t(y) * w], &tmp[size_t(y) * w], w, 1, win_x, prefix);
        for (int x = 0; x < w; ++x) box_1d(&tmp[x], &img[x], h, size_t(w), win_y, prefix);
    }
}

// Samples the filtered picture at the centres of a 64x64 grid.
std::array<float, kSide * kSide> decimate(const std::vector<float>& img, int w, int h) {
    std::array<float, kSide * kSide> out{};
    for (int i = 0; i < kSide; ++i) {
        const int y = static_cast<int>((i + 0.5) * h / kSide);
        for (int j = 0; j < kSide; ++j) {
            const int x = static_cast<int>((j + 0.5) * w / kSide);
            out[i * kSide + j] = img[size_t(y) * w + x];
        }
    }
    return out;
}

// Sum of the absolute neighbour differences (in percent of full scale) over the 64x64 picture:
// a flat or nearly flat picture has little to hash.
int quality_of(const std::array<float, kSide * kSide>& a) {
    long sum = 0;
    for (int i = 0; i < kSide; ++i)
        for (int j = 0; j + 1 < kSide; ++j) {
            sum += std::abs(static_cast<int>((a[i * kSide + j] - a[i * kSide + j + 1]) * 100 / 255));
            sum += std::abs(static_cast<int>((a[j * kSide + i] - a[(j + 1) * kSide + i]) * 100 / 255));
        }
    return static_cast<int>(std::min<long>(100, sum / 90));
}

Dct dct_16(const std::array<float, kSide * kSide>& a) {
    const auto& d = dct_matrix();
    std::array<std::array<float, kSide>, kDct> t{};   // D * A
    for (int i = 0; i < kDct; ++i)
        for (int k = 0; k < kSide; ++k) {
            const float dik = d[i][k];
            for (int j = 0; j < kSide; ++j) t[i][j] += dik * a[k * kSide + j];
        }
    Dct b{};   // (D * A) * D^T
    for (int i = 0; i < kDct; ++i)
        for (int j = 0; j < kDct; ++j) {
            float s = 0;
            for (int k = 0; k < kSide; ++k) s += t[i][k] * d[j][k];
            b[i][j] = s;
        }
    return b;
}

// Bit (i, j) is set when the coefficient is above the median of all 256 (the 128th smallest),
// so every hash has 128 bits set.
PdqHash threshold(const Dct& b) {
    std::array<float, kDct * kDct> v{};
    for (int i = 0; i < kDct; ++i)
        for (int j = 0; j < kDct; ++j) v[i * kDct + j] = b[i][j];
    auto sorted = v;
    std::nth_element(sorted.begin(), sorted.begin() + (v.size() - 1) / 2, sorted.end());
    const float median = sorted[(v.size() - 1) / 2];
    PdqHash h;
    for (int k = 0; k < kDct * kDct; ++k)
        if (v[k] > median) h.words[k >> 4] |= static_cast<uint16_t>(1u << (k & 15));
    return h;
}

// The dihedral forms straight from the coefficients (no second DCT). B[i][j] holds vertical
// frequency i + 1 and horizontal frequency j + 1. Mirroring left-right negates the odd
// horizontal frequencies (j even), upside down the odd vertical ones (i even); a transpose swaps
// i and j. (flipx turns the picture upside down, flipy mirrors it left-right.)
Dct transform(const Dct& b, Dihedral t) {
    Dct out{};
    for (int i = 0; i < kDct; ++i)
        for (int j = 0; j < kDct; ++j) {
            const bool ie = i % 2 == 0, je = j % 2 == 0;
            float v = 0;
            switch (t) {
                case Dihedral::Orig: v = b[i][j]; break;
                case Dihedral::FlipX: v = ie ? -b[i][j] : b[i][j]; break;
                case Dihedral::FlipY: v = je ? -b[i][j] : b[i][j]; break;
                case Dihedral::Rot180: v = (ie != je) ? -b[i][j] : b[i][j]; break;
                case Dihedral::FlipPlus: v = b[j][i]; break;
                case Dihedral::FlipMinus: v = (ie != je) ? -b[j][i] : b[j][i]; break;
                case Dihedral::Rot90: v = ie ? -b[j][i] : b[j][i]; break;
                case Dihedral::Rot270: v = je ? -b[j][i] : b[j][i]; break;
            }
            out[i][j] = v;
        }
    return out;
}

}  // namespace

std::string PdqHash::hex() const {
    static const char digits[] = "0123456789abcdef";
    std::string s;
    s.reserve(64);
    for (int w = 15; w >= 0; --w)
        for (int shift = 12; shift >= 0; shift -= 4) s.push_back(digits[(words[w] >> shift) & 15]);
    return s;
}

std::optional<PdqHash> PdqHash::from_hex(std::string_view hex) {
    if (hex.size() != 64) return std::nullopt;
    PdqHash h;
    for (size_t n = 0; n < 64; ++n) {
        const char c = hex[n];
        int v;
        if (c >= '0' && c <= '9') v = c - '0';
        else if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F') v = c - 'A' + 10;
        else return std::nullopt;
        const size_t word = 15 - n / 4;
        h.words[word] = static_cast<uint16_t>(h.words[word] | (v << (4 * (3 - n % 4))));
    }
    return h;
}

int hamming(const PdqHash& a, const PdqHash& b) {
    int d = 0;
    for (size_t i = 0; i < a.words.size(); ++i) d += std::popcount(static_cast<unsigned>(a.words[i] ^ b.words[i]));
    return d;
}

PdqResult pdq_hash_luma(const float* luma, int width, int height) {
    PdqResult r;
    if (width < kMinSide || height < kMinSide) return r;   // all zero, quality 0
    std::vector<float> img(luma, luma + size_t(width) * height);
    jarosz_filter(img, width, height);
    const auto small = decimate(img, width, height);
    r.quality = quality_of(small);
    const Dct b = dct_16(small);
    for (int t = 0; t < 8; ++t) r.dihedral[t] = threshold(transform(b, static_cast<Dihedral>(t)));
    r.hash = r.dihedral[0];
    return r;
}

PdqResult pdq_hash(const PixelView& p, const PdqOptions& options) {
    if (!p.data || p.width <= 0 || p.height <= 0) throw std::invalid_argument("pdq: empty picture");
    if (p.channels != 1 && p.channels != 3 && p.channels != 4) throw std::invalid_argument("pdq: 1, 3 or 4 channels");
    if (p.stride < size_t(p.width) * p.channels) throw std::invalid_argument("pdq: row stride too small");
    const bool shrink = options.reference_presize && (p.width > kPresize || p.height > kPresize);
    const int w = shrink ? kPresize : p.width, h = shrink ? kPresize : p.height;
    std::vector<float> luma(size_t(w) * h);
    for (int y = 0; y < h; ++y) {
        const int sy = shrink ? static_cast<int>(int64_t(y) * p.height / kPresize) : y;
        const uint8_t* row = p.data + size_t(sy) * p.stride;
        float* out = &luma[size_t(y) * w];
        for (int x = 0; x < w; ++x) {
            const int sx = shrink ? static_cast<int>(int64_t(x) * p.width / kPresize) : x;
            const uint8_t* px = row + size_t(sx) * p.channels;
            // ITU-R BT.601 luma, the weights the published algorithm uses.
            out[x] = p.channels == 1 ? px[0] : 0.299f * px[0] + 0.587f * px[1] + 0.114f * px[2];
        }
    }
    return pdq_hash_luma(luma.data(), w, h);
}

}  // namespace triage::similarity
