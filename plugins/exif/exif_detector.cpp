// exif: camera, original date and GPS position from the EXIF block of JPEG, TIFF and HEIC/HEIF
// images, read with libexif. Findings of kind "exif":
//   camera             detail {"make":..,"model":..}
//   datetime_original  detail {"value":"YYYY:MM:DD HH:MM:SS"} (EXIF's own local-time text)
//   gps                detail {"latitude":..,"longitude":..[,"altitude":..]}, decimal degrees
//                      (south and west negative), altitude in metres (below sea level negative)
// and the same as properties (exif.make, exif.model, exif.datetime_original, gps.latitude,
// gps.longitude, gps.altitude), which `triage export-geo` reads back through the findings.
//
// Bytes: streamed; only objects that start like a JPEG, TIFF or ISO-BMFF image are kept, the
// first 1 MiB of a JPEG (its EXIF sits in an APP1 segment of at most 64 KiB near the start) and
// up to 16 MiB of a TIFF or HEIC. libexif reads JPEG APP1 segments and bare EXIF blocks; a TIFF
// file is the same structure as an EXIF block without its "Exif\0\0" prefix, so it is given the
// prefix; in HEIC the EXIF item ("Exif\0\0" then a TIFF header) is found by its bytes.
#include "util/text.hpp"
#include <triage/detector.hpp>

#include <libexif/exif-data.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

enum class Kind { None, Jpeg, Tiff, Heif };

struct ExifFree {
    void operator()(ExifData* d) const { exif_data_unref(d); }
};
using Exif = std::unique_ptr<ExifData, ExifFree>;

// An ASCII tag's text: printable ASCII only, trailing blanks and NULs trimmed.
std::string ascii(ExifData* d, ExifIfd ifd, ExifTag tag) {
    ExifEntry* e = exif_content_get_entry(d->ifd[ifd], tag);
    if (!e || !e->data || e->format != EXIF_FORMAT_ASCII) return {};
    std::string s;
    for (unsigned i = 0; i < e->size && e->data[i]; ++i)
        s += (e->data[i] >= 0x20 && e->data[i] < 0x7f) ? static_cast<char>(e->data[i]) : '?';
    while (!s.empty() && s.back() == ' ') s.pop_back();
    return s;
}

std::optional<double> rational(ExifData* d, ExifEntry* e, unsigned index) {
    if (!e || !e->data || e->format != EXIF_FORMAT_RATIONAL || e->components <= index || e->size < 8 * (index + 1))
        return std::nullopt;
    const ExifRational r = exif_get_rational(e->data + 8 * index, exif_data_get_byte_order(d));
    if (r.denominator == 0) return std::nullopt;
    return static_cast<double>(r.numerator) / static_cast<double>(r.denominator);
}

// Degrees, minutes, seconds with the N/S or E/W reference: signed decimal degrees.
std::optional<double> coordinate(ExifData* d, ExifTag value_tag, ExifTag ref_tag, char negative, double limit) {
    ExifEntry* v = exif_content_get_entry(d->ifd[EXIF_IFD_GPS], value_tag);
    ExifEntry* r = exif_content_get_entry(d->ifd[EXIF_IFD_GPS], ref_tag);
    auto deg = rational(d, v, 0), min = rational(d, v, 1), sec = rational(d, v, 2);
    if (!deg || !min || !sec) return std::nullopt;
    double x = *deg + *min / 60.0 + *sec / 3600.0;
    if (r && r->data && r->size >= 1 && (r->data[0] == negative || r->data[0] == negative + 32)) x = -x;
    if (!std::isfinite(x) || std::fabs(x) > limit) return std::nullopt;
    return x;
}

std::string num(double v, int decimals) {
    char b[64];
    std::snprintf(b, sizeof b, "%.*f", decimals, v);
    return b;
}

class ExifDetector final : public triage::sdk::Detector {
public:
    using Detector::Detector;

    void begin(const triage_object_info&) override {
        buf_.clear();
        kind_ = Kind::None;
        decided_ = false;
    }

    void block(const uint8_t* data, size_t length, uint64_t) override {
        if (decided_ && kind_ == Kind::None) return;
        const size_t cap = kind_ == Kind::Jpeg ? (1u << 20) : (16u << 20);
        if (buf_.size() >= cap) return;
        buf_.insert(buf_.end(), data, data + std::min(length, cap - buf_.size()));
        if (!decided_ && buf_.size() >= 12) decide();
    }

