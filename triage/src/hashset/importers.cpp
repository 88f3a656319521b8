// Importers for the hash-set exchange formats (facts in /work/shared/FORMATS.md, summarised in
// docs/hashsets.md). Every reader streams its input; bad records are reported with the file and
// line or record number and skipped, and the import goes on.
#include "hashset/builder.hpp"

#include <openssl/evp.h>
#include <sqlite3.h>
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <future>

namespace fs = std::filesystem;

namespace triage::hashset {

namespace {

std::string lower(std::string s) {
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

std::string trim(std::string_view s) {
    size_t b = 0, e = s.size();
    while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
    while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
    return std::string(s.substr(b, e - b));
}

// Shortened, printable form of a value quoted in a message.
std::string shown(std::string_view v) {
    std::string out;
    for (char c : v.substr(0, 80)) out += (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? '?' : c;
    if (v.size() > 80) out += "...";
    return out;
}

std::optional<bool> parse_bool(const std::string& v) {
    std::string s = lower(trim(v));
    if (s == "true" || s == "1" || s == "yes" || s == "y") return true;
    if (s == "false" || s == "0" || s == "no" || s == "n") return false;
    return std::nullopt;
}

std::string now_utc() {
    std::time_t t = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char b[32];
    std::strftime(b, sizeof b, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return b;
}

std::string sha256_of_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + path);
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
    EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr);
    std::vector<char> buf(1 << 20);
    while (in) {
        in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
        if (in.gcount() > 0) EVP_DigestUpdate(ctx.get(), buf.data(), static_cast<size_t>(in.gcount()));
    }
    unsigned char out[32];
    unsigned int n = 0;
    EVP_DigestFinal_ex(ctx.get(), out, &n);
    return to_hex(out, n);
}

// What one import is doing: the builder, the counts, the messages.
class Sink {
public:
    // b null: a dry run (check_file) that reads and checks every record and builds nothing.
    Sink(detail::Builder* b, ImportResult& r, const ImportOptions& o, std::string file,
         const std::function<void(const std::string&)>& progress)
        : b_(b), r_(r), o_(o), file_(std::move(file)), progress_(progress) {}

    const std::string& file() const { return file_; }

    void problem(const std::string& where, const std::string& what) {
        ++r_.problems;
        if (r_.messages.size() < o_.max_messages) r_.messages.push_back(file_ + ": " + where + ": " + what);
    }

    // One source record: hashes by algorithm (hex as written in the source) and metadata.
    // Malformed hashes are reported and left out; a record left with no hash is skipped.
    void record(const std::string& where, const std::vector<std::pair<Algo, std::string>>& hashes, const Meta& meta,
                int pdq_quality = -1) {
        ++r_.manifest.records;
        uint8_t d[4][32];
        Algo algos[4];
        size_t good = 0;
        for (const auto& [a, raw] : hashes) {
            std::string hex = trim(raw);
            if (hex.empty()) continue;
            if (good == 4) break;
            if (!parse_hex(hex, d[good], digest_bytes(a))) {
                const bool is_hex = std::all_of(hex.begin(), hex.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); });
                problem(where, std::string(algo_name(a)) + " '" + shown(hex) + "' is " +
                                   (is_hex ? std::to_string(hex.size()) + " hex digits, not " + std::to_string(2 * digest_bytes(a))
                                           : "not hexadecimal"));
                continue;
            }
            algos[good++] = a;
        }
        if (good == 0) {
            ++r_.manifest.records_skipped;
            if (hashes.empty() || std::all_of(hashes.begin(), hashes.end(), [](const auto& h) { return trim(h.second).empty(); }))
                problem(where, "no hash in this record; skipped");
            return;
        }
        if (!b_) {
            for (size_t i = 0; i < good; ++i) ++r_.manifest.counts[static_cast<size_t>(algos[i])];
        } else {
            uint32_t id = b_->add_meta(meta);
            for (size_t i = 0; i < good; ++i) b_->add(algos[i], d[i], id, algos[i] == Algo::Pdq ? pdq_quality : -1);
        }
        if (progress_ && r_.manifest.records % 5'000'000 == 0)
            progress_(std::to_string(r_.manifest.records) + " records read");
    }

