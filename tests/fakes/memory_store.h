// The control plane's Store in memory, for tests of the request handling (App, Dispatcher,
// Authenticator) without SQLite or HTTPS. It keeps the contracts of store.h that callers rely
// on: ids from 1, kAlreadyExists for a taken name, compare-and-set where the interface says so,
// and in_transaction committing everything or nothing. `fail_next` makes the next call of a
// named operation fail, for fail-closed paths. Thread-safe (one mutex, like SQLite's one writer).
#pragma once

#include <algorithm>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "server/store.h"

namespace dss::testing {

class MemoryStore final : public server::Store {
 public:
  using UserRecord = server::UserRecord;
  using FactorRecord = server::FactorRecord;
  using SessionRecord = server::SessionRecord;
  using SessionState = server::SessionState;
  using ApiTokenRecord = server::ApiTokenRecord;
  using DeviceRecord = server::DeviceRecord;
  using AdvisoryExposure = server::AdvisoryExposure;

  // The next call of the operation named `op` (its method name) fails with kIo.
  void fail_next(std::string op) {
    const Lock lock(mutex_);
    failing_.insert(std::move(op));
  }

  // --- UserStore
  Result<std::int64_t> create_user(const UserRecord& user) override {
    const Lock lock(mutex_);
    DSS_TRY_STATUS(injected("create_user"));
    for (const auto& [id, u] : d_.users) {
      if (u.name == user.name) {
        return make_error(ErrorCode::kAlreadyExists, "the account " + user.name + " exists");
      }
    }
    UserRecord u = user;
    u.id = ++d_.next_id;
    std::sort(u.roles.begin(), u.roles.end());
    d_.users[u.id] = u;
    return u.id;
  }
  Result<std::optional<UserRecord>> find_user(std::string_view name) override {
    const Lock lock(mutex_);
    DSS_TRY_STATUS(injected("find_user"));
    for (const auto& [id, u] : d_.users) {
      if (u.name == name) return std::optional<UserRecord>(u);
    }
    return std::optional<UserRecord>();
  }
  Result<std::optional<UserRecord>> user_by_id(std::int64_t id) override {
    const Lock lock(mutex_);
    DSS_TRY_STATUS(injected("user_by_id"));
    const auto it = d_.users.find(id);
    if (it == d_.users.end()) return std::optional<UserRecord>();
    return std::optional<UserRecord>(it->second);
  }
  Result<std::vector<UserRecord>> list_users() override {
    const Lock lock(mutex_);
    std::vector<UserRecord> out;
    for (const auto& [id, u] : d_.users) out.push_back(u);
    return out;
  }
  Result<std::int64_t> count_users() override {
    const Lock lock(mutex_);
    return static_cast<std::int64_t>(d_.users.size());
  }
  Status set_password_hash(std::int64_t user_id, std::string_view hash) override {
    return with_user(user_id, [&](UserRecord& u) { u.password_hash = hash; });
  }
  Status set_disabled(std::int64_t user_id, bool disabled) override {
    return with_user(user_id, [&](UserRecord& u) { u.disabled = disabled; });
  }
  Status set_roles(std::int64_t user_id, const std::vector<std::string>& roles) override {
    return with_user(user_id, [&](UserRecord& u) {
      u.roles = roles;
      std::sort(u.roles.begin(), u.roles.end());
    });
  }

