#include "server/db.h"

#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

#include "platform/files.h"

namespace dss::server {

namespace {

constexpr int kBusyTimeoutMs = 5000;

Error error_of(sqlite3* db, std::string_view what) {
  const int code = db != nullptr ? sqlite3_extended_errcode(db) : SQLITE_ERROR;
  const char* msg = db != nullptr ? sqlite3_errmsg(db) : "cannot allocate a connection";
  const ErrorCode ec = (code & 0xff) == SQLITE_CORRUPT || (code & 0xff) == SQLITE_NOTADB
                           ? ErrorCode::kMalformed
                       : (code & 0xff) == SQLITE_CONSTRAINT ? ErrorCode::kAlreadyExists
                                                            : ErrorCode::kIo;
  return Error{ec, std::string(what) + ": " + msg};
}

Result<sqlite3*> open_connection(const std::filesystem::path& file, int flags) {
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(file.c_str(), &db, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    Error e = error_of(db, "cannot open the database " + file.string());
    sqlite3_close(db);
    return tl::unexpected(std::move(e));
  }
  sqlite3_busy_timeout(db, kBusyTimeoutMs);
  sqlite3_extended_result_codes(db, 1);
  return db;
}

}  // namespace

// ---- Row

std::int64_t Row::integer(int col) const { return sqlite3_column_int64(stmt_, col); }

std::string Row::text(int col) const {
  const auto* p = sqlite3_column_text(stmt_, col);
  const int n = sqlite3_column_bytes(stmt_, col);
  return p == nullptr ? std::string()
                      : std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(n));
}

bool Row::is_null(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }

// ---- Query

Query::Query(Db& db, sqlite3_stmt* stmt, std::string sql)
    : lock_(db.mutex_), db_(&db), sql_(std::move(sql)), stmt_(stmt) {}

Query::Query(Query&& other) noexcept
    : lock_(std::move(other.lock_)),
      db_(other.db_),
      sql_(std::move(other.sql_)),
      stmt_(other.stmt_),
      next_bind_(other.next_bind_),
      bind_failed_(other.bind_failed_) {
  other.stmt_ = nullptr;
}

Query::~Query() {
  if (stmt_ != nullptr) db_->release(sql_, stmt_);
}

Query& Query::bind(std::int64_t value) {
  if (sqlite3_bind_int64(stmt_, next_bind_++, value) != SQLITE_OK) bind_failed_ = true;
  return *this;
}

Query& Query::bind(std::string_view value) {
  if (sqlite3_bind_text64(stmt_, next_bind_++, value.data(), value.size(), SQLITE_TRANSIENT,
                          SQLITE_UTF8) != SQLITE_OK) {
    bind_failed_ = true;
  }
  return *this;
}

Query& Query::bind_null() {
  if (sqlite3_bind_null(stmt_, next_bind_++) != SQLITE_OK) bind_failed_ = true;
  return *this;
}

Query& Query::bind_optional(const std::optional<std::int64_t>& value) {
  return value ? bind(*value) : bind_null();
}

Result<std::optional<Row>> Query::next() {
  if (bind_failed_) return tl::unexpected(db_->sqlite_error("cannot bind a statement parameter"));
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return std::optional<Row>(Row(stmt_));
  if (rc == SQLITE_DONE) return std::optional<Row>();
  return tl::unexpected(db_->sqlite_error("a database statement failed"));
}

Result<std::int64_t> Query::run() {
  for (;;) {
    DSS_TRY(auto row, next());
    if (!row) break;
  }
  return static_cast<std::int64_t>(sqlite3_changes(db_->db_));
}

// ---- Db

Result<std::unique_ptr<Db>> Db::open(const std::filesystem::path& file,
                                     const std::vector<Migration>& migrations) {
  std::unique_ptr<Db> db(new Db());
  db->file_ = file;
  const mode_t old_mask = ::umask(077);  // the database, -wal and -shm files are private
  auto conn = open_connection(file, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  ::umask(old_mask);
  if (!conn) return tl::unexpected(conn.error());
  db->db_ = *conn;
  DSS_TRY_STATUS(db->exec("PRAGMA journal_mode=WAL"));
  DSS_TRY_STATUS(db->exec("PRAGMA synchronous=FULL"));
  DSS_TRY_STATUS(db->exec("PRAGMA foreign_keys=ON"));
  DSS_TRY_STATUS(db->exec("PRAGMA secure_delete=ON"));
  DSS_TRY_STATUS(db->exec("PRAGMA trusted_schema=OFF"));
  DSS_TRY_STATUS(db->migrate(migrations));
  return db;
}

Db::~Db() {
  for (auto& [sql, stmts] : idle_) {
    for (sqlite3_stmt* s : stmts) sqlite3_finalize(s);
  }
  if (db_ != nullptr) sqlite3_close(db_);
}

Error Db::sqlite_error(std::string_view what) const { return error_of(db_, what); }

Status Db::exec(const char* constant_sql) {
  auto guard = lock();
  char* msg = nullptr;
  if (sqlite3_exec(db_, constant_sql, nullptr, nullptr, &msg) != SQLITE_OK) {
    const std::string text = msg != nullptr ? msg : "unknown error";
    sqlite3_free(msg);
    Error e = error_of(db_, "database command failed");
    e.message += " (" + text + ")";
    return tl::unexpected(std::move(e));
  }
  return ok();
}

Result<Query> Db::query(std::string_view sql) {
  auto guard = lock();
  sqlite3_stmt* stmt = nullptr;
  if (auto it = idle_.find(sql); it != idle_.end() && !it->second.empty()) {
    stmt = it->second.back();
    it->second.pop_back();
  } else if (sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                SQLITE_PREPARE_PERSISTENT, &stmt, nullptr) != SQLITE_OK) {
    return tl::unexpected(sqlite_error("cannot prepare a database statement"));
  }
  return Query(*this, stmt, std::string(sql));
}

