#include "index/db.hpp"

#include <cerrno>

namespace triage::index {

namespace {

// SQLite says only "database or disk is full"; the examiner needs to know which disk and that
// nothing is lost: the failed transaction was rolled back and the same command resumes.
std::string full_disk_hint(sqlite3* db) {
    if (!db) return "";
    if ((sqlite3_errcode(db) & 0xff) != SQLITE_FULL && sqlite3_system_errno(db) != ENOSPC) return "";
    const char* file = sqlite3_db_filename(db, "main");
    return std::string(" (the disk holding the case folder is full") + (file && *file ? ": " + std::string(file) : "") +
           "; the index is consistent: free space there, then run the same command again to resume)";
}

[[noreturn]] void fail(sqlite3* db, const std::string& what) {
    throw DbError(what + ": " + (db ? sqlite3_errmsg(db) : "out of memory") + full_disk_hint(db));
}
}  // namespace

Stmt::Stmt(sqlite3* db, std::string_view sql) : db_(db) {
    if (sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &s_, nullptr) !=
        SQLITE_OK)
        fail(db, "cannot prepare SQL '" + std::string(sql.substr(0, 80)) + "'");
}

Stmt& Stmt::bind(int i, int64_t v) {
    sqlite3_bind_int64(s_, i, v);
    return *this;
}
Stmt& Stmt::bind(int i, double v) {
    sqlite3_bind_double(s_, i, v);
    return *this;
}
Stmt& Stmt::bind(int i, std::string_view v) {
    sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
}
Stmt& Stmt::bind_null(int i) {
    sqlite3_bind_null(s_, i);
    return *this;
}

bool Stmt::step() {
    int rc = sqlite3_step(s_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    std::string msg = sqlite3_errmsg(db_);
    const std::string hint = full_disk_hint(db_);
    sqlite3_reset(s_);
    throw DbError("SQLite: " + msg + " (in '" + std::string(sqlite3_sql(s_)).substr(0, 80) + "')" + hint);
}

void Stmt::run() {
    while (step()) {
    }
    reset();
}

void Stmt::reset() {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
}

Db::Db(const std::string& path, bool create, bool readonly) : path_(path) {
    int flags = readonly ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0));
    flags |= SQLITE_OPEN_NOMUTEX;
    if (sqlite3_open_v2(path.c_str(), &db_, flags, nullptr) != SQLITE_OK) {
        std::string msg = db_ ? sqlite3_errmsg(db_) : "out of memory";
        msg += full_disk_hint(db_);
        sqlite3_close_v2(db_);
        db_ = nullptr;
        throw DbError("cannot open index '" + path + "': " + msg);
    }
    sqlite3_busy_timeout(db_, 30000);
    sqlite3_extended_result_codes(db_, 1);
}

void Db::exec(std::string_view sql) {
    char* err = nullptr;
    std::string s(sql);
    if (sqlite3_exec(db_, s.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
        std::string msg = err ? err : "unknown error";
        sqlite3_free(err);
        throw DbError("SQLite error in '" + path_ + "': " + msg + full_disk_hint(db_));
    }
}

int64_t query_int(Db& db, std::string_view sql, int64_t fallback) {
    Stmt s = db.prepare(sql);
    if (s.step() && !s.col_null(0)) return s.col_int(0);
    return fallback;
}

}  // namespace triage::index