  // --- FactorStore
  Result<std::vector<FactorRecord>> factors(std::int64_t user_id) override {
    const Lock lock(mutex_);
    std::vector<FactorRecord> out;
    for (const auto& [id, f] : d_.factors) {
      if (f.user_id == user_id) out.push_back(f);
    }
    return out;
  }
  Result<std::int64_t> add_factor(const FactorRecord& factor) override {
    const Lock lock(mutex_);
    DSS_TRY_STATUS(injected("add_factor"));
    FactorRecord f = factor;
    f.id = ++d_.next_id;
    d_.factors[f.id] = f;
    return f.id;
  }
  Status confirm_factor(std::int64_t factor_id) override {
    const Lock lock(mutex_);
    const auto it = d_.factors.find(factor_id);
    if (it == d_.factors.end()) return make_error(ErrorCode::kNotFound, "no such factor");
    it->second.confirmed = true;
    return ok();
  }
  Result<bool> advance_totp_step(std::int64_t factor_id, std::int64_t step) override {
    const Lock lock(mutex_);
    const auto it = d_.factors.find(factor_id);
    if (it == d_.factors.end()) return make_error(ErrorCode::kNotFound, "no such factor");
    if (step <= it->second.last_used_step) return false;
    it->second.last_used_step = step;
    return true;
  }
  Status remove_factors(std::int64_t user_id) override {
    const Lock lock(mutex_);
    std::erase_if(d_.factors, [&](const auto& kv) { return kv.second.user_id == user_id; });
    d_.recovery.erase(user_id);
    return ok();
  }
  Status remove_unconfirmed_factors(std::int64_t user_id) override {
    const Lock lock(mutex_);
    std::erase_if(d_.factors, [&](const auto& kv) {
      return kv.second.user_id == user_id && !kv.second.confirmed;
    });
    return ok();
  }
  Status set_recovery_hashes(std::int64_t user_id, const std::vector<std::string>& h) override {
    const Lock lock(mutex_);
    d_.recovery[user_id] = h;
    return ok();
  }
  Result<std::vector<std::string>> recovery_hashes(std::int64_t user_id) override {
    const Lock lock(mutex_);
    const auto it = d_.recovery.find(user_id);
    return it == d_.recovery.end() ? std::vector<std::string>() : it->second;
  }
  Result<bool> use_recovery_code(std::int64_t user_id, std::size_t slot, std::int64_t) override {
    const Lock lock(mutex_);
    const auto it = d_.recovery.find(user_id);
    if (it == d_.recovery.end() || slot >= it->second.size() || it->second[slot].empty()) {
      return false;
    }
    it->second[slot].clear();
    return true;
  }

  // --- SessionStore
  Result<std::int64_t> create_session(std::string_view token_hash,
                                      const SessionRecord& s) override {
    const Lock lock(mutex_);
    DSS_TRY_STATUS(injected("create_session"));
    SessionRecord rec = s;
    rec.id = ++d_.next_id;
    d_.sessions[std::string(token_hash)] = rec;
    return rec.id;
  }
  Result<std::optional<SessionRecord>> session_by_token(std::string_view token_hash) override {
    const Lock lock(mutex_);
    DSS_TRY_STATUS(injected("session_by_token"));
    const auto it = d_.sessions.find(std::string(token_hash));
    if (it == d_.sessions.end()) return std::optional<SessionRecord>();
    return std::optional<SessionRecord>(it->second);
  }
  Status touch_session(std::int64_t id, std::int64_t now_ms) override {
    return with_session(id, [&](SessionRecord& s) { s.last_seen_ms = now_ms; });
  }
  Status set_session_state(std::int64_t id, SessionState state) override {
    return with_session(id, [&](SessionRecord& s) { s.state = state; });
  }
  Status set_reauth(std::int64_t id, std::int64_t now_ms) override {
    return with_session(id, [&](SessionRecord& s) { s.reauth_ms = now_ms; });
  }
  Result<std::vector<SessionRecord>> sessions_of(std::int64_t user_id) override {
    const Lock lock(mutex_);
    std::vector<SessionRecord> out;
    for (const auto& [hash, s] : d_.sessions) {
      if (s.user_id == user_id) out.push_back(s);
    }
    return out;
  }
  Result<bool> end_session(std::int64_t id, std::int64_t user_id, std::string_view,
                           std::int64_t) override {
    const Lock lock(mutex_);
    return std::erase_if(d_.sessions, [&](const auto& kv) {
             return kv.second.id == id && kv.second.user_id == user_id;
           }) > 0;
  }
  Status end_sessions_of(std::int64_t user_id, std::string_view, std::int64_t) override {
    const Lock lock(mutex_);
    std::erase_if(d_.sessions, [&](const auto& kv) { return kv.second.user_id == user_id; });
    return ok();
  }

