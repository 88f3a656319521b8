#include "report/report.hpp"

#include "report/html_report.hpp"

#include <filesystem>
#include <stdexcept>

namespace triage::report {

const std::vector<Format>& formats() {
    // One line per format; each writer lives in its own file of this folder.
    static const std::vector<Format> kFormats = {
        {"html", "the evidence report: a self-contained folder (index.html, assets/, files.csv)", write_html},
        {"pdf", "the evidence report printed to PDF by headless Chromium", write_pdf},
    };
    return kFormats;
}

const Format* find_format(const std::string& name) {
    for (const auto& f : formats())
        if (name == f.name) return &f;
    return nullptr;
}

std::string render(index::CaseIndex& idx, const Options& opts) {
    const Format* f = find_format(opts.format);
    if (!f) {
        std::string known;
        for (const auto& x : formats()) known += (known.empty() ? "" : ", ") + std::string(x.name);
        throw std::invalid_argument("unknown report format '" + opts.format + "' (known: " +
                                    (known.empty() ? "none" : known) + ")");
    }
    return f->write(idx, opts);
}

std::string default_templates_dir() {
    std::error_code ec;
    if (std::filesystem::is_directory(TRIAGE_SOURCE_TEMPLATES_DIR, ec)) return TRIAGE_SOURCE_TEMPLATES_DIR;
    return TRIAGE_INSTALLED_TEMPLATES_DIR;
}

}  // namespace triage::report