    void skip(const std::string& where, const std::string& why) {
        ++r_.manifest.records;
        ++r_.manifest.records_skipped;
        problem(where, why + "; skipped");
    }

private:
    detail::Builder* b_;
    ImportResult& r_;
    const ImportOptions& o_;
    std::string file_;
    const std::function<void(const std::string&)>& progress_;
};

// Lines of a text file with their numbers; a UTF-8 BOM and CR before LF are removed.
class Lines {
public:
    explicit Lines(const std::string& path) : in_(path, std::ios::binary) {
        if (!in_) throw ImportError("cannot open " + path);
    }
    bool next(std::string& line) {
        if (!std::getline(in_, line)) return false;
        if (++n_ == 1 && line.rfind("\xEF\xBB\xBF", 0) == 0) line.erase(0, 3);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        return true;
    }
    uint64_t number() const { return n_; }
    std::string where() const { return "line " + std::to_string(n_); }

private:
    std::ifstream in_;
    uint64_t n_ = 0;
};

// One CSV line (RFC 4180 quoting, no embedded newlines); false when a quote is left open.
bool split_csv(const std::string& line, char sep, std::vector<std::string>& out) {
    out.clear();
    std::string cur;
    bool quoted = false, was_quoted = false;
    for (size_t i = 0; i < line.size(); ++i) {
        char c = line[i];
        if (quoted) {
            if (c == '"') {
                if (i + 1 < line.size() && line[i + 1] == '"') {
                    cur += '"';
                    ++i;
                } else {
                    quoted = false;
                }
            } else {
                cur += c;
            }
        } else if (c == '"' && trim(cur).empty()) {
            quoted = was_quoted = true;
            cur.clear();
        } else if (c == sep) {
            out.push_back(was_quoted ? cur : trim(cur));
            cur.clear();
            was_quoted = false;
        } else {
            cur += c;
        }
    }
    out.push_back(was_quoted ? cur : trim(cur));
    return !quoted;
}

int column(const std::vector<std::string>& header, std::initializer_list<const char*> names) {
    for (size_t i = 0; i < header.size(); ++i)
        for (const char* n : names)
            if (lower(trim(header[i])) == n) return static_cast<int>(i);
    return -1;
}

std::string field(const std::vector<std::string>& f, int i) { return i >= 0 && i < static_cast<int>(f.size()) ? f[i] : ""; }

// ---------------------------------------------------------------------------------------------
// Project VIC VICS (1.x "odata.metadata", 2.0 "@odata.context") and UK CAID: streamed with
// nlohmann's SAX interface; each Media object is built alone, handled and dropped.

std::string json_text(const nlohmann::json& v) {
    if (v.is_string()) return v.get<std::string>();
    if (v.is_number_integer()) return std::to_string(v.get<int64_t>());
    if (v.is_number_unsigned()) return std::to_string(v.get<uint64_t>());
    if (v.is_number_float()) return std::to_string(v.get<double>());
    if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
    return "";
}

class VicsSax : public nlohmann::json_sax<nlohmann::json> {
public:
    explicit VicsSax(Sink& sink) : sink_(sink) {}
    bool saw_context = false, saw_value = false;
    uint64_t media = 0;
    std::string context;

    bool null() override { return value(nullptr); }
    bool boolean(bool v) override { return value(v); }
    bool number_integer(number_integer_t v) override { return value(v); }
    bool number_unsigned(number_unsigned_t v) override { return value(v); }
    bool number_float(number_float_t v, const string_t&) override { return value(v); }
    bool string(string_t& v) override {
        if (frames_.size() == 1 && captures_.empty() && (key_ == "@odata.context" || key_ == "odata.metadata")) {
            saw_context = true;
            context = v;
        }
        return value(v);
    }
    bool binary(binary_t&) override { return value(nullptr); }
    bool key(string_t& k) override {
        key_ = k;
        if (!captures_.empty()) captures_.back().key = k;
        return true;
    }
    bool start_object(std::size_t) override { return open(false); }
    bool end_object() override { return close(); }
    bool start_array(std::size_t) override { return open(true); }
    bool end_array() override { return close(); }
    bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& ex) override {
        // nlohmann's message names the line and column ("syntax error while parsing ... at line 3, column 7").
        throw ImportError(sink_.file() + ": broken JSON after " + std::to_string(media) + " Media record(s): " + ex.what());
    }

