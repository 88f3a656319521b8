// Test support: paths to ../shared, temporary folders, running commands, and the oracles
// (The Sleuth Kit's fls and icat, coreutils' hash tools) that tests compare triage with.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

namespace th {

// A file under TRIAGE_SHARED_DIR/testdata; fails the test with a clear message when missing.
std::string testdata(const std::string& rel);
std::string triage_bin();

struct TempDir {
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    std::string path;
    std::string operator/(const std::string& rel) const { return path + "/" + rel; }
};

struct CmdResult {
    int rc = -1;
    std::string out, err;
};
CmdResult run(const std::string& shell_command);
std::string q(const std::string& s);   // shell-quote

// Runs `triage scan IMAGE... --case CASE --quiet`; returns the exit code.
int scan(const std::vector<std::string>& images, const std::string& case_dir, const std::string& extra = "");

using FlsKey = std::tuple<std::string, uint64_t, int>;   // path (leading '/'), meta_addr, allocated
struct FlsEntry {
    std::string path;
    uint64_t meta_addr = 0;
    std::string addr_spec;   // what icat takes: "36" or "36-128-4"
    bool allocated = true;
    std::string type;        // "r/r", "d/d", "-/r", "V/V", ...
};
// `fls -r -p [-o SECTORS] IMAGE`, parsed.
// extra: further TSK options, e.g. "-f ntfs" or "-P apfs -B 107".
std::vector<FlsEntry> fls(const std::string& image, uint64_t offset_bytes, const std::string& extra = "");
std::set<FlsKey> keys(const std::vector<FlsEntry>& entries);

// icat's content of addr_spec hashed with ALG (md5sum, sha256sum); nullopt if icat failed.
std::optional<std::string> icat_hash(const std::string& image, uint64_t offset_bytes, const std::string& addr_spec,
                                     const std::string& tool, const std::string& extra = "");

struct Row {
    int64_t file_id = 0, evidence_id = 0;
    uint64_t partition_offset = 0;
    std::string fs_type, path, type, stream, content;
    uint64_t meta_addr = 0;
    int allocated = 0;
    int64_t attr_type = 0, attr_id = 0;
    int64_t fs_id = 0, pool_block = -1;
    std::optional<std::string> md5, sha1, sha256;
    std::optional<int64_t> size;
    std::string origin;   // 'fs', 'extracted' or 'carved'
};
std::vector<Row> rows(const std::string& case_dir, int64_t evidence_id = 0);
// Single-value SQL query on CASE/index.db (empty string for NULL / no row).
std::string sql1(const std::string& case_dir, const std::string& sql);
int64_t sql_int(const std::string& case_dir, const std::string& sql);

// The oracle, file system by file system: the set of (path, meta_addr, allocated) equals
// `fls -r -p`, and every regular file's MD5 and SHA-256 equal icat's. evidence_id 0: every
// evidence item in the case. On a damaged image (damaged=true) a file system fls cannot list is
// skipped and a file may lack content where icat cannot read it either. Returns the number of
// files compared by content.
int check_against_tsk(const std::string& image, const std::string& case_dir, int64_t evidence_id = 0,
                      bool damaged = false);

// fls prints control characters as '^'; apply the same to triage's paths before comparing.
std::string fls_sanitize(const std::string& path);

}  // namespace th
