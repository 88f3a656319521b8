// The YARA detector: rule files compiled once per scan (init), shared read-only by every
// worker's scanner, fed from the same single read of each object as the hashers.
//
// Objects up to max_buffer_mb are scanned whole (YARA sees the real file: filesize, header
// checks and offsets are exact). Larger objects are scanned in pages of that size, each with a
// margin of the following bytes so that a string straddling two pages is found, and reported
// only by the page it starts in (bulk_extractor's page + margin); conditions on absolute offsets
// or filesize then apply to each page, not the whole object.
#include "yara/buffer_budget.hpp"

#include <triage/detector.hpp>

#include <nlohmann/json.hpp>
#include <yara.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace fs = std::filesystem;

namespace {

const triage_option_desc kOptions[] = {
    {"default_rules", "bool", "true", "compile the rule set shipped with triage (rules/)"},
    {"rules", "string", "", "further rule files or folders, one per line (triage scan --rules)"},
    {"skip_broken", "bool", "false", "skip rule files that do not compile instead of refusing to scan"},
    {"max_buffer_mb", "int", "64", "objects up to this size are scanned whole; larger ones in pages"},
    {"margin_kb", "int", "1024", "bytes after each page also scanned, for strings straddling pages"},
    {"buffer_budget_mb", "int", "0",
     "memory all workers' buffers share for objects over 4 MiB; a larger object waits its turn "
     "(0: one page and its margin for every 4 cores)"},
    {"timeout", "int", "60", "seconds YARA may spend on one object (or page)"},
    {"max_strings", "int", "50", "string matches reported per rule and object"},
};

bool truthy(const std::string& v) { return v == "true" || v == "1" || v == "yes" || v == "on"; }

std::string option_of(const triage_host_api* api, triage_host* host, const char* key) {
    const char* v = api->get_option(host, key);
    return v ? v : "";
}

// The rules triage ships: $TRIAGE_RULES_DIR, the installed copy, or the source tree's.
std::string shipped_rules_dir() {
    if (const char* e = std::getenv("TRIAGE_RULES_DIR"); e && *e) return e;
    std::error_code ec;
    if (fs::is_directory(TRIAGE_INSTALLED_RULES_DIR, ec)) return TRIAGE_INSTALLED_RULES_DIR;
    return TRIAGE_SOURCE_RULES_DIR;
}

struct CompileMessages {
    std::vector<std::string> errors, warnings;
};

void compiler_callback(int level, const char* file, int line, const YR_RULE*, const char* message, void* user) {
    auto* m = static_cast<CompileMessages*>(user);
    std::string where = std::string(file ? file : "?") + ":" + std::to_string(line);
    (level == YARA_ERROR_LEVEL_ERROR ? m->errors : m->warnings).push_back(where + ": " + (message ? message : ""));
}

void define_externals(YR_COMPILER* c) {
    for (const char* s : {"filename", "filepath", "extension", "filetype"}) yr_compiler_define_string_variable(c, s, "");
    yr_compiler_define_boolean_variable(c, "deleted", 0);
    yr_compiler_define_boolean_variable(c, "carved", 0);
}

// Compiles one file; returns the compiler's messages.
CompileMessages add_file(YR_COMPILER* c, const std::string& path, const std::string& ns) {
    CompileMessages m;
    yr_compiler_set_callback(c, compiler_callback, &m);
    FILE* f = std::fopen(path.c_str(), "r");
    if (!f) {
        m.errors.push_back(path + ": cannot open");
        return m;
    }
    yr_compiler_add_file(c, f, ns.c_str(), path.c_str());
    std::fclose(f);
    return m;
}

struct Compiler {
    YR_COMPILER* c = nullptr;
    Compiler() {
        if (yr_compiler_create(&c) != ERROR_SUCCESS) throw std::runtime_error("cannot create a YARA compiler");
        define_externals(c);
    }
    ~Compiler() { yr_compiler_destroy(c); }
};

// Built once per scan: the compiled rules every worker shares.
struct YaraRules {
    YR_RULES* rules = nullptr;
    size_t files = 0;
    uint64_t page_bytes, margin_bytes;
    int timeout;
    size_t max_strings;

