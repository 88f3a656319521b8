// The hashers: MD5, SHA-1 and SHA-256 of every object, all three fed from the same blocks
// through OpenSSL EVP. Built in, but registered through the public detector ABI.
#include "util/text.hpp"

#include <triage/detector.hpp>

#include <openssl/evp.h>

#include <array>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>

namespace {

struct MdCtxFree {
    void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
using MdCtx = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;

const triage_option_desc kOptions[] = {
    {"parallel_mib", "int", "16",
     "objects of at least this many MiB are hashed on two threads: MD5 on the worker, SHA-1 and SHA-256 on a "
     "helper, block by block (a large file then takes the time of its MD5, not of all three); 0 turns it off"},
};

class Hasher final : public triage::sdk::Detector {
public:
    Hasher(const triage_host_api* api, triage_host* host) : Detector(api, host) {
        for (size_t i = 0; i < kAlgs.size(); ++i) {
            ctx_[i].reset(EVP_MD_CTX_new());
            if (!ctx_[i]) throw std::runtime_error("EVP_MD_CTX_new failed");
        }
        try {
            parallel_bytes_ = std::stoull(option("parallel_mib", "16")) << 20;
        } catch (const std::exception&) {
            throw std::runtime_error("hash.parallel_mib must be a number");
        }
    }
    ~Hasher() override {
        if (!helper_.joinable()) return;
        {
            std::lock_guard lock(mu_);
            stop_ = true;
        }
        cv_.notify_all();
        helper_.join();
    }

    void begin(const triage_object_info& o) override {
        for (size_t i = 0; i < kAlgs.size(); ++i)
            if (EVP_DigestInit_ex(ctx_[i].get(), kAlgs[i].md(), nullptr) != 1)
                throw std::runtime_error(std::string("cannot initialise ") + kAlgs[i].name);
        split_ = parallel_bytes_ && o.size >= parallel_bytes_;
        if (split_ && !helper_.joinable()) helper_ = std::thread([this] { helper_main(); });
    }

    void block(const uint8_t* data, size_t length, uint64_t) override {
        if (!split_) {
            for (auto& c : ctx_)
                if (EVP_DigestUpdate(c.get(), data, length) != 1) throw std::runtime_error("digest update failed");
            return;
        }
        // The block is valid only during this call: the helper takes SHA-1 and SHA-256 of it
        // while this thread takes MD5, and the call returns when both are done.
        {
            std::lock_guard lock(mu_);
            job_data_ = data;
            job_len_ = length;
            job_ready_ = true;
            job_ok_ = true;
        }
        cv_.notify_all();
        const bool md5_ok = EVP_DigestUpdate(ctx_[0].get(), data, length) == 1;
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] { return !job_ready_; });
        if (!md5_ok || !job_ok_) throw std::runtime_error("digest update failed");
    }

    void end() override {
        for (size_t i = 0; i < kAlgs.size(); ++i) {
            unsigned char out[EVP_MAX_MD_SIZE];
            unsigned int n = 0;
            if (EVP_DigestFinal_ex(ctx_[i].get(), out, &n) != 1)
                throw std::runtime_error(std::string("cannot finish ") + kAlgs[i].name);
            emit_hash(kAlgs[i].name, triage::util::to_hex(out, n));
        }
    }

private:
    void helper_main() {
        std::unique_lock lock(mu_);
        for (;;) {
            cv_.wait(lock, [&] { return job_ready_ || stop_; });
            if (stop_) return;
            const uint8_t* data = job_data_;
            const size_t len = job_len_;
            lock.unlock();
            const bool ok = EVP_DigestUpdate(ctx_[1].get(), data, len) == 1 && EVP_DigestUpdate(ctx_[2].get(), data, len) == 1;
            lock.lock();
            job_ok_ = ok;
            job_ready_ = false;
            cv_.notify_all();
        }
    }

    struct Alg {
        const char* name;
        const EVP_MD* (*md)();
    };
    static constexpr std::array<Alg, 3> kAlgs{{{"md5", EVP_md5}, {"sha1", EVP_sha1}, {"sha256", EVP_sha256}}};
    std::array<MdCtx, 3> ctx_;
    uint64_t parallel_bytes_ = 16ull << 20;
    bool split_ = false;
    // The helper thread of a large object and the one block it is hashing.
    std::thread helper_;
    std::mutex mu_;
    std::condition_variable cv_;
    const uint8_t* job_data_ = nullptr;
    size_t job_len_ = 0;
    bool job_ready_ = false, job_ok_ = true, stop_ = false;
};

const triage_detector kHasher = triage::sdk::describe<Hasher>(
    "hash", "1.0.0", "triage project", "MD5, SHA-1 and SHA-256 of every object's content (OpenSSL EVP)",
    TRIAGE_WANT_BLOCKS, kOptions, sizeof kOptions / sizeof kOptions[0]);
const triage_detector* const kDetectors[] = {&kHasher};
const triage_plugin kPlugin{sizeof(triage_plugin), 1, kDetectors, 1};

}  // namespace

extern "C" const triage_plugin* triage_builtin_hash_entry(uint32_t /*host_api_version*/) { return &kPlugin; }
