// Hash sets: every import format round-trips hashes computed by coreutils (md5sum, sha1sum,
// sha256sum) and hashdeep over content generated here; bad input is reported with file and
// line/record and counted; a failed import never damages an existing set; a scan of a DFTT
// image against the answer key's MD5s finds exactly the files the key lists.
#include "support/detector_driver.hpp"
#include "support/harness.hpp"

#include "hashset/hashset.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

namespace fs = std::filesystem;
namespace hs = triage::hashset;

namespace {

struct Hashes {
    std::string md5, sha1, sha256;
};

std::string upper(std::string s) {
    for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return s;
}

// N files of generated content under DIR/files; their hashes from the coreutils tools.
std::map<std::string, Hashes> make_files(const th::TempDir& t, int n) {
    fs::create_directories(t / "files");
    for (int i = 0; i < n; ++i) {
        std::ofstream f(t / ("files/f" + std::to_string(i) + ".bin"), std::ios::binary);
        for (int k = 0; k <= i * 37; ++k) f << "content " << i << " line " << k << "\n";
    }
    std::map<std::string, Hashes> out;
    for (const char* tool : {"md5sum", "sha1sum", "sha256sum"}) {
        auto r = th::run("cd " + th::q(t / "files") + " && " + tool + " *.bin");
        REQUIRE(r.rc == 0);
        std::istringstream in(r.out);
        std::string h, name;
        while (in >> h >> name) {
            auto& e = out[name];
            (std::string(tool) == "md5sum" ? e.md5 : std::string(tool) == "sha1sum" ? e.sha1 : e.sha256) = h;
        }
    }
    REQUIRE(out.size() == static_cast<size_t>(n));
    return out;
}

std::string T() { return th::q(th::triage_bin()); }

th::CmdResult import(const th::TempDir& t, const std::string& file, const std::string& name, const std::string& extra = "") {
    return th::run(T() + " hashset import -q --name " + name + " --kind known-bad " + extra + " " + th::q(file) +
                   " --hashsets " + th::q(t / "sets"));
}

th::CmdResult lookup(const th::TempDir& t, const std::string& hash) {
    return th::run(T() + " hashset lookup " + hash + " --hashsets " + th::q(t / "sets"));
}

nlohmann::json manifest(const th::TempDir& t, const std::string& name) {
    std::ifstream in(t / ("sets/" + name + "/manifest.json"));
    REQUIRE(in);
    return nlohmann::json::parse(in);
}

void write(const std::string& path, const std::string& text) { std::ofstream(path, std::ios::binary) << text; }

// Every hash is found by `triage hashset lookup` in set NAME with the stored value lower case.
void check_found(const th::TempDir& t, const std::string& name, const std::vector<std::string>& hashes) {
    for (const auto& h : hashes) {
        auto r = lookup(t, h);
        INFO(h << "\n" << r.out << r.err);
        CHECK(r.rc == 0);
        CHECK(r.out.find("\t" + name + "\t") != std::string::npos);
        std::string lower = h;
        for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        CHECK(r.out.find("\t" + lower + "\t") != std::string::npos);
    }
}

}  // namespace

TEST_CASE("hashset: md5sum, sha1sum, sha256sum, hashdeep and plain lists round-trip", "[hashset]") {
    th::TempDir t;
    auto files = make_files(t, 12);
    for (const char* tool : {"md5sum", "sha1sum", "sha256sum"}) {
        REQUIRE(th::run("cd " + th::q(t / "files") + " && " + tool + " *.bin > ../" + tool + ".txt").rc == 0);
        auto r = import(t, t / (std::string(tool) + ".txt"), tool);
        INFO(r.out << r.err);
        REQUIRE(r.rc == 0);
        auto m = manifest(t, tool);
        CHECK(m["format"] == tool);   // detected from content
        CHECK(m["records"] == 12);
        CHECK(m["records_skipped"] == 0);
    }
    std::vector<std::string> all;
    for (const auto& [name, h] : files) all.insert(all.end(), {h.md5, h.sha1, h.sha256});
    for (const auto& [name, h] : files) {
        check_found(t, "md5sum", {h.md5});
        check_found(t, "sha1sum", {h.sha1});
        check_found(t, "sha256sum", {h.sha256});
    }
    // The library returns the file names md5sum wrote.
    hs::Set md5set(t / "sets/md5sum");
    CHECK(md5set.count(hs::Algo::Md5) == 12);
    for (const auto& [name, h] : files) {
        auto m = md5set.find_hex(h.md5);
        REQUIRE(m);
        REQUIRE(m->meta);
        CHECK(m->meta->file_name == name);
    }

    SECTION("hashdeep") {
        REQUIRE(th::run("cd " + th::q(t / "files") + " && hashdeep -c md5,sha1,sha256 *.bin > ../known.hashdeep").rc == 0);
        auto r = import(t, t / "known.hashdeep", "hd");
        INFO(r.out << r.err);
        REQUIRE(r.rc == 0);
        CHECK(manifest(t, "hd")["format"] == "hashdeep");
        CHECK(manifest(t, "hd")["counts"]["sha1"] == 12);
        hs::Set set(t / "sets/hd");
        for (const auto& [name, h] : files) {
            for (const auto& x : {h.md5, h.sha1, h.sha256}) {
                auto m = set.find_hex(x);
                REQUIRE(m);
                CHECK(m->meta->file_name == name);
                CHECK(m->meta->size == static_cast<int64_t>(fs::file_size(t / ("files/" + name))));
            }
        }
    }
    SECTION("plain list, upper case, mixed algorithms, comments") {
        std::string text = "# exported list\n";
        for (const auto& [name, h] : files) text += upper(h.md5) + "\r\n" + h.sha256 + "\n";
        write(t / "list.txt", text);
        auto r = import(t, t / "list.txt", "plain");
        REQUIRE(r.rc == 0);
        CHECK(manifest(t, "plain")["format"] == "list");
        CHECK(manifest(t, "plain")["counts"]["md5"] == 12);
        CHECK(manifest(t, "plain")["counts"]["sha256"] == 12);
        for (const auto& [name, h] : files) check_found(t, "plain", {upper(h.md5), h.sha256});
        // Something not in any set.
        auto miss = lookup(t, std::string(32, '0'));
        CHECK(miss.rc == 1);
        CHECK(miss.out.find("not found") != std::string::npos);
    }
}