  // --- ApiTokenStore
  Result<std::int64_t> create_token(std::string_view token_hash, const ApiTokenRecord& t) override {
    const Lock lock(mutex_);
    DSS_TRY_STATUS(injected("create_token"));
    ApiTokenRecord rec = t;
    rec.id = ++d_.next_id;
    d_.tokens[std::string(token_hash)] = rec;
    return rec.id;
  }
  Result<std::optional<ApiTokenRecord>> token_by_hash(std::string_view token_hash) override {
    const Lock lock(mutex_);
    DSS_TRY_STATUS(injected("token_by_hash"));
    const auto it = d_.tokens.find(std::string(token_hash));
    if (it == d_.tokens.end()) return std::optional<ApiTokenRecord>();
    return std::optional<ApiTokenRecord>(it->second);
  }
  Result<std::vector<ApiTokenRecord>> tokens(std::optional<std::int64_t> user_id) override {
    const Lock lock(mutex_);
    std::vector<ApiTokenRecord> out;
    for (const auto& [hash, t] : d_.tokens) {
      if (!user_id || t.user_id == *user_id) out.push_back(t);
    }
    return out;
  }
  Result<bool> revoke_token(std::int64_t id, std::int64_t now_ms) override {
    const Lock lock(mutex_);
    for (auto& [hash, t] : d_.tokens) {
      if (t.id == id && !t.revoked_ms) {
        t.revoked_ms = now_ms;
        return true;
      }
    }
    return false;
  }
  Status note_token_use(std::int64_t id, std::int64_t now_ms) override {
    const Lock lock(mutex_);
    for (auto& [hash, t] : d_.tokens) {
      if (t.id == id) t.last_used_ms = now_ms;
    }
    return ok();
  }

  // --- LoginThrottleStore
  Status record_failure(std::string_view subject, std::int64_t now_ms) override {
    const Lock lock(mutex_);
    DSS_TRY_STATUS(injected("record_failure"));
    d_.failures[std::string(subject)].push_back(now_ms);
    return ok();
  }
  Result<Failures> failures_since(std::string_view subject, std::int64_t since_ms) override {
    const Lock lock(mutex_);
    Failures f;
    const auto it = d_.failures.find(std::string(subject));
    if (it == d_.failures.end()) return f;
    for (const std::int64_t t : it->second) {
      if (t < since_ms) continue;
      ++f.count;
      f.latest_ms = std::max(f.latest_ms, t);
    }
    return f;
  }
  Status clear_failures(std::string_view subject) override {
    const Lock lock(mutex_);
    d_.failures.erase(std::string(subject));
    return ok();
  }
  Status prune_failures(std::int64_t before_ms) override {
    const Lock lock(mutex_);
    for (auto& [subject, times] : d_.failures) {
      std::erase_if(times, [&](std::int64_t t) { return t < before_ms; });
    }
    return ok();
  }

