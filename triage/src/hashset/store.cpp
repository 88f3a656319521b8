// The on-disk form of a hash set: building it in bounded memory, and opening it read-only
// through memory maps. Layout and the reasons for it: docs/hashsets.md.
#include "hashset/builder.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>

namespace fs = std::filesystem;

namespace triage::hashset {

namespace {

std::string errno_text() { return std::strerror(errno); }

constexpr size_t kBucketBuffer = 64 * 1024;   // per (algorithm, bucket) while partitioning

// Index of the entry nearest to any query (Hamming distance <= max_distance, stored quality
// unknown or >= min_quality), or count when none. Built twice on x86-64: with the POPCNT
// instruction (every x86-64 CPU since 2008) and without, chosen at load time; the generic
// build's popcount is several times slower. Not under ThreadSanitizer: the clone's resolver
// (an ifunc) runs while the program is being relocated, before the TSan runtime can serve its
// instrumented code, and the program died there before main.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(__SANITIZE_THREAD__)
__attribute__((target_clones("popcnt", "default")))
#endif
uint64_t nearest_pdq(const uint8_t* entries, uint64_t count, size_t entry_len, const std::array<uint64_t, 4>* q,
                     size_t nq, int min_quality, int max_distance) {
    int best = max_distance + 1;
    uint64_t best_k = count;
    for (uint64_t k = 0; k < count; ++k) {
        const uint8_t* e = entries + k * entry_len;
        uint64_t w[4];
        int32_t quality;
        std::memcpy(w, e, 32);
        std::memcpy(&quality, e + 36, 4);
        if (quality >= 0 && quality < min_quality) continue;
        for (size_t i = 0; i < nq; ++i) {
            const int d = __builtin_popcountll(w[0] ^ q[i][0]) + __builtin_popcountll(w[1] ^ q[i][1]) +
                          __builtin_popcountll(w[2] ^ q[i][2]) + __builtin_popcountll(w[3] ^ q[i][3]);
            if (d < best) {
                best = d;
                best_k = k;
            }
        }
    }
    return best_k;
}

int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

}  // namespace

const char* algo_name(Algo a) {
    switch (a) {
        case Algo::Md5: return "md5";
        case Algo::Sha1: return "sha1";
        case Algo::Sha256: return "sha256";
        case Algo::Pdq: return "pdq";
    }
    return "?";
}

size_t digest_bytes(Algo a) {
    switch (a) {
        case Algo::Md5: return 16;
        case Algo::Sha1: return 20;
        case Algo::Sha256: return 32;
        case Algo::Pdq: return 32;
    }
    return 0;
}

std::optional<Algo> algo_from_name(const std::string& n) {
    for (int i = 0; i < kAlgoCount; ++i)
        if (n == algo_name(static_cast<Algo>(i))) return static_cast<Algo>(i);
    return std::nullopt;
}

std::optional<Algo> algo_from_hex_length(size_t n) {
    if (n == 32) return Algo::Md5;
    if (n == 40) return Algo::Sha1;
    if (n == 64) return Algo::Sha256;
    return std::nullopt;
}

bool parse_hex(std::string_view hex, uint8_t* out, size_t out_len) {
    if (hex.size() != 2 * out_len) return false;
    for (size_t i = 0; i < out_len; ++i) {
        int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) return false;
        out[i] = static_cast<uint8_t>(hi << 4 | lo);
    }
    return true;
}

std::string to_hex(const uint8_t* p, size_t n) {
    static const char digits[] = "0123456789abcdef";
    std::string s(n * 2, '0');
    for (size_t i = 0; i < n; ++i) {
        s[2 * i] = digits[p[i] >> 4];
        s[2 * i + 1] = digits[p[i] & 15];
    }
    return s;
}

const char* kind_name(Kind k) {
    switch (k) {
        case Kind::KnownBad: return "known-bad";
        case Kind::KnownGood: return "known-good";
        case Kind::Notable: return "notable";
    }
    return "?";
}

std::optional<Kind> kind_from_name(const std::string& s) {
    if (s == "known-bad") return Kind::KnownBad;
    if (s == "known-good") return Kind::KnownGood;
    if (s == "notable") return Kind::Notable;
    return std::nullopt;
}

