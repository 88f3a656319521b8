// triage: command-line entry point. Each subcommand is a thin layer over the stages.
#include "cli/commands.hpp"
#include "engine/detector_instance.hpp"
#include "engine/detectors.hpp"
#include "engine/scan.hpp"
#include "evidence/image.hpp"
#include "evidence/image_hash.hpp"
#include "export/export_file.hpp"
#include "index/case_index.hpp"
#include "layout/layout.hpp"
#include "util/text.hpp"

#include <CLI/CLI.hpp>

#include <openssl/evp.h>
#include <malloc.h>
#include <termios.h>

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <thread>

using namespace triage;

namespace {

void on_signal(int) { engine::g_cancel = true; }

void install_signal_handlers() {
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
}

// Secrets for encrypted volumes: each option value is "SECRET" (every image) or "N=SECRET"
// (image N, counted from 1 in the order given). The same for files.
struct SecretArgs {
    std::vector<std::string> passwords, recovery, key_files, startup_keys, password_files;
    bool ask = false;
};

void add_secret_options(CLI::App* sub, SecretArgs& a) {
    sub->add_option("--password", a.passwords,
                    "Password of an encrypted volume (LUKS, BitLocker); N=PASSWORD for the Nth image only. Visible in "
                    "the process list: prefer --password-file or --ask-password");
    sub->add_option("--recovery-password", a.recovery, "BitLocker recovery password ([N=]VALUE)");
    sub->add_option("--key-file", a.key_files, "LUKS key file ([N=]FILE)");
    sub->add_option("--startup-key", a.startup_keys, "BitLocker startup key, a .BEK file ([N=]FILE)");
    sub->add_option("--password-file", a.password_files, "Read the password from the first line of FILE ([N=]FILE)");
    sub->add_flag("--ask-password", a.ask, "Ask on the terminal (no echo) for a password for each image");
}

// "N=VALUE" → (N-1, VALUE) when N is a valid image number, else (all, VALUE).
std::pair<std::optional<size_t>, std::string> split_target(const std::string& v, size_t images) {
    auto eq = v.find('=');
    if (eq != std::string::npos && eq > 0 && eq < 5 &&
        std::all_of(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(eq), [](char c) { return c >= '0' && c <= '9'; })) {
        size_t n = std::stoul(v.substr(0, eq));
        if (n < 1 || n > images)
            throw std::invalid_argument("secret for image " + std::to_string(n) + ", but " + std::to_string(images) +
                                        " image(s) were given");
        return {n - 1, v.substr(eq + 1)};
    }
    return {std::nullopt, v};
}

std::string ask_password(const std::string& prompt) {
    FILE* tty = std::fopen("/dev/tty", "r+");
    if (!tty) throw std::runtime_error("--ask-password: no terminal to ask on");
    std::fprintf(tty, "%s", prompt.c_str());
    std::fflush(tty);
    termios old{};
    const int fd = fileno(tty);
    const bool term = tcgetattr(fd, &old) == 0;
    if (term) {
        termios quiet = old;
        quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
        tcsetattr(fd, TCSAFLUSH, &quiet);
    }
    char buf[1024];
    std::string line = std::fgets(buf, sizeof buf, tty) ? buf : "";
    if (term) tcsetattr(fd, TCSAFLUSH, &old);
    std::fprintf(tty, "\n");
    std::fclose(tty);
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
    return line;
}

std::vector<volumes::Secrets> build_secrets(const SecretArgs& a, const std::vector<std::string>& images) {
    std::vector<volumes::Secrets> out(images.size());
    auto add = [&](const std::vector<std::string>& values, auto member, bool from_file) {
        for (const auto& v : values) {
            auto [target, value] = split_target(v, images.size());
            if (from_file) {
                std::ifstream in(value);
                if (!in) throw std::invalid_argument("cannot read password file '" + value + "'");
                std::getline(in, value);
                while (!value.empty() && value.back() == '\r') value.pop_back();
            } else if (member == &volumes::Secrets::key_files || member == &volumes::Secrets::startup_keys) {
                std::error_code ec;
                if (!std::filesystem::is_regular_file(value, ec))
                    throw std::invalid_argument("key file '" + value + "' does not exist or is not a file");
            }
            for (size_t i = 0; i < out.size(); ++i)
                if (!target || *target == i) (out[i].*member).push_back(value);
        }
    };
    add(a.passwords, &volumes::Secrets::passwords, false);
    add(a.password_files, &volumes::Secrets::passwords, true);
    add(a.recovery, &volumes::Secrets::recovery_passwords, false);
    add(a.key_files, &volumes::Secrets::key_files, false);
    add(a.startup_keys, &volumes::Secrets::startup_keys, false);
    if (a.ask)
        for (size_t i = 0; i < images.size(); ++i) {
            std::string p = ask_password("Password for encrypted volumes in " + images[i] + " (empty: none): ");
            if (!p.empty()) out[i].passwords.push_back(p);
        }
    return out;
}

// The command line as the audit log records it: secret values replaced.
std::vector<std::string> redact_secrets(int argc, char** argv) {
    static const std::set<std::string> secret_opts = {"--password", "--recovery-password"};
    std::vector<std::string> out;
    for (int i = 0; i < argc; ++i) {
        std::string s = argv[i];
        bool next_secret = false;
        for (const auto& o : secret_opts) {
            if (s == o) next_secret = true;
            else if (s.rfind(o + "=", 0) == 0) s = o + "=(secret)";
        }
        out.push_back(s);
        if (next_secret && i + 1 < argc) {
            out.push_back("(secret)");
            ++i;
        }
    }
    return out;
}

// Overwrites secret values in argv so /proc/PID/cmdline no longer shows them once parsed.
void scrub_argv(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
        std::string s = argv[i];
        for (const char* o : {"--password", "--recovery-password"}) {
            const size_t n = std::strlen(o);
            if (s == o && i + 1 < argc) std::memset(argv[i + 1], 'x', std::strlen(argv[i + 1]));
            else if (s.size() > n && s.compare(0, n, o) == 0 && s[n] == '=')
                std::memset(argv[i] + n + 1, 'x', s.size() - n - 1);
        }
    }
}

