#include "report/bundle.hpp"

#include "report/export_common.hpp"
#include "report/report.hpp"
#include "util/text.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <nlohmann/json.hpp>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>

namespace fs = std::filesystem;
using nlohmann::ordered_json;

namespace triage::report::bundle {

namespace {

// ---- RAII owners for the OpenSSL handles used here ----------------------------------------
template <class T, void (*F)(T*)>
struct Deleter {
    void operator()(T* p) const { F(p); }
};
void bio_free(BIO* b) { BIO_free_all(b); }
void x509_stack_free(STACK_OF(X509) * s) { sk_X509_pop_free(s, X509_free); }
using BioPtr = std::unique_ptr<BIO, Deleter<BIO, bio_free>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using CmsPtr = std::unique_ptr<CMS_ContentInfo, Deleter<CMS_ContentInfo, CMS_ContentInfo_free>>;
using StorePtr = std::unique_ptr<X509_STORE, Deleter<X509_STORE, X509_STORE_free>>;
using StoreCtxPtr = std::unique_ptr<X509_STORE_CTX, Deleter<X509_STORE_CTX, X509_STORE_CTX_free>>;
using CertStackPtr = std::unique_ptr<STACK_OF(X509), Deleter<STACK_OF(X509), x509_stack_free>>;
using ExtPtr = std::unique_ptr<X509_EXTENSION, Deleter<X509_EXTENSION, X509_EXTENSION_free>>;

// OpenSSL's queued errors as one line (and the queue emptied).
std::string ssl_errors() {
    std::string s;
    unsigned long e;
    while ((e = ERR_get_error()) != 0) {
        char buf[256];
        ERR_error_string_n(e, buf, sizeof buf);
        s += (s.empty() ? "" : "; ") + std::string(buf);
    }
    return s.empty() ? "no detail from OpenSSL" : s;
}

std::string read_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read '" + p.string() + "'");
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

void write_file(const fs::path& p, const std::string& data, mode_t mode = 0644) {
    int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0) throw std::runtime_error("cannot write '" + p.string() + "': " + std::strerror(errno));
    size_t done = 0;
    while (done < data.size()) {
        ssize_t n = ::write(fd, data.data() + done, data.size() - done);
        if (n <= 0) {
            ::close(fd);
            throw std::runtime_error("writing '" + p.string() + "' failed: " + std::strerror(errno));
        }
        done += static_cast<size_t>(n);
    }
    if (::close(fd) != 0) throw std::runtime_error("writing '" + p.string() + "' failed: " + std::strerror(errno));
}

struct FileHash {
    uint64_t size = 0;
    std::string sha256;
};

FileHash hash_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read '" + p.string() + "'");
    std::unique_ptr<EVP_MD_CTX, Deleter<EVP_MD_CTX, EVP_MD_CTX_free>> ctx(EVP_MD_CTX_new());
    if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1) throw std::runtime_error("SHA-256 init failed");
    std::vector<char> buf(1 << 16);
    FileHash h;
    while (in) {
        in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
        auto n = static_cast<size_t>(in.gcount());
        if (n == 0) break;
        EVP_DigestUpdate(ctx.get(), buf.data(), n);
        h.size += n;
    }
    if (in.bad()) throw std::runtime_error("reading '" + p.string() + "' failed");
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_DigestFinal_ex(ctx.get(), md, &len);
    h.sha256 = util::to_hex(md, len);
    return h;
}

X509Ptr load_cert(const std::string& path) {
    BioPtr b(BIO_new_file(path.c_str(), "r"));
    if (!b) throw std::runtime_error("cannot read certificate '" + path + "': " + ssl_errors());
    X509Ptr c(PEM_read_bio_X509(b.get(), nullptr, nullptr, nullptr));
    if (!c) throw std::runtime_error("'" + path + "' is not a PEM X.509 certificate: " + ssl_errors());
    return c;
}

PkeyPtr load_key(const std::string& path) {
    BioPtr b(BIO_new_file(path.c_str(), "r"));
    if (!b) throw std::runtime_error("cannot read key '" + path + "': " + ssl_errors());
    PkeyPtr k(PEM_read_bio_PrivateKey(b.get(), nullptr, nullptr, nullptr));
    if (!k) throw std::runtime_error("'" + path + "' is not a PEM private key (or its pass phrase was wrong): " + ssl_errors());
    return k;
}

std::string name_string(const X509_NAME* n) {
    BioPtr b(BIO_new(BIO_s_mem()));
    X509_NAME_print_ex(b.get(), n, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
    char* data = nullptr;
    long len = BIO_get_mem_data(b.get(), &data);
    return std::string(data, static_cast<size_t>(len));
}

std::string fingerprint(X509* c) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (X509_digest(c, EVP_sha256(), md, &len) != 1) throw std::runtime_error("certificate digest failed");
    static const char* hex = "0123456789ABCDEF";
    std::string s;
    for (unsigned i = 0; i < len; ++i) {
        if (i) s += ':';
        s += hex[md[i] >> 4];
        s += hex[md[i] & 15];
    }
    return s;
}