bool abuse_category(const std::string& c) {
    // VICS US: 1 CAM, 2 child exploitive / age difficult, 3 CGI/animation child exploitive.
    // UK (CAID, VICS UK): A, B, C (also written "Category A" or "Cat A"). 0 and 4 (non-pertinent,
    // comparison) are not abuse material. See docs/hashsets.md for why 2 and 3 count.
    std::string s;
    for (char ch : c)
        if (!std::isspace(static_cast<unsigned char>(ch))) s += static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    for (const char* prefix : {"CATEGORY", "CAT"})
        if (s.rfind(prefix, 0) == 0) {
            s = s.substr(std::strlen(prefix));
            break;
        }
    return s == "1" || s == "2" || s == "3" || s == "A" || s == "B" || s == "C";
}

bool Meta::empty() const {
    return category.empty() && series.empty() && file_name.empty() && media_id.empty() && !victim_identified &&
           !offender_identified && !size && !pdq_quality && !abuse;
}

nlohmann::json Meta::to_json() const {
    nlohmann::json j = nlohmann::json::object();
    if (!category.empty()) j["category"] = category;
    if (!series.empty()) j["series"] = series;
    if (!file_name.empty()) j["file_name"] = file_name;
    if (!media_id.empty()) j["media_id"] = media_id;
    if (victim_identified) j["victim_identified"] = *victim_identified;
    if (offender_identified) j["offender_identified"] = *offender_identified;
    if (size) j["size"] = *size;
    if (pdq_quality) j["pdq_quality"] = *pdq_quality;
    if (abuse) j["abuse"] = true;
    return j;
}

Meta Meta::from_json(const nlohmann::json& j) {
    Meta m;
    m.category = j.value("category", "");
    m.series = j.value("series", "");
    m.file_name = j.value("file_name", "");
    m.media_id = j.value("media_id", "");
    if (j.contains("victim_identified")) m.victim_identified = j["victim_identified"].get<bool>();
    if (j.contains("offender_identified")) m.offender_identified = j["offender_identified"].get<bool>();
    if (j.contains("size")) m.size = j["size"].get<int64_t>();
    if (j.contains("pdq_quality")) m.pdq_quality = j["pdq_quality"].get<int>();
    m.abuse = j.value("abuse", false);
    return m;
}

nlohmann::json Manifest::to_json() const {
    nlohmann::json counts_j = nlohmann::json::object(), dup_j = nlohmann::json::object();
    for (int i = 0; i < kAlgoCount; ++i) {
        counts_j[algo_name(static_cast<Algo>(i))] = counts[i];
        dup_j[algo_name(static_cast<Algo>(i))] = duplicates[i];
    }
    return {{"format_version", 1},      {"name", name},
            {"kind", kind_name(kind)},  {"csam", csam},
            {"format", format},         {"source_path", source_path},
            {"source_sha256", source_sha256}, {"source_size", source_size},
            {"imported_at", imported_at},     {"triage_version", triage_version},
            {"counts", counts_j},             {"duplicates_folded", dup_j},
            {"records", records},             {"records_skipped", records_skipped},
            {"meta_records", meta_records}};
}

Manifest Manifest::from_json(const nlohmann::json& j) {
    Manifest m;
    m.name = j.at("name").get<std::string>();
    auto k = kind_from_name(j.at("kind").get<std::string>());
    if (!k) throw std::runtime_error("unknown kind '" + j.at("kind").get<std::string>() + "'");
    m.kind = *k;
    m.csam = j.value("csam", false);
    m.format = j.value("format", "");
    m.source_path = j.value("source_path", "");
    m.source_sha256 = j.value("source_sha256", "");
    m.source_size = j.value("source_size", uint64_t{0});
    m.imported_at = j.value("imported_at", "");
    m.triage_version = j.value("triage_version", "");
    for (int i = 0; i < kAlgoCount; ++i) {
        const char* n = algo_name(static_cast<Algo>(i));
        if (j.contains("counts")) m.counts[i] = j["counts"].value(n, uint64_t{0});
        if (j.contains("duplicates_folded")) m.duplicates[i] = j["duplicates_folded"].value(n, uint64_t{0});
    }
    m.records = j.value("records", uint64_t{0});
    m.records_skipped = j.value("records_skipped", uint64_t{0});
    m.meta_records = j.value("meta_records", uint64_t{0});
    return m;
}