    YaraRules(const triage_host_api* api, triage_host* host) {
        page_bytes = std::stoull(option_of(api, host, "max_buffer_mb")) << 20;
        margin_bytes = std::stoull(option_of(api, host, "margin_kb")) << 10;
        timeout = std::stoi(option_of(api, host, "timeout"));
        max_strings = std::stoul(option_of(api, host, "max_strings"));
        if (page_bytes == 0) throw std::runtime_error("max_buffer_mb must be at least 1");
        const bool skip_broken = truthy(option_of(api, host, "skip_broken"));

        // (file, namespace) in a stable order.
        std::vector<std::pair<std::string, std::string>> to_compile;
        auto add_path = [&](const std::string& p, bool shipped) {
            std::error_code ec;
            if (fs::is_directory(p, ec)) {
                std::vector<std::string> found;
                for (auto it = fs::recursive_directory_iterator(p, ec); it != fs::recursive_directory_iterator();
                     it.increment(ec)) {
                    if (ec) break;
                    auto ext = it->path().extension().string();
                    // index.yar gathers the others for the yara CLI; compiling it too would
                    // double every rule.
                    if ((ext == ".yar" || ext == ".yara") && it->path().filename() != "index.yar")
                        found.push_back(it->path().string());
                }
                std::sort(found.begin(), found.end());
                for (const auto& f : found)
                    to_compile.emplace_back(f, (shipped ? "triage/" : "") + fs::relative(f, p).string());
            } else if (fs::is_regular_file(p, ec)) {
                to_compile.emplace_back(p, fs::path(p).filename().string());
            } else {
                throw std::runtime_error("rules path '" + p + "' does not exist");
            }
        };
        if (truthy(option_of(api, host, "default_rules"))) {
            std::error_code ec;
            if (fs::is_directory(shipped_rules_dir(), ec)) add_path(shipped_rules_dir(), true);
        }
        std::string extra = option_of(api, host, "rules");
        for (size_t pos = 0; pos < extra.size();) {
            size_t nl = extra.find('\n', pos);
            std::string p = extra.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
            if (!p.empty()) add_path(p, false);
            if (nl == std::string::npos) break;
            pos = nl + 1;
        }
        if (to_compile.empty()) {
            // Nothing to match: recorded, and the detector passes every object by.
            api->log(host, TRIAGE_LOG_WARNING,
                     ("no YARA rule files found (shipped set looked for in " + shipped_rules_dir() +
                      "); YARA matching is off for this scan")
                         .c_str());
            return;
        }

        Compiler main;
        for (const auto& [file, ns] : to_compile) {
            // Each file is first compiled alone: a broken one cannot spoil the shared compiler.
            CompileMessages alone;
            {
                Compiler probe;
                alone = add_file(probe.c, file, ns);
            }
            for (const auto& w : alone.warnings) api->log(host, TRIAGE_LOG_WARNING, ("YARA warning: " + w).c_str());
            if (!alone.errors.empty()) {
                std::string msg = "rule file " + file + " does not compile: " + alone.errors.front();
                if (!skip_broken) throw std::runtime_error(msg + " (use --rules-skip-broken to scan without it)");
                api->log(host, TRIAGE_LOG_ERROR, ("skipped " + msg).c_str());
                continue;
            }
            CompileMessages m = add_file(main.c, file, ns);
            if (!m.errors.empty()) throw std::runtime_error("rule file " + file + ": " + m.errors.front());
            ++files;
        }
        if (files == 0) throw std::runtime_error("no YARA rule file compiled");
        if (yr_compiler_get_rules(main.c, &rules) != ERROR_SUCCESS) throw std::runtime_error("cannot build YARA rules");
    }
    ~YaraRules() {
        if (rules) yr_rules_destroy(rules);
    }
};

// yr_initialize / yr_finalize for the life of the process (they are reference counted).
struct YaraLibrary {
    YaraLibrary() { yr_initialize(); }
    ~YaraLibrary() { yr_finalize(); }
};

// The budget the workers' buffers share: the option, or one page and its margin for every four
// cores (a 2-core lab machine holds one large object whole at a time; a larger one holds more,
// since a disk of videos would otherwise scan one video at a time).
uint64_t budget_bytes(const triage_host_api* api, triage_host* host, const YaraRules& r) {
    const uint64_t page = r.page_bytes + r.margin_bytes;
    const uint64_t mb = std::stoull(option_of(api, host, "buffer_budget_mb"));
    if (mb > 0) return std::max<uint64_t>(mb << 20, 1);
    return page * std::max(1u, std::thread::hardware_concurrency() / 4);
}

struct Shared {
    YaraLibrary lib;
    YaraRules rules;
    mutable triage::yara::BufferBudget budget;
    Shared(const triage_host_api* api, triage_host* host)
        : rules(api, host), budget(budget_bytes(api, host, rules)) {}
};

std::string escape(const uint8_t* p, size_t n) {
    std::string out;
    for (size_t i = 0; i < n; ++i) {
        unsigned char c = p[i];
        if (c >= 0x20 && c < 0x7f && c != '\\') {
            out += static_cast<char>(c);
        } else {
            char b[8];
            std::snprintf(b, sizeof b, "\\x%02x", c);
            out += b;
        }
    }
    return out;
}

int severity_of(const YR_META* m) {
    if (m->type == META_TYPE_INTEGER) return static_cast<int>(std::clamp<int64_t>(m->integer, 0, 10));
    std::string s = m->string ? m->string : "";
    if (s == "critical") return 10;
    if (s == "high") return 8;
    if (s == "medium") return 5;
    if (s == "low") return 3;
    return 0;
}

struct RuleHit {
    std::string ns, category;
    int severity = 0;
    nlohmann::json tags = nlohmann::json::array(), meta = nlohmann::json::object(), strings = nlohmann::json::array();
    int64_t first_offset = -1, first_length = -1;
    size_t string_count = 0;
};

class YaraScan final : public triage::sdk::Detector {
public:
    YaraScan(const triage_host_api* api, triage_host* host, const Shared& shared)
        : Detector(api, host), r_(shared.rules), budget_(shared.budget) {
        if (!r_.rules) return;  // no rules this scan
        if (yr_scanner_create(r_.rules, &scanner_) != ERROR_SUCCESS) throw std::runtime_error("cannot create a YARA scanner");
        yr_scanner_set_callback(scanner_, &YaraScan::on_message, this);
        yr_scanner_set_timeout(scanner_, r_.timeout);
    }
    ~YaraScan() override {
        give_back();
        if (scanner_) yr_scanner_destroy(scanner_);
    }