std::string asn1_time(const ASN1_TIME* t) {
    struct tm tm {};
    if (!t || ASN1_TIME_to_tm(t, &tm) != 1) return {};
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

bool on_path(const std::string& program) {
    const char* path = std::getenv("PATH");
    if (!path) return false;
    std::stringstream ss(path);
    std::string dir;
    while (std::getline(ss, dir, ':'))
        if (!dir.empty() && ::access((fs::path(dir) / program).c_str(), X_OK) == 0) return true;
    return false;
}

// Every regular file under dir as a '/'-separated relative path, sorted.
std::vector<std::string> list_files(const fs::path& dir, std::vector<std::string>* odd = nullptr) {
    std::vector<std::string> out;
    for (auto it = fs::recursive_directory_iterator(dir); it != fs::recursive_directory_iterator(); ++it) {
        const auto st = it->symlink_status();
        std::string rel = fs::relative(it->path(), dir).generic_string();
        if (fs::is_directory(st)) continue;
        if (fs::is_regular_file(st))
            out.push_back(rel);
        else if (odd)
            odd->push_back(rel);
    }
    std::sort(out.begin(), out.end());
    return out;
}

// A manifest path must stay inside the bundle: relative, no "..", no empty parts.
bool safe_relative(const std::string& p) {
    if (p.empty() || p[0] == '/' || p.find('\\') != std::string::npos || p.find('\0') != std::string::npos) return false;
    std::stringstream ss(p);
    std::string part;
    while (std::getline(ss, part, '/'))
        if (part.empty() || part == "." || part == "..") return false;
    return p.back() != '/';
}

void pack_tar(const fs::path& dir, const fs::path& tar) {
    std::unique_ptr<archive, int (*)(archive*)> a(archive_write_new(), archive_write_free);
    if (!a || archive_write_set_format_pax_restricted(a.get()) != ARCHIVE_OK ||
        archive_write_open_filename(a.get(), tar.c_str()) != ARCHIVE_OK)
        throw std::runtime_error("cannot write archive '" + tar.string() + "': " +
                                 (a ? archive_error_string(a.get()) : "out of memory"));
    const std::string top = dir.filename().string();
    const time_t now = time(nullptr);
    std::vector<char> buf(1 << 16);
    for (const auto& rel : list_files(dir)) {
        const fs::path p = dir / rel;
        std::ifstream in(p, std::ios::binary);
        if (!in) throw std::runtime_error("cannot read '" + p.string() + "'");
        std::unique_ptr<archive_entry, void (*)(archive_entry*)> e(archive_entry_new(), archive_entry_free);
        archive_entry_set_pathname(e.get(), (top + "/" + rel).c_str());
        archive_entry_set_size(e.get(), static_cast<la_int64_t>(fs::file_size(p)));
        archive_entry_set_filetype(e.get(), AE_IFREG);
        archive_entry_set_perm(e.get(), 0644);
        archive_entry_set_mtime(e.get(), now, 0);
        if (archive_write_header(a.get(), e.get()) != ARCHIVE_OK)
            throw std::runtime_error("writing '" + rel + "' into '" + tar.string() + "' failed: " +
                                     archive_error_string(a.get()));
        while (in) {
            in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
            const auto n = static_cast<size_t>(in.gcount());
            if (n && archive_write_data(a.get(), buf.data(), n) != static_cast<la_ssize_t>(n))
                throw std::runtime_error("writing '" + rel + "' into '" + tar.string() + "' failed: " +
                                         archive_error_string(a.get()));
        }
    }
    if (archive_write_close(a.get()) != ARCHIVE_OK)
        throw std::runtime_error("closing archive '" + tar.string() + "' failed: " + archive_error_string(a.get()));
}

// Unpacks a bundle archive into dest; refuses entries that would land outside it.
fs::path unpack_tar(const fs::path& tar, const fs::path& dest) {
    std::unique_ptr<archive, int (*)(archive*)> a(archive_read_new(), archive_read_free);
    archive_read_support_format_tar(a.get());
    if (archive_read_open_filename(a.get(), tar.c_str(), 1 << 16) != ARCHIVE_OK)
        throw std::runtime_error("cannot open archive '" + tar.string() + "': " + archive_error_string(a.get()));
    std::set<std::string> tops;
    archive_entry* e = nullptr;
    int r;
    while ((r = archive_read_next_header(a.get(), &e)) == ARCHIVE_OK) {
        const std::string name = archive_entry_pathname(e);
        if (!safe_relative(name) || archive_entry_filetype(e) != AE_IFREG)
            throw std::runtime_error("archive '" + tar.string() + "': entry '" + name +
                                     "' is not a plain file inside the bundle folder");
        tops.insert(name.substr(0, name.find('/')));
        fs::path p = dest / name;
        fs::create_directories(p.parent_path());
        std::ofstream out(p, std::ios::binary | std::ios::trunc);
        std::vector<char> buf(1 << 16);
        la_ssize_t n;
        while ((n = archive_read_data(a.get(), buf.data(), buf.size())) > 0) out.write(buf.data(), n);
        if (n < 0) throw std::runtime_error("archive '" + tar.string() + "': reading '" + name + "' failed");
        out.flush();
        if (!out) throw std::runtime_error("cannot write '" + p.string() + "' while unpacking '" + tar.string() + "'");
    }
    if (r != ARCHIVE_EOF) throw std::runtime_error("archive '" + tar.string() + "' is damaged: " + archive_error_string(a.get()));
    if (tops.size() != 1) throw std::runtime_error("archive '" + tar.string() + "' does not hold exactly one bundle folder");
    return dest / *tops.begin();
}

// The messageDigest signed attribute (what the signer saw as the manifest's SHA-256).
std::string signed_digest(CMS_SignerInfo* si) {
    X509_ALGOR* dig = nullptr;
    CMS_SignerInfo_get0_algs(si, nullptr, nullptr, &dig, nullptr);
    if (!dig || OBJ_obj2nid(dig->algorithm) != NID_sha256) return {};
    auto* os = static_cast<ASN1_OCTET_STRING*>(
        CMS_signed_get0_data_by_OBJ(si, OBJ_nid2obj(NID_pkcs9_messageDigest), -3, V_ASN1_OCTET_STRING));
    if (!os) return {};
    return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(os)), static_cast<size_t>(ASN1_STRING_length(os)));
}

