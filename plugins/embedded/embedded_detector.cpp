// embedded: JPEG pictures inside other files (a Word 97 document's picture, a JPEG appended to
// other bytes, the images of a PDF), found by structure and handed back to the scan as child
// objects named "jpeg@OFFSET.jpg" (OFFSET in hex, where the picture starts in its parent).
//
// The carver follows JPEG's own structure in one pass over the streamed blocks, so it needs no
// more memory than the picture it is collecting: SOI (FF D8 FF), then marker segments, each with
// its length, then after SOS the entropy-coded data (FF 00 stuffing and RSTn markers are data)
// until EOI (FF D9). A candidate becomes a child only when it has a frame header (SOFn), a scan
// (SOS) and the EOI, so 0xFFD8 in random data does not count. A failed candidate is dropped and
// the search goes on from the byte where it failed.
//
// Not searched: objects that are themselves a JPEG (their EXIF thumbnail is part of them), and
// archives (the archive detector opens them, and their JPEG members would come out twice).
#include <triage/detector.hpp>

#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {

const triage_option_desc kOptions[] = {
    {"max_jpeg_mib", "size", "32", "largest embedded JPEG collected, MiB"},
    {"max_per_object", "int", "1000", "embedded JPEGs taken from one object"},
};

// Objects not searched: a JPEG itself, and what the archive detector opens (the signatures it
// recognises; an ISO 9660 image is known only at byte 32769, so carves from the first 32 KiB
// wait until that is known).
constexpr size_t kHeadNeeded = 32774;
bool skipped_format(const std::vector<uint8_t>& h) {
    struct Sig {
        size_t offset;
        std::string_view bytes;
    };
    using namespace std::string_view_literals;
    static const Sig kSigs[] = {{0, "\xff\xd8"sv},     {0, "PK\x03\x04"sv}, {0, "PK\x05\x06"sv}, {0, "\x1f\x8b"sv},
                                {0, "BZh"sv},          {0, "\xfd" "7zXZ"sv}, {0, "7z\xbc\xaf"sv}, {0, "Rar!"sv},
                                {0, "MSCF"sv},         {0, "070707"sv},     {0, "070701"sv},     {0, "070702"sv},
                                {0, "\x28\xb5\x2f\xfd"sv}, {257, "ustar"sv},   {32769, "CD001"sv}};
    for (const auto& s : kSigs)
        if (h.size() >= s.offset + s.bytes.size() && std::memcmp(h.data() + s.offset, s.bytes.data(), s.bytes.size()) == 0)
            return true;
    return false;
}

// The options, checked once when the scan starts (a bad value refuses the scan).
struct Settings {
    Settings(const triage_host_api* api, triage_host* host) {
        auto opt = [&](const char* k) {
            const char* v = api->get_option(host, k);
            return std::string(v ? v : "");
        };
        try {
            max_jpeg = std::stoull(opt("max_jpeg_mib")) << 20;
            max_count = std::stoull(opt("max_per_object"));
        } catch (const std::exception&) {
            throw std::runtime_error("embedded.max_jpeg_mib and embedded.max_per_object must be numbers");
        }
        if (max_jpeg == 0 || max_jpeg > (1ull << 30)) throw std::runtime_error("embedded.max_jpeg_mib must be 1 .. 1024");
    }
    uint64_t max_jpeg = 32u << 20, max_count = 1000;
};

class Embedded final : public triage::sdk::Detector {
public:
    Embedded(const triage_host_api* api, triage_host* host, const Settings& s)
        : Detector(api, host), max_jpeg_(s.max_jpeg), max_count_(s.max_count) {}

    void begin(const triage_object_info&) override {
        state_ = Idle;
        buf_.clear();
        count_ = 0;
        skip_ = false;
        head_done_ = false;
        head_.clear();
        pending_.clear();
    }

    void block(const uint8_t* data, size_t length, uint64_t offset) override {
        if (skip_) return;
        if (!head_done_) {
            head_.insert(head_.end(), data, data + std::min(length, kHeadNeeded - head_.size()));
            if (skipped_format(head_)) {
                skip_ = true;
                pending_.clear();
                return;
            }
            if (head_.size() >= kHeadNeeded) release();
        }
        size_t i = 0;
        while (i < length) {
            if (state_ == Idle) {
                const void* ff = std::memchr(data + i, 0xff, length - i);
                if (!ff) return;
                i = static_cast<size_t>(static_cast<const uint8_t*>(ff) - data);
                cand_ = offset + i;
                state_ = SeenFF;
                ++i;
                continue;
            }
            if (state_ == Skip) {  // the body of a marker segment
                const size_t n = std::min<uint64_t>(remaining_, length - i);
                if (!append(data + i, n)) continue;
                remaining_ -= n;
                i += n;
                if (remaining_ == 0) state_ = after_skip_;
                continue;
            }
            if (state_ == Scan) {  // entropy-coded data: only FF matters
                const void* ff = std::memchr(data + i, 0xff, length - i);
                const size_t end = ff ? static_cast<size_t>(static_cast<const uint8_t*>(ff) - data) : length;
                if (!append(data + i, end - i)) continue;
                i = end;
                if (ff) {
                    if (!append(data + i, 1)) continue;
                    state_ = ScanFF;
                    ++i;
                }
                continue;
            }
            step(data[i], offset + i);
            ++i;
        }
    }

