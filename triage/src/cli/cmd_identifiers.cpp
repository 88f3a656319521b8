// `triage identifiers CASE [--type T]`: the per-case identifier histogram (v_identifiers),
// most frequent first, tab-separated: type, value, hits, files.
#include "cli/commands.hpp"
#include "index/case_index.hpp"

#include <iostream>
#include <memory>

namespace triage::cli {

void add_identifiers_commands(CLI::App& app, Commands& out) {
    struct Args {
        std::string case_dir, type;
        bool no_header = false;
    };
    auto a = std::make_shared<Args>();
    auto* sub = app.add_subcommand("identifiers",
                                   "Identifiers found in the case (e-mail, phone, IBAN, card, wallets...): value, hits, files");
    sub->add_option("case", a->case_dir, "Case folder")->required();
    sub->add_option("--type", a->type,
                    "Only this type: email, url, domain, phone, iban, card, btc, eth, trx, xmr, ltc, ipv4, ipv6");
    sub->add_flag("--no-header", a->no_header, "Do not print the header line");
    out.push_back({sub, [a] {
                       index::CaseIndex idx(a->case_dir, false, true);
                       index::Stmt s = idx.db().prepare(
                           "SELECT type, value, hits, files FROM v_identifiers WHERE (?1 = '' OR type = ?1) "
                           "ORDER BY hits DESC, files DESC, type, value");
                       s.bind(1, a->type);
                       if (!a->no_header) std::cout << "type\tvalue\thits\tfiles\n";
                       while (s.step())
                           std::cout << s.col_text(0) << '\t' << s.col_text(1) << '\t' << s.col_int(2) << '\t'
                                     << s.col_int(3) << '\n';
                       return 0;
                   }});
}

}  // namespace triage::cli