    void begin(const triage_object_info& o) override {
        hits_.clear();
        if (!scanner_) return;
        give_back();  // an object cut short (its end never came) still held its bytes
        buf_.clear();
        page_start_ = 0;
        paged_ = false;
        take_budget(o);
        std::string name = o.name ? o.name : "", path = o.path ? o.path : "";
        auto dot = name.find_last_of('.');
        std::string ext = dot == std::string::npos ? "" : name.substr(dot + 1);
        std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
        yr_scanner_define_string_variable(scanner_, "filename", name.c_str());
        yr_scanner_define_string_variable(scanner_, "filepath", path.c_str());
        yr_scanner_define_string_variable(scanner_, "extension", ext.c_str());
        yr_scanner_define_boolean_variable(scanner_, "deleted", o.allocated ? 0 : 1);
        yr_scanner_define_boolean_variable(scanner_, "carved", o.kind == TRIAGE_OBJECT_CHILD ? 1 : 0);
    }

    void block(const uint8_t* data, size_t len, uint64_t) override {
        if (!scanner_) return;
        // Grow to what a page and its margin need, not by doubling past it (a 64 MiB page would
        // otherwise leave a 128 MiB buffer behind in every worker).
        if (buf_.size() + len > buf_.capacity())
            buf_.reserve(std::min<size_t>(std::max<size_t>(buf_.capacity() * 2, buf_.size() + len),
                                          r_.page_bytes + r_.margin_bytes + len));
        buf_.insert(buf_.end(), data, data + len);
        // A full page plus its margin is here: scan the page, keep the margin for the next one.
        while (buf_.size() >= r_.page_bytes + r_.margin_bytes) {
            paged_ = true;
            scan(r_.page_bytes);
            buf_.erase(buf_.begin(), buf_.begin() + static_cast<std::ptrdiff_t>(r_.page_bytes));
            page_start_ += r_.page_bytes;
        }
    }

