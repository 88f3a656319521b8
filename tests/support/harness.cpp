#include "support/harness.hpp"

#include "index/db.hpp"

#include <catch2/catch.hpp>

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

namespace fs = std::filesystem;

namespace th {

std::string testdata(const std::string& rel) {
    fs::path p = fs::path(TRIAGE_SHARED_DIR) / "testdata" / rel;
    if (!fs::exists(p))
        FAIL("test data missing: " << p.string()
                                   << " (tests read ../shared/testdata; configure with -DTRIAGE_SHARED_DIR=/path/to/shared)");
    return p.string();
}

std::string triage_bin() { return TRIAGE_BIN; }

TempDir::TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "triage-test-XXXXXX").string();
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    if (!mkdtemp(buf.data())) FAIL("mkdtemp failed");
    path = buf.data();
}
TempDir::~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
}

std::string q(const std::string& s) {
    std::string out = "'";
    for (char c : s) {
        if (c == '\'')
            out += "'\\''";
        else
            out += c;
    }
    return out + "'";
}

CmdResult run(const std::string& cmd) {
    CmdResult r;
    TempDir t;
    std::string full = "bash -c " + q("set -o pipefail; " + cmd) + " 2>" + q(t / "err");
    FILE* p = popen(full.c_str(), "r");
    if (!p) FAIL("popen failed for " << cmd);
    std::array<char, 65536> buf{};
    size_t n;
    while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
    int status = pclose(p);
    r.rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    std::ifstream e(t / "err");
    std::stringstream ss;
    ss << e.rdbuf();
    r.err = ss.str();
    return r;
}

int scan(const std::vector<std::string>& images, const std::string& case_dir, const std::string& extra) {
    std::string cmd = q(triage_bin()) + " scan";
    for (const auto& i : images) cmd += " " + q(i);
    cmd += " --case " + q(case_dir) + " --quiet " + extra;
    auto r = run(cmd);
    INFO("triage scan stderr: " << r.err);
    return r.rc;
}

std::vector<FlsEntry> fls(const std::string& image, uint64_t offset_bytes, const std::string& extra) {
    std::string cmd = "fls -r -p " + extra + " ";
    if (offset_bytes) cmd += "-o " + std::to_string(offset_bytes / 512) + " ";
    auto r = run(cmd + q(image));
    REQUIRE(r.rc == 0);
    std::vector<FlsEntry> out;
    std::istringstream in(r.out);
    std::string line;
    while (std::getline(in, line)) {
        // "r/r * 36-128-3(realloc):\tdir/name"
        auto tab = line.find(":\t");
        if (tab == std::string::npos) continue;
        FlsEntry e;
        std::istringstream head(line.substr(0, tab));
        head >> e.type;
        std::string tok;
        head >> tok;
        if (tok == "*") {
            e.allocated = false;
            head >> tok;
        }
        auto paren = tok.find('(');
        if (paren != std::string::npos) tok = tok.substr(0, paren);
        e.addr_spec = tok;
        e.meta_addr = std::stoull(tok.substr(0, tok.find('-')));
        e.path = "/" + line.substr(tab + 2);
        out.push_back(e);
    }
    return out;
}

std::set<FlsKey> keys(const std::vector<FlsEntry>& entries) {
    std::set<FlsKey> s;
    for (const auto& e : entries) s.emplace(e.path, e.meta_addr, e.allocated ? 1 : 0);
    return s;
}

std::optional<std::string> icat_hash(const std::string& image, uint64_t offset_bytes, const std::string& addr_spec,
                                     const std::string& tool, const std::string& extra) {
    std::string cmd = "icat " + extra + " ";
    if (offset_bytes) cmd += "-o " + std::to_string(offset_bytes / 512) + " ";
    auto r = run(cmd + q(image) + " " + addr_spec + " | " + tool);
    if (r.rc != 0) return std::nullopt;
    return r.out.substr(0, r.out.find(' '));
}

std::vector<Row> rows(const std::string& case_dir, int64_t evidence_id) {
    triage::index::Db db(case_dir + "/index.db", false, true);
    std::string sql =
        "SELECT v.file_id, v.evidence_id, v.partition_offset, v.fs_type, v.path, v.meta_type, v.meta_addr, v.allocated, "
        "v.md5, v.sha1, v.sha256, v.size, f.attr_type, f.attr_id, f.stream, f.content, f.fs_id, fs.pool_block, f.origin "
        "FROM v_files v JOIN files f ON f.file_id = v.file_id JOIN filesystems fs ON fs.fs_id = f.fs_id";
    if (evidence_id) sql += " WHERE v.evidence_id = " + std::to_string(evidence_id);
    auto s = db.prepare(sql);
    std::vector<Row> out;
    while (s.step()) {
        Row r;
        r.file_id = s.col_int(0);
        r.evidence_id = s.col_int(1);
        r.partition_offset = static_cast<uint64_t>(s.col_int(2));
        r.fs_type = s.col_text(3);
        r.path = s.col_text(4);
        r.type = s.col_text(5);
        r.meta_addr = static_cast<uint64_t>(s.col_int(6));
        r.allocated = static_cast<int>(s.col_int(7));
        r.md5 = s.col_opt_text(8);
        r.sha1 = s.col_opt_text(9);
        r.sha256 = s.col_opt_text(10);
        if (!s.col_null(11)) r.size = s.col_int(11);
        r.attr_type = s.col_int(12);
        r.attr_id = s.col_int(13);
        r.stream = s.col_text(14);
        r.content = s.col_text(15);
        r.fs_id = s.col_int(16);
        r.pool_block = s.col_int(17);
        r.origin = s.col_text(18);
        out.push_back(std::move(r));
    }
    return out;
}

