#include "layout/layout.hpp"
#include "layout/mbr_fallback.hpp"
#include "layout/tsk_sparse.hpp"
#include <tsk/fs/tsk_ntfs.h>  // NTFS_INFO: where MFT records lie (shadow-copy reuse)
#include <triage/detector_abi.h>  // TRIAGE_SEAM_BYTES: the margins of file_slack ranges

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <sstream>
#include <vector>

namespace triage::layout {

std::string tsk_error_text() {
    const char* e = tsk_error_get();
    std::string s = e ? e : "unknown TSK error";
    tsk_error_reset();
    for (auto& c : s)
        if (c == '\n' || c == '\r') c = ' ';
    return s;
}

namespace {

// An attribute's type as stored. A damaged MFT can hold any 32-bit value there, and loading such
// a value through TSK's enum type is undefined behaviour (UBSan: "not a valid value for type
// TSK_FS_ATTR_TYPE_ENUM", found by the damaged-image battery), so it is read as a number.
uint32_t raw_attr_type(const TSK_FS_ATTR* a) {
    uint32_t t = 0;
    static_assert(sizeof(a->type) == sizeof t);
    std::memcpy(&t, &a->type, sizeof t);
    return t;
}

std::string hex_offset(uint64_t v) {
    std::ostringstream o;
    o << "0x" << std::hex << v;
    return o.str();
}

std::optional<int64_t> time_or_none(time_t t) {
    if (t == 0) return std::nullopt;
    return static_cast<int64_t>(t);
}

struct FsWalkContext {
    TSK_FS_INFO* fs;
    const FsInfo* info;
    LayoutSink* sink;
    const WalkOptions* opt;
    std::string location;
    uint64_t files = 0;
};

// Streams one attribute (or the default one) through fn in opt.block_size pieces.
struct ReadState {
    const BlockFn* fn;
    std::vector<uint8_t> buf;
    size_t fill = 0;
    uint64_t base = 0;  // object offset of buf[0]
    bool stopped = false;
    const std::atomic<bool>* cancel;
};

TSK_WALK_RET_ENUM read_cb(TSK_FS_FILE*, TSK_OFF_T, TSK_DADDR_T, char* data, size_t size, TSK_FS_BLOCK_FLAG_ENUM,
                          void* ptr) {
    auto* st = static_cast<ReadState*>(ptr);
    if (st->cancel && st->cancel->load(std::memory_order_relaxed)) {
        st->stopped = true;
        return TSK_WALK_STOP;
    }
    while (size > 0) {
        size_t take = std::min(size, st->buf.size() - st->fill);
        std::memcpy(st->buf.data() + st->fill, data, take);
        st->fill += take;
        data += take;
        size -= take;
        if (st->fill == st->buf.size()) {
            if (!(*st->fn)(st->buf.data(), st->fill, st->base)) {
                st->stopped = true;
                return TSK_WALK_STOP;
            }
            st->base += st->fill;
            st->fill = 0;
        }
    }
    return TSK_WALK_CONT;
}

bool read_content(TSK_FS_FILE* file, bool typed, uint32_t type, uint16_t id, size_t block_size,
                  const std::atomic<bool>* cancel, const BlockFn& fn, std::string& error) {
    ReadState st{&fn, std::vector<uint8_t>(block_size), 0, 0, false, cancel};
    tsk_error_reset();
    const TSK_FS_ATTR* attr = typed ? tsk_fs_file_attr_get_type(file, static_cast<TSK_FS_ATTR_TYPE_ENUM>(type), id, 1)
                                    : tsk_fs_file_attr_get(file);
    tsk_error_reset();
    uint8_t rc = needs_sparse_walk(file->fs_info, attr)   // holes TSK 4.11 cannot walk (tsk_sparse.hpp)
                     ? walk_sparse_attr(file->fs_info, attr, [&](char* d, size_t n) {
                           return read_cb(file, 0, 0, d, n, TSK_FS_BLOCK_FLAG_CONT, &st) == TSK_WALK_CONT;
                       })
                 : typed ? tsk_fs_file_walk_type(file, static_cast<TSK_FS_ATTR_TYPE_ENUM>(type), id,
                                                 TSK_FS_FILE_WALK_FLAG_NONE, read_cb, &st)
                         : tsk_fs_file_walk(file, TSK_FS_FILE_WALK_FLAG_NONE, read_cb, &st);
    if (rc != 0) {
        error = "content could not be read after " + std::to_string(st.base + st.fill) + " bytes: " + tsk_error_text();
        return false;
    }
    if (st.stopped) {
        error = "reading stopped (cancelled)";
        return false;
    }
    if (st.fill > 0 && !fn(st.buf.data(), st.fill, st.base)) {
        error = "reading stopped (cancelled)";
        return false;
    }
    return true;
}

// Snapshot files whose bytes all lie where the snapshot reads the same as the current volume:
// the MFT record(s) of the file (so the same runs, size and resident data) and every data run.
bool snapshot_unchanged(const FsWalkContext& ctx, const TSK_FS_FILE* file, const TSK_FS_ATTR* data) {
    auto* vol = const_cast<volumes::Volume*>(ctx.info->vol);
    if (!vol || !vol->snapshot_of() || !TSK_FS_TYPE_ISNTFS(ctx.fs->ftype) || !file->meta || !data) return false;
    const uint64_t base = ctx.info->offset, bs = ctx.fs->block_size;
    const auto* ntfs = reinterpret_cast<const NTFS_INFO*>(ctx.fs);
    // A file described by several MFT records ($ATTRIBUTE_LIST) is read normally.
    for (int i = 0, n = tsk_fs_file_attr_getsize(const_cast<TSK_FS_FILE*>(file)); i < n; ++i) {
        const TSK_FS_ATTR* a = tsk_fs_file_attr_get_idx(const_cast<TSK_FS_FILE*>(file), i);
        if (a && raw_attr_type(a) == TSK_FS_ATTR_TYPE_NTFS_ATTRLIST) return false;
    }
    // Where the MFT record lies: through the runs of $MFT's own data.
    if (!ntfs->mft_data || ntfs->mft_rsize_b == 0) return false;
    const uint64_t rec = static_cast<uint64_t>(file->meta->addr) * ntfs->mft_rsize_b;
    bool found = false;
    for (const TSK_FS_ATTR_RUN* r = ntfs->mft_data->nrd.run; r; r = r->next) {
        const uint64_t start = static_cast<uint64_t>(r->offset) * bs, len = static_cast<uint64_t>(r->len) * bs;
        if (rec >= start && rec + ntfs->mft_rsize_b <= start + len) {
            // The 16 KiB snapshot block holding the record often changed elsewhere (other records):
            // then compare the record itself, byte for byte, with the current volume's.
            const uint64_t at = base + static_cast<uint64_t>(r->addr) * bs + (rec - start);
            if (!vol->unchanged(at, ntfs->mft_rsize_b) && !vol->same_bytes(at, ntfs->mft_rsize_b)) return false;
            found = true;
            break;
        }
    }
    if (!found) return false;
    if (data->flags & TSK_FS_ATTR_RES) return true;  // the bytes live in the record itself
    if (data->flags & (TSK_FS_ATTR_COMP | TSK_FS_ATTR_ENC)) return false;
    for (const TSK_FS_ATTR_RUN* r = data->nrd.run; r; r = r->next) {
        if (r->flags & (TSK_FS_ATTR_RUN_FLAG_SPARSE | TSK_FS_ATTR_RUN_FLAG_FILLER)) continue;
        if (!vol->unchanged(base + static_cast<uint64_t>(r->addr) * bs, static_cast<uint64_t>(r->len) * bs)) return false;
    }
    return true;
}

// The image extents of a non-resident attribute whose bytes are plain copies of image blocks,
// covering exactly `size` bytes; empty when the content is anything else (resident, compressed,
// encrypted, sparse or filler runs, NTFS bytes past the initialised size, runs that do not
// cover the size, a file system inside a container volume or a pool).
std::vector<Extent> plain_extents(const FsWalkContext& ctx, const TSK_FS_ATTR* attr, int64_t size) {
    std::vector<Extent> out;
    if (!ctx.opt->extents || ctx.info->vol || ctx.info->pool_block >= 0 || !attr || size <= 0) return out;
    if (!(attr->flags & TSK_FS_ATTR_NONRES) || (attr->flags & (TSK_FS_ATTR_COMP | TSK_FS_ATTR_ENC | TSK_FS_ATTR_SPARSE)))
        return out;
    if (TSK_FS_TYPE_ISNTFS(ctx.fs->ftype) && attr->nrd.initsize < size) return out;
    const uint64_t bs = ctx.fs->block_size;
    uint64_t left = static_cast<uint64_t>(size);
    TSK_DADDR_T expect = 0;  // file block the next run must start at
    for (const TSK_FS_ATTR_RUN* r = attr->nrd.run; r && left > 0; r = r->next) {
        if (r->flags != TSK_FS_ATTR_RUN_FLAG_NONE || r->offset != expect || r->len == 0) return {};
        if (r->addr + r->len > ctx.fs->last_block + 1) return {};
        expect += r->len;
        const uint64_t start = ctx.info->offset + static_cast<uint64_t>(r->addr) * bs;
        const uint64_t len = std::min<uint64_t>(left, static_cast<uint64_t>(r->len) * bs);
        if (!out.empty() && out.back().offset + out.back().length == start)
            out.back().length += len;
        else
            out.push_back({start, len});
        left -= len;
    }
    if (left > 0) return {};
    return out;
}

TSK_WALK_RET_ENUM dir_cb(TSK_FS_FILE* file, const char* a_path, void* ptr) {
    auto* ctx = static_cast<FsWalkContext*>(ptr);
    if (ctx->opt->cancel && ctx->opt->cancel->load(std::memory_order_relaxed)) return TSK_WALK_STOP;
    if (!file->name || !file->name->name || TSK_FS_ISDOT(file->name->name)) return TSK_WALK_CONT;

    FileEntry base;
    base.name = file->name->name;
    base.path = "/" + std::string(a_path ? a_path : "") + base.name;
    base.meta_addr = file->name->meta_addr;
    base.meta_seq = file->name->meta_seq;
    base.name_type = tsk_fs_name_type_str[file->name->type < TSK_FS_NAME_TYPE_STR_MAX ? file->name->type : 0][0];
    base.allocated = !(file->name->flags & TSK_FS_NAME_FLAG_UNALLOC);
    base.is_virtual =
        file->name->type == TSK_FS_NAME_TYPE_VIRT || file->name->type == TSK_FS_NAME_TYPE_VIRT_DIR;
    const TSK_FS_META* meta = file->meta;
    if (meta) {
        base.meta_type = tsk_fs_meta_type_str[meta->type < TSK_FS_META_TYPE_STR_MAX ? meta->type : 0][0];
        base.realloc = !base.allocated && (meta->flags & TSK_FS_META_FLAG_ALLOC);
        base.is_virtual = base.is_virtual || meta->type == TSK_FS_META_TYPE_VIRT ||
                          meta->type == TSK_FS_META_TYPE_VIRT_DIR;
        base.size = meta->size;
        base.mode = static_cast<int64_t>(meta->mode);
        base.uid = static_cast<int64_t>(meta->uid);
        base.gid = static_cast<int64_t>(meta->gid);
        base.mtime = time_or_none(meta->mtime);
        base.atime = time_or_none(meta->atime);
        base.ctime = time_or_none(meta->ctime);
        base.crtime = time_or_none(meta->crtime);
    }
    const size_t bs = ctx->opt->block_size;
    const auto* cancel = ctx->opt->cancel;

    if (TSK_FS_TYPE_ISNTFS(ctx->fs->ftype) && meta) {
        // One row per data stream and per named index, as fls lists them.
        std::vector<FileEntry> rows;
        auto add = [&](const TSK_FS_ATTR* attr, bool data) {
            FileEntry e = base;
            bool named = attr && attr->name &&
                         !(raw_attr_type(attr) == TSK_FS_ATTR_TYPE_NTFS_IDXROOT && std::strcmp(attr->name, "$I30") == 0);
            if (named) {
                e.stream = attr->name;
                e.path += ":" + e.stream;
                e.name += ":" + e.stream;
            }
            if (attr) {
                e.attr_type = raw_attr_type(attr);
                e.attr_id = attr->id;
                if (data) e.size = attr->size;
                if (data && ctx->opt->reuse_snapshots) e.same_as_base = snapshot_unchanged(*ctx, file, attr);
                if (data) e.extents = plain_extents(*ctx, attr, attr->size);
            }
            // Data streams have content; so do the named indexes of a regular file ($Secure:$SDH),
            // which fls lists as files and icat reads. A directory's own index does not.
            e.has_content = data || (named && meta->type == TSK_FS_META_TYPE_REG);
            for (auto& r : rows)
                if (r.path == e.path) {
                    if (e.has_content && !r.has_content) r = e;
                    return;
                }
            rows.push_back(std::move(e));
        };
        int cnt = tsk_fs_file_attr_getsize(file);
        for (int i = 0; i < cnt; ++i) {
            const TSK_FS_ATTR* attr = tsk_fs_file_attr_get_idx(file, i);
            if (!attr) continue;
            if (raw_attr_type(attr) == TSK_FS_ATTR_TYPE_NTFS_DATA)
                add(attr, true);
            else if (raw_attr_type(attr) == TSK_FS_ATTR_TYPE_NTFS_IDXROOT)
                add(attr, false);
        }
        if (rows.empty()) add(nullptr, false);
        for (auto& e : rows) {
            ContentReader reader = [&, e](const BlockFn& fn, std::string& err) {
                return read_content(file, true, e.attr_type, e.attr_id, bs, cancel, fn, err);
            };
            ctx->sink->file(*ctx->info, e, reader);
            ++ctx->files;
        }
        tsk_error_reset();
        return TSK_WALK_CONT;
    }

    base.has_content = meta && meta->type == TSK_FS_META_TYPE_REG;
    if (base.has_content && ctx->opt->extents) base.extents = plain_extents(*ctx, tsk_fs_file_attr_get(file), meta->size);
    ContentReader reader = [&](const BlockFn& fn, std::string& err) {
        return read_content(file, false, 0, 0, bs, cancel, fn, err);
    };
    ctx->sink->file(*ctx->info, base, reader);
    ++ctx->files;
    tsk_error_reset();
    return TSK_WALK_CONT;
}

struct UnallocContext {
    LayoutSink* sink;
    const FsInfo* info;
    uint64_t block_size;
    uint64_t run_start = 0, run_len = 0;  // in blocks
    bool have = false;
    void flush() {
        if (have)
            sink->unallocated(*info, "fs_unallocated", info->offset + run_start * block_size, run_len * block_size,
                              info->volume);
        have = false;
    }
};

TSK_WALK_RET_ENUM unalloc_cb(const TSK_FS_BLOCK* block, void* ptr) {
    auto* u = static_cast<UnallocContext*>(ptr);
    uint64_t a = block->addr;
    if (u->have && a == u->run_start + u->run_len) {
        ++u->run_len;
    } else {
        u->flush();
        u->run_start = a;
        u->run_len = 1;
        u->have = true;
    }
    return TSK_WALK_CONT;
}

// File slack and file-system metadata as extra byte ranges, so that the unallocated-space
// detectors (keywords, identifiers) also read what lies after each file's end and what the
// directories and allocation tables hold (docs/identifiers.md, "Slack and metadata").
// file_slack: for each allocated file with its content in blocks, the bytes from the end of its
// content to the end of its last allocated block run, with TRIAGE_SEAM_BYTES on either side
// (the file's last bytes before, the next block's first bytes after), so a term that runs from
// the file into its slack, or from the slack or the file's last byte into the next block, is
// seen whole; detectors report only hits that reach past the file's end and start before the
// slack's end. fs_metadata: the blocks of directories (not NTFS, whose indexes are attributes)
// and, on FAT, the reserved area and the FATs (TSK's metadata blocks), merged into runs.
struct SlackContext {
    const FsInfo* info;
    LayoutSink* sink;
    uint64_t fs_end;                    // image (volume) offset of the end of the file system
    std::map<uint64_t, uint64_t> meta;  // fs_metadata runs: start -> end, merged
    void add_meta(uint64_t start, uint64_t end) {
        auto it = meta.upper_bound(start);
        if (it != meta.begin() && std::prev(it)->second >= start) {
            --it;
            start = it->first;
            end = std::max(end, it->second);
            it = meta.erase(it);
        }
        while (it != meta.end() && it->first <= end) {
            end = std::max(end, it->second);
            it = meta.erase(it);
        }
        meta[start] = end;
    }
};

TSK_WALK_RET_ENUM slack_cb(TSK_FS_FILE* file, void* ptr) {
    auto* sc = static_cast<SlackContext*>(ptr);
    const TSK_FS_META* m = file->meta;
    if (!m || m->type == TSK_FS_META_TYPE_VIRT || m->type == TSK_FS_META_TYPE_VIRT_DIR) return TSK_WALK_CONT;
    const bool dir = m->type == TSK_FS_META_TYPE_DIR;
    if (!dir && m->type != TSK_FS_META_TYPE_REG) return TSK_WALK_CONT;
    if (dir && TSK_FS_TYPE_ISNTFS(file->fs_info->ftype)) return TSK_WALK_CONT;
    const TSK_FS_ATTR* a = tsk_fs_file_attr_get(file);  // the default data attribute
    if (!a || !(a->flags & TSK_FS_ATTR_NONRES) || (a->flags & (TSK_FS_ATTR_COMP | TSK_FS_ATTR_ENC))) {
        tsk_error_reset();
        return TSK_WALK_CONT;
    }
    const uint64_t bs = file->fs_info->block_size, base = sc->info->offset;
    const uint64_t size = static_cast<uint64_t>(a->size), alloc = static_cast<uint64_t>(a->nrd.allocsize);
    for (const TSK_FS_ATTR_RUN* r = a->nrd.run; r; r = r->next) {
        if (r->flags & (TSK_FS_ATTR_RUN_FLAG_SPARSE | TSK_FS_ATTR_RUN_FLAG_FILLER) || r->len == 0) continue;
        const uint64_t lstart = static_cast<uint64_t>(r->offset) * bs, llen = static_cast<uint64_t>(r->len) * bs;
        const uint64_t at = base + static_cast<uint64_t>(r->addr) * bs;
        if (dir) {
            sc->add_meta(at, std::min(at + llen, sc->fs_end));
            continue;
        }
        // The run holding the file's last byte: the slack runs from there to the end of the
        // allocation or of this run, whichever comes first.
        if (size == 0 || size - 1 < lstart || size - 1 >= lstart + llen) continue;
        const uint64_t end = at + (size - lstart);
        const uint64_t slack_end = std::min(at + llen, end + (alloc > size ? alloc - size : 0));
        if (end < base + TRIAGE_SEAM_BYTES) continue;
        const uint64_t from = end - TRIAGE_SEAM_BYTES;
        const uint64_t to = std::min(slack_end + TRIAGE_SEAM_BYTES, sc->fs_end);
        sc->sink->unallocated(*sc->info, "file_slack", from, to - from, sc->info->volume);
    }
    tsk_error_reset();
    return TSK_WALK_CONT;
}

TSK_WALK_RET_ENUM fat_meta_cb(const TSK_FS_BLOCK* block, void* ptr) {
    auto* sc = static_cast<SlackContext*>(ptr);
    const uint64_t bs = block->fs_info->block_size;
    const uint64_t at = sc->info->offset + static_cast<uint64_t>(block->addr) * bs;
    sc->add_meta(at, at + bs);
    return TSK_WALK_CONT;
}

void slack_and_metadata(TSK_FS_INFO* fs, const FsInfo& info, LayoutSink& sink, const std::string& location) {
    SlackContext sc{&info, &sink, info.offset + static_cast<uint64_t>(fs->block_count) * fs->block_size, {}};
    tsk_error_reset();
    if (tsk_fs_meta_walk(fs, fs->first_inum, fs->last_inum,
                         static_cast<TSK_FS_META_FLAG_ENUM>(TSK_FS_META_FLAG_ALLOC | TSK_FS_META_FLAG_USED), slack_cb,
                         &sc) != 0)
        sink.error(location, "file slack walk failed: " + tsk_error_text());
    if (TSK_FS_TYPE_ISFAT(fs->ftype)) {
        tsk_error_reset();
        if (tsk_fs_block_walk(fs, fs->first_block, fs->last_block,
                              static_cast<TSK_FS_BLOCK_WALK_FLAG_ENUM>(TSK_FS_BLOCK_WALK_FLAG_ALLOC |
                                                                       TSK_FS_BLOCK_WALK_FLAG_META |
                                                                       TSK_FS_BLOCK_WALK_FLAG_AONLY),
                              fat_meta_cb, &sc) != 0)
            sink.error(location, "metadata block walk failed: " + tsk_error_text());
    }
    for (const auto& [start, end] : sc.meta) sink.unallocated(info, "fs_metadata", start, end - start, info.volume);
}

std::string fs_location(const std::string& prefix, const FsInfo& info) {
    std::string s = prefix;
    if (!info.volume.empty()) s += ": volume " + info.volume;
    if (info.slot) s += ": partition " + std::to_string(*info.slot);
    s += ": file system at offset " + std::to_string(info.offset);
    if (info.pool_block >= 0) s += " (pool volume at block " + std::to_string(info.pool_block) + ")";
    if (!info.fs_type.empty()) s += " (" + info.fs_type + ")";
    return s;
}

// Walks one opened file system.
void walk_open_fs(TSK_FS_INFO* fs, FsInfo info, const std::string& prefix, LayoutSink& sink, const WalkOptions& opt,
                  WalkSummary& sum) {
    ++sum.filesystems;
    const char* tn = tsk_fs_type_toname(fs->ftype);
    info.fs_type = tn ? tn : "unknown";
    info.block_size = fs->block_size;
    info.block_count = fs->block_count;
    if (!sink.filesystem_begin(info)) return;
    info.read_again = [fs, &opt](const FileEntry& e, const BlockFn& fn, std::string& err) {
        tsk_error_reset();
        TSK_FS_FILE* file = tsk_fs_file_open_meta(fs, nullptr, e.meta_addr);
        if (!file) {
            err = "inode " + std::to_string(e.meta_addr) + " could not be opened again: " + tsk_error_text();
            return false;
        }
        const bool typed = TSK_FS_TYPE_ISNTFS(fs->ftype) && e.attr_type != 0;
        bool ok = read_content(file, typed, e.attr_type, e.attr_id, opt.block_size, opt.cancel, fn, err);
        tsk_fs_file_close(file);
        return ok;
    };
    FsWalkContext ctx{fs, &info, &sink, &opt, fs_location(prefix, info)};
    // A truncated image, or a size field that claims more than there is (a petabyte file system
    // in 6 MiB): TSK opens it regardless, and some types (FAT) never read past the end, so say it.
    if (const auto have = fs->img_info ? fs->img_info->size : 0; info.pool_block < 0 && have > 0) {
        const uint64_t bs = std::max<uint64_t>(fs->block_size, 1);
        const uint64_t claimed = fs->block_count > UINT64_MAX / bs ? UINT64_MAX : fs->block_count * bs;
        const uint64_t after_offset = static_cast<uint64_t>(have) > info.offset ? static_cast<uint64_t>(have) - info.offset : 0;
        if (claimed > after_offset)
            sink.error(ctx.location, "the file system claims " + std::to_string(claimed) + " bytes (" +
                                         std::to_string(fs->block_count) + " blocks of " + std::to_string(fs->block_size) +
                                         ") but the image holds " + std::to_string(after_offset) +
                                         " bytes from its offset: the image is truncated or the size field is damaged");
    }
    bool ok = true;
    tsk_error_reset();
    if (tsk_fs_dir_walk(fs, fs->root_inum,
                        static_cast<TSK_FS_DIR_WALK_FLAG_ENUM>(TSK_FS_DIR_WALK_FLAG_ALLOC | TSK_FS_DIR_WALK_FLAG_UNALLOC |
                                                               TSK_FS_DIR_WALK_FLAG_RECURSE),
                        dir_cb, &ctx) != 0) {
        ok = false;
        sink.error(ctx.location,
                   "directory walk ended early after " + std::to_string(ctx.files) + " entries: " + tsk_error_text());
    }
    if (opt.cancel && opt.cancel->load()) ok = false;
    sum.files += ctx.files;
    // Unallocated blocks as image byte ranges; not for pool volumes, whose blocks are not
    // at a fixed image offset.
    if (ok && info.pool_block < 0) {
        UnallocContext u{&sink, &info, fs->block_size};
        tsk_error_reset();
        if (tsk_fs_block_walk(fs, fs->first_block, fs->last_block,
                              static_cast<TSK_FS_BLOCK_WALK_FLAG_ENUM>(TSK_FS_BLOCK_WALK_FLAG_UNALLOC |
                                                                       TSK_FS_BLOCK_WALK_FLAG_AONLY),
                              unalloc_cb, &u) != 0) {
            sink.error(ctx.location, "unallocated block walk failed: " + tsk_error_text());
        }
        u.flush();
        slack_and_metadata(fs, info, sink, ctx.location);
    }
    sink.filesystem_end(info, ok);
}

// TSK's "Cannot determine file system type (EXT2/3/4 or NTFS)": the candidate types.
std::vector<TSK_FS_TYPE_ENUM> ambiguous_types(const std::string& message) {
    std::vector<TSK_FS_TYPE_ENUM> out;
    auto open = message.find('(');
    auto close = message.rfind(')');
    if (message.find("Cannot determine file system type") == std::string::npos || open == std::string::npos ||
        close == std::string::npos || close < open)
        return out;
    std::string list = message.substr(open + 1, close - open - 1);
    size_t pos = 0;
    while (pos <= list.size()) {
        size_t end = list.find(" or ", pos);
        std::string tok = list.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
        std::string low;
        for (char c : tok) low += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (low.find("ext") != std::string::npos && low.find("exfat") == std::string::npos) low = "ext";
        TSK_FS_TYPE_ENUM t = tsk_fs_type_toid(low.c_str());
        if (t != TSK_FS_TYPE_UNSUPP) out.push_back(t);
        if (end == std::string::npos) break;
        pos = end + 4;
    }
    return out;
}

// Opens and walks whatever file systems sit at offset: one TSK detects; each of several when
// TSK finds more than one; the volumes of a pool (APFS). False when there are none.
void walk_image(TSK_IMG_INFO* img, const std::string& volume, const std::string& prefix, LayoutSink& sink,
                const WalkOptions& opt, WalkSummary& sum, int depth, const volumes::Volume* vol = nullptr);

constexpr int kMaxVolumeDepth = 4;  // containers inside containers (LUKS in LVM in a partition ...)

// Walks each volume a container opened, as a disk of its own.
void walk_container(const volumes::Container& c, const std::string& parent_volume, const std::string& prefix,
                    LayoutSink& sink, const WalkOptions& opt, WalkSummary& sum, int depth) {
    sink.container(parent_volume, c);
    for (const auto& v : c.volumes) {
        if (opt.cancel && opt.cancel->load()) return;
        sum.opened[v->label()] = v;
        TSK_IMG_INFO* vi = v->tsk();
        if (!vi) {
            sink.error(prefix + ": volume " + v->label(), "cannot read the volume: " + tsk_error_text());
            continue;
        }
        if (depth + 1 > kMaxVolumeDepth) {
            sink.error(prefix + ": volume " + v->label(),
                       "not walked: more than " + std::to_string(kMaxVolumeDepth) + " levels of nested volumes");
            continue;
        }
        walk_image(vi, v->label(), prefix, sink, opt, sum, depth + 1, v.get());
    }
}

// An LVM physical volume, LUKS or BitLocker volume (strong signatures, checked before the file
// systems), or a FileVault volume (weak: only where no file system was found) in the range:
// recorded, and walked when it opens. False when the range holds none of them.
bool try_container(TSK_IMG_INFO* img, const std::string& volume, uint64_t offset, uint64_t length,
                   const std::string& prefix, LayoutSink& sink, const WalkOptions& opt, WalkSummary& sum, int depth,
                   bool weak) {
    static const volumes::Secrets kNone;
    const volumes::Secrets& secrets = opt.secrets ? *opt.secrets : kNone;
    std::optional<volumes::Container> c;
    try {
        c = weak ? volumes::probe_filevault({img, offset, length}, secrets)
                 : volumes::probe({img, offset, length}, secrets, volume);
    } catch (const std::exception& e) {
        sink.error(prefix + (volume.empty() ? "" : ": volume " + volume) + ": offset " + std::to_string(offset),
                   std::string("volume container not read: ") + e.what());
        return false;
    }
    if (!c) return false;
    walk_container(*c, volume, prefix, sink, opt, sum, depth);
    return true;
}

bool walk_fs(TSK_IMG_INFO* img, const std::string& volume, uint64_t offset, std::optional<int64_t> slot,
             const std::string& prefix, LayoutSink& sink, const WalkOptions& opt, WalkSummary& sum,
             std::string& open_error, int depth, const volumes::Volume* vol) {
    FsInfo info;
    info.volume = volume;
    info.vol = vol;
    info.offset = offset;
    info.slot = slot;
    tsk_error_reset();
    if (TSK_FS_INFO* fs = tsk_fs_open_img(img, static_cast<TSK_OFF_T>(offset), TSK_FS_TYPE_DETECT)) {
        walk_open_fs(fs, info, prefix, sink, opt, sum);
        const bool ntfs = TSK_FS_TYPE_ISNTFS(fs->ftype);
        const uint64_t fs_bytes = static_cast<uint64_t>(fs->block_count) * fs->block_size;
        tsk_fs_close(fs);
        // The shadow copies of an NTFS volume, each walked as its own view.
        if (ntfs && volume.find("vss:") == std::string::npos) {
            std::optional<volumes::Container> vss;
            try {
                vss = volumes::probe_vss({img, offset, std::max<uint64_t>(fs_bytes, 1)}, volume);
            } catch (const std::exception& e) {
                sink.error(fs_location(prefix, info), std::string("shadow copies not read: ") + e.what());
            }
            if (vss) walk_container(*vss, volume, prefix, sink, opt, sum, depth);
        }
        return true;
    }
    open_error = tsk_error_text();

    auto candidates = ambiguous_types(open_error);
    int opened = 0;
    std::string names;
    for (TSK_FS_TYPE_ENUM t : candidates) {
        tsk_error_reset();
        if (TSK_FS_INFO* fs = tsk_fs_open_img(img, static_cast<TSK_OFF_T>(offset), t)) {
            const char* n = tsk_fs_type_toname(fs->ftype);
            names += std::string(names.empty() ? "" : " and ") + (n ? n : "?");
            walk_open_fs(fs, info, prefix, sink, opt, sum);
            tsk_fs_close(fs);
            ++opened;
        }
    }
    if (opened > 0) {
        sink.error(fs_location(prefix, info),
                   "more than one file system at this offset (" + open_error + "); each was walked: " + names);
        return true;
    }

    tsk_error_reset();
    const TSK_POOL_INFO* pool = tsk_pool_open_img_sing(img, static_cast<TSK_OFF_T>(offset), TSK_POOL_TYPE_DETECT);
    if (!pool) {
        tsk_error_reset();
        return false;
    }
    for (const TSK_POOL_VOLUME_INFO* vol = pool->vol_list; vol; vol = vol->next) {
        FsInfo vinfo = info;
        vinfo.pool_block = static_cast<int64_t>(vol->block);
        TSK_IMG_INFO* pool_img = pool->get_img_info(pool, vol->block);
        if (!pool_img) {
            sink.error(fs_location(prefix, vinfo), "cannot open pool volume at block " + std::to_string(vol->block) +
                                                       ": " + tsk_error_text());
            continue;
        }
        tsk_error_reset();
        if (TSK_FS_INFO* fs = tsk_fs_open_img(pool_img, 0, TSK_FS_TYPE_DETECT)) {
            walk_open_fs(fs, vinfo, prefix, sink, opt, sum);
            tsk_fs_close(fs);
            ++opened;
        } else {
            std::string why = (vol->flags & TSK_POOL_VOLUME_FLAG_ENCRYPTED) ? "encrypted volume (no key given)"
                                                                             : tsk_error_text();
            sink.error(fs_location(prefix, vinfo), "pool volume '" + std::string(vol->desc ? vol->desc : "") +
                                                       "' at block " + std::to_string(vol->block) + " not readable: " + why);
        }
        tsk_img_close(pool_img);
    }
    tsk_pool_close(pool);
    if (opened == 0) open_error = "a pool with no readable volume";
    return opened > 0;
}

}  // namespace

WalkSummary walk(TSK_IMG_INFO* img, const std::string& prefix, LayoutSink& sink, const WalkOptions& opt) {
    WalkSummary sum;
    walk_image(img, "", prefix, sink, opt, sum, 0);
    return sum;
}

namespace {

// The walk of one disk: the evidence itself, or a volume inside a container (volume = its label).
// TSK refused the partition table: the file systems its readable primary entries point at
// (mbr_fallback.hpp), each with an errors row saying how it was found. False when none.
bool walk_raw_mbr(TSK_IMG_INFO* img, const std::string& volume, const std::string& prefix_in, const std::string& vs_err,
                  LayoutSink& sink, const WalkOptions& opt, WalkSummary& sum, int depth, const volumes::Volume* vol) {
    bool found = false;
    const std::string prefix = volume.empty() ? prefix_in : prefix_in + ": volume " + volume;
    for (const auto& e : raw_mbr_entries(img)) {
        std::string err;
        if (!walk_fs(img, volume, e.start, std::nullopt, prefix_in, sink, opt, sum, err, depth, vol)) continue;
        found = true;
        sink.error(prefix + ": partition table at offset 0",
                   "The Sleuth Kit rejected the DOS partition table (" + vs_err + "); the file system at offset " +
                       std::to_string(e.start) + " was found through its primary entry " + std::to_string(e.slot));
    }
    tsk_error_reset();
    return found;
}

void walk_image(TSK_IMG_INFO* img, const std::string& volume, const std::string& prefix_in, LayoutSink& sink,
                const WalkOptions& opt, WalkSummary& sum, int depth, const volumes::Volume* vol) {
    const std::string prefix = volume.empty() ? prefix_in : prefix_in + ": volume " + volume;
    tsk_error_reset();
    TSK_VS_INFO* vs = tsk_vs_open(img, 0, TSK_VS_TYPE_DETECT);
    if (vs) {
        const char* vn = tsk_vs_type_toname(vs->vstype);
        for (TSK_PNUM_T i = 0; i < vs->part_count; ++i) {
            if (opt.cancel && opt.cancel->load()) break;
            const TSK_VS_PART_INFO* part = tsk_vs_part_get(vs, i);
            if (!part) continue;
            VolumeInfo v;
            v.volume = volume;
            v.vs_type = vn ? vn : "unknown";
            v.slot = part->addr;
            v.start = static_cast<uint64_t>(part->start) * vs->block_size;
            v.length = static_cast<uint64_t>(part->len) * vs->block_size;
            v.description = part->desc ? part->desc : "";
            v.kind = (part->flags & TSK_VS_PART_FLAG_ALLOC) ? "partition"
                     : (part->flags & TSK_VS_PART_FLAG_UNALLOC) ? "unallocated"
                                                                 : "meta";
            if (v.start + v.length > static_cast<uint64_t>(img->size)) {
                sink.error(prefix + ": partition " + std::to_string(v.slot),
                           "partition extends past the end of the image (" + std::to_string(v.start + v.length) +
                               " > " + std::to_string(img->size) + " bytes)");
            }
            sink.volume(v);
            ++sum.volumes;
            if (v.kind == "unallocated") {
                sink.unallocated(std::nullopt, "unpartitioned", v.start, v.length, volume);
            } else if (v.kind == "partition") {
                std::string err;
                if (!try_container(img, volume, v.start, v.length, prefix_in, sink, opt, sum, depth, false) &&
                    !walk_fs(img, volume, v.start, v.slot, prefix_in, sink, opt, sum, err, depth, vol) &&
                    !try_container(img, volume, v.start, v.length, prefix_in, sink, opt, sum, depth, true)) {
                    sink.error(prefix + ": partition " + std::to_string(v.slot) + " at offset " + std::to_string(v.start) +
                                   " (" + v.description + ")",
                               "no file system The Sleuth Kit can read: " + err);
                    sink.unallocated(std::nullopt, "no_filesystem", v.start, v.length, volume);
                }
            }
        }
        tsk_vs_close(vs);
    } else {
        std::string vs_err = tsk_error_text();
        std::string err;
        const uint64_t size = static_cast<uint64_t>(img->size);
        if (!try_container(img, volume, 0, size, prefix_in, sink, opt, sum, depth, false) &&
            !walk_fs(img, volume, 0, std::nullopt, prefix_in, sink, opt, sum, err, depth, vol) &&
            !try_container(img, volume, 0, size, prefix_in, sink, opt, sum, depth, true) &&
            !walk_raw_mbr(img, volume, prefix_in, vs_err, sink, opt, sum, depth, vol)) {
            sink.error(prefix + ": offset 0", "no volume system (" + vs_err + ") and no file system (" + err + ")");
            sink.unallocated(std::nullopt, "no_filesystem", 0, static_cast<uint64_t>(img->size), volume);
        }
    }
}

// The ranges a container can lie in: the whole disk and each allocated partition.
std::vector<std::pair<uint64_t, uint64_t>> candidate_ranges(TSK_IMG_INFO* img) {
    std::vector<std::pair<uint64_t, uint64_t>> r = {{0, static_cast<uint64_t>(img->size)}};
    tsk_error_reset();
    if (TSK_VS_INFO* vs = tsk_vs_open(img, 0, TSK_VS_TYPE_DETECT)) {
        for (TSK_PNUM_T i = 0; i < vs->part_count; ++i) {
            const TSK_VS_PART_INFO* p = tsk_vs_part_get(vs, i);
            if (p && (p->flags & TSK_VS_PART_FLAG_ALLOC))
                r.push_back({static_cast<uint64_t>(p->start) * vs->block_size, static_cast<uint64_t>(p->len) * vs->block_size});
        }
        tsk_vs_close(vs);
    }
    tsk_error_reset();
    return r;
}

}  // namespace

namespace {
void find_in(TSK_IMG_INFO* img, const std::string& volume, const volumes::Secrets& secrets, int depth,
             std::vector<std::pair<std::string, volumes::Container>>& out) {
    for (const auto& [off, len] : candidate_ranges(img)) {
        std::optional<volumes::Container> found[3];
        found[0] = volumes::probe({img, off, len}, secrets, volume);
        if (!found[0]) {
            found[1] = volumes::probe_vss({img, off, len}, volume);
            if (!found[1]) {
                tsk_error_reset();
                TSK_FS_INFO* fs = tsk_fs_open_img(img, static_cast<TSK_OFF_T>(off), TSK_FS_TYPE_DETECT);
                if (fs) tsk_fs_close(fs);
                else found[2] = volumes::probe_filevault({img, off, len}, secrets);
                tsk_error_reset();
            }
        }
        for (auto& c : found) {
            if (!c) continue;
            out.push_back({volume, *c});
            if (depth < kMaxVolumeDepth)
                for (const auto& v : c->volumes)
                    if (TSK_IMG_INFO* vi = v->tsk()) find_in(vi, v->label(), secrets, depth + 1, out);
        }
    }
}
}  // namespace

std::vector<std::pair<std::string, volumes::Container>> find_containers(TSK_IMG_INFO* img,
                                                                        const volumes::Secrets& secrets) {
    std::vector<std::pair<std::string, volumes::Container>> out;
    find_in(img, "", secrets, 0, out);
    return out;
}

TSK_IMG_INFO* open_volume(TSK_IMG_INFO* img, const std::string& label, const volumes::Secrets& secrets,
                          std::vector<std::shared_ptr<volumes::Volume>>& keep) {
    // Follow the chain "a>b>c" one container at a time, probing where the walk would have.
    std::string have;
    TSK_IMG_INFO* cur = img;
    while (have != label) {
        std::shared_ptr<volumes::Volume> next;
        for (const auto& [off, len] : candidate_ranges(cur)) {
            std::vector<volumes::Container> found;
            if (auto c = volumes::probe({cur, off, len}, secrets, have)) found.push_back(std::move(*c));
            if (auto c = volumes::probe_vss({cur, off, len}, have)) found.push_back(std::move(*c));
            for (auto& c : found)
                for (auto& v : c.volumes)
                    if (label == v->label() || label.rfind(v->label() + ">", 0) == 0) next = v;
            if (next) break;
        }
        if (!next) throw std::runtime_error("volume '" + label + "' not found or not unlocked (give its secret)");
        keep.push_back(next);
        have = next->label();
        cur = next->tsk();
        if (!cur) throw std::runtime_error("volume '" + have + "' cannot be read");
    }
    return cur;
}


std::string describe(TSK_IMG_INFO* img) {
    std::ostringstream out;
    out << "Image size: " << img->size << " bytes, sector size " << img->sector_size << "\n";
    auto fs_line = [&](uint64_t off) {
        tsk_error_reset();
        TSK_FS_INFO* fs = tsk_fs_open_img(img, static_cast<TSK_OFF_T>(off), TSK_FS_TYPE_DETECT);
        if (!fs) return "no readable file system (" + tsk_error_text() + ")";
        std::ostringstream s;
        const char* tn = tsk_fs_type_toname(fs->ftype);
        s << (tn ? tn : "unknown") << ", block size " << fs->block_size << ", " << fs->block_count << " blocks, inodes "
          << fs->first_inum << "-" << fs->last_inum << ", root " << fs->root_inum;
        tsk_fs_close(fs);
        return s.str();
    };
    tsk_error_reset();
    TSK_VS_INFO* vs = tsk_vs_open(img, 0, TSK_VS_TYPE_DETECT);
    if (!vs) {
        tsk_error_reset();
        out << "No volume system. File system at offset 0: " << fs_line(0) << "\n";
        return out.str();
    }
    const char* vn = tsk_vs_type_toname(vs->vstype);
    out << "Volume system: " << (vn ? vn : "unknown") << ", block size " << vs->block_size << ", "
        << vs->part_count << " entries\n";
    out << "slot  start(sector)  length(sectors)  offset(bytes)  description\n";
    for (TSK_PNUM_T i = 0; i < vs->part_count; ++i) {
        const TSK_VS_PART_INFO* p = tsk_vs_part_get(vs, i);
        if (!p) continue;
        out << p->addr << "  " << p->start << "  " << p->len << "  " << hex_offset(p->start * vs->block_size) << "  "
            << (p->desc ? p->desc : "") << "\n";
        if (p->flags & TSK_VS_PART_FLAG_ALLOC) out << "      file system: " << fs_line(p->start * vs->block_size) << "\n";
    }
    tsk_vs_close(vs);
    return out.str();
}

}  // namespace triage::layout
