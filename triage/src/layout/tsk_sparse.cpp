#include "layout/tsk_sparse.hpp"

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

namespace triage::layout {

namespace {
constexpr TSK_FS_ATTR_RUN_FLAG_ENUM kHole =
    static_cast<TSK_FS_ATTR_RUN_FLAG_ENUM>(TSK_FS_ATTR_RUN_FLAG_SPARSE | TSK_FS_ATTR_RUN_FLAG_FILLER);
constexpr size_t kPiece = 1 << 20;
// Files claiming more than this are left to TSK (which fails them, recorded as unreadable): a
// damaged inode can claim terabytes of hole in a 6 MiB file system (a flipped size field in the
// battery claims 12 TB), and streaming that many zeros through every detector has no useful end.
constexpr uint64_t kMaxStreamed = 16ull << 30;

uint8_t fail(const std::string& what) {
    tsk_error_reset();
    tsk_error_set_errno(TSK_ERR_FS_READ);
    tsk_error_set_errstr("%s", what.c_str());
    return 1;
}
}  // namespace

bool needs_sparse_walk(const TSK_FS_INFO* fs, const TSK_FS_ATTR* attr) {
    if (!fs || !attr || !(attr->flags & TSK_FS_ATTR_NONRES) || (attr->flags & (TSK_FS_ATTR_COMP | TSK_FS_ATTR_ENC)) ||
        attr->nrd.skiplen != 0 || fs->block_size == 0 || attr->size <= 0 || static_cast<uint64_t>(attr->size) > kMaxStreamed)
        return false;
    for (const TSK_FS_ATTR_RUN* r = attr->nrd.run; r; r = r->next)
        if ((r->flags & kHole) && r->len > 0 && r->addr + r->len > fs->last_block + 1) return true;
    return false;
}

uint8_t walk_sparse_attr(TSK_FS_INFO* fs, const TSK_FS_ATTR* attr, const std::function<bool(char*, size_t)>& sink) {
    const uint64_t bs = fs->block_size;
    const uint64_t size = attr->size > 0 ? static_cast<uint64_t>(attr->size) : 0;
    const uint64_t init = std::min<uint64_t>(size, attr->nrd.initsize > 0 ? static_cast<uint64_t>(attr->nrd.initsize) : 0);
    std::vector<char> zeros(kPiece, 0), buf(kPiece);
    uint64_t done = 0;

    auto emit_zeros = [&](uint64_t n) {
        while (n > 0) {
            const size_t take = static_cast<size_t>(std::min<uint64_t>(n, kPiece));
            if (!sink(zeros.data(), take)) return false;
            n -= take;
            done += take;
        }
        return true;
    };

    for (const TSK_FS_ATTR_RUN* r = attr->nrd.run; r && done < size; r = r->next) {
        if (r->len == 0) continue;
        const uint64_t start = r->offset * bs;
        if (start < done) return fail("run list out of order at file block " + std::to_string(r->offset));
        // A gap between runs reads as zeros, as TSK's filler runs do.
        if (start > done && !emit_zeros(std::min(start, size) - done)) return 0;
        const uint64_t end = std::min(size, start + r->len * bs);
        if ((r->flags & kHole) || done >= init) {
            if (!emit_zeros(end - done)) return 0;
            continue;
        }
        if (r->addr + r->len > fs->last_block + 1)
            return fail("block run " + std::to_string(r->addr) + "+" + std::to_string(r->len) + " lies past the file system's last block " +
                        std::to_string(fs->last_block));
        while (done < end) {
            const uint64_t data_end = std::min(end, init);
            if (done >= data_end) {
                if (!emit_zeros(end - done)) return 0;
                break;
            }
            const size_t take = static_cast<size_t>(std::min<uint64_t>(data_end - done, kPiece));
            const uint64_t at = r->addr * bs + (done - start);
            const ssize_t got = tsk_fs_read(fs, static_cast<TSK_OFF_T>(at), buf.data(), take);
            if (got != static_cast<ssize_t>(take)) {
                if (got >= 0) return fail("short read at file-system offset " + std::to_string(at));
                return 1;   // TSK's own error is set
            }
            if (!sink(buf.data(), take)) return 0;
            done += take;
        }
    }
    if (done < size) emit_zeros(size - done);   // past the last run: a trailing hole
    return 0;
}

}  // namespace triage::layout
