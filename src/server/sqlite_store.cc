#include "server/sqlite_store.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

#include "server/roles.h"

namespace dss::server {

const std::vector<Db::Migration>& store_migrations() {
  static const std::vector<Db::Migration> kMigrations = {
      {1, R"sql(
CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE COLLATE NOCASE,
  job TEXT NOT NULL,
  roles TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  disabled INTEGER NOT NULL DEFAULT 0,
  mfa_opt_out INTEGER NOT NULL DEFAULT 0,
  created_ms INTEGER NOT NULL
) STRICT;
CREATE TABLE mfa_factors (
  id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  kind TEXT NOT NULL,
  label TEXT NOT NULL,
  sealed_secret TEXT NOT NULL,
  confirmed INTEGER NOT NULL DEFAULT 0,
  last_used_step INTEGER NOT NULL DEFAULT -1,
  created_ms INTEGER NOT NULL
) STRICT;
CREATE INDEX mfa_factors_user ON mfa_factors(user_id);
CREATE TABLE recovery_codes (
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  slot INTEGER NOT NULL,
  hash TEXT NOT NULL,
  used_ms INTEGER,
  PRIMARY KEY (user_id, slot)
) STRICT;
CREATE TABLE sessions (
  id INTEGER PRIMARY KEY,
  token_hash TEXT NOT NULL UNIQUE,
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  state TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  last_seen_ms INTEGER NOT NULL,
  reauth_ms INTEGER NOT NULL DEFAULT 0,
  source TEXT NOT NULL,
  user_agent TEXT NOT NULL,
  ended_ms INTEGER,
  end_reason TEXT
) STRICT;
CREATE INDEX sessions_user ON sessions(user_id);
CREATE TABLE api_tokens (
  id INTEGER PRIMARY KEY,
  token_hash TEXT NOT NULL UNIQUE,
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  roles TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  expires_ms INTEGER NOT NULL,
  revoked_ms INTEGER,
  last_used_ms INTEGER
) STRICT;
CREATE TABLE login_failures (
  id INTEGER PRIMARY KEY,
  subject TEXT NOT NULL,
  at_ms INTEGER NOT NULL
) STRICT;
CREATE INDEX login_failures_subject ON login_failures(subject, at_ms);
CREATE TABLE enrolment_tokens (
  id INTEGER PRIMARY KEY,
  token_hash TEXT NOT NULL UNIQUE,
  created_by TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  expires_ms INTEGER NOT NULL,
  used_ms INTEGER,
  device_id TEXT
) STRICT;
CREATE TABLE devices (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  public_key TEXT NOT NULL UNIQUE,
  enrolled_ms INTEGER NOT NULL,
  last_checkin_ms INTEGER,
  installed_version TEXT NOT NULL DEFAULT '',
  channel TEXT NOT NULL DEFAULT '',
  policy_version INTEGER NOT NULL DEFAULT 0,
  loosened_json TEXT NOT NULL DEFAULT '[]',
  domain_json TEXT NOT NULL DEFAULT '[]',
  domain_failed INTEGER NOT NULL DEFAULT 0,
  last_result TEXT NOT NULL DEFAULT 'none',
  last_result_version TEXT NOT NULL DEFAULT '',
  last_result_detail TEXT NOT NULL DEFAULT '',
  advisories_json TEXT NOT NULL DEFAULT '[]'
) STRICT;
CREATE TABLE setup_codes (
  id INTEGER PRIMARY KEY,
  code_hash TEXT NOT NULL,
  expires_ms INTEGER NOT NULL,
  used_ms INTEGER
) STRICT;
)sql"},
      // Which devices an advisory reached, and when each stopped reporting it (fixed).
      {2, R"sql(
CREATE TABLE device_advisories (
  device_id TEXT NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
  advisory_id TEXT NOT NULL,
  first_seen_ms INTEGER NOT NULL,
  fixed_ms INTEGER,
  fixed_version TEXT,
  PRIMARY KEY (device_id, advisory_id)
) STRICT;
)sql"},
      // The transparency checkpoint each device kept, and the server's verdict on it.
      {3, R"sql(
ALTER TABLE devices ADD COLUMN log_status TEXT NOT NULL DEFAULT 'none';
ALTER TABLE devices ADD COLUMN log_size INTEGER NOT NULL DEFAULT 0;
ALTER TABLE devices ADD COLUMN log_root TEXT NOT NULL DEFAULT '';
ALTER TABLE devices ADD COLUMN log_checkpoint TEXT NOT NULL DEFAULT '';
ALTER TABLE devices ADD COLUMN log_detail TEXT NOT NULL DEFAULT '';
CREATE INDEX devices_log ON devices (log_size, log_root);
)sql"},
      // The install each device reports as interrupted after the switch (ADR 0038).
      {4, R"sql(
ALTER TABLE devices ADD COLUMN interrupted_version TEXT NOT NULL DEFAULT '';
ALTER TABLE devices ADD COLUMN interrupted_count INTEGER NOT NULL DEFAULT 0;
)sql"},
  };
  return kMigrations;
}

