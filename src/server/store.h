// The control plane's storage, behind narrow interfaces: one per concern, each a handful of
// task-shaped operations, so a second backend (PostgreSQL, next) implements the same few
// methods. SqliteStore (sqlite_store.h) is the embedded default. Every implementation uses
// parameterized statements only. Times are Unix milliseconds, UTC. Secrets never reach a
// store: passwords and tokens arrive hashed; TOTP seeds arrive sealed (see secret_box.h).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace dss::server {

struct UserRecord {
  std::int64_t id = 0;
  std::string name;
  std::string job;                 // the role the person's job calls for (the recommended profile)
  std::vector<std::string> roles;  // the roles granted, sorted
  std::string password_hash;       // Argon2id PHC string
  bool disabled = false;
  bool mfa_opt_out = false;  // only honoured for unprivileged roles while the setting allows
  std::int64_t created_ms = 0;
};

struct FactorRecord {
  std::int64_t id = 0;
  std::int64_t user_id = 0;
  std::string kind;  // "totp"; "webauthn" next
  std::string label;
  std::string sealed_secret;  // TOTP seed sealed with the server's secret key
  bool confirmed = false;
  std::int64_t last_used_step = -1;  // TOTP replay defence: the last accepted time step
  std::int64_t created_ms = 0;
};

// Where a session stands in sign-in. Text only where it is stored or shown.
enum class SessionState : std::uint8_t {
  kMfaEnrolment,  // password accepted; the account must enrol a second factor first
  kMfa,           // password accepted; the second factor is still to be confirmed
  kActive,        // fully signed in
};
// "mfa_enrolment", "mfa", "active": the stored and shown form.
constexpr std::string_view session_state_name(SessionState state) {
  switch (state) {
    case SessionState::kMfaEnrolment:
      return "mfa_enrolment";
    case SessionState::kMfa:
      return "mfa";
    case SessionState::kActive:
      return "active";
  }
  return "mfa_enrolment";  // a value outside the enum: the state that grants least
}
// The state `text` names exactly (as session_state_name writes it); nullopt for anything else.
constexpr std::optional<SessionState> parse_session_state(std::string_view text) {
  for (const SessionState s :
       {SessionState::kMfaEnrolment, SessionState::kMfa, SessionState::kActive}) {
    if (text == session_state_name(s)) return s;
  }
  return std::nullopt;
}

struct SessionRecord {
  std::int64_t id = 0;
  std::int64_t user_id = 0;
  SessionState state = SessionState::kMfaEnrolment;
  std::int64_t created_ms = 0;
  std::int64_t last_seen_ms = 0;
  std::int64_t reauth_ms = 0;  // last password+second-factor confirmation
  std::string source;
  std::string user_agent;
};

struct ApiTokenRecord {
  std::int64_t id = 0;
  std::int64_t user_id = 0;
  std::string name;
  std::vector<std::string> roles;
  std::int64_t created_ms = 0;
  std::int64_t expires_ms = 0;
  std::optional<std::int64_t> revoked_ms;
  std::optional<std::int64_t> last_used_ms;
};

// Per advisory: devices that ever reported it, and those that stopped (updated past it).
struct AdvisoryExposure {
  std::string advisory_id;
  std::size_t affected = 0;
  std::size_t fixed = 0;
};

struct DeviceRecord {
  std::string id;
  std::string name;
  std::string public_key;  // base64 of the raw Ed25519 key
  std::int64_t enrolled_ms = 0;
  std::optional<std::int64_t> last_checkin_ms;
  std::string installed_version;
  std::string channel;
  std::int64_t policy_version = 0;
  std::string loosened_json = "[]";  // setting keys
  std::string domain_json = "[]";    // [{"id","ok","detail"}]
  bool domain_failed = false;
  std::string last_result = "none";
  std::string last_result_version;
  std::string last_result_detail;
  std::string advisories_json = "[]";
  // The release transparency checkpoint the device kept, as the server judged it (witness.h).
  std::string log_status = "none";  // witness_status_name()
  std::int64_t log_size = 0;
  std::string log_root;        // hex; empty when the checkpoint did not open
  std::string log_checkpoint;  // the signed note, kept as evidence
  std::string log_detail;
  // The install the device reports as interrupted after the switch (ADR 0038); count 0: none.
  std::string interrupted_version;
  std::int64_t interrupted_count = 0;
};

class UserStore {
 public:
  virtual ~UserStore() = default;
  virtual Result<std::int64_t> create_user(const UserRecord& user) = 0;  // kAlreadyExists
  virtual Result<std::optional<UserRecord>> find_user(std::string_view name) = 0;
  virtual Result<std::optional<UserRecord>> user_by_id(std::int64_t id) = 0;
  virtual Result<std::vector<UserRecord>> list_users() = 0;
  virtual Result<std::int64_t> count_users() = 0;
  virtual Status set_password_hash(std::int64_t user_id, std::string_view hash) = 0;
  virtual Status set_disabled(std::int64_t user_id, bool disabled) = 0;
  virtual Status set_roles(std::int64_t user_id, const std::vector<std::string>& roles) = 0;
};

