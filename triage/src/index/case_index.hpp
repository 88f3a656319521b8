// A case folder's SQLite index: schema creation and versioning, WAL, case details and the
// append-only, hash-chained audit log.
#pragma once

#include "index/db.hpp"

#include <nlohmann/json.hpp>

#include <memory>
#include <string>

namespace triage::index {

inline constexpr int kSchemaVersion = 3;
inline constexpr const char* kIndexFile = "index.db";

class CaseIndex {
public:
    // Opens CASE_DIR/index.db. With create, makes the folder and the schema when missing;
    // without it, a missing index is an error naming the folder.
    CaseIndex(const std::string& case_dir, bool create, bool readonly = false);

    Db& db() { return *db_; }
    const std::string& case_dir() const { return dir_; }

    void set_case_details(const std::string& case_number, const std::string& examiner);
    void audit(const std::string& action, const nlohmann::json& detail);

    struct AuditCheck {
        bool ok = true;
        int64_t rows = 0;
        int64_t first_bad_seq = -1;
        std::string message;
    };
    AuditCheck check_audit();

private:
    std::string dir_;
    std::unique_ptr<Db> db_;
};

// Appends one row to the audit chain of db (in its own savepoint).
void append_audit(Db& db, const std::string& action, const nlohmann::json& detail);

// The chain hash of one audit row.
std::string audit_row_hash(const std::string& prev_hash, int64_t seq, const std::string& time,
                           const std::string& action, const std::string& detail);

}  // namespace triage::index
