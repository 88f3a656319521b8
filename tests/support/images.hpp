// Header-only helpers for tests that build or damage images at run time: writing source trees,
// timed scans, the fls/icat oracle (usable on damaged images too), row sets for comparing scans,
// and byte surgery on EWF (E01) segments.
#pragma once

#include "support/harness.hpp"

#include <catch2/catch.hpp>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace th::img {

inline void write_file(const std::string& path, const std::string& content) {
    std::filesystem::create_directories(std::filesystem::path(path).parent_path());
    std::ofstream o(path, std::ios::binary);
    o << content;
    REQUIRE(o.good());
}

// N bytes from a fixed seed: reproducible, incompressible content.
inline std::string random_bytes(size_t n, uint32_t seed) {
    std::mt19937 gen(seed);
    std::string s(n, '\0');
    for (auto& c : s) c = static_cast<char>(gen() & 0xff);
    return s;
}

inline std::string first_word(const std::string& s) { return s.substr(0, s.find_first_of(" \t\n")); }

// The exit status a script printed last ("...; wait $p; echo $?"), or -1 when it printed none.
inline int last_exit_code(std::string out) {
    while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
    if (out.empty()) return -1;
    return std::stoi(out.substr(out.find_last_of('\n') + 1));
}

inline std::string file_hash(const std::string& path, const std::string& tool = "sha256sum") {
    auto r = th::run(tool + " " + th::q(path));
    REQUIRE(r.rc == 0);
    return first_word(r.out);
}

inline std::string basename(const std::string& path) { return std::filesystem::path(path).filename().string(); }

// `timeout 120 triage scan IMAGES --case CASE --quiet EXTRA`: a hang shows as exit code 124.
inline th::CmdResult scan_timed(const std::vector<std::string>& images, const std::string& case_dir,
                                const std::string& extra = "") {
    std::string cmd = "timeout 120 " + th::q(th::triage_bin()) + " scan";
    for (const auto& i : images) cmd += " " + th::q(i);
    return th::run(cmd + " --case " + th::q(case_dir) + " --quiet " + extra);
}

// No hang (timeout's 124) and no crash (death by a signal shows as 128+N).
inline void check_no_crash_no_hang(const th::CmdResult& r) {
    INFO("exit code " << r.rc << ", stderr: " << r.err);
    CHECK(r.rc != 124);
    CHECK(r.rc < 128);
}

// Rows of v_errors whose location or message names FRAGMENT (e.g. the image's file name).
inline int64_t errors_naming(const std::string& case_dir, const std::string& fragment) {
    std::string f;
    for (char c : fragment) f += (c == '\'') ? std::string("''") : std::string(1, c);
    return th::sql_int(case_dir, "SELECT count(*) FROM v_errors WHERE instr(location, '" + f + "') > 0");
}

inline std::string dump_errors(const std::string& case_dir) {
    return th::sql1(case_dir, "SELECT group_concat(location || ' | ' || message, char(10)) FROM v_errors");
}

// Row counts of the tables a rescan must not grow.
inline std::string table_counts(const std::string& case_dir) {
    std::string s;
    for (const char* t : {"evidence", "volumes", "filesystems", "files", "hashes", "findings", "unalloc_ranges", "errors"})
        s += std::string(t) + "=" + th::sql1(case_dir, std::string("SELECT count(*) FROM ") + t) + " ";
    return s;
}

// (path, meta_addr, allocated, md5, sha256) of every v_files row, for comparing scans of one media
// in different containers.
inline std::set<std::string> row_set(const std::string& case_dir, int64_t evidence_id = 0) {
    std::set<std::string> s;
    for (const auto& r : th::rows(case_dir, evidence_id))
        s.insert(std::to_string(r.partition_offset) + " " + r.path + " " + std::to_string(r.meta_addr) + " " +
                 std::to_string(r.allocated) + " " + r.md5.value_or("-") + " " + r.sha256.value_or("-"));
    return s;
}

// True when `fls -r -p` can list the file system at OFFSET (on damaged images it may not).
inline bool fls_works(const std::string& image, uint64_t offset_bytes) {
    std::string cmd = "fls -r -p ";
    if (offset_bytes) cmd += "-o " + std::to_string(offset_bytes / 512) + " ";
    return th::run(cmd + th::q(image) + " >/dev/null").rc == 0;
}

// The oracle lives in harness.hpp (th::check_against_tsk); kept under this name for the
// image-building tests.
using th::check_against_tsk;

// EWF v1 (E01) segment surgery. Sections start at byte 13 with a 76-byte descriptor: type (16 bytes),
// offset of the next section (u64 LE), section size (u64 LE) ...
struct EwfSection {
    std::string type;
    uint64_t offset = 0, size = 0;
};

inline std::string read_all(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    REQUIRE(in.good());
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

inline uint64_t le64(const std::string& d, size_t at) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(d[at + i]);
    return v;
}

inline std::vector<EwfSection> ewf_sections(const std::string& data) {
    std::vector<EwfSection> out;
    uint64_t off = 13;
    while (off + 76 <= data.size()) {
        EwfSection s;
        s.type = data.substr(off, 16);
        s.type = s.type.substr(0, s.type.find('\0'));
        s.offset = off;
        s.size = le64(data, off + 24);
        out.push_back(s);
        uint64_t next = le64(data, off + 16);
        if (s.type == "done" || s.type == "next" || next <= off) break;
        off = next;
    }
    return out;
}

// Copies the EWF segment SRC to DST with one byte flipped REL bytes into the chunk data of its
// 'sectors' section (past the section descriptor, so no header is touched). Returns the file offset.
inline uint64_t ewf_flip_chunk_byte(const std::string& src, const std::string& dst, uint64_t rel) {
    std::string d = read_all(src);
    for (const auto& s : ewf_sections(d)) {
        if (s.type != "sectors") continue;
        REQUIRE(76 + rel < s.size);
        uint64_t p = s.offset + 76 + rel;
        d[p] = static_cast<char>(d[p] ^ 0xff);
        write_file(dst, d);
        return p;
    }
    FAIL("no 'sectors' section in " << src);
    return 0;
}

}  // namespace th::img