private:
    struct Frame {
        bool array;
        std::string key;   // member name this container sits under ("" for an array element)
    };
    struct Capture {
        nlohmann::json root;
        std::vector<nlohmann::json*> path;
        std::string key;
        size_t depth;   // frames_.size() when it started
    };

    nlohmann::json* insert(Capture& c, nlohmann::json v) {
        nlohmann::json* top = c.path.back();
        if (top->is_array()) {
            top->push_back(std::move(v));
            return &top->back();
        }
        auto& slot = (*top)[c.key];
        slot = std::move(v);
        return &slot;
    }

    template <class T>
    bool value(T&& v) {
        if (!captures_.empty()) insert(captures_.back(), nlohmann::json(std::forward<T>(v)));
        return true;
    }

    bool open(bool array) {
        // The member name (or the parent array's name for an element) this container sits under.
        const bool in_array = !frames_.empty() && frames_.back().array;
        std::string under = in_array ? "" : key_;
        if (frames_.size() == 1 && under == "value" && array) saw_value = true;
        // A Media object: an element of the root "value" array, or of any "Media" array (cases).
        bool candidate = !array && in_array &&
                         (frames_.back().key == "Media" || (frames_.back().key == "value" && frames_.size() == 2));
        frames_.push_back({array, under});
        if (candidate) {
            captures_.push_back({nlohmann::json::object(), {}, "", frames_.size()});
            captures_.back().path.push_back(&captures_.back().root);
            return true;
        }
        if (!captures_.empty()) {
            Capture& c = captures_.back();
            c.path.push_back(insert(c, array ? nlohmann::json::array() : nlohmann::json::object()));
        }
        return true;
    }

    bool close() {
        if (!captures_.empty()) {
            Capture& c = captures_.back();
            if (c.depth == frames_.size()) {
                nlohmann::json obj = std::move(c.root);
                captures_.pop_back();
                frames_.pop_back();
                // A case (it has a Media array) was handled media by media; a media object now.
                if (!obj.contains("Media")) handle(obj);
                return true;
            }
            c.path.pop_back();
        }
        frames_.pop_back();
        return true;
    }

    void handle(const nlohmann::json& m) {
        ++media;
        std::string where = "Media record " + std::to_string(media);
        Meta meta;
        if (auto it = m.find("MediaID"); it != m.end() && !it->is_null()) {
            meta.media_id = json_text(*it);
            where += " (MediaID " + shown(meta.media_id) + ")";
        }
        if (auto it = m.find("Category"); it != m.end()) {
            std::string c = trim(json_text(*it));
            if (c != "0") meta.category = c;   // null or 0: uncategorised
        }
        if (auto it = m.find("Series"); it != m.end()) meta.series = json_text(*it);
        for (auto [name, slot] : {std::pair{"VictimIdentified", &meta.victim_identified},
                                  std::pair{"OffenderIdentified", &meta.offender_identified}}) {
            auto it = m.find(name);
            if (it == m.end() || it->is_null()) continue;
            auto b = it->is_boolean() ? std::optional<bool>(it->get<bool>()) : parse_bool(json_text(*it));
            if (b)
                *slot = *b;
            else
                sink_.problem(where, std::string(name) + " '" + shown(json_text(*it)) + "' is not a boolean; ignored");
        }
        if (auto it = m.find("MediaSize"); it != m.end() && !it->is_null()) {
            try {
                meta.size = it->is_number() ? it->get<int64_t>() : std::stoll(json_text(*it));
            } catch (const std::exception&) {
                sink_.problem(where, "MediaSize '" + shown(json_text(*it)) + "' is not a number; ignored");
            }
        }
        if (auto it = m.find("MediaFiles"); it != m.end() && it->is_array() && !it->empty() && (*it)[0].is_object())
            meta.file_name = json_text((*it)[0].value("FileName", nlohmann::json()));
        if (meta.file_name.empty())
            if (auto it = m.find("RelativeFilePath"); it != m.end()) meta.file_name = fs::path(json_text(*it)).filename().string();
        meta.abuse = abuse_category(meta.category);
        std::vector<std::pair<Algo, std::string>> hashes;
        for (auto [name, a] : {std::pair{"MD5", Algo::Md5}, std::pair{"SHA1", Algo::Sha1},
                               std::pair{"SHA256", Algo::Sha256}, std::pair{"PDQ", Algo::Pdq}})
            if (auto it = m.find(name); it != m.end() && !it->is_null()) hashes.emplace_back(a, json_text(*it));
        int q = -1;
        if (auto it = m.find("PDQQuality"); it != m.end() && it->is_number_integer()) q = it->get<int>();
        sink_.record(where, hashes, meta, q);
    }

    Sink& sink_;
    std::vector<Frame> frames_;
    std::vector<Capture> captures_;
    std::string key_;
};