namespace {

constexpr std::string_view kUserColumns =
    "id, name, job, roles, password_hash, disabled, mfa_opt_out, created_ms";

UserRecord user_from(const Row& r) {
  UserRecord u;
  u.id = r.integer(0);
  u.name = r.text(1);
  u.job = r.text(2);
  u.roles = split_roles(r.text(3));
  u.password_hash = r.text(4);
  u.disabled = r.integer(5) != 0;
  u.mfa_opt_out = r.integer(6) != 0;
  u.created_ms = r.integer(7);
  return u;
}

FactorRecord factor_from(const Row& r) {
  FactorRecord f;
  f.id = r.integer(0);
  f.user_id = r.integer(1);
  f.kind = r.text(2);
  f.label = r.text(3);
  f.sealed_secret = r.text(4);
  f.confirmed = r.integer(5) != 0;
  f.last_used_step = r.integer(6);
  f.created_ms = r.integer(7);
  return f;
}

// nullopt for a row whose state this server never writes: such a session grants nothing (it
// is treated as ended), rather than being read as some state it does not name.
std::optional<SessionRecord> session_from(const Row& r) {
  const auto state = parse_session_state(r.text(2));
  if (!state) return std::nullopt;
  SessionRecord s;
  s.id = r.integer(0);
  s.user_id = r.integer(1);
  s.state = *state;
  s.created_ms = r.integer(3);
  s.last_seen_ms = r.integer(4);
  s.reauth_ms = r.integer(5);
  s.source = r.text(6);
  s.user_agent = r.text(7);
  return s;
}

ApiTokenRecord token_from(const Row& r) {
  ApiTokenRecord t;
  t.id = r.integer(0);
  t.user_id = r.integer(1);
  t.name = r.text(2);
  t.roles = split_roles(r.text(3));
  t.created_ms = r.integer(4);
  t.expires_ms = r.integer(5);
  if (!r.is_null(6)) t.revoked_ms = r.integer(6);
  if (!r.is_null(7)) t.last_used_ms = r.integer(7);
  return t;
}

constexpr std::string_view kDeviceColumns =
    "id, name, public_key, enrolled_ms, last_checkin_ms, installed_version, channel, "
    "policy_version, loosened_json, domain_json, domain_failed, last_result, "
    "last_result_version, last_result_detail, advisories_json, log_status, log_size, log_root, "
    "log_checkpoint, log_detail, interrupted_version, interrupted_count";

DeviceRecord device_from(const Row& r) {
  DeviceRecord d;
  d.id = r.text(0);
  d.name = r.text(1);
  d.public_key = r.text(2);
  d.enrolled_ms = r.integer(3);
  if (!r.is_null(4)) d.last_checkin_ms = r.integer(4);
  d.installed_version = r.text(5);
  d.channel = r.text(6);
  d.policy_version = r.integer(7);
  d.loosened_json = r.text(8);
  d.domain_json = r.text(9);
  d.domain_failed = r.integer(10) != 0;
  d.last_result = r.text(11);
  d.last_result_version = r.text(12);
  d.last_result_detail = r.text(13);
  d.advisories_json = r.text(14);
  d.log_status = r.text(15);
  d.log_size = r.integer(16);
  d.log_root = r.text(17);
  d.log_checkpoint = r.text(18);
  d.log_detail = r.text(19);
  d.interrupted_version = r.text(20);
  d.interrupted_count = r.integer(21);
  return d;
}

template <typename T, typename F>
Result<std::optional<T>> first(Result<Query> q, F&& map) {
  if (!q) return tl::unexpected(q.error());
  DSS_TRY(auto row, q->next());
  if (!row) return std::optional<T>();
  return std::optional<T>(map(*row));
}

Status changed_one(Result<std::int64_t> changed, std::string_view what) {
  if (!changed) return tl::unexpected(changed.error());
  if (*changed == 0) return make_error(ErrorCode::kNotFound, std::string(what) + " does not exist");
  return ok();
}

}  // namespace

