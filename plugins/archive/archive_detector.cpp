// archive: opens archives and compressed files with libarchive (ZIP and what is built on it such
// as OOXML, ODF, JAR, APK; gzip, bzip2, xz, zstd; tar, cpio, 7z, RAR, CAB, ISO 9660) and hands
// every regular member back to the scan as a child object ("a.zip>word/media/image1.jpeg"), so
// members are hashed, typed, matched and opened in turn.
//
// How the bytes arrive: streamed (TRIAGE_WANT_BLOCKS). The first 64 KiB are kept to recognise an
// archive by its signature (kSignatures); only then is the rest kept, up to max_archive_mib, and
// libarchive reads that buffer from memory (it needs to seek in ZIP and 7z). Objects that are no
// archive cost 64 KiB and nothing else; an archive larger than the cap is not opened and a finding
// (kind "archive_limit", rule "archive_size") says so.
//
// Zip-bomb safety, each limit an option, each hit a finding of kind "archive_limit" (never fatal):
//   max_depth      archives nested deeper than this are not opened (depth = the number of '>' in
//                  the object's path, i.e. how many containers it is inside)
//   max_members    members read from one archive
//   max_ratio      expanded bytes / archive bytes, checked once an archive has expanded 4 MiB
//   max_total_mib  expanded bytes from one archive
//   max_tree_mib   expanded bytes from all archives under one evidence file (the engine scans an
//                  object's children on the same worker right after it, depth first, so the
//                  instance counts them until the next object that is not a child)
// A member that would cross a limit is not emitted at all (a truncated member would carry wrong
// hashes). Encrypted archives and members are findings of kind "encrypted". Links (symbolic and
// hard) and special files are not followed or emitted. Member names are sanitised for the index
// path; nothing is ever written to disk.
#include "archive/member_path.hpp"
#include "util/text.hpp"
#include <triage/detector.hpp>

#include <archive.h>
#include <archive_entry.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

const triage_option_desc kOptions[] = {
    {"max_archive_mib", "size", "128", "largest archive (MiB) that is opened; larger ones are reported, not opened"},
    {"max_depth", "int", "6", "archives nested deeper than this many containers are not opened"},
    {"max_members", "int", "10000", "members read from one archive"},
    {"max_ratio", "int", "100", "largest expansion ratio (expanded / archive bytes) once 4 MiB have been expanded"},
    {"max_total_mib", "size", "192", "expanded bytes (MiB) from one archive"},
    {"max_tree_mib", "size", "1024", "expanded bytes (MiB) from all archives inside one evidence file"},
};

constexpr size_t kSniff = 64 * 1024;
constexpr uint64_t kRatioFloor = 4ull << 20;
constexpr uint64_t kMiB = 1ull << 20;

// Signatures of what libarchive reads, at their offsets. Recognising them here (rather than
// letting libarchive bid on everything) keeps text files from being taken as mtree or raw data.
struct Signature {
    size_t offset;
    std::string_view magic;
    const char* format;
};
using namespace std::string_view_literals;
const Signature kSignatures[] = {
    {0, "PK\x03\x04"sv, "zip"},
    {0, "PK\x05\x06"sv, "zip"},
    {0, "PK\x07\x08"sv, "zip"},
    {0, "\x1f\x8b"sv, "gzip"},
    {0, "BZh"sv, "bzip2"},
    {0, "\xfd" "7zXZ\x00"sv, "xz"},
    {0, "\x28\xb5\x2f\xfd"sv, "zstd"},
    {0, "7z\xbc\xaf\x27\x1c"sv, "7z"},
    {0, "Rar!\x1a\x07"sv, "rar"},
    {0, "MSCF\x00\x00\x00\x00"sv, "cab"},
    {0, "070707"sv, "cpio"},
    {0, "070701"sv, "cpio"},
    {0, "070702"sv, "cpio"},
    {257, "ustar"sv, "tar"},
    {32769, "CD001"sv, "iso9660"},
};

const char* sniff(const std::vector<uint8_t>& head) {
    for (const auto& s : kSignatures)
        if (head.size() >= s.offset + s.magic.size() &&
            std::memcmp(head.data() + s.offset, s.magic.data(), s.magic.size()) == 0)
            return s.format;
    return nullptr;
}

struct ArchiveFree {
    void operator()(::archive* a) const { archive_read_free(a); }
};
using Archive = std::unique_ptr<::archive, ArchiveFree>;

