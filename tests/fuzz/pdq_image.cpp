// Fuzz target: the PDQ input path (triage/src/similarity): sniffing, the image decoders (libjpeg-
// turbo, libpng, giflib, libwebp through the project's wrappers, and the project's own BMP
// parser), then the PDQ hash of what was decoded. The input is decoded as it is and, so the BMP
// parser is reached on every run, behind a "BM" signature. Limits are smaller than the defaults to
// keep each run fast; the code paths are the same (JPEG's scaled decode from 128 pixels a side).
// Invariants: decoding either succeeds with a picture whose buffer matches its size, or throws
// DecodeError; the hash's quality is 0..100 and its 8 dihedral forms start with the hash itself.
#include "fuzz_check.hpp"
#include "similarity/image_decode.hpp"
#include "similarity/pdq.hpp"

#include <string>
#include <vector>

using namespace triage::similarity;

namespace {

void decode_and_hash(const uint8_t* data, size_t size) {
    DecodeLimits limits;
    limits.max_side = 1024;
    limits.max_pixels = 1u << 18;
    limits.reduce_to = 64;   // JPEGs of 128 pixels a side and more take the DCT-scaled path
    const ImageType type = sniff_image(data, size);
    DecodedImage img;
    try {
        img = decode_image(data, size, limits);
    } catch (const DecodeError&) {
        return;
    }
    const std::string t = image_type_name(type);
    FUZZ_CHECK(type != ImageType::None, "decoded an image of no known type");
    FUZZ_CHECK(img.width > 0 && img.height > 0 && static_cast<uint32_t>(img.width) <= limits.max_side &&
                   static_cast<uint32_t>(img.height) <= limits.max_side &&
                   static_cast<uint64_t>(img.width) * static_cast<uint64_t>(img.height) <= limits.max_pixels,
               t + ": decoded size " + std::to_string(img.width) + "x" + std::to_string(img.height) + " outside the limits");
    FUZZ_CHECK(img.channels == 1 || img.channels == 3, t + ": " + std::to_string(img.channels) + " channels");
    FUZZ_CHECK(img.pixels.size() == static_cast<size_t>(img.width) * static_cast<size_t>(img.height) * static_cast<size_t>(img.channels),
               t + ": pixel buffer of " + std::to_string(img.pixels.size()) + " bytes for " + std::to_string(img.width) + "x" +
                   std::to_string(img.height) + "x" + std::to_string(img.channels));
    PixelView v{img.pixels.data(), img.width, img.height, img.channels,
                static_cast<size_t>(img.width) * static_cast<size_t>(img.channels)};
    const PdqResult r = pdq_hash(v);
    FUZZ_CHECK(r.quality >= 0 && r.quality <= 100, t + ": PDQ quality " + std::to_string(r.quality));
    FUZZ_CHECK(r.dihedral[0] == r.hash, t + ": dihedral[0] is not the hash");
    auto back = PdqHash::from_hex(r.hash.hex());
    FUZZ_CHECK(back && *back == r.hash, t + ": the hash does not survive its hex form " + r.hash.hex());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    decode_and_hash(data, size);
    if (auto h = PdqHash::from_hex(std::string_view(reinterpret_cast<const char*>(data), size)))
        FUZZ_CHECK(PdqHash::from_hex(h->hex()) == h, "a parsed PDQ hex does not survive its round trip");
    if (size < 2 || data[0] != 'B' || data[1] != 'M') {
        std::vector<uint8_t> bmp{'B', 'M'};
        bmp.insert(bmp.end(), data, data + size);
        decode_and_hash(bmp.data(), bmp.size());
    }
    return 0;
}
