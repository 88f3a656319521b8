// PDQ, Meta's open perceptual image hash, written here from the published description of the
// algorithm (facebook/ThreatExchange, pdq/): luminance, a two-pass Jarosz (box) filter and
// decimation to 64x64, a 16x16 DCT without the DC terms, a threshold at the median, 256 bits;
// a quality score from the gradients of the 64x64 picture; and the 8 rotations/flips derived
// from the DCT coefficients. Pure functions over decoded pixels: no I/O here.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace triage::similarity {

// 256 bits as 16 words of 16 bits. Bit k (k = 16 * row + column of the 16x16 DCT) is bit
// (k & 15) of word k >> 4; the hex form prints word 15 first, as the reference tools do.
struct PdqHash {
    std::array<uint16_t, 16> words{};

    std::string hex() const;
    static std::optional<PdqHash> from_hex(std::string_view hex);   // 64 hex digits, any case
    bool operator==(const PdqHash&) const = default;
};

int hamming(const PdqHash& a, const PdqHash& b);

// The 8 dihedral forms, in the order the reference tools print them (and the order of the
// "pdq8" value in the hashes table): the image as stored; rotated 90 degrees anticlockwise;
// 180; 270 (= 90 clockwise); flipx = mirrored about the horizontal (x) axis, i.e. upside down;
// flipy = mirrored about the vertical (y) axis, i.e. left-right; flipp = transposed (mirrored
// about the main diagonal); flipm = mirrored about the anti-diagonal. These are the reference's
// names and meanings (its test images bridge-5-flipx.jpg is upside down, bridge-6-flipy.jpg
// mirrored left-right).
enum class Dihedral { Orig = 0, Rot90, Rot180, Rot270, FlipX, FlipY, FlipPlus, FlipMinus };
inline constexpr std::array<const char*, 8> kDihedralNames{"orig",  "rot90", "rot180", "rot270",
                                                           "flipx", "flipy", "flipp",  "flipm"};

struct PdqResult {
    PdqHash hash;                        // == dihedral[0]
    int quality = 0;                     // 0..100; hashes of quality <= 49 should not be matched
    std::array<PdqHash, 8> dihedral{};   // indexed by Dihedral
};

// Pixels: rows top to bottom, `channels` bytes per pixel: 1 grey, 3 RGB, 4 RGBA (alpha ignored).
struct PixelView {
    const uint8_t* data = nullptr;
    int width = 0, height = 0, channels = 0;
    size_t stride = 0;   // bytes per row
};

struct PdqOptions {
    // The reference command-line hasher first shrinks any image larger than 512 pixels on a side
    // to exactly 512x512 by nearest-neighbour sampling (aspect ratio not kept). Doing the same
    // keeps our hashes next to those in published hash sets and bounds the work per image.
    bool reference_presize = true;
};

// Images smaller than 5 pixels on a side give an all-zero hash of quality 0, like the reference.
PdqResult pdq_hash(const PixelView& pixels, const PdqOptions& options = {});

// The 64x64 stage and after, for callers that have luminance already (tests; other front ends).
PdqResult pdq_hash_luma(const float* luma, int width, int height);

}  // namespace triage::similarity
