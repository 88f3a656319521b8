// The human-readable report: HTML from the mustache templates in report-templates/ (layout lives
// only there; this side builds the data from the case index), the full file listing as CSV next
// to it, and a PDF of the same page printed by headless Chromium.
#pragma once

#include "report/escape.hpp"
#include "report/report.hpp"

#include <nlohmann/json.hpp>

#include <map>
#include <string>
#include <vector>

namespace triage::report {

// Writes OUT/index.html, OUT/assets/ (CSS, JS, the file listing's data) and OUT/files.csv.
// opts.out empty: CASE/reports/<UTC timestamp>-<profile>-<lang>/. Returns the index.html path.
std::string write_html(index::CaseIndex& idx, const Options& opts);

// Renders the HTML (into a folder beside the PDF) and prints it with headless Chromium.
// opts.out empty: CASE/reports/<UTC timestamp>-<profile>-<lang>/report.pdf. Returns the PDF path.
std::string write_pdf(index::CaseIndex& idx, const Options& opts);

// The languages with a translation file in TEMPLATES_DIR/lang/ (file stems: en, uk, ro ...).
std::vector<std::string> languages(const std::string& templates_dir);

// The translation of LANG as key -> text; throws naming the file when it is missing or malformed.
std::map<std::string, std::string> load_translation(const std::string& templates_dir, const std::string& lang);

// Every key the templates (t.KEY) and the renderer use that LANG's file lacks; empty when complete.
std::vector<std::string> missing_translation_keys(const std::string& templates_dir, const std::string& lang);

// The report's data as handed to the templates (for tests and other writers).
nlohmann::json report_model(index::CaseIndex& idx, const Options& opts);

// The case configuration CASE/case.json (docs/report.md); an empty object when absent.
nlohmann::json load_case_config(const std::string& case_dir);


// Headless Chromium's executable (TRIAGE_CHROMIUM, else chromium / chromium-browser /
// google-chrome on PATH), or empty when none is installed.
std::string find_chromium();

}  // namespace triage::report