std::string default_dir() {
    if (const char* e = std::getenv("TRIAGE_HASHSETS"); e && *e) return e;
    if (const char* x = std::getenv("XDG_DATA_HOME"); x && *x) return std::string(x) + "/triage/hashsets";
    if (const char* h = std::getenv("HOME"); h && *h) return std::string(h) + "/.local/share/triage/hashsets";
    return "./triage-hashsets";
}

bool valid_name(const std::string& n) {
    if (n.empty() || n.size() > 100 || n[0] == '.') return false;
    return std::all_of(n.begin(), n.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
    });
}

bool remove_set(const std::string& dir, const std::string& name) {
    if (!valid_name(name)) throw std::invalid_argument("'" + name + "' is not a valid set name");
    fs::path p = fs::path(dir) / name;
    std::error_code ec;
    if (!fs::is_directory(p, ec) || !fs::exists(p / detail::kManifestFile, ec)) return false;
    // Renamed out of the way first, so a half-removed set is never opened as a set.
    fs::path gone = fs::path(dir) / (".removing-" + name + "-" + std::to_string(::getpid()));
    fs::rename(p, gone);
    fs::remove_all(gone);
    return true;
}

namespace detail {

std::string table_file(Algo a) { return std::string(algo_name(a)) + ".tbl"; }

namespace {

void write_all(int fd, const void* data, size_t n, const std::string& what) {
    const auto* p = static_cast<const uint8_t*>(data);
    while (n > 0) {
        ssize_t w = ::write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            throw std::runtime_error("cannot write " + what + ": " + errno_text());
        }
        p += w;
        n -= static_cast<size_t>(w);
    }
}

struct Fd {
    int fd = -1;
    Fd(const std::string& path, int flags, const std::string& what) : fd(::open(path.c_str(), flags | O_CLOEXEC, 0644)) {
        if (fd < 0) throw std::runtime_error("cannot open " + what + " " + path + ": " + errno_text());
    }
    ~Fd() {
        if (fd >= 0) ::close(fd);
    }
};

// Buffered sequential writer over a file descriptor.
class Writer {
public:
    explicit Writer(const std::string& path) : path_(path), fd_(path, O_WRONLY | O_CREAT | O_TRUNC, "output") {
        buf_.reserve(1 << 20);
    }
    void put(const void* p, size_t n) {
        if (buf_.size() + n > buf_.capacity()) drain();
        if (n > buf_.capacity()) {
            write_all(fd_.fd, p, n, path_);
            return;
        }
        buf_.insert(buf_.end(), static_cast<const uint8_t*>(p), static_cast<const uint8_t*>(p) + n);
    }
    void pwrite_at(uint64_t off, const void* p, size_t n) {
        drain();
        if (::pwrite(fd_.fd, p, n, static_cast<off_t>(off)) != static_cast<ssize_t>(n))
            throw std::runtime_error("cannot write " + path_ + ": " + errno_text());
    }
    void close() {
        drain();
        if (::fsync(fd_.fd) != 0) throw std::runtime_error("cannot sync " + path_ + ": " + errno_text());
    }

private:
    void drain() {
        write_all(fd_.fd, buf_.data(), buf_.size(), path_);
        buf_.clear();
    }
    std::string path_;
    Fd fd_;
    std::vector<uint8_t> buf_;
};

// A whole file mapped read-write (to renumber metadata ids after compaction).
struct RwMap {
    uint8_t* p = nullptr;
    size_t n = 0;
    explicit RwMap(const std::string& path) {
        Fd f(path, O_RDWR, "table");
        struct stat st {};
        if (::fstat(f.fd, &st) != 0) throw std::runtime_error("cannot stat " + path);
        n = static_cast<size_t>(st.st_size);
        void* m = ::mmap(nullptr, n, PROT_READ | PROT_WRITE, MAP_SHARED, f.fd, 0);
        if (m == MAP_FAILED) throw std::runtime_error("cannot map " + path + ": " + errno_text());
        p = static_cast<uint8_t*>(m);
    }
    ~RwMap() {
        if (p) {
            ::msync(p, n, MS_SYNC);
            ::munmap(p, n);
        }
    }
};

std::vector<uint8_t> read_file(const std::string& path) {
    std::vector<uint8_t> out;
    Fd f(path, O_RDONLY, "bucket");
    struct stat st {};
    if (::fstat(f.fd, &st) != 0) throw std::runtime_error("cannot stat " + path);
    out.resize(static_cast<size_t>(st.st_size));
    size_t got = 0;
    while (got < out.size()) {
        ssize_t r = ::read(f.fd, out.data() + got, out.size() - got);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) throw std::runtime_error("cannot read " + path + ": " + errno_text());
        got += static_cast<size_t>(r);
    }
    return out;
}

