// Hash sets (known-bad, known-good, notable): importing the exchange formats into a compact,
// memory-mapped form, and looking hashes up in it. The on-disk format is described in
// docs/hashsets.md.
#pragma once

#include <nlohmann/json.hpp>

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace triage::hashset {

// Algorithms a set can hold. Digests are stored as raw bytes; PDQ is a 256-bit perceptual hash.
enum class Algo : int { Md5 = 0, Sha1 = 1, Sha256 = 2, Pdq = 3 };
constexpr int kAlgoCount = 4;
const char* algo_name(Algo a);            // "md5", "sha1", "sha256", "pdq"
size_t digest_bytes(Algo a);               // 16, 20, 32, 32
std::optional<Algo> algo_from_name(const std::string& name);
// The algorithm of a cryptographic hash given by its hex length (32, 40, 64), if any.
std::optional<Algo> algo_from_hex_length(size_t n);

// Hex (either case) to bytes; false when not exactly 2*out_len hex digits.
bool parse_hex(std::string_view hex, uint8_t* out, size_t out_len);
std::string to_hex(const uint8_t* p, size_t n);

enum class Kind { KnownBad, KnownGood, Notable };
const char* kind_name(Kind k);             // "known-bad", "known-good", "notable"
std::optional<Kind> kind_from_name(const std::string& s);

// What the source says about one hash (any member may be empty / unknown).
struct Meta {
    std::string category, series, file_name, media_id;
    std::optional<bool> victim_identified, offender_identified;
    std::optional<int64_t> size;
    std::optional<int> pdq_quality;
    bool abuse = false;   // the source's category means child-abuse material (see abuse_category)
    bool empty() const;
    nlohmann::json to_json() const;
    static Meta from_json(const nlohmann::json& j);
};

// Whether a category value from VICS (US 1, 2, 3), UK CAID (A, B, C; 1, 2, 3) or similar means
// abuse material. Documented in docs/hashsets.md.
bool abuse_category(const std::string& category);

// A malformed input (the whole import fails): message names the file and, where known, line/record.
struct ImportError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// ---------------------------------------------------------------------------------------------
// The catalog: a directory with one folder per set.

// $TRIAGE_HASHSETS, else $XDG_DATA_HOME/triage/hashsets, else ~/.local/share/triage/hashsets.
std::string default_dir();

struct Manifest {
    std::string name, format, source_path, source_sha256, imported_at, triage_version;
    Kind kind = Kind::KnownBad;
    bool csam = false;
    uint64_t source_size = 0;
    std::array<uint64_t, kAlgoCount> counts{}, duplicates{};
    uint64_t records = 0, records_skipped = 0, meta_records = 0;
    nlohmann::json to_json() const;
    static Manifest from_json(const nlohmann::json& j);
};

struct Match {
    Algo algo;
    std::string hex;                // the matched hash as stored (lower case)
    std::optional<Meta> meta;       // metadata from the source, when it had any
    int distance = 0;               // PDQ only: Hamming distance
};

// One opened set: read-only memory maps, shareable across threads.
class Set {
public:
    explicit Set(const std::string& folder);   // throws std::runtime_error naming the problem
    ~Set();
    Set(const Set&) = delete;
    Set& operator=(const Set&) = delete;

    const Manifest& manifest() const { return manifest_; }
    const std::string& folder() const { return folder_; }
    // Exact lookup of a raw digest of algorithm a (not PDQ).
    std::optional<Match> find(Algo a, const uint8_t* digest) const;
    std::optional<Match> find_hex(const std::string& hex) const;   // algorithm by length
    // PDQ near match: the closest entry over all query hashes (e.g. the 8 dihedral variants)
    // within max_distance whose stored quality (when known) is above min_quality.
    std::optional<Match> find_pdq(const std::vector<std::array<uint8_t, 32>>& queries, int max_distance,
                                  int min_quality) const;
    uint64_t count(Algo a) const;

private:
    struct Table;
    std::optional<Meta> meta_of(uint32_t id) const;
    std::string folder_;
    Manifest manifest_;
    std::array<std::unique_ptr<Table>, kAlgoCount> tables_;
    std::unique_ptr<Table> meta_;
};

// All sets in a directory. A missing directory is an empty catalog.
class Catalog {
public:
    explicit Catalog(const std::string& dir);
    const std::string& dir() const { return dir_; }
    const std::vector<std::unique_ptr<Set>>& sets() const { return sets_; }
    // Sets that could not be opened: "name: reason".
    const std::vector<std::string>& problems() const { return problems_; }

private:
    std::string dir_;
    std::vector<std::unique_ptr<Set>> sets_;
    std::vector<std::string> problems_;
};

// ---------------------------------------------------------------------------------------------
// Import.

struct ImportOptions {
    std::string dir, name, format;   // format empty: detect from content
    Kind kind = Kind::KnownBad;
    bool csam = false;
    bool replace = false;             // replace an existing set of that name (atomically)
    size_t max_messages = 50;         // problems printed in full; the rest are counted
};

struct ImportResult {
    Manifest manifest;
    std::vector<std::string> messages;   // the first max_messages problems ("file:line N: ...")
    uint64_t problems = 0;               // all problems, shown or not
    double seconds = 0;
};

// Formats the importers read; "auto" is not among them.
const std::vector<std::string>& formats();
// The format of FILE, detected from its first bytes; throws ImportError when unknown.
std::string detect_format(const std::string& file);
// Imports FILE as set opts.name under opts.dir: built in a hidden folder beside it and renamed
// into place, so a failed import leaves an existing set untouched. Throws ImportError (bad
// input that stops the import) or std::runtime_error (I/O).
// progress, when set, receives a line now and then.
ImportResult import_file(const std::string& file, const ImportOptions& opts,
                         const std::function<void(const std::string&)>& progress = {});

// Reads FILE as opts.format (empty: detected) exactly as import_file does and reports the same
// problems, but builds nothing (opts.dir and opts.name are not used): the manifest's records,
// records_skipped and counts (hashes read, duplicates not folded) and format are filled. Throws
// ImportError on input that would stop the import.
ImportResult check_file(const std::string& file, const ImportOptions& opts);

// Removes set NAME from DIR; false when there is none.
bool remove_set(const std::string& dir, const std::string& name);
// Valid set names: letters, digits, '.', '_', '-' (not starting with '.'), at most 100 bytes.
bool valid_name(const std::string& name);

}  // namespace triage::hashset