Result<std::unique_ptr<SqliteStore>> SqliteStore::open(const std::filesystem::path& file) {
  DSS_TRY(auto db, Db::open(file, store_migrations()));
  return std::unique_ptr<SqliteStore>(new SqliteStore(std::move(db)));
}

Status SqliteStore::backup_to(const std::string& target) { return db_->backup_to(target); }

// ---- users

Result<std::int64_t> SqliteStore::create_user(const UserRecord& u) {
  DSS_TRY(auto q, db_->query("INSERT INTO users (name, job, roles, password_hash, disabled, "
                             "mfa_opt_out, created_ms) VALUES (?, ?, ?, ?, ?, ?, ?)"));
  auto changed = q.bind(u.name)
                     .bind(u.job)
                     .bind(join_roles(u.roles))
                     .bind(u.password_hash)
                     .bind(std::int64_t{u.disabled})
                     .bind(std::int64_t{u.mfa_opt_out})
                     .bind(u.created_ms)
                     .run();
  if (!changed) {
    if (changed.error().code == ErrorCode::kAlreadyExists) {
      return make_error(ErrorCode::kAlreadyExists,
                        "an account named '" + u.name + "' already exists; choose another name");
    }
    return tl::unexpected(changed.error());
  }
  DSS_TRY(auto id, db_->query("SELECT last_insert_rowid()"));
  DSS_TRY(auto row, id.next());
  return row ? row->integer(0) : 0;
}

Result<std::optional<UserRecord>> SqliteStore::find_user(std::string_view name) {
  auto q = db_->query("SELECT " + std::string(kUserColumns) + " FROM users WHERE name = ?");
  if (q) q->bind(name);
  return first<UserRecord>(std::move(q), user_from);
}

Result<std::optional<UserRecord>> SqliteStore::user_by_id(std::int64_t id) {
  auto q = db_->query("SELECT " + std::string(kUserColumns) + " FROM users WHERE id = ?");
  if (q) q->bind(id);
  return first<UserRecord>(std::move(q), user_from);
}

Result<std::vector<UserRecord>> SqliteStore::list_users() {
  DSS_TRY(auto q, db_->query("SELECT " + std::string(kUserColumns) + " FROM users ORDER BY id"));
  return q.all(user_from);
}

Result<std::int64_t> SqliteStore::count_users() {
  DSS_TRY(auto q, db_->query("SELECT COUNT(*) FROM users"));
  DSS_TRY(auto row, q.next());
  return row ? row->integer(0) : 0;
}

Status SqliteStore::set_password_hash(std::int64_t user_id, std::string_view hash) {
  DSS_TRY(auto q, db_->query("UPDATE users SET password_hash = ? WHERE id = ?"));
  return changed_one(q.bind(hash).bind(user_id).run(), "the account");
}

Status SqliteStore::set_disabled(std::int64_t user_id, bool disabled) {
  DSS_TRY(auto q, db_->query("UPDATE users SET disabled = ? WHERE id = ?"));
  return changed_one(q.bind(std::int64_t{disabled}).bind(user_id).run(), "the account");
}

