#include "keywords/transcode.hpp"

#include "keywords/terms.hpp"
#include "util/text.hpp"

#include <iconv.h>

#include <stdexcept>
#include <string_view>

namespace triage::kw {

namespace {

const std::string kReplacement = "\xEF\xBF\xBD";  // U+FFFD

void put_utf8(char32_t c, std::string& out) { triage::util::append_utf8(c, out); }

CodePage build(const char* iconv_name, const char* label) {
    iconv_t cd = iconv_open("UTF-8", iconv_name);
    if (cd == reinterpret_cast<iconv_t>(-1)) throw std::runtime_error(std::string("iconv cannot convert from ") + iconv_name);
    CodePage cp{label, {}};
    for (unsigned b = 0; b < 256; ++b) {
        iconv(cd, nullptr, nullptr, nullptr, nullptr);
        char in = static_cast<char>(b), out[8];
        char* ip = &in;
        char* op = out;
        size_t il = 1, ol = sizeof out;
        if (iconv(cd, &ip, &il, &op, &ol) == static_cast<size_t>(-1) || op == out)
            cp.utf8[b] = kReplacement;
        else
            cp.utf8[b] = std::string(out, static_cast<size_t>(op - out));
    }
    iconv_close(cd);
    return cp;
}

}  // namespace

const std::vector<CodePage>& code_pages() {
    static const std::vector<CodePage> pages = [] {
        std::vector<CodePage> v;
        for (const auto& e : encodings()) {
            const std::string_view n = e.iconv_name;
            if (n == "UTF-8" || n.rfind("UTF-16", 0) == 0) continue;
            v.push_back(build(e.iconv_name, e.label));
        }
        return v;
    }();
    return pages;
}

void decode_8bit(const CodePage& cp, const uint8_t* buf, size_t len, View& out) {
    out.clear();
    out.text.reserve(len * 2);
    out.from.reserve(len * 2 + 1);
    for (size_t i = 0; i < len; ++i) {
        const std::string& s = cp.utf8[buf[i]];
        out.text += s;
        out.from.insert(out.from.end(), s.size(), static_cast<uint32_t>(i));
    }
    out.from.push_back(static_cast<uint32_t>(len));
}

void decode_utf8(const uint8_t* buf, size_t len, View& out) {
    out.clear();
    out.text.reserve(len);
    out.from.reserve(len + 1);
    for (size_t i = 0; i < len;) {
        const uint8_t c = buf[i];
        size_t n = c < 0x80 ? 1 : (c >= 0xC2 && c <= 0xDF) ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c >= 0xF0 && c <= 0xF4) ? 4 : 0;
        bool ok = n > 0 && i + n <= len;
        for (size_t k = 1; ok && k < n; ++k) ok = (buf[i + k] & 0xC0) == 0x80;
        if (ok && n == 3) ok = !(c == 0xE0 && buf[i + 1] < 0xA0) && !(c == 0xED && buf[i + 1] >= 0xA0);
        if (ok && n == 4) ok = !(c == 0xF0 && buf[i + 1] < 0x90) && !(c == 0xF4 && buf[i + 1] >= 0x90);
        if (!ok) {
            out.text += kReplacement;
            out.from.insert(out.from.end(), kReplacement.size(), static_cast<uint32_t>(i));
            ++i;
            continue;
        }
        out.text.append(reinterpret_cast<const char*>(buf + i), n);
        out.from.insert(out.from.end(), n, static_cast<uint32_t>(i));
        i += n;
    }
    out.from.push_back(static_cast<uint32_t>(len));
}

void decode_utf16(const uint8_t* buf, size_t len, bool le, unsigned parity, View& out) {
    out.clear();
    out.text.reserve(len * 3 / 2);
    out.from.reserve(len * 3 / 2 + 1);
    auto unit = [&](size_t at) -> char32_t {
        return le ? static_cast<char32_t>(buf[at] | (buf[at + 1] << 8)) : static_cast<char32_t>((buf[at] << 8) | buf[at + 1]);
    };
    size_t i = parity;
    while (i + 1 < len) {
        char32_t c = unit(i);
        size_t used = 2;
        if (c >= 0xD800 && c <= 0xDBFF && i + 3 < len) {
            const char32_t lo = unit(i + 2);
            if (lo >= 0xDC00 && lo <= 0xDFFF) {
                c = 0x10000 + ((c - 0xD800) << 10) + (lo - 0xDC00);
                used = 4;
            }
        }
        if (c >= 0xD800 && c <= 0xDFFF) c = 0xFFFD;  // a lone surrogate
        const size_t before = out.text.size();
        put_utf8(c, out.text);
        out.from.insert(out.from.end(), out.text.size() - before, static_cast<uint32_t>(i));
        i += used;
    }
    out.from.push_back(static_cast<uint32_t>(i));
}

}  // namespace triage::kw