    void end() override {
        state_ = Idle;
        if (!skip_ && !head_done_ && !skipped_format(head_)) release();
        pending_.clear();
    }

private:
    enum State { Idle, SeenFF, SeenSOI, MarkerFF, ExpectFF, Len1, Len2, Skip, Scan, ScanFF };

    // Appends to the candidate; false (and the candidate dropped) when it grows too large.
    bool append(const uint8_t* p, size_t n) {
        if (buf_.size() + n > max_jpeg_) {
            fail();
            return false;
        }
        buf_.insert(buf_.end(), p, p + n);
        return true;
    }

    void fail() {
        state_ = Idle;
        buf_.clear();
    }

    void start() {
        buf_.assign({0xff, 0xd8});
        sof_ = sos_ = false;
        state_ = ExpectFF;
    }

    void marker(uint8_t m) {
        buf_.push_back(m);
        if (m == 0xd9) {
            finish();
        } else if ((m >= 0xd0 && m <= 0xd7) || m == 0x01) {
            state_ = ExpectFF;
        } else if (m == 0xd8 || m == 0x00) {
            fail();
        } else {
            marker_ = m;
            if ((m >= 0xc0 && m <= 0xcf) && m != 0xc4 && m != 0xc8 && m != 0xcc) sof_ = true;
            state_ = Len1;
        }
    }

    void step(uint8_t b, uint64_t pos) {
        switch (state_) {
            case SeenFF:
                if (b == 0xd8) state_ = SeenSOI;
                else if (b == 0xff) cand_ = pos;
                else state_ = Idle;
                break;
            case SeenSOI:
                if (b == 0xff) {
                    start();
                    buf_.push_back(0xff);
                    state_ = MarkerFF;
                } else {
                    state_ = Idle;
                }
                break;
            case ExpectFF:
                if (b == 0xff) {
                    buf_.push_back(b);
                    state_ = MarkerFF;
                } else {
                    fail();
                }
                break;
            case MarkerFF:
                if (b == 0xff) buf_.push_back(b);  // fill bytes
                else marker(b);
                break;
            case Len1:
                buf_.push_back(b);
                len_ = static_cast<uint32_t>(b) << 8;
                state_ = Len2;
                break;
            case Len2:
                buf_.push_back(b);
                len_ |= b;
                if (len_ < 2) {
                    fail();
                    break;
                }
                remaining_ = len_ - 2;
                if (marker_ == 0xda) sos_ = true;
                after_skip_ = marker_ == 0xda ? Scan : ExpectFF;
                state_ = remaining_ ? Skip : after_skip_;
                break;
            case ScanFF:
                if (b == 0x00 || (b >= 0xd0 && b <= 0xd7)) {
                    buf_.push_back(b);
                    state_ = Scan;
                } else if (b == 0xff) {
                    buf_.push_back(b);
                } else {
                    marker(b);  // EOI, or the next segment of a progressive picture
                }
                break;
            default:
                break;
        }
        if (buf_.size() > max_jpeg_) fail();
    }

    void finish() {
        if (sof_ && sos_ && cand_ > 0 && count_ < max_count_) {
            ++count_;
            pending_.push_back({cand_, std::move(buf_)});
            if (head_done_) release();
        }
        fail();
    }

    // Hands the carved pictures to the host once the object is known not to be an archive.
    void release() {
        head_done_ = true;
        for (auto& [at, bytes] : pending_) {
            char name[64];
            std::snprintf(name, sizeof name, "jpeg@0x%llx.jpg", static_cast<unsigned long long>(at));
            if (!emit_child(name, bytes.data(), bytes.size(), static_cast<int64_t>(at)))
                log(TRIAGE_LOG_WARNING, std::string("embedded JPEG ") + name + " not kept: the host refused it");
        }
        pending_.clear();
    }

    uint64_t max_jpeg_ = 32u << 20, max_count_ = 1000, count_ = 0, cand_ = 0, remaining_ = 0;
    State state_ = Idle, after_skip_ = ExpectFF;
    uint8_t marker_ = 0;
    uint32_t len_ = 0;
    bool sof_ = false, sos_ = false, skip_ = false, head_done_ = false;
    std::vector<uint8_t> buf_, head_;
    std::vector<std::pair<uint64_t, std::vector<uint8_t>>> pending_;
};

const triage_detector kEmbedded = triage::sdk::describe<Embedded, Settings>(
    "embedded", "1.0.0", "triage project",
    "JPEG pictures embedded in other files (documents, appended data), carved by structure as child objects",
    TRIAGE_WANT_BLOCKS, kOptions, sizeof kOptions / sizeof kOptions[0]);
const triage_detector* const kDetectors[] = {&kEmbedded};
const triage_plugin kPlugin{sizeof(triage_plugin), 2, kDetectors, 1};

}  // namespace

extern "C" const triage_plugin* triage_builtin_embedded_entry(uint32_t /*host_api_version*/) { return &kPlugin; }