void import_vics(const std::string& file, Sink& sink) {
    std::ifstream in(file, std::ios::binary);
    if (!in) throw ImportError("cannot open " + file);
    VicsSax sax(sink);
    nlohmann::json::sax_parse(in, &sax);
    if (!sax.saw_value)
        throw ImportError(file + ": not VICS/CAID JSON: no \"value\" array at the top level" +
                          (sax.saw_context ? "" : " and no \"@odata.context\" / \"odata.metadata\""));
}

// The next non-empty CSV record with as many fields as the header; a record that is not (an
// unterminated quote, another field count) is skipped with its place. False at the end.
bool next_record(Lines& lines, std::string& line, char sep, size_t width, std::vector<std::string>& f, Sink& sink) {
    while (lines.next(line)) {
        if (trim(line).empty()) continue;
        if (!split_csv(line, sep, f)) {
            sink.skip(lines.where(), "unterminated quote");
            continue;
        }
        if (f.size() != width) {
            sink.skip(lines.where(), std::to_string(f.size()) + " fields, the header has " + std::to_string(width));
            continue;
        }
        return true;
    }
    return false;
}

// ---------------------------------------------------------------------------------------------
// INTERPOL ICSE: semicolon CSV with a header line.

void import_icse(const std::string& file, Sink& sink) {
    Lines lines(file);
    std::string line;
    std::vector<std::string> header, f;
    while (lines.next(line) && trim(line).empty()) {}
    if (!split_csv(line, ';', header) || column(header, {"md5"}) < 0)
        throw ImportError(file + ": line " + std::to_string(lines.number()) + ": not an ICSE header (no MD5 column): '" +
                          shown(line) + "'");
    const int md5 = column(header, {"md5"}), sha1 = column(header, {"sha1", "sha-1"}),
              id = column(header, {"image id"}), series = column(header, {"series name"}),
              victim = column(header, {"victim identified"}), offender = column(header, {"offender identified"}),
              baseline = column(header, {"baseline"});
    while (next_record(lines, line, ';', header.size(), f, sink)) {
        Meta m;
        m.media_id = field(f, id);
        m.series = field(f, series);
        if (auto b = parse_bool(field(f, victim))) m.victim_identified = b;
        if (auto b = parse_bool(field(f, offender))) m.offender_identified = b;
        if (parse_bool(field(f, baseline)).value_or(false)) m.category = "baseline";
        // ICSE holds child sexual exploitation material only: every record is abuse material.
        m.abuse = true;
        sink.record(lines.where(), {{Algo::Md5, field(f, md5)}, {Algo::Sha1, field(f, sha1)}}, m);
    }
}

// ---------------------------------------------------------------------------------------------
// NSRL RDS 2.x NSRLFile.txt: quoted CSV, header "SHA-1","MD5","CRC32","FileName","FileSize",...

void import_nsrl2(const std::string& file, Sink& sink) {
    Lines lines(file);
    std::string line;
    std::vector<std::string> header, f;
    lines.next(line);
    if (!split_csv(line, ',', header) || column(header, {"sha-1"}) < 0 || column(header, {"md5"}) < 0)
        throw ImportError(file + ": line 1: not an NSRL RDS 2.x NSRLFile.txt header: '" + shown(line) + "'");
    const int sha1 = column(header, {"sha-1"}), md5 = column(header, {"md5"}), name = column(header, {"filename"}),
              size = column(header, {"filesize"});
    while (next_record(lines, line, ',', header.size(), f, sink)) {
        Meta m;
        m.file_name = field(f, name);
        try {
            if (!field(f, size).empty()) m.size = std::stoll(field(f, size));
        } catch (const std::exception&) {
            sink.problem(lines.where(), "FileSize '" + shown(field(f, size)) + "' is not a number; ignored");
        }
        sink.record(lines.where(), {{Algo::Sha1, field(f, sha1)}, {Algo::Md5, field(f, md5)}}, m);
    }
}