void mark(std::vector<uint64_t>& used, uint32_t id) {
    if (id != kNoMeta) used[id >> 6] |= uint64_t{1} << (id & 63);
}

}  // namespace

Builder::Builder(std::string staging_dir) : dir_(std::move(staging_dir)), tmp_(dir_ + "/tmp") {
    fs::create_directories(tmp_);
    buffers_.resize(3 * 256);
    meta_data_ = std::fopen((tmp_ + "/meta.dat").c_str(), "wb");
    meta_offsets_ = std::fopen((tmp_ + "/meta.off").c_str(), "wb");
    if (!meta_data_ || !meta_offsets_) throw std::runtime_error("cannot create files in " + tmp_ + ": " + errno_text());
}

Builder::~Builder() {
    if (meta_data_) std::fclose(meta_data_);
    if (meta_offsets_) std::fclose(meta_offsets_);
}

uint32_t Builder::add_meta(const Meta& m) {
    if (m.empty()) return kNoMeta;
    if (meta_count_ >= kNoMeta - 1) throw std::runtime_error("too many metadata records for one set (4 billion)");
    // Source lists carry file names in any encoding (NSRL and hashdeep lists hold Latin-1 names):
    // bytes that are not UTF-8 become U+FFFD rather than failing the whole import.
    std::string s = m.to_json().dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    if (std::fwrite(&meta_bytes_, 8, 1, meta_offsets_) != 1 || std::fwrite(s.data(), 1, s.size(), meta_data_) != s.size())
        throw std::runtime_error("cannot write metadata in " + tmp_ + ": " + errno_text());
    meta_bytes_ += s.size();
    return static_cast<uint32_t>(meta_count_++);
}

void Builder::add(Algo a, const uint8_t* digest, uint32_t meta_id, int pdq_quality) {
    ++added_[static_cast<int>(a)];
    if (a == Algo::Pdq) {
        pdq_.insert(pdq_.end(), digest, digest + 32);
        auto* id = reinterpret_cast<const uint8_t*>(&meta_id);
        pdq_.insert(pdq_.end(), id, id + 4);
        int32_t q = pdq_quality;
        auto* qp = reinterpret_cast<const uint8_t*>(&q);
        pdq_.insert(pdq_.end(), qp, qp + 4);
        return;
    }
    const int ai = static_cast<int>(a), b = digest[0];
    auto& buf = buffers_[ai * 256 + b];
    const size_t d = digest_bytes(a);
    if (buf.capacity() < kBucketBuffer) buf.reserve(kBucketBuffer);
    if (buf.size() + d + 4 > kBucketBuffer) flush(ai, b);
    buf.insert(buf.end(), digest, digest + d);
    auto* id = reinterpret_cast<const uint8_t*>(&meta_id);
    buf.insert(buf.end(), id, id + 4);
}

void Builder::flush(int algo, int bucket) {
    auto& buf = buffers_[algo * 256 + bucket];
    if (buf.empty()) return;
    char name[64];
    std::snprintf(name, sizeof name, "/%s.%02x", algo_name(static_cast<Algo>(algo)), bucket);
    // Opened per flush so that 768 buckets never need 768 open descriptors.
    Fd f(tmp_ + name, O_WRONLY | O_CREAT | O_APPEND, "bucket");
    write_all(f.fd, buf.data(), buf.size(), tmp_ + name);
    buf.clear();
}