std::string sql1(const std::string& case_dir, const std::string& sql) {
    triage::index::Db db(case_dir + "/index.db", false, true);
    auto s = db.prepare(sql);
    if (!s.step() || s.col_null(0)) return {};
    return s.col_text(0);
}

int64_t sql_int(const std::string& case_dir, const std::string& sql) {
    std::string v = sql1(case_dir, sql);
    return v.empty() ? 0 : std::stoll(v);
}

std::string fls_sanitize(const std::string& path) {
    std::string s = path;
    for (auto& c : s)
        if (static_cast<unsigned char>(c) < 0x20) c = '^';
    return s;
}

int check_against_tsk(const std::string& image, const std::string& case_dir, int64_t evidence_id, bool damaged) {
    auto all = rows(case_dir, evidence_id);
    std::map<int64_t, std::vector<Row>> by_fs;
    std::map<uint64_t, std::set<int64_t>> fs_at_offset;
    for (auto& r : all) {
        // Objects derived by detectors (archive members, carved items) are not TSK's; by origin,
        // not by a '>' in the path: evidence file names may hold '>' too.
        if (r.origin != "fs") continue;
        by_fs[r.fs_id].push_back(r);
        fs_at_offset[r.partition_offset].insert(r.fs_id);
    }
    if (!damaged) REQUIRE(!by_fs.empty());
    int compared_total = 0;
    for (const auto& [fs_id, rs] : by_fs) {
        const uint64_t offset = rs.front().partition_offset;
        std::string extra;
        if (rs.front().pool_block >= 0)
            extra = "-P apfs -B " + std::to_string(rs.front().pool_block);
        else if (fs_at_offset[offset].size() > 1)
            extra = "-f " + rs.front().fs_type;
        INFO("image " << image << ", file system at offset " << offset << " " << extra);
        std::string offset_arg = offset ? "-o " + std::to_string(offset / 512) + " " : "";
        if (damaged && run("fls -r -p " + extra + " " + offset_arg + q(image) + " >/dev/null").rc != 0) continue;
        auto listed = fls(image, offset, extra);
        std::set<FlsKey> ours;
        for (const auto& r : rs) ours.emplace(fls_sanitize(r.path), r.meta_addr, r.allocated);
        auto theirs = keys(listed);
        for (const auto& k : theirs)
            if (!ours.count(k))
                FAIL_CHECK("fls lists " << std::get<0>(k) << " (" << std::get<1>(k) << ", allocated " << std::get<2>(k)
                                        << ") but triage does not");
        for (const auto& k : ours)
            if (!theirs.count(k))
                FAIL_CHECK("triage lists " << std::get<0>(k) << " (" << std::get<1>(k) << ", allocated "
                                           << std::get<2>(k) << ") but fls does not");

        std::map<std::string, std::string> spec;  // path -> icat address
        for (const auto& e : listed)
            if (e.type.size() == 3 && e.type[2] == 'r') spec[e.path] = e.addr_spec;
        int compared = 0;
        for (const auto& r : rs) {
            if (r.type != "r" || !spec.count(fls_sanitize(r.path))) continue;
            const std::string addr = spec[fls_sanitize(r.path)];
            INFO(r.path << " (icat " << addr << ", allocated " << r.allocated << ")");
            auto md5 = icat_hash(image, offset, addr, "md5sum", extra);
            if (!r.md5) {
                // No content in the index: only where icat cannot read it either (a deleted
                // file on an intact image may legitimately differ: TSK's recovery is best-effort).
                if (r.allocated || damaged) CHECK_FALSE(md5.has_value());
                continue;
            }
            if (!md5) {
                if (!damaged) FAIL_CHECK("triage has content for " << r.path << " but icat cannot read it");
                continue;
            }
            auto sha256 = icat_hash(image, offset, addr, "sha256sum", extra);
            CHECK(*r.md5 == *md5);
            CHECK(r.sha256 == sha256);
            ++compared;
        }
        if (!damaged) CHECK(compared > 0);
        compared_total += compared;
    }
    return compared_total;
}

}  // namespace th