// One DER element: tag byte, where its contents start and how long they are.
struct Der {
    unsigned char tag = 0;
    size_t body = 0, len = 0;
    size_t end() const { return body + len; }
};

// Reads the element at pos (within limit); nullopt when it is not well-formed DER.
std::optional<Der> der_at(const std::string& d, size_t pos, size_t limit) {
    if (pos + 2 > limit) return std::nullopt;
    Der e;
    e.tag = static_cast<unsigned char>(d[pos]);
    size_t p = pos + 1;
    unsigned char l = static_cast<unsigned char>(d[p++]);
    if (l < 0x80) {
        e.len = l;
    } else {
        size_t n = l & 0x7f;
        if (n == 0 || n > 4 || p + n > limit) return std::nullopt;
        for (size_t i = 0; i < n; ++i) e.len = (e.len << 8) | static_cast<unsigned char>(d[p++]);
    }
    e.body = p;
    if (e.end() > limit) return std::nullopt;
    return e;
}

// The fields of a CMS SignedData that neither the signature nor OpenSSL's verification look at
// (versions, the outer digest algorithm list, the encapsulated content type) must be exactly
// what triage writes, so that no byte of the signature file can change unnoticed. Returns what
// is wrong, or an empty string.
std::string check_signed_data_shape(const std::string& d) {
    static const std::string kSignedDataOid("\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x07\x02", 11);
    static const std::string kDataOid("\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x07\x01", 11);
    static const std::string kSha256Alg("\x30\x0b\x06\x09\x60\x86\x48\x01\x65\x03\x04\x02\x01", 13);
    static const std::string kSha256AlgNull("\x30\x0d\x06\x09\x60\x86\x48\x01\x65\x03\x04\x02\x01\x05\x00", 15);
    auto top = der_at(d, 0, d.size());
    if (!top || top->tag != 0x30) return "not a CMS ContentInfo";
    if (d.compare(top->body, kSignedDataOid.size(), kSignedDataOid) != 0) return "not CMS SignedData";
    auto wrap = der_at(d, top->body + kSignedDataOid.size(), top->end());
    if (!wrap || wrap->tag != 0xa0) return "no SignedData content";
    auto sd = der_at(d, wrap->body, wrap->end());
    if (!sd || sd->tag != 0x30) return "malformed SignedData";
    auto ver = der_at(d, sd->body, sd->end());
    if (!ver || ver->tag != 0x02 || ver->len != 1 || d[ver->body] != 1) return "SignedData version is not 1";
    auto algs = der_at(d, ver->end(), sd->end());
    if (!algs || algs->tag != 0x31) return "malformed digest algorithm list";
    const std::string alg_list = d.substr(algs->body, algs->len);
    if (alg_list != kSha256Alg && alg_list != kSha256AlgNull) return "digest algorithm list is not exactly SHA-256";
    auto eci = der_at(d, algs->end(), sd->end());
    if (!eci || eci->tag != 0x30 || d.substr(eci->body, eci->len) != kDataOid)
        return "encapsulated content is not detached id-data";
    auto next = der_at(d, eci->end(), sd->end());
    if (next && next->tag == 0xa0) next = der_at(d, next->end(), sd->end());  // certificates
    if (!next || next->tag != 0x31) return "malformed signer list";
    auto si = der_at(d, next->body, next->end());
    if (!si || si->tag != 0x30 || si->end() != next->end()) return "expected exactly one signer";
    if (next->end() != sd->end()) return "unexpected data after the signer list";
    auto siver = der_at(d, si->body, si->end());
    if (!siver || siver->tag != 0x02 || siver->len != 1 || d[siver->body] != 1) return "SignerInfo version is not 1";
    return {};
}