template <size_t D>
void Builder::build_table(Algo a, Manifest& m, std::vector<uint64_t>& used) {
    struct Entry {
        uint8_t d[D];
        uint32_t id;
    };
    static_assert(sizeof(Entry) == D + 4);
    const int ai = static_cast<int>(a);
    std::vector<uint64_t> prefix(kPrefixEntries, 0);
    const std::string out_path = dir_ + "/" + table_file(a);
    Writer out(out_path);
    TableHeader h{};
    std::memcpy(h.magic, kTableMagic, 8);
    h.algo = static_cast<uint32_t>(ai);
    h.digest_len = D;
    h.entry_len = D + 4;
    h.prefix_bits = kPrefixBits;
    h.entries_offset = kHeaderBytes + kPrefixEntries * 8;
    out.put(&h, sizeof h);
    out.put(prefix.data(), prefix.size() * 8);   // placeholder, rewritten below

    uint64_t written = 0, dups = 0;
    std::vector<Entry> entries;
    for (int b = 0; b < 256; ++b) {
        flush(ai, b);
        buffers_[ai * 256 + b] = {};
        char name[64];
        std::snprintf(name, sizeof name, "/%s.%02x", algo_name(a), b);
        std::error_code ec;
        if (!fs::exists(tmp_ + name, ec)) continue;
        std::vector<uint8_t> raw = read_file(tmp_ + name);
        fs::remove(tmp_ + name);
        entries.resize(raw.size() / sizeof(Entry));
        std::memcpy(entries.data(), raw.data(), entries.size() * sizeof(Entry));
        raw = {};
        // By digest, then by metadata id: the first occurrence in the source wins (ids grow in
        // source order, and "none" sorts last so a record with metadata beats one without).
        std::sort(entries.begin(), entries.end(), [](const Entry& x, const Entry& y) {
            int c = std::memcmp(x.d, y.d, D);
            return c != 0 ? c < 0 : x.id < y.id;
        });
        for (size_t i = 0; i < entries.size(); ++i) {
            if (i > 0 && std::memcmp(entries[i].d, entries[i - 1].d, D) == 0) {
                ++dups;
                continue;
            }
            const Entry& e = entries[i];
            ++prefix[(size_t{e.d[0]} << 8 | e.d[1]) + 1];
            mark(used, e.id);
            out.put(&e, sizeof e);
            ++written;
        }
    }
    for (size_t i = 1; i < prefix.size(); ++i) prefix[i] += prefix[i - 1];
    h.count = written;
    out.pwrite_at(0, &h, sizeof h);
    out.pwrite_at(kHeaderBytes, prefix.data(), prefix.size() * 8);
    out.close();
    m.counts[ai] = written;
    m.duplicates[ai] = dups;
}

void Builder::build_pdq(Manifest& m, std::vector<uint64_t>& used) {
    constexpr size_t E = 40;
    const size_t n = pdq_.size() / E;
    std::vector<size_t> order(n);
    for (size_t i = 0; i < n; ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t x, size_t y) { return std::memcmp(&pdq_[x * E], &pdq_[y * E], 32) < 0; });
    Writer out(dir_ + "/" + table_file(Algo::Pdq));
    TableHeader h{};
    std::memcpy(h.magic, kTableMagic, 8);
    h.algo = static_cast<uint32_t>(Algo::Pdq);
    h.digest_len = 32;
    h.entry_len = E;
    h.prefix_bits = 0;
    h.entries_offset = kHeaderBytes;
    out.put(&h, sizeof h);
    uint64_t written = 0, dups = 0;
    for (size_t k = 0; k < n; ++k) {
        const uint8_t* e = &pdq_[order[k] * E];
        if (k > 0 && std::memcmp(e, &pdq_[order[k - 1] * E], 32) == 0) {
            ++dups;
            continue;
        }
        uint32_t id;
        std::memcpy(&id, e + 32, 4);
        mark(used, id);
        out.put(e, E);
        ++written;
    }
    h.count = written;
    out.pwrite_at(0, &h, sizeof h);
    out.close();
    m.counts[static_cast<int>(Algo::Pdq)] = written;
    m.duplicates[static_cast<int>(Algo::Pdq)] = dups;
    pdq_ = {};
}