// ---------------------------------------------------------------------------------------------
// NSRL RDS v3: the SQLite database read directly (FILE table).

struct Db {
    sqlite3* db = nullptr;
    ~Db() { sqlite3_close(db); }
};
struct Stmt {
    sqlite3_stmt* s = nullptr;
    ~Stmt() { sqlite3_finalize(s); }
};

uint32_t be32(const uint8_t* p) { return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3]; }

void import_nsrl3(const std::string& file, Sink& sink) {
    // The header tells the database size; a shorter file was cut off (a failed copy or download).
    uint8_t h[100] = {};
    {
        std::ifstream in(file, std::ios::binary);
        if (!in.read(reinterpret_cast<char*>(h), sizeof h) || std::memcmp(h, "SQLite format 3", 16) != 0)
            throw ImportError(file + ": not an SQLite database");
    }
    const uint64_t page = h[16] << 8 | h[17];
    const uint64_t page_size = page == 1 ? 65536 : page;
    const uint64_t pages = be32(h + 28);
    const uint64_t actual = fs::file_size(file);
    if (be32(h + 24) == be32(h + 92) && pages > 0 && actual < page_size * pages)
        throw ImportError(file + ": truncated SQLite database: its header says " + std::to_string(page_size * pages) +
                          " bytes, the file has " + std::to_string(actual));
    if (page_size < 512 || actual % page_size != 0)
        throw ImportError(file + ": damaged or truncated SQLite database: " + std::to_string(actual) +
                          " bytes is not a whole number of " + std::to_string(page_size) + "-byte pages");

    Db db;
    // immutable: no locks, no journal or WAL files written beside a read-only source.
    const std::string uri = "file:" + file + "?immutable=1";
    if (sqlite3_open_v2(uri.c_str(), &db.db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, nullptr) != SQLITE_OK)
        throw ImportError(file + ": cannot open as SQLite: " + sqlite3_errmsg(db.db));
    auto fail = [&](const std::string& what) { return ImportError(file + ": " + what + ": " + sqlite3_errmsg(db.db)); };
    {
        Stmt cols;
        if (sqlite3_prepare_v2(db.db, "SELECT lower(name) FROM pragma_table_info('FILE')", -1, &cols.s, nullptr) != SQLITE_OK)
            throw fail("cannot read the schema (damaged database?)");
        std::vector<std::string> have;
        int rc;
        while ((rc = sqlite3_step(cols.s)) == SQLITE_ROW)
            have.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(cols.s, 0)));
        if (rc != SQLITE_DONE) throw fail("cannot read the schema (damaged database?)");
        for (const char* need : {"sha256", "sha1", "md5"})
            if (std::find(have.begin(), have.end(), need) == have.end())
                throw ImportError(file + ": not an NSRL RDS v3 database: " +
                                  (have.empty() ? std::string("it has no FILE table")
                                                : "its FILE table has no " + std::string(need) + " column"));
    }
    Stmt q;
    if (sqlite3_prepare_v2(db.db, "SELECT sha256, sha1, md5, file_name, file_size FROM FILE", -1, &q.s, nullptr) != SQLITE_OK) {
        // Older or partial schemas without file_name / file_size still carry the hashes.
        if (sqlite3_prepare_v2(db.db, "SELECT sha256, sha1, md5, NULL, NULL FROM FILE", -1, &q.s, nullptr) != SQLITE_OK)
            throw fail("cannot query FILE");
    }
    auto text = [&](int i) {
        const unsigned char* t = sqlite3_column_text(q.s, i);
        return t ? std::string(reinterpret_cast<const char*>(t)) : std::string();
    };
    uint64_t row = 0;
    int rc;
    while ((rc = sqlite3_step(q.s)) == SQLITE_ROW) {
        ++row;
        Meta m;
        m.file_name = text(3);
        if (sqlite3_column_type(q.s, 4) == SQLITE_INTEGER) m.size = sqlite3_column_int64(q.s, 4);
        sink.record("FILE row " + std::to_string(row), {{Algo::Sha256, text(0)}, {Algo::Sha1, text(1)}, {Algo::Md5, text(2)}}, m);
    }
    if (rc != SQLITE_DONE) throw fail("reading FILE failed after row " + std::to_string(row) + " (damaged database?)");
}

