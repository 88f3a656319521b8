// The index's stable interface: schema version, the documented view columns, WAL mode, and an
// index written by a newer triage refused rather than damaged.
#include "index/case_index.hpp"
#include "support/harness.hpp"

#include <catch2/catch.hpp>

namespace {
std::string columns(triage::index::Db& db, const std::string& view) {
    auto s = db.prepare("SELECT group_concat(name, ',') FROM pragma_table_info('" + view + "')");
    s.step();
    return s.col_text(0);
}
}  // namespace

TEST_CASE("views have exactly the documented columns", "[index]") {
    th::TempDir t;
    triage::index::CaseIndex idx(t / "case", true);
    auto& db = idx.db();
    CHECK(columns(db, "v_evidence") ==
          "evidence_id,path,format,size,stored_md5,stored_sha1,computed_md5,computed_sha1,computed_sha256,verification");
    CHECK(columns(db, "v_files") == "file_id,evidence_id,partition_offset,fs_type,path,name,meta_addr,allocated,meta_type,type,size,"
                                    "md5,sha1,sha256,mtime,atime,ctime,crtime,known_good,sensitive,volume");
    CHECK(columns(db, "v_errors") == "evidence_id,location,message");
    CHECK(columns(db, "v_findings") == "finding_id,file_id,evidence_id,detector,detector_version,kind,rule,category,"
                                       "severity,offset,length,detail");
    CHECK(triage::index::query_int(db, "SELECT value FROM meta WHERE key='schema_version'") == triage::index::kSchemaVersion);
    auto mode = db.prepare("PRAGMA journal_mode");
    REQUIRE(mode.step());
    CHECK(mode.col_text(0) == "wal");
}

TEST_CASE("an index from a newer triage is refused, not changed", "[index]") {
    th::TempDir t;
    {
        triage::index::CaseIndex idx(t / "case", true);
        idx.db().exec("UPDATE meta SET value='99' WHERE key='schema_version'");
    }
    CHECK_THROWS_WITH(triage::index::CaseIndex(t / "case", true), Catch::Contains("newer triage"));
    auto r = th::run(th::q(th::triage_bin()) + " scan " + th::q(th::testdata("dfvfs/ext2.raw")) + " --case " +
                     th::q(t / "case") + " --quiet");
    CHECK(r.rc != 0);
    CHECK(r.err.find("newer triage") != std::string::npos);
    CHECK(th::sql1(t / "case", "SELECT value FROM meta WHERE key='schema_version'") == "99");
}

TEST_CASE("an index of an older schema is refused with a clear message, not written into", "[index]") {
    th::TempDir t;
    {
        triage::index::CaseIndex idx(t / "case", true);
        idx.db().exec("UPDATE meta SET value='1' WHERE key='schema_version'");
    }
    CHECK_THROWS_WITH(triage::index::CaseIndex(t / "case", true), Catch::Contains("older triage"));
    CHECK(th::sql1(t / "case", "SELECT value FROM meta WHERE key='schema_version'") == "1");
}

TEST_CASE("audit chain: appended rows link to the previous hash", "[index]") {
    th::TempDir t;
    triage::index::CaseIndex idx(t / "case", true);
    idx.audit("first", {{"n", 1}});
    idx.audit("second", {{"n", 2}});
    auto s = idx.db().prepare("SELECT seq, time, action, detail, prev_hash, hash FROM audit ORDER BY seq");
    std::string prev(64, '0');
    int rows = 0;
    while (s.step()) {
        ++rows;
        CHECK(s.col_text(4) == prev);
        CHECK(s.col_text(5) == triage::index::audit_row_hash(prev, s.col_int(0), s.col_text(1), s.col_text(2), s.col_text(3)));
        prev = s.col_text(5);
    }
    CHECK(rows == 2);
    CHECK(idx.check_audit().ok);
}
