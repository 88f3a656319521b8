// The acquisition hash: MD5, SHA-1 and SHA-256 of the whole media in one sequential pass,
// and the verdict against the hashes an E01 stores.
#pragma once

#include "evidence/image.hpp"

#include <atomic>
#include <string>

namespace triage::evidence {

struct ImageHashes {
    bool complete = false;      // every byte was read
    std::string md5, sha1, sha256;
    std::string error;          // why not complete
    uint64_t bytes = 0;
};

ImageHashes hash_image(Image& img, std::atomic<uint64_t>* progress = nullptr,
                       const std::atomic<bool>* cancel = nullptr);

// "verified", "mismatch", "no stored hash" or "not checked" (hashing incomplete). An image whose
// container reported integrity errors (bad chunk checksums, truncated segments) is never
// "verified", even when the hashes agree (libewf zero-fills a bad chunk, which can match).
std::string verdict(const StoredHashes& stored, const ImageHashes& computed, bool integrity_errors = false);

}  // namespace triage::evidence
