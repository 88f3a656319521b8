#include "index/case_index.hpp"

#include "index/schema_sql.hpp"
#include "util/text.hpp"

#include <filesystem>

namespace fs = std::filesystem;

namespace triage::index {

namespace {
const std::string kGenesis(64, '0');
}

std::string audit_row_hash(const std::string& prev_hash, int64_t seq, const std::string& time,
                           const std::string& action, const std::string& detail) {
    std::string buf = prev_hash + "|" + std::to_string(seq) + "|" + time + "|" + action + "|" + detail;
    return util::sha256_hex(buf);
}

CaseIndex::CaseIndex(const std::string& case_dir, bool create, bool readonly) : dir_(case_dir) {
    fs::path db_path = fs::path(case_dir) / kIndexFile;
    std::error_code ec;
    if (!fs::exists(db_path, ec)) {
        if (!create) throw DbError("no triage index in '" + case_dir + "' (expected " + db_path.string() + ")");
        fs::create_directories(case_dir, ec);
        if (ec) throw DbError("cannot create case folder '" + case_dir + "': " + ec.message());
    }
    db_ = std::make_unique<Db>(db_path.string(), create, readonly);
    if (readonly) {
        int64_t v = query_int(*db_, "SELECT value FROM meta WHERE key='schema_version'", -1);
        if (v != kSchemaVersion)
            throw DbError("index '" + db_path.string() + "' has schema version " + std::to_string(v) +
                          ", this triage reads version " + std::to_string(kSchemaVersion));
        return;
    }
    db_->exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;");
    int64_t have = 0;
    {
        Stmt s = db_->prepare("SELECT count(*) FROM sqlite_master WHERE type='table' AND name='meta'");
        s.step();
        if (s.col_int(0) > 0) have = query_int(*db_, "SELECT value FROM meta WHERE key='schema_version'", 0);
    }
    if (have > kSchemaVersion)
        throw DbError("index '" + db_path.string() + "' was written by a newer triage (schema " +
                      std::to_string(have) + ")");
    if (have != 0 && have < kSchemaVersion)
        throw DbError("index '" + db_path.string() + "' has schema version " + std::to_string(have) +
                      " of an older triage; this triage writes version " + std::to_string(kSchemaVersion) +
                      ": scan into a new case folder");
    if (have == 0) {
        db_->exec("BEGIN");
        db_->exec(kSchemaSql);
        db_->prepare("INSERT OR REPLACE INTO meta(key, value) VALUES ('schema_version', ?)")
            .bind(1, static_cast<int64_t>(kSchemaVersion))
            .run();
        db_->prepare("INSERT OR IGNORE INTO case_info(id, created) VALUES (1, ?)").bind(1, util::now_iso_utc()).run();
        db_->exec("COMMIT");
    }
}

void CaseIndex::set_case_details(const std::string& case_number, const std::string& examiner) {
    if (!case_number.empty())
        db_->prepare("UPDATE case_info SET case_number = ? WHERE id = 1").bind(1, case_number).run();
    if (!examiner.empty()) db_->prepare("UPDATE case_info SET examiner = ? WHERE id = 1").bind(1, examiner).run();
}

void CaseIndex::audit(const std::string& action, const nlohmann::json& detail) { append_audit(*db_, action, detail); }

void append_audit(Db& db, const std::string& action, const nlohmann::json& detail) {
    Db* db_ = &db;
    db_->exec("SAVEPOINT audit_append");
    try {
        std::string prev = kGenesis;
        int64_t seq = 1;
        {
            Stmt s = db_->prepare("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1");
            if (s.step()) {
                seq = s.col_int(0) + 1;
                prev = s.col_text(1);
            }
        }
        std::string time = util::now_iso_utc();
        std::string d = detail.dump();
        db_->prepare("INSERT INTO audit(seq, time, action, detail, prev_hash, hash) VALUES (?,?,?,?,?,?)")
            .bind(1, seq)
            .bind(2, time)
            .bind(3, action)
            .bind(4, d)
            .bind(5, prev)
            .bind(6, audit_row_hash(prev, seq, time, action, d))
            .run();
        db_->exec("RELEASE audit_append");
    } catch (...) {
        db_->exec("ROLLBACK TO audit_append; RELEASE audit_append");
        throw;
    }
}

CaseIndex::AuditCheck CaseIndex::check_audit() {
    AuditCheck r;
    Stmt s = db_->prepare("SELECT seq, time, action, detail, prev_hash, hash FROM audit ORDER BY seq");
    std::string prev = kGenesis;
    int64_t expect_seq = 1;
    while (s.step()) {
        ++r.rows;
        int64_t seq = s.col_int(0);
        std::string why;
        if (seq != expect_seq)
            why = "sequence gap: expected " + std::to_string(expect_seq) + ", found " + std::to_string(seq);
        else if (s.col_text(4) != prev)
            why = "prev_hash does not match the previous row's hash";
        else if (audit_row_hash(prev, seq, s.col_text(1), s.col_text(2), s.col_text(3)) != s.col_text(5))
            why = "row content does not match its hash";
        if (!why.empty() && r.ok) {
            r.ok = false;
            r.first_bad_seq = seq;
            r.message = "audit row " + std::to_string(seq) + ": " + why;
        }
        prev = s.col_text(5);
        expect_seq = seq + 1;
    }
    if (r.ok) r.message = std::to_string(r.rows) + " audit rows, chain intact";
    return r;
}

}  // namespace triage::index
