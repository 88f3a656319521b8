// The one table that says which content types each extension may legitimately carry.
//
// How it reads:
//   - Only extensions listed here are judged; any other extension (".dat", ".bin", ".tmp",
//     no extension at all) contradicts nothing.
//   - `accept` lists MIME types as libmagic (Debian 12, file 5.44) names them; an entry ending
//     in '*' is a prefix ("text/*"). The content is fine when its type matches one of them.
//   - Containers are listed with every type their content legitimately shows: OOXML (.docx,
//     .xlsx, .pptx), OpenDocument, .jar, .apk, .epub, .xpi are ZIP files, and libmagic names
//     them either by the specific type or as application/zip (it depends on member order), so
//     both are accepted; old Office files are OLE2 (application/x-ole-storage, CDFV2,
//     application/vnd.ms-*); .msi is OLE2 too.
//   - `strict`: when true, content libmagic cannot name (application/octet-stream) also
//     contradicts the extension: a ".jpg" or ".rtf" full of random bytes is not what it says.
//     Text-like extensions are not strict: their files are often in encodings or mixtures
//     libmagic calls "data", and only a recognised other type (a ZIP named .txt) is reported.
//   - Empty objects (inode/x-empty) never contradict.
//   - `generic_text`: the type is text/plain because libmagic's text tests were off
//     (filetype.text_types=false), so any text type the extension accepts (.rtf: text/rtf) fits.
#include "filetype/ext_types.hpp"

#include <algorithm>
#include <cctype>
#include <vector>
#include <string_view>

namespace triage::filetype {
namespace {

struct ExtRule {
    std::vector<std::string_view> extensions;
    std::vector<std::string_view> accept;
    bool strict;
};

constexpr std::string_view kText = "text/*";
const std::vector<std::string_view> kZipLike = {"application/zip", "application/x-zip-compressed"};

const ExtRule kExtensionTypes[] = {
    // Images
    {{"jpg", "jpeg", "jpe", "jfif"}, {"image/jpeg"}, true},
    {{"png"}, {"image/png", "image/apng"}, true},
    {{"gif"}, {"image/gif"}, true},
    {{"bmp", "dib"}, {"image/bmp", "image/x-ms-bmp"}, true},
    {{"tif", "tiff"}, {"image/tiff"}, true},
    {{"webp"}, {"image/webp"}, true},
    {{"heic", "heif"}, {"image/heic", "image/heif", "image/heic-sequence", "image/heif-sequence", "image/avif"}, true},
    {{"ico"}, {"image/vnd.microsoft.icon", "image/x-icon"}, true},
    // Documents
    {{"pdf"}, {"application/pdf"}, true},
    {{"rtf"}, {"text/rtf", "application/rtf"}, true},
    {{"doc", "xls", "ppt", "msg", "msi"},
     {"application/msword", "application/vnd.ms-*", "application/x-ole-storage", "application/CDFV2*",
      "application/x-msi", "application/vnd.ms-outlook"},
     true},
    {{"docx", "docm", "dotx", "xlsx", "xlsm", "pptx", "pptm", "vsdx"},
     {"application/vnd.openxmlformats-officedocument.*", "application/vnd.ms-*", "application/zip",
      "application/octet-stream", "application/encrypted"},
     // Encrypted OOXML is an OLE2 file (CDFV2 Encrypted): also accepted.
     false},
    {{"odt", "ods", "odp", "odg"}, {"application/vnd.oasis.opendocument.*", "application/zip"}, true},
    {{"epub"}, {"application/epub+zip", "application/zip"}, true},
    // Archives and packages that are ZIP files
    {{"zip"}, kZipLike, true},
    {{"jar", "war", "ear"}, {"application/java-archive", "application/zip", "application/x-java-archive"}, true},
    {{"apk", "aab", "xpi", "ipa"},
     {"application/vnd.android.package-archive", "application/java-archive", "application/zip", "application/x-xpinstall"},
     true},
    // Other archives and compressed files
    {{"gz", "tgz"}, {"application/gzip", "application/x-gzip"}, true},
    {{"bz2", "tbz2"}, {"application/x-bzip2"}, true},
    {{"xz", "txz"}, {"application/x-xz"}, true},
    {{"7z"}, {"application/x-7z-compressed"}, true},
    {{"rar"}, {"application/x-rar", "application/vnd.rar", "application/x-rar-compressed"}, true},
    {{"tar"}, {"application/x-tar", "application/x-gtar"}, true},
    {{"cab"}, {"application/vnd.ms-cab-compressed"}, true},
    {{"iso"}, {"application/x-iso9660-image"}, true},
    // Executables
    {{"exe", "dll", "sys", "ocx", "scr", "cpl", "drv", "efi"},
     {"application/x-dosexec", "application/vnd.microsoft.portable-executable", "application/x-msdownload"},
     true},
    // Audio and video
    {{"mp3"}, {"audio/mpeg"}, true},
    {{"wav"}, {"audio/x-wav", "audio/wav", "audio/vnd.wave"}, true},
    {{"mp4", "m4v", "m4a", "mov", "3gp"},
     {"video/mp4", "video/quicktime", "video/3gpp", "audio/x-m4a", "audio/mp4", "video/x-m4v"}, true},
    {{"avi"}, {"video/x-msvideo"}, true},
    {{"mkv", "webm"}, {"video/x-matroska", "video/webm"}, true},
    // Text of many kinds: only a recognised non-text type contradicts them.
    {{"txt", "csv", "log", "md", "ini", "cfg", "conf", "htm", "html", "xml", "json", "js", "css", "c", "h", "cpp",
      "py", "sh", "bat", "ps1", "eml", "vcf", "srt"},
     {kText, "application/json", "application/xml", "application/javascript", "application/x-wine-extension-ini",
      "message/*", "application/x-bat", "image/svg+xml"},
     false},
};

bool matches(std::string_view pattern, std::string_view mime) {
    if (!pattern.empty() && pattern.back() == '*') return mime.substr(0, pattern.size() - 1) == pattern.substr(0, pattern.size() - 1);
    return mime == pattern;
}

}  // namespace

std::string extension_of(const std::string& name) {
    const auto dot = name.find_last_of('.');
    if (dot == std::string::npos || dot == 0 || dot + 1 >= name.size() || name.size() - dot - 1 > 8) return {};
    std::string ext = name.substr(dot + 1);
    for (auto& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return ext;
}

std::optional<std::string> check_extension(const std::string& ext, const std::string& mime, size_t sniffed, bool generic_text) {
    if (sniffed == 0 || mime == "inode/x-empty" || mime == "application/x-empty") return std::nullopt;
    for (const auto& rule : kExtensionTypes) {
        if (std::find(rule.extensions.begin(), rule.extensions.end(), ext) == rule.extensions.end()) continue;
        for (auto a : rule.accept)
            if (matches(a, mime) || (generic_text && a.substr(0, 5) == "text/")) return std::nullopt;
        if (!rule.strict && mime == "application/octet-stream") return std::nullopt;
        std::string expected;
        for (auto a : rule.accept) {
            if (!expected.empty()) expected += " | ";
            expected += a;
        }
        return expected;
    }
    return std::nullopt;
}

}  // namespace triage::filetype