// The options, checked once when the scan starts (a bad value refuses the scan).
struct Limits {
    Limits(const triage_host_api* api, triage_host* host) {
        max_archive = number(api, host, "max_archive_mib", 1, 1 << 16) * kMiB;
        max_depth = number(api, host, "max_depth", 0, 64);
        max_members = number(api, host, "max_members", 1, 100000000);
        max_ratio = number(api, host, "max_ratio", 1, 1000000);
        max_total = number(api, host, "max_total_mib", 1, 1 << 20) * kMiB;
        max_tree = number(api, host, "max_tree_mib", 1, 1 << 24) * kMiB;
    }
    static uint64_t number(const triage_host_api* api, triage_host* host, const char* key, uint64_t lo, uint64_t hi) {
        const char* raw = api->get_option(host, key);
        const std::string v = raw ? raw : "";
        uint64_t n = 0;
        try {
            size_t used = 0;
            n = std::stoull(v, &used);
            if (used != v.size()) throw std::invalid_argument(v);
        } catch (const std::exception&) {
            throw std::runtime_error(std::string("archive.") + key + ": not a number: '" + v + "'");
        }
        if (n < lo || n > hi)
            throw std::runtime_error(std::string("archive.") + key + " must be " + std::to_string(lo) + " .. " +
                                     std::to_string(hi));
        return n;
    }
    uint64_t max_archive, max_depth, max_members, max_ratio, max_total, max_tree;
};

class ArchiveDetector final : public triage::sdk::Detector {
public:
    ArchiveDetector(const triage_host_api* api, triage_host* host, const Limits& l)
        : Detector(api, host),
          max_archive_(l.max_archive),
          max_depth_(l.max_depth),
          max_members_(l.max_members),
          max_ratio_(l.max_ratio),
          max_total_(l.max_total),
          max_tree_(l.max_tree) {}

    void begin(const triage_object_info& o) override {
        buf_.clear();
        format_ = nullptr;
        too_large_ = false;
        decided_ = false;
        size_ = o.size;
        path_ = o.path ? o.path : "";
        name_ = o.name ? o.name : "";
        depth_ = static_cast<uint64_t>(std::count(path_.begin(), path_.end(), '>'));
        // A new evidence file starts a new tree budget; its children continue it.
        if (o.kind != TRIAGE_OBJECT_CHILD) tree_expanded_ = 0;
    }

    void block(const uint8_t* data, size_t length, uint64_t) override {
        if ((decided_ && !format_) || too_large_) return;
        buf_.insert(buf_.end(), data, data + length);
        if (!decided_ && buf_.size() >= kSniff) decide();
        if (format_ && buf_.size() > max_archive_) {
            too_large_ = true;  // the signature was seen; the archive is reported, not opened
            std::vector<uint8_t>().swap(buf_);
        }
    }

    void end() override {
        if (!decided_) decide();
        struct Release {
            std::vector<uint8_t>& b;
            ~Release() { std::vector<uint8_t>().swap(b); }
        } release{buf_};
        if (!format_ && !too_large_) return;
        if (marked("skip")) return;  // known good: not worth opening
        if (too_large_) {
            // Only archives reach here: the signature was seen before the cap was crossed.
            limit("archive_size", "", size_, max_archive_);
            set_property("archive", "not opened: larger than max_archive_mib");
            return;
        }
        if (depth_ >= max_depth_) {
            limit("depth", "", depth_, max_depth_);
            set_property("archive", std::string(format_) + ", not opened: nested too deep");
            return;
        }
        open(false);
    }

private:
    void decide() {
        decided_ = true;
        format_ = sniff(buf_);
        if (!format_)
            std::vector<uint8_t>().swap(buf_);
        else if (size_ <= max_archive_)
            buf_.reserve(size_);  // the archive's own size, not a doubling past it
    }

    void finding(const char* kind, const char* rule, int severity, const std::string& detail) {
        triage_finding f{};
        f.struct_size = sizeof f;
        f.kind = kind;
        f.rule = rule;
        f.category = "archive";
        f.severity = severity;
        f.offset = -1;
        f.length = -1;
        f.detail = detail.c_str();
        emit_finding(f);
    }

    void limit(const char* which, const std::string& member, uint64_t value, uint64_t max) {
        std::string d = "{\"limit\":\"" + std::string(which) + "\",\"value\":" + std::to_string(value) +
                        ",\"max\":" + std::to_string(max);
        if (!member.empty()) d += ",\"member\":\"" + triage::util::json_escape(member) + "\"";
        finding("archive_limit", which, 4, d + "}");
        log(TRIAGE_LOG_INFO, path_ + ": archive limit " + which + " reached");
    }

