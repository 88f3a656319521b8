// Thin RAII owners for SQLite connections and prepared statements.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>

namespace triage::index {

struct DbError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

class Stmt {
public:
    Stmt() = default;
    Stmt(sqlite3* db, std::string_view sql);
    ~Stmt() { sqlite3_finalize(s_); }
    Stmt(Stmt&& o) noexcept : s_(o.s_), db_(o.db_) { o.s_ = nullptr; }
    Stmt& operator=(Stmt&& o) noexcept {
        std::swap(s_, o.s_);
        std::swap(db_, o.db_);
        return *this;
    }
    Stmt(const Stmt&) = delete;
    Stmt& operator=(const Stmt&) = delete;

    Stmt& bind(int i, int64_t v);
    Stmt& bind(int i, int v) { return bind(i, static_cast<int64_t>(v)); }
    Stmt& bind(int i, uint64_t v) { return bind(i, static_cast<int64_t>(v)); }
    Stmt& bind(int i, double v);
    Stmt& bind(int i, std::string_view v);
    Stmt& bind(int i, const char* v) { return v ? bind(i, std::string_view(v)) : bind_null(i); }
    Stmt& bind(int i, const std::string& v) { return bind(i, std::string_view(v)); }
    template <class T>
    Stmt& bind(int i, const std::optional<T>& v) {
        return v ? bind(i, *v) : bind_null(i);
    }
    Stmt& bind_null(int i);

    bool step();   // true when a row is available
    void run();    // step to completion and reset
    void reset();

    int64_t col_int(int i) const { return sqlite3_column_int64(s_, i); }
    bool col_null(int i) const { return sqlite3_column_type(s_, i) == SQLITE_NULL; }
    std::string col_text(int i) const {
        auto* p = sqlite3_column_text(s_, i);
        return p ? std::string(reinterpret_cast<const char*>(p), static_cast<size_t>(sqlite3_column_bytes(s_, i)))
                 : std::string();
    }
    std::optional<std::string> col_opt_text(int i) const {
        if (col_null(i)) return std::nullopt;
        return col_text(i);
    }
    sqlite3_stmt* raw() const { return s_; }

private:
    sqlite3_stmt* s_ = nullptr;
    sqlite3* db_ = nullptr;
};

class Db {
public:
    // Opens (creating if asked) the database at path.
    Db(const std::string& path, bool create, bool readonly = false);
    ~Db() {
        cache_.clear();
        sqlite3_close_v2(db_);
    }
    Db(const Db&) = delete;
    Db& operator=(const Db&) = delete;

    void exec(std::string_view sql);
    Stmt prepare(std::string_view sql) { return Stmt(db_, sql); }
    // A prepared statement kept for the life of the connection (hot paths).
    Stmt& cached(const std::string& sql) {
        auto it = cache_.find(sql);
        if (it == cache_.end()) it = cache_.emplace(sql, Stmt(db_, sql)).first;
        return it->second;
    }
    int64_t last_insert_id() const { return sqlite3_last_insert_rowid(db_); }
    int changes() const { return sqlite3_changes(db_); }
    sqlite3* raw() const { return db_; }
    const std::string& path() const { return path_; }

private:
    sqlite3* db_ = nullptr;
    std::string path_;
    std::unordered_map<std::string, Stmt> cache_;
};

// Runs a statement returning a single integer (or fallback when no row / NULL).
int64_t query_int(Db& db, std::string_view sql, int64_t fallback = 0);

}  // namespace triage::index