// Algorithm parameters must be absent or NULL (nothing else is meaningful for SHA-256, RSA,
// ECDSA or Ed25519, and anything else would be unsigned bytes).
bool plain_params(X509_ALGOR* a) {
    if (!a) return false;
    int ptype = 0;
    const void* pval = nullptr;
    const ASN1_OBJECT* obj = nullptr;
    X509_ALGOR_get0(&obj, &ptype, &pval, a);
    return ptype == V_ASN1_UNDEF || ptype == V_ASN1_NULL;
}

// The signer identifier (issuer and serial number) equals the certificate's byte for byte.
bool exact_signer_id(CMS_SignerInfo* si, X509* cert) {
    ASN1_OCTET_STRING* keyid = nullptr;
    X509_NAME* issuer = nullptr;
    ASN1_INTEGER* serial = nullptr;
    if (CMS_SignerInfo_get0_signer_id(si, &keyid, &issuer, &serial) != 1 || !issuer || !serial) return false;
    auto der = [](const X509_NAME* n) {
        unsigned char* p = nullptr;
        int len = i2d_X509_NAME(n, &p);
        std::string s = len > 0 ? std::string(reinterpret_cast<char*>(p), static_cast<size_t>(len)) : std::string();
        OPENSSL_free(p);
        return s;
    };
    return der(issuer) == der(X509_get_issuer_name(cert)) &&
           ASN1_INTEGER_cmp(serial, X509_get0_serialNumber(cert)) == 0;
}

// The signature algorithms OpenSSL writes for the keys triage signs with. RSA verification does
// not look at the hash named in the algorithm, so any other name would be an unnoticed change.
bool known_signature_algorithm(X509_ALGOR* a) {
    if (!a) return false;
    switch (OBJ_obj2nid(a->algorithm)) {
    case NID_rsaEncryption:
    case NID_sha256WithRSAEncryption:
    case NID_ecdsa_with_SHA256:
    case NID_ED25519: return true;
    default: return false;
    }
}

std::string sha256_raw(const std::string& data) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    EVP_Digest(data.data(), data.size(), md, &n, EVP_sha256(), nullptr);
    return std::string(reinterpret_cast<const char*>(md), n);
}

}  // namespace

std::string cert_fingerprint_pem(const std::string& cert_pem_path) { return fingerprint(load_cert(cert_pem_path).get()); }

