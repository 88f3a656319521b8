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
    // Another independent handle on the same evidence (for a parallel sequential pass).
    virtual std::unique_ptr<Image> reopen() const = 0;
    // Read problems the container itself detected (E01 chunk checksum errors), as text.
    virtual std::vector<std::string> integrity_errors() { return {}; }

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

// The segments of a split raw image that starts at first (.001/.000/.aa naming); a
// single-element list when first has no successors.
std::vector<std::string> split_raw_segments(const std::string& first);

}  // namespace triage::evidence
