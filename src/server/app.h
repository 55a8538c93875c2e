// The control plane's HTTP API (/api/v1), the read-only repository (/repo/), and
// /.well-known/security.txt. Transport-independent: HttpsServer hands requests here, and
// tests and the request fuzzer call handle() directly.
//
// Every answer carries the security headers (HSTS, a strict CSP, nosniff, frame-ancestors
// 'none', no-referrer) and the seat-belt chime header listing loosened settings. Every API
// request is recorded in the audit log (actor, source, action, object, outcome); changes are
// refused while the audit log cannot record (fail closed). Errors have one format:
//   {"error": {"code": "<machine-readable>", "message": "<what was wrong and what to do>"}}
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "audit/audit_log.h"
#include "core/clock.h"
#include "crypto/allowed_schemes.h"
#include "server/https.h"
#include "server/repo_files.h"
#include "server/roles.h"
#include "server/secret_box.h"
#include "server/store.h"
#include "settings/engine.h"
#include "settings/snapshot.h"

namespace dss::server {

using nlohmann::json;

struct AppConfig {
  std::filesystem::path repo_dir;  // served read-only at /repo/ when set
  // "https://host:port": the Origin browsers must send on cookie-authenticated changes, and
  // the base of security.txt's Canonical field.
  std::string public_origin;
  std::string product_version;
  // security.txt (RFC 9116); defaults point at DSS's own disclosure policy (SECURITY.md).
  std::string security_contact = "https://github.com/dss-project/dss/security/advisories/new";
  std::string security_policy = "https://github.com/dss-project/dss/blob/main/SECURITY.md";
  std::string security_languages = "en";
  std::string server_name = "DSS";  // TOTP issuer
};

// What an authenticated caller is.
struct Principal {
  UserRecord user;
  std::optional<SessionRecord> session;  // cookie-authenticated
  std::optional<ApiTokenRecord> token;   // bearer-token-authenticated
  std::uint32_t permissions = 0;
  std::string actor_id;  // "user:alice" or "token:7:alice"
};

class Authenticator;
class Dispatcher;

// The server's request handling, put together from its parts: the repository file server
// (repo_files.h), and for the API the dispatcher (dispatcher.h), which asks the authenticator
// (authenticator.h) who is asking before it runs a route's handler (app_*.cc).
class App {
 public:
  // `settings`: the settings state read at start (a server whose settings cannot be read does
  // not start); later changes are published by reload_settings().
  App(AppConfig config, Store& store, audit::AuditLog& audit, settings::SettingsEngine& engine,
      const settings::SettingsState& settings, const Clock& clock, SecretBox secrets);
  ~App();
  App(const App&) = delete;
  App& operator=(const App&) = delete;

  // A worker thread's entry: every request that is not answered by handle_fast.
  Response handle(Request& request, const Peer& peer);
  // The network thread's entry: /repo/ files, /.well-known/security.txt, /api/v1/health.
  std::optional<Response> handle_fast(const Request& request);
  // The answer for a request that broke a transport limit.
  Response limit_response(http::status status, std::string_view message);

  // First start with no account: a fresh one-time setup code (30 minutes), for the terminal
  // only — it is never logged. nullopt when an account exists.
  Result<std::optional<std::string>> issue_setup_code();

  // Sets the origin once the listener's port is known (before serving requests). Cookie-
  // authenticated changes must come from `origin` or one of `also_accepted` (the names the
  // certificate was made for, e.g. https://localhost:PORT), never from anywhere else.
  void set_public_origin(std::string origin, std::vector<std::string> also_accepted = {});

  // The served certificate's expiry, judged by `wall` (the clock clients use): GET
  // /api/v1/health then shows it, with a warning from kCertificateWarnDays before.
  void set_certificate_expiry(std::int64_t not_after_s, const Clock& wall) {
    wall_clock_ = &wall;
    certificate_not_after_s_ = not_after_s;
  }

  // Periodic work (expired login failures, the seat-belt reminder, settings changed on this
  // machine). Cheap; call every minute.
  void tick();

  // The effective settings: an immutable snapshot, read without parsing or locking.
  [[nodiscard]] std::shared_ptr<const settings::Snapshot> settings() const {
    return snapshot_.load();
  }
  // Reads the settings again and publishes them. On failure the last settings read stay in
  // force, the failure is recorded in the audit log (once), and returned.
  Status reload_settings();

  struct Ctx;  // one request being handled (app_internal.h)

 private:
  // handle_fast without the chime header, which handle_fast adds to every answer.
  std::optional<Response> fast_answer(const Request& request);
  AppConfig config_;
  const Clock* wall_clock_ = nullptr;
  std::atomic<std::int64_t> certificate_not_after_s_{0};  // 0: unknown
  Store& store_;
  audit::AuditLog& audit_;
  settings::SettingsEngine& engine_;
  std::mutex engine_mutex_;  // the engine is not thread-safe
  std::atomic<std::shared_ptr<const settings::Snapshot>> snapshot_;
  bool settings_unreadable_ = false;  // under engine_mutex_: the last reload failed
  const Clock& clock_;
  SecretBox secrets_;
  std::int64_t started_s_ = 0;  // check-ins signed before this are refused (no replay window)
  std::mutex nonce_mutex_;
  std::unordered_map<std::string, std::int64_t> nonces_;  // device nonce -> expiry (s)
  RepoFiles repo_files_;
  std::unique_ptr<Authenticator> authenticator_;
  std::unique_ptr<Dispatcher> dispatcher_;

 public:
  // Internal, for the route handlers (app_*.cc).
  Store& store() { return store_; }
  audit::AuditLog& audit() { return audit_; }
  const Clock& clock() const { return clock_; }
  const AppConfig& config() const { return config_; }
  const SecretBox& secrets() const { return secrets_; }
  settings::SettingsEngine& settings_engine() { return engine_; }
  std::mutex& settings_mutex() { return engine_mutex_; }
  std::int64_t started_s() const { return started_s_; }
  // Records a nonce until `expires_s`; false when it was seen before (a replay).
  bool remember_nonce(const std::string& nonce, std::int64_t now_s, std::int64_t expires_s);
  // crypto.allowed_signature_algorithms of the published settings (ADR 0041).
  crypto::AllowedSchemes allowed_schemes() const;
};

}  // namespace dss::server