// Keeps only the metadata records some stored digest refers to, and renumbers the references.
void Builder::write_meta(const std::vector<uint64_t>& used, Manifest& m) {
    const bool closed = std::fclose(meta_data_) == 0 && std::fclose(meta_offsets_) == 0;
    meta_data_ = meta_offsets_ = nullptr;
    if (!closed) throw std::runtime_error("cannot write metadata in " + tmp_ + ": " + errno_text());
    std::vector<uint32_t> rank(used.size() + 1, 0);   // new id of the first record of each word
    for (size_t w = 0; w < used.size(); ++w) rank[w + 1] = rank[w] + static_cast<uint32_t>(std::popcount(used[w]));
    const uint64_t kept = rank.back();
    auto new_id = [&](uint32_t id) {
        if (id == kNoMeta) return id;
        uint64_t below = used[id >> 6] & ((uint64_t{1} << (id & 63)) - 1);
        return rank[id >> 6] + static_cast<uint32_t>(std::popcount(below));
    };

    // Each record's (id, start, end) in source order, streamed from meta.off.
    auto for_each_record = [&](const std::function<void(uint64_t, uint64_t, uint64_t)>& f) {
        std::ifstream offs(tmp_ + "/meta.off", std::ios::binary);
        uint64_t prev = 0, cur = 0;
        for (uint64_t id = 0; id < meta_count_; ++id) {
            if (id == 0 && !offs.read(reinterpret_cast<char*>(&prev), 8))
                throw std::runtime_error("cannot read " + tmp_ + "/meta.off");
            cur = meta_bytes_;
            if (id + 1 < meta_count_ && !offs.read(reinterpret_cast<char*>(&cur), 8))
                throw std::runtime_error("cannot read " + tmp_ + "/meta.off");
            f(id, prev, cur);
            prev = cur;
        }
    };
    auto kept_record = [&](uint64_t id) { return (used[id >> 6] >> (id & 63) & 1) != 0; };

    Writer out(dir_ + "/" + kMetaFile);
    out.put(kMetaMagic, 8);
    out.put(&kept, 8);
    uint64_t pos = 0;
    for_each_record([&](uint64_t id, uint64_t start, uint64_t end) {
        if (!kept_record(id)) return;
        out.put(&pos, 8);
        pos += end - start;
    });
    out.put(&pos, 8);
    std::ifstream data(tmp_ + "/meta.dat", std::ios::binary);
    std::string rec;
    for_each_record([&](uint64_t id, uint64_t start, uint64_t end) {
        rec.resize(end - start);
        if (!data.read(rec.data(), static_cast<std::streamsize>(rec.size())))
            throw std::runtime_error("cannot read " + tmp_ + "/meta.dat");
        if (kept_record(id)) out.put(rec.data(), rec.size());
    });
    out.close();
    m.meta_records = kept;
    if (meta_count_ == 0) return;   // every reference is "none": nothing to renumber

    // Renumber the references in every table.
    for (int ai = 0; ai < kAlgoCount; ++ai) {
        const std::string path = dir_ + "/" + table_file(static_cast<Algo>(ai));
        std::error_code ec;
        if (!fs::exists(path, ec)) continue;
        RwMap map(path);
        TableHeader h;
        std::memcpy(&h, map.p, sizeof h);
        for (uint64_t i = 0; i < h.count; ++i) {
            uint8_t* idp = map.p + h.entries_offset + i * h.entry_len + h.digest_len;
            uint32_t id;
            std::memcpy(&id, idp, 4);
            id = new_id(id);
            std::memcpy(idp, &id, 4);
        }
    }
}

