// The acquisition hash: MD5, SHA-1 and SHA-256 of the whole media in one sequential pass,
// and the verdict against the hashes an E01 stores.
#pragma once

#include "evidence/image.hpp"

#include <openssl/evp.h>

#include <atomic>
#include <memory>
#include <string>

namespace triage::evidence {

struct ImageHashes {
    bool complete = false;      // every byte was read
    std::string md5, sha1, sha256;
    std::string error;          // why not complete
    uint64_t bytes = 0;
};

// The three digests of one image, fed by whoever reads it (hash_image here, the scan's one
// sequential read in engine/ImageStream): 0 MD5, 1 SHA-1, 2 SHA-256. update() of different
// digests may run on different threads.
class ImageDigests {
public:
    ImageDigests();
    void update(int which, const void* data, size_t n) { EVP_DigestUpdate(ctx_[which].get(), data, n); }
    void finish(ImageHashes& r);   // sets r.md5, r.sha1, r.sha256

private:
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx_[3] = {
        {nullptr, EVP_MD_CTX_free}, {nullptr, EVP_MD_CTX_free}, {nullptr, EVP_MD_CTX_free}};
};

ImageHashes hash_image(Image& img, std::atomic<uint64_t>* progress = nullptr,
                       const std::atomic<bool>* cancel = nullptr);

// "verified", "mismatch", "no stored hash" or "not checked" (hashing incomplete). An image whose
// container reported integrity errors (bad chunk checksums, truncated segments) is never
// "verified", even when the hashes agree (libewf zero-fills a bad chunk, which can match).
std::string verdict(const StoredHashes& stored, const ImageHashes& computed, bool integrity_errors = false);

}  // namespace triage::evidence
