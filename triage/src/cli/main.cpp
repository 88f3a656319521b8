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

#include <csignal>
#include <iostream>

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

int cmd_info(const std::string& path) {
    auto img = evidence::open_image(path);
    std::cout << "Evidence: " << path << "\nFormat: " << img->format() << "\nSegments:";
    for (const auto& s : img->segments()) std::cout << " " << s;
    std::cout << "\nSize: " << img->size() << " bytes (" << util::human_bytes(img->size()) << ")\n";
    if (!img->stored_hashes().md5.empty()) std::cout << "Stored MD5: " << img->stored_hashes().md5 << "\n";
    if (!img->stored_hashes().sha1.empty()) std::cout << "Stored SHA-1: " << img->stored_hashes().sha1 << "\n";
    std::cout << layout::describe(img->tsk());
    return 0;
}

int cmd_ls(const std::string& case_dir, bool deleted, const std::string& glob, const std::string& hash,
           int64_t evidence, bool header) {
    index::CaseIndex idx(case_dir, false, true);
    std::string sql =
        "SELECT file_id, evidence_id, partition_offset, allocated, meta_type, type, size, md5, sha256, mtime, path "
        "FROM v_files "
        "WHERE 1";
    if (deleted) sql += " AND allocated = 0";
    if (!glob.empty()) sql += " AND path GLOB ?1";
    if (!hash.empty()) sql += " AND (md5 = lower(?2) OR sha1 = lower(?2) OR sha256 = lower(?2))";
    if (evidence > 0) sql += " AND evidence_id = ?3";
    sql += " ORDER BY evidence_id, partition_offset, path";
    auto s = idx.db().prepare(sql);
    if (!glob.empty()) s.bind(1, glob);
    if (!hash.empty()) s.bind(2, hash);
    if (evidence > 0) s.bind(3, evidence);
    if (header)
        std::cout << "file_id\tevidence\tpartition_offset\tallocated\tmeta_type\ttype\tsize\tmd5\tsha256\tmtime\tpath\n";
    while (s.step()) {
        for (int i = 0; i < 11; ++i) {
            std::string v = s.col_null(i) ? "-" : s.col_text(i);
            if (i == 10)
                for (auto& c : v)
                    if (static_cast<unsigned char>(c) < 0x20) c = '?';  // keep one line per file
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

int main(int argc, char** argv) {
    // External plugins run in a child process of this executable (engine/plugin_process.cpp).
    if (argc > 1 && std::string(argv[1]) == "__plugin-host") return engine::plugin_host_main(argc, argv);
    std::signal(SIGPIPE, SIG_IGN);
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
    scan->add_option("--option", options, "Detector option NAME.KEY=VALUE");
    std::vector<std::string> rules_paths;
    bool rules_skip_broken = false;
    scan->add_option("--rules", rules_paths, "Further YARA rule files or folders (recursively) beside the shipped set");
    scan->add_flag("--rules-skip-broken", rules_skip_broken,
                   "Skip rule files that do not compile (recorded in the errors and audit log) instead of refusing");
    scan->add_option("--detector-timeout", so.detector_timeout_s,
                     "Seconds a detector may spend on one object before it is cut off (default 60)")
        ->check(CLI::PositiveNumber);
    scan->add_option("--plugin-memory", so.plugin_memory_mb,
                     "Memory limit of each external plugin process, MiB (default 2048)")
        ->check(CLI::Range(16, 1 << 20));
    scan->add_option("--whole-object-cap", so.whole_object_cap_mb,
                     "Largest object (MiB) handed whole to detectors that want whole objects (default 64)")
        ->check(CLI::Range(1, 1 << 16));

    scan->add_flag("--skip-known-good,!--no-skip-known-good", so.skip_known_good,
                   "Heavy detectors (YARA ...) skip files found in a known-good hash set (default: on)");

    std::string vi_path;
    bool vi_quiet = false;
    auto* vi = app.add_subcommand("verify-image", "Hash an image and check it against the hashes an E01 stores");
    vi->add_option("image", vi_path, "Evidence image")->required();
    vi->add_flag("--quiet,-q", vi_quiet, "Less output");

    std::string info_path;
    auto* info = app.add_subcommand("info", "Show the format, volumes and file systems of an image (like mmls/fsstat)");
    info->add_option("image", info_path, "Evidence image")->required();

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

    std::string ex_case, ex_to;
    int64_t ex_id = 0;
    auto* ex = app.add_subcommand("export", "Write one file's content from the evidence into a folder");
    ex->add_option("case", ex_case, "Case folder")->required();
    ex->add_option("file_id", ex_id, "file_id from v_files / triage ls")->required();
    ex->add_option("--to", ex_to, "Output folder")->required();
    bool ex_sensitive = false;
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
                for (const auto& problem : set.load_directory(d)) std::cerr << "triage: warning: " << problem << "\n";
            if (*pl) return cmd_plugins(set);
            try {
                if (!enable.empty()) set.enable_only(enable);
                set.disable(disable);
                for (const auto& o : options) set.set_option(o);
                if (!rules_paths.empty()) {
                    std::string joined;
                    for (const auto& p : rules_paths) joined += (joined.empty() ? "" : "\n") + p;
                    set.set_option("yara.rules=" + joined);
                }
                if (rules_skip_broken) set.set_option("yara.skip_broken=true");
            } catch (const std::invalid_argument& e) {
                std::cerr << "triage scan: " << e.what() << "\n";
                return engine::kExitUsage;
            }
            so.command_line.assign(argv, argv + argc);
            install_signal_handlers();
            return engine::run_scan(so, set);
        }
        for (const auto& c : commands)
            if (*c.sub) return c.run();
        if (*vi) return cmd_verify_image(vi_path, vi_quiet);
        if (*info) return cmd_info(info_path);
        if (*ls) return cmd_ls(ls_case, ls_deleted, ls_glob, ls_hash, ls_evidence, !ls_noheader);
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
            auto r = exporter::export_file(idx, ex_id, ex_to);
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
        std::cerr << "triage: " << e.what() << "\n";
        return engine::kExitEvidenceUnreadable;
    } catch (const std::exception& e) {
        std::cerr << "triage: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
