// Internal to the hash-set library: builds one set's files in a staging folder in bounded
// memory (radix partition by the first digest byte into bucket files, then each bucket sorted
// in memory; see docs/hashsets.md).
#pragma once

#include "hashset/hashset.hpp"

#include <cstdio>
#include <string>
#include <vector>

namespace triage::hashset::detail {

constexpr uint32_t kNoMeta = 0xFFFFFFFFu;
constexpr char kTableMagic[8] = {'T', 'R', 'H', 'S', 'E', 'T', '0', '1'};
constexpr char kMetaMagic[8] = {'T', 'R', 'H', 'S', 'M', 'E', 'T', 'A'};
constexpr size_t kHeaderBytes = 64;
constexpr unsigned kPrefixBits = 16;
constexpr size_t kPrefixEntries = (size_t{1} << kPrefixBits) + 1;

// The fixed header at the start of every table file (little-endian, as written on x86-64/arm64).
struct TableHeader {
    char magic[8];
    uint32_t algo, digest_len, entry_len, prefix_bits;
    uint64_t count, entries_offset;
    uint8_t reserved[24];
};
static_assert(sizeof(TableHeader) == kHeaderBytes);

std::string table_file(Algo a);     // "md5.tbl", ...
inline constexpr const char* kMetaFile = "meta.bin";
inline constexpr const char* kManifestFile = "manifest.json";

class Builder {
public:
    explicit Builder(std::string staging_dir);
    ~Builder();
    Builder(const Builder&) = delete;
    Builder& operator=(const Builder&) = delete;

    // Stores a metadata record; returns its id for add().
    uint32_t add_meta(const Meta& m);
    // One digest (raw bytes of digest_bytes(a)); meta_id kNoMeta when none. pdq_quality -1 unknown.
    void add(Algo a, const uint8_t* digest, uint32_t meta_id, int pdq_quality = -1);
    uint64_t added(Algo a) const { return added_[static_cast<int>(a)]; }
    // Sorts, folds duplicates and writes the tables and meta.bin; fills counts and duplicates.
    void finish(Manifest& m);

private:
    void flush(int algo, int bucket);
    template <size_t D>
    void build_table(Algo a, Manifest& m, std::vector<uint64_t>& used);
    void build_pdq(Manifest& m, std::vector<uint64_t>& used);
    void write_meta(const std::vector<uint64_t>& used, Manifest& m);

    std::string dir_, tmp_;
    std::vector<std::vector<uint8_t>> buffers_;   // [algo * 256 + bucket]
    std::vector<uint8_t> pdq_;                     // 32 digest + 4 meta + 4 quality per entry
    std::array<uint64_t, kAlgoCount> added_{};
    FILE* meta_data_ = nullptr;
    FILE* meta_offsets_ = nullptr;
    uint64_t meta_count_ = 0, meta_bytes_ = 0;
};

}  // namespace triage::hashset::detail
