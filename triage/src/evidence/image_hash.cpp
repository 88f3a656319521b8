#include "evidence/image_hash.hpp"

#include "util/text.hpp"

#include <openssl/evp.h>

#include <memory>
#include <vector>

namespace triage::evidence {

ImageHashes hash_image(Image& img, std::atomic<uint64_t>* progress, const std::atomic<bool>* cancel) {
    ImageHashes r;
    const EVP_MD* mds[3] = {EVP_md5(), EVP_sha1(), EVP_sha256()};
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx[3] = {
        {EVP_MD_CTX_new(), EVP_MD_CTX_free}, {EVP_MD_CTX_new(), EVP_MD_CTX_free}, {EVP_MD_CTX_new(), EVP_MD_CTX_free}};
    for (int i = 0; i < 3; ++i) EVP_DigestInit_ex(ctx[i].get(), mds[i], nullptr);
    std::vector<uint8_t> buf(4 << 20);
    uint64_t off = 0;
    while (off < img.size()) {
        if (cancel && cancel->load(std::memory_order_relaxed)) {
            r.error = "cancelled";
            r.bytes = off;
            return r;
        }
        int64_t n = img.read(off, buf.data(), buf.size());
        if (n <= 0) {
            r.error = "read error at image offset " + std::to_string(off);
            r.bytes = off;
            return r;
        }
        for (auto& c : ctx) EVP_DigestUpdate(c.get(), buf.data(), static_cast<size_t>(n));
        off += static_cast<uint64_t>(n);
        if (progress) progress->store(off, std::memory_order_relaxed);
    }
    std::string* out[3] = {&r.md5, &r.sha1, &r.sha256};
    for (int i = 0; i < 3; ++i) {
        unsigned char d[EVP_MAX_MD_SIZE];
        unsigned int len = 0;
        EVP_DigestFinal_ex(ctx[i].get(), d, &len);
        *out[i] = util::to_hex(d, len);
    }
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
