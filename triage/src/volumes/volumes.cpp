#include "volumes/volumes.hpp"

// libvslvm's header offers its libbfio entry points only when this is defined (Debian builds it
// with its own copy of libbfio; every library here then shares one libbfio implementation).
#ifndef HAVE_LIBBFIO
#define HAVE_LIBBFIO 1
#endif
#include <libbde.h>
#include <libbfio.h>
#include <libfvde.h>
#include <libluksde.h>
#include <libvshadow.h>
#include <libvslvm.h>

#include <openssl/evp.h>

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <mutex>

namespace triage::volumes {

std::vector<std::string> Secrets::kinds() const {
    std::vector<std::string> k;
    if (!passwords.empty()) k.push_back("password");
    if (!recovery_passwords.empty()) k.push_back("recovery_password");
    if (!key_files.empty()) k.push_back("key_file");
    if (!startup_keys.empty()) k.push_back("startup_key");
    return k;
}

std::unique_ptr<evidence::Image> Volume::reopen() const {
    throw evidence::ImageError("volume " + label_ + ": a second handle on a volume inside a container is not supported");
}

std::string join_label(const std::string& parent, const std::string& child) {
    return parent.empty() ? child : parent + ">" + child;
}

namespace {

// ---- a libbfio handle reading a byte range of a TSK image ------------------------------
// The libyal libraries read their container through libbfio; this one reads through TSK,
// so containers are found inside any evidence format and inside other volumes.
struct RangeIo {
    TSK_IMG_INFO* img;
    uint64_t base, size, pos = 0;
};

int rio_free(intptr_t** h, libbfio_error_t**) {
    delete reinterpret_cast<RangeIo*>(*h);
    *h = nullptr;
    return 1;
}
int rio_clone(intptr_t** dst, intptr_t* src, libbfio_error_t**) {
    *dst = reinterpret_cast<intptr_t*>(new RangeIo(*reinterpret_cast<RangeIo*>(src)));
    return 1;
}
int rio_open(intptr_t*, int flags, libbfio_error_t**) { return (flags & LIBBFIO_ACCESS_FLAG_WRITE) ? -1 : 1; }
int rio_close(intptr_t*, libbfio_error_t**) { return 0; }
ssize_t rio_read(intptr_t* h, uint8_t* buf, size_t n, libbfio_error_t**) {
    auto* r = reinterpret_cast<RangeIo*>(h);
    if (r->pos >= r->size) return 0;
    n = static_cast<size_t>(std::min<uint64_t>(n, r->size - r->pos));
    ssize_t got = tsk_img_read(r->img, static_cast<TSK_OFF_T>(r->base + r->pos), reinterpret_cast<char*>(buf), n);
    if (got < 0) return -1;
    r->pos += static_cast<uint64_t>(got);
    return got;
}
ssize_t rio_write(intptr_t*, const uint8_t*, size_t, libbfio_error_t**) { return -1; }  // evidence is read-only
off64_t rio_seek(intptr_t* h, off64_t off, int whence, libbfio_error_t**) {
    auto* r = reinterpret_cast<RangeIo*>(h);
    int64_t base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? static_cast<int64_t>(r->pos) : static_cast<int64_t>(r->size);
    int64_t p = base + off;
    if (p < 0) return -1;
    r->pos = static_cast<uint64_t>(p);
    return p;
}
int rio_exists(intptr_t*, libbfio_error_t**) { return 1; }
int rio_is_open(intptr_t*, libbfio_error_t**) { return 1; }
int rio_size(intptr_t* h, size64_t* size, libbfio_error_t**) {
    *size = reinterpret_cast<RangeIo*>(h)->size;
    return 1;
}

struct Bfio {
    libbfio_handle_t* h = nullptr;
    explicit Bfio(const Range& r) {
        auto* io = new RangeIo{r.img, r.offset, r.length};
        if (libbfio_handle_initialize(&h, reinterpret_cast<intptr_t*>(io), rio_free, rio_clone, rio_open, rio_close,
                                      rio_read, rio_write, rio_seek, rio_exists, rio_is_open, rio_size,
                                      LIBBFIO_FLAG_IO_HANDLE_MANAGED | LIBBFIO_FLAG_IO_HANDLE_CLONE_BY_FUNCTION,
                                      nullptr) != 1) {
            delete io;
            h = nullptr;
            throw std::runtime_error("cannot create a read handle for the volume libraries");
        }
    }
    ~Bfio() {
        if (h) libbfio_handle_free(&h, nullptr);
    }
    Bfio(const Bfio&) = delete;
    Bfio& operator=(const Bfio&) = delete;
};

// Reads bytes of the range (for signatures); empty on a read error.
std::string peek(const Range& r, uint64_t off, size_t n) {
    if (off >= r.length) return {};
    n = static_cast<size_t>(std::min<uint64_t>(n, r.length - off));
    std::string buf(n, '\0');
    ssize_t got = tsk_img_read(r.img, static_cast<TSK_OFF_T>(r.offset + off), buf.data(), n);
    if (got <= 0) return {};
    buf.resize(static_cast<size_t>(got));
    return buf;
}

// The message of a libyal error (and frees it).
template <class E, class Sprint, class Free>
std::string take_error(E*& e, Sprint sprint, Free fr) {
    if (!e) return "unknown error";
    char buf[1024] = "";
    sprint(e, buf, sizeof buf);
    fr(&e);
    std::string s(buf);
    // libyal messages are a backtrace of "function: message" lines; the last line says most.
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    auto nl = s.find_last_of('\n');
    return nl == std::string::npos ? s : s.substr(nl + 1);
}

std::string guid_text(const uint8_t g[16], bool mixed_endian) {
    char b[40];
    if (mixed_endian)  // Microsoft GUID layout: the first three fields little-endian
        std::snprintf(b, sizeof b, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", g[3], g[2],
                      g[1], g[0], g[5], g[4], g[7], g[6], g[8], g[9], g[10], g[11], g[12], g[13], g[14], g[15]);
    else
        std::snprintf(b, sizeof b, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", g[0], g[1],
                      g[2], g[3], g[4], g[5], g[6], g[7], g[8], g[9], g[10], g[11], g[12], g[13], g[14], g[15]);
    return b;
}

// FILETIME (100 ns since 1601) as ISO 8601 UTC.
std::string filetime_iso(uint64_t ft) {
    if (ft == 0) return "";
    int64_t secs = static_cast<int64_t>(ft / 10000000ULL) - 11644473600LL;
    time_t t = static_cast<time_t>(secs);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char b[32];
    std::strftime(b, sizeof b, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return b;
}

std::string read_secret_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read key file '" + path + "'");
    return std::string(std::istreambuf_iterator<char>(in), {});
}

// ---- LVM2 -----------------------------------------------------------------------------
struct LvmHandle {
    Bfio io;
    libbfio_pool_t* pool = nullptr;
    libvslvm_handle_t* h = nullptr;
    libvslvm_volume_group_t* vg = nullptr;
    std::mutex mu;  // one handle serves every logical volume of the group
    explicit LvmHandle(const Range& r) : io(r) {}
    ~LvmHandle() {
        if (vg) libvslvm_volume_group_free(&vg, nullptr);
        if (h) {
            libvslvm_handle_close(h, nullptr);
            libvslvm_handle_free(&h, nullptr);
        }
        if (pool) libbfio_pool_free(&pool, nullptr);
    }
};

class LvmVolume final : public Volume {
public:
    LvmVolume(std::shared_ptr<LvmHandle> handle, libvslvm_logical_volume_t* lv, std::string label, uint64_t size)
        : handle_(std::move(handle)), lv_(lv) {
        label_ = std::move(label);
        size_ = size;
        format_ = "lvm";
    }
    ~LvmVolume() override {
        close_tsk();
        libvslvm_logical_volume_free(&lv_, nullptr);
    }
    int64_t read(uint64_t offset, void* buf, size_t len) override {
        std::lock_guard lock(handle_->mu);
        ssize_t n = libvslvm_logical_volume_read_buffer_at_offset(lv_, buf, len, static_cast<off64_t>(offset), nullptr);
        return n < 0 ? -1 : n;
    }

private:
    std::shared_ptr<LvmHandle> handle_;
    libvslvm_logical_volume_t* lv_;
};

std::string lvm_text(auto getter, auto* obj) {
    char buf[512] = "";
    if (getter(obj, buf, sizeof buf, nullptr) != 1) return "";
    return buf;
}

Container open_lvm(const Range& r, const std::string& prefix) {
    Container c;
    c.kind = "lvm";
    c.offset = r.offset;
    c.length = r.length;
    auto handle = std::make_shared<LvmHandle>(r);
    libvslvm_error_t* err = nullptr;
    auto fail = [&](const std::string& what) {
        c.status = "damaged";
        c.reason = what + ": " + take_error(err, libvslvm_error_sprint, libvslvm_error_free);
        return c;
    };
    if (libvslvm_handle_initialize(&handle->h, &err) != 1) return fail("cannot initialise libvslvm");
    if (libvslvm_handle_open_file_io_handle(handle->h, handle->io.h, LIBVSLVM_OPEN_READ, &err) != 1)
        return fail("cannot read the LVM2 metadata");
    // One physical volume: the range itself. Logical volumes that span other physical volumes
    // (other evidence items) read as errors where their extents lie elsewhere.
    if (libbfio_pool_initialize(&handle->pool, 0, 0, nullptr) != 1) return fail("cannot create a pool");
    int entry = 0;
    libbfio_handle_t* pv = nullptr;  // the pool owns its own copy of the read handle
    if (libbfio_handle_clone(&pv, handle->io.h, nullptr) != 1 ||
        libbfio_pool_append_handle(handle->pool, &entry, pv, LIBBFIO_OPEN_READ, nullptr) != 1) {
        if (pv) libbfio_handle_free(&pv, nullptr);
        return fail("cannot add the physical volume to the pool");
    }
    if (libvslvm_handle_open_physical_volume_files_file_io_pool(handle->h, handle->pool, &err) != 1)
        return fail("cannot open the physical volume");
    if (libvslvm_handle_get_volume_group(handle->h, &handle->vg, &err) != 1) return fail("no volume group");
    const std::string vg_name = lvm_text(libvslvm_volume_group_get_name, handle->vg);
    c.detail["volume_group"] = vg_name;
    c.detail["volume_group_id"] = lvm_text(libvslvm_volume_group_get_identifier, handle->vg);
    size64_t extent = 0;
    if (libvslvm_volume_group_get_extent_size(handle->vg, &extent, nullptr) == 1) c.detail["extent_size"] = extent;
    int n = 0;
    libvslvm_volume_group_get_number_of_logical_volumes(handle->vg, &n, nullptr);
    c.detail["logical_volumes"] = nlohmann::json::array();
    for (int i = 0; i < n; ++i) {
        libvslvm_logical_volume_t* lv = nullptr;
        if (libvslvm_volume_group_get_logical_volume(handle->vg, i, &lv, &err) != 1) {
            c.detail["logical_volumes"].push_back(
                {{"index", i}, {"error", take_error(err, libvslvm_error_sprint, libvslvm_error_free)}});
            continue;
        }
        std::string name = lvm_text(libvslvm_logical_volume_get_name, lv);
        size64_t size = 0;
        libvslvm_logical_volume_get_size(lv, &size, nullptr);
        int segments = 0;
        libvslvm_logical_volume_get_number_of_segments(lv, &segments, nullptr);
        c.detail["logical_volumes"].push_back({{"name", name},
                                               {"id", lvm_text(libvslvm_logical_volume_get_identifier, lv)},
                                               {"size", size},
                                               {"segments", segments}});
        c.volumes.push_back(
            std::make_shared<LvmVolume>(handle, lv, join_label(prefix, "lvm:" + vg_name + "/" + name), size));
    }
    c.status = "opened";
    return c;
}

// ---- LUKS -----------------------------------------------------------------------------
// Key files hold arbitrary bytes, which libluksde's UTF-8 password call refuses; for them the
// key slots are opened here (LUKS1 on-disk format: PBKDF2 key slot key, sector-wise decryption
// of the anti-forensic split key material, AF merge, master-key digest check) and libluksde
// gets the master key.
uint32_t be32(const std::string& b, size_t off) {
    return (static_cast<uint32_t>(static_cast<unsigned char>(b[off])) << 24) |
           (static_cast<uint32_t>(static_cast<unsigned char>(b[off + 1])) << 16) |
           (static_cast<uint32_t>(static_cast<unsigned char>(b[off + 2])) << 8) |
           static_cast<uint32_t>(static_cast<unsigned char>(b[off + 3]));
}

std::string field(const std::string& h, size_t off, size_t n) {
    std::string s = h.substr(off, n);
    return s.substr(0, s.find('\0'));
}

// Decrypts one 512-byte-sector area in place with the LUKS1 cipher mode; false if unsupported.
bool luks_decrypt(const std::string& cipher, const std::string& mode, const std::string& key, std::string& data) {
    if (cipher != "aes") return false;
    const EVP_CIPHER* c = nullptr;
    enum { XTS, CBC_PLAIN, CBC_ESSIV } kind;
    if (mode == "xts-plain64" || mode == "xts-plain") {
        kind = XTS;
        c = key.size() == 32 ? EVP_aes_128_xts() : key.size() == 64 ? EVP_aes_256_xts() : nullptr;
    } else if (mode == "cbc-plain" || mode == "cbc-plain64" || mode == "cbc-essiv:sha256") {
        kind = mode == "cbc-essiv:sha256" ? CBC_ESSIV : CBC_PLAIN;
        c = key.size() == 16 ? EVP_aes_128_cbc() : key.size() == 24 ? EVP_aes_192_cbc() : key.size() == 32 ? EVP_aes_256_cbc() : nullptr;
    } else {
        return false;
    }
    if (!c) return false;
    std::string essiv_key;
    if (kind == CBC_ESSIV) {
        unsigned char d[32];
        unsigned int dl = 0;
        EVP_Digest(key.data(), key.size(), d, &dl, EVP_sha256(), nullptr);
        essiv_key.assign(reinterpret_cast<char*>(d), dl);
    }
    std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)> ctx(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
    for (size_t sector = 0; sector * 512 < data.size(); ++sector) {
        unsigned char iv[16] = {};
        for (int i = 0; i < 8; ++i) iv[i] = static_cast<unsigned char>((static_cast<uint64_t>(sector) >> (8 * i)) & 0xff);
        if (kind == CBC_PLAIN) std::memset(iv + 4, 0, 12);  // "plain": the low 32 bits of the sector number
        if (kind == CBC_ESSIV) {
            unsigned char out[32];
            int ol = 0;
            std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)> e(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
            EVP_EncryptInit_ex(e.get(), EVP_aes_256_ecb(), nullptr, reinterpret_cast<const unsigned char*>(essiv_key.data()),
                               nullptr);
            EVP_CIPHER_CTX_set_padding(e.get(), 0);
            EVP_EncryptUpdate(e.get(), out, &ol, iv, 16);
            std::memcpy(iv, out, 16);
        }
        auto* p = reinterpret_cast<unsigned char*>(data.data()) + sector * 512;
        const int n = static_cast<int>(std::min<size_t>(512, data.size() - sector * 512));
        int ol = 0;
        if (EVP_DecryptInit_ex(ctx.get(), c, nullptr, reinterpret_cast<const unsigned char*>(key.data()), iv) != 1)
            return false;
        EVP_CIPHER_CTX_set_padding(ctx.get(), 0);
        if (EVP_DecryptUpdate(ctx.get(), p, &ol, p, n) != 1) return false;
    }
    return true;
}

// LUKS1 AF merge: the master key from the split material.
std::string af_merge(const std::string& material, size_t key_bytes, uint32_t stripes, const EVP_MD* md) {
    std::string d(key_bytes, '\0');
    const size_t ds = static_cast<size_t>(EVP_MD_get_size(md));
    for (uint32_t s = 0; s + 1 < stripes; ++s) {
        for (size_t i = 0; i < key_bytes; ++i) d[i] = static_cast<char>(d[i] ^ material[s * key_bytes + i]);
        // diffuse: each digest-sized chunk j becomes H(be32(j) || chunk), truncated to the chunk.
        std::string out;
        for (size_t j = 0; j * ds < key_bytes; ++j) {
            const size_t len = std::min(ds, key_bytes - j * ds);
            unsigned char iv[4] = {static_cast<unsigned char>(j >> 24), static_cast<unsigned char>(j >> 16),
                                   static_cast<unsigned char>(j >> 8), static_cast<unsigned char>(j)};
            std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> m(EVP_MD_CTX_new(), EVP_MD_CTX_free);
            unsigned char h[EVP_MAX_MD_SIZE];
            unsigned int hl = 0;
            EVP_DigestInit_ex(m.get(), md, nullptr);
            EVP_DigestUpdate(m.get(), iv, 4);
            EVP_DigestUpdate(m.get(), d.data() + j * ds, len);
            EVP_DigestFinal_ex(m.get(), h, &hl);
            out.append(reinterpret_cast<char*>(h), len);
        }
        d = out;
    }
    for (size_t i = 0; i < key_bytes; ++i) d[i] = static_cast<char>(d[i] ^ material[(stripes - 1) * key_bytes + i]);
    return d;
}

// The master key a LUKS1 key slot yields for this secret, or "" when no slot accepts it.
std::string luks1_master_key(const Range& r, const std::string& secret) {
    const std::string h = peek(r, 0, 592);
    if (h.size() < 592) return "";
    const std::string cipher = field(h, 8, 32), mode = field(h, 40, 32), hash = field(h, 72, 32);
    const uint32_t key_bytes = be32(h, 108), digest_iter = be32(h, 164);
    const EVP_MD* md = EVP_get_digestbyname(hash.c_str());
    if (!md || key_bytes == 0 || key_bytes > 128) return "";
    for (int slot = 0; slot < 8; ++slot) {
        const size_t o = 208 + static_cast<size_t>(slot) * 48;
        if (be32(h, o) != 0x00AC71F3u) continue;  // not an active slot
        const uint32_t iter = be32(h, o + 4), km_sector = be32(h, o + 40), stripes = be32(h, o + 44);
        if (stripes == 0 || stripes > 100000) continue;
        std::string slot_key(key_bytes, '\0');
        if (PKCS5_PBKDF2_HMAC(secret.data(), static_cast<int>(secret.size()),
                              reinterpret_cast<const unsigned char*>(h.data() + o + 8), 32, static_cast<int>(iter), md,
                              static_cast<int>(key_bytes), reinterpret_cast<unsigned char*>(slot_key.data())) != 1)
            continue;
        const size_t km_len = static_cast<size_t>(key_bytes) * stripes;
        std::string km = peek(r, static_cast<uint64_t>(km_sector) * 512, (km_len + 511) / 512 * 512);
        if (km.size() < km_len || !luks_decrypt(cipher, mode, slot_key, km)) continue;
        const std::string mk = af_merge(km, key_bytes, stripes, md);
        unsigned char digest[20];
        PKCS5_PBKDF2_HMAC(mk.data(), static_cast<int>(mk.size()), reinterpret_cast<const unsigned char*>(h.data() + 132),
                          32, static_cast<int>(digest_iter), md, 20, digest);
        if (std::memcmp(digest, h.data() + 112, 20) == 0) return mk;
    }
    return "";
}

// A decrypted volume read through one opened libyal volume handle (LUKS, BitLocker): the
// handle's read-at-offset, close and free calls, and the read handle it reads through.
template <class Handle, class Error, ssize_t (*ReadAt)(Handle*, void*, size_t, off64_t, Error**),
          int (*Close)(Handle*, Error**), int (*Free)(Handle**, Error**)>
class DecryptedVolume final : public Volume {
public:
    DecryptedVolume(std::unique_ptr<Bfio> io, Handle* v, std::string label, uint64_t size, const char* format)
        : io_(std::move(io)), v_(v) {
        label_ = std::move(label);
        size_ = size;
        format_ = format;
    }
    ~DecryptedVolume() override {
        close_tsk();
        Close(v_, nullptr);
        Free(&v_, nullptr);
    }
    int64_t read(uint64_t offset, void* buf, size_t len) override {
        std::lock_guard lock(mu_);
        ssize_t n = ReadAt(v_, buf, len, static_cast<off64_t>(offset), nullptr);
        return n < 0 ? -1 : n;
    }

private:
    std::unique_ptr<Bfio> io_;
    Handle* v_;
    std::mutex mu_;
};

using LuksVolume = DecryptedVolume<libluksde_volume_t, libluksde_error_t, libluksde_volume_read_buffer_at_offset,
                                   libluksde_volume_close, libluksde_volume_free>;
using BdeVolume = DecryptedVolume<libbde_volume_t, libbde_error_t, libbde_volume_read_buffer_at_offset,
                                  libbde_volume_close, libbde_volume_free>;

Container open_luks(const Range& r, const Secrets& s, const std::string& prefix, int version) {
    Container c;
    c.kind = "luks";
    c.offset = r.offset;
    c.length = r.length;
    c.detail["luks_version"] = version;
    // The UUID is plain text at offset 168 of both LUKS1 and LUKS2 headers.
    std::string uuid = peek(r, 168, 40);
    uuid = uuid.substr(0, uuid.find('\0'));
    c.detail["uuid"] = uuid;
    std::string cipher = peek(r, 8, 32), mode = peek(r, 40, 32), hash = peek(r, 72, 32);
    if (version == 1) {
        c.detail["cipher"] = cipher.substr(0, cipher.find('\0'));
        c.detail["cipher_mode"] = mode.substr(0, mode.find('\0'));
        c.detail["hash"] = hash.substr(0, hash.find('\0'));
    }
    const std::string label = join_label(prefix, "luks:" + uuid);
    if (version != 1) {
        c.status = "unsupported";
        c.reason = "LUKS version " + std::to_string(version) + " volume: Debian's libluksde reads only LUKS1";
        return c;
    }
    std::vector<std::pair<std::string, std::string>> candidates;  // kind, secret
    for (const auto& p : s.passwords) candidates.push_back({"password", p});
    for (const auto& f : s.key_files) candidates.push_back({"key_file", read_secret_file(f)});
    if (candidates.empty()) {
        c.status = "locked";
        c.reason = "encrypted LUKS1 volume and no password or key file was given for this evidence item";
        return c;
    }
    std::string last_error;
    for (const auto& [kind, secret] : candidates) {
        auto io = std::make_unique<Bfio>(r);
        libluksde_volume_t* v = nullptr;
        libluksde_error_t* err = nullptr;
        if (libluksde_volume_initialize(&v, &err) != 1) {
            c.status = "damaged";
            c.reason = "cannot initialise libluksde: " + take_error(err, libluksde_error_sprint, libluksde_error_free);
            return c;
        }
        bool ok;
        if (kind == "key_file") {
            const std::string mk = luks1_master_key(r, secret);
            ok = !mk.empty() &&
                 libluksde_volume_set_key(v, reinterpret_cast<const uint8_t*>(mk.data()), mk.size(), &err) == 1 &&
                 libluksde_volume_open_file_io_handle(v, io->h, LIBLUKSDE_OPEN_READ, &err) == 1;
        } else {
            ok = libluksde_volume_set_utf8_password(v, reinterpret_cast<const uint8_t*>(secret.data()), secret.size(),
                                                    &err) == 1 &&
                 libluksde_volume_open_file_io_handle(v, io->h, LIBLUKSDE_OPEN_READ, &err) == 1;
        }
        if (ok && libluksde_volume_is_locked(v, nullptr) == 0) {
            size64_t size = 0;
            libluksde_volume_get_size(v, &size, nullptr);
            c.status = "opened";
            c.detail["unlocked_with"] = kind;
            c.volumes.push_back(std::make_shared<LuksVolume>(std::move(io), v, label, size, "luks"));
            return c;
        }
        last_error = err ? take_error(err, libluksde_error_sprint, libluksde_error_free) : "the secret does not unlock it";
        if (ok) libluksde_volume_close(v, nullptr);
        libluksde_volume_free(&v, nullptr);
    }
    c.status = "locked";
    c.reason = "none of the " + std::to_string(candidates.size()) +
               " secret(s) given unlocks this LUKS1 volume (wrong password or key file?): " + last_error;
    return c;
}

// ---- BitLocker ------------------------------------------------------------------------

const char* bde_method(uint16_t m) {
    switch (m) {
        case LIBBDE_ENCRYPTION_METHOD_AES_128_CBC_DIFFUSER: return "AES-CBC 128-bit with Elephant diffuser";
        case LIBBDE_ENCRYPTION_METHOD_AES_256_CBC_DIFFUSER: return "AES-CBC 256-bit with Elephant diffuser";
        case LIBBDE_ENCRYPTION_METHOD_AES_128_CBC: return "AES-CBC 128-bit";
        case LIBBDE_ENCRYPTION_METHOD_AES_256_CBC: return "AES-CBC 256-bit";
        case LIBBDE_ENCRYPTION_METHOD_AES_128_XTS: return "AES-XTS 128-bit";
        case LIBBDE_ENCRYPTION_METHOD_AES_256_XTS: return "AES-XTS 256-bit";
        default: return "unknown";
    }
}

const char* bde_protector(uint16_t t) {
    switch (t) {
        case LIBBDE_KEY_PROTECTION_TYPE_CLEAR_KEY: return "clear key";
        case LIBBDE_KEY_PROTECTION_TYPE_TPM: return "TPM";
        case LIBBDE_KEY_PROTECTION_TYPE_STARTUP_KEY: return "startup key";
        case LIBBDE_KEY_PROTECTION_TYPE_RECOVERY_PASSWORD: return "recovery password";
        case LIBBDE_KEY_PROTECTION_TYPE_PASSWORD: return "password";
        default: return "other";
    }
}

// Opens the volume with one secret (or none); fills metadata into c on the way.
libbde_volume_t* bde_try(const Range& r, Bfio& io, const std::string& kind, const std::string& secret, Container& c,
                         std::string& error) {
    libbde_volume_t* v = nullptr;
    libbde_error_t* err = nullptr;
    if (libbde_volume_initialize(&v, &err) != 1) {
        error = take_error(err, libbde_error_sprint, libbde_error_free);
        return nullptr;
    }
    (void)r;
    int rc = 1;
    const auto* p = reinterpret_cast<const uint8_t*>(secret.data());
    if (kind == "password") rc = libbde_volume_set_utf8_password(v, p, secret.size(), &err);
    else if (kind == "recovery_password") rc = libbde_volume_set_utf8_recovery_password(v, p, secret.size(), &err);
    else if (kind == "startup_key") rc = libbde_volume_read_startup_key(v, secret.c_str(), &err);
    if (rc != 1 || libbde_volume_open_file_io_handle(v, io.h, LIBBDE_OPEN_READ, &err) != 1) {
        error = take_error(err, libbde_error_sprint, libbde_error_free);
        libbde_volume_free(&v, nullptr);
        return nullptr;
    }
    if (!c.detail.contains("volume_id")) {
        uint8_t g[16];
        if (libbde_volume_get_volume_identifier(v, g, 16, nullptr) == 1) c.detail["volume_id"] = guid_text(g, true);
        uint16_t m = 0;
        if (libbde_volume_get_encryption_method(v, &m, nullptr) == 1) c.detail["method"] = bde_method(m);
        uint64_t ft = 0;
        if (libbde_volume_get_creation_time(v, &ft, nullptr) == 1) c.detail["created"] = filetime_iso(ft);
        size_t dsz = 0;
        if (libbde_volume_get_utf8_description_size(v, &dsz, nullptr) == 1 && dsz > 0 && dsz < 4096) {
            std::string d(dsz, '\0');
            if (libbde_volume_get_utf8_description(v, reinterpret_cast<uint8_t*>(d.data()), dsz, nullptr) == 1)
                c.detail["description"] = d.substr(0, d.find('\0'));
        }
        int np = 0;
        c.detail["key_protectors"] = nlohmann::json::array();
        libbde_volume_get_number_of_key_protectors(v, &np, nullptr);
        for (int i = 0; i < np; ++i) {
            libbde_key_protector_t* kp = nullptr;
            if (libbde_volume_get_key_protector(v, i, &kp, nullptr) != 1) continue;
            uint16_t t = 0;
            libbde_key_protector_get_type(kp, &t, nullptr);
            nlohmann::json j = {{"type", bde_protector(t)}};
            if (libbde_key_protector_get_identifier(kp, g, 16, nullptr) == 1) j["id"] = guid_text(g, true);
            c.detail["key_protectors"].push_back(j);
            libbde_key_protector_free(&kp, nullptr);
        }
    }
    return v;
}

Container open_bde(const Range& r, const Secrets& s, const std::string& prefix) {
    Container c;
    c.kind = "bitlocker";
    c.offset = r.offset;
    c.length = r.length;
    std::vector<std::pair<std::string, std::string>> candidates;
    for (const auto& p : s.recovery_passwords) candidates.push_back({"recovery_password", p});
    for (const auto& p : s.passwords) candidates.push_back({"password", p});
    for (const auto& f : s.startup_keys) candidates.push_back({"startup_key", f});
    candidates.push_back({"none", ""});  // a clear-key volume opens without a secret
    std::string first_error, last_error;
    for (const auto& [kind, secret] : candidates) {
        auto io = std::make_unique<Bfio>(r);
        std::string error;
        libbde_volume_t* v = bde_try(r, *io, kind, secret, c, error);
        if (!v) {
            if (first_error.empty()) first_error = error;
            last_error = error;
            continue;
        }
        if (libbde_volume_is_locked(v, nullptr) == 0) {
            size64_t size = 0;
            libbde_volume_get_size(v, &size, nullptr);
            c.status = "opened";
            c.detail["unlocked_with"] = kind;
            std::string id = c.detail.value("volume_id", std::string("unknown"));
            c.volumes.push_back(
                std::make_shared<BdeVolume>(std::move(io), v, join_label(prefix, "bitlocker:" + id), size, "bitlocker"));
            return c;
        }
        libbde_volume_close(v, nullptr);
        libbde_volume_free(&v, nullptr);
    }
    if (!c.detail.contains("volume_id")) {
        // The metadata could not even be read: a method this libbde does not support, or damage.
        c.status = "unsupported";
        c.reason = "BitLocker volume that Debian's libbde cannot open: " + first_error;
        return c;
    }
    c.status = "locked";
    c.reason = candidates.size() == 1
                   ? "encrypted BitLocker volume and no password, recovery password or startup key was given"
                   : "none of the " + std::to_string(candidates.size() - 1) +
                         " secret(s) given unlocks this BitLocker volume (wrong secret, or a key protector or "
                         "method Debian's libbde does not support)";
    if (!last_error.empty() && candidates.size() > 1) c.reason += ": " + last_error;
    return c;
}

// ---- FileVault 2 ----------------------------------------------------------------------
Container report_fvde(const Range& r, const Secrets& s) {
    Container c;
    c.kind = "filevault";
    c.offset = r.offset;
    c.length = r.length;
    Bfio io(r);
    libfvde_volume_t* v = nullptr;
    libfvde_error_t* err = nullptr;
    if (libfvde_volume_initialize(&v, &err) != 1) {
        c.status = "damaged";
        c.reason = take_error(err, libfvde_error_sprint, libfvde_error_free);
        return c;
    }
    for (const auto& p : s.passwords)
        libfvde_volume_set_utf8_password(v, reinterpret_cast<const uint8_t*>(p.data()), p.size(), nullptr);
    if (libfvde_volume_open_file_io_handle(v, io.h, LIBFVDE_OPEN_READ, &err) != 1) {
        c.status = "unsupported";
        c.reason = "FileVault 2 (CoreStorage) volume that Debian's libfvde cannot open: " +
                   take_error(err, libfvde_error_sprint, libfvde_error_free);
    } else {
        // Reading the decrypted logical volume of FileVault 2 is not wired into the walk: the
        // examiner is told it is there, unlocked or not.
        c.status = "unsupported";
        c.reason = s.passwords.empty() ? "FileVault 2 volume recognised; no password was given"
                                       : "FileVault 2 volume recognised; walking its decrypted logical volume is not "
                                         "supported by this version";
        libfvde_volume_close(v, nullptr);
    }
    libfvde_volume_free(&v, nullptr);
    return c;
}

// ---- Volume Shadow Copies -------------------------------------------------------------
struct VssHandle {
    Bfio io;
    libvshadow_volume_t* v = nullptr;
    std::mutex mu;
    explicit VssHandle(const Range& r) : io(r) {}
    ~VssHandle() {
        if (v) {
            libvshadow_volume_close(v, nullptr);
            libvshadow_volume_free(&v, nullptr);
        }
    }
};

class VssStore final : public Volume {
public:
    // changed: sorted volume offsets of the 16 KiB blocks where this snapshot differs from the
    // current volume (the blocks of this store and of every later one).
    VssStore(std::shared_ptr<VssHandle> h, libvshadow_store_t* s, std::string label, uint64_t size, std::string base,
             const Range& base_range, std::vector<uint64_t> changed)
        : h_(std::move(h)), s_(s), base_(std::move(base)), range_(base_range), changed_(std::move(changed)) {
        label_ = std::move(label);
        size_ = size;
        format_ = "vss";
    }
    std::optional<std::string> snapshot_of() const override { return base_; }
    uint64_t snapshot_offset() const override { return range_.offset; }
    bool same_bytes(uint64_t offset, size_t length) override {
        if (length == 0 || length > (1u << 20) || offset + length > range_.length) return false;
        std::string a(length, '\0'), b(length, '\0');
        if (read(offset, a.data(), length) != static_cast<int64_t>(length)) return false;
        if (tsk_img_read(range_.img, static_cast<TSK_OFF_T>(range_.offset + offset), b.data(), length) !=
            static_cast<ssize_t>(length))
            return false;
        return a == b;
    }
    bool unchanged(uint64_t offset, uint64_t length) const override {
        if (length == 0) return true;
        // The first changed block that could overlap starts after offset - block size.
        const uint64_t from = offset >= kVssBlock ? offset - kVssBlock + 1 : 0;
        auto it = std::lower_bound(changed_.begin(), changed_.end(), from);
        return it == changed_.end() || *it >= offset + length;
    }
    static constexpr uint64_t kVssBlock = 0x4000;
    ~VssStore() override {
        close_tsk();
        libvshadow_store_free(&s_, nullptr);
    }
    int64_t read(uint64_t offset, void* buf, size_t len) override {
        std::lock_guard lock(h_->mu);
        ssize_t n = libvshadow_store_read_buffer_at_offset(s_, buf, len, static_cast<off64_t>(offset), nullptr);
        return n < 0 ? -1 : n;
    }

private:
    std::shared_ptr<VssHandle> h_;
    libvshadow_store_t* s_;
    std::string base_;
    Range range_;  // the volume the snapshot is of, in its parent
    std::vector<uint64_t> changed_;
};

// The volume offsets of the blocks a store holds (where its snapshot differs from what follows).
std::vector<uint64_t> store_blocks(libvshadow_store_t* st) {
    std::vector<uint64_t> out;
    int n = 0;
    if (libvshadow_store_get_number_of_blocks(st, &n, nullptr) != 1) return out;
    for (int i = 0; i < n; ++i) {
        libvshadow_block_t* b = nullptr;
        if (libvshadow_store_get_block_by_index(st, i, &b, nullptr) != 1) continue;
        off64_t orig = 0;
        if (libvshadow_block_get_original_offset(b, &orig, nullptr) == 1 && orig >= 0)
            out.push_back(static_cast<uint64_t>(orig));
        libvshadow_block_free(&b, nullptr);
    }
    return out;
}

}  // namespace

std::optional<Container> probe(const Range& r, const Secrets& s, const std::string& prefix) {
    if (!r.img || r.length < 4096) return std::nullopt;
    const std::string head = peek(r, 0, 4096);
    if (head.size() >= 8 && head.compare(0, 6, "LUKS\xba\xbe", 6) == 0) {
        int version = (static_cast<unsigned char>(head[6]) << 8) | static_cast<unsigned char>(head[7]);
        return open_luks(r, s, prefix, version);
    }
    // LVM2: the label "LABELONE" in one of the first four sectors, type "LVM2 001".
    for (size_t sec = 0; sec < 4 && head.size() >= (sec + 1) * 512; ++sec)
        if (head.compare(sec * 512, 8, "LABELONE") == 0 && head.compare(sec * 512 + 24, 8, "LVM2 001") == 0)
            return open_lvm(r, prefix);
    {
        Bfio io(r);
        if (libbde_check_volume_signature_file_io_handle(io.h, nullptr) == 1) return open_bde(r, s, prefix);
    }
    // The BitLocker boot-sector signature itself: volumes libbde does not recognise (partially
    // encrypted, encrypt-on-write) are still BitLocker volumes and are reported as such.
    if (head.size() >= 11 && head.compare(3, 8, "-FVE-FS-") == 0) return open_bde(r, s, prefix);
    return std::nullopt;
}

std::optional<Container> probe_filevault(const Range& r, const Secrets& s) {
    if (!r.img || r.length < 4096) return std::nullopt;
    Bfio io(r);
    if (libfvde_check_volume_signature_file_io_handle(io.h, nullptr) != 1) return std::nullopt;
    return report_fvde(r, s);
}

std::optional<Container> probe_vss(const Range& r, const std::string& prefix) {
    auto h = std::make_shared<VssHandle>(r);
    if (libvshadow_check_volume_signature_file_io_handle(h->io.h, nullptr) != 1) return std::nullopt;
    Container c;
    c.kind = "vss";
    c.offset = r.offset;
    c.length = r.length;
    libvshadow_error_t* err = nullptr;
    if (libvshadow_volume_initialize(&h->v, &err) != 1 ||
        libvshadow_volume_open_file_io_handle(h->v, h->io.h, LIBVSHADOW_OPEN_READ, &err) != 1) {
        if (h->v) libvshadow_volume_free(&h->v, nullptr);
        c.status = "damaged";
        c.reason = "cannot read the shadow copy catalog: " + take_error(err, libvshadow_error_sprint, libvshadow_error_free);
        return c;
    }
    int n = 0;
    libvshadow_volume_get_number_of_stores(h->v, &n, nullptr);
    if (n == 0) return std::nullopt;  // the signature is there but no snapshot is
    // Snapshot i reads its own store's blocks, then each later store's, then the current volume:
    // it differs from the current volume in the union of the block lists of stores i..n.
    std::vector<std::vector<uint64_t>> changed(static_cast<size_t>(n));
    {
        std::vector<uint64_t> acc;
        for (int i = n - 1; i >= 0; --i) {
            libvshadow_store_t* st = nullptr;
            bool known = libvshadow_volume_get_store(h->v, i, &st, nullptr) == 1;
            if (known) {
                auto b = store_blocks(st);
                acc.insert(acc.end(), b.begin(), b.end());
                libvshadow_store_free(&st, nullptr);
            } else {
                acc.clear();  // unknown: nothing of this or an earlier snapshot counts as unchanged
                acc.push_back(0);
                acc.push_back(UINT64_MAX - VssStore::kVssBlock);
            }
            std::sort(acc.begin(), acc.end());
            acc.erase(std::unique(acc.begin(), acc.end()), acc.end());
            changed[static_cast<size_t>(i)] = acc;
        }
    }
    c.detail["stores"] = nlohmann::json::array();
    for (int i = 0; i < n; ++i) {
        libvshadow_store_t* st = nullptr;
        if (libvshadow_volume_get_store(h->v, i, &st, &err) != 1) {
            c.detail["stores"].push_back(
                {{"store", i + 1}, {"error", take_error(err, libvshadow_error_sprint, libvshadow_error_free)}});
            continue;
        }
        uint8_t g[16];
        nlohmann::json j = {{"store", i + 1}};
        if (libvshadow_store_get_identifier(st, g, 16, nullptr) == 1) j["id"] = guid_text(g, true);
        if (libvshadow_store_get_copy_identifier(st, g, 16, nullptr) == 1) j["shadow_copy_id"] = guid_text(g, true);
        if (libvshadow_store_get_copy_set_identifier(st, g, 16, nullptr) == 1) j["shadow_copy_set_id"] = guid_text(g, true);
        uint64_t ft = 0;
        if (libvshadow_store_get_creation_time(st, &ft, nullptr) == 1) j["created"] = filetime_iso(ft);
        size64_t size = 0;
        libvshadow_store_get_volume_size(st, &size, nullptr);
        j["volume_size"] = size;
        j["blocks_differing_from_current"] = changed[static_cast<size_t>(i)].size();
        c.detail["stores"].push_back(j);
        c.volumes.push_back(std::make_shared<VssStore>(h, st, join_label(prefix, "vss:" + std::to_string(i + 1)), size,
                                                       prefix, r, std::move(changed[static_cast<size_t>(i)])));
    }
    c.status = "opened";
    return c;
}

}  // namespace triage::volumes