    void end() override {
        if (!decided_) decide();
        if (kind_ == Kind::None) return;
        std::vector<uint8_t> block;
        const uint8_t* p = buf_.data();
        size_t n = buf_.size();
        static const uint8_t kPrefix[] = {'E', 'x', 'i', 'f', 0, 0};
        if (kind_ == Kind::Tiff) {
            block.assign(kPrefix, kPrefix + 6);
            block.insert(block.end(), buf_.begin(), buf_.end());
            p = block.data();
            n = block.size();
        } else if (kind_ == Kind::Heif) {
            const size_t at = find_exif_item();
            if (at == std::string::npos) return;
            p = buf_.data() + at;
            n = buf_.size() - at;
        }
        Exif d(exif_data_new());
        if (!d) throw std::runtime_error("exif_data_new failed");
        // Keep what the file says: no fixing, no filling in of mandatory tags.
        exif_data_unset_option(d.get(), EXIF_DATA_OPTION_FOLLOW_SPECIFICATION);
        exif_data_unset_option(d.get(), EXIF_DATA_OPTION_IGNORE_UNKNOWN_TAGS);
        exif_data_load_data(d.get(), p, static_cast<unsigned>(std::min<size_t>(n, 0xffffffffu)));
        report(d.get());
    }

private:
    void decide() {
        decided_ = true;
        auto at = [&](size_t off, const char* m, size_t len) {
            return buf_.size() >= off + len && std::memcmp(buf_.data() + off, m, len) == 0;
        };
        if (at(0, "\xff\xd8\xff", 3))
            kind_ = Kind::Jpeg;
        else if (at(0, "II*\0", 4) || at(0, "MM\0*", 4))
            kind_ = Kind::Tiff;
        else if (at(4, "ftyp", 4) && (at(8, "heic", 4) || at(8, "heix", 4) || at(8, "mif1", 4) || at(8, "msf1", 4) ||
                                      at(8, "heim", 4) || at(8, "heis", 4) || at(8, "avif", 4)))
            kind_ = Kind::Heif;
        else
            kind_ = Kind::None;
        if (kind_ == Kind::None) std::vector<uint8_t>().swap(buf_);
    }

    // "Exif\0\0" followed by a TIFF header, the start of HEIF's EXIF item.
    size_t find_exif_item() const {
        static const char kII[] = "Exif\0\0II*\0", kMM[] = "Exif\0\0MM\0*";
        const std::string_view hay(reinterpret_cast<const char*>(buf_.data()), buf_.size());
        size_t a = hay.find(std::string_view(kII, 10)), b = hay.find(std::string_view(kMM, 10));
        return std::min(a, b);
    }

    void finding(const char* rule, const std::string& detail) {
        triage_finding f{};
        f.struct_size = sizeof f;
        f.kind = "exif";
        f.rule = rule;
        f.category = "metadata";
        f.severity = rule[0] == 'g' ? 3 : 1;
        f.offset = -1;
        f.length = -1;
        f.detail = detail.c_str();
        emit_finding(f);
    }

    void report(ExifData* d) {
        const std::string make = ascii(d, EXIF_IFD_0, EXIF_TAG_MAKE), model = ascii(d, EXIF_IFD_0, EXIF_TAG_MODEL);
        if (!make.empty() || !model.empty()) {
            finding("camera", "{\"make\":\"" + triage::util::json_escape(make) + "\",\"model\":\"" + triage::util::json_escape(model) + "\"}");
            if (!make.empty()) set_property("exif.make", make);
            if (!model.empty()) set_property("exif.model", model);
        }
        const std::string when = ascii(d, EXIF_IFD_EXIF, EXIF_TAG_DATE_TIME_ORIGINAL);
        if (!when.empty()) {
            finding("datetime_original", "{\"value\":\"" + triage::util::json_escape(when) + "\"}");
            set_property("exif.datetime_original", when);
        }
        const auto lat = coordinate(d, static_cast<ExifTag>(EXIF_TAG_GPS_LATITUDE),
                                    static_cast<ExifTag>(EXIF_TAG_GPS_LATITUDE_REF), 'S', 90.0);
        const auto lon = coordinate(d, static_cast<ExifTag>(EXIF_TAG_GPS_LONGITUDE),
                                    static_cast<ExifTag>(EXIF_TAG_GPS_LONGITUDE_REF), 'W', 180.0);
        if (!lat || !lon) return;
        std::string detail = "{\"latitude\":" + num(*lat, 8) + ",\"longitude\":" + num(*lon, 8);
        set_property("gps.latitude", num(*lat, 8));
        set_property("gps.longitude", num(*lon, 8));
        ExifEntry* alt = exif_content_get_entry(d->ifd[EXIF_IFD_GPS], static_cast<ExifTag>(EXIF_TAG_GPS_ALTITUDE));
        if (auto a = rational(d, alt, 0)) {
            ExifEntry* ref =
                exif_content_get_entry(d->ifd[EXIF_IFD_GPS], static_cast<ExifTag>(EXIF_TAG_GPS_ALTITUDE_REF));
            const double m = (ref && ref->data && ref->size >= 1 && ref->data[0] == 1) ? -*a : *a;
            detail += ",\"altitude\":" + num(m, 3);
            set_property("gps.altitude", num(m, 3));
        }
        finding("gps", detail + "}");
    }

    std::vector<uint8_t> buf_;
    Kind kind_ = Kind::None;
    bool decided_ = false;
};

const triage_detector kExif = triage::sdk::describe<ExifDetector>(
    "exif", "1.0.0", "triage project",
    "EXIF of JPEG, TIFF and HEIC images (libexif): camera, original date, GPS position", TRIAGE_WANT_BLOCKS);
const triage_detector* const kDetectors[] = {&kExif};
const triage_plugin kPlugin{sizeof(triage_plugin), 2, kDetectors, 1};

}  // namespace

extern "C" const triage_plugin* triage_builtin_exif_entry(uint32_t /*host_api_version*/) { return &kPlugin; }
