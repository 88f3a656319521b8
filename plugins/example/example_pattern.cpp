// example_pattern: the template detector for plugin authors. It flags every offset at which an
// object's content contains a configurable byte pattern, one finding per match.
//
// Copy this folder, rename the class and the detector, and replace the search with your own
// logic. Everything a plugin may use comes from the installed SDK (<triage/...>); nothing else
// of triage is linked in.
//
// Written with the header-only C++ helper (triage/detector.hpp) rather than against the raw C
// ABI because the helper does the two things every detector otherwise gets wrong: it builds the
// C descriptor with the right struct_size, and it catches every exception at the ABI boundary
// (a throw becomes TRIAGE_ERROR plus a message, which the host records in v_errors and then
// skips this detector for that object only). A plain-C detector is just as welcome; the
// walkthrough (docs/writing-a-detector.md) shows the same callbacks in C.
#include <triage/detector.hpp>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

// Bytes of context before a match quoted in the finding's detail.
constexpr size_t kContextBefore = 16;

// Options this detector takes. The host lists them in `triage plugins`, refuses unknown keys
// given with --option example_pattern.KEY=VALUE, and answers get_option() with the default
// when the examiner did not set one. Types are advisory ("string", "int", "bool", "size"): the
// value always arrives as text and the detector parses it.
const triage_option_desc kOptions[] = {
    {"pattern", "string", "TRIAGE-EXAMPLE", "the bytes to look for, as text"},
    {"hex", "string", "", "the bytes to look for as hex (e.g. 'de ad be ef'); overrides pattern"},
    {"label", "string", "", "rule name recorded with each finding (default: the pattern itself)"},
    {"max_hits", "int", "1000", "at most this many findings per object; 0 means no limit"},
};

// Printable ASCII as is, everything else as \xNN: a finding's detail is text for examiners.
std::string escape(const uint8_t* p, size_t n) {
    std::string s;
    for (size_t i = 0; i < n; ++i) {
        if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '\\') {
            s += static_cast<char>(p[i]);
        } else {
            char buf[5];
            std::snprintf(buf, sizeof buf, "\\x%02x", p[i]);
            s += buf;
        }
    }
    return s;
}

std::vector<uint8_t> parse_hex(const std::string& text) {
    std::vector<uint8_t> out;
    int high = -1;
    for (char c : text) {
        if (c == ' ' || c == ':' || c == '-' || c == '\t') continue;  // "de ad", "de:ad" or "de-ad"
        int v = std::isdigit(static_cast<unsigned char>(c)) ? c - '0'
                : (c >= 'a' && c <= 'f')                    ? c - 'a' + 10
                : (c >= 'A' && c <= 'F')                    ? c - 'A' + 10
                                                            : -1;
        if (v < 0) throw std::invalid_argument("option hex: '" + text + "' is not hexadecimal");
        if (high < 0) {
            high = v;
        } else {
            out.push_back(static_cast<uint8_t>(high * 16 + v));
            high = -1;
        }
    }
    if (high >= 0) throw std::invalid_argument("option hex: '" + text + "' has an odd number of digits");
    return out;
}

// One instance per scan worker thread: the host creates as many as it runs workers and never
// calls one instance from two threads, so members need no locks. Keep no global mutable state.
class PatternDetector final : public triage::sdk::Detector {
public:
    // Options are read once per instance. A constructor that throws makes create() return
    // NULL, and the host then only knows the detector is unavailable, not why; so a bad option
    // is remembered here and reported from begin(), which puts the reason in v_errors.
    PatternDetector(const triage_host_api* api, triage_host* host) : Detector(api, host) {
        try {
            configure();
        } catch (const std::exception& e) {
            config_error_ = e.what();
            log(TRIAGE_LOG_ERROR, config_error_);
        }
    }

    void begin(const triage_object_info& /*object*/) override {
        if (!config_error_.empty()) throw std::invalid_argument(config_error_);
        carry_.clear();
        next_offset_ = 0;
        hits_ = 0;
        limited_ = false;
    }

    // Blocks arrive in order with their object offset. A match may straddle two blocks, so the
    // last bytes of each block are carried over and searched again together with the next one
    // (the page-plus-margin idea of bulk_extractor). Only matches that end inside the new block
    // are reported: a match lying wholly in the carried bytes was already reported last time.
    //
    // No need to poll cancelled() here: the host checks between blocks and cuts off a detector
    // that overruns its per-object time budget. Poll it in loops that can run long in one call.
    void block(const uint8_t* data, size_t length, uint64_t offset) override {
        if (limited_ || length == 0 || pattern_.empty()) return;
        if (offset != next_offset_) carry_.clear();  // a gap: nothing to join across
        const size_t m = pattern_.size();
        const uint64_t base = offset - carry_.size();  // object offset of work_[0]
        work_.assign(carry_.begin(), carry_.end());
        work_.insert(work_.end(), data, data + length);

        // A reported match ends in the new block, i.e. starts at or after carry_.size() - (m - 1).
        const size_t first = carry_.size() > m - 1 ? carry_.size() - (m - 1) : 0;
        const std::boyer_moore_horspool_searcher search(pattern_.begin(), pattern_.end());
        for (auto it = std::search(work_.begin() + first, work_.end(), search); it != work_.end();
             it = std::search(it + 1, work_.end(), search)) {  // it + 1: overlapping matches count too
            const size_t at = static_cast<size_t>(it - work_.begin());
            if (max_hits_ > 0 && hits_ == max_hits_) {
                report_limit(base + at);
                break;
            }
            report(base + at, at);
        }
        // Keep what the next block needs: m - 1 bytes to complete a straddling match, and
        // kContextBefore more so that its detail can quote what precedes it.
        const size_t keep = std::min(work_.size(), m - 1 + kContextBefore);
        carry_.assign(work_.end() - static_cast<std::ptrdiff_t>(keep), work_.end());
        next_offset_ = offset + length;
    }

