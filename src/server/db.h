// A small, strict SQLite layer for the control plane's embedded store.
//
// - Every statement is prepared with placeholders and values are bound; there is no API that
//   splices text into SQL (exec() takes only compile-time constant SQL for the migrations).
// - One connection per Db, serialised by its mutex (SQLite's own locking coordinates other
//   processes, e.g. `dss server user add` beside a running server; busy_timeout waits).
// - WAL journal, foreign keys on, synchronous=FULL: a committed change survives power loss.
// - Schema migrations are numbered and recorded in `schema_version`; a database newer than
//   this binary is refused rather than misread.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

struct sqlite3;
struct sqlite3_stmt;

namespace dss::server {

class Db;

// A prepared statement, reset when it goes out of scope. Columns are 0-based, binds 1-based.
class Row {
 public:
  [[nodiscard]] std::int64_t integer(int col) const;
  [[nodiscard]] std::string text(int col) const;
  [[nodiscard]] bool is_null(int col) const;

 private:
  friend class Query;
  explicit Row(sqlite3_stmt* stmt) : stmt_(stmt) {}
  sqlite3_stmt* stmt_;
};

class Query {
 public:
  Query(Query&& other) noexcept;
  Query& operator=(Query&&) = delete;
  Query(const Query&) = delete;
  Query& operator=(const Query&) = delete;
  ~Query();

  Query& bind(std::int64_t value);
  Query& bind(std::string_view value);
  Query& bind(const char* value) { return bind(std::string_view(value)); }
  Query& bind_null();
  Query& bind_optional(const std::optional<std::int64_t>& value);

  // Runs a statement that returns no rows (or ignores them); the number of rows changed.
  Result<std::int64_t> run();
  // Steps once: a Row when there is one, nullopt at the end.
  Result<std::optional<Row>> next();
  // Every row, mapped.
  template <typename F>
  auto all(F&& map) -> Result<std::vector<decltype(map(std::declval<const Row&>()))>> {
    std::vector<decltype(map(std::declval<const Row&>()))> out;
    for (;;) {
      DSS_TRY(auto row, next());
      if (!row) return out;
      out.push_back(map(*row));
    }
  }

 private:
  friend class Db;
  Query(Db& db, sqlite3_stmt* stmt, std::string sql);
  std::unique_lock<std::recursive_mutex> lock_;  // held while the statement is in use
  Db* db_;
  std::string sql_;
  sqlite3_stmt* stmt_;
  int next_bind_ = 1;
  bool bind_failed_ = false;
};

class Db {
 public:
  struct Migration {
    int version;
    const char* sql;  // constant SQL, never built from input
  };

  // Opens (creating when allowed) the database file, applies pending migrations in one
  // transaction each. The file and its WAL are created 0600.
  static Result<std::unique_ptr<Db>> open(const std::filesystem::path& file,
                                          const std::vector<Migration>& migrations);
  ~Db();
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  // The connection's lock: hold it across a sequence of statements that must not interleave
  // with another thread's (every public method of the stores takes it).
  std::unique_lock<std::recursive_mutex> lock() { return std::unique_lock(mutex_); }

  // A prepared statement from the cache (statements are compiled once per connection).
  Result<Query> query(std::string_view sql);

  // BEGIN IMMEDIATE ... COMMIT, rolled back if `body` fails. The connection's lock is held
  // throughout, so no other thread's statement joins the transaction. Nested calls join the
  // outermost transaction (a failure anywhere rolls all of it back).
  template <typename F>
  Status transaction(F&& body) {
    auto guard = lock();
    if (depth_ > 0) {
      ++depth_;
      Status st = body();
      --depth_;
      return st;
    }
    DSS_TRY_STATUS(exec("BEGIN IMMEDIATE"));
    ++depth_;
    Status st = body();
    --depth_;
    if (!st) {
      ignore_error(exec("ROLLBACK"));  // the error that matters is body's
      return st;
    }
    return exec("COMMIT");
  }

  // Runs `body` (its own statements, outside any transaction) with commits that reach the WAL
  // but are not fsync'd (synchronous=NORMAL): safe against a process crash, and the database
  // stays consistent after a power loss, but the last such commits may be lost then. Only for
  // data that the next report replaces anyway (device check-ins); the next FULL commit makes
  // everything before it durable. Every other write stays synchronous=FULL.
  template <typename F>
  Status without_fsync(F&& body) {
    auto guard = lock();
    if (depth_ > 0) return body();  // inside a transaction: the transaction's durability wins
    DSS_TRY_STATUS(exec("PRAGMA synchronous=NORMAL"));
    Status st = body();
    const Status back = exec("PRAGMA synchronous=FULL");
    if (!st) return st;
    return back;
  }

  [[nodiscard]] int schema_version() const { return schema_version_; }
  // Writes a consistent copy of the live database (SQLite's online backup API) to `target`,
  // atomically (a temporary file renamed into place), 0600.
  Status backup_to(const std::filesystem::path& target);
  // PRAGMA integrity_check; kMalformed with SQLite's first complaint when it is not "ok".
  Status integrity_check();

  Status exec(const char* constant_sql);
  Error sqlite_error(std::string_view what) const;

 private:
  friend class Query;
  Db() = default;
  Status migrate(const std::vector<Migration>& migrations);
  void release(const std::string& sql, sqlite3_stmt* stmt);

  sqlite3* db_ = nullptr;
  std::filesystem::path file_;
  std::recursive_mutex mutex_;
  std::map<std::string, std::vector<sqlite3_stmt*>, std::less<>> idle_;
  int schema_version_ = 0;
  int depth_ = 0;  // transaction nesting, under mutex_
};

// Reads the schema version of a database file without migrating it (for restore checks).
Result<int> read_schema_version(const std::filesystem::path& file);

}  // namespace dss::server
