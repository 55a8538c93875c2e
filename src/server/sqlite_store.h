// The embedded store: SQLite in the state directory (<state>/server.db).
#pragma once

#include <filesystem>
#include <memory>

#include "server/db.h"
#include "server/store.h"

namespace dss::server {

inline constexpr int kSchemaVersion = 4;  // the last migration in store_migrations()

// The store's schema migrations, oldest first (exposed so a test can build an older database).
const std::vector<Db::Migration>& store_migrations();

class SqliteStore final : public Store {
 public:
  static Result<std::unique_ptr<SqliteStore>> open(const std::filesystem::path& file);

  Result<std::int64_t> create_user(const UserRecord& user) override;
  Result<std::optional<UserRecord>> find_user(std::string_view name) override;
  Result<std::optional<UserRecord>> user_by_id(std::int64_t id) override;
  Result<std::vector<UserRecord>> list_users() override;
  Result<std::int64_t> count_users() override;
  Status set_password_hash(std::int64_t user_id, std::string_view hash) override;
  Status set_disabled(std::int64_t user_id, bool disabled) override;
  Status set_roles(std::int64_t user_id, const std::vector<std::string>& roles) override;

  Result<std::vector<FactorRecord>> factors(std::int64_t user_id) override;
  Result<std::int64_t> add_factor(const FactorRecord& factor) override;
  Status confirm_factor(std::int64_t factor_id) override;
  Result<bool> advance_totp_step(std::int64_t factor_id, std::int64_t step) override;
  Status remove_factors(std::int64_t user_id) override;
  Status remove_unconfirmed_factors(std::int64_t user_id) override;
  Status set_recovery_hashes(std::int64_t user_id, const std::vector<std::string>& h) override;
  Result<std::vector<std::string>> recovery_hashes(std::int64_t user_id) override;
  Result<bool> use_recovery_code(std::int64_t user_id, std::size_t slot,
                                 std::int64_t now_ms) override;

  Result<std::int64_t> create_session(std::string_view token_hash, const SessionRecord& s) override;
  Result<std::optional<SessionRecord>> session_by_token(std::string_view token_hash) override;
  Status touch_session(std::int64_t id, std::int64_t now_ms) override;
  Status set_session_state(std::int64_t id, SessionState state) override;
  Status set_reauth(std::int64_t id, std::int64_t now_ms) override;
  Result<std::vector<SessionRecord>> sessions_of(std::int64_t user_id) override;
  Result<bool> end_session(std::int64_t id, std::int64_t user_id, std::string_view why,
                           std::int64_t now_ms) override;
  Status end_sessions_of(std::int64_t user_id, std::string_view why, std::int64_t now_ms) override;

  Result<std::int64_t> create_token(std::string_view token_hash, const ApiTokenRecord& t) override;
  Result<std::optional<ApiTokenRecord>> token_by_hash(std::string_view token_hash) override;
  Result<std::vector<ApiTokenRecord>> tokens(std::optional<std::int64_t> user_id) override;
  Result<bool> revoke_token(std::int64_t id, std::int64_t now_ms) override;
  Status note_token_use(std::int64_t id, std::int64_t now_ms) override;

  Status record_failure(std::string_view subject, std::int64_t now_ms) override;
  Result<Failures> failures_since(std::string_view subject, std::int64_t since_ms) override;
  Status clear_failures(std::string_view subject) override;
  Status prune_failures(std::int64_t before_ms) override;

  Status create_enrolment_token(std::string_view token_hash, std::string_view created_by,
                                std::int64_t now_ms, std::int64_t expires_ms) override;
  Status enrol_device(std::string_view token_hash, const DeviceRecord& device,
                      std::int64_t now_ms) override;
  Result<std::optional<DeviceRecord>> device(std::string_view id) override;
  Result<std::vector<DeviceRecord>> devices() override;
  Status record_checkin(const DeviceRecord& state) override;
  Result<std::vector<AdvisoryExposure>> advisory_exposure() override;
  Result<std::vector<DeviceRecord>> devices_with_other_log_root(
      std::int64_t size, std::string_view root_hex, std::string_view except_id) override;

  Status set_setup_code(std::string_view code_hash, std::int64_t expires_ms) override;
  Result<bool> consume_setup_code(std::string_view code_hash, std::int64_t now_ms) override;

  Status in_transaction(const std::function<Status()>& body) override {
    return db_->transaction(body);
  }
  Status backup_to(const std::string& target) override;
  [[nodiscard]] int schema_version() const override { return db_->schema_version(); }
  Db& db() { return *db_; }

 private:
  explicit SqliteStore(std::unique_ptr<Db> db) : db_(std::move(db)) {}
  Status write_checkin(const DeviceRecord& d);
  Status track_advisories(const DeviceRecord& d);
  std::unique_ptr<Db> db_;
};

}  // namespace dss::server