Status SqliteStore::set_roles(std::int64_t user_id, const std::vector<std::string>& roles) {
  DSS_TRY(auto q, db_->query("UPDATE users SET roles = ? WHERE id = ?"));
  return changed_one(q.bind(join_roles(roles)).bind(user_id).run(), "the account");
}

// ---- factors

Result<std::vector<FactorRecord>> SqliteStore::factors(std::int64_t user_id) {
  DSS_TRY(auto q, db_->query("SELECT id, user_id, kind, label, sealed_secret, confirmed, "
                             "last_used_step, created_ms FROM mfa_factors WHERE user_id = ? "
                             "ORDER BY id"));
  q.bind(user_id);
  return q.all(factor_from);
}

Result<std::int64_t> SqliteStore::add_factor(const FactorRecord& f) {
  auto guard = db_->lock();
  DSS_TRY(auto q,
          db_->query("INSERT INTO mfa_factors (user_id, kind, label, sealed_secret, "
                     "confirmed, last_used_step, created_ms) VALUES (?, ?, ?, ?, ?, ?, ?)"));
  DSS_TRY_STATUS(q.bind(f.user_id)
                     .bind(f.kind)
                     .bind(f.label)
                     .bind(f.sealed_secret)
                     .bind(std::int64_t{f.confirmed})
                     .bind(f.last_used_step)
                     .bind(f.created_ms)
                     .run());
  DSS_TRY(auto id, db_->query("SELECT last_insert_rowid()"));
  DSS_TRY(auto row, id.next());
  return row ? row->integer(0) : 0;
}

Status SqliteStore::confirm_factor(std::int64_t factor_id) {
  DSS_TRY(auto q, db_->query("UPDATE mfa_factors SET confirmed = 1 WHERE id = ?"));
  return changed_one(q.bind(factor_id).run(), "the factor");
}

Result<bool> SqliteStore::advance_totp_step(std::int64_t factor_id, std::int64_t step) {
  DSS_TRY(
      auto q,
      db_->query("UPDATE mfa_factors SET last_used_step = ? WHERE id = ? AND last_used_step < ?"));
  DSS_TRY(auto changed, q.bind(step).bind(factor_id).bind(step).run());
  return changed == 1;
}

Status SqliteStore::remove_factors(std::int64_t user_id) {
  return db_->transaction([&]() -> Status {
    DSS_TRY(auto a, db_->query("DELETE FROM mfa_factors WHERE user_id = ?"));
    DSS_TRY_STATUS(a.bind(user_id).run());
    DSS_TRY(auto b, db_->query("DELETE FROM recovery_codes WHERE user_id = ?"));
    DSS_TRY_STATUS(b.bind(user_id).run());
    return ok();
  });
}

Status SqliteStore::remove_unconfirmed_factors(std::int64_t user_id) {
  DSS_TRY(auto q, db_->query("DELETE FROM mfa_factors WHERE user_id = ? AND confirmed = 0"));
  DSS_TRY_STATUS(q.bind(user_id).run());
  return ok();
}

Status SqliteStore::set_recovery_hashes(std::int64_t user_id, const std::vector<std::string>& h) {
  return db_->transaction([&]() -> Status {
    DSS_TRY(auto del, db_->query("DELETE FROM recovery_codes WHERE user_id = ?"));
    DSS_TRY_STATUS(del.bind(user_id).run());
    for (std::size_t i = 0; i < h.size(); ++i) {
      DSS_TRY(auto ins,
              db_->query("INSERT INTO recovery_codes (user_id, slot, hash) VALUES (?, ?, ?)"));
      DSS_TRY_STATUS(ins.bind(user_id).bind(static_cast<std::int64_t>(i)).bind(h[i]).run());
    }
    return ok();
  });
}

Result<std::vector<std::string>> SqliteStore::recovery_hashes(std::int64_t user_id) {
  DSS_TRY(auto q, db_->query("SELECT slot, hash, used_ms FROM recovery_codes WHERE user_id = ? "
                             "ORDER BY slot"));
  q.bind(user_id);
  std::vector<std::string> out;
  for (;;) {
    DSS_TRY(auto row, q.next());
    if (!row) break;
    const auto slot = static_cast<std::size_t>(row->integer(0));
    if (out.size() <= slot) out.resize(slot + 1);
    out[slot] = row->is_null(2) ? row->text(1) : std::string();
  }
  return out;
}

