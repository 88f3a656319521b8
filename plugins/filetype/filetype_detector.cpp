// filetype: what an object really is, by content (libmagic), for every file, stream and child
// object; sets the properties "mime" (shown as v_files.type) and "description", and reports a
// "type_mismatch" finding when the name's extension contradicts the content (see kExtensionTypes).
#include "util/text.hpp"
#include "filetype/ext_types.hpp"

#include <triage/detector.hpp>

#include <magic.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <stdexcept>
#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

struct MagicClose {
    void operator()(magic_t m) const { magic_close(m); }
};
using Magic = std::unique_ptr<std::remove_pointer_t<magic_t>, MagicClose>;

const triage_option_desc kOptions[] = {
    {"sniff_bytes", "size", "1048576", "how many leading bytes of each object libmagic looks at (4096 .. 16777216)"},
    {"mismatch", "bool", "true", "report extensions that contradict the content (finding kind type_mismatch)"},
    {"describe", "bool", "true",
     "also keep libmagic's description (property 'description'); a second libmagic pass that costs as much as "
     "the MIME type ('--preset hashes' turns it off)"},
    {"text_types", "bool", "true",
     "name text files by libmagic's text tests (text/html, message/rfc822, scripts, source code); about 1 ms "
     "per text file with Debian's libmagic. false: text is named by its encoding only (text/plain), about a "
     "tenth of the cost; binary formats are named the same either way ('--preset hashes' turns it off)"},
};

// With text_types=false libmagic skips its text tests (MAGIC_NO_CHECK_TEXT) and reports the
// encoding beside the type; content it cannot name that is in a text encoding is text/plain,
// which is what its text tests would have said short of the finer names.
std::string plain_text_or(const std::string& answer) {
    const auto semi = answer.find(';');
    std::string type = answer.substr(0, semi);
    if (semi == std::string::npos) return type;
    const auto eq = answer.find("charset=", semi);
    const std::string charset = eq == std::string::npos ? "" : answer.substr(eq + 8);
    if (type == "application/octet-stream" && !charset.empty() && charset != "binary" && charset != "unknown-8bit")
        return "text/plain";
    return type;
}

// libmagic's text may carry bytes that are not UTF-8 (names from file headers); keep ASCII only.
std::string printable(const char* s) {
    std::string o;
    if (!s) return o;
    for (const char* p = s; *p && o.size() < 1024; ++p) {
        unsigned char c = static_cast<unsigned char>(*p);
        o += (c >= 0x20 && c < 0x7f) ? static_cast<char>(c) : '?';
    }
    return o;
}

// The compiled magic database, read once per process and shared read-only by every handle
// (magic_load_buffers): magic_load would give each handle its own 8 MiB copy, and there are two
// handles per worker. Only where that loads the same thing as magic_load: no MAGIC variable,
// and of libmagic's search path (magic_getpath) one compiled database and otherwise text files
// with no magic lines (Debian's /etc/magic is comments only). Anything else: magic_load.
struct SharedMagicDb {
    std::vector<char> data;
    bool usable = false;
};

bool has_magic_lines(const std::string& path) {
    std::ifstream in(path);
    std::string line;
    while (std::getline(in, line)) {
        const auto at = line.find_first_not_of(" \t\r");
        if (at != std::string::npos && line[at] != '#') return true;
    }
    return false;
}

SharedMagicDb& shared_db() {
    static SharedMagicDb db = [] {
        SharedMagicDb d;
        if (std::getenv("MAGIC")) return d;
        const char* list = magic_getpath(nullptr, 0);
        std::string compiled;
        std::stringstream parts(list ? list : "");
        for (std::string part; std::getline(parts, part, ':');) {
            std::error_code ec;
            if (part.empty()) continue;
            if (fs::is_regular_file(part + ".mgc", ec)) {
                if (!compiled.empty()) return d;   // two compiled databases: libmagic merges them
                compiled = part + ".mgc";
            } else if (fs::is_directory(part, ec) || (fs::exists(part, ec) && has_magic_lines(part))) {
                return d;   // text magic to compile: only magic_load does that
            }
        }
        std::ifstream in(compiled, std::ios::binary);
        if (compiled.empty() || !in) return d;
        d.data.assign(std::istreambuf_iterator<char>(in), {});
        d.usable = !d.data.empty();
        return d;
    }();
    return db;
}

int load_magic(magic_t m) {
    SharedMagicDb& db = shared_db();
    if (!db.usable) return magic_load(m, nullptr);
    void* buffers[] = {db.data.data()};
    size_t sizes[] = {db.data.size()};
    return magic_load_buffers(m, buffers, sizes, 1);
}

