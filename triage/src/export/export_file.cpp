#include "export/export_file.hpp"

#include "evidence/image.hpp"
#include "layout/layout.hpp"
#include "layout/tsk_sparse.hpp"
#include "util/text.hpp"

#include <openssl/evp.h>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace fs = std::filesystem;

namespace triage::exporter {

std::string safe_file_name(const std::string& evidence_name, size_t max_bytes) {
    std::string out;
    // Bytes that are not UTF-8 become '_' too: the name goes into the audit log (JSON) and
    // into examiners' tools, and a file system's name may be any bytes at all.
    for (size_t i = 0; i < evidence_name.size();) {
        const size_t n = util::utf8_sequence(evidence_name, i);
        const unsigned char c = static_cast<unsigned char>(evidence_name[i]);
        if (n == 0 || c < 0x20 || c == 0x7f || c == '/' || c == '\\' || c == ':') {
            out += '_';
            i += n == 0 ? 1 : n;
        } else {
            out.append(evidence_name, i, n);
            i += n;
        }
    }
    if (out.size() > max_bytes) {
        size_t cut = max_bytes;
        while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) --cut;  // UTF-8 continuation
        out.resize(cut);
    }
    if (out.empty() || out == "." || out == "..") out = "_" + out;
    if (out[0] == '.') out[0] = '_';  // no hidden files or dot-names
    return out;
}

namespace {
struct FsCloser {
    void operator()(TSK_FS_INFO* f) const { tsk_fs_close(f); }
};
struct FileCloser {
    void operator()(TSK_FS_FILE* f) const { tsk_fs_file_close(f); }
};
}  // namespace

bool is_sensitive(index::CaseIndex& idx, int64_t file_id) {
    index::Stmt s = idx.db().prepare("SELECT sensitive FROM files WHERE file_id = ?");
    s.bind(1, file_id);
    if (!s.step()) throw std::runtime_error("no file with id " + std::to_string(file_id) + " in " + idx.db().path());
    return s.col_int(0) != 0;
}

