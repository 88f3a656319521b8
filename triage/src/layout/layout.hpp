// The layout stage: volume systems, file systems, files (allocated, deleted, orphan, NTFS
// streams) and unallocated byte ranges, as TSK sees them. It reports what it finds to a
// LayoutSink and never stops on damage: each problem becomes an error for the sink.
#pragma once

#include "volumes/volumes.hpp"

#include <tsk/libtsk.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace triage::layout {

struct VolumeInfo {
    std::string volume;        // the container volume it lies in ("" for the evidence itself)
    std::string vs_type;       // "dos", "gpt", ...
    int64_t slot = 0;          // TSK partition address
    uint64_t start = 0;        // bytes
    uint64_t length = 0;       // bytes
    std::string description;
    std::string kind;          // "partition", "unallocated", "meta"
};

// A piece of a file's content where it lies in the evidence image, in the file's own order.
struct Extent {
    uint64_t offset = 0;  // image byte offset
    uint64_t length = 0;
};

// Streams a file entry's content in blocks; returns false (with a message) when TSK could
// not read all of it. The callback returns false to stop early (cancellation).
struct FileEntry;
using BlockFn = std::function<bool(const uint8_t* data, size_t len, uint64_t offset)>;
using ContentReader = std::function<bool(const BlockFn& fn, std::string& error)>;

struct FsInfo {
    std::string volume;        // the container volume it lies in, e.g. "lvm:vg/lv", "vss:1" ("" for the evidence)
    uint64_t offset = 0;       // bytes from the start of the image (of the volume when volume is set)
    std::string fs_type;
    uint64_t block_size = 0;
    uint64_t block_count = 0;
    std::optional<int64_t> slot;  // partition slot it lives in, none for a bare file system
    int64_t pool_block = -1;      // APFS volume superblock block inside its container, else -1
    const volumes::Volume* vol = nullptr;  // the container volume object (null for the evidence)
    // Reads an entry of this file system again by its metadata address (and NTFS attribute),
    // as icat does; valid until filesystem_end returns. For files the sink put aside while
    // the walk went on (the scan's one sequential read leaves some files to read this way).
    std::function<bool(const FileEntry& e, const BlockFn& fn, std::string& error)> read_again;
};

// One row of the listing: a name, or an NTFS stream of it.
struct FileEntry {
    std::string path;          // "/dir/name" or "/dir/name:stream"
    std::string name;
    std::string stream;        // NTFS stream name or empty
    uint64_t meta_addr = 0;
    uint32_t meta_seq = 0;
    uint32_t attr_type = 0;
    uint16_t attr_id = 0;
    char name_type = '-';
    char meta_type = '-';
    bool allocated = true;
    bool realloc = false;
    bool is_virtual = false;
    std::optional<int64_t> size, mode, uid, gid, mtime, atime, ctime, crtime;
    bool has_content = false;  // a data stream the engine should read
    // In a shadow copy: the file's MFT record and data blocks read the same as in the volume the
    // snapshot is of, so its content is that volume's file at the same path (hashes can be reused).
    bool same_as_base = false;
    // Where the content lies in the image, when WalkOptions::extents asked for it and the bytes
    // are plain copies of image bytes (not resident, compressed, encrypted or sparse, and not
    // inside a container volume): the extents cover exactly `size` bytes. Empty otherwise.
    std::vector<Extent> extents;
};

class LayoutSink {
public:
    virtual ~LayoutSink() = default;
    virtual void volume(const VolumeInfo& v) = 0;
    // Returns false to skip walking this file system (already complete in the index).
    virtual bool filesystem_begin(const FsInfo& fs) = 0;
    virtual void file(const FsInfo& fs, const FileEntry& entry, const ContentReader& content) = 0;
    virtual void filesystem_end(const FsInfo& fs, bool walk_ok) = 0;
    // start: bytes from the start of the image, or of the volume when volume is set.
    virtual void unallocated(const std::optional<FsInfo>& fs, const std::string& kind, uint64_t start,
                             uint64_t length, const std::string& volume) = 0;
    // A container found in the range of a partition (or of the whole image or volume) that holds
    // no file system TSK reads, or the shadow copies of an NTFS volume; opened or not.
    virtual void container(const std::string& parent_volume, const volumes::Container& c) = 0;
    virtual void error(const std::string& location, const std::string& message) = 0;
};

struct WalkOptions {
    size_t block_size = 1 << 20;             // bytes handed to detectors at once
    const std::atomic<bool>* cancel = nullptr;
    const volumes::Secrets* secrets = nullptr;  // for encrypted volumes of this evidence item
    bool reuse_snapshots = true;  // mark shadow-copy files unchanged from the current volume (same_as_base)
    bool extents = false;         // fill FileEntry::extents (the scan's one sequential read)
};

struct WalkSummary {
    int volumes = 0;
    int filesystems = 0;       // opened
    uint64_t files = 0;
    // The container volumes opened (LVM, LUKS, BitLocker, shadow copies), by label: kept open
    // after the walk so their unallocated ranges can be read.
    std::map<std::string, std::shared_ptr<volumes::Volume>> opened;
};

// Walks every volume and file system of img. location_prefix names the evidence in errors.
WalkSummary walk(TSK_IMG_INFO* img, const std::string& location_prefix, LayoutSink& sink, const WalkOptions& opt);

// Describes volumes and file systems without walking files (the `info` command).
std::string describe(TSK_IMG_INFO* img);

std::string tsk_error_text();

// Every container in img (the whole disk and each partition), and in the volumes they open,
// without walking file systems (the `info` command). parent_volume of each is in .second.
std::vector<std::pair<std::string, volumes::Container>> find_containers(TSK_IMG_INFO* img,
                                                                        const volumes::Secrets& secrets);

// Opens the container volume LABEL (as the walk named it) of img again, e.g. for export;
// keep holds it open. Throws std::runtime_error naming the label when it cannot be found or unlocked.
TSK_IMG_INFO* open_volume(TSK_IMG_INFO* img, const std::string& label, const volumes::Secrets& secrets,
                          std::vector<std::shared_ptr<volumes::Volume>>& keep);

}  // namespace triage::layout