Result<bool> SqliteStore::use_recovery_code(std::int64_t user_id, std::size_t slot,
                                            std::int64_t now_ms) {
  DSS_TRY(auto q, db_->query("UPDATE recovery_codes SET used_ms = ? WHERE user_id = ? AND slot = "
                             "? AND used_ms IS NULL"));
  DSS_TRY(auto changed, q.bind(now_ms).bind(user_id).bind(static_cast<std::int64_t>(slot)).run());
  return changed == 1;
}

// ---- sessions

Result<std::int64_t> SqliteStore::create_session(std::string_view token_hash,
                                                 const SessionRecord& s) {
  auto guard = db_->lock();
  DSS_TRY(auto q, db_->query("INSERT INTO sessions (token_hash, user_id, state, created_ms, "
                             "last_seen_ms, reauth_ms, source, user_agent) VALUES (?, ?, ?, ?, ?, "
                             "?, ?, ?)"));
  DSS_TRY_STATUS(q.bind(token_hash)
                     .bind(s.user_id)
                     .bind(session_state_name(s.state))
                     .bind(s.created_ms)
                     .bind(s.last_seen_ms)
                     .bind(s.reauth_ms)
                     .bind(s.source)
                     .bind(s.user_agent)
                     .run());
  DSS_TRY(auto id, db_->query("SELECT last_insert_rowid()"));
  DSS_TRY(auto row, id.next());
  return row ? row->integer(0) : 0;
}

Result<std::optional<SessionRecord>> SqliteStore::session_by_token(std::string_view token_hash) {
  auto q = db_->query(
      "SELECT id, user_id, state, created_ms, last_seen_ms, reauth_ms, source, "
      "user_agent FROM sessions WHERE token_hash = ? AND ended_ms IS NULL");
  if (q) q->bind(token_hash);
  DSS_TRY(auto found, first<std::optional<SessionRecord>>(std::move(q), session_from));
  if (!found) return std::optional<SessionRecord>();
  return std::move(*found);
}

Status SqliteStore::touch_session(std::int64_t id, std::int64_t now_ms) {
  DSS_TRY(auto q, db_->query("UPDATE sessions SET last_seen_ms = ? WHERE id = ?"));
  return changed_one(q.bind(now_ms).bind(id).run(), "the session");
}

Status SqliteStore::set_session_state(std::int64_t id, SessionState state) {
  DSS_TRY(auto q, db_->query("UPDATE sessions SET state = ? WHERE id = ?"));
  return changed_one(q.bind(session_state_name(state)).bind(id).run(), "the session");
}

Status SqliteStore::set_reauth(std::int64_t id, std::int64_t now_ms) {
  DSS_TRY(auto q, db_->query("UPDATE sessions SET reauth_ms = ? WHERE id = ?"));
  return changed_one(q.bind(now_ms).bind(id).run(), "the session");
}

Result<std::vector<SessionRecord>> SqliteStore::sessions_of(std::int64_t user_id) {
  DSS_TRY(auto q, db_->query("SELECT id, user_id, state, created_ms, last_seen_ms, reauth_ms, "
                             "source, user_agent FROM sessions WHERE user_id = ? AND ended_ms IS "
                             "NULL ORDER BY id"));
  q.bind(user_id);
  DSS_TRY(const auto rows, q.all(session_from));
  std::vector<SessionRecord> out;
  for (const auto& row : rows) {
    if (row) out.push_back(*row);
  }
  return out;
}

Result<bool> SqliteStore::end_session(std::int64_t id, std::int64_t user_id, std::string_view why,
                                      std::int64_t now_ms) {
  DSS_TRY(auto q, db_->query("UPDATE sessions SET ended_ms = ?, end_reason = ? WHERE id = ? AND "
                             "user_id = ? AND ended_ms IS NULL"));
  DSS_TRY(auto changed, q.bind(now_ms).bind(why).bind(id).bind(user_id).run());
  return changed == 1;
}