int cmd_verify_image(const std::string& path, bool quiet) {
    auto img = evidence::open_image(path);
    auto h = evidence::hash_image(*img);
    const auto& st = img->stored_hashes();
    auto integrity = img->integrity_errors();
    std::string verdict = evidence::verdict(st, h, !integrity.empty());
    std::cout << "evidence:        " << path << "\n"
              << "format:          " << img->format() << " (" << img->segments().size() << " segment(s))\n"
              << "size:            " << img->size() << " bytes\n"
              << "stored md5:      " << (st.md5.empty() ? "-" : st.md5) << "\n"
              << "stored sha1:     " << (st.sha1.empty() ? "-" : st.sha1) << "\n"
              << "computed md5:    " << (h.complete ? h.md5 : "-") << "\n"
              << "computed sha1:   " << (h.complete ? h.sha1 : "-") << "\n"
              << "computed sha256: " << (h.complete ? h.sha256 : "-") << "\n";
    for (const auto& e : integrity) std::cout << "integrity:       " << e << "\n";
    if (!h.complete) std::cout << "error:           " << h.error << "\n";
    std::cout << "verification:    " << verdict << "\n";
    (void)quiet;
    if (!h.complete) return 1;
    if (verdict == "mismatch" || !integrity.empty()) return 3;
    return 0;
}