TEST_CASE("hashset: Project VIC VICS 1.x and 2.0, UK CAID, INTERPOL ICSE", "[hashset]") {
    th::TempDir t;
    auto files = make_files(t, 6);
    std::vector<Hashes> h;
    std::vector<std::string> names;
    for (const auto& [n, x] : files) {
        h.push_back(x);
        names.push_back(n);
    }

    SECTION("VICS 2.0: BOM, string booleans, upper-case hex, null category") {
        std::string j = "\xEF\xBB\xBF{\"@odata.context\":\"http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/US/$metadata#Media\",\n"
                        "\"value\":[\n";
        j += "{\"MediaID\":1,\"Category\":1,\"MD5\":\"" + upper(h[0].md5) + "\",\"SHA1\":\"" + upper(h[0].sha1) +
             "\",\"MediaSize\":\"123\",\"VictimIdentified\":\"true\",\"OffenderIdentified\":\"false\",\"Series\":\"S-1\","
             "\"MediaFiles\":[{\"MD5\":\"" + upper(h[0].md5) + "\",\"FileName\":\"" + names[0] + "\"}]},\n";
        j += "{\"MediaID\":2,\"Category\":null,\"MD5\":\"" + h[1].md5 + "\",\"SHA1\":null,\"VictimIdentified\":false},\n";
        j += "{\"MediaID\":3,\"Category\":\"4\",\"MD5\":\"" + h[2].md5 + "\",\"Tags\":[\"x\",{\"deep\":[1,2]}]}\n]}\n";
        write(t / "vics2.json", j);
        auto r = import(t, t / "vics2.json", "vics2");
        INFO(r.out << r.err);
        REQUIRE(r.rc == 0);
        CHECK(manifest(t, "vics2")["format"] == "vics");
        hs::Set set(t / "sets/vics2");
        CHECK(set.count(hs::Algo::Md5) == 3);
        CHECK(set.count(hs::Algo::Sha1) == 1);
        auto a = set.find_hex(h[0].sha1);
        REQUIRE(a);
        CHECK(a->hex == h[0].sha1);
        REQUIRE(a->meta);
        CHECK(a->meta->category == "1");
        CHECK(a->meta->abuse);
        CHECK(a->meta->series == "S-1");
        CHECK(a->meta->victim_identified == true);
        CHECK(a->meta->offender_identified == false);
        CHECK(a->meta->size == 123);
        CHECK(a->meta->file_name == names[0]);
        auto b = set.find_hex(h[1].md5);
        REQUIRE(b);
        REQUIRE(b->meta);
        CHECK(b->meta->category.empty());
        CHECK_FALSE(b->meta->abuse);
        auto c = set.find_hex(h[2].md5);
        REQUIRE(c);
        CHECK(c->meta->category == "4");
        CHECK_FALSE(c->meta->abuse);   // comparison images are not abuse material
        check_found(t, "vics2", {h[0].md5, h[0].sha1, h[1].md5, h[2].md5});
    }
    SECTION("VICS 2.0 case export (#Cases with Media inside)") {
        std::string j = "{\"@odata.context\":\"http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/US/$metadata#Cases\","
                        "\"value\":[{\"CaseID\":\"c1\",\"CaseNumber\":\"42\",\"Media\":[";
        for (size_t i = 0; i < h.size(); ++i)
            j += std::string(i ? "," : "") + "{\"MediaID\":" + std::to_string(i) + ",\"Category\":2,\"MD5\":\"" + h[i].md5 + "\"}";
        j += "]}]}";
        write(t / "cases.json", j);
        REQUIRE(import(t, t / "cases.json", "cases").rc == 0);
        hs::Set set(t / "sets/cases");
        CHECK(set.count(hs::Algo::Md5) == h.size());
        for (const auto& x : h) {
            auto m = set.find_hex(x.md5);
            REQUIRE(m);
            CHECK(m->meta->category == "2");
        }
    }
    SECTION("VICS 1.x and UK CAID (odata.metadata)") {
        std::string j = "{\"odata.metadata\":\"http://www.icmec.org/ICMEC/ProjectVic/DataModels/1.3.xml#Media\",\"value\":[";
        j += "{\"MediaID\":\"7\",\"Category\":\"3\",\"MD5\":\"" + upper(h[3].md5) + "\",\"SHA1\":\"" + h[3].sha1 + "\"}]}";
        write(t / "vics1.json", j);
        REQUIRE(import(t, t / "vics1.json", "vics1").rc == 0);
        CHECK(manifest(t, "vics1")["format"] == "vics");
        std::string caid = "{\"odata.metadata\":\"http://caid/DataModels/1.2.xml#Media\",\"value\":[";
        caid += "{\"MediaID\":1,\"Category\":\"A\",\"MD5\":\"" + h[4].md5 + "\",\"IsDistributed\":\"True\"},";
        caid += "{\"MediaID\":2,\"Category\":\"C\",\"MD5\":\"" + h[5].md5 + "\"}]}";
        write(t / "caid.json", caid);
        REQUIRE(import(t, t / "caid.json", "caid").rc == 0);
        CHECK(manifest(t, "caid")["format"] == "caid");
        hs::Set v1(t / "sets/vics1"), c(t / "sets/caid");
        CHECK(v1.find_hex(h[3].sha1)->meta->category == "3");
        CHECK(c.find_hex(h[4].md5)->meta->category == "A");
        CHECK(c.find_hex(h[4].md5)->meta->abuse);
        CHECK(c.find_hex(h[5].md5)->meta->abuse);
    }
    SECTION("INTERPOL ICSE semicolon CSV") {
        std::string csv = "MD5;SHA1;PhotoDNA;Image ID;Is distributed;Victim identified;Offender identified;Series name;"
                          "Number of submissions;File Available;Media Type;Baseline\n";
        for (size_t i = 0; i < h.size(); ++i)
            csv += upper(h[i].md5) + ";" + h[i].sha1 + ";;" + std::to_string(100 + i) + ";Yes;" + (i % 2 ? "Yes" : "No") +
                   ";No;\"Series; " + std::to_string(i) + "\";3;No;Image;" + (i == 0 ? "Yes" : "No") + "\n";
        write(t / "icse.csv", csv);
        auto r = import(t, t / "icse.csv", "icse");
        INFO(r.out << r.err);
        REQUIRE(r.rc == 0);
        CHECK(manifest(t, "icse")["format"] == "icse");
        hs::Set set(t / "sets/icse");
        for (size_t i = 0; i < h.size(); ++i) {
            auto m = set.find_hex(h[i].sha1);
            REQUIRE(m);
            CHECK(m->meta->series == "Series; " + std::to_string(i));
            CHECK(m->meta->victim_identified == (i % 2 == 1));
            CHECK(m->meta->media_id == std::to_string(100 + i));
            CHECK(m->meta->abuse);
            CHECK(m->meta->category == (i == 0 ? "baseline" : ""));
            CHECK(set.find_hex(h[i].md5));
        }
    }
}

