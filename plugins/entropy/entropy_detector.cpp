// entropy: Shannon entropy of every object (a 256-bin histogram fed from the blocks: flat
// memory), and what is locked. Findings are of kind "encrypted":
//   high_entropy          entropy >= threshold (default 7.9 bits/byte) over at least min_size
//                         bytes (default 4096), and the first bytes are not a known compressed or
//                         media format (kKnownPacked: such files are dense by nature), and the
//                         byte counts are not too even to be random (chi-square >= 100: tables
//                         such as NTFS's $UpCase hold every value equally often)
//   luks1, luks2          "LUKS\xba\xbe" at 0 (version at 6)
//   bitlocker             "-FVE-FS-" at 3 (a BitLocker volume's boot sector)
//   filevault2            a Core Storage physical volume header: format version 1 and block type
//                         0x0010 at 8, "CS" at 88, checksum algorithm 1 (CRC-32C) at 90 (the
//                         layout libfvde documents); FileVault 2's container before APFS
//   encrypted_dmg         "encrcdsa" at 0 (encrypted disk image, FileVault 1 sparse bundles)
//   veracrypt_truecrypt   heuristic: high entropy, no known header at all, size a multiple of
//                         512 and at least 256 KiB (VeraCrypt/TrueCrypt volumes have no
//                         plaintext header by design; this is a candidate, not a proof)
//   office                an OLE2 file with an "EncryptedPackage" stream (encrypted OOXML, ECMA-376
//                         agile or standard encryption); the stream name is found in the directory
//                         by its UTF-16LE spelling
//   pdf                   a PDF whose trailer or cross-reference stream names an /Encrypt
//                         dictionary
//   zip                   a ZIP whose first local header has the encryption flag (bit 0); the
//                         archive detector also reports each encrypted member
// Properties: "entropy" (bits per byte, 3 decimals) for every object with content, and
// "encrypted" (the rule) when one of the above holds.
#include <triage/detector.hpp>

#include <array>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace {

using namespace std::string_view_literals;

const triage_option_desc kOptions[] = {
    {"threshold", "string", "7.9", "entropy (bits per byte) from which a file counts as high-entropy"},
    {"min_size", "size", "4096", "smallest object judged for high entropy, bytes"},
};

constexpr size_t kHead = 4096;
constexpr uint64_t kVeraMin = 256 * 1024;
// Chi-square (255 degrees of freedom) below which byte counts are too even for random data:
// the mean for random bytes is 255 with a standard deviation of about 22.6, so 100 is almost
// seven deviations below; tables that hold every byte value equally often give ~0.
constexpr double kChiSquareTooEven = 100.0;

struct Magic {
    size_t offset;
    std::string_view bytes;
};
// Formats whose content is compressed or encoded and so naturally near 8 bits per byte.
const Magic kKnownPacked[] = {
    {0, "\xff\xd8\xff"sv},              // JPEG
    {0, "\x89PNG"sv},                   // PNG
    {0, "GIF8"sv},                      // GIF
    {0, "PK"sv},                        // ZIP and everything built on it
    {0, "\x1f\x8b"sv},                  // gzip
    {0, "BZh"sv},                       // bzip2
    {0, "\xfd" "7zXZ"sv},               // xz
    {0, "\x28\xb5\x2f\xfd"sv},          // zstd
    {0, "\x04\x22\x4d\x18"sv},          // lz4
    {0, "7z\xbc\xaf"sv},                // 7-Zip
    {0, "Rar!"sv},                      // RAR
    {0, "MSCF"sv},                      // CAB
    {4, "ftyp"sv},                      // MP4, MOV, HEIC, AVIF, 3GP
    {0, "RIFF"sv},                      // WebP, AVI, WAV
    {0, "OggS"sv},                      // Ogg
    {0, "fLaC"sv},                      // FLAC
    {0, "ID3"sv},                       // MP3 with tag
    {0, "\xff\xfb"sv},                  // MP3 frames
    {0, "\xff\xf3"sv},
    {0, "\xff\xf2"sv},
    {0, "\x1a\x45\xdf\xa3"sv},          // Matroska, WebM
    {0, "%PDF"sv},                      // PDF (deflated streams)
    {0, "II*\0"sv},                     // TIFF (often JPEG- or LZW-compressed)
    {0, "MM\0*"sv},
    {0, "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"sv},  // OLE2 (judged by the office rule)
    {0, "\x00\x00\x00\x0cjP  "sv},      // JPEG 2000
    {0, "!<arch>"sv},                   // ar, .deb
    {0, "Cr24"sv},                      // Chrome extension
    {0, "\x78\x9c"sv},                  // zlib stream
    {0, "\x78\xda"sv},
    {0, "SQLite format 3"sv},
};

