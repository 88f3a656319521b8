// The fuzzy-hash detector: ssdeep (libfuzzy) and TLSH (libtlsh) of every non-image object,
// fed from the same blocks as the hashers, so memory stays flat whatever the file size.
// Images (recognised by their first bytes) are left to the PDQ detector, whose perceptual hash
// survives re-encoding where byte-level similarity does not.
//
// TLSH needs at least 256 bytes (MIN_DATA_LENGTH of Debian's libtlsh 3.4) and some variety in
// them: for smaller or too uniform content the library gives no digest and none is recorded.
// ssdeep is recorded for every non-empty object, as the ssdeep tool prints it for any size.
#include <triage/detector.hpp>

#include "similarity/image_decode.hpp"

#include <fuzzy.h>
#include <tlsh.h>

#include <algorithm>
#include <climits>
#include <memory>
#include <stdexcept>
#include <string>

namespace {

const triage_option_desc kOptions[] = {
    {"ssdeep", "bool", "true", "compute ssdeep (context-triggered piecewise hash)"},
    {"tlsh", "bool", "true", "compute TLSH (locality-sensitive hash; objects of 256 bytes or more)"},
    {"images", "bool", "false", "also hash JPEG, PNG, GIF, WebP and BMP files (PDQ covers them)"},
    {"max_mb", "int", "256", "objects larger than this many MiB are not hashed (0: no limit)"},
};

bool truthy(const std::string& v) { return v == "true" || v == "1" || v == "yes" || v == "on"; }

struct FuzzyFree {
    void operator()(fuzzy_state* s) const { fuzzy_free(s); }
};

class FuzzyDetector final : public triage::sdk::Detector {
public:
    FuzzyDetector(const triage_host_api* api, triage_host* host) : Detector(api, host) {
        want_ssdeep_ = truthy(option("ssdeep", "true"));
        want_tlsh_ = truthy(option("tlsh", "true"));
        want_images_ = truthy(option("images", "false"));
        const long long mb = std::stoll(option("max_mb", "256"));
        if (mb < 0) throw std::invalid_argument("fuzzy.max_mb must not be negative");
        max_bytes_ = static_cast<uint64_t>(mb) << 20;
    }

    void begin(const triage_object_info& object) override {
        // Both libraries are several times slower than SHA-256 (TLSH 3.4 most), and a digest of
        // a multi-gigabyte file says little: the largest files are left out.
        skip_ = max_bytes_ != 0 && object.size > max_bytes_;
        seen_ = 0;
        ssdeep_.reset();
        tlsh_.reset();
        if (skip_) return;
        if (want_ssdeep_) {
            ssdeep_.reset(fuzzy_new());
            if (!ssdeep_) throw std::runtime_error("fuzzy_new failed (out of memory)");
        }
        tlsh_ = want_tlsh_ ? std::make_unique<Tlsh>() : nullptr;
    }

    void block(const uint8_t* data, size_t length, uint64_t offset) override {
        if (skip_) return;
        if (offset == 0 && !want_images_ &&
            triage::similarity::sniff_image(data, length) != triage::similarity::ImageType::None) {
            skip_ = true;
            return;
        }
        if (ssdeep_ && fuzzy_update(ssdeep_.get(), data, length) != 0) throw std::runtime_error("fuzzy_update failed");
        if (tlsh_)
            for (size_t done = 0; done < length;) {
                const unsigned n = static_cast<unsigned>(std::min<size_t>(length - done, UINT_MAX / 2));
                tlsh_->update(data + done, n);
                done += n;
            }
        seen_ += length;
    }

    void end() override {
        if (skip_ || seen_ == 0) return;
        if (ssdeep_) {
            char out[FUZZY_MAX_RESULT];
            if (fuzzy_digest(ssdeep_.get(), out, 0) != 0) throw std::runtime_error("fuzzy_digest failed");
            emit_hash("ssdeep", out);
        }
        if (tlsh_) {
            tlsh_->final();
            const char* h = tlsh_->getHash();
            if (h && *h) emit_hash("tlsh", h);
        }
    }

private:
    bool want_ssdeep_ = true, want_tlsh_ = true, want_images_ = false;
    bool skip_ = false;
    uint64_t seen_ = 0;
    uint64_t max_bytes_ = 256ull << 20;
    std::unique_ptr<fuzzy_state, FuzzyFree> ssdeep_;
    std::unique_ptr<Tlsh> tlsh_;
};

const triage_detector kFuzzy = triage::sdk::describe<FuzzyDetector>(
    "fuzzy", "1.0.0", "triage project", "ssdeep (libfuzzy) and TLSH (libtlsh) similarity digests of non-image files",
    TRIAGE_WANT_BLOCKS, kOptions, sizeof kOptions / sizeof kOptions[0]);
const triage_detector* const kDetectors[] = {&kFuzzy};
const triage_plugin kPlugin{sizeof(triage_plugin), 1, kDetectors, 1};

}  // namespace

extern "C" const triage_plugin* triage_builtin_fuzzy_entry(uint32_t /*host_api_version*/) { return &kPlugin; }
