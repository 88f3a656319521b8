#include "report/escape.hpp"

#include "util/text.hpp"

#include <cstdint>

namespace triage::report::exp {

namespace {
const char kReplacement[] = "\xEF\xBF\xBD";
}  // namespace

bool valid_utf8(std::string_view s) {
    for (size_t i = 0; i < s.size();) {
        size_t n = util::utf8_sequence(s, i);
        if (!n) return false;
        i += n;
    }
    return true;
}

std::string utf8_clean(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (size_t i = 0; i < s.size();) {
        size_t n = util::utf8_sequence(s, i);
        if (!n) {
            out += kReplacement;
            ++i;
        } else {
            out.append(s.substr(i, n));
            i += n;
        }
    }
    return out;
}

std::string xml_escape(std::string_view raw) {
    std::string s = utf8_clean(raw);
    std::string out;
    out.reserve(s.size() + 16);
    for (size_t i = 0; i < s.size(); ++i) {
        unsigned char c = static_cast<unsigned char>(s[i]);
        switch (c) {
        case '&': out += "&amp;"; break;
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '"': out += "&quot;"; break;
        case '\'': out += "&apos;"; break;
        default:
            if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
                out += kReplacement;
            // U+FFFE and U+FFFF are not XML characters either (EF BF BE / EF BF BF).
            else if (c == 0xEF && i + 2 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0xBF &&
                     (static_cast<unsigned char>(s[i + 2]) & 0xFE) == 0xBE) {
                out += kReplacement;
                i += 2;
            } else
                out += static_cast<char>(c);
        }
    }
    return out;
}

std::string csv_field(std::string v, bool text) {
    if (text) {
        v = exp::utf8_clean(v);
        if (!v.empty() && (v[0] == '=' || v[0] == '+' || v[0] == '-' || v[0] == '@' || v[0] == '\t' || v[0] == '\r'))
            v.insert(v.begin(), '\'');
    }
    if (v.find_first_of(",\"\r\n") == std::string::npos) return v;
    std::string q = "\"";
    for (char c : v) q += (c == '"') ? std::string("\"\"") : std::string(1, c);
    return q + "\"";
}

}  // namespace triage::report::exp

namespace triage::report {

std::string script_safe_json(const std::string& in) {
    std::string out;
    out.reserve(in.size() + 16);
    for (size_t i = 0; i < in.size(); ++i) {
        unsigned char c = static_cast<unsigned char>(in[i]);
        if (c == '<') out += "\\u003c";
        else if (c == '>') out += "\\u003e";
        else if (c == '&') out += "\\u0026";
        else if (c == 0xE2 && i + 2 < in.size() && static_cast<unsigned char>(in[i + 1]) == 0x80 &&
                 (static_cast<unsigned char>(in[i + 2]) == 0xA8 || static_cast<unsigned char>(in[i + 2]) == 0xA9)) {
            out += static_cast<unsigned char>(in[i + 2]) == 0xA8 ? "\\u2028" : "\\u2029";
            i += 2;
        } else out += static_cast<char>(c);
    }
    return out;
}

}  // namespace triage::report