// The options and the magic database, checked once when the scan starts: a bad value or a
// missing database refuses the scan instead of failing on every object.
struct Settings {
    Settings(const triage_host_api* api, triage_host* host) {
        const char* v = api->get_option(host, "sniff_bytes");
        try {
            sniff = std::stoull(v ? v : "");
        } catch (const std::exception&) {
            throw std::runtime_error("filetype.sniff_bytes must be a number");
        }
        if (sniff < 4096 || sniff > (16u << 20)) throw std::runtime_error("filetype.sniff_bytes must be 4096 .. 16777216");
        const char* m = api->get_option(host, "mismatch");
        mismatch = !(m && std::string(m) == "false");
        const char* d = api->get_option(host, "describe");
        describe = !(d && std::string(d) == "false");
        const char* t = api->get_option(host, "text_types");
        text_types = !(t && std::string(t) == "false");
        Magic probe(magic_open(MAGIC_MIME_TYPE | MAGIC_ERROR));
        if (!probe || load_magic(probe.get()) != 0)
            throw std::runtime_error(std::string("cannot load the libmagic database: ") +
                                     (probe ? printable(magic_error(probe.get())) : "magic_open failed"));
    }
    size_t sniff = 1 << 20;
    bool mismatch = true;
    bool describe = true;
    bool text_types = true;
};

class FileType final : public triage::sdk::Detector {
public:
    FileType(const triage_host_api* api, triage_host* host, const Settings& s)
        : Detector(api, host), sniff_(s.sniff), mismatch_(s.mismatch), describe_(s.describe), text_types_(s.text_types) {
        // One handle per instance: libmagic handles are not safe to share between threads.
        mime_.reset(magic_open(text_types_ ? MAGIC_MIME_TYPE | MAGIC_ERROR
                                           : MAGIC_MIME_TYPE | MAGIC_MIME_ENCODING | MAGIC_NO_CHECK_TEXT | MAGIC_ERROR));
        desc_.reset(magic_open(MAGIC_ERROR));
        if (!mime_ || !desc_) throw std::runtime_error("magic_open failed");
        if (load_magic(mime_.get()) != 0 || load_magic(desc_.get()) != 0)
            throw std::runtime_error(std::string("cannot load the libmagic database: ") + printable(magic_error(mime_.get())));
        magic_setparam(mime_.get(), MAGIC_PARAM_BYTES_MAX, &sniff_);
        magic_setparam(desc_.get(), MAGIC_PARAM_BYTES_MAX, &sniff_);
    }

    void begin(const triage_object_info& o) override {
        head_.clear();
        kind_ = o.kind;
        name_ = o.name ? o.name : "";
    }

    void block(const uint8_t* data, size_t length, uint64_t) override {
        if (head_.size() >= sniff_) return;
        head_.insert(head_.end(), data, data + std::min(length, sniff_ - head_.size()));
    }

    void end() override {
        std::string mime = printable(magic_buffer(mime_.get(), head_.data(), head_.size()));
        if (mime.empty()) throw std::runtime_error("libmagic: " + printable(magic_error(mime_.get())));
        if (!text_types_) mime = plain_text_or(mime);
        const bool generic_text = !text_types_ && mime == "text/plain";   // named by its encoding only
        set_property("mime", mime);
        auto describe = [&] { return printable(magic_buffer(desc_.get(), head_.data(), head_.size())); };
        std::string desc;
        if (describe_) {
            desc = describe();
            if (!desc.empty()) set_property("description", desc);
        }
        // An NTFS stream's name after ':' is no extension; unallocated ranges have no name.
        if (!mismatch_ || kind_ == TRIAGE_OBJECT_STREAM || kind_ == TRIAGE_OBJECT_UNALLOC) return;
        const std::string ext = triage::filetype::extension_of(name_);
        if (ext.empty()) return;
        if (auto verdict = triage::filetype::check_extension(ext, mime, head_.size(), generic_text); verdict) {
            if (!describe_) desc = describe();  // for the finding only
            const std::string detail = "{\"extension\":\"" + triage::util::json_escape(ext) + "\",\"mime\":\"" + triage::util::json_escape(mime) +
                                       "\",\"expected\":\"" + triage::util::json_escape(*verdict) + "\",\"description\":\"" +
                                       triage::util::json_escape(desc) + "\"}";
            triage_finding f{};
            f.struct_size = sizeof f;
            f.kind = "type_mismatch";
            f.rule = mime.c_str();
            f.category = "file type";
            f.severity = 3;
            f.offset = -1;
            f.length = -1;
            f.detail = detail.c_str();
            emit_finding(f);
        }
    }

private:
    Magic mime_, desc_;
    size_t sniff_ = 1 << 20;
    bool mismatch_ = true;
    bool describe_ = true;
    bool text_types_ = true;
    std::vector<uint8_t> head_;
    int kind_ = TRIAGE_OBJECT_FILE;
    std::string name_;
};

const triage_detector kFileType = triage::sdk::describe<FileType, Settings>(
    "filetype", "1.0.0", "triage project",
    "Type by content (libmagic): properties mime and description; extensions that contradict the content",
    TRIAGE_WANT_BLOCKS, kOptions, sizeof kOptions / sizeof kOptions[0]);
const triage_detector* const kDetectors[] = {&kFileType};
const triage_plugin kPlugin{sizeof(triage_plugin), 2, kDetectors, 1};

}  // namespace

extern "C" const triage_plugin* triage_builtin_filetype_entry(uint32_t /*host_api_version*/) { return &kPlugin; }
