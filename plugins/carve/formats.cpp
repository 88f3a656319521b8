#include "formats.hpp"

#include <algorithm>
#include <sstream>
#include <stdexcept>

namespace triage::carve {

std::span<const Format> all_formats() {
    using namespace std::string_view_literals;
    static const Format formats[] = {
        {"jpeg", "\xFF\xD8\xFF"sv, 0, validate_jpeg},
        {"png", "\x89PNG\r\n\x1A\n"sv, 0, validate_png},
        {"gif", "GIF8"sv, 0, validate_gif},
        {"bmp", "BM"sv, 0, validate_bmp},
        {"pdf", "%PDF-"sv, 0, validate_pdf},
        {"zip", "PK\x03\x04"sv, 0, validate_zip},
        {"sqlite", "SQLite format 3\0"sv, 0, validate_sqlite},
        {"mp4", "ftyp"sv, 4, validate_mp4},
        {"riff", "RIFF"sv, 0, validate_riff},
        {"elf", "\x7F" "ELF"sv, 0, validate_elf},
        {"pe", "MZ"sv, 0, validate_pe},
    };
    return formats;
}

std::vector<const Format*> select_formats(const std::string& list) {
    std::vector<const Format*> out;
    if (list.empty() || list == "all") {
        for (const auto& f : all_formats()) out.push_back(&f);
        return out;
    }
    std::stringstream ss(list);
    std::string name;
    while (std::getline(ss, name, ',')) {
        if (name.empty()) continue;
        if (name == "jpg") name = "jpeg";
        if (name == "exe") name = "pe";
        if (name == "mov") name = "mp4";
        const Format* found = nullptr;
        for (const auto& f : all_formats())
            if (name == f.name) found = &f;
        if (!found) {
            std::string known;
            for (const auto& f : all_formats()) known += std::string(known.empty() ? "" : ", ") + f.name;
            throw std::invalid_argument("unknown carving format '" + name + "' (known: " + known + ")");
        }
        if (std::find(out.begin(), out.end(), found) == out.end()) out.push_back(found);
    }
    return out;
}

}  // namespace triage::carve
