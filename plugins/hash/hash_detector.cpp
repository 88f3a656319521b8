// The hashers: MD5, SHA-1 and SHA-256 of every object, all three fed from the same blocks
// through OpenSSL EVP. Built in, but registered through the public detector ABI.
#include <triage/detector.hpp>

#include <openssl/evp.h>

#include <array>
#include <memory>
#include <stdexcept>
#include <string>

namespace {

struct MdCtxFree {
    void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
using MdCtx = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;

std::string to_hex(const unsigned char* p, unsigned int n) {
    static const char digits[] = "0123456789abcdef";
    std::string s(n * 2, '0');
    for (unsigned int i = 0; i < n; ++i) {
        s[2 * i] = digits[p[i] >> 4];
        s[2 * i + 1] = digits[p[i] & 15];
    }
    return s;
}

class Hasher final : public triage::sdk::Detector {
public:
    Hasher(const triage_host_api* api, triage_host* host) : Detector(api, host) {
        for (size_t i = 0; i < kAlgs.size(); ++i) {
            ctx_[i].reset(EVP_MD_CTX_new());
            if (!ctx_[i]) throw std::runtime_error("EVP_MD_CTX_new failed");
        }
    }

    void begin(const triage_object_info&) override {
        for (size_t i = 0; i < kAlgs.size(); ++i)
            if (EVP_DigestInit_ex(ctx_[i].get(), kAlgs[i].md(), nullptr) != 1)
                throw std::runtime_error(std::string("cannot initialise ") + kAlgs[i].name);
    }

    void block(const uint8_t* data, size_t length, uint64_t) override {
        for (auto& c : ctx_)
            if (EVP_DigestUpdate(c.get(), data, length) != 1) throw std::runtime_error("digest update failed");
    }

    void end() override {
        for (size_t i = 0; i < kAlgs.size(); ++i) {
            unsigned char out[EVP_MAX_MD_SIZE];
            unsigned int n = 0;
            if (EVP_DigestFinal_ex(ctx_[i].get(), out, &n) != 1)
                throw std::runtime_error(std::string("cannot finish ") + kAlgs[i].name);
            emit_hash(kAlgs[i].name, to_hex(out, n));
        }
    }

private:
    struct Alg {
        const char* name;
        const EVP_MD* (*md)();
    };
    static constexpr std::array<Alg, 3> kAlgs{{{"md5", EVP_md5}, {"sha1", EVP_sha1}, {"sha256", EVP_sha256}}};
    std::array<MdCtx, 3> ctx_;
};

const triage_detector kHasher = triage::sdk::describe<Hasher>(
    "hash", "1.0.0", "triage project", "MD5, SHA-1 and SHA-256 of every object's content (OpenSSL EVP)",
    TRIAGE_WANT_BLOCKS);
const triage_detector* const kDetectors[] = {&kHasher};
const triage_plugin kPlugin{sizeof(triage_plugin), 1, kDetectors, 1};

}  // namespace

extern "C" const triage_plugin* triage_builtin_hash_entry(uint32_t /*host_api_version*/) { return &kPlugin; }
