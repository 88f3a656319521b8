// `triage report --format case`: the case as CASE 1.4 / UCO 1.4 JSON-LD (one @graph), for agencies
// that exchange results in the CASE ontology. What it holds (docs/exports.md has the mapping):
//  - the tool (uco-tool:AnalyticTool) and each detector that ran (AnalyticTool, with version);
//  - the examiner (uco-identity:Person) and the investigation (case-investigation:Investigation);
//  - each evidence item: a uco-observable:File + Image with its acquisition hashes, a
//    ProvenanceRecord with its exhibit number, and one InvestigativeAction "triage scan"
//    (instrument the tool, performer the examiner, object the evidence, result the files found,
//    start and end times), whose result ProvenanceRecord lists the files;
//  - every file: uco-observable:File with a FileFacet (name, path, size, times, allocation) and,
//    when content was read, a ContentDataFacet whose hashes are uco-types:Hash nodes
//    (hashMethod a plain string, hashValue typed xsd:hexBinary);
//  - every visible finding as a uco-core:Annotation on its file.
// Every node has an @id; identifiers are stable UUIDs derived from the case, so exporting the same
// case again gives the same identifiers. Hash algorithms outside the CASE vocabulary (TLSH, PDQ)
// use the documented extension property triage:similarityHash.
#include "report/export_common.hpp"
#include "report/exports.hpp"
#include "util/text.hpp"

#include <nlohmann/json.hpp>

#include <fstream>
#include <map>
#include <stdexcept>
#include <vector>

