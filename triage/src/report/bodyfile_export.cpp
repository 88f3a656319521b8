// `triage report --format bodyfile`: The Sleuth Kit's body file (3.x), the input of `mactime`:
//   MD5|name|inode|mode_as_string|UID|GID|size|atime|mtime|ctime|crtime
// times as Unix seconds (0 when the file system has none), one line per name, as `fls -r -m`
// writes it: deleted names end in " (deleted)" (" (deleted-realloc)" when the metadata is in use
// again), the inode field is meta_addr, or meta_addr-attr_type-attr_id for an NTFS stream.
// Control characters in names become '^' (as fls prints them) and so does '|', which would
// otherwise split the line into the wrong fields. With more than one file system in the case,
// each name starts with "E<evidence_id>-<partition offset>:" (the place of fls' mount point).
#include "report/export_common.hpp"
#include "report/exports.hpp"

#include <fstream>
#include <stdexcept>

namespace triage::report {

namespace {
std::string body_name(const std::string& path) {
    std::string s = exp::utf8_clean(path);
    for (auto& c : s)
        if (static_cast<unsigned char>(c) < 0x20 || c == '|' || c == 0x7f) c = '^';
    return s;
}
}  // namespace

std::string write_bodyfile(index::CaseIndex& idx, const Options& opts) {
    auto& db = idx.db();
    const auto shape = exp::shape_of(db);
    const std::string path = exp::output_path(idx, opts, exp::default_output_name("bodyfile"));
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    if (!f) throw std::runtime_error("cannot write '" + path + "'");
    const bool prefix = index::query_int(db, "SELECT count(*) FROM filesystems") > 1;
    auto s = db.prepare(
        "SELECT f.evidence_id, fs.offset, f.path, f.meta_addr, f.attr_type, f.attr_id, f.stream, f.name_type, "
        "f.meta_type, f.mode, f.uid, f.gid, f.size, f.atime, f.mtime, f.ctime, f.crtime, f.allocated, f.realloc, "
        "(SELECT value FROM hashes h WHERE h.file_id = f.file_id AND h.algorithm = 'md5'), " +
        exp::sensitive_expr(shape) + " FROM files f JOIN filesystems fs ON fs.fs_id = f.fs_id ORDER BY f.file_id");
    auto num = [&](int i) { return s.col_null(i) ? std::string("0") : std::to_string(s.col_int(i)); };
    while (s.step()) {
        const bool sensitive = !s.col_null(20) && s.col_int(20) == 1;
        std::string name = body_name(s.col_text(2));
        if (prefix) name = "E" + std::to_string(s.col_int(0)) + "-" + std::to_string(s.col_int(1)) + ":" + name;
        if (s.col_int(17) == 0) name += s.col_int(18) ? " (deleted-realloc)" : " (deleted)";
        std::string inode = std::to_string(s.col_int(3));
        if (!s.col_null(6)) inode += "-" + std::to_string(s.col_int(4)) + "-" + std::to_string(s.col_int(5));
        // A sensitive file: hashes, path, size and times only (no inode, mode or owner).
        std::string mode = s.col_text(7) + "/" + s.col_text(8) + exp::mode_string(s.col_null(9) ? 0 : s.col_int(9));
        f << (s.col_null(19) ? "0" : s.col_text(19)) << '|' << name << '|' << (sensitive ? "0" : inode) << '|'
          << (sensitive ? "-/----------" : mode) << '|' << (sensitive ? "0" : num(10)) << '|'
          << (sensitive ? "0" : num(11)) << '|' << num(12) << '|' << num(13) << '|' << num(14) << '|' << num(15)
          << '|' << num(16) << '\n';
    }
    f.flush();
    if (!f) throw std::runtime_error("writing '" + path + "' failed");
    return path;
}

}  // namespace triage::report