void Builder::finish(Manifest& m) {
    std::vector<uint64_t> used((meta_count_ + 63) / 64, 0);
    if (added_[0]) build_table<16>(Algo::Md5, m, used);
    if (added_[1]) build_table<20>(Algo::Sha1, m, used);
    if (added_[2]) build_table<32>(Algo::Sha256, m, used);
    if (added_[3]) build_pdq(m, used);
    write_meta(used, m);
    fs::remove_all(tmp_);
}

}  // namespace detail

// ---------------------------------------------------------------------------------------------
// Reading.

struct Set::Table {
    const uint8_t* base = nullptr;
    size_t size = 0;
    detail::TableHeader h{};
    const uint64_t* prefix = nullptr;
    const uint8_t* entries = nullptr;

    Table(const std::string& path, bool is_meta) {
        detail::Fd f(path, O_RDONLY, "hash-set file");
        struct stat st {};
        if (::fstat(f.fd, &st) != 0) throw std::runtime_error("cannot stat " + path);
        size = static_cast<size_t>(st.st_size);
        if (size < 16) throw std::runtime_error(path + " is too short (" + std::to_string(size) + " bytes)");
        void* m = ::mmap(nullptr, size, PROT_READ, MAP_SHARED, f.fd, 0);
        if (m == MAP_FAILED) throw std::runtime_error("cannot map " + path + ": " + errno_text());
        base = static_cast<const uint8_t*>(m);
        ::madvise(m, size, MADV_RANDOM);
        try {
            is_meta ? check_meta(path) : check_table(path);
        } catch (...) {
            ::munmap(m, size);
            throw;
        }
    }
    ~Table() { ::munmap(const_cast<uint8_t*>(base), size); }

    void check_table(const std::string& path) {
        if (size < detail::kHeaderBytes || std::memcmp(base, detail::kTableMagic, 8) != 0)
            throw std::runtime_error(path + " is not a triage hash-set table");
        std::memcpy(&h, base, sizeof h);
        const uint64_t need = h.entries_offset + h.count * h.entry_len;
        if (need != size || h.digest_len + 4 > h.entry_len)
            throw std::runtime_error(path + " is damaged: header says " + std::to_string(need) + " bytes, file has " +
                                     std::to_string(size));
        if (h.prefix_bits == detail::kPrefixBits) {
            prefix = reinterpret_cast<const uint64_t*>(base + detail::kHeaderBytes);
            if (prefix[detail::kPrefixEntries - 1] != h.count)
                throw std::runtime_error(path + " is damaged: its prefix index does not add up");
        }
        entries = base + h.entries_offset;
    }

    // meta.bin: magic, count, (count + 1) offsets, bytes.
    void check_meta(const std::string& path) {
        if (std::memcmp(base, detail::kMetaMagic, 8) != 0) throw std::runtime_error(path + " is not a metadata table");
        std::memcpy(&h.count, base + 8, 8);
        if (16 + (h.count + 1) * 8 > size) throw std::runtime_error(path + " is damaged (too short)");
        prefix = reinterpret_cast<const uint64_t*>(base + 16);
        entries = base + 16 + (h.count + 1) * 8;
        if (entries + prefix[h.count] != base + size) throw std::runtime_error(path + " is damaged (size)");
    }

    const uint8_t* find(const uint8_t* d) const {
        size_t lo = 0, hi = h.count;
        if (prefix) {
            size_t p = size_t{d[0]} << 8 | d[1];
            lo = prefix[p];
            hi = prefix[p + 1];
        }
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            const uint8_t* e = entries + mid * h.entry_len;
            int c = std::memcmp(e, d, h.digest_len);
            if (c == 0) return e;
            if (c < 0)
                lo = mid + 1;
            else
                hi = mid;
        }
        return nullptr;
    }
};

