// Fuzz target: how archive member names from the evidence become the relative paths of child
// objects (plugins/archive/member_path.cpp): the input as one raw member name, and the names of
// the members of the input read as an archive by libarchive (zip, tar, cpio, 7z), as the archive
// detector reads them.
// Invariants (zip-slip safety and a well-formed index path): the result is a relative path of
// at most 1024 bytes with no empty, "." or ".." element, no backslash, control character or '>';
// joined under an export folder and normalised it stays inside that folder; it is valid UTF-8
// that survives the detector's JSON detail (util::json_escape, then a strict JSON parser); and
// sanitising it again changes nothing.
#include "archive/member_path.hpp"
#include "fuzz_check.hpp"
#include "util/text.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <memory>
#include <string>

using triage::archive_detail::sanitise_member_path;

namespace {

void check(const std::string& raw, size_t index) {
    const std::string p = sanitise_member_path(raw, index);
    const std::string where = "'" + triage_fuzz::shown(raw) + "' -> '" + triage_fuzz::shown(p) + "'";
    FUZZ_CHECK(!p.empty() && p.size() <= 1024, where + ": " + std::to_string(p.size()) + " bytes");
    FUZZ_CHECK(p.front() != '/' && p.back() != '/', where + ": leading or trailing '/'");
    size_t start = 0;
    while (start <= p.size()) {
        size_t slash = p.find('/', start);
        if (slash == std::string::npos) slash = p.size();
        const std::string part = p.substr(start, slash - start);
        FUZZ_CHECK(!part.empty() && part != "." && part != "..", where + ": element '" + part + "'");
        start = slash + 1;
    }
    for (unsigned char c : p)
        FUZZ_CHECK(c >= 0x20 && c != 0x7f && c != '>' && c != '\\', where + ": byte " + std::to_string(c));
    const std::filesystem::path root = "/export/folder";
    const std::string joined = (root / p).lexically_normal().string();
    FUZZ_CHECK(joined.rfind(root.string() + "/", 0) == 0, where + ": escapes the export folder as " + joined);
    nlohmann::json j;
    try {
        j = nlohmann::json::parse("{\"member\":\"" + triage::util::json_escape(p) + "\"}");
    } catch (const nlohmann::json::exception& e) {
        triage_fuzz::fail(__FILE__, __LINE__, "JSON detail parses", where + ": " + e.what());
    }
    FUZZ_CHECK(j["member"].get<std::string>() == p, where + ": JSON round trip changed the path");
    FUZZ_CHECK(sanitise_member_path(p, index) == p, where + ": sanitising twice changes it");
}

struct ArchiveFree {
    void operator()(::archive* a) const { archive_read_free(a); }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    check(std::string(reinterpret_cast<const char*>(data), size), 0);

    std::unique_ptr<::archive, ArchiveFree> a(archive_read_new());
    archive_read_support_filter_all(a.get());
    archive_read_support_format_zip(a.get());
    archive_read_support_format_tar(a.get());
    archive_read_support_format_cpio(a.get());
    archive_read_support_format_7zip(a.get());
    if (archive_read_open_memory(a.get(), data, size) != ARCHIVE_OK) return 0;
    archive_entry* e = nullptr;
    for (size_t index = 1; index <= 64 && archive_read_next_header(a.get(), &e) == ARCHIVE_OK; ++index) {
        const char* p = archive_entry_pathname_utf8(e);
        if (!p) p = archive_entry_pathname(e);
        check(p ? p : "", index);
    }
    return 0;
}
