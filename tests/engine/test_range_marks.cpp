// Marking an unallocated range scanned: by the range's whole UNIQUE key, so that it is one
// index lookup (SQLite's own query planner is the oracle) and leaves another kind's range that
// starts at the same offset unscanned, for a resumed scan to do.
#include "engine/scan.hpp"
#include "index/case_index.hpp"
#include "support/harness.hpp"

#include <catch2/catch.hpp>

#include <string>

namespace {

int64_t scanned(triage::index::Db& db, const std::string& kind, int64_t start) {
    auto s = db.prepare("SELECT scanned FROM unalloc_ranges WHERE kind=? AND start_offset=?");
    s.bind(1, kind).bind(2, start);
    REQUIRE(s.step());
    return s.col_int(0);
}

}  // namespace

TEST_CASE("a range is marked scanned by its whole key, one index lookup", "[engine]") {
    th::TempDir t;
    triage::index::CaseIndex idx(t / "case", true);
    auto& db = idx.db();
    db.exec("INSERT INTO evidence(evidence_id, path, segments, format, size, sector_size, fingerprint, added) "
            "VALUES (1, 'x.raw', '[]', 'raw', 1048576, 512, 'f', '2026-01-01T00:00:00Z')");
    // Two kinds at one offset (file slack whose margin reaches into a free block), and a range
    // elsewhere; many other ranges, as a real disk has, so that a full walk would show in the plan.
    db.exec("BEGIN");
    for (int i = 0; i < 500; ++i)
        db.exec("INSERT INTO unalloc_ranges(evidence_id, kind, start_offset, length) VALUES (1, 'file_slack', " +
                std::to_string(100000 + i * 4096) + ", 100)");
    db.exec("INSERT INTO unalloc_ranges(evidence_id, kind, start_offset, length) VALUES (1, 'fs_unallocated', 8192, 4096)");
    db.exec("INSERT INTO unalloc_ranges(evidence_id, kind, start_offset, length) VALUES (1, 'file_slack', 8192, 200)");
    db.exec("COMMIT");

    triage::engine::mark_range_scanned(db, 1, "", "fs_unallocated", 8192);
    CHECK(scanned(db, "fs_unallocated", 8192) == 1);
    CHECK(scanned(db, "file_slack", 8192) == 0);  // the same offset, another kind: not scanned yet
    CHECK(triage::index::query_int(db, "SELECT count(*) FROM unalloc_ranges WHERE scanned=1") == 1);
    triage::engine::mark_range_scanned(db, 1, "", "file_slack", 8192);
    CHECK(scanned(db, "file_slack", 8192) == 1);
    CHECK(triage::index::query_int(db, "SELECT count(*) FROM unalloc_ranges WHERE scanned=1") == 2);

    // The plan: a search on all four columns of the unique index, not a scan of the evidence's ranges.
    auto plan = db.prepare(std::string("EXPLAIN QUERY PLAN ") + triage::engine::kMarkRangeScannedSql);
    std::string detail;
    while (plan.step()) detail += plan.col_text(3) + "\n";
    INFO(detail);
    CHECK(detail.find("SEARCH unalloc_ranges USING INDEX") != std::string::npos);
    CHECK(detail.find("start_offset=?") != std::string::npos);
    CHECK(detail.find("SCAN") == std::string::npos);
}
