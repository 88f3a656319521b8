// `triage report CASE --format F`: every report and export is rendered from the case index
// alone, so it can be made again at any time, in another language or profile. Each output
// format is one Writer in the table in report.cpp.
#pragma once

#include "index/case_index.hpp"

#include <string>
#include <vector>

namespace triage::report {

// internal: the examiner's own full report. share: what goes to a partner agency (no examiner
// notes, nothing the case configuration marks internal). Sensitive files never show content or
// thumbnails in either.
enum class Profile { Internal, Share };

struct Options {
    std::string format = "html";
    std::string out;                 // file or folder the writer creates; empty: the writer's default under CASE
    Profile profile = Profile::Internal;
    std::string lang = "en";         // translation file in report-templates/
    std::string timezone;            // the examiner's time zone, stated in the report (times are UTC)
    std::string templates_dir;       // empty: report::default_templates_dir()
};

// Writes the format; throws std::runtime_error with a message naming the file and the problem.
// Returns the path written.
using Writer = std::string (*)(index::CaseIndex& idx, const Options& opts);

struct Format {
    const char* name;
    const char* description;
    Writer write;
};

// Every format triage writes, in the order `triage report --help` lists them.
const std::vector<Format>& formats();
// The format named NAME, or nullptr.
const Format* find_format(const std::string& name);

// Renders opts.format; throws std::invalid_argument for an unknown format (naming the known ones).
std::string render(index::CaseIndex& idx, const Options& opts);

// report-templates/ in the source tree when run from a build, else the installed copy.
std::string default_templates_dir();

}  // namespace triage::report