Status SqliteStore::end_sessions_of(std::int64_t user_id, std::string_view why,
                                    std::int64_t now_ms) {
  DSS_TRY(auto q, db_->query("UPDATE sessions SET ended_ms = ?, end_reason = ? WHERE user_id = ? "
                             "AND ended_ms IS NULL"));
  DSS_TRY_STATUS(q.bind(now_ms).bind(why).bind(user_id).run());
  return ok();
}

// ---- API tokens

Result<std::int64_t> SqliteStore::create_token(std::string_view token_hash,
                                               const ApiTokenRecord& t) {
  auto guard = db_->lock();
  DSS_TRY(auto q, db_->query("INSERT INTO api_tokens (token_hash, user_id, name, roles, "
                             "created_ms, expires_ms) VALUES (?, ?, ?, ?, ?, ?)"));
  DSS_TRY_STATUS(q.bind(token_hash)
                     .bind(t.user_id)
                     .bind(t.name)
                     .bind(join_roles(t.roles))
                     .bind(t.created_ms)
                     .bind(t.expires_ms)
                     .run());
  DSS_TRY(auto id, db_->query("SELECT last_insert_rowid()"));
  DSS_TRY(auto row, id.next());
  return row ? row->integer(0) : 0;
}

Result<std::optional<ApiTokenRecord>> SqliteStore::token_by_hash(std::string_view token_hash) {
  auto q = db_->query(
      "SELECT id, user_id, name, roles, created_ms, expires_ms, revoked_ms, "
      "last_used_ms FROM api_tokens WHERE token_hash = ?");
  if (q) q->bind(token_hash);
  return first<ApiTokenRecord>(std::move(q), token_from);
}

Result<std::vector<ApiTokenRecord>> SqliteStore::tokens(std::optional<std::int64_t> user_id) {
  DSS_TRY(auto q, db_->query("SELECT id, user_id, name, roles, created_ms, expires_ms, "
                             "revoked_ms, last_used_ms FROM api_tokens WHERE (? IS NULL OR "
                             "user_id = ?) ORDER BY id"));
  q.bind_optional(user_id).bind_optional(user_id);
  return q.all(token_from);
}

Result<bool> SqliteStore::revoke_token(std::int64_t id, std::int64_t now_ms) {
  DSS_TRY(auto q,
          db_->query("UPDATE api_tokens SET revoked_ms = ? WHERE id = ? AND revoked_ms IS NULL"));
  DSS_TRY(auto changed, q.bind(now_ms).bind(id).run());
  return changed == 1;
}

Status SqliteStore::note_token_use(std::int64_t id, std::int64_t now_ms) {
  DSS_TRY(auto q, db_->query("UPDATE api_tokens SET last_used_ms = ? WHERE id = ?"));
  DSS_TRY_STATUS(q.bind(now_ms).bind(id).run());
  return ok();
}

// ---- login throttling

Status SqliteStore::record_failure(std::string_view subject, std::int64_t now_ms) {
  DSS_TRY(auto q, db_->query("INSERT INTO login_failures (subject, at_ms) VALUES (?, ?)"));
  DSS_TRY_STATUS(q.bind(subject).bind(now_ms).run());
  return ok();
}

Result<LoginThrottleStore::Failures> SqliteStore::failures_since(std::string_view subject,
                                                                 std::int64_t since_ms) {
  DSS_TRY(auto q, db_->query("SELECT COUNT(*), COALESCE(MAX(at_ms), 0) FROM login_failures WHERE "
                             "subject = ? AND at_ms >= ?"));
  DSS_TRY(auto row, q.bind(subject).bind(since_ms).next());
  Failures f;
  if (row) {
    f.count = row->integer(0);
    f.latest_ms = row->integer(1);
  }
  return f;
}

Status SqliteStore::clear_failures(std::string_view subject) {
  DSS_TRY(auto q, db_->query("DELETE FROM login_failures WHERE subject = ?"));
  DSS_TRY_STATUS(q.bind(subject).run());
  return ok();
}