int cmd_info(const std::string& path, const volumes::Secrets& secrets, bool hash_volumes) {
    auto img = evidence::open_image(path);
    std::cout << "Evidence: " << path << "\nFormat: " << img->format() << "\nSegments:";
    for (const auto& s : img->segments()) std::cout << " " << s;
    std::cout << "\nSize: " << img->size() << " bytes (" << util::human_bytes(img->size()) << ")\n";
    if (!img->stored_hashes().md5.empty()) std::cout << "Stored MD5: " << img->stored_hashes().md5 << "\n";
    if (!img->stored_hashes().sha1.empty()) std::cout << "Stored SHA-1: " << img->stored_hashes().sha1 << "\n";
    std::cout << layout::describe(img->tsk());
    for (const auto& [parent, c] : layout::find_containers(img->tsk(), secrets)) {
        std::cout << "Container: " << c.kind << " at offset " << c.offset << " of "
                  << (parent.empty() ? std::string("the image") : "volume " + parent) << ", " << c.length
                  << " bytes: " << c.status << (c.reason.empty() ? "" : " (" + c.reason + ")") << "\n"
                  << "    " << c.detail.dump() << "\n";
        for (const auto& v : c.volumes) {
            std::cout << "    volume " << v->label() << ", " << v->size() << " bytes";
            if (hash_volumes) {
                std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> md(EVP_MD_CTX_new(), EVP_MD_CTX_free);
                EVP_DigestInit_ex(md.get(), EVP_sha256(), nullptr);
                std::vector<uint8_t> buf(1 << 20);
                uint64_t off = 0;
                bool ok = true;
                while (off < v->size()) {
                    int64_t n = v->read(off, buf.data(), static_cast<size_t>(std::min<uint64_t>(buf.size(), v->size() - off)));
                    if (n <= 0) {
                        ok = false;
                        break;
                    }
                    EVP_DigestUpdate(md.get(), buf.data(), static_cast<size_t>(n));
                    off += static_cast<uint64_t>(n);
                }
                unsigned char d[32];
                unsigned int dl = 0;
                EVP_DigestFinal_ex(md.get(), d, &dl);
                std::string hex;
                for (unsigned i = 0; i < dl; ++i) {
                    char b[3];
                    std::snprintf(b, sizeof b, "%02x", d[i]);
                    hex += b;
                }
                std::cout << ", sha256 " << (ok ? hex : "unreadable at offset " + std::to_string(off));
            }
            std::cout << "\n";
        }
    }
    return 0;
}

int cmd_ls(const std::string& case_dir, bool deleted, const std::string& glob, const std::string& hash,
           int64_t evidence, bool header, bool only_in_snapshots) {
    index::CaseIndex idx(case_dir, false, true);
    std::string sql =
        "SELECT file_id, evidence_id, partition_offset, allocated, meta_type, type, size, md5, sha256, mtime, "
        "CASE WHEN volume IS NULL THEN path ELSE volume || ':' || path END "
        "FROM v_files v "
        "WHERE 1";
    // Files of a shadow copy that the volume it belongs to does not hold with the same content.
    if (only_in_snapshots)
        sql += " AND v.meta_type = 'r' AND (v.volume LIKE 'vss:%' OR v.volume LIKE '%>vss:%') AND NOT EXISTS "
               "(SELECT 1 FROM v_files c WHERE c.evidence_id = v.evidence_id AND ifnull(c.volume, '') = "
               "(CASE WHEN instr(v.volume, '>vss:') > 0 THEN substr(v.volume, 1, instr(v.volume, '>vss:') - 1) ELSE '' END) "
               "AND c.path = v.path AND c.md5 IS v.md5)";
    if (deleted) sql += " AND allocated = 0";
    if (!glob.empty()) sql += " AND path GLOB ?1";
    if (!hash.empty()) sql += " AND (md5 = lower(?2) OR sha1 = lower(?2) OR sha256 = lower(?2))";
    if (evidence > 0) sql += " AND evidence_id = ?3";
    sql += " ORDER BY evidence_id, ifnull(volume, ''), partition_offset, path";
    auto s = idx.db().prepare(sql);
    if (!glob.empty()) s.bind(1, glob);
    if (!hash.empty()) s.bind(2, hash);
    if (evidence > 0) s.bind(3, evidence);
    if (header)
        std::cout << "file_id\tevidence\tpartition_offset\tallocated\tmeta_type\ttype\tsize\tmd5\tsha256\tmtime\tpath\n";
    while (s.step()) {
        for (int i = 0; i < 11; ++i) {
            // Control characters and bytes that are not UTF-8 are escaped: one line per file, and
            // nothing in a name or a type can drive the terminal.
            const std::string v = s.col_null(i) ? "-" : util::terminal_safe(s.col_text(i));
            std::cout << v << (i == 10 ? "\n" : "\t");
        }
    }
    return 0;
}