TEST_CASE("hashset: NSRL RDS v3 SQLite and RDS 2.x NSRLFile.txt", "[hashset]") {
    th::TempDir t;
    auto files = make_files(t, 8);
    // The RDS v3 schema as FORMATS.md gives it; digests upper case, one hash in two FILE rows.
    std::string sql =
        "CREATE TABLE MFG(manufacturer_id INTEGER PRIMARY KEY, name TEXT);\n"
        "CREATE TABLE OS(operating_system_id INTEGER PRIMARY KEY, name TEXT, version TEXT, manufacturer_id INTEGER);\n"
        "CREATE TABLE PKG(package_id INTEGER PRIMARY KEY, name TEXT, version TEXT, operating_system_id INTEGER, "
        "manufacturer_id INTEGER, language TEXT, application_type TEXT);\n"
        "CREATE TABLE VERSION(version TEXT, build_set TEXT, build_date TEXT, release_date TEXT, description TEXT);\n"
        "CREATE TABLE FILE(sha256 TEXT, sha1 TEXT, md5 TEXT, crc32 TEXT, file_name TEXT, file_size INTEGER, package_id INTEGER);\n"
        "CREATE VIEW DISTINCT_HASH AS SELECT DISTINCT sha256, sha1, md5, crc32 FROM FILE;\n"
        "INSERT INTO PKG VALUES(1,'Test package','1.0',1,1,'English','Operating System');\n"
        "BEGIN;\n";
    for (const auto& [name, h] : files)
        for (int copy = 0; copy < 2; ++copy)
            sql += "INSERT INTO FILE VALUES('" + upper(h.sha256) + "','" + upper(h.sha1) + "','" + upper(h.md5) + "','00000000','" +
                   (copy ? "copy_" : "") + name + "'," + std::to_string(fs::file_size(t / ("files/" + name))) + ",1);\n";
    // More rows so the database spans several pages (the truncation test cuts it).
    for (int i = 0; i < 3000; ++i) {
        char b[65];
        std::snprintf(b, sizeof b, "%064X", i + 1);
        sql += std::string("INSERT INTO FILE VALUES('") + b + "','" + std::string(b + 24) + "','" + std::string(b + 32) +
               "','0','filler" + std::to_string(i) + ".dll',100,1);\n";
    }
    sql += "COMMIT;\n";
    write(t / "rds.sql", sql);
    REQUIRE(th::run("sqlite3 " + th::q(t / "rds.db") + " < " + th::q(t / "rds.sql")).rc == 0);

    SECTION("RDS v3 read directly") {
        auto r = th::run(T() + " hashset import --name nsrl --kind known-good " + th::q(t / "rds.db") + " --hashsets " + th::q(t / "sets"));
        INFO(r.out << r.err);
        REQUIRE(r.rc == 0);
        auto m = manifest(t, "nsrl");
        CHECK(m["format"] == "nsrl-rds3");
        CHECK(m["kind"] == "known-good");
        CHECK(m["records"] == 16 + 3000);
        CHECK(m["counts"]["sha256"] == 8 + 3000);
        CHECK(m["duplicates_folded"]["md5"] == 8);
        // The source's SHA-256 as sha256sum computes it.
        auto s = th::run("sha256sum " + th::q(t / "rds.db"));
        CHECK(m["source_sha256"] == s.out.substr(0, 64));
        hs::Set set(t / "sets/nsrl");
        for (const auto& [name, h] : files) {
            for (const auto& x : {h.md5, h.sha1, h.sha256}) {
                auto f = set.find_hex(x);
                REQUIRE(f);
                CHECK(f->hex == x);
                CHECK(f->meta->file_name == name);   // the first row wins
            }
        }
        auto list = th::run(T() + " hashset list --hashsets " + th::q(t / "sets"));
        CHECK(list.out.find("nsrl\tknown-good\tno\t3008\t3008\t3008\t0\t0\t") != std::string::npos);
        CHECK(list.out.find(s.out.substr(0, 64)) != std::string::npos);
    }
    SECTION("truncated RDS v3") {
        const auto size = fs::file_size(t / "rds.db");
        REQUIRE(size > 8192);
        fs::copy_file(t / "rds.db", t / "cut.db");
        fs::resize_file(t / "cut.db", size / 2);
        auto r = import(t, t / "cut.db", "cut");
        INFO(r.err);
        CHECK(r.rc == 1);
        CHECK(r.err.find(t / "cut.db") != std::string::npos);
        CHECK(r.err.find("truncated") != std::string::npos);
        CHECK_FALSE(fs::exists(t / "sets/cut"));
    }
    SECTION("an SQLite database that is not NSRL") {
        REQUIRE(th::run("sqlite3 " + th::q(t / "other.db") + " 'CREATE TABLE people(name TEXT); INSERT INTO people VALUES(1);'").rc == 0);
        auto r = import(t, t / "other.db", "other");
        INFO(r.err);
        CHECK(r.rc == 1);
        CHECK(r.err.find(t / "other.db") != std::string::npos);
        CHECK(r.err.find("not an NSRL RDS v3 database") != std::string::npos);
    }
    SECTION("RDS 2.x NSRLFile.txt") {
        std::string text = "\"SHA-1\",\"MD5\",\"CRC32\",\"FileName\",\"FileSize\",\"ProductCode\",\"OpSystemCode\",\"SpecialCode\"\r\n";
        for (const auto& [name, h] : files)
            text += "\"" + upper(h.sha1) + "\",\"" + upper(h.md5) + "\",\"00000000\",\"" + name + ", with \"\"comma\"\"\"," +
                    std::to_string(fs::file_size(t / ("files/" + name))) + ",1234,\"358\",\"\"\r\n";
        write(t / "NSRLFile.txt", text);
        auto r = th::run(T() + " hashset import --name rds2 --kind known-good " + th::q(t / "NSRLFile.txt") + " --hashsets " + th::q(t / "sets"));
        INFO(r.out << r.err);
        REQUIRE(r.rc == 0);
        CHECK(manifest(t, "rds2")["format"] == "nsrl-rds2");
        hs::Set set(t / "sets/rds2");
        for (const auto& [name, h] : files) {
            auto f = set.find_hex(h.md5);
            REQUIRE(f);
            CHECK(f->meta->file_name == name + ", with \"comma\"");
            CHECK(f->meta->size == static_cast<int64_t>(fs::file_size(t / ("files/" + name))));
            CHECK(set.find_hex(h.sha1));
        }
    }
}