Status SqliteStore::prune_failures(std::int64_t before_ms) {
  DSS_TRY(auto q, db_->query("DELETE FROM login_failures WHERE at_ms < ?"));
  DSS_TRY_STATUS(q.bind(before_ms).run());
  return ok();
}

// ---- devices

Status SqliteStore::create_enrolment_token(std::string_view token_hash, std::string_view created_by,
                                           std::int64_t now_ms, std::int64_t expires_ms) {
  DSS_TRY(auto q, db_->query("INSERT INTO enrolment_tokens (token_hash, created_by, created_ms, "
                             "expires_ms) VALUES (?, ?, ?, ?)"));
  DSS_TRY_STATUS(q.bind(token_hash).bind(created_by).bind(now_ms).bind(expires_ms).run());
  return ok();
}

Status SqliteStore::enrol_device(std::string_view token_hash, const DeviceRecord& d,
                                 std::int64_t now_ms) {
  return db_->transaction([&]() -> Status {
    DSS_TRY(auto use, db_->query("UPDATE enrolment_tokens SET used_ms = ?, device_id = ? WHERE "
                                 "token_hash = ? AND used_ms IS NULL AND expires_ms > ?"));
    DSS_TRY(auto changed, use.bind(now_ms).bind(d.id).bind(token_hash).bind(now_ms).run());
    if (changed != 1) {
      return make_error(ErrorCode::kUnauthenticated,
                        "the enrolment token is unknown, already used or expired; ask an "
                        "operator for a new one");
    }
    DSS_TRY(auto ins, db_->query("INSERT INTO devices (id, name, public_key, enrolled_ms) VALUES "
                                 "(?, ?, ?, ?)"));
    auto st = ins.bind(d.id).bind(d.name).bind(d.public_key).bind(now_ms).run();
    if (!st) {
      if (st.error().code == ErrorCode::kAlreadyExists) {
        return make_error(ErrorCode::kAlreadyExists,
                          "this device key is already enrolled; a device enrols once");
      }
      return tl::unexpected(st.error());
    }
    return ok();
  });
}

Result<std::optional<DeviceRecord>> SqliteStore::device(std::string_view id) {
  auto q = db_->query("SELECT " + std::string(kDeviceColumns) + " FROM devices WHERE id = ?");
  if (q) q->bind(id);
  return first<DeviceRecord>(std::move(q), device_from);
}

Result<std::vector<DeviceRecord>> SqliteStore::devices() {
  DSS_TRY(auto q,
          db_->query("SELECT " + std::string(kDeviceColumns) + " FROM devices ORDER BY id"));
  return q.all(device_from);
}

Status SqliteStore::record_checkin(const DeviceRecord& d) {
  // A device's latest report: the next check-in replaces it, and the audit log holds the
  // durable record, so this commit skips the fsync (see Db::without_fsync).
  return db_->without_fsync(
      [&]() -> Status { return db_->transaction([&]() -> Status { return write_checkin(d); }); });
}

// The advisories a device reports: new ones are recorded as affecting it; recorded ones it no
// longer reports are fixed (by the version it now runs); a reappearing one is open again.
Status SqliteStore::track_advisories(const DeviceRecord& d) {
  const auto reported = nlohmann::json::parse(d.advisories_json, nullptr, false);
  std::set<std::string> now_ids;
  if (reported.is_array()) {
    for (const auto& id : reported) {
      if (id.is_string()) now_ids.insert(id.get<std::string>());
    }
  }
  const std::int64_t at = d.last_checkin_ms.value_or(0);
  for (const auto& id : now_ids) {
    DSS_TRY(auto q,
            db_->query("INSERT INTO device_advisories (device_id, advisory_id, first_seen_ms) "
                       "VALUES (?, ?, ?) ON CONFLICT (device_id, advisory_id) DO UPDATE SET "
                       "fixed_ms = NULL, fixed_version = NULL"));
    DSS_TRY_STATUS(q.bind(d.id).bind(id).bind(at).run());
  }
  DSS_TRY(auto open_q,
          db_->query("SELECT advisory_id FROM device_advisories WHERE device_id = ? AND "
                     "fixed_ms IS NULL"));
  DSS_TRY(const auto open, open_q.bind(d.id).all([](const Row& r) { return r.text(0); }));
  for (const auto& id : open) {
    if (now_ids.contains(id)) continue;
    DSS_TRY(auto q, db_->query("UPDATE device_advisories SET fixed_ms = ?, fixed_version = ? "
                               "WHERE device_id = ? AND advisory_id = ?"));
    DSS_TRY_STATUS(q.bind(at).bind(d.installed_version).bind(d.id).bind(id).run());
  }
  return ok();
}