void Db::release(const std::string& sql, sqlite3_stmt* stmt) {
  sqlite3_reset(stmt);
  sqlite3_clear_bindings(stmt);
  idle_[sql].push_back(stmt);
}

Status Db::migrate(const std::vector<Migration>& migrations) {
  DSS_TRY_STATUS(exec(
      "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL, applied_at TEXT NOT "
      "NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ','now')))"));
  {
    DSS_TRY(auto q, query("SELECT COALESCE(MAX(version), 0) FROM schema_version"));
    DSS_TRY(auto row, q.next());
    schema_version_ = row ? static_cast<int>(row->integer(0)) : 0;
  }
  const int newest = migrations.empty() ? 0 : migrations.back().version;
  if (schema_version_ > newest) {
    return make_error(ErrorCode::kFailedPrecondition,
                      "the database " + file_.string() + " has schema version " +
                          std::to_string(schema_version_) + ", newer than this dss (" +
                          std::to_string(newest) + "); run the newer dss, or restore a backup");
  }
  for (const Migration& m : migrations) {
    if (m.version <= schema_version_) continue;
    DSS_TRY_STATUS(transaction([&]() -> Status {
      DSS_TRY_STATUS(exec(m.sql));
      DSS_TRY(auto q, query("INSERT INTO schema_version (version) VALUES (?)"));
      DSS_TRY_STATUS(q.bind(m.version).run());
      return ok();
    }));
    schema_version_ = m.version;
  }
  return ok();
}

Status Db::integrity_check() {
  DSS_TRY(auto q, query("PRAGMA integrity_check"));
  DSS_TRY(auto row, q.next());
  const std::string verdict = row ? row->text(0) : "no answer";
  if (verdict != "ok") {
    return make_error(ErrorCode::kMalformed, "the database failed its integrity check: " + verdict);
  }
  return ok();
}

Status Db::backup_to(const std::filesystem::path& target) {
  const std::filesystem::path tmp = target.string() + ".partial";
  std::error_code ec;
  std::filesystem::remove(tmp, ec);
  const mode_t old_mask = ::umask(077);
  auto dest = open_connection(tmp, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  ::umask(old_mask);
  if (!dest) return tl::unexpected(dest.error());
  Status st = ok();
  {
    auto guard = lock();
    sqlite3_backup* b = sqlite3_backup_init(*dest, "main", db_, "main");
    if (b == nullptr) {
      st = tl::unexpected(error_of(*dest, "cannot start the backup"));
    } else {
      const int rc = sqlite3_backup_step(b, -1);  // one step: a consistent snapshot
      sqlite3_backup_finish(b);
      if (rc != SQLITE_DONE) st = tl::unexpected(error_of(*dest, "the backup failed"));
    }
  }
  if (st) {
    char* msg = nullptr;
    // A self-contained file: no WAL beside it.
    if (sqlite3_exec(*dest, "PRAGMA journal_mode=DELETE", nullptr, nullptr, &msg) != SQLITE_OK) {
      st = tl::unexpected(error_of(*dest, "cannot finish the backup file"));
    }
    sqlite3_free(msg);
  }
  sqlite3_close(*dest);
  if (st) {
    if (::chmod(tmp.c_str(), 0600) != 0) st = platform::io_error("cannot set the mode of", tmp);
  }
  if (st) {
    std::filesystem::rename(tmp, target, ec);
    if (ec) st = platform::io_error("cannot move the backup into place at", target);
  }
  if (st && target.has_parent_path()) st = platform::fsync_dir(target.parent_path());
  if (!st) std::filesystem::remove(tmp, ec);
  return st;
}

Result<int> read_schema_version(const std::filesystem::path& file) {
  DSS_TRY(sqlite3 * db, open_connection(file, SQLITE_OPEN_READONLY));
  sqlite3_stmt* stmt = nullptr;
  int version = -1;
  if (sqlite3_prepare_v2(db, "SELECT COALESCE(MAX(version), 0) FROM schema_version", -1, &stmt,
                         nullptr) == SQLITE_OK &&
      sqlite3_step(stmt) == SQLITE_ROW) {
    version = sqlite3_column_int(stmt, 0);
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  if (version < 0) {
    return make_error(ErrorCode::kMalformed,
                      file.string() + " is not a dss server database (no schema version)");
  }
  return version;
}

}  // namespace dss::server