class FactorStore {
 public:
  virtual ~FactorStore() = default;
  virtual Result<std::vector<FactorRecord>> factors(std::int64_t user_id) = 0;
  virtual Result<std::int64_t> add_factor(const FactorRecord& factor) = 0;
  virtual Status confirm_factor(std::int64_t factor_id) = 0;
  // Compare-and-set: records `step` only if it is above the stored one. false: a replay.
  virtual Result<bool> advance_totp_step(std::int64_t factor_id, std::int64_t step) = 0;
  // Removes every factor and recovery code of the user (MFA reset by an administrator).
  virtual Status remove_factors(std::int64_t user_id) = 0;
  virtual Status remove_unconfirmed_factors(std::int64_t user_id) = 0;
  virtual Status set_recovery_hashes(std::int64_t user_id, const std::vector<std::string>& h) = 0;
  // Hashes of unused codes; a used slot is an empty string.
  virtual Result<std::vector<std::string>> recovery_hashes(std::int64_t user_id) = 0;
  // Compare-and-set on one slot; false if it was already used.
  virtual Result<bool> use_recovery_code(std::int64_t user_id, std::size_t slot,
                                         std::int64_t now_ms) = 0;
};

class SessionStore {
 public:
  virtual ~SessionStore() = default;
  virtual Result<std::int64_t> create_session(std::string_view token_hash,
                                              const SessionRecord& s) = 0;
  virtual Result<std::optional<SessionRecord>> session_by_token(std::string_view token_hash) = 0;
  virtual Status touch_session(std::int64_t id, std::int64_t now_ms) = 0;
  virtual Status set_session_state(std::int64_t id, SessionState state) = 0;
  virtual Status set_reauth(std::int64_t id, std::int64_t now_ms) = 0;
  virtual Result<std::vector<SessionRecord>> sessions_of(std::int64_t user_id) = 0;
  // Ends the session (only if it belongs to user_id); false when there was none to end.
  virtual Result<bool> end_session(std::int64_t id, std::int64_t user_id, std::string_view why,
                                   std::int64_t now_ms) = 0;
  virtual Status end_sessions_of(std::int64_t user_id, std::string_view why,
                                 std::int64_t now_ms) = 0;
};

class ApiTokenStore {
 public:
  virtual ~ApiTokenStore() = default;
  virtual Result<std::int64_t> create_token(std::string_view token_hash,
                                            const ApiTokenRecord& t) = 0;
  virtual Result<std::optional<ApiTokenRecord>> token_by_hash(std::string_view token_hash) = 0;
  virtual Result<std::vector<ApiTokenRecord>> tokens(std::optional<std::int64_t> user_id) = 0;
  virtual Result<bool> revoke_token(std::int64_t id, std::int64_t now_ms) = 0;
  virtual Status note_token_use(std::int64_t id, std::int64_t now_ms) = 0;
};

class LoginThrottleStore {
 public:
  virtual ~LoginThrottleStore() = default;
  virtual Status record_failure(std::string_view subject, std::int64_t now_ms) = 0;
  // Failures since `since_ms`, and the time of the latest.
  struct Failures {
    std::int64_t count = 0;
    std::int64_t latest_ms = 0;
  };
  virtual Result<Failures> failures_since(std::string_view subject, std::int64_t since_ms) = 0;
  virtual Status clear_failures(std::string_view subject) = 0;
  virtual Status prune_failures(std::int64_t before_ms) = 0;
};

class DeviceStore {
 public:
  virtual ~DeviceStore() = default;
  virtual Status create_enrolment_token(std::string_view token_hash, std::string_view created_by,
                                        std::int64_t now_ms, std::int64_t expires_ms) = 0;
  // Marks an unexpired unused token used and creates the device, in one transaction.
  // kUnauthenticated when the token is unknown, used or expired.
  virtual Status enrol_device(std::string_view token_hash, const DeviceRecord& device,
                              std::int64_t now_ms) = 0;
  virtual Result<std::optional<DeviceRecord>> device(std::string_view id) = 0;
  virtual Result<std::vector<DeviceRecord>> devices() = 0;
  // Stores the device's latest report, and tracks the advisories it reports (AdvisoryExposure).
  virtual Status record_checkin(const DeviceRecord& state) = 0;
  virtual Result<std::vector<AdvisoryExposure>> advisory_exposure() = 0;
  // Other devices whose kept checkpoint has `size` entries but another root: each one proves,
  // with this device's, that the log showed two histories.
  virtual Result<std::vector<DeviceRecord>> devices_with_other_log_root(
      std::int64_t size, std::string_view root_hex, std::string_view except_id) = 0;
};

class SetupStore {
 public:
  virtual ~SetupStore() = default;
  virtual Status set_setup_code(std::string_view code_hash, std::int64_t expires_ms) = 0;
  // Consumes the code if it matches, is unused and unexpired (compare-and-set).
  virtual Result<bool> consume_setup_code(std::string_view code_hash, std::int64_t now_ms) = 0;
};

// Everything the control plane stores.
class Store : public UserStore,
              public FactorStore,
              public SessionStore,
              public ApiTokenStore,
              public LoginThrottleStore,
              public DeviceStore,
              public SetupStore {
 public:
  // Runs `body` as one transaction: every store call it makes (on this thread) commits
  // together or not at all. Other threads' store calls wait meanwhile.
  virtual Status in_transaction(const std::function<Status()>& body) = 0;
  // A consistent online copy of the whole store.
  virtual Status backup_to(const std::string& target) = 0;
  [[nodiscard]] virtual int schema_version() const = 0;
};

}  // namespace dss::server
