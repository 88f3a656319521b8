#include "evidence/image_hash.hpp"

#include "util/text.hpp"

#include <openssl/evp.h>

#include <future>
#include <memory>
#include <stdexcept>
#include <vector>

namespace triage::evidence {

ImageDigests::ImageDigests() {
    const EVP_MD* mds[3] = {EVP_md5(), EVP_sha1(), EVP_sha256()};
    for (int i = 0; i < 3; ++i) {
        ctx_[i].reset(EVP_MD_CTX_new());
        if (!ctx_[i] || EVP_DigestInit_ex(ctx_[i].get(), mds[i], nullptr) != 1)
            throw std::runtime_error("cannot initialise the image hash");
    }
}

void ImageDigests::finish(ImageHashes& r) {
    std::string* out[3] = {&r.md5, &r.sha1, &r.sha256};
    for (int i = 0; i < 3; ++i) {
        unsigned char d[EVP_MAX_MD_SIZE];
        unsigned int len = 0;
        EVP_DigestFinal_ex(ctx_[i].get(), d, &len);
        *out[i] = util::to_hex(d, len);
    }
}

ImageHashes hash_image(Image& img, std::atomic<uint64_t>* progress, const std::atomic<bool>* cancel) {
    ImageHashes r;
    ImageDigests digests;
    // MD5 (the slowest digest) runs on a second thread over the same buffer while this one does
    // SHA-1 and SHA-256; two buffers alternate so the next read overlaps the MD5 of the last.
    std::vector<uint8_t> bufs[2] = {std::vector<uint8_t>(4 << 20), std::vector<uint8_t>(4 << 20)};
    std::future<void> md5_done;
    uint64_t off = 0;
    int cur = 0;
    auto finish_md5 = [&] {
        if (md5_done.valid()) md5_done.get();
    };
    while (off < img.size()) {
        if (cancel && cancel->load(std::memory_order_relaxed)) {
            finish_md5();
            r.error = "cancelled";
            r.bytes = off;
            return r;
        }
        auto& buf = bufs[cur];
        int64_t n = img.read(off, buf.data(), buf.size());
        if (n <= 0) {
            finish_md5();
            r.error = "read error at image offset " + std::to_string(off);
            r.bytes = off;
            return r;
        }
        finish_md5();  // the previous buffer's MD5 is done before its buffer is reused next round
        md5_done = std::async(std::launch::async, [&digests, &buf, n] {
            digests.update(0, buf.data(), static_cast<size_t>(n));
        });
        digests.update(1, buf.data(), static_cast<size_t>(n));
        digests.update(2, buf.data(), static_cast<size_t>(n));
        off += static_cast<uint64_t>(n);
        cur ^= 1;
        if (progress) progress->store(off, std::memory_order_relaxed);
    }
    finish_md5();
    digests.finish(r);
    r.complete = true;
    r.bytes = off;
    return r;
}

std::string verdict(const StoredHashes& stored, const ImageHashes& computed, bool integrity_errors) {
    if (!computed.complete) return "not checked";
    if (stored.md5.empty() && stored.sha1.empty()) return "no stored hash";
    if (integrity_errors) return "mismatch";
    bool ok = (stored.md5.empty() || stored.md5 == computed.md5) && (stored.sha1.empty() || stored.sha1 == computed.sha1);
    return ok ? "verified" : "mismatch";
}

}  // namespace triage::evidence
