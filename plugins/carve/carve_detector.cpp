// The `carve` detector: every unallocated range the engine records (file-system free blocks,
// unpartitioned space, images with no readable file system) is streamed through the carver;
// each validated item becomes a child object (hashed, matched and scanned like any file) named
// `0x<image offset>.<type>` under the range, with a "carved" finding that records its format,
// image offset, length and whether it is truncated.
#include "carve/carver.hpp"

#include <triage/detector.hpp>

#include <nlohmann/json.hpp>

#include <cstdio>
#include <memory>
#include <stdexcept>

namespace {

using triage::carve::Carver;
using triage::carve::CarverOptions;
using triage::carve::Item;

std::string item_name(uint64_t image_offset, const std::string& ext) {
    char buf[48];
    std::snprintf(buf, sizeof buf, "0x%010llx.", static_cast<unsigned long long>(image_offset));
    return buf + ext;
}

// At most the host's limit on child bytes from one object at a time (kMaxChildBytesPerObject,
// 256 MiB): a larger item would be refused by emit_child.
uint64_t parse_mib(const std::string& v, const char* key) {
    try {
        size_t used = 0;
        const unsigned long long x = std::stoull(v, &used);
        if (used != v.size() || x == 0 || x > 256) throw std::invalid_argument("range");
        return static_cast<uint64_t>(x) << 20;
    } catch (const std::exception&) {
        throw std::invalid_argument(std::string("option ") + key + ": '" + v + "' is not a size in MiB from 1 to 256");
    }
}

// The options, checked once when the scan starts (a bad value refuses the scan with a message).
struct CarveConfig {
    CarveConfig(const triage_host_api* api, triage_host* host) {
        auto get = [&](const char* key, const char* fallback) {
            const char* v = api->get_option(host, key);
            return std::string(v ? v : fallback);
        };
        opt.formats = triage::carve::select_formats(get("formats", ""));
        opt.item_cap = parse_mib(get("max-item-mib", "256"), "max-item-mib");
    }
    CarverOptions opt;
};

class CarveDetector final : public triage::sdk::Detector {
public:
    CarveDetector(const triage_host_api* api, triage_host* host, const CarveConfig& cfg)
        : Detector(api, host), opt_(cfg.opt) {}

    void begin(const triage_object_info& obj) override {
        image_offset_ = obj.image_offset;
        // Slack (whose seam margins are the next file's first bytes: a header there would carve
        // an allocated file again) and metadata blocks are for the keyword and identifier
        // search only (docs/carving.md).
        const std::string kind = obj.name ? obj.name : "";
        if (kind == "file_slack" || kind == "fs_metadata") return;
        carver_ = std::make_unique<Carver>(opt_, [this](const Item& it) { emit(it); });
    }
    void block(const uint8_t* data, size_t length, uint64_t) override {
        if (carver_) carver_->feed(data, length);
    }
    void end() override {
        if (!carver_) return;
        carver_->finish();
        carver_.reset();
    }

private:
    void emit(const Item& it) {
        const uint64_t at = image_offset_ + it.offset;
        if (!emit_child(item_name(at, it.ext), it.bytes.data(), it.bytes.size(), static_cast<int64_t>(it.offset)))
            return;  // refused by the host (recorded there)
        nlohmann::json detail = {{"format", it.format->name}, {"type", it.ext}, {"image_offset", at},
                                 {"length", it.length}, {"truncated", it.truncated}, {"cut_at_cap", it.cut_at_cap}};
        if (!it.why.empty()) detail["reason"] = it.why;
        const std::string text = detail.dump();
        triage_finding f{};
        f.struct_size = sizeof f;
        f.kind = "carved";
        f.rule = it.format->name;
        f.category = it.truncated ? "carved-truncated" : "carved";
        f.severity = 0;
        f.offset = static_cast<int64_t>(it.offset);
        f.length = static_cast<int64_t>(it.length);
        f.detail = text.c_str();
        emit_finding(f);
    }

    CarverOptions opt_;
    std::unique_ptr<Carver> carver_;
    uint64_t image_offset_ = 0;
};

const triage_option_desc kOptions[] = {
    {"formats", "string", "", "comma-separated formats to carve (default: all): jpeg,png,gif,bmp,pdf,zip,sqlite,mp4,riff,elf,pe"},
    {"max-item-mib", "int", "256", "largest item carved, in MiB (1-256); longer items are cut there and flagged"},
};

const triage_detector kCarve = triage::sdk::describe<CarveDetector, CarveConfig>(
    "carve", "1.0.0", "triage project",
    "carves files out of unallocated space, each validated by its structure (JPEG, PNG, GIF, BMP, PDF, ZIP/OOXML/ODF, "
    "SQLite, MP4/MOV, RIFF, ELF, PE)",
    TRIAGE_WANT_UNALLOC, kOptions, 2);
const triage_detector* const kDetectors[] = {&kCarve};
const triage_plugin kPlugin{sizeof(triage_plugin), 1, kDetectors, 1};

}  // namespace

extern "C" const triage_plugin* triage_builtin_carve_entry(uint32_t /*host_api_version*/) { return &kPlugin; }