    void end() override {}

private:
    void configure() {
        const std::string hex = option("hex");
        if (!hex.empty()) {
            pattern_ = parse_hex(hex);
        } else {
            const std::string text = option("pattern");
            pattern_.assign(text.begin(), text.end());
        }
        if (pattern_.empty()) throw std::invalid_argument("option pattern (or hex) must not be empty");
        label_ = option("label");
        if (label_.empty()) label_ = escape(pattern_.data(), pattern_.size());
        const std::string max = option("max_hits", "1000");
        try {
            size_t used = 0;
            const long long v = std::stoll(max, &used);
            if (used != max.size() || v < 0) throw std::invalid_argument(max);
            max_hits_ = static_cast<uint64_t>(v);
        } catch (const std::exception&) {
            throw std::invalid_argument("option max_hits: '" + max + "' is not a non-negative integer");
        }
    }

    // at: index in work_ of the match, which sits at object offset object_offset.
    void report(uint64_t object_offset, size_t at) {
        const size_t from = at > kContextBefore ? at - kContextBefore : 0;
        // detail: the bytes before the match (as far as we have them), then the match in brackets.
        const std::string detail = escape(work_.data() + from, at - from) + "[" +
                                   escape(pattern_.data(), pattern_.size()) + "]";
        triage_finding f{};
        f.struct_size = sizeof f;  // always set: lets a later host tell which members we know
        f.kind = "pattern";
        f.rule = label_.c_str();
        f.category = "example";
        f.severity = 1;  // 0 info .. 10 critical
        f.offset = static_cast<int64_t>(object_offset);
        f.length = static_cast<int64_t>(pattern_.size());
        f.detail = detail.c_str();  // the host copies every string before emit_finding returns
        emit_finding(f);
        ++hits_;
    }

    void report_limit(uint64_t object_offset) {
        const std::string detail = "more than " + std::to_string(max_hits_) +
                                   " matches; the rest of this object is not searched (option max_hits)";
        triage_finding f{};
        f.struct_size = sizeof f;
        f.kind = "pattern_limit";
        f.rule = label_.c_str();
        f.category = "example";
        f.severity = 0;
        f.offset = static_cast<int64_t>(object_offset);  // the first match not reported
        f.length = -1;
        f.detail = detail.c_str();
        emit_finding(f);
        limited_ = true;
    }

    // Configuration, fixed after construction.
    std::vector<uint8_t> pattern_;
    std::string label_;
    uint64_t max_hits_ = 1000;
    std::string config_error_;

    // Per-object state, reset in begin().
    std::vector<uint8_t> carry_;  // the tail of the previous block
    std::vector<uint8_t> work_;   // carry_ + the current block (kept to reuse its memory)
    uint64_t next_offset_ = 0;
    uint64_t hits_ = 0;
    bool limited_ = false;
};

// The descriptor: name (what --enable, --disable and --option use), version (recorded with
// every finding as detector_version: bump it when results change), author, description, what
// the detector wants to see, and its options.
const triage_detector kPatternDetector = triage::sdk::describe<PatternDetector>(
    "example_pattern", "1.0.0", "triage project (example for plugin authors)",
    "flags every offset at which an object contains a configurable byte pattern", TRIAGE_WANT_BLOCKS, kOptions,
    sizeof kOptions / sizeof kOptions[0]);

const triage_detector* const kDetectors[] = {&kPatternDetector};

// min_host_api is the lowest host API this plugin needs (1: it only calls functions that
// version 1 of triage_host_api has). Do not write TRIAGE_HOST_API_VERSION here: that is the
// version of the headers you build with, and would needlessly refuse older triage releases.
const triage_plugin kPlugin{sizeof(triage_plugin), 1, kDetectors, sizeof kDetectors / sizeof kDetectors[0]};

}  // namespace

// The one symbol the host looks up (TRIAGE_PLUGIN_ENTRY_SYMBOL) after dlopen. It only returns
// static data: no allocation, no work, nothing that can fail. host_api_version is the host's
// TRIAGE_HOST_API_VERSION, in case a plugin wants to offer more to newer hosts.
extern "C" __attribute__((visibility("default"))) const triage_plugin* triage_plugin_entry(
    uint32_t /*host_api_version*/) {
    return &kPlugin;
}
