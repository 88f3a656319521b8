// `triage report --format dfxml`: the file listing as DFXML that validates against dfxml.xsd of
// the dfxml-working-group (2.0.0-beta schema). Layout: one diskimageobject per evidence item
// holding one volume per file system holding its fileobjects; children in the schema's order.
// triage's own facts that DFXML has no element for (evidence hashes and verification, the
// sensitive mark) are attributes and elements in the namespace urn:x-triage:dfxml, which the
// schema admits (xs:any / xs:anyAttribute namespace="##other").
#include "report/export_common.hpp"
#include "report/exports.hpp"
#include "util/text.hpp"

#include <fstream>
#include <map>
#include <stdexcept>
#include <vector>

namespace triage::report {

namespace {

const char* kDfxmlNs = "http://www.forensicswiki.org/wiki/Category:Digital_Forensics_XML";
const char* kTriageNs = "urn:x-triage:dfxml";

std::string el(const std::string& name, const std::string& text) {
    return "<" + name + ">" + exp::xml_escape(text) + "</" + name + ">";
}

std::string iso_time(int64_t t) { return util::iso_utc(static_cast<std::time_t>(t)); }

struct FsRow {
    int64_t fs_id, evidence_id, offset;
    std::string fs_type;
    std::optional<int64_t> block_size, block_count;
};

}  // namespace

std::string write_dfxml(index::CaseIndex& idx, const Options& opts) {
    auto& db = idx.db();
    const auto shape = exp::shape_of(db);
    const std::string path = exp::output_path(idx, opts, exp::default_output_name("dfxml"));
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    if (!f) throw std::runtime_error("cannot write '" + path + "'");
    const auto ci = exp::case_info(db);
    const auto cfg = exp::case_config(idx, opts);

    f << "<?xml version='1.0' encoding='UTF-8'?>\n"
      << "<dfxml xmlns='" << kDfxmlNs << "' xmlns:dc='http://purl.org/dc/elements/1.1/' xmlns:triage='" << kTriageNs
      << "' version='2.0.0-beta.0'>\n"
      << "  <metadata>\n    <dc:type>Disk Image</dc:type>\n";
    if (!ci.case_number.empty()) f << "    <dc:identifier>" << exp::xml_escape(ci.case_number) << "</dc:identifier>\n";
    if (!ci.examiner.empty() && !cfg.hidden("examiner")) f << "    <dc:creator>" << exp::xml_escape(ci.examiner) << "</dc:creator>\n";
    f << "    <triage:profile>" << exp::profile_name(opts.profile) << "</triage:profile>\n"
      << "  </metadata>\n"
      << "  <creator>\n    " << el("program", "triage") << "\n    " << el("version", exp::tool_version()) << "\n"
      << "    <execution_environment>\n      " << el("start_time", util::now_iso_utc())
      << "\n    </execution_environment>\n  </creator>\n";

    struct Ev {
        int64_t id, sector_size;
        std::string path, verification;
        std::map<std::string, std::string> hashes;
    };
    std::vector<Ev> evidence;
    {
        auto s = db.prepare("SELECT evidence_id, path, sector_size, verification, stored_md5, stored_sha1, "
                            "computed_md5, computed_sha1, computed_sha256 FROM evidence ORDER BY evidence_id");
        const char* names[] = {"stored_md5", "stored_sha1", "computed_md5", "computed_sha1", "computed_sha256"};
        while (s.step()) {
            Ev e{s.col_int(0), s.col_int(2), cfg.evidence_path(s.col_text(1)), s.col_text(3), {}};
            for (int i = 0; i < 5; ++i)
                if (!s.col_null(4 + i)) e.hashes[names[i]] = s.col_text(4 + i);
            evidence.push_back(std::move(e));
        }
    }
    f << "  <source>\n";
    for (const auto& e : evidence) f << "    " << el("image_filename", e.path) << "\n";
    f << "  </source>\n";

    std::vector<FsRow> filesystems;
    {
        auto s = db.prepare("SELECT fs_id, evidence_id, offset, fs_type, block_size, block_count FROM filesystems "
                            "ORDER BY evidence_id, offset, fs_id");
        while (s.step()) {
            FsRow r{s.col_int(0), s.col_int(1), s.col_int(2), s.col_text(3), std::nullopt, std::nullopt};
            if (!s.col_null(4)) r.block_size = s.col_int(4);
            if (!s.col_null(5)) r.block_count = s.col_int(5);
            filesystems.push_back(r);
        }
    }

    auto files = db.prepare(
        "SELECT f.file_id, f.path, f.name_type, f.size, f.allocated, f.meta_addr, f.meta_type, f.mode, f.uid, f.gid, "
        "f.mtime, f.ctime, f.atime, f.crtime, f.meta_seq, f.origin, " +
        exp::sensitive_expr(shape) +
        ", (SELECT value FROM hashes h WHERE h.file_id = f.file_id AND h.algorithm = 'md5'), "
        "(SELECT value FROM hashes h WHERE h.file_id = f.file_id AND h.algorithm = 'sha1'), "
        "(SELECT value FROM hashes h WHERE h.file_id = f.file_id AND h.algorithm = 'sha256') "
        "FROM files f WHERE f.fs_id = ? ORDER BY f.file_id");
    // The schema's name_type enumeration.
    const std::string name_types = "-pcdbrlshwVv";

    for (const auto& e : evidence) {
        f << "  <diskimageobject>\n    <triage:evidence id='" << e.id << "' verification='"
          << exp::xml_escape(e.verification) << "'";
        for (const auto& [k, v] : e.hashes) f << " " << k << "='" << exp::xml_escape(v) << "'";
        f << "/>\n";
        if (e.sector_size > 0) f << "    " << el("sector_size", std::to_string(e.sector_size)) << "\n";
        for (const auto& fsr : filesystems) {
            if (fsr.evidence_id != e.id) continue;
            f << "    <volume offset='" << fsr.offset << "'>\n      "
              << el("partition_offset", std::to_string(fsr.offset)) << "\n";
            if (e.sector_size > 0) f << "      " << el("sector_size", std::to_string(e.sector_size)) << "\n";
            if (fsr.block_size && *fsr.block_size > 0)
                f << "      " << el("block_size", std::to_string(*fsr.block_size)) << "\n";
            f << "      " << el("ftype_str", fsr.fs_type) << "\n";
            if (fsr.block_count && *fsr.block_count >= 0)
                f << "      " << el("block_count", std::to_string(*fsr.block_count)) << "\n";
            files.reset();
            sqlite3_clear_bindings(files.raw());
            files.bind(1, fsr.fs_id);
            while (files.step()) {
                const auto& s = files;
                const bool sensitive = !s.col_null(16) && s.col_int(16) == 1;
                f << "      <fileobject" << (sensitive ? " triage:sensitive='1'" : "")
                  << (s.col_text(15) != "fs" ? " triage:origin='" + exp::xml_escape(s.col_text(15)) + "'" : "")
                  << ">\n";
                std::string p = s.col_text(1);
                if (!p.empty() && p[0] == '/') p.erase(0, 1);  // DFXML names are relative to the volume root
                f << "        " << el("filename", p) << "\n";
                f << "        " << el("id", std::to_string(s.col_int(0))) << "\n";
                const std::string nt = s.col_text(2);
                if (!sensitive && nt.size() == 1 && name_types.find(nt[0]) != std::string::npos)
                    f << "        " << el("name_type", nt) << "\n";
                if (!s.col_null(3)) f << "        " << el("filesize", std::to_string(s.col_int(3))) << "\n";
                f << "        " << el("alloc", s.col_int(4) ? "1" : "0") << "\n";
                if (!sensitive) {
                    f << "        " << el("inode", std::to_string(s.col_int(5))) << "\n";
                    if (auto mt = exp::tsk_meta_type_number(s.col_text(6)))
                        f << "        " << el("meta_type", std::to_string(*mt)) << "\n";
                    if (!s.col_null(7) && s.col_int(7) >= 0)
                        f << "        " << el("mode", std::to_string(s.col_int(7))) << "\n";
                    if (!s.col_null(8)) f << "        " << el("uid", std::to_string(s.col_int(8))) << "\n";
                    if (!s.col_null(9)) f << "        " << el("gid", std::to_string(s.col_int(9))) << "\n";
                }
                const char* tnames[] = {"mtime", "ctime", "atime", "crtime"};
                for (int i = 0; i < 4; ++i)
                    if (!s.col_null(10 + i)) f << "        " << el(tnames[i], iso_time(s.col_int(10 + i))) << "\n";
                if (!sensitive && !s.col_null(14) && s.col_int(14) >= 0)
                    f << "        " << el("seq", std::to_string(s.col_int(14))) << "\n";
                const char* hnames[] = {"md5", "sha1", "sha256"};
                for (int i = 0; i < 3; ++i)
                    if (!s.col_null(17 + i))
                        f << "        <hashdigest type='" << hnames[i] << "'>" << exp::xml_escape(s.col_text(17 + i))
                          << "</hashdigest>\n";
                f << "      </fileobject>\n";
            }
            f << "    </volume>\n";
        }
        f << "  </diskimageobject>\n";
    }
    f << "</dfxml>\n";
    f.flush();
    if (!f) throw std::runtime_error("writing '" + path + "' failed");
    return path;
}

}  // namespace triage::report
