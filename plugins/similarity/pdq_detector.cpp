// The PDQ detector: every object whose first bytes say JPEG, PNG, GIF, WebP or BMP is decoded
// and its PDQ hash, quality and 8 rotated/flipped hashes are recorded in the hashes table
// ("pdq", "pdq_quality", "pdq8"), where the hash-set matcher and `triage similar` read them.
// It sees whole objects (TRIAGE_WANT_WHOLE): decoders need the full file, and objects above the
// host's cap (--whole-object-cap, 32 MiB by default) are not hashed. It asks only for objects
// whose first bytes say picture (wants_whole), so other files are not held in memory for it.
//
// A file that looks like an image but cannot be decoded is not an error of the scan: it becomes
// an informational finding (kind "image", rule "image not decoded") saying why, because a file
// with an image header that does not decode (truncated, carved, disguised) is worth a look.
// An image that decodes with damage worked around is hashed and also gets a finding
// (rule "damaged image") with the decoder's warnings.
#include <triage/detector.hpp>

#include "similarity/image_decode.hpp"
#include "similarity/pdq.hpp"

#include <stdexcept>
#include <string>

namespace {

namespace sim = triage::similarity;

const triage_option_desc kOptions[] = {
    {"max_megapixels", "int", "64", "larger images are not decoded (memory: 3 bytes per pixel per worker)"},
    {"reference_presize", "bool", "true",
     "shrink images larger than 512 pixels to 512x512 first, as the reference PDQ hasher does"},
    {"report_undecodable", "bool", "true", "a finding for files with an image header that do not decode"},
    {"jpeg_scaled_decode", "bool", "true",
     "with reference_presize, decode large JPEGs at 1/2, 1/4 or 1/8 size (libjpeg DCT scaling, both sides still "
     ">= 512 pixels): the 512x512 picture is then sampled from block averages instead of single pixels, a few "
     "bits from the reference hasher's hash, at a fraction of the time and memory; false decodes at full size"},
};

bool truthy(const std::string& v) { return v == "true" || v == "1" || v == "yes" || v == "on"; }

class PdqDetector final : public triage::sdk::Detector {
public:
    PdqDetector(const triage_host_api* api, triage_host* host) : Detector(api, host) {
        const long mp = std::stol(option("max_megapixels", "64"));
        if (mp <= 0) throw std::invalid_argument("pdq.max_megapixels must be positive");
        limits_.max_pixels = static_cast<uint64_t>(mp) << 20;
        options_.reference_presize = truthy(option("reference_presize", "true"));
        report_undecodable_ = truthy(option("report_undecodable", "true"));
        if (options_.reference_presize && truthy(option("jpeg_scaled_decode", "true"))) limits_.reduce_to = 512;
    }

    // Only pictures are held whole for it: a video or an archive under the cap is not copied.
    // Fewer bytes than the longest signature (BMP's 18) cannot rule a picture out.
    bool wants_whole(const triage_object_info&, const uint8_t* head, size_t length) override {
        return length < 18 || sim::sniff_image(head, length) != sim::ImageType::None;
    }

    void block(const uint8_t* data, size_t length, uint64_t) override {
        const sim::ImageType type = sim::sniff_image(data, length);
        if (type == sim::ImageType::None) return;
        sim::DecodedImage img;
        try {
            img = sim::decode_image(data, length, limits_);
        } catch (const sim::DecodeError& e) {
            if (report_undecodable_) note("image not decoded", type, e.what());
            return;
        }
        const sim::PixelView view{img.pixels.data(), img.width, img.height, img.channels,
                                  size_t(img.width) * img.channels};
        const sim::PdqResult r = sim::pdq_hash(view, options_);
        std::string all;
        for (const auto& h : r.dihedral) all += (all.empty() ? "" : ",") + h.hex();
        emit_hash("pdq", r.hash.hex());
        emit_hash("pdq8", all);
        emit_hash("pdq_quality", std::to_string(r.quality));
        if (!img.warnings.empty()) {
            std::string detail;
            for (const auto& w : img.warnings) detail += (detail.empty() ? "" : "; ") + w;
            note("damaged image", type, detail);
        }
    }

private:
    void note(const char* rule, sim::ImageType type, const std::string& why) const {
        const std::string detail = std::string(sim::image_type_name(type)) + ": " + why;
        triage_finding f{};
        f.struct_size = sizeof f;
        f.kind = "image";
        f.rule = rule;
        f.category = "pdq";
        f.severity = 1;
        f.offset = -1;
        f.length = -1;
        f.detail = detail.c_str();
        emit_finding(f);
    }

    sim::DecodeLimits limits_;
    sim::PdqOptions options_;
    bool report_undecodable_ = true;
};

const triage_detector kPdq = triage::sdk::describe<PdqDetector>(
    "pdq", "1.0.0", "triage project",
    "PDQ perceptual hash, quality and 8 rotations/flips of JPEG, PNG, GIF, WebP and BMP images",
    TRIAGE_WANT_WHOLE, kOptions, sizeof kOptions / sizeof kOptions[0]);
const triage_detector* const kDetectors[] = {&kPdq};
const triage_plugin kPlugin{sizeof(triage_plugin), 1, kDetectors, 1};

}  // namespace

extern "C" const triage_plugin* triage_builtin_pdq_entry(uint32_t /*host_api_version*/) { return &kPlugin; }
