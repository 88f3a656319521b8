// Fuzz target: the report's escaping (triage/src/report/escape.cpp, util::json_escape and the
// HTML escaping of the mustache templates). Evidence strings (file names, paths, matched text)
// reach an HTML page, a script block, CSV files opened in spreadsheets, XML and JSON.
// Invariants:
//   - HTML: a value rendered by the report's template engine into text and into a quoted
//     attribute contains no raw < > " ' and no '&' that does not start an entity;
//   - script_safe_json: no < > & and no raw U+2028/U+2029, and it parses back to the same JSON;
//   - csv_field: a text cell never starts (after its optional quote) with = + - @ tab CR, a cell
//     with , " CR LF is quoted with its quotes doubled, and unquoting gives back the cleaned text;
//   - util::json_escape: for valid UTF-8 the escaped literal parses (strictly) back to the input;
//   - utf8_clean gives valid UTF-8 and leaves valid UTF-8 alone; xml_escape gives valid UTF-8
//     without < > " ' or XML-forbidden control characters;
//   - util::terminal_safe gives valid UTF-8 without C0, DEL or C1 controls, and reading its
//     escapes back gives the input (the escaped form is unambiguous).
#include "fuzz_check.hpp"
#include "report/escape.hpp"
#include "util/text.hpp"

#include <kainjow/mustache.hpp>
#include <nlohmann/json.hpp>

#include <string>

namespace esc = triage::report::exp;
using nlohmann::json;