  // --- DeviceStore
  Status create_enrolment_token(std::string_view token_hash, std::string_view, std::int64_t,
                                std::int64_t expires_ms) override {
    const Lock lock(mutex_);
    d_.enrolment_tokens[std::string(token_hash)] = expires_ms;
    return ok();
  }
  Status enrol_device(std::string_view token_hash, const DeviceRecord& device,
                      std::int64_t now_ms) override {
    const Lock lock(mutex_);
    const auto it = d_.enrolment_tokens.find(std::string(token_hash));
    if (it == d_.enrolment_tokens.end() || it->second <= now_ms) {
      return make_error(ErrorCode::kUnauthenticated, "the enrolment token is unknown or used");
    }
    d_.enrolment_tokens.erase(it);
    d_.devices[device.id] = device;
    return ok();
  }
  Result<std::optional<DeviceRecord>> device(std::string_view id) override {
    const Lock lock(mutex_);
    const auto it = d_.devices.find(std::string(id));
    if (it == d_.devices.end()) return std::optional<DeviceRecord>();
    return std::optional<DeviceRecord>(it->second);
  }
  Result<std::vector<DeviceRecord>> devices() override {
    const Lock lock(mutex_);
    std::vector<DeviceRecord> out;
    for (const auto& [id, d] : d_.devices) out.push_back(d);
    return out;
  }
  Status record_checkin(const DeviceRecord& state) override {
    const Lock lock(mutex_);
    DSS_TRY_STATUS(injected("record_checkin"));
    d_.devices[state.id] = state;
    return ok();
  }
  Result<std::vector<AdvisoryExposure>> advisory_exposure() override {
    return std::vector<AdvisoryExposure>();  // not tracked here; SqliteStore's tests cover it
  }
  Result<std::vector<DeviceRecord>> devices_with_other_log_root(
      std::int64_t size, std::string_view root_hex, std::string_view except_id) override {
    const Lock lock(mutex_);
    std::vector<DeviceRecord> out;
    for (const auto& [id, d] : d_.devices) {
      if (id != except_id && d.log_size == size && !d.log_root.empty() && d.log_root != root_hex) {
        out.push_back(d);
      }
    }
    return out;
  }

  // --- SetupStore
  Status set_setup_code(std::string_view code_hash, std::int64_t expires_ms) override {
    const Lock lock(mutex_);
    d_.setup_code = std::string(code_hash);
    d_.setup_expires_ms = expires_ms;
    return ok();
  }
  Result<bool> consume_setup_code(std::string_view code_hash, std::int64_t now_ms) override {
    const Lock lock(mutex_);
    if (d_.setup_code.empty() || d_.setup_code != code_hash || d_.setup_expires_ms <= now_ms) {
      return false;
    }
    d_.setup_code.clear();
    return true;
  }

  // --- Store
  Status in_transaction(const std::function<Status()>& body) override {
    std::unique_lock<std::recursive_mutex> lock(mutex_);
    const Data before = d_;
    Status st = body();
    if (!st) d_ = before;  // all or nothing
    return st;
  }
  Status backup_to(const std::string&) override {
    return make_error(ErrorCode::kFailedPrecondition, "a memory store has no backup");
  }
  [[nodiscard]] int schema_version() const override { return 4; }

 private:
  using Lock = std::lock_guard<std::recursive_mutex>;
  struct Data {
    std::int64_t next_id = 0;
    std::map<std::int64_t, UserRecord> users;
    std::map<std::int64_t, FactorRecord> factors;
    std::map<std::int64_t, std::vector<std::string>> recovery;
    std::map<std::string, SessionRecord> sessions;  // by token hash
    std::map<std::string, ApiTokenRecord> tokens;   // by token hash
    std::map<std::string, std::vector<std::int64_t>> failures;
    std::map<std::string, std::int64_t> enrolment_tokens;  // hash -> expiry
    std::map<std::string, DeviceRecord> devices;
    std::string setup_code;
    std::int64_t setup_expires_ms = 0;
  };

  // Under the lock: the failure fail_next() asked for, once.
  Status injected(const std::string& op) {
    if (failing_.erase(op) == 0) return ok();
    return make_error(ErrorCode::kIo, "injected failure of " + op);
  }
  template <typename F>
  Status with_user(std::int64_t id, F&& change) {
    const Lock lock(mutex_);
    const auto it = d_.users.find(id);
    if (it == d_.users.end()) return make_error(ErrorCode::kNotFound, "no such account");
    change(it->second);
    return ok();
  }
  template <typename F>
  Status with_session(std::int64_t id, F&& change) {
    const Lock lock(mutex_);
    for (auto& [hash, s] : d_.sessions) {
      if (s.id == id) {
        change(s);
        return ok();
      }
    }
    return make_error(ErrorCode::kNotFound, "no such session");
  }

  std::recursive_mutex mutex_;  // in_transaction's body calls back in on the same thread
  Data d_;
  std::set<std::string> failing_;
};

}  // namespace dss::testing
