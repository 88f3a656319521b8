// The signed bundle a unit sends to a partner agency: a folder with the share-profile report in
// every format, a manifest of every file's SHA-256 and a CMS (PKCS #7) detached signature of the
// manifest with the signer's X.509 certificate embedded (docs/bundle.md says why CMS). `verify`
// checks the signature and every file; `keygen` makes a key and a self-signed certificate for a
// unit without a PKI.
#pragma once

#include "index/case_index.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace triage::report::bundle {

inline constexpr const char* kManifest = "manifest.json";
inline constexpr const char* kSignature = "manifest.json.p7s";

struct SignOptions {
    std::string key, cert;  // PEM files
    std::string out;        // the bundle folder (must not exist, or be empty)
    bool archive = false;   // also pack OUT into OUT.tar
    std::string lang = "en", timezone, templates_dir;
};

struct BundleResult {
    std::string out_dir, archive;  // archive empty without --archive
    std::string manifest_sha256, signer_subject, signer_fingerprint;
    size_t files = 0;
    std::vector<std::string> notes;  // formats skipped, and why
};

// Renders every registered format with the share profile into o.out, writes and signs the
// manifest, records the signing in the case's audit log. Throws std::runtime_error naming the
// file and the problem.
BundleResult make_bundle(index::CaseIndex& idx, const SignOptions& o);

struct VerifyResult {
    bool signature_ok = false;     // the manifest is what the holder of the embedded cert's key signed
    bool identity_checked = false; // a CA was given
    bool identity_ok = false;      // the certificate chains to that CA
    std::string subject, issuer, fingerprint, signed_at, case_number, tool_version;
    size_t files_checked = 0;
    std::vector<std::string> problems;  // each names the file: "path: what is wrong"
    bool ok() const { return problems.empty() && signature_ok && (!identity_checked || identity_ok); }
};

// Checks the bundle folder DIR (or a .tar made by --archive); ca_pem empty: integrity only.
VerifyResult verify_bundle(const std::string& dir, const std::string& ca_pem = "");

struct KeygenOptions {
    std::string dir;
    std::string subject = "/CN=triage examiner";  // "/C=UA/O=Unit/CN=Name" or "CN=Name,O=Unit"
    int days = 730;
    int rsa_bits = 3072;
};
struct KeygenResult {
    std::string key_path, cert_path, subject, fingerprint;
};
// Writes DIR/key.pem (mode 0600, never overwritten) and DIR/cert.pem.
KeygenResult keygen(const KeygenOptions& o);

// "AB:CD:..." SHA-256 of a certificate's DER, as `openssl x509 -fingerprint -sha256` prints it.
std::string cert_fingerprint_pem(const std::string& cert_pem_path);

}  // namespace triage::report::bundle