// ---------------------------------------------------------------------------------------------
// hashdeep / md5deep known-file lists: "%%%% HASHDEEP-1.0", "%%%% size,md5,sha256,filename".

void import_hashdeep(const std::string& file, Sink& sink) {
    Lines lines(file);
    std::string line;
    std::vector<std::string> cols;
    while (lines.next(line)) {
        if (line.rfind("%%%%", 0) == 0) {
            std::string rest = trim(line.substr(4));
            if (rest.rfind("HASHDEEP", 0) == 0) continue;
            split_csv(rest, ',', cols);
            for (auto& c : cols) c = lower(trim(c));
            continue;
        }
        if (line.rfind("##", 0) == 0 || trim(line).empty()) continue;
        if (cols.empty()) throw ImportError(file + ": " + lines.where() + ": data before the '%%%% size,...' header line");
        // The file name is last and may hold commas: split the first cols-1 fields only.
        std::vector<std::string> f;
        size_t pos = 0;
        for (size_t i = 0; i + 1 < cols.size(); ++i) {
            size_t c = line.find(',', pos);
            if (c == std::string::npos) break;
            f.push_back(line.substr(pos, c - pos));
            pos = c + 1;
        }
        if (f.size() + 1 != cols.size()) {
            sink.skip(lines.where(), std::to_string(f.size() + 1) + " fields, the header has " + std::to_string(cols.size()));
            continue;
        }
        f.push_back(line.substr(pos));
        Meta m;
        std::vector<std::pair<Algo, std::string>> hashes;
        for (size_t i = 0; i < cols.size(); ++i) {
            if (cols[i] == "filename") m.file_name = fs::path(f[i]).filename().string();
            else if (cols[i] == "size") {
                try {
                    m.size = std::stoll(f[i]);
                } catch (const std::exception&) {
                    sink.problem(lines.where(), "size '" + shown(f[i]) + "' is not a number; ignored");
                }
            } else if (auto a = algo_from_name(cols[i]); a && *a != Algo::Pdq) {
                hashes.emplace_back(*a, f[i]);
            }
        }
        sink.record(lines.where(), hashes, m);
    }
}

// ---------------------------------------------------------------------------------------------
// md5sum / sha1sum / sha256sum output ("HEX  name", "HEX *name", "\HEX  escaped\nname").

void import_sum(const std::string& file, Sink& sink, Algo a) {
    Lines lines(file);
    std::string line;
    while (lines.next(line)) {
        if (trim(line).empty() || line[0] == '#') continue;
        std::string_view v = line;
        const bool escaped = !v.empty() && v[0] == '\\';
        if (escaped) v.remove_prefix(1);
        size_t sp = v.find(' ');
        if (sp == std::string_view::npos || sp + 1 >= v.size() || (v[sp + 1] != ' ' && v[sp + 1] != '*')) {
            sink.skip(lines.where(), "expected 'HASH  NAME' (two fields), got '" + shown(line) + "'");
            continue;
        }
        Meta m;
        m.file_name = fs::path(std::string(v.substr(sp + 2))).filename().string();
        if (escaped) {
            std::string un;
            for (size_t i = 0; i < m.file_name.size(); ++i) {
                if (m.file_name[i] == '\\' && i + 1 < m.file_name.size()) {
                    char n = m.file_name[++i];
                    un += n == 'n' ? '\n' : n == 'r' ? '\r' : n;
                } else {
                    un += m.file_name[i];
                }
            }
            m.file_name = un;
        }
        sink.record(lines.where(), {{a, std::string(v.substr(0, sp))}}, m);
    }
}

// Plain list: one hash per line (algorithm by its length); blank lines and '#' comments ignored.
void import_list(const std::string& file, Sink& sink) {
    Lines lines(file);
    std::string line;
    while (lines.next(line)) {
        std::string t = trim(line);
        if (t.empty() || t[0] == '#') continue;
        auto a = algo_from_hex_length(t.size());
        if (!a) {
            sink.skip(lines.where(), "'" + shown(t) + "' is not an MD5, SHA-1 or SHA-256 (32, 40 or 64 hex digits)");
            continue;
        }
        sink.record(lines.where(), {{*a, t}}, Meta{});
    }
}

