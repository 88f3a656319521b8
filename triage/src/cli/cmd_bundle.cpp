// `triage bundle CASE --key KEY --cert CERT -o OUT [--archive]`, `triage verify OUT [--ca CA.pem]`
// and `triage keygen --out DIR`: the signed bundle for a partner agency (report/bundle.hpp).
#include "cli/commands.hpp"
#include "report/bundle.hpp"

#include <iostream>
#include <memory>

namespace triage::cli {

namespace {
constexpr int kExitProblem = 3;  // as verify-image: the check ran and found a problem
}

void add_bundle_commands(CLI::App& app, Commands& out) {
    {
        struct Args {
            std::string case_dir;
            report::bundle::SignOptions o;
        };
        auto a = std::make_shared<Args>();
        auto* sub = app.add_subcommand(
            "bundle", "Make a signed bundle for a partner agency: the share-profile report in every format, a manifest "
                      "of SHA-256s and its CMS signature");
        sub->add_option("case", a->case_dir, "Case folder")->required();
        sub->add_option("--key", a->o.key, "Signing key (PEM)")->required();
        sub->add_option("--cert", a->o.cert, "The key's X.509 certificate (PEM); embedded in the signature")->required();
        sub->add_option("--out,-o", a->o.out, "Bundle folder to create (must not exist or be empty)")->required();
        sub->add_flag("--archive", a->o.archive, "Also pack the folder into one file, OUT.tar");
        sub->add_option("--lang", a->o.lang, "Language of the report's fixed text (en, uk, ro)");
        sub->add_option("--timezone", a->o.timezone, "The examiner's time zone, stated in the report (times are UTC)");
        sub->add_option("--templates", a->o.templates_dir, "Template folder (default: the installed report-templates)");
        out.push_back({sub, [a] {
                           index::CaseIndex idx(a->case_dir, false);
                           auto r = report::bundle::make_bundle(idx, a->o);
                           std::cout << "bundle:      " << r.out_dir << "\n";
                           if (!r.archive.empty()) std::cout << "archive:     " << r.archive << "\n";
                           std::cout << "files:       " << r.files << "\n"
                                     << "manifest:    sha256 " << r.manifest_sha256 << "\n"
                                     << "signed by:   " << r.signer_subject << "\n"
                                     << "certificate: SHA-256 " << r.signer_fingerprint << "\n";
                           for (const auto& n : r.notes) std::cout << "note:        " << n << "\n";
                           return 0;
                       }});
    }
    {
        struct Args {
            std::string dir, ca;
        };
        auto a = std::make_shared<Args>();
        auto* sub = app.add_subcommand(
            "verify", "Check a bundle: its signature, and every file against the signed manifest (exit 0 all good, "
                      "3 a problem found)");
        sub->add_option("bundle", a->dir, "Bundle folder (or the .tar made with --archive)")->required();
        sub->add_option("--ca", a->ca, "CA certificate(s) (PEM) the signer's certificate must chain to");
        out.push_back({sub, [a] {
                           auto r = report::bundle::verify_bundle(a->dir, a->ca);
                           std::cout << "bundle:      " << a->dir << "\n";
                           if (!r.case_number.empty()) std::cout << "case:        " << r.case_number << "\n";
                           if (!r.signed_at.empty()) std::cout << "signed at:   " << r.signed_at << "\n";
                           if (!r.tool_version.empty()) std::cout << "tool:        triage " << r.tool_version << "\n";
                           std::cout << "signer:      " << (r.subject.empty() ? "-" : r.subject) << "\n"
                                     << "issuer:      " << (r.issuer.empty() ? "-" : r.issuer) << "\n"
                                     << "certificate: SHA-256 " << (r.fingerprint.empty() ? "-" : r.fingerprint) << "\n"
                                     << "signature:   " << (r.signature_ok ? "valid" : "INVALID") << "\n";
                           if (r.identity_checked)
                               std::cout << "identity:    " << (r.identity_ok ? "verified against " : "NOT verified against ")
                                         << a->ca << "\n";
                           else
                               std::cout << "identity:    NOT checked (no --ca): this proves only that the files are "
                                            "unchanged since the holder of the key of the certificate above signed them, "
                                            "not who that is; compare the fingerprint with the sender's by another "
                                            "channel, or pass --ca\n";
                           std::cout << "files:       " << r.files_checked << " checked\n";
                           for (const auto& p : r.problems) std::cout << "PROBLEM:     " << p << "\n";
                           std::cout << "result:      " << (r.ok() ? "OK" : "FAILED") << "\n";
                           return r.ok() ? 0 : kExitProblem;
                       }});
    }
    {
        auto o = std::make_shared<report::bundle::KeygenOptions>();
        auto* sub = app.add_subcommand(
            "keygen", "Make a signing key (DIR/key.pem, mode 0600) and a self-signed certificate (DIR/cert.pem) for a "
                      "unit without a PKI");
        sub->add_option("--out,-o", o->dir, "Folder for key.pem and cert.pem (never overwritten)")->required();
        sub->add_option("--subject", o->subject, "Certificate subject, e.g. '/C=UA/O=Cyber Police/CN=I. Petrenko'");
        sub->add_option("--days", o->days, "Validity in days (default 730)")->check(CLI::Range(1, 36500));
        sub->add_option("--bits", o->rsa_bits, "RSA key size (default 3072)")->check(CLI::IsMember({2048, 3072, 4096}));
        out.push_back({sub, [o] {
                           try {
                               auto r = report::bundle::keygen(*o);
                               std::cout << "key:         " << r.key_path << " (mode 0600: keep it private)\n"
                                         << "certificate: " << r.cert_path << "\n"
                                         << "subject:     " << r.subject << "\n"
                                         << "fingerprint: SHA-256 " << r.fingerprint << "\n";
                           } catch (const std::invalid_argument& e) {
                               std::cerr << "triage keygen: " << e.what() << "\n";
                               return 2;
                           }
                           return 0;
                       }});
    }
}

}  // namespace triage::cli
