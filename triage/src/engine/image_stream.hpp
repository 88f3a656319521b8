// The one sequential read of an evidence image (issue 8). Reader threads, each with its own
// handle on the image, read consecutive chunks ahead of the consumer (so an E01's chunks are
// inflated on several cores at once); the consumer takes the chunks in order and hands each
// to the files and unallocated ranges that own its bytes, while the same buffer goes to the
// image hash (MD5 on one thread, SHA-1 and SHA-256 on another). Memory is a fixed window of
// chunks, whatever the size of the image.
#pragma once

#include "evidence/image.hpp"
#include "evidence/image_hash.hpp"

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace triage::engine {

class ImageStream {
public:
    using ChunkFn = std::function<void(uint64_t offset, const uint8_t* data, size_t len)>;

    // How many readers to give an image. A raw image's reads are copies from the page cache or
    // plain disk reads: two keep a request in flight. A container's chunks must be inflated:
    // one reader per two workers (the image hash and the files' detectors take the other
    // cores), at least two (one for a single worker), at most four, since the image hash's MD5
    // thread is slower than four inflaters. The readers of an E01 share one libewf handle (see
    // Image::reopen), so their number does not change what libewf holds.
    static unsigned readers_for(const std::string& format, unsigned jobs);

    // readers: reader threads (each reads through its own Image::reopen()).
    ImageStream(const evidence::Image& img, unsigned readers, const std::atomic<bool>* cancel,
                std::atomic<uint64_t>* progress);
    ~ImageStream();
    ImageStream(const ImageStream&) = delete;
    ImageStream& operator=(const ImageStream&) = delete;

    uint64_t position() const { return pos_; }
    uint64_t size() const { return size_; }
    // True once a chunk could not be read (or the stream was cancelled): the image hash is then
    // incomplete and nothing more comes from the stream.
    bool failed() const { return failed_; }
    const std::string& error() const { return error_; }

    // Reads from position() up to end (at most the image size), calling fn for each chunk in
    // order. Returns false when a read failed or the scan was cancelled.
    bool advance(uint64_t end, const ChunkFn& fn);

    // Reads to the end of the image and returns its hashes (incomplete after a failure).
    evidence::ImageHashes finish();

    // Integrity problems the readers' handles reported (bad E01 chunk checksums ...).
    std::vector<std::string> integrity_errors() const;
    // How often the readers' library handles were renewed to bound their memory (E01).
    uint64_t handles_renewed() const;
    // Reads the readers sent to the container's library (E01: chunks triage's map did not serve).
    uint64_t library_reads() const;

    static constexpr size_t kChunk = 4 << 20;

private:
    struct Chunk {
        std::shared_ptr<std::vector<uint8_t>> data;
        int64_t n = 0;  // bytes read; < 0 on a read error
    };
    class Hasher;

    void reader_main(unsigned k);
    void stop_readers();

    std::vector<std::unique_ptr<evidence::Image>> handles_;
    uint64_t size_ = 0, pos_ = 0;
    uint64_t chunks_ = 0;                // number of chunks in the image
    uint64_t window_ = 0;                // chunks read ahead at most
    const std::atomic<bool>* cancel_;
    std::atomic<uint64_t>* progress_;
    bool failed_ = false;
    std::string error_;

    mutable std::mutex mu_;
    std::condition_variable ready_cv_, space_cv_;
    std::map<uint64_t, Chunk> ready_;    // chunk index -> data, read but not yet consumed
    uint64_t next_to_read_ = 0;          // next chunk index a reader claims
    uint64_t next_to_consume_ = 0;
    bool stopping_ = false;
    std::vector<std::thread> readers_;
    Chunk cur_;                          // the chunk the position is in (already hashed)
    uint64_t cur_off_ = 0;
    std::unique_ptr<Hasher> hasher_;
};

}  // namespace triage::engine