// ---- bundle ------------------------------------------------------------------------------
BundleResult make_bundle(index::CaseIndex& idx, const SignOptions& o) {
    BundleResult res;
    auto cert = load_cert(o.cert);
    auto key = load_key(o.key);
    if (X509_check_private_key(cert.get(), key.get()) != 1)
        throw std::runtime_error("key '" + o.key + "' does not belong to certificate '" + o.cert + "'");
    if (X509_cmp_current_time(X509_get0_notAfter(cert.get())) < 0)
        throw std::runtime_error("certificate '" + o.cert + "' expired on " + asn1_time(X509_get0_notAfter(cert.get())));
    if (X509_cmp_current_time(X509_get0_notBefore(cert.get())) > 0)
        throw std::runtime_error("certificate '" + o.cert + "' is not valid before " +
                                 asn1_time(X509_get0_notBefore(cert.get())));

    const fs::path out = o.out;
    std::error_code ec;
    if (fs::exists(out, ec) && !(fs::is_directory(out, ec) && fs::is_empty(out, ec)))
        throw std::runtime_error("bundle folder '" + o.out + "' exists and is not empty: choose a new folder");
    fs::create_directories(out, ec);
    if (ec) throw std::runtime_error("cannot create bundle folder '" + o.out + "': " + ec.message());
    res.out_dir = out.string();

    // The share-profile report in every format the build knows.
    ordered_json rendered = ordered_json::array();
    for (const auto& f : formats()) {
        const std::string name = f.name;
        if (name == "pdf" && !on_path("chromium") && !on_path("chromium-browser")) {
            res.notes.push_back("pdf not rendered: headless Chromium (Debian package 'chromium') is not installed");
            continue;
        }
        Options opts;
        opts.format = name;
        opts.out = (out / exp::default_output_name(name)).string();
        opts.profile = Profile::Share;
        opts.lang = o.lang;
        opts.timezone = o.timezone;
        opts.templates_dir = o.templates_dir;
        try {
            f.write(idx, opts);
        } catch (const std::exception& e) {
            throw std::runtime_error("bundle: the " + name + " report could not be rendered: " + e.what());
        }
        rendered.push_back({{"format", name}, {"path", exp::default_output_name(name)}});
    }

    // The manifest: every file's size and SHA-256, and who signs, when, with what.
    ordered_json files = ordered_json::array();
    for (const auto& rel : list_files(out)) {
        if (rel == kManifest || rel == kSignature) continue;
        auto h = hash_file(out / rel);
        files.push_back({{"path", rel}, {"size", h.size}, {"sha256", h.sha256}});
    }
    res.files = files.size();
    const auto ci = exp::case_info(idx.db());
    res.signer_subject = name_string(X509_get_subject_name(cert.get()));
    res.signer_fingerprint = fingerprint(cert.get());
    ordered_json audit_head = {{"seq", nullptr}, {"hash", nullptr}};
    {
        auto s = idx.db().prepare("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1");
        if (s.step()) audit_head = {{"seq", s.col_int(0)}, {"hash", s.col_text(1)}};
    }
    ordered_json m;
    m["format"] = "triage-bundle-manifest";
    m["format_version"] = 1;
    m["tool"] = {{"name", "triage"}, {"version", exp::tool_version()}};
    Options share_opts;
    share_opts.profile = Profile::Share;
    const auto cfg = exp::case_config(idx, share_opts);
    m["case"] = {{"case_number", ci.case_number},
                 {"examiner", cfg.hidden("examiner") ? ordered_json(nullptr) : ordered_json(ci.examiner)},
                 {"created", ci.created}};
    m["profile"] = "share";
    m["signed_at"] = util::now_iso_utc();
    m["signed_by"] = {{"subject", res.signer_subject},
                      {"issuer", name_string(X509_get_issuer_name(cert.get()))},
                      {"sha256_fingerprint", res.signer_fingerprint},
                      {"not_before", asn1_time(X509_get0_notBefore(cert.get()))},
                      {"not_after", asn1_time(X509_get0_notAfter(cert.get()))}};
    m["signature"] = {{"file", kSignature},
                      {"type", "CMS SignedData (RFC 5652), detached, DER, signer certificate embedded"}};
    m["audit_head"] = audit_head;
    m["formats"] = rendered;
    m["notes"] = res.notes;
    m["files"] = files;
    const std::string manifest = m.dump(2, ' ', false, ordered_json::error_handler_t::replace) + "\n";
    write_file(out / kManifest, manifest);
    res.manifest_sha256 = util::sha256_hex(manifest);

    // CMS detached signature over the manifest bytes exactly as written (binary: no MIME
    // canonicalisation of line ends), signer certificate included, SHA-256.
    BioPtr in(BIO_new_mem_buf(manifest.data(), static_cast<int>(manifest.size())));
    CmsPtr cms(CMS_sign(nullptr, nullptr, nullptr, nullptr, CMS_DETACHED | CMS_BINARY | CMS_PARTIAL | CMS_NOSMIMECAP));
    if (!cms || !CMS_add1_signer(cms.get(), cert.get(), key.get(), EVP_sha256(), CMS_BINARY | CMS_NOSMIMECAP) ||
        CMS_final(cms.get(), in.get(), nullptr, CMS_DETACHED | CMS_BINARY) != 1)
        throw std::runtime_error("signing the manifest failed: " + ssl_errors());
    BioPtr der(BIO_new(BIO_s_mem()));
    if (i2d_CMS_bio(der.get(), cms.get()) != 1) throw std::runtime_error("encoding the signature failed: " + ssl_errors());
    char* data = nullptr;
    long len = BIO_get_mem_data(der.get(), &data);
    write_file(out / kSignature, std::string(data, static_cast<size_t>(len)));

    if (o.archive) {
        fs::path tar = out;
        if (!tar.has_filename()) tar = tar.parent_path();
        tar += ".tar";
        pack_tar(out, tar);
        res.archive = tar.string();
    }

    idx.audit("bundle signed", {{"out", fs::absolute(out).string()},
                                {"archive", res.archive},
                                {"manifest_sha256", res.manifest_sha256},
                                {"files", res.files},
                                {"signer_subject", res.signer_subject},
                                {"signer_sha256_fingerprint", res.signer_fingerprint},
                                {"signed_at", m["signed_at"]},
                                {"notes", res.notes}});
    return res;
}

