#include "archive/member_path.hpp"

#include <algorithm>

namespace triage::archive_detail {

std::string valid_utf8(const std::string& s) {
    std::string o;
    size_t i = 0;
    while (i < s.size()) {
        const auto c = static_cast<unsigned char>(s[i]);
        size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
        bool ok = n > 0 && i + n <= s.size();
        for (size_t k = 1; ok && k < n; ++k) ok = (static_cast<unsigned char>(s[i + k]) >> 6) == 2;
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
    }
    if (out.empty()) out = "member-" + std::to_string(index);
    return out;
}

}  // namespace triage::archive_detail
