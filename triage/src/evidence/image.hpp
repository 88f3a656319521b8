// Evidence images opened read-only: raw/dd, split raw, E01 (libewf) and the container
// formats The Sleuth Kit opens itself (AFF, VMDK, VHD). The format is detected from content.
#pragma once

#include <tsk/libtsk.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace triage::evidence {

struct StoredHashes {
    std::string md5;   // lower-case hex, empty when the container stores none
    std::string sha1;
};

// Thrown for evidence that cannot be opened: the message names the file and the problem.
struct ImageError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

class Image {
public:
    virtual ~Image() = default;
    // Reads up to len bytes at offset; returns bytes read (short at the end), -1 on error.
    // Safe to call from several threads.
    virtual int64_t read(uint64_t offset, void* buf, size_t len) = 0;
    // Another handle on the same evidence, for a pass on another thread. Raw and split raw: its
    // own files; an E01: a view on the same evidence (its chunk map and the one libewf handle
    // the scan may need), with its own buffers and file, so that chunks are read and inflated
    // on each view's thread.
    virtual std::unique_ptr<Image> reopen() const = 0;
    // Read problems the container itself detected (E01 chunk checksum errors), as text.
    virtual std::vector<std::string> integrity_errors() { return {}; }
    // How often the library handle was closed and opened again to bound its memory (E01).
    virtual uint64_t handles_renewed() const { return 0; }
    // E01 chunks read raw (located by triage's chunk map, or by libewf) and inflated here, their
    // checksum verified (libdeflate); every other chunk went through libewf's own reading.
    virtual uint64_t chunks_inflated_here() const { return 0; }
    // E01: reads this view sent to libewf (a chunk triage's own chunk map could not read or
    // verify, or every read when the segment files are not laid out as the map expects), and
    // whether the evidence's libewf handle is open now (with the map it is closed after the
    // opening and holds none of its per-chunk memory until libewf is needed).
    virtual uint64_t library_reads() const { return 0; }
    virtual bool library_handle_open() const { return false; }
    // Gives back what the library keeps about the parts of the image read so far (E01: a fresh
    // handle), after reads scattered over the image that will not be repeated.
    virtual void release_caches() {}

    uint64_t size() const { return size_; }
    unsigned sector_size() const { return sector_size_; }
    const std::string& format() const { return format_; }
    const std::vector<std::string>& segments() const { return segments_; }
    const StoredHashes& stored_hashes() const { return stored_; }

    // A TSK image handle that reads through this object. Owned by this object.
    TSK_IMG_INFO* tsk();

protected:
    uint64_t size_ = 0;
    unsigned sector_size_ = 512;
    std::string format_;
    std::vector<std::string> segments_;
    StoredHashes stored_;
    TSK_IMG_INFO* tsk_ = nullptr;        // set by subclasses that are TSK-native
    bool tsk_owned_external_ = false;
    void close_tsk();
};

// Opens PATH read-only, detecting the format from content. Throws ImageError.
std::unique_ptr<Image> open_image(const std::string& path);

// libewf (the 2014 release Debian ships) keeps, per handle, the chunk-table entries of every
// chunk it has read: about 4 MiB per GiB of image, so a terabyte E01 would need gigabytes per
// handle. When libewf reads an E01 (a damaged segment set, SMART or EWF, or a chunk triage's
// chunk map could not verify), its handle is therefore closed and opened again after this many
// bytes read through it (default 1 GiB), or before it touches a third region of half that size
// (scattered reads, such as the walk's, load the tables of every part they touch), the chunk
// checksum errors it had found carried over. Tests set it lower.
void set_ewf_recycle_bytes(uint64_t bytes);
uint64_t ewf_recycle_bytes();
// Renewal by regions touched waits until a handle has lived this many times the time it took
// to open (default 20), so that a walk jumping between regions of a large E01 does not spend
// its time opening handles. 0: no wait (tests).
void set_ewf_region_pacing(double factor);
double ewf_region_pacing();
// Whether E01s opened from now on locate their chunks with triage's own map (default) or read
// everything through libewf (for tests of libewf's path, and to compare the two).
void set_ewf_chunk_map(bool on);

// The segments of a split raw image that starts at first (.001/.000/.aa naming); a
// single-element list when first has no successors.
std::vector<std::string> split_raw_segments(const std::string& first);

}  // namespace triage::evidence