// ---- verify ------------------------------------------------------------------------------
VerifyResult verify_bundle(const std::string& path, const std::string& ca_pem) {
    VerifyResult r;
    fs::path dir = path;
    std::error_code ec;
    fs::path unpacked;
    if (fs::is_regular_file(dir, ec)) {
        // A bundle packed with --archive: unpack into a private temporary folder first.
        std::string tmpl = (fs::temp_directory_path() / "triage-verify-XXXXXX").string();
        std::vector<char> buf(tmpl.begin(), tmpl.end());
        buf.push_back('\0');
        if (!mkdtemp(buf.data())) throw std::runtime_error("cannot make a temporary folder to unpack '" + path + "'");
        unpacked = buf.data();
        try {
            dir = unpack_tar(path, unpacked);
        } catch (...) {
            fs::remove_all(unpacked, ec);
            throw;
        }
    }
    struct Remove {
        fs::path p;
        ~Remove() {
            std::error_code e;
            if (!p.empty()) fs::remove_all(p, e);
        }
    } remove_unpacked{unpacked};

    if (!fs::is_directory(dir, ec)) {
        r.problems.push_back(path + ": not a bundle folder or archive");
        return r;
    }
    const fs::path mpath = dir / kManifest, spath = dir / kSignature;
    if (!fs::is_regular_file(mpath, ec)) r.problems.push_back(std::string(kManifest) + ": missing");
    if (!fs::is_regular_file(spath, ec)) r.problems.push_back(std::string(kSignature) + ": missing");
    if (!r.problems.empty()) return r;
    const std::string manifest = read_file(mpath), sig = read_file(spath);

    // 1. The signature: parse, find the signer certificate, check the signature over the signed
    //    attributes, then the manifest's digest against the signed one (so a change to either
    //    file is blamed on the right one), then the whole structure as `openssl cms -verify` does.
    ERR_clear_error();
    const unsigned char* p = reinterpret_cast<const unsigned char*>(sig.data());
    CmsPtr cms(d2i_CMS_ContentInfo(nullptr, &p, static_cast<long>(sig.size())));
    X509* signer = nullptr;
    CertStackPtr certs;
    if (!cms || p != reinterpret_cast<const unsigned char*>(sig.data()) + sig.size()) {
        r.problems.push_back(std::string(kSignature) + ": not a DER CMS signature (damaged or replaced)");
    } else {
        // DER is canonical: a re-encoding must give the very same bytes, so no byte of the file
        // can change unnoticed, even in fields the signature does not cover.
        unsigned char* re = nullptr;
        int relen = i2d_CMS_ContentInfo(cms.get(), &re);
        bool canonical = relen == static_cast<int>(sig.size()) && std::memcmp(re, sig.data(), sig.size()) == 0;
        OPENSSL_free(re);
        STACK_OF(CMS_SignerInfo)* sis = CMS_get0_SignerInfos(cms.get());
        certs.reset(CMS_get1_certs(cms.get()));
        const std::string shape = check_signed_data_shape(sig);
        X509_ALGOR *dig_alg = nullptr, *sig_alg = nullptr;
        if (sis && sk_CMS_SignerInfo_num(sis) == 1)
            CMS_SignerInfo_get0_algs(sk_CMS_SignerInfo_value(sis, 0), nullptr, nullptr, &dig_alg, &sig_alg);
        if (!canonical)
            r.problems.push_back(std::string(kSignature) + ": not in canonical DER form (altered)");
        else if (!shape.empty())
            r.problems.push_back(std::string(kSignature) + ": " + shape + " (altered, or not made by triage)");
        else if (!dig_alg || OBJ_obj2nid(dig_alg->algorithm) != NID_sha256 || !plain_params(dig_alg) ||
                 !plain_params(sig_alg) || !known_signature_algorithm(sig_alg))
            r.problems.push_back(std::string(kSignature) + ": unexpected digest or signature algorithm");
        else if (!sis || sk_CMS_SignerInfo_num(sis) != 1)
            r.problems.push_back(std::string(kSignature) + ": expected exactly one signer");
        else {
            CMS_SignerInfo* si = sk_CMS_SignerInfo_value(sis, 0);
            for (int i = 0; certs && i < sk_X509_num(certs.get()); ++i)
                if (CMS_SignerInfo_cert_cmp(si, sk_X509_value(certs.get(), i)) == 0) signer = sk_X509_value(certs.get(), i);
            if (!signer) {
                r.problems.push_back(std::string(kSignature) + ": the signer's certificate is not embedded");
            } else if (!exact_signer_id(si, signer)) {
                // OpenSSL matches names after case folding; a byte changed there must not pass.
                r.problems.push_back(std::string(kSignature) + ": the signer identifier differs from the certificate's issuer and serial");
            } else {
                r.subject = name_string(X509_get_subject_name(signer));
                r.issuer = name_string(X509_get_issuer_name(signer));
                r.fingerprint = fingerprint(signer);
                CMS_SignerInfo_set1_signer_cert(si, signer);
                if (CMS_SignerInfo_verify(si) != 1) {
                    r.problems.push_back(std::string(kSignature) +
                                         ": the signature does not verify with the embedded certificate (" +
                                         ssl_errors() + ")");
                } else if (signed_digest(si) != sha256_raw(manifest)) {
                    r.problems.push_back(std::string(kManifest) + ": changed after signing (its digest differs from the signed one)");
                } else {
                    BioPtr content2(BIO_new_mem_buf(manifest.data(), static_cast<int>(manifest.size())));
                    if (CMS_verify(cms.get(), nullptr, nullptr, content2.get(), nullptr,
                                   CMS_BINARY | CMS_NO_SIGNER_CERT_VERIFY) != 1)
                        r.problems.push_back(std::string(kSignature) + ": CMS verification failed (" + ssl_errors() + ")");
                    else
                        r.signature_ok = true;
                }
            }
        }
    }

    // 2. Identity: the signer certificate chains to the CA the user trusts.
    if (!ca_pem.empty()) {
        r.identity_checked = true;
        if (signer) {
            StorePtr store(X509_STORE_new());
            if (!store || X509_STORE_load_file(store.get(), ca_pem.c_str()) != 1)
                throw std::runtime_error("cannot read CA certificates from '" + ca_pem + "': " + ssl_errors());
            StoreCtxPtr ctx(X509_STORE_CTX_new());
            X509_STORE_CTX_init(ctx.get(), store.get(), signer, certs.get());
            if (X509_verify_cert(ctx.get()) == 1) {
                r.identity_ok = true;
                const uint32_t ku = X509_get_key_usage(signer);
                if (!(ku & (KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION))) {
                    r.identity_ok = false;
                    r.problems.push_back(std::string(kSignature) + ": the signer certificate may not be used for signatures (key usage)");
                }
            } else {
                r.problems.push_back(std::string(kSignature) + ": the signer certificate does not chain to the CA in '" +
                                     ca_pem + "' (" + X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx.get())) +
                                     ")");
            }
        }
    }
    ERR_clear_error();

    // 3. The manifest's content, and every file against it.
    auto m = ordered_json::parse(manifest, nullptr, false);
    if (m.is_discarded() || !m.is_object() || !m.contains("files") || !m["files"].is_array()) {
        r.problems.push_back(std::string(kManifest) + ": not a triage bundle manifest");
        return r;
    }
    auto str = [](const ordered_json& j, const char* a, const char* b = nullptr) -> std::string {
        const ordered_json* x = &j;
        for (const char* k : {a, b}) {
            if (!k) break;
            if (!x->is_object() || !x->contains(k)) return {};
            x = &(*x)[k];
        }
        return x->is_string() ? x->get<std::string>() : std::string();
    };
    r.signed_at = str(m, "signed_at");
    r.case_number = str(m, "case", "case_number");
    r.tool_version = str(m, "tool", "version");
    if (signer && str(m, "signed_by", "sha256_fingerprint") != r.fingerprint)
        r.problems.push_back(std::string(kSignature) +
                             ": the embedded certificate is not the one the manifest names as signer");

    std::vector<std::string> odd;
    const auto present = list_files(dir, &odd);
    std::set<std::string> listed;
    for (const auto& e : m["files"]) {
        const std::string rel = e.value("path", std::string());
        if (!safe_relative(rel)) {
            r.problems.push_back(std::string(kManifest) + ": lists a path outside the bundle: '" + rel + "'");
            continue;
        }
        listed.insert(rel);
        const fs::path fp = dir / rel;
        if (!fs::is_regular_file(fs::symlink_status(fp, ec))) {
            r.problems.push_back(rel + ": missing");
            continue;
        }
        auto h = hash_file(fp);
        ++r.files_checked;
        if (h.sha256 != e.value("sha256", std::string()) || h.size != e.value("size", uint64_t(0)))
            r.problems.push_back(rel + ": differs from the manifest (SHA-256 " + h.sha256 + ")");
    }
    for (const auto& rel : present)
        if (rel != kManifest && rel != kSignature && !listed.count(rel))
            r.problems.push_back(rel + ": extra file, not in the manifest");
    for (const auto& rel : odd) r.problems.push_back(rel + ": extra entry, not a regular file");
    return r;
}