bool at(const std::vector<uint8_t>& h, size_t off, std::string_view m) {
    return h.size() >= off + m.size() && std::memcmp(h.data() + off, m.data(), m.size()) == 0;
}

// "EncryptedPackage" as an OLE2 directory entry spells it: UTF-16LE.
const std::string kOleEncrypted = [] {
    std::string s;
    for (char c : std::string_view("EncryptedPackage")) {
        s += c;
        s += '\0';
    }
    return s;
}();

std::string fixed_field(const std::vector<uint8_t>& h, size_t off, size_t n) {
    std::string s;
    for (size_t i = off; i < off + n && i < h.size() && h[i]; ++i)
        s += (h[i] >= 0x20 && h[i] < 0x7f) ? static_cast<char>(h[i]) : '?';
    return s;
}

}  // namespace

namespace triage::entropy_detail {

double shannon(const std::array<uint64_t, 256>& counts, uint64_t total) {
    if (total == 0) return 0.0;
    double h = 0.0;
    for (uint64_t c : counts) {
        if (!c) continue;
        const double p = static_cast<double>(c) / static_cast<double>(total);
        h -= p * std::log2(p);
    }
    return h;
}

}  // namespace triage::entropy_detail

namespace {

// The options, checked once when the scan starts (a bad value refuses the scan).
struct Settings {
    Settings(const triage_host_api* api, triage_host* host) {
        auto opt = [&](const char* k) {
            const char* v = api->get_option(host, k);
            return std::string(v ? v : "");
        };
        try {
            size_t used = 0;
            const std::string t = opt("threshold"), m = opt("min_size");
            threshold = std::stod(t, &used);
            if (used != t.size()) throw std::invalid_argument(t);
            min_size = std::stoull(m, &used);
            if (used != m.size()) throw std::invalid_argument(m);
        } catch (const std::exception&) {
            throw std::runtime_error("entropy.threshold and entropy.min_size must be numbers");
        }
        if (!(threshold > 0 && threshold <= 8)) throw std::runtime_error("entropy.threshold must be in (0, 8]");
    }
    double threshold = 7.9;
    uint64_t min_size = 4096;
};

class Entropy final : public triage::sdk::Detector {
public:
    Entropy(const triage_host_api* api, triage_host* host, const Settings& s)
        : Detector(api, host), threshold_(s.threshold), min_size_(s.min_size) {}

    void begin(const triage_object_info&) override {
        counts_.fill(0);
        total_ = 0;
        head_.clear();
        tail_.clear();
        ole_ = pdf_ = false;
        ole_encrypted_ = pdf_encrypted_ = false;
    }

    void block(const uint8_t* data, size_t length, uint64_t) override {
        for (size_t i = 0; i < length; ++i) ++counts_[data[i]];
        total_ += length;
        if (head_.size() < kHead) {
            const size_t n = std::min(length, kHead - head_.size());
            head_.insert(head_.end(), data, data + n);
            ole_ = at(head_, 0, "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"sv);
            pdf_ = at(head_, 0, "%PDF-"sv);
        }
        if (ole_ && !ole_encrypted_) ole_encrypted_ = search(data, length, kOleEncrypted, false);
        if (pdf_ && !pdf_encrypted_) pdf_encrypted_ = search(data, length, "/Encrypt", true);
    }