// PDQ list: "HEX64[,QUALITY[,NAME]]" per line (the layout of the reference hasher's output).
void import_pdq(const std::string& file, Sink& sink) {
    Lines lines(file);
    std::string line;
    std::vector<std::string> f;
    while (lines.next(line)) {
        std::string t = trim(line);
        if (t.empty() || t[0] == '#') continue;
        split_csv(t, ',', f);
        Meta m;
        int q = -1;
        if (f.size() > 1 && !f[1].empty()) {
            try {
                q = std::stoi(f[1]);
                if (q < 0 || q > 100) throw std::out_of_range("quality");
                m.pdq_quality = q;
            } catch (const std::exception&) {
                sink.skip(lines.where(), "quality '" + shown(f[1]) + "' is not a number from 0 to 100");
                continue;
            }
        }
        if (f.size() > 2) m.file_name = f[2];
        sink.record(lines.where(), {{Algo::Pdq, f[0]}}, m, q);
    }
}

bool all_hex(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); });
}

void read_source(const std::string& file, const std::string& format, Sink& sink) {
    if (format == "vics" || format == "caid") import_vics(file, sink);
    else if (format == "icse") import_icse(file, sink);
    else if (format == "nsrl-rds3") import_nsrl3(file, sink);
    else if (format == "nsrl-rds2") import_nsrl2(file, sink);
    else if (format == "hashdeep") import_hashdeep(file, sink);
    else if (format == "md5sum") import_sum(file, sink, Algo::Md5);
    else if (format == "sha1sum") import_sum(file, sink, Algo::Sha1);
    else if (format == "sha256sum") import_sum(file, sink, Algo::Sha256);
    else if (format == "list") import_list(file, sink);
    else if (format == "pdq") import_pdq(file, sink);
    else throw std::invalid_argument("unknown format '" + format + "'");
}

}  // namespace

const std::vector<std::string>& formats() {
    static const std::vector<std::string> f{"vics", "caid", "icse", "nsrl-rds3", "nsrl-rds2", "hashdeep",
                                            "md5sum", "sha1sum", "sha256sum", "list", "pdq"};
    return f;
}

std::string detect_format(const std::string& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) throw ImportError("cannot open " + file);
    std::string head(65536, '\0');
    in.read(head.data(), static_cast<std::streamsize>(head.size()));
    head.resize(static_cast<size_t>(in.gcount()));
    if (head.empty()) throw ImportError(file + ": empty file");
    if (head.compare(0, 16, std::string("SQLite format 3\0", 16)) == 0) return "nsrl-rds3";
    if (head.rfind("\xEF\xBB\xBF", 0) == 0) head.erase(0, 3);
    const std::string t = trim(head.substr(0, 4096));
    if (!t.empty() && (t[0] == '{' || t[0] == '[')) return head.find("1.2.xml") != std::string::npos ? "caid" : "vics";
    // First line that is not blank or a comment.
    std::string first;
    size_t pos = 0;
    while (pos < head.size()) {
        size_t nl = head.find('\n', pos);
        std::string l = trim(head.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos));
        pos = nl == std::string::npos ? head.size() : nl + 1;
        if (l.rfind("%%%% HASHDEEP", 0) == 0) return "hashdeep";
        if (l.empty() || l[0] == '#') continue;
        first = l;
        break;
    }
    const std::string lf = lower(first);
    if (lf.rfind("\"sha-1\",\"md5\"", 0) == 0 || lf.rfind("sha-1,md5", 0) == 0) return "nsrl-rds2";
    if (lf.find(';') != std::string::npos && lf.find("md5") != std::string::npos) return "icse";
    const size_t sp = first.find_first_of(" \t,");
    const std::string tok = first.substr(0, sp), rest = sp == std::string::npos ? "" : first.substr(sp);
    std::string_view hex = tok;
    if (!hex.empty() && hex[0] == '\\') hex.remove_prefix(1);
    if (all_hex(hex)) {
        if (rest.empty()) {
            if (algo_from_hex_length(hex.size())) return "list";
        } else if (rest[0] == ',' && hex.size() == 64) {
            return "pdq";
        } else if (rest.size() > 2 && rest[0] == ' ' && (rest[1] == ' ' || rest[1] == '*')) {
            if (hex.size() == 32) return "md5sum";
            if (hex.size() == 40) return "sha1sum";
            if (hex.size() == 64) return "sha256sum";
        }
    }
    throw ImportError(file + ": cannot tell the format from its content (first line '" + shown(first) +
                      "'); give --format (one of vics, caid, icse, nsrl-rds3, nsrl-rds2, hashdeep, md5sum, sha1sum, "
                      "sha256sum, list, pdq)");
}