// ---- keygen ------------------------------------------------------------------------------
namespace {

void add_name_entries(X509_NAME* name, const std::string& subject) {
    // "/C=UA/O=Unit/CN=Name" (as openssl -subj takes it) or "CN=Name,O=Unit".
    const char sep = (!subject.empty() && subject[0] == '/') ? '/' : ',';
    std::stringstream ss(subject);
    std::string part;
    int added = 0;
    while (std::getline(ss, part, sep)) {
        auto b = part.find_first_not_of(' ');
        if (b == std::string::npos) continue;
        part = part.substr(b);
        auto eq = part.find('=');
        if (eq == std::string::npos || eq == 0 || eq + 1 == part.size())
            throw std::invalid_argument("subject '" + subject + "': '" + part + "' is not KEY=VALUE");
        const std::string k = part.substr(0, eq), v = part.substr(eq + 1);
        if (X509_NAME_add_entry_by_txt(name, k.c_str(), MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(v.c_str()),
                                       -1, -1, 0) != 1)
            throw std::invalid_argument("subject '" + subject + "': unknown attribute '" + k + "'");
        ++added;
    }
    if (!added) throw std::invalid_argument("subject '" + subject + "' is empty");
}

void add_ext(X509* cert, int nid, const char* value) {
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
    ExtPtr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
    if (!ext || X509_add_ext(cert, ext.get(), -1) != 1) throw std::runtime_error("certificate extension failed: " + ssl_errors());
}

}  // namespace