namespace {

void check_html(const std::string& s) {
    // The report's templates use {{name}} (escaped) in text and in double-quoted attributes.
    static kainjow::mustache::mustache tmpl{"<p title=\"{{v}}\">{{v}}</p>"};
    kainjow::mustache::data d;
    d.set("v", s);
    const std::string html = tmpl.render(d);
    const std::string inner = html.substr(0, html.size() - 4);   // without "</p>"
    const std::string body = inner.substr(inner.find("\">") + 2);
    const std::string attr = inner.substr(10, inner.find("\">") - 10);
    for (const std::string* part : {&body, &attr}) {
        FUZZ_CHECK(part->find_first_of("<>\"'") == std::string::npos,
                   "HTML escaping left a raw character in '" + triage_fuzz::shown(*part) + "'");
        for (size_t i = part->find('&'); i != std::string::npos; i = part->find('&', i + 1)) {
            const size_t semi = part->find(';', i);
            FUZZ_CHECK(semi != std::string::npos && semi - i <= 8, "a bare '&' in '" + triage_fuzz::shown(*part) + "'");
        }
    }
}

void check_script_json(const std::string& s) {
    const json original = s;   // nlohmann keeps bytes; dump() with replace makes it valid UTF-8
    const std::string text = json{{"name", original}, {"list", {s, 1, nullptr}}}.dump(-1, ' ', false, json::error_handler_t::replace);
    const std::string safe = triage::report::script_safe_json(text);
    FUZZ_CHECK(safe.find_first_of("<>&") == std::string::npos, "script_safe_json left < > or &: " + triage_fuzz::shown(safe));
    FUZZ_CHECK(safe.find("\xE2\x80\xA8") == std::string::npos && safe.find("\xE2\x80\xA9") == std::string::npos,
               "script_safe_json left U+2028/U+2029");
    json back;
    try {
        back = json::parse(safe);
    } catch (const json::exception& e) {
        triage_fuzz::fail(__FILE__, __LINE__, "script-safe JSON parses", triage_fuzz::shown(safe) + ": " + e.what());
    }
    FUZZ_CHECK(back == json::parse(text), "script_safe_json changed the JSON's value");
}

// Reads one RFC 4180 field back; false when it is not well-formed.
bool unquote_csv(const std::string& f, std::string& out) {
    if (f.empty() || f[0] != '"') {
        if (f.find_first_of(",\"\r\n") != std::string::npos) return false;
        out = f;
        return true;
    }
    if (f.size() < 2 || f.back() != '"') return false;
    out.clear();
    for (size_t i = 1; i + 1 < f.size(); ++i) {
        if (f[i] == '"') {
            if (i + 2 >= f.size() || f[i + 1] != '"') return false;
            ++i;
        }
        out += f[i];
    }
    return true;
}

void check_csv(const std::string& s) {
    const std::string cell = esc::csv_field(s, true);
    std::string value;
    FUZZ_CHECK(unquote_csv(cell, value), "csv_field gave a malformed field: " + triage_fuzz::shown(cell));
    FUZZ_CHECK(esc::valid_utf8(value), "csv_field gave invalid UTF-8");
    if (!value.empty()) {
        const char c = value[0];
        FUZZ_CHECK(c != '=' && c != '+' && c != '-' && c != '@' && c != '\t' && c != '\r',
                   "a CSV text cell that starts a formula: " + triage_fuzz::shown(cell));
    }
    const std::string cleaned = esc::utf8_clean(s);
    FUZZ_CHECK(value == cleaned || value == "'" + cleaned, "csv_field changed the text: " + triage_fuzz::shown(cell));
    // Numbers are written as they are.
    std::string number;
    FUZZ_CHECK(unquote_csv(esc::csv_field(s, false), number) && number == s, "csv_field changed a non-text field");
}

void check_json_escape(const std::string& s) {
    const std::string lit = "\"" + triage::util::json_escape(s) + "\"";
    if (!esc::valid_utf8(s)) return;   // the caller keeps its input valid UTF-8 (util/text.hpp)
    json back;
    try {
        back = json::parse(lit);
    } catch (const json::exception& e) {
        triage_fuzz::fail(__FILE__, __LINE__, "json_escape parses", triage_fuzz::shown(lit) + ": " + e.what());
    }
    FUZZ_CHECK(back.is_string() && back.get<std::string>() == s, "json_escape does not round-trip: " + triage_fuzz::shown(lit));
}

void check_utf8_xml(const std::string& s) {
    const std::string c = esc::utf8_clean(s);
    FUZZ_CHECK(esc::valid_utf8(c), "utf8_clean gave invalid UTF-8");
    if (esc::valid_utf8(s)) FUZZ_CHECK(c == s, "utf8_clean changed valid UTF-8");
    const std::string x = esc::xml_escape(s);
    FUZZ_CHECK(esc::valid_utf8(x), "xml_escape gave invalid UTF-8");
    FUZZ_CHECK(x.find_first_of("<>\"'") == std::string::npos, "xml_escape left a raw character: " + triage_fuzz::shown(x));
    for (unsigned char b : x) FUZZ_CHECK(b >= 0x20 || b == '\t' || b == '\n' || b == '\r', "xml_escape left control byte");
}

void check_terminal(const std::string& s) {
    const std::string t = triage::util::terminal_safe(s);
    FUZZ_CHECK(esc::valid_utf8(t), "terminal_safe gave invalid UTF-8");
    std::string back;
    const auto hex = [&](size_t i) { return static_cast<char>(std::stoi(t.substr(i, 2), nullptr, 16)); };
    for (size_t i = 0; i < t.size(); ++i) {
        const auto b = static_cast<unsigned char>(t[i]);
        FUZZ_CHECK(b >= 0x20 && b != 0x7f, "terminal_safe left a control byte: " + triage_fuzz::shown(t));
        FUZZ_CHECK(!(b == 0xc2 && i + 1 < t.size() && static_cast<unsigned char>(t[i + 1]) < 0xa0),
                   "terminal_safe left a C1 control: " + triage_fuzz::shown(t));
        if (b != '\\') {
            back += t[i];
            continue;
        }
        if (t.compare(i, 2, "\\\\") == 0) {
            back += '\\';
            i += 1;
        } else if (t.compare(i, 2, "\\x") == 0 && i + 4 <= t.size()) {
            back += hex(i + 2);
            i += 3;
        } else if (t.compare(i, 4, "\\u00") == 0 && i + 6 <= t.size()) {
            back += '\xc2';
            back += hex(i + 4);
            i += 5;
        } else {
            triage_fuzz::fail(__FILE__, __LINE__, "terminal_safe escapes are well-formed", triage_fuzz::shown(t));
        }
    }
    FUZZ_CHECK(back == s, "terminal_safe's escapes do not read back to the input: " + triage_fuzz::shown(t));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string s(reinterpret_cast<const char*>(data), size);
    check_html(s);
    check_script_json(s);
    check_csv(s);
    check_json_escape(s);
    check_utf8_xml(s);
    check_terminal(s);
    return 0;
}