ImportResult import_file(const std::string& file, const ImportOptions& opts,
                         const std::function<void(const std::string&)>& progress) {
    const auto t0 = std::chrono::steady_clock::now();
    if (!valid_name(opts.name))
        throw std::invalid_argument("'" + opts.name +
                                    "' is not a valid set name (letters, digits, '.', '_', '-'; not starting with '.')");
    std::error_code ec;
    if (!fs::is_regular_file(file, ec)) throw ImportError(file + ": no such file");
    const std::string format = opts.format.empty() ? detect_format(file) : opts.format;
    if (std::find(formats().begin(), formats().end(), format) == formats().end())
        throw std::invalid_argument("unknown format '" + format + "'");
    fs::create_directories(opts.dir);
    const fs::path final_dir = fs::path(opts.dir) / opts.name;
    const bool exists = fs::exists(final_dir, ec);
    if (exists && !opts.replace)
        throw std::invalid_argument("a set named '" + opts.name + "' exists in " + opts.dir +
                                    " (remove it first, or give --replace)");

    // Built in a hidden folder beside the sets (same file system, so the final rename is atomic).
    const fs::path staging = fs::path(opts.dir) / (".staging-" + opts.name + "-" + std::to_string(::getpid()));
    fs::remove_all(staging, ec);
    ImportResult r;
    try {
        // The source's own SHA-256, read alongside the import.
        auto source_hash = std::async(std::launch::async, [file] { return sha256_of_file(file); });
        {
            detail::Builder b(staging.string());
            Sink sink(&b, r, opts, file, progress);
            read_source(file, format, sink);
            uint64_t total = 0;
            for (int i = 0; i < kAlgoCount; ++i) total += b.added(static_cast<Algo>(i));
            if (total == 0)
                throw ImportError(file + ": no valid hash found (" + std::to_string(r.manifest.records) + " records, " +
                                  std::to_string(r.manifest.records_skipped) + " skipped)");
            if (progress) progress("sorting " + std::to_string(total) + " hashes");
            b.finish(r.manifest);
        }
        Manifest& m = r.manifest;
        m.name = opts.name;
        m.kind = opts.kind;
        m.csam = opts.csam;
        m.format = format;
        m.source_path = fs::absolute(file).lexically_normal().string();
        m.source_size = fs::file_size(file);
        m.source_sha256 = source_hash.get();
        m.imported_at = now_utc();
        m.triage_version = TRIAGE_VERSION;
        {
            const std::string path = (staging / detail::kManifestFile).string();
            std::ofstream out(path);
            // The source's path may hold bytes that are not UTF-8: those become U+FFFD.
            out << m.to_json().dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
            out.close();
            if (!out) throw std::runtime_error("cannot write " + path);
        }
        // Into place: swapped atomically with an existing set, which is then removed.
        if (exists) {
            if (::renameat2(AT_FDCWD, staging.c_str(), AT_FDCWD, final_dir.c_str(), RENAME_EXCHANGE) != 0)
                throw std::runtime_error("cannot replace " + final_dir.string() + ": " + std::strerror(errno));
            fs::remove_all(staging);
        } else if (::renameat2(AT_FDCWD, staging.c_str(), AT_FDCWD, final_dir.c_str(), RENAME_NOREPLACE) != 0) {
            throw std::runtime_error("cannot move the new set into " + final_dir.string() + ": " + std::strerror(errno));
        }
    } catch (...) {
        fs::remove_all(staging, ec);
        throw;
    }
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return r;
}

ImportResult check_file(const std::string& file, const ImportOptions& opts) {
    const auto t0 = std::chrono::steady_clock::now();
    std::error_code ec;
    if (!fs::is_regular_file(file, ec)) throw ImportError(file + ": no such file");
    const std::string format = opts.format.empty() ? detect_format(file) : opts.format;
    ImportResult r;
    r.manifest.format = format;
    const std::function<void(const std::string&)> no_progress;   // the sink keeps a reference
    Sink sink(nullptr, r, opts, file, no_progress);
    read_source(file, format, sink);
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return r;
}

}  // namespace triage::hashset