KeygenResult keygen(const KeygenOptions& o) {
    if (o.days < 1) throw std::invalid_argument("--days must be at least 1");
    const fs::path dir = o.dir;
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) throw std::runtime_error("cannot create '" + o.dir + "': " + ec.message());
    KeygenResult r;
    r.key_path = (dir / "key.pem").string();
    r.cert_path = (dir / "cert.pem").string();
    if (fs::exists(r.key_path, ec) || fs::exists(r.cert_path, ec))
        throw std::runtime_error("'" + o.dir + "' already holds key.pem or cert.pem: they are never overwritten");

    PkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(o.rsa_bits)));
    if (!key) throw std::runtime_error("key generation failed: " + ssl_errors());
    X509Ptr cert(X509_new());
    X509_set_version(cert.get(), 2);  // v3
    {
        // A random positive 159-bit serial (RFC 5280 allows up to 20 octets).
        unsigned char rnd[20];
        if (RAND_bytes(rnd, sizeof rnd) != 1) throw std::runtime_error("no random bytes for the serial");
        rnd[0] &= 0x7f;
        std::unique_ptr<BIGNUM, Deleter<BIGNUM, BN_free>> bn(BN_bin2bn(rnd, sizeof rnd, nullptr));
        BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert.get()));
    }
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), 0);
    X509_time_adj_ex(X509_getm_notAfter(cert.get()), o.days, 0, nullptr);
    X509_NAME* name = X509_get_subject_name(cert.get());
    add_name_entries(name, o.subject);
    X509_set_issuer_name(cert.get(), name);
    X509_set_pubkey(cert.get(), key.get());
    add_ext(cert.get(), NID_basic_constraints, "critical,CA:FALSE");
    add_ext(cert.get(), NID_key_usage, "critical,digitalSignature,nonRepudiation");
    add_ext(cert.get(), NID_ext_key_usage, "emailProtection");
    add_ext(cert.get(), NID_subject_key_identifier, "hash");
    if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0) throw std::runtime_error("signing the certificate failed: " + ssl_errors());

    // The key: created 0600 from the start (never readable by others, whatever the umask).
    {
        BioPtr mem(BIO_new(BIO_s_mem()));
        if (PEM_write_bio_PrivateKey(mem.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1)
            throw std::runtime_error("encoding the key failed: " + ssl_errors());
        char* data = nullptr;
        long len = BIO_get_mem_data(mem.get(), &data);
        int fd = ::open(r.key_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0) throw std::runtime_error("cannot create '" + r.key_path + "': " + std::strerror(errno));
        ::fchmod(fd, 0600);
        bool ok = ::write(fd, data, static_cast<size_t>(len)) == len;
        ok = (::close(fd) == 0) && ok;
        OPENSSL_cleanse(data, static_cast<size_t>(len));
        if (!ok) throw std::runtime_error("writing '" + r.key_path + "' failed");
    }
    {
        BioPtr mem(BIO_new(BIO_s_mem()));
        PEM_write_bio_X509(mem.get(), cert.get());
        char* data = nullptr;
        long len = BIO_get_mem_data(mem.get(), &data);
        write_file(r.cert_path, std::string(data, static_cast<size_t>(len)), 0644);
        ::chmod(r.cert_path.c_str(), 0644);
    }
    r.subject = name_string(name);
    r.fingerprint = fingerprint(cert.get());
    return r;
}

}  // namespace triage::report::bundle
