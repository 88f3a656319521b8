// Escaping for the report and the exports: evidence strings (file names, paths, matched text)
// made inert for UTF-8 text formats, XML, CSV cells opened in spreadsheets, and JSON embedded in
// an HTML page. Pure functions with no index or I/O, so the fuzz target (tests/fuzz/report_escape)
// links them alone.
#pragma once

#include <string>
#include <string_view>

namespace triage::report::exp {

// Text for formats that must be valid UTF-8: invalid bytes become U+FFFD.
bool valid_utf8(std::string_view s);
std::string utf8_clean(std::string_view s);
// For XML 1.0: valid UTF-8, and control characters other than tab/LF/CR become U+FFFD; then
// & < > " ' escaped.
std::string xml_escape(std::string_view s);

// One CSV field (RFC 4180: quoted when it holds a comma, quote, CR or LF; quotes doubled). A text
// field is made valid UTF-8 first, and one that starts with = + - @ (or tab / CR) gets a leading
// single quote, so a spreadsheet shows it as text instead of running it as a formula. Numbers
// (text = false) are never changed.
std::string csv_field(std::string v, bool text);

}  // namespace triage::report::exp

namespace triage::report {

// Escapes a JSON text for embedding in HTML or a script: <, >, & and U+2028/U+2029 become \uXXXX,
// so no string from evidence can close a <script> block or end a JavaScript line.
std::string script_safe_json(const std::string& json_text);

}  // namespace triage::report
