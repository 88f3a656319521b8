// The machine-readable exports of `triage report`, one writer per file of this folder
// (json_export.cpp, csv_export.cpp, caseuco_export.cpp, dfxml_export.cpp, bodyfile_export.cpp,
// vics_export.cpp). Each reads the index alone and returns the path it wrote.
#pragma once

#include "report/report.hpp"

namespace triage::report {

std::string write_json(index::CaseIndex& idx, const Options& opts);
std::string write_csv(index::CaseIndex& idx, const Options& opts);
std::string write_case_uco(index::CaseIndex& idx, const Options& opts);
std::string write_dfxml(index::CaseIndex& idx, const Options& opts);
std::string write_bodyfile(index::CaseIndex& idx, const Options& opts);
std::string write_vics(index::CaseIndex& idx, const Options& opts);

}  // namespace triage::report
