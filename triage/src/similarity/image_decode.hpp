// Decoding of the still-image formats PDQ is computed on: JPEG (libjpeg-turbo), PNG (libpng),
// GIF (giflib, first frame), WebP (libwebp, still images) and BMP (parsed here). Input is
// untrusted evidence: every decoder works from a memory buffer with bounds checks, library
// errors come back as exceptions (libjpeg and libpng through longjmp to a point before any C++
// object that needs unwinding), and dimensions are checked before any pixel buffer is allocated.
#pragma once

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace triage::similarity {

enum class ImageType { None, Jpeg, Png, Gif, Bmp, Webp };

// The type told by the first bytes (magic numbers), never by a file name.
ImageType sniff_image(const uint8_t* data, size_t size);
const char* image_type_name(ImageType t);   // "jpeg", "png", ...; "none"

struct DecodeLimits {
    uint32_t max_side = 65535;           // pixels on either side
    uint64_t max_pixels = 64ull << 20;   // width * height (64 Mpx: 192 MiB of RGB)
    // JPEG only: when not 0, decode at the smallest of libjpeg's DCT scales 1/2, 1/4, 1/8 that
    // keeps both sides at least this many pixels (a 16 Mpx photo with 512: about 1 Mpx, a
    // sixteenth of the work and memory). The limits above apply to the picture's full size.
    uint32_t reduce_to = 0;
};

// A decoded picture: rows top to bottom, 1 (grey) or 3 (RGB) bytes per pixel, no padding.
struct DecodedImage {
    int width = 0, height = 0, channels = 0;
    std::vector<uint8_t> pixels;
    // Damage the decoder worked around (truncated data, bad Huffman codes...): the picture is
    // complete in size but some of it may be grey or garbage. Empty when it decoded cleanly.
    std::vector<std::string> warnings;
};

// The image cannot be decoded (broken, truncated before any pixel, unsupported variant,
// too large). what() says why.
struct DecodeError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

DecodedImage decode_image(const uint8_t* data, size_t size, const DecodeLimits& limits = {});

}  // namespace triage::similarity
