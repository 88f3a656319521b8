// Subcommands that live in their own files register here, so that main.cpp stays a list of calls.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <vector>

namespace triage::cli {

// A registered subcommand: run() is called when the user chose `sub`; its result is the exit code.
struct Command {
    CLI::App* sub = nullptr;
    std::function<int()> run;
};
using Commands = std::vector<Command>;

// One registration function per file cli/cmd_*.cpp; main() calls each.
void add_report_commands(CLI::App& app, Commands& out);
void add_bundle_commands(CLI::App& app, Commands& out);   // bundle, verify, keygen
void add_identifiers_commands(CLI::App& app, Commands& out);
void add_hashset_commands(CLI::App& app, Commands& out);
void add_similar_commands(CLI::App& app, Commands& out);
void add_carve_commands(CLI::App& app, Commands& out);
void add_geo_commands(CLI::App& app, Commands& out);

}  // namespace triage::cli