    void end() override {
        if (!scanner_) return;
        const bool skip = marked("skip");  // a known-good file and the examiner skips those
        {
            // Memory stays flat: a buffer a large object grew is given back, small ones are
            // kept; and its share of the budget, even when the scan fails (a timeout).
            struct Release {
                YaraScan& s;
                ~Release() {
                    if (s.buf_.capacity() > kKeepBufferBytes) std::vector<uint8_t>().swap(s.buf_);
                    s.give_back();
                }
            } release{*this};
            if (skip)
                hits_.clear();
            else if (!buf_.empty() || (!paged_ && page_start_ == 0))
                scan(buf_.size());
        }
        if (skip) return;
        for (auto& [rule, h] : hits_) {
            nlohmann::json detail = {{"namespace", h.ns}, {"tags", h.tags}, {"meta", h.meta}, {"strings", h.strings}};
            if (h.string_count > h.strings.size()) detail["strings_not_shown"] = h.string_count - h.strings.size();
            if (paged_) detail["scanned_in_pages_of"] = r_.page_bytes;
            std::string d = detail.dump();
            std::string id = rule.substr(rule.find('\n') + 1);
            triage_finding f{sizeof f, "yara", id.c_str(), h.category.empty() ? nullptr : h.category.c_str(),
                             h.severity, h.first_offset, h.first_length, d.c_str()};
            emit_finding(f);
        }
    }

private:
    // An object over the kept buffer's size takes what its buffer will hold from the shared
    // budget before its first block, and reserves it at once (growing by doubling would hold
    // the old and the new buffer together). Only files and streams wait; children never do
    // (see buffer_budget.hpp).
    void take_budget(const triage_object_info& o) {
        const uint64_t need = std::min<uint64_t>(o.size, r_.page_bytes + r_.margin_bytes);
        if (need <= kKeepBufferBytes) return;
        const bool may_wait = o.kind == TRIAGE_OBJECT_FILE || o.kind == TRIAGE_OBJECT_STREAM;
        // Waiting counts against the object's time budget: wait at most a quarter of what is left.
        auto patience = std::chrono::steady_clock::duration(std::chrono::seconds(kPatienceSeconds));
        if (const std::string left = option(TRIAGE_OPTION_TIME_LEFT_MS); !left.empty())
            patience = std::min(patience, std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                              std::chrono::milliseconds(std::stoll(left) / 4)));
        const auto g = budget_.take(need, may_wait, patience);
        held_ = g.bytes;
        if (g.over && may_wait)
            log(TRIAGE_LOG_WARNING, "YARA buffer budget (" + std::to_string(budget_.limit() >> 20) +
                                     " MiB) still taken after " +
                                     std::to_string(std::chrono::duration_cast<std::chrono::seconds>(g.waited).count()) +
                                     " s; " + (o.path ? o.path : "") + " buffered over it");
        buf_.reserve(need);
    }
    void give_back() {
        budget_.give(held_);
        held_ = 0;
    }

    // Scans buf_; matches starting at or after report_limit (the margin) belong to the next page.
    void scan(size_t report_limit) {
        report_limit_ = report_limit;
        // libyara cannot be interrupted from outside: bound this call by what is left of the
        // object's time budget (--detector-timeout) as well as by the timeout option.
        int timeout = r_.timeout;
        const std::string left = option(TRIAGE_OPTION_TIME_LEFT_MS);
        if (!left.empty()) {
            const int budget_s = static_cast<int>(std::clamp<long long>((std::stoll(left) + 999) / 1000, 1, 1 << 30));
            timeout = timeout <= 0 ? budget_s : std::min(timeout, budget_s);
        }
        yr_scanner_set_timeout(scanner_, timeout);
        int rc = yr_scanner_scan_mem(scanner_, buf_.data(), buf_.size());
        if (rc == ERROR_SCAN_TIMEOUT)
            throw std::runtime_error("YARA scan timed out after " + std::to_string(timeout) + " s at object offset " +
                                     std::to_string(page_start_) +
                                     (timeout != r_.timeout ? " (the per-object time budget, --detector-timeout)" : ""));
        if (rc != ERROR_SUCCESS && rc != ERROR_TOO_MANY_MATCHES)
            throw std::runtime_error("YARA scan failed (error " + std::to_string(rc) + ")");
    }