namespace triage::report {

namespace {

using nlohmann::ordered_json;

std::string dump(const ordered_json& j) { return j.dump(-1, ' ', false, ordered_json::error_handler_t::replace); }

ordered_json ref(const std::string& id) { return {{"@id", id}}; }
ordered_json date_time(const std::string& iso) { return {{"@type", "xsd:dateTime"}, {"@value", iso}}; }
ordered_json date_time(int64_t t) { return date_time(util::iso_utc(static_cast<std::time_t>(t))); }

// CASE 1.4 hash method names for the algorithms triage stores; empty for the rest.
std::string hash_method(const std::string& alg) {
    if (alg == "md5") return "MD5";
    if (alg == "sha1") return "SHA1";
    if (alg == "sha256") return "SHA256";
    if (alg == "sha384") return "SHA384";
    if (alg == "sha512") return "SHA512";
    if (alg == "ssdeep") return "SSDEEP";
    return {};
}

bool is_hex(const std::string& s) {
    if (s.empty() || s.size() % 2) return false;
    for (char c : s)
        if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
    return true;
}

class Graph {
public:
    Graph(const std::string& path, std::string key) : path_(path), key_(std::move(key)), f_(path, std::ios::binary | std::ios::trunc) {
        if (!f_) throw std::runtime_error("cannot write '" + path + "'");
    }
    // kb:<kind>-<uuid>, stable for (case, kind, local name).
    std::string id(const std::string& kind, const std::string& local) const {
        return "kb:" + kind + "-" + exp::stable_uuid(key_, kind + "/" + local);
    }
    void begin(const ordered_json& context) {
        f_ << "{\n\"@context\": " << context.dump(4) << ",\n\"@graph\": [";
    }
    void node(const ordered_json& n) {
        f_ << (first_ ? "\n" : ",\n") << dump(n);
        first_ = false;
    }
    void end() {
        f_ << "\n]\n}\n";
        f_.flush();
        if (!f_) throw std::runtime_error("writing '" + path_ + "' failed");
    }

private:
    std::string path_, key_;
    std::ofstream f_;
    bool first_ = true;
};

}  // namespace

std::string write_case_uco(index::CaseIndex& idx, const Options& opts) {
    auto& db = idx.db();
    const auto shape = exp::shape_of(db);
    const std::string path = exp::output_path(idx, opts, exp::default_output_name("case"));
    const auto ci = exp::case_info(db);
    const std::string key = exp::case_key(db);
    const auto cfg = exp::case_config(idx, opts);
    Graph g(path, key);
    g.begin({{"kb", "urn:x-triage:case:" + exp::stable_uuid(key, "case") + ":"},
             {"case-investigation", "https://ontology.caseontology.org/case/investigation/"},
             {"uco-action", "https://ontology.unifiedcyberontology.org/uco/action/"},
             {"uco-core", "https://ontology.unifiedcyberontology.org/uco/core/"},
             {"uco-identity", "https://ontology.unifiedcyberontology.org/uco/identity/"},
             {"uco-observable", "https://ontology.unifiedcyberontology.org/uco/observable/"},
             {"uco-tool", "https://ontology.unifiedcyberontology.org/uco/tool/"},
             {"uco-types", "https://ontology.unifiedcyberontology.org/uco/types/"},
             {"triage", "urn:x-triage:ontology#"},
             {"xsd", "http://www.w3.org/2001/XMLSchema#"}});

    const std::string tool_id = g.id("tool", "triage");
    g.node({{"@id", tool_id},
            {"@type", "uco-tool:AnalyticTool"},
            {"uco-core:name", "triage"},
            {"uco-tool:toolType", "Digital evidence triage"},
            {"uco-tool:version", exp::tool_version()}});
    // Detectors that ran, each with its version (the same detector on several evidence items once).
    {
        auto s = db.prepare("SELECT detector, version, min(origin) FROM detector_runs GROUP BY detector, version "
                            "ORDER BY detector, version");
        while (s.step())
            g.node({{"@id", g.id("detector", s.col_text(0) + "@" + s.col_text(1))},
                    {"@type", "uco-tool:AnalyticTool"},
                    {"uco-core:name", s.col_text(0)},
                    {"uco-tool:toolType", "triage detector (" + s.col_text(2) + ")"},
                    {"uco-tool:version", s.col_text(1)}});
    }
    const std::string examiner_id = g.id("examiner", ci.examiner);
    {
        ordered_json p = {{"@id", examiner_id}, {"@type", "uco-identity:Person"}};
        p["uco-core:name"] = cfg.hidden("examiner")  ? std::string("(withheld)")
                             : ci.examiner.empty() ? std::string("(examiner not recorded)")
                                                   : ci.examiner;
        g.node(p);
    }

    struct Ev {
        int64_t id;
        std::string node, action, prov_in, prov_out, exhibit;
    };
    std::vector<Ev> evidence;
    {
        auto s = db.prepare("SELECT evidence_id, path, size, computed_md5, computed_sha1, computed_sha256, added, "
                            "completed, verification FROM evidence ORDER BY evidence_id");
        while (s.step()) {
            Ev e;
            e.id = s.col_int(0);
            const std::string n = std::to_string(e.id);
            e.node = g.id("evidence", n);
            e.action = g.id("investigative-action", n);
            e.prov_in = g.id("provenance-record", "evidence/" + n);
            e.prov_out = g.id("provenance-record", "files/" + n);
            // The index has no exhibit numbers of its own: the case number and the evidence id
            // make one that is unique in the case and the same in every export.
            e.exhibit = (ci.case_number.empty() ? std::string("triage") : ci.case_number) + "/E" + n;
            std::string p = cfg.evidence_path(s.col_text(1));
            std::string name = p.substr(p.find_last_of('/') == std::string::npos ? 0 : p.find_last_of('/') + 1);
            ordered_json hashes = ordered_json::array();
            const char* algs[] = {"md5", "sha1", "sha256"};
            for (int i = 0; i < 3; ++i)
                if (!s.col_null(3 + i))
                    hashes.push_back({{"@id", g.id("hash", "evidence/" + n + "/" + algs[i])},
                                      {"@type", "uco-types:Hash"},
                                      {"uco-types:hashMethod", hash_method(algs[i])},
                                      {"uco-types:hashValue", {{"@type", "xsd:hexBinary"}, {"@value", s.col_text(3 + i)}}}});
            ordered_json facets = ordered_json::array();
            facets.push_back({{"@id", g.id("file-facet", "evidence/" + n)},
                              {"@type", "uco-observable:FileFacet"},
                              {"uco-observable:fileName", name},
                              {"uco-observable:filePath", p},
                              {"uco-observable:sizeInBytes", s.col_int(2)}});
            ordered_json cd = {{"@id", g.id("content-data-facet", "evidence/" + n)},
                               {"@type", "uco-observable:ContentDataFacet"},
                               {"uco-observable:sizeInBytes", s.col_int(2)}};
            if (!hashes.empty()) cd["uco-observable:hash"] = hashes;
            facets.push_back(cd);
            g.node({{"@id", e.node},
                    {"@type", ordered_json::array({"uco-observable:File", "uco-observable:Image"})},
                    {"uco-core:description", "evidence item " + n + " (verification: " + s.col_text(8) + ")"},
                    {"uco-core:hasFacet", facets}});
            g.node({{"@id", e.prov_in},
                    {"@type", "case-investigation:ProvenanceRecord"},
                    {"uco-core:description", "Evidence item " + n + " as received"},
                    {"case-investigation:exhibitNumber", e.exhibit},
                    {"uco-core:object", ordered_json::array({ref(e.node)})}});
            ordered_json action = {{"@id", e.action},
                                   {"@type", "case-investigation:InvestigativeAction"},
                                   {"uco-core:name", "triage scan"},
                                   {"uco-core:description", "Listed and hashed every file of evidence item " + n},
                                   {"uco-action:startTime", date_time(s.col_text(6))}};
            if (!s.col_null(7)) action["uco-action:endTime"] = date_time(s.col_text(7));
            action["uco-action:performer"] = ref(examiner_id);
            action["uco-action:instrument"] = ref(tool_id);
            action["uco-action:object"] = ordered_json::array({ref(e.node), ref(e.prov_in)});
            action["uco-action:result"] = ordered_json::array({ref(e.prov_out)});
            g.node(action);
            evidence.push_back(e);
        }
    }

    // Files: one node each, and the result list of each evidence item's provenance record.
    std::map<int64_t, ordered_json> results;
    {
        auto hs = db.prepare("SELECT file_id, algorithm, value FROM hashes ORDER BY file_id, algorithm");
        bool h_more = hs.step();
        auto s = db.prepare("SELECT f.file_id, f.evidence_id, f.path, f.name, f.size, f.mtime, f.atime, f.ctime, "
                            "f.crtime, f.allocated, f.meta_type, fs.fs_type, " +
                            exp::sensitive_expr(shape) + ", " +
                            (shape.properties ? std::string("(SELECT value FROM properties p WHERE p.file_id = f.file_id "
                                                            "AND p.key = 'mime' LIMIT 1)")
                                              : std::string("NULL")) +
                            " FROM files f JOIN filesystems fs ON fs.fs_id = f.fs_id ORDER BY f.file_id");
        while (s.step()) {
            const int64_t fid = s.col_int(0);
            const std::string n = std::to_string(fid);
            const bool sensitive = !s.col_null(12) && s.col_int(12) == 1;
            const std::string node = g.id("file", n);
            results[s.col_int(1)].push_back(ref(node));
            ordered_json ff = {{"@id", g.id("file-facet", n)}, {"@type", "uco-observable:FileFacet"}};
            ff["uco-observable:fileName"] = s.col_text(3);
            ff["uco-observable:filePath"] = s.col_text(2);
            if (!s.col_null(4)) ff["uco-observable:sizeInBytes"] = s.col_int(4);
            if (!s.col_null(5)) ff["uco-observable:modifiedTime"] = date_time(s.col_int(5));
            if (!s.col_null(6)) ff["uco-observable:accessedTime"] = date_time(s.col_int(6));
            if (!s.col_null(7)) ff["uco-observable:metadataChangeTime"] = date_time(s.col_int(7));
            if (!s.col_null(8)) ff["uco-observable:observableCreatedTime"] = date_time(s.col_int(8));
            ff["uco-observable:allocationStatus"] = s.col_int(9) ? "allocated" : "unallocated";
            if (!sensitive) {
                ff["uco-observable:isDirectory"] = s.col_text(10) == "d";
                ff["uco-observable:fileSystemType"] = s.col_text(11);
            }
            ordered_json facets = ordered_json::array({ff});
            ordered_json hashes = ordered_json::array(), similarity = ordered_json::array();
            while (h_more && hs.col_int(0) < fid) h_more = hs.step();
            while (h_more && hs.col_int(0) == fid) {
                const std::string alg = hs.col_text(1), val = hs.col_text(2);
                const std::string method = hash_method(alg);
                if (!method.empty() && (method == "SSDEEP" || is_hex(val))) {
                    ordered_json hv = method == "SSDEEP" ? ordered_json(val)
                                                         : ordered_json{{"@type", "xsd:hexBinary"}, {"@value", val}};
                    hashes.push_back({{"@id", g.id("hash", n + "/" + alg)},
                                      {"@type", "uco-types:Hash"},
                                      {"uco-types:hashMethod", method},
                                      {"uco-types:hashValue", hv}});
                } else {
                    similarity.push_back({{"@id", g.id("similarity-hash", n + "/" + alg)},
                                          {"@type", "triage:SimilarityHash"},
                                          {"triage:algorithm", alg},
                                          {"triage:value", val}});
                }
                h_more = hs.step();
            }
            if (!hashes.empty() || !similarity.empty()) {
                ordered_json cd = {{"@id", g.id("content-data-facet", n)}, {"@type", "uco-observable:ContentDataFacet"}};
                if (!sensitive && !s.col_null(13)) cd["uco-observable:mimeType"] = s.col_text(13);
                if (!s.col_null(4)) cd["uco-observable:sizeInBytes"] = s.col_int(4);
                if (!hashes.empty()) cd["uco-observable:hash"] = hashes;
                if (!similarity.empty()) cd["triage:similarityHash"] = similarity;
                facets.push_back(cd);
            }
            ordered_json file = {{"@id", node}, {"@type", "uco-observable:File"}, {"uco-core:hasFacet", facets}};
            if (sensitive) file["triage:sensitive"] = true;
            g.node(file);
        }
    }
    for (const auto& e : evidence) {
        ordered_json objs = results.count(e.id) ? results[e.id] : ordered_json::array();
        g.node({{"@id", e.prov_out},
                {"@type", "case-investigation:ProvenanceRecord"},
                {"uco-core:description", "Files listed and hashed from evidence item " + std::to_string(e.id)},
                {"case-investigation:exhibitNumber", e.exhibit},
                {"uco-core:object", objs}});
    }

    // Findings as annotations on their file (findings on unallocated space on their evidence item).
    std::vector<std::string> annotation_ids;
    {
        auto s = db.prepare("SELECT finding_id, file_id, evidence_id, detector, detector_version, kind, rule, "
                            "category FROM findings fi WHERE " +
                            exp::visible_findings_where(shape) + " ORDER BY finding_id");
        while (s.step()) {
            const std::string n = std::to_string(s.col_int(0));
            std::string statement = s.col_text(5) + " finding by " + s.col_text(3) + " " + s.col_text(4);
            if (!s.col_null(6)) statement += ": " + s.col_text(6);
            if (!s.col_null(7)) statement += " (category " + s.col_text(7) + ")";
            const std::string target = s.col_null(1) ? g.id("evidence", std::to_string(s.col_int(2)))
                                                     : g.id("file", std::to_string(s.col_int(1)));
            ordered_json tags = ordered_json::array({s.col_text(5)});
            if (!s.col_null(6)) tags.push_back(s.col_text(6));
            annotation_ids.push_back(g.id("annotation", n));
            g.node({{"@id", annotation_ids.back()},
                    {"@type", "uco-core:Annotation"},
                    {"uco-core:statement", statement},
                    {"uco-core:tag", tags},
                    {"uco-core:object", ordered_json::array({ref(target)})}});
        }
    }

    ordered_json inv = {{"@id", g.id("investigation", "case")},
                        {"@type", "case-investigation:Investigation"},
                        {"uco-core:name", ci.case_number.empty() ? std::string("(no case number)") : ci.case_number},
                        {"case-investigation:focus", "Digital evidence triage"}};
    ordered_json objs = ordered_json::array({ref(tool_id), ref(examiner_id)});
    for (const auto& e : evidence) {
        objs.push_back(ref(e.action));
        objs.push_back(ref(e.prov_in));
        objs.push_back(ref(e.prov_out));
    }
    for (const auto& a : annotation_ids) objs.push_back(ref(a));
    inv["uco-core:object"] = objs;
    g.node(inv);
    g.end();
    return path;
}

}  // namespace triage::report