Result<std::vector<AdvisoryExposure>> SqliteStore::advisory_exposure() {
  DSS_TRY(auto q, db_->query("SELECT advisory_id, COUNT(*), COUNT(fixed_ms) FROM device_advisories "
                             "GROUP BY advisory_id ORDER BY advisory_id"));
  return q.all([](const Row& r) {
    return AdvisoryExposure{r.text(0), static_cast<std::size_t>(r.integer(1)),
                            static_cast<std::size_t>(r.integer(2))};
  });
}

Result<std::vector<DeviceRecord>> SqliteStore::devices_with_other_log_root(
    std::int64_t size, std::string_view root_hex, std::string_view except_id) {
  DSS_TRY(auto q, db_->query("SELECT " + std::string(kDeviceColumns) +
                             " FROM devices WHERE log_size = ? AND log_root != '' AND "
                             "log_root != ? AND id != ? ORDER BY id LIMIT 10"));
  return q.bind(size).bind(root_hex).bind(except_id).all(device_from);
}

Status SqliteStore::write_checkin(const DeviceRecord& d) {
  DSS_TRY(auto q, db_->query("UPDATE devices SET last_checkin_ms = ?, installed_version = ?, "
                             "channel = ?, policy_version = ?, loosened_json = ?, domain_json = ?, "
                             "domain_failed = ?, last_result = ?, last_result_version = ?, "
                             "last_result_detail = ?, advisories_json = ?, log_status = ?, "
                             "log_size = ?, log_root = ?, log_checkpoint = ?, log_detail = ?, "
                             "interrupted_version = ?, interrupted_count = ? WHERE id = ?"));
  DSS_TRY_STATUS(changed_one(q.bind_optional(d.last_checkin_ms)
                                 .bind(d.installed_version)
                                 .bind(d.channel)
                                 .bind(d.policy_version)
                                 .bind(d.loosened_json)
                                 .bind(d.domain_json)
                                 .bind(std::int64_t{d.domain_failed})
                                 .bind(d.last_result)
                                 .bind(d.last_result_version)
                                 .bind(d.last_result_detail)
                                 .bind(d.advisories_json)
                                 .bind(d.log_status)
                                 .bind(d.log_size)
                                 .bind(d.log_root)
                                 .bind(d.log_checkpoint)
                                 .bind(d.log_detail)
                                 .bind(d.interrupted_version)
                                 .bind(d.interrupted_count)
                                 .bind(d.id)
                                 .run(),
                             "the device"));
  return track_advisories(d);
}

// ---- setup code

Status SqliteStore::set_setup_code(std::string_view code_hash, std::int64_t expires_ms) {
  return db_->transaction([&]() -> Status {
    DSS_TRY(auto del, db_->query("DELETE FROM setup_codes"));
    DSS_TRY_STATUS(del.run());
    DSS_TRY(auto ins, db_->query("INSERT INTO setup_codes (code_hash, expires_ms) VALUES (?, ?)"));
    DSS_TRY_STATUS(ins.bind(code_hash).bind(expires_ms).run());
    return ok();
  });
}

Result<bool> SqliteStore::consume_setup_code(std::string_view code_hash, std::int64_t now_ms) {
  DSS_TRY(auto q, db_->query("UPDATE setup_codes SET used_ms = ? WHERE code_hash = ? AND used_ms "
                             "IS NULL AND expires_ms > ?"));
  DSS_TRY(auto changed, q.bind(now_ms).bind(code_hash).bind(now_ms).run());
  return changed == 1;
}

}  // namespace dss::server