    static int on_message(YR_SCAN_CONTEXT* ctx, int message, void* data, void* user) {
        if (message != CALLBACK_MSG_RULE_MATCHING) return CALLBACK_CONTINUE;
        auto* self = static_cast<YaraScan*>(user);
        const auto* rule = static_cast<const YR_RULE*>(data);
        self->record(ctx, rule);
        return CALLBACK_CONTINUE;
    }

    // libyara 4.2 keeps match records in a notebook allocator that does not align them, so
    // reading them trips UBSan's alignment check (x86-64 does not care); the exemption is for
    // libyara's layout, not for anything this function owns.
#if defined(__clang__) || defined(__GNUC__)
    __attribute__((no_sanitize("alignment")))
#endif
    void record(YR_SCAN_CONTEXT* ctx, const YR_RULE* rule) {
        const std::string ns = rule->ns && rule->ns->name ? rule->ns->name : "";
        RuleHit& h = hits_[ns + "\n" + rule->identifier];
        if (h.ns.empty()) {
            h.ns = ns;
            const char* tag = nullptr;
            yr_rule_tags_foreach(rule, tag) h.tags.push_back(tag);
            const YR_META* meta = nullptr;
            yr_rule_metas_foreach(rule, meta) {
                std::string key = meta->identifier;
                if (meta->type == META_TYPE_INTEGER)
                    h.meta[key] = meta->integer;
                else if (meta->type == META_TYPE_BOOLEAN)
                    h.meta[key] = meta->integer != 0;
                else
                    h.meta[key] = meta->string ? meta->string : "";
                if (key == "severity" || key == "score") h.severity = std::max(h.severity, severity_of(meta));
                if (key == "category" && meta->type == META_TYPE_STRING) h.category = meta->string;
            }
            if (h.category.empty() && !h.tags.empty()) h.category = h.tags.front().get<std::string>();
        }
        const YR_STRING* s = nullptr;
        const YR_MATCH* m = nullptr;
        yr_rule_strings_foreach(rule, s) {
            yr_string_matches_foreach(ctx, s, m) {
                const uint64_t in_buf = static_cast<uint64_t>(m->base + m->offset);
                if (in_buf >= report_limit_) continue;  // the next page reports it
                const int64_t off = static_cast<int64_t>(page_start_ + in_buf);
                if (h.first_offset < 0 || off < h.first_offset) {
                    h.first_offset = off;
                    h.first_length = m->match_length;
                }
                ++h.string_count;
                if (h.strings.size() >= r_.max_strings) continue;
                const size_t before = std::min<uint64_t>(in_buf, 16);
                const size_t len = std::min<size_t>(m->match_length, 64);
                const size_t after = std::min<size_t>(16, buf_.size() - std::min(buf_.size(), in_buf + len));
                h.strings.push_back({{"id", s->identifier},
                                     {"offset", off},
                                     {"length", m->match_length},
                                     {"context", escape(buf_.data() + in_buf - before, before + len + after)}});
            }
        }
    }

    const YaraRules& r_;
    triage::yara::BufferBudget& budget_;
    uint64_t held_ = 0;  // bytes of the budget this object holds
    YR_SCANNER* scanner_ = nullptr;
    static constexpr size_t kKeepBufferBytes = 4u << 20;
    static constexpr int kPatienceSeconds = 10;
    std::vector<uint8_t> buf_;
    uint64_t page_start_ = 0;
    size_t report_limit_ = 0;
    bool paged_ = false;
    std::map<std::string, RuleHit> hits_;
};

const triage_detector kYara = triage::sdk::describe<YaraScan, Shared>(
    "yara", "1.0.0", "triage project", "YARA rules (the shipped set in rules/ and --rules) on every object",
    TRIAGE_WANT_BLOCKS | TRIAGE_WANT_HEAVY, kOptions, sizeof kOptions / sizeof kOptions[0]);
const triage_detector* const kDetectors[] = {&kYara};
const triage_plugin kPlugin{sizeof(triage_plugin), 1, kDetectors, 1};

}  // namespace

extern "C" const triage_plugin* triage_builtin_yara_entry(uint32_t /*host_api_version*/) { return &kPlugin; }
