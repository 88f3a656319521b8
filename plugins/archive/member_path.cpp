#include "archive/member_path.hpp"

#include <algorithm>
#include <cstdint>

namespace triage::archive_detail {

std::string valid_utf8(const std::string& s) {
    std::string o;
    size_t i = 0;
    while (i < s.size()) {
        const auto c = static_cast<unsigned char>(s[i]);
        size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
        bool ok = n > 0 && i + n <= s.size();
        uint32_t cp = n == 1 ? c : n == 2 ? c & 0x1f : n == 3 ? c & 0x0f : c & 0x07;
        for (size_t k = 1; ok && k < n; ++k) {
            const auto b = static_cast<unsigned char>(s[i + k]);
            ok = (b >> 6) == 2;
            cp = cp << 6 | (b & 0x3f);
        }
        // Overlong forms ("\xC0\xAF" for '/'), UTF-16 surrogates and values past U+10FFFF are not
        // UTF-8: strict JSON parsers and browsers reject them (a member name goes into JSON details).
        if (ok && ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
                   (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff))
            ok = false;
        if (ok) {
            o.append(s, i, n);
            i += n;
        } else {
            o += '?';
            ++i;
        }
    }
    return o;
}

std::string sanitise_member_path(const std::string& raw, size_t index) {
    std::string p = valid_utf8(raw);
    std::replace(p.begin(), p.end(), '\\', '/');
    std::string out;
    size_t start = 0;
    while (start <= p.size()) {
        size_t slash = p.find('/', start);
        if (slash == std::string::npos) slash = p.size();
        std::string part = p.substr(start, slash - start);
        start = slash + 1;
        if (part.empty() || part == ".") continue;
        if (part == "..") part = "__";
        for (auto& c : part)
            if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f || c == '>') c = '_';
        if (!out.empty()) out += '/';
        out += part;
    }
    if (out.size() > 1024) {
        out.resize(1024);
        while (!out.empty() && (static_cast<unsigned char>(out.back()) & 0xc0) == 0x80) out.pop_back();
        if (!out.empty() && static_cast<unsigned char>(out.back()) >= 0xc0) out.pop_back();
        // The cut may end the path in '/' or leave a last element of "." or ".." (from "...." or
        // "..x"): the rules above hold for the cut path too.
        while (!out.empty() && out.back() == '/') out.pop_back();
        const size_t last = out.rfind('/') == std::string::npos ? 0 : out.rfind('/') + 1;
        if (out.compare(last, std::string::npos, "..") == 0) out.replace(last, 2, "__");
        else if (out.compare(last, std::string::npos, ".") == 0) out.erase(last == 0 ? 0 : last - 1);
    }
    if (out.empty()) out = "member-" + std::to_string(index);
    return out;
}

}  // namespace triage::archive_detail