Set::Set(const std::string& folder) : folder_(folder) {
    std::ifstream in(folder + "/" + detail::kManifestFile);
    if (!in) throw std::runtime_error("no " + std::string(detail::kManifestFile) + " in " + folder);
    try {
        manifest_ = Manifest::from_json(nlohmann::json::parse(in));
    } catch (const nlohmann::json::exception& e) {
        throw std::runtime_error(folder + "/" + detail::kManifestFile + ": " + e.what());
    }
    for (int i = 0; i < kAlgoCount; ++i) {
        if (manifest_.counts[i] == 0) continue;
        tables_[i] = std::make_unique<Table>(folder + "/" + detail::table_file(static_cast<Algo>(i)), false);
        if (tables_[i]->h.count != manifest_.counts[i])
            throw std::runtime_error(folder + ": " + algo_name(static_cast<Algo>(i)) + " table holds " +
                                     std::to_string(tables_[i]->h.count) + " entries, manifest says " +
                                     std::to_string(manifest_.counts[i]));
    }
    if (manifest_.meta_records > 0) meta_ = std::make_unique<Table>(folder + "/" + detail::kMetaFile, true);
}

Set::~Set() = default;

uint64_t Set::count(Algo a) const { return manifest_.counts[static_cast<int>(a)]; }

std::optional<Meta> Set::meta_of(uint32_t id) const {
    if (id == detail::kNoMeta || !meta_ || id >= meta_->h.count) return std::nullopt;
    const uint64_t b = meta_->prefix[id], e = meta_->prefix[id + 1];
    if (e < b) return std::nullopt;
    auto j = nlohmann::json::parse(meta_->entries + b, meta_->entries + e, nullptr, false);
    if (j.is_discarded()) return std::nullopt;
    return Meta::from_json(j);
}

std::optional<Match> Set::find(Algo a, const uint8_t* digest) const {
    const auto& t = tables_[static_cast<int>(a)];
    if (!t || a == Algo::Pdq) return std::nullopt;
    const uint8_t* e = t->find(digest);
    if (!e) return std::nullopt;
    uint32_t id;
    std::memcpy(&id, e + t->h.digest_len, 4);
    return Match{a, to_hex(e, t->h.digest_len), meta_of(id), 0};
}

std::optional<Match> Set::find_hex(const std::string& hex) const {
    auto a = algo_from_hex_length(hex.size());
    uint8_t d[32];
    if (!a || !parse_hex(hex, d, digest_bytes(*a))) return std::nullopt;
    return find(*a, d);
}

std::optional<Match> Set::find_pdq(const std::vector<std::array<uint8_t, 32>>& queries, int max_distance,
                                   int min_quality) const {
    const auto& t = tables_[static_cast<int>(Algo::Pdq)];
    if (!t || queries.empty()) return std::nullopt;
    // Queries as 4 words each; the scan is linear with popcount (measured in docs/hashsets.md).
    std::vector<std::array<uint64_t, 4>> q(queries.size());
    for (size_t i = 0; i < queries.size(); ++i) std::memcpy(q[i].data(), queries[i].data(), 32);
    const uint64_t k = nearest_pdq(t->entries, t->h.count, t->h.entry_len, q.data(), q.size(), min_quality, max_distance);
    if (k == t->h.count) return std::nullopt;
    const uint8_t* best_e = t->entries + k * t->h.entry_len;
    int best = 256;
    for (const auto& qq : q) {
        uint64_t w[4];
        std::memcpy(w, best_e, 32);
        best = std::min(best, std::popcount(w[0] ^ qq[0]) + std::popcount(w[1] ^ qq[1]) + std::popcount(w[2] ^ qq[2]) +
                                  std::popcount(w[3] ^ qq[3]));
    }
    uint32_t id;
    std::memcpy(&id, best_e + 32, 4);
    return Match{Algo::Pdq, to_hex(best_e, 32), meta_of(id), best};
}

Catalog::Catalog(const std::string& dir) : dir_(dir) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) return;
    std::vector<fs::path> folders;
    for (const auto& e : fs::directory_iterator(dir, ec)) {
        const std::string n = e.path().filename().string();
        std::error_code dir_ec;
        if (n.empty() || n[0] == '.' || !e.is_directory(dir_ec)) continue;   // staging and removal folders
        folders.push_back(e.path());
    }
    std::sort(folders.begin(), folders.end());
    for (const auto& f : folders) {
        try {
            sets_.push_back(std::make_unique<Set>(f.string()));
        } catch (const std::exception& e) {
            problems_.push_back(f.filename().string() + ": " + e.what());
        }
    }
}

}  // namespace triage::hashset