ExportResult export_file(index::CaseIndex& idx, int64_t file_id, const std::string& to_dir,
                         const volumes::Secrets& secrets) {
    index::Stmt s = idx.db().prepare(
        "SELECT e.segments, fs.offset, f.meta_addr, f.attr_type, f.attr_id, f.name, f.meta_type, f.stream, "
        "(SELECT value FROM hashes h WHERE h.file_id=f.file_id AND h.algorithm='sha256'), fs.volume, f.origin, "
        "f.parent_id, f.detector "
        "FROM files f JOIN filesystems fs ON fs.fs_id=f.fs_id JOIN evidence e ON e.evidence_id=f.evidence_id "
        "WHERE f.file_id=?");
    s.bind(1, file_id);
    if (!s.step()) throw std::runtime_error("no file with id " + std::to_string(file_id) + " in " + idx.db().path());
    auto segments = nlohmann::json::parse(s.col_text(0));
    const uint64_t fs_offset = static_cast<uint64_t>(s.col_int(1));
    const uint64_t meta = static_cast<uint64_t>(s.col_int(2));
    const auto attr_type = static_cast<uint32_t>(s.col_int(3));
    const auto attr_id = static_cast<uint16_t>(s.col_int(4));
    const std::string name = s.col_text(5);
    const std::string meta_type = s.col_text(6);
    const bool typed = !s.col_null(7) || attr_type != 0;
    const auto indexed_sha256 = s.col_opt_text(8);
    const std::string volume = s.col_text(9);
    // An archive member or a carved item shares its parent's inode in the index; its bytes are not
    // that inode's, and exporting them from there would write the parent's content under the
    // member's name (the hash check would only notice afterwards).
    if (const std::string origin = s.col_text(10); origin != "fs") {
        const bool has_parent = !s.col_null(11);
        const std::string parent = has_parent ? "file " + std::to_string(s.col_int(11)) : "unallocated space";
        throw std::runtime_error("file " + std::to_string(file_id) + " ('" + name + "') was " + origin + " by the '" +
                                 s.col_text(12) + "' detector from " + parent +
                                 " and is not stored at one place in the evidence: " +
                                 (has_parent ? "export " + parent + " (its parent) instead"
                                             : std::string("`triage carve` writes carved items")));
    }
    if (meta_type != "r") throw std::runtime_error("file " + std::to_string(file_id) + " ('" + name + "') has no content to export (type " + meta_type + ")");

    const std::string image_path = segments.at(0).get<std::string>();
    auto img = evidence::open_image(image_path);
    // A file inside a container volume (LVM, LUKS, BitLocker, a shadow copy): open the volume again.
    std::vector<std::shared_ptr<volumes::Volume>> keep;
    TSK_IMG_INFO* src = volume.empty() ? img->tsk() : layout::open_volume(img->tsk(), volume, secrets, keep);
    std::unique_ptr<TSK_FS_INFO, FsCloser> fsys(tsk_fs_open_img(src, static_cast<TSK_OFF_T>(fs_offset), TSK_FS_TYPE_DETECT));
    if (!fsys)
        throw std::runtime_error("cannot open the file system at offset " + std::to_string(fs_offset) + " of '" +
                                 image_path + (volume.empty() ? "" : "' volume '" + volume) + "': " + layout::tsk_error_text());
    std::unique_ptr<TSK_FS_FILE, FileCloser> file(tsk_fs_file_open_meta(fsys.get(), nullptr, meta));
    if (!file) throw std::runtime_error("cannot open inode " + std::to_string(meta) + " in '" + image_path + "': " + layout::tsk_error_text());

    std::error_code ec;
    fs::create_directories(to_dir, ec);
    if (ec) throw std::runtime_error("cannot create output folder '" + to_dir + "': " + ec.message());
    const std::string out_name = std::to_string(file_id) + "_" + safe_file_name(name);
    const fs::path out_path = fs::path(to_dir) / out_name;
    int fd = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0640);
    if (fd < 0) throw std::runtime_error("cannot create '" + out_path.string() + "': " + std::strerror(errno));

    ExportResult r;
    r.written_path = out_path.string();
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
    EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr);
    std::string write_error;
    struct State {
        int fd;
        EVP_MD_CTX* ctx;
        uint64_t* bytes;
        std::string* err;
    } st{fd, ctx.get(), &r.bytes, &write_error};
    auto cb = [](TSK_FS_FILE*, TSK_OFF_T, TSK_DADDR_T, char* buf, size_t size, TSK_FS_BLOCK_FLAG_ENUM, void* p) {
        auto* st = static_cast<State*>(p);
        size_t done = 0;
        while (done < size) {
            ssize_t n = ::write(st->fd, buf + done, size - done);
            if (n < 0) {
                if (errno == EINTR) continue;
                *st->err = std::strerror(errno);
                return TSK_WALK_ERROR;
            }
            done += static_cast<size_t>(n);
        }
        EVP_DigestUpdate(st->ctx, buf, size);
        *st->bytes += size;
        return TSK_WALK_CONT;
    };
    tsk_error_reset();
    const TSK_FS_ATTR* attr = typed ? tsk_fs_file_attr_get_type(file.get(), static_cast<TSK_FS_ATTR_TYPE_ENUM>(attr_type), attr_id, 1)
                                    : tsk_fs_file_attr_get(file.get());
    tsk_error_reset();
    uint8_t rc = layout::needs_sparse_walk(fsys.get(), attr)   // holes TSK 4.11 cannot walk
                     ? layout::walk_sparse_attr(fsys.get(), attr, [&](char* d, size_t n) {
                           return cb(file.get(), 0, 0, d, n, TSK_FS_BLOCK_FLAG_CONT, &st) == TSK_WALK_CONT;
                       })
                 : typed ? tsk_fs_file_walk_type(file.get(), static_cast<TSK_FS_ATTR_TYPE_ENUM>(attr_type), attr_id,
                                                 TSK_FS_FILE_WALK_FLAG_NONE, cb, &st)
                         : tsk_fs_file_walk(file.get(), TSK_FS_FILE_WALK_FLAG_NONE, cb, &st);
    bool close_ok = ::close(fd) == 0;
    if (rc != 0 || !write_error.empty() || !close_ok) {
        std::string why = !write_error.empty() ? write_error : rc != 0 ? layout::tsk_error_text() : std::strerror(errno);
        throw std::runtime_error("export of file " + std::to_string(file_id) + " to '" + out_path.string() +
                                 "' incomplete after " + std::to_string(r.bytes) + " bytes: " + why);
    }
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_DigestFinal_ex(ctx.get(), d, &len);
    r.sha256 = util::to_hex(d, len);
    r.index_has_hash = indexed_sha256.has_value();
    r.hash_matches_index = indexed_sha256 && *indexed_sha256 == r.sha256;
    return r;
}

}  // namespace triage::exporter