    // The name of the one stream in a compressed file that is no archive: "x.log.gz" -> "x.log".
    std::string raw_member_name() const {
        static const char* const suffixes[] = {".gz", ".bz2", ".xz", ".zst", ".tgz", ".tbz2", ".txz"};
        std::string n = name_;
        for (const char* s : suffixes) {
            const size_t l = std::strlen(s);
            if (n.size() > l && n.compare(n.size() - l, l, s) == 0) {
                n.resize(n.size() - l);
                if (s[1] == 't') n += ".tar";
                return n;
            }
        }
        return "data";
    }

    // The archive formats, by name rather than archive_read_support_format_all: that would
    // also bid mtree (any list of words is a valid mtree spec) and take a decompressed text file
    // for an archive of thousands of empty members.
    static void enable_formats(::archive* a) {
        archive_read_support_format_7zip(a);
        archive_read_support_format_cab(a);
        archive_read_support_format_cpio(a);
        archive_read_support_format_iso9660(a);
        archive_read_support_format_lha(a);
        archive_read_support_format_rar(a);
        archive_read_support_format_rar5(a);
        archive_read_support_format_tar(a);
        archive_read_support_format_xar(a);
        archive_read_support_format_zip(a);
    }

    // raw: the content is one compressed stream without an archive inside.
    void open(bool raw) {
        Archive a(archive_read_new());
        if (!a) throw std::runtime_error("archive_read_new failed");
        archive_read_support_filter_all(a.get());
        if (raw)
            archive_read_support_format_raw(a.get());
        else
            enable_formats(a.get());
        // A compressed file that holds no archive is read as one raw stream. libarchive says so
        // when it opens the data or at the first header, depending on the format's bidding.
        const std::string_view fmt(format_);
        const bool compressed_only = fmt == "gzip" || fmt == "bzip2" || fmt == "xz" || fmt == "zstd";
        auto unrecognised = [&] {
            const std::string m = err(a.get());
            return !raw && compressed_only && m.find("ecognized archive format") != std::string::npos;
        };
        if (archive_read_open_memory(a.get(), buf_.data(), buf_.size()) != ARCHIVE_OK) {
            if (unrecognised()) {
                a.reset();
                open(true);
                return;
            }
            finding("archive_error", format_, 2, "{\"error\":\"" + triage::util::json_escape(err(a.get())) + "\"}");
            return;
        }
        std::vector<uint8_t> member;
        std::vector<char> chunk(64 * 1024);
        uint64_t expanded = 0, members = 0;
        bool flagged_archive = false;
        set_property("archive", format_);
        for (size_t index = 0;; ++index) {
            if (cancelled()) throw std::runtime_error("cancelled while reading the archive");
            archive_entry* e = nullptr;
            const int r = archive_read_next_header(a.get(), &e);
            if (r == ARCHIVE_EOF) break;
            if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
                const std::string msg = err(a.get());
                if (index == 0 && unrecognised()) {
                    a.reset();
                    open(true);  // a compressed file that holds no archive
                    return;
                }
                if (archive_read_has_encrypted_entries(a.get()) > 0 || msg.find("ncrypt") != std::string::npos) {
                    if (!flagged_archive)
                        finding("encrypted", "archive", 6,
                                "{\"format\":\"" + std::string(format_) + "\",\"error\":\"" + triage::util::json_escape(msg) + "\"}");
                    set_property("encrypted", "archive");
                } else {
                    finding("archive_error", format_, 2,
                            "{\"member_index\":" + std::to_string(index) + ",\"error\":\"" + triage::util::json_escape(msg) + "\"}");
                }
                break;
            }
            if (++members > max_members_) {
                limit("members", "", members, max_members_);
                break;
            }
            const char* p = archive_entry_pathname_utf8(e);
            if (!p) p = archive_entry_pathname(e);
            std::string path = raw ? raw_member_name() : triage::archive_detail::sanitise_member_path(p ? p : "", index);
            // Links are not followed; directories and devices carry no content.
            if (archive_entry_hardlink(e) || archive_entry_filetype(e) != AE_IFREG) continue;
            if (archive_entry_is_encrypted(e)) {
                finding("encrypted", "archive_member", 6,
                        "{\"format\":\"" + std::string(format_) + "\",\"member\":\"" + triage::util::json_escape(path) + "\"}");
                set_property("encrypted", "archive_member");
                flagged_archive = true;
                continue;
            }
            member.clear();
            const char* hit = nullptr;
            uint64_t hit_value = 0, hit_max = 0;
            if (archive_entry_size_is_set(e) && archive_entry_size(e) > 0) {
                const auto declared = static_cast<uint64_t>(archive_entry_size(e));
                if (declared > kRatioFloor && declared / std::max<uint64_t>(buf_.size(), 1) > max_ratio_)
                    hit = "ratio", hit_value = declared / std::max<uint64_t>(buf_.size(), 1), hit_max = max_ratio_;
                else if (expanded + declared > max_total_)
                    hit = "total_size", hit_value = expanded + declared, hit_max = max_total_;
                else if (tree_expanded_ + declared > max_tree_)
                    hit = "tree_size", hit_value = tree_expanded_ + declared, hit_max = max_tree_;
                else
                    member.reserve(declared);
            }
            bool read_error = false;
            while (!hit) {
                const la_ssize_t n = archive_read_data(a.get(), chunk.data(), chunk.size());
                if (n == 0) break;
                if (n < 0) {
                    if (n == ARCHIVE_WARN) continue;
                    read_error = true;
                    break;
                }
                expanded += static_cast<uint64_t>(n);
                tree_expanded_ += static_cast<uint64_t>(n);
                if (expanded > max_total_) {
                    hit = "total_size", hit_value = expanded, hit_max = max_total_;
                } else if (tree_expanded_ > max_tree_) {
                    hit = "tree_size", hit_value = tree_expanded_, hit_max = max_tree_;
                } else if (expanded > kRatioFloor && expanded / std::max<uint64_t>(buf_.size(), 1) > max_ratio_) {
                    hit = "ratio", hit_value = expanded / std::max<uint64_t>(buf_.size(), 1), hit_max = max_ratio_;
                } else {
                    member.insert(member.end(), chunk.data(), chunk.data() + n);
                }
                if (cancelled()) throw std::runtime_error("cancelled while expanding " + path);
            }
            if (hit) {
                limit(hit, path, hit_value, hit_max);
                break;  // the rest of the archive is not expanded either
            }
            if (read_error) {
                const std::string msg = err(a.get());
                if (msg.find("ncrypt") != std::string::npos || msg.find("assphrase") != std::string::npos) {
                    finding("encrypted", "archive_member", 6,
                            "{\"format\":\"" + std::string(format_) + "\",\"member\":\"" + triage::util::json_escape(path) + "\"}");
                    set_property("encrypted", "archive_member");
                    continue;
                }
                finding("archive_error", format_, 2,
                        "{\"member\":\"" + triage::util::json_escape(path) + "\",\"error\":\"" + triage::util::json_escape(msg) + "\"}");
                if (archive_errno(a.get()) != 0 && msg.find("runcated") != std::string::npos) break;
                continue;
            }
            if (!emit_child(path, member.data(), member.size(), -1)) {
                limit("host_child_bytes", path, expanded, max_total_);
                break;
            }
        }
        set_property("archive_members", std::to_string(members));
    }

    static std::string err(::archive* a) {
        const char* s = archive_error_string(a);
        return s ? triage::archive_detail::valid_utf8(s) : "unknown libarchive error";
    }

    uint64_t max_archive_, max_depth_, max_members_, max_ratio_, max_total_, max_tree_;
    std::vector<uint8_t> buf_;
    const char* format_ = nullptr;
    bool too_large_ = false, decided_ = false;
    uint64_t size_ = 0, depth_ = 0, tree_expanded_ = 0;
    std::string path_, name_;
};

const triage_detector kArchive = triage::sdk::describe<ArchiveDetector, Limits>(
    "archive", "1.0.0", "triage project",
    "Opens archives and compressed files (libarchive) and scans their members as child objects, zip-bomb safe",
    TRIAGE_WANT_BLOCKS | TRIAGE_WANT_HEAVY, kOptions, sizeof kOptions / sizeof kOptions[0]);
const triage_detector* const kDetectors[] = {&kArchive};
const triage_plugin kPlugin{sizeof(triage_plugin), 2, kDetectors, 1};

}  // namespace

extern "C" const triage_plugin* triage_builtin_archive_entry(uint32_t /*host_api_version*/) { return &kPlugin; }
