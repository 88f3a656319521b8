// `triage report CASE [--format F] [-o PATH] [--profile internal|share] [--lang L] [--timezone TZ]`
#include "cli/commands.hpp"
#include "report/report.hpp"

#include <iostream>
#include <memory>

namespace triage::cli {

void add_report_commands(CLI::App& app, Commands& out) {
    struct Args {
        std::string case_dir, profile = "internal";
        report::Options opts;
    };
    auto a = std::make_shared<Args>();
    std::string names;
    for (const auto& f : report::formats())
        names += std::string("\n    ") + f.name + ": " + f.description;
    auto* sub = app.add_subcommand("report", "Render a report or export from a case index" +
                                                  (names.empty() ? std::string() : "; formats:" + names));
    sub->add_option("case", a->case_dir, "Case folder")->required();
    sub->add_option("--format,-f", a->opts.format, "Output format (default html)");
    sub->add_option("--out,-o", a->opts.out, "Output file or folder (default: under CASE/reports/)");
    sub->add_option("--profile", a->profile, "internal (the examiner's own) or share (for a partner agency)")
        ->check(CLI::IsMember({"internal", "share"}));
    sub->add_option("--lang", a->opts.lang, "Language of the report's fixed text (en, uk, ro)");
    sub->add_option("--timezone", a->opts.timezone, "The examiner's time zone, stated in the report (times are UTC)");
    sub->add_option("--templates", a->opts.templates_dir, "Template folder (default: the installed report-templates)");
    out.push_back({sub, [a] {
                       a->opts.profile = a->profile == "share" ? report::Profile::Share : report::Profile::Internal;
                       index::CaseIndex idx(a->case_dir, false, true);
                       try {
                           std::cout << report::render(idx, a->opts) << "\n";
                       } catch (const std::invalid_argument& e) {
                           std::cerr << "triage report: " << e.what() << "\n";
                           return 2;
                       }
                       return 0;
                   }});
}

}  // namespace triage::cli