int cmd_audit(const std::string& case_dir, bool check) {
    index::CaseIndex idx(case_dir, false, true);
    if (check) {
        auto r = idx.check_audit();
        std::cout << (r.ok ? "OK: " : "BROKEN: ") << r.message << "\n";
        return r.ok ? 0 : 3;
    }
    auto s = idx.db().prepare("SELECT seq, time, action, detail, hash FROM audit ORDER BY seq");
    while (s.step())
        std::cout << s.col_int(0) << "\t" << s.col_text(1) << "\t" << s.col_text(2) << "\t" << s.col_text(3) << "\t"
                  << s.col_text(4).substr(0, 16) << "\n";
    return 0;
}

// Scan presets (issue 8): 'hashes' is the quickest useful pass (what known-file triage needs);
// 'full' runs every detector, carving included, since the one sequential read of the image
// passes over the unallocated space anyway.
void apply_preset(engine::DetectorSet& set, const std::string& preset) {
    if (preset == "hashes") {
        set.enable_only({"hash", "hashset", "filetype"});
        set.set_option("filetype.describe=false");     // the MIME type is the 'type'; the description costs as much again
        set.set_option("filetype.text_types=false");  // text by encoding (text/plain): libmagic's text tests are 3/4 of its cost
        return;
    }
    std::vector<std::string> all;
    for (const auto& d : set.all()) all.push_back(d.desc->name);
    set.enable(all);
}

int cmd_plugins(const engine::DetectorSet& set) {
    for (const auto& d : set.all()) {
        std::cout << d.desc->name << " " << d.desc->version << "  (" << d.origin << ")"
                  << (d.enabled ? "" : " [disabled]") << "\n    " << (d.desc->description ? d.desc->description : "")
                  << "\n";
        for (size_t i = 0; i < d.desc->option_count; ++i) {
            const auto& o = d.desc->options[i];
            std::cout << "    option " << o.key << " (" << o.type << ", default " << (o.default_value ? o.default_value : "")
                      << "): " << (o.help ? o.help : "") << "\n";
        }
    }
    return 0;
}

}  // namespace

namespace {

// glibc gives each new thread a malloc arena of its own, up to 8 per core, and an arena keeps
// what its threads freed. A scan's threads (readers, workers, range lanes, the groups a large
// object is split into) each filling an arena with large buffers held the peak RSS up: on the
// 4 GiB benchmark corpus 482 MiB, against 391 MiB with one arena per core and the same speed.
//
// Large buffers (a file YARA or PDQ holds whole, a text page's decoded view) are allocated once
// per object and freed after it. glibc puts those under its mmap threshold into an arena, and it
// raises the threshold (up to 32 MiB) each time such a buffer is freed, so they stayed in the
// arenas as holes the next allocations did not fill: the 4 GiB corpus's full preset peaked at
// 328 MiB of RSS for 218 MiB of heap. A fixed threshold just above the stream's 4 MiB chunks
// maps every larger buffer on its own and gives it back when freed: 241-272 MiB, at the same
// speed (the 4 MiB chunks and 1 MiB blocks, allocated all the time, stay in the arenas).
//
// An examiner's own MALLOC_ARENA_MAX, MALLOC_MMAP_THRESHOLD_ or glibc tunable is left alone.
void tune_malloc() {
    const char* tunables = std::getenv("GLIBC_TUNABLES");
    auto set_by_examiner = [&](const char* env, const char* tunable) {
        return std::getenv(env) || (tunables && std::strstr(tunables, tunable));
    };
    if (!set_by_examiner("MALLOC_ARENA_MAX", "arena_max"))
        mallopt(M_ARENA_MAX, static_cast<int>(std::max(2u, std::thread::hardware_concurrency())));
    if (!set_by_examiner("MALLOC_MMAP_THRESHOLD_", "mmap_threshold")) {
        constexpr int kThreshold = (4 << 20) + (64 << 10);  // compared with the chunk, header included
        mallopt(M_MMAP_THRESHOLD, kThreshold);
        // Fixing it also fixes the trim threshold at its 128 KiB default: the arenas would give
        // back, and fault in again, the 4 MiB chunks and 1 MiB blocks they recycle all the time
        // (the hashes preset ran 4-8 % slower; 1.9 million page faults against 0.66 million in a
        // full scan). 32 MiB keeps the stream's window in them, as glibc's own adjustment did.
        if (!set_by_examiner("MALLOC_TRIM_THRESHOLD_", "trim_threshold")) mallopt(M_TRIM_THRESHOLD, 32 << 20);
    }
}

}  // namespace