TEST_CASE("hashset: PDQ lists and near matching", "[hashset]") {
    th::TempDir t;
    // Hashes derived from SHA-256 digests of generated files (any 256-bit values do).
    auto files = make_files(t, 4);
    std::vector<std::string> pdq;
    for (const auto& [n, h] : files) pdq.push_back(h.sha256);
    write(t / "set.pdq", pdq[0] + ",100,a.jpg\n" + pdq[1] + ",90\n" + pdq[2] + ",30,low.jpg\n");
    auto r = import(t, t / "set.pdq", "pdqset");
    INFO(r.out << r.err);
    REQUIRE(r.rc == 0);
    CHECK(manifest(t, "pdqset")["format"] == "pdq");
    CHECK(manifest(t, "pdqset")["counts"]["pdq"] == 3);
    hs::Set set(t / "sets/pdqset");
    auto flip = [](std::string hex, int bits) {
        std::array<uint8_t, 32> d{};
        REQUIRE(hs::parse_hex(hex, d.data(), 32));
        for (int i = 0; i < bits; ++i) {
            const int bit = (i * 37) % 256;   // distinct bits for i < 256
            d[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
        }
        return d;
    };
    // 20 bits away: found at distance 20; 40 bits away: not within 31.
    auto near = set.find_pdq({flip(pdq[0], 20)}, 31, 50);
    REQUIRE(near);
    CHECK(near->distance == 20);
    CHECK(near->hex == pdq[0]);
    CHECK(near->meta->file_name == "a.jpg");
    CHECK_FALSE(set.find_pdq({flip(pdq[0], 40)}, 31, 50));
    // The closest of several query hashes (the 8 rotations and flips) counts.
    auto best = set.find_pdq({flip(pdq[3], 0), flip(pdq[1], 3)}, 31, 50);
    REQUIRE(best);
    CHECK(best->hex == pdq[1]);
    CHECK(best->distance == 3);
    // Quality 30 in the set: ignored.
    CHECK_FALSE(set.find_pdq({flip(pdq[2], 0)}, 31, 50));
    auto cli = th::run(T() + " hashset lookup --pdq " + hs::to_hex(flip(pdq[0], 5).data(), 32) + " --hashsets " + th::q(t / "sets"));
    CHECK(cli.rc == 0);
    CHECK(cli.out.find("\"distance\":5") != std::string::npos);
}

TEST_CASE("hashset: bad input is reported with file and line, counted and skipped", "[hashset]") {
    th::TempDir t;
    auto files = make_files(t, 3);
    std::vector<Hashes> h;
    for (const auto& [n, x] : files) h.push_back(x);

    SECTION("non-hex and wrong-length hashes, and a line without a name, in md5sum output") {
        write(t / "bad.md5", h[0].md5 + "  a.bin\n" + "zz" + h[1].md5.substr(2) + "  b.bin\n" + h[2].md5 + "0  c.bin\n" +
                                 h[1].md5 + "\n" + h[2].md5 + "  c.bin\n");
        auto r = import(t, t / "bad.md5", "bad", "--format md5sum");
        INFO(r.out << r.err);
        REQUIRE(r.rc == 0);
        CHECK(r.err.find(t / "bad.md5" + ": line 2: md5 'zz") != std::string::npos);
        CHECK(r.err.find("not hexadecimal") != std::string::npos);
        CHECK(r.err.find(t / "bad.md5" + ": line 3: md5") != std::string::npos);
        CHECK(r.err.find("33 hex digits, not 32") != std::string::npos);
        CHECK(r.err.find(t / "bad.md5" + ": line 4: expected 'HASH  NAME'") != std::string::npos);
        CHECK(r.out.find("skipped 3") != std::string::npos);
        auto m = manifest(t, "bad");
        CHECK(m["records_skipped"] == 3);
        CHECK(m["counts"]["md5"] == 2);
        check_found(t, "bad", {h[0].md5, h[2].md5});
        CHECK(lookup(t, h[1].md5).rc == 1);
    }
    SECTION("duplicates are folded and counted") {
        write(t / "dups.txt", h[0].md5 + "\n" + upper(h[0].md5) + "\n" + h[1].md5 + "\n" + h[0].md5 + "\n" + h[1].sha1 + "\n");
        REQUIRE(import(t, t / "dups.txt", "dups").rc == 0);
        auto m = manifest(t, "dups");
        CHECK(m["counts"]["md5"] == 2);
        CHECK(m["counts"]["sha1"] == 1);
        CHECK(m["duplicates_folded"]["md5"] == 2);
        CHECK(m["records_skipped"] == 0);
    }
    SECTION("wrong column count in ICSE CSV") {
        std::string csv = "MD5;SHA1;PhotoDNA;Image ID;Is distributed;Victim identified;Offender identified;Series name;"
                          "Number of submissions;File Available;Media Type;Baseline\n" +
                          h[0].md5 + ";" + h[0].sha1 + ";;1;No;No;No;S;1;No;Image;No\n" + h[1].md5 + ";" + h[1].sha1 +
                          ";;2;No;No;No;S;1;No;Image\n" + h[2].md5 + ";" + h[2].sha1 + ";;3;No;No;No;S;1;No;Image;No\n";
        write(t / "icse.csv", csv);
        auto r = import(t, t / "icse.csv", "icse");
        INFO(r.out << r.err);
        REQUIRE(r.rc == 0);
        CHECK(r.err.find(t / "icse.csv" + ": line 3: 11 fields, the header has 12; skipped") != std::string::npos);
        CHECK(manifest(t, "icse")["records_skipped"] == 1);
        CHECK(manifest(t, "icse")["counts"]["md5"] == 2);
    }
    SECTION("a bad hash inside a VICS record keeps its good hashes") {
        std::string j = "{\"@odata.context\":\"x/2.0.xml/US/$metadata#Media\",\"value\":[{\"MediaID\":5,\"MD5\":\"" + h[0].md5 +
                        "\",\"SHA1\":\"nothex\"},{\"MediaID\":6,\"MD5\":\"12\"}]}";
        write(t / "v.json", j);
        auto r = import(t, t / "v.json", "v");
        INFO(r.err);
        REQUIRE(r.rc == 0);
        CHECK(r.err.find(t / "v.json" + ": Media record 1 (MediaID 5): sha1 'nothex' is not hexadecimal") != std::string::npos);
        CHECK(r.err.find("Media record 2 (MediaID 6): md5 '12' is 2 hex digits, not 32") != std::string::npos);
        CHECK(manifest(t, "v")["records_skipped"] == 1);
    }
    SECTION("broken JSON fails with the line, and an existing set is untouched") {
        write(t / "good.txt", h[0].md5 + "\n" + h[1].md5 + "\n");
        REQUIRE(import(t, t / "good.txt", "keep").rc == 0);
        const auto before = manifest(t, "keep");
        std::string j = "{\"@odata.context\":\"x/2.0.xml/US/$metadata#Media\",\n\"value\":[\n{\"MD5\":\"" + h[2].md5 +
                        "\"},\n{\"MD5\": \"" + h[2].sha1.substr(0, 32) + "\" \"Category\":1}\n]}";
        write(t / "broken.json", j);
        auto r = import(t, t / "broken.json", "keep", "--replace");
        INFO(r.err);
        CHECK(r.rc == 1);
        CHECK(r.err.find(t / "broken.json" + ": broken JSON") != std::string::npos);
        CHECK(r.err.find("line 4") != std::string::npos);
        CHECK(manifest(t, "keep") == before);
        check_found(t, "keep", {h[0].md5, h[1].md5});
        CHECK(lookup(t, h[2].md5).rc == 1);
        // No staging folder is left behind.
        for (const auto& e : fs::directory_iterator(t / "sets")) CHECK(e.path().filename().string()[0] != '.');
        // Without --replace an existing set is refused; with it a good import replaces it.
        CHECK(import(t, t / "good.txt", "keep").rc == 2);
        write(t / "new.txt", h[2].md5 + "\n");
        REQUIRE(import(t, t / "new.txt", "keep", "--replace").rc == 0);
        CHECK(lookup(t, h[2].md5).rc == 0);
        CHECK(lookup(t, h[0].md5).rc == 1);
        // remove
        CHECK(th::run(T() + " hashset remove keep --hashsets " + th::q(t / "sets")).rc == 0);
        CHECK_FALSE(fs::exists(t / "sets/keep"));
        CHECK(th::run(T() + " hashset remove keep --hashsets " + th::q(t / "sets")).rc == 1);
    }
    SECTION("content that is no known format") {
        write(t / "what.txt", "hello world\n");
        auto r = import(t, t / "what.txt", "what");
        CHECK(r.rc == 1);
        CHECK(r.err.find(t / "what.txt" + ": cannot tell the format") != std::string::npos);
    }
}

TEST_CASE("hashset: a DFTT image against a set of its answer key's MD5s", "[hashset]") {
    // DFTT #8 (JPEG search, NTFS): the key in index.html lists each file's path and MD5. Rows
    // numbered 1-13 are files in the file system; unnumbered rows are pictures inside archives.
    const std::string image = th::testdata("dftt/8-jpeg-search/8-jpeg-search.dd");
    std::ifstream in(th::testdata("dftt/8-jpeg-search/index.html"));
    std::stringstream ss;
    ss << in.rdbuf();
    const std::string html = ss.str();
    std::map<std::string, std::string> key;   // path as triage writes it -> md5
    std::regex row(R"(<tr>\s*<td>\s*(\d+)\s*</td>\s*<td><tt>([^<]+)</tt>[^<]*</td>\s*<td><tt>\s*([0-9a-f]{32})\s*</tt>)");
    for (auto it = std::sregex_iterator(html.begin(), html.end(), row); it != std::sregex_iterator(); ++it) {
        std::string path = "/" + (*it)[2].str();
        for (auto& c : path)
            if (c == '\\') c = '/';
        key[path] = (*it)[3].str();
    }
    REQUIRE(key.size() == 13);
    th::TempDir t;
    std::string list;
    for (const auto& [p, md5] : key) list += md5 + "\n";
    write(t / "key.txt", list);
    REQUIRE(import(t, t / "key.txt", "dftt8").rc == 0);
    const std::string c = t / "case";
    REQUIRE(th::scan({image}, c, "--hashsets " + th::q(t / "sets")) == 0);
    std::map<std::string, std::string> found;
    auto rows = th::sql1(c, "SELECT group_concat(v.path || '=' || v.md5, '\n') FROM v_findings f JOIN v_files v "
                            "ON v.file_id = f.file_id WHERE f.kind = 'hashset' AND f.rule = 'dftt8' AND v.origin = 'fs'");
    std::istringstream lines(rows);
    for (std::string l; std::getline(lines, l);) found[l.substr(0, l.find('='))] = l.substr(l.find('=') + 1);
    CHECK(found == key);
    CHECK(th::sql_int(c, "SELECT count(*) FROM v_findings f JOIN v_files v ON v.file_id = f.file_id WHERE f.kind='hashset' "
                         "AND f.severity=10 AND v.origin = 'fs'") == 13);
    // The deleted JPEGs are also carved out of the free clusters (default preset): each carved copy
    // that is whole matches the set too, under its own carved row.
    CHECK(th::sql_int(c, "SELECT count(*) FROM v_findings f JOIN v_files v ON v.file_id = f.file_id WHERE "
                         "f.kind='hashset' AND v.origin = 'carved' AND v.md5 NOT IN (SELECT md5 FROM v_files WHERE origin='fs')") == 0);
}

TEST_CASE("hashset: known-good files are marked and skipped by YARA; csam sets mark files sensitive", "[hashset]") {
    th::TempDir t;
    fs::create_directories(t / "tree");
    for (const char* n : {"os.dll", "photo.jpg", "notes.txt"})
        std::ofstream(t / (std::string("tree/") + n)) << "HSTEST-71f2 content of " << n << "\n";
    std::ofstream(t / "hstest.yar") << "rule hstest { strings: $a = \"HSTEST-71f2\" condition: $a }\n";
    const std::string img = t / "disk.img";
    REQUIRE(th::run("mke2fs -q -t ext4 -d " + th::q(t / "tree") + " -F " + th::q(img) + " 8M").rc == 0);
    REQUIRE(th::run("cd " + th::q(t / "tree") + " && md5sum os.dll > ../good.md5 && sha256sum photo.jpg > ../bad.sha256").rc == 0);
    REQUIRE(th::run(T() + " hashset import -q --name os --kind known-good " + th::q(t / "good.md5") + " --hashsets " + th::q(t / "sets")).rc == 0);
    REQUIRE(import(t, t / "bad.sha256", "cases", "--csam").rc == 0);
    const std::string c = t / "case";
    REQUIRE(th::scan({img}, c, "--hashsets " + th::q(t / "sets") + " --rules " + th::q(t / "hstest.yar")) == 0);
    auto col = [&](const std::string& name, const std::string& what) {
        return th::sql1(c, "SELECT " + what + " FROM v_files WHERE path = '/" + name + "'");
    };
    CHECK(col("os.dll", "known_good") == "1");
    CHECK(col("os.dll", "sensitive") == "0");
    CHECK(col("photo.jpg", "sensitive") == "1");
    CHECK(col("photo.jpg", "known_good") == "0");
    CHECK(col("notes.txt", "known_good") == "0");
    auto finding = [&](const std::string& name, const std::string& kind) {
        return th::sql1(c, "SELECT group_concat(f.rule || '|' || ifnull(f.category, '') || '|' || f.severity) FROM v_findings f JOIN v_files v "
                           "ON v.file_id = f.file_id WHERE f.kind = '" + kind + "' AND v.path = '/" + name + "'");
    };
    CHECK(finding("os.dll", "hashset") == "os|known-good|0");
    CHECK(finding("photo.jpg", "hashset") == "cases|known-bad|10");
    CHECK(finding("notes.txt", "hashset") == "");
    CHECK(finding("os.dll", "yara") == "");
    CHECK(finding("photo.jpg", "yara") == "hstest||0");
    CHECK(finding("notes.txt", "yara") == "hstest||0");
}

extern "C" const triage_plugin* triage_builtin_hashset_entry(uint32_t host_api_version);

TEST_CASE("hashset detector: PDQ near matches over the 8 variants, quality, marks", "[hashset]") {
    th::TempDir t;
    auto files = make_files(t, 3);
    std::vector<Hashes> h;
    for (const auto& [n, x] : files) h.push_back(x);
    // Stored PDQ: h[0].sha256 (quality 90); a csam set, so a match marks the object sensitive.
    write(t / "set.pdq", h[0].sha256 + ",90,ref.jpg\n");
    REQUIRE(import(t, t / "set.pdq", "pdqbad", "--csam").rc == 0);
    write(t / "good.md5", h[1].md5 + "  os.dll\n");
    REQUIRE(th::run(T() + " hashset import -q --name good --kind known-good " + th::q(t / "good.md5") + " --hashsets " +
                    th::q(t / "sets")).rc == 0);
    std::array<uint8_t, 32> d{};
    REQUIRE(hs::parse_hex(h[0].sha256, d.data(), 32));
    auto away = [&](int bits) {
        auto x = d;
        for (int i = 0; i < bits; ++i) x[i] ^= 0x01;   // bits distinct bytes, one bit each
        return hs::to_hex(x.data(), 32);
    };
    std::string other = std::string(64, '0');
    const triage_plugin* p = triage_builtin_hashset_entry(TRIAGE_HOST_API_VERSION);
    REQUIRE(p->detector_count == 1);
    th::DetectorDriver drv(*p->detectors[0], {{"dir", t / "sets"}});

    SECTION("the 6th of 8 variants is 12 bits away: a match at distance 12, marked sensitive") {
        std::string pdq8;
        for (int i = 0; i < 8; ++i) pdq8 += (i ? "," : "") + (i == 5 ? away(12) : other);
        drv.known_hashes = {{"md5", h[2].md5}, {"pdq8", pdq8}, {"pdq_quality", "80"}};
        auto e = drv.run("x", {});
        REQUIRE(e.findings.size() == 1);
        CHECK(e.findings[0].kind == "hashset");
        CHECK(e.findings[0].rule == "pdqbad");
        auto j = nlohmann::json::parse(e.findings[0].detail);
        CHECK(j["algorithm"] == "pdq");
        CHECK(j["distance"] == 12);
        CHECK(j["hash"] == h[0].sha256);
        CHECK(j["set_kind"] == "known-bad");
        CHECK(e.marks == std::set<std::string>{"sensitive"});
    }
    SECTION("32 bits away is no match; a low-quality query is ignored") {
        drv.known_hashes = {{"pdq8", away(32)}, {"pdq_quality", "80"}};
        CHECK(drv.run("x", {}).findings.empty());
        drv.known_hashes = {{"pdq8", away(0)}, {"pdq_quality", "49"}};
        CHECK(drv.run("x", {}).findings.empty());
        drv.known_hashes = {{"pdq8", away(31)}, {"pdq_quality", "50"}};
        CHECK(drv.run("x", {}).findings.size() == 1);
    }
    SECTION("a known-good MD5 marks the object known_good, severity 0") {
        drv.known_hashes = {{"md5", h[1].md5}, {"sha1", h[1].sha1}};
        auto e = drv.run("x", {});
        REQUIRE(e.findings.size() == 1);
        CHECK(e.findings[0].rule == "good");
        CHECK(nlohmann::json::parse(e.findings[0].detail)["set_file_name"] == "os.dll");
        CHECK(e.marks == std::set<std::string>{"known_good"});
    }
}

TEST_CASE("hashset detector: no hash-set directory means no findings and a warning", "[hashset]") {
    th::TempDir t;
    const triage_plugin* p = triage_builtin_hashset_entry(TRIAGE_HOST_API_VERSION);
    th::DetectorDriver drv(*p->detectors[0], {{"dir", t / "none"}});
    drv.known_hashes = {{"md5", std::string(32, 'a')}};
    auto e = drv.run("x", {});
    CHECK(e.findings.empty());
    CHECK(e.marks.empty());
    // In a scan the warning goes into the audit log.
    fs::create_directories(t / "tree");
    std::ofstream(t / "tree/a.txt") << "a\n";
    REQUIRE(th::run("mke2fs -q -t ext4 -d " + th::q(t / "tree") + " -F " + th::q(t / "d.img") + " 8M").rc == 0);
    REQUIRE(th::scan({t / "d.img"}, t / "case", "--hashsets " + th::q(t / "none")) == 0);
    CHECK(th::sql_int(t / "case", "SELECT count(*) FROM audit WHERE action='detector warning' AND detail LIKE "
                                  "'%no hash sets loaded from%'") == 1);
    CHECK(th::sql_int(t / "case", "SELECT count(*) FROM v_findings WHERE kind='hashset'") == 0);
}