    void end() override {
        if (total_ == 0) return;
        const double h = triage::entropy_detail::shannon(counts_, total_);
        char text[32];
        std::snprintf(text, sizeof text, "%.3f", h);
        set_property("entropy", text);
        const std::string measured = std::string("\"entropy\":") + text + ",\"size\":" + std::to_string(total_);

        bool header = false;
        if (at(head_, 0, "LUKS\xba\xbe"sv)) {
            header = true;
            const unsigned v = head_.size() >= 8 ? (head_[6] << 8 | head_[7]) : 0;
            std::string d = "{\"version\":" + std::to_string(v) + ",\"uuid\":\"" + fixed_field(head_, 168, 40) + "\"";
            if (v == 1)
                d += ",\"cipher\":\"" + fixed_field(head_, 8, 32) + "-" + fixed_field(head_, 40, 32) + "\"";
            report(v == 2 ? "luks2" : "luks1", 7, d + "," + measured + "}");
        } else if (at(head_, 3, "-FVE-FS-"sv)) {
            header = true;
            report("bitlocker", 7, "{" + measured + "}");
        } else if (at(head_, 88, "CS"sv) && at(head_, 8, "\x01\x00\x10\x00"sv) && at(head_, 90, "\x01\x00\x00\x00"sv)) {
            header = true;
            report("filevault2", 7, "{\"container\":\"Core Storage\"," + measured + "}");
        } else if (at(head_, 0, "encrcdsa"sv)) {
            header = true;
            report("encrypted_dmg", 7, "{" + measured + "}");
        } else if (ole_ && ole_encrypted_) {
            header = true;
            report("office", 6, "{\"stream\":\"EncryptedPackage\"," + measured + "}");
        } else if (pdf_ && pdf_encrypted_) {
            header = true;
            report("pdf", 5, "{" + measured + "}");
        } else if (at(head_, 0, "PK\x03\x04"sv) && head_.size() >= 8 && (head_[6] & 1)) {
            header = true;
            report("zip", 5, "{\"member\":\"" + first_zip_name() + "\"," + measured + "}");
        }
        if (header || total_ < min_size_ || h < threshold_) return;
        // Random (and encrypted) bytes give a chi-square near 255 (sd ~22.6). Far below that the
        // byte counts are too even to be random: a table such as NTFS's $UpCase, all 256 values
        // equally often, has entropy 8.000 and is no ciphertext.
        const double chi2 = chi_square();
        if (chi2 < kChiSquareTooEven) return;
        bool packed = false;
        for (const auto& m : kKnownPacked) packed = packed || at(head_, m.offset, m.bytes);
        if (packed) return;
        char chi[32];
        std::snprintf(chi, sizeof chi, ",\"chi_square\":%.1f", chi2);
        report("high_entropy", 4, "{" + measured + chi + "}");
        if (total_ % 512 == 0 && total_ >= kVeraMin)
            report("veracrypt_truecrypt", 6, "{\"heuristic\":\"no header, high entropy, 512-byte multiple\"," + measured + "}");
    }

private:
    // Looks for NEEDLE in the stream, across block boundaries (tail_ keeps the last bytes).
    // delimited: the match must be followed by a byte that cannot continue a PDF name.
    bool search(const uint8_t* data, size_t length, std::string_view needle, bool delimited) {
        std::string window = tail_;
        window.append(reinterpret_cast<const char*>(data), length);
        bool found = false;
        for (size_t pos = window.find(needle); pos != std::string::npos; pos = window.find(needle, pos + 1)) {
            if (!delimited) {
                found = true;
                break;
            }
            const size_t after = pos + needle.size();
            if (after >= window.size()) break;  // decided with the next block
            const char c = window[after];
            if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'))) {
                found = true;
                break;
            }
        }
        const size_t keep = needle.size();
        tail_ = window.size() > keep ? window.substr(window.size() - keep) : window;
        return found;
    }

    double chi_square() const {
        const double expected = static_cast<double>(total_) / 256.0;
        double x = 0;
        for (uint64_t c : counts_) x += (static_cast<double>(c) - expected) * (static_cast<double>(c) - expected) / expected;
        return x;
    }

    std::string first_zip_name() const {
        if (head_.size() < 30) return {};
        const size_t n = head_[26] | head_[27] << 8;
        return fixed_field(head_, 30, std::min<size_t>(n, 200));
    }

    void report(const char* rule, int severity, const std::string& detail) {
        triage_finding f{};
        f.struct_size = sizeof f;
        f.kind = "encrypted";
        f.rule = rule;
        f.category = "encryption";
        f.severity = severity;
        f.offset = -1;
        f.length = -1;
        f.detail = detail.c_str();
        emit_finding(f);
        set_property("encrypted", rule);
    }

    double threshold_ = 7.9;
    uint64_t min_size_ = 4096;
    std::array<uint64_t, 256> counts_{};
    uint64_t total_ = 0;
    std::vector<uint8_t> head_;
    std::string tail_;
    bool ole_ = false, pdf_ = false, ole_encrypted_ = false, pdf_encrypted_ = false;
};

const triage_detector kEntropy = triage::sdk::describe<Entropy, Settings>(
    "entropy", "1.0.0", "triage project",
    "Shannon entropy of every object; encrypted containers (LUKS, BitLocker, FileVault 2, VeraCrypt heuristic), "
    "encrypted Office, PDF and ZIP files",
    TRIAGE_WANT_BLOCKS, kOptions, sizeof kOptions / sizeof kOptions[0]);
const triage_detector* const kDetectors[] = {&kEntropy};
const triage_plugin kPlugin{sizeof(triage_plugin), 2, kDetectors, 1};

}  // namespace

extern "C" const triage_plugin* triage_builtin_entropy_entry(uint32_t /*host_api_version*/) { return &kPlugin; }