int main(int argc, char** argv) {
    // External plugins run in a child process of this executable (engine/plugin_process.cpp).
    if (argc > 1 && std::string(argv[1]) == "__plugin-host") return engine::plugin_host_main(argc, argv);
    std::signal(SIGPIPE, SIG_IGN);
    tune_malloc();
    CLI::App app{"triage " TRIAGE_VERSION ": digital-evidence triage of seized disk images"};
    app.require_subcommand(1);
    app.set_version_flag("--version", "triage " TRIAGE_VERSION);

    engine::ScanOptions so;
    std::vector<std::string> plugin_dirs, enable, disable, options;
    auto* scan = app.add_subcommand("scan", "Scan evidence images into a case index");
    scan->add_option("images", so.images, "Evidence images (raw/dd, split raw first segment, E01, AFF, VMDK, VHD)")
        ->required();
    scan->add_option("--case", so.case_dir, "Case folder (created if missing); the index is CASE/index.db")->required();
    scan->add_option("--examiner", so.examiner, "Examiner's name, recorded in the case and audit log");
    scan->add_option("--case-number", so.case_number, "Case number, recorded in the case");
    scan->add_flag("--quiet,-q", so.quiet, "No progress display or summary");
    scan->add_option("--jobs,-j", so.jobs, "Worker threads (default: one per core)")->check(CLI::Range(0u, 1024u));
    scan->add_option("--plugin-dir", plugin_dirs,
                     "Load detector plugins (*.so) from DIR (default: " + engine::default_plugin_dir() + " if it exists)");
    scan->add_option("--enable", enable, "Run only these detectors")->delimiter(',');
    scan->add_option("--disable", disable, "Do not run these detectors")->delimiter(',');
    std::string preset = "full";
    scan->add_option("--preset", preset,
                     "Which detectors run: 'full' (default: every detector, carving included) or 'hashes' (image "
                     "and file hashes, hash sets, file type); --enable/--disable adjust it")
        ->check(CLI::IsMember({"full", "hashes"}));
    bool carve_flag = false;
    scan->add_flag("--carve", carve_flag, "Carve files out of unallocated space (on in the full preset; docs/carving.md)");
    scan->add_option("--option", options, "Detector option NAME.KEY=VALUE");
    std::vector<std::string> rules_paths;
    bool rules_skip_broken = false;
    scan->add_option("--rules", rules_paths, "Further YARA rule files or folders (recursively) beside the shipped set");
    scan->add_flag("--rules-skip-broken", rules_skip_broken,
                   "Skip rule files that do not compile (recorded in the errors and audit log) instead of refusing");
    std::string keywords_file;
    scan->add_option("--keywords", keywords_file,
                     "Keywords file for the keywords detector: one term a line, 're:' before a regex (docs/identifiers.md)")
        ->check(CLI::ExistingFile);
    std::string hashsets_dir;
    scan->add_option("--hashsets", hashsets_dir,
                     "Hash-set directory for the hashset detector (default: $TRIAGE_HASHSETS, else "
                     "$XDG_DATA_HOME/triage/hashsets, else ~/.local/share/triage/hashsets)");
    scan->add_option("--detector-timeout", so.detector_timeout_s,
                     "Seconds a detector may spend on one object (on each GiB of it) before it is cut off (default 60)")
        ->check(CLI::PositiveNumber);
    scan->add_option("--plugin-memory", so.plugin_memory_mb,
                     "Memory limit of each external plugin process, MiB (default 2048)")
        ->check(CLI::Range(16, 1 << 20));
    scan->add_option("--whole-object-cap", so.whole_object_cap_mb,
                     "Largest object (MiB) handed whole to detectors that want whole objects (default 32)")
        ->check(CLI::Range(1, 1 << 16));
    scan->add_option("--split-objects-mib", so.split_object_mb,
                     "Objects of this size (MiB) or more have their detectors run on several threads at once "
                     "(default 8; 0: never)")
        ->check(CLI::Range(0, 1 << 20));

    SecretArgs secret_args;
    add_secret_options(scan, secret_args);
    scan->add_flag("!--no-snapshot-reuse", so.reuse_snapshots,
                   "Read every shadow-copy file again, even those whose MFT record and data are unchanged from the "
                   "current volume (by default they take its hashes)");
    scan->add_flag("!--file-by-file", so.one_read,
                   "Read each file through TSK as the walk lists it, and the image again for its hash, instead "
                   "of the one sequential read of the image (for comparison; docs/performance.md)");
    scan->add_flag("--skip-known-good,!--no-skip-known-good", so.skip_known_good,
                   "Heavy detectors (YARA ...) skip files found in a known-good hash set (default: on)");

    std::string vi_path;
    bool vi_quiet = false;
    auto* vi = app.add_subcommand("verify-image", "Hash an image and check it against the hashes an E01 stores");
    vi->add_option("image", vi_path, "Evidence image")->required();
    vi->add_flag("--quiet,-q", vi_quiet, "Less output");

    std::string info_path;
    auto* info = app.add_subcommand("info", "Show the format, volumes, containers and file systems of an image");
    info->add_option("image", info_path, "Evidence image")->required();
    SecretArgs info_secrets;
    add_secret_options(info, info_secrets);
    bool info_hash = false;
    info->add_flag("--hash-volumes", info_hash, "SHA-256 of each opened container volume (the decrypted data)");

    std::string ls_case, ls_glob, ls_hash;
    bool ls_deleted = false, ls_noheader = false;
    int64_t ls_evidence = 0;
    auto* ls = app.add_subcommand("ls", "List files from a case index");
    ls->add_option("case", ls_case, "Case folder")->required();
    ls->add_flag("--deleted,-d", ls_deleted, "Only deleted and orphan entries");
    ls->add_option("--path", ls_glob, "Only paths matching this glob (e.g. '/Users/*.jpg')");
    ls->add_option("--hash", ls_hash, "Only files with this MD5, SHA-1 or SHA-256");
    ls->add_option("--evidence", ls_evidence, "Only this evidence id");
    ls->add_flag("--no-header", ls_noheader, "Omit the header line");
    bool ls_snap = false;
    ls->add_flag("--only-in-snapshots", ls_snap,
                 "Only files of Volume Shadow Copies that are missing from, or differ from, the current volume");

    std::string ex_case, ex_to;
    int64_t ex_id = 0;
    auto* ex = app.add_subcommand("export", "Write one file's content from the evidence into a folder");
    ex->add_option("case", ex_case, "Case folder")->required();
    ex->add_option("file_id", ex_id, "file_id from v_files / triage ls")->required();
    ex->add_option("--to", ex_to, "Output folder")->required();
    bool ex_sensitive = false;
    SecretArgs ex_secrets;
    add_secret_options(ex, ex_secrets);
    ex->add_flag("--sensitive", ex_sensitive,
                 "Allow exporting a file marked sensitive (matched as abuse material); recorded in the audit log");

    std::string au_case;
    bool au_check = false;
    auto* au = app.add_subcommand("audit", "Show the case's audit log");
    au->add_option("case", au_case, "Case folder")->required();
    au->add_flag("--check", au_check, "Verify the hash chain; non-zero exit when broken");

    auto* pl = app.add_subcommand("plugins", "List built-in and loaded detectors with their options");
    pl->add_option("--plugin-dir", plugin_dirs, "Also load plugins from DIR");

    // Subcommands defined in their own files (cli/cmd_*.cpp) add themselves here.
    cli::Commands commands;
    cli::add_report_commands(app, commands);
    cli::add_bundle_commands(app, commands);
    cli::add_identifiers_commands(app, commands);
    cli::add_hashset_commands(app, commands);
    cli::add_similar_commands(app, commands);
    cli::add_carve_commands(app, commands);
    cli::add_geo_commands(app, commands);

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e) == 0 ? 0 : engine::kExitUsage;
    }

    try {
        if (*scan || *pl) {
            engine::DetectorSet set;
            set.load_builtins();
            std::vector<std::string> dirs = plugin_dirs;
            std::error_code ec;
            if (dirs.empty() && std::filesystem::is_directory(engine::default_plugin_dir(), ec))
                dirs.push_back(engine::default_plugin_dir());
            for (const auto& d : dirs)
                for (const auto& problem : set.load_directory(d)) std::cerr << "triage: warning: " << util::terminal_safe(problem) << "\n";
            if (*pl) return cmd_plugins(set);
            try {
                apply_preset(set, preset);
                if (!enable.empty()) set.enable_only(enable);
                if (carve_flag) set.enable({"carve"});
                set.disable(disable);
                for (const auto& o : options) set.set_option(o);
                if (!rules_paths.empty()) {
                    std::string joined;
                    for (const auto& p : rules_paths) joined += (joined.empty() ? "" : "\n") + p;
                    set.set_option("yara.rules=" + joined);
                }
                if (rules_skip_broken) set.set_option("yara.skip_broken=true");
                if (!keywords_file.empty()) set.set_option("keywords.file=" + keywords_file);
                if (!hashsets_dir.empty()) set.set_option("hashset.dir=" + hashsets_dir);
            } catch (const std::invalid_argument& e) {
                std::cerr << "triage scan: " << e.what() << "\n";
                return engine::kExitUsage;
            }
            so.command_line = redact_secrets(argc, argv);
            try {
                so.secrets = build_secrets(secret_args, so.images);
            } catch (const std::invalid_argument& e) {
                std::cerr << "triage scan: " << e.what() << "\n";
                return engine::kExitUsage;
            }
            scrub_argv(argc, argv);
            install_signal_handlers();
            return engine::run_scan(so, set);
        }
        for (const auto& c : commands)
            if (*c.sub) return c.run();
        if (*vi) return cmd_verify_image(vi_path, vi_quiet);
        if (*info) {
            std::vector<volumes::Secrets> s;
            try {
                s = build_secrets(info_secrets, {info_path});
            } catch (const std::invalid_argument& e) {
                std::cerr << "triage info: " << e.what() << "\n";
                return engine::kExitUsage;
            }
            scrub_argv(argc, argv);
            return cmd_info(info_path, s[0], info_hash);
        }
        if (*ls) return cmd_ls(ls_case, ls_deleted, ls_glob, ls_hash, ls_evidence, !ls_noheader, ls_snap);
        if (*au) return cmd_audit(au_case, au_check);
        if (*ex) {
            index::CaseIndex idx(ex_case, false);
            const bool sensitive = exporter::is_sensitive(idx, ex_id);
            if (sensitive && !ex_sensitive) {
                std::cerr << "triage export: file " << ex_id
                          << " is marked sensitive (matched as abuse material); it is not exported without --sensitive\n";
                idx.audit("sensitive export refused", {{"file_id", ex_id}, {"to", ex_to}});
                return 3;
            }
            std::vector<volumes::Secrets> secrets;
            try {
                secrets = build_secrets(ex_secrets, {ex_case});
            } catch (const std::invalid_argument& e) {
                std::cerr << "triage export: " << e.what() << "\n";
                return engine::kExitUsage;
            }
            scrub_argv(argc, argv);
            auto r = exporter::export_file(idx, ex_id, ex_to, secrets[0]);
            idx.audit(sensitive ? "sensitive file exported" : "file exported",
                      {{"file_id", ex_id}, {"to", r.written_path}, {"sha256", r.sha256}, {"bytes", r.bytes}});
            std::cout << r.written_path << "\t" << r.bytes << " bytes\tsha256 " << r.sha256 << "\n";
            if (r.index_has_hash && !r.hash_matches_index) {
                std::cerr << "triage: warning: exported content's SHA-256 differs from the indexed one\n";
                return 3;
            }
            return 0;
        }
    } catch (const evidence::ImageError& e) {
        std::cerr << "triage: " << util::terminal_safe(e.what()) << "\n";
        return engine::kExitEvidenceUnreadable;
    } catch (const std::exception& e) {  // e.g. an export's error, which names the file from the evidence
        std::cerr << "triage: " << util::terminal_safe(e.what()) << "\n";
        return 1;
    }
    return 0;
}
