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
#include "server/https.h"
#include "server/roles.h"
#include "server/secret_box.h"
#include "server/store.h"
#include "settings/engine.h"

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

class App {
 public:
  App(AppConfig config, Store& store, audit::AuditLog& audit, settings::SettingsEngine& settings,
      const Clock& clock, SecretBox secrets);

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
  void set_public_origin(std::string origin, std::vector<std::string> also_accepted = {}) {
    config_.public_origin = std::move(origin);
    also_accepted_origins_ = std::move(also_accepted);
  }

  // The served certificate's expiry, judged by `wall` (the clock clients use): GET
  // /api/v1/health then shows it, with a warning from kCertificateWarnDays before.
  void set_certificate_expiry(std::int64_t not_after_s, const Clock& wall) {
    wall_clock_ = &wall;
    certificate_not_after_s_ = not_after_s;
  }

  // Periodic work (expired login failures, the seat-belt reminder). Cheap; call every minute.
  void tick();

  struct Ctx;  // one request being handled (app_internal.h)

 private:
  friend struct Routes;
  // handle_fast without the chime header, which handle_fast adds to every answer.
  std::optional<Response> fast_answer(const Request& request);
  AppConfig config_;
  std::vector<std::string> also_accepted_origins_;
  const Clock* wall_clock_ = nullptr;
  std::atomic<std::int64_t> certificate_not_after_s_{0};  // 0: unknown
  Store& store_;
  audit::AuditLog& audit_;
  settings::SettingsEngine& settings_;
  std::mutex settings_mutex_;  // the engine is not thread-safe
  const Clock& clock_;
  SecretBox secrets_;
  std::int64_t started_s_ = 0;  // check-ins signed before this are refused (no replay window)
  std::mutex nonce_mutex_;
  std::unordered_map<std::string, std::int64_t> nonces_;  // device nonce -> expiry (s)
  std::mutex source_mutex_;
  std::atomic<std::uint64_t> chime_generation_{0};
  std::mutex chime_mutex_;
  std::string chime_value_ = "none";
  std::int64_t chime_checked_ms_ = -1;
  std::mutex cache_mutex_;
  struct CachedFile {
    std::string body;
    std::int64_t mtime_ns = 0;  // with size and inode: whether the cached copy is current
    std::uint64_t size = 0;
    std::uint64_t inode = 0;
    std::string etag;  // from the content's SHA-256: reveals nothing about the file system
  };
  std::unordered_map<std::string, std::shared_ptr<const CachedFile>> file_cache_;

 public:
  // Internal, for the route handlers (app_*.cc).
  Store& store() { return store_; }
  audit::AuditLog& audit() { return audit_; }
  const Clock& clock() const { return clock_; }
  const AppConfig& config() const { return config_; }
  const SecretBox& secrets() const { return secrets_; }
  settings::SettingsEngine& settings_engine() { return settings_; }
  std::mutex& settings_mutex() { return settings_mutex_; }
  std::int64_t started_s() const { return started_s_; }
  // Records a nonce until `expires_s`; false when it was seen before (a replay).
  bool remember_nonce(const std::string& nonce, std::int64_t now_s, std::int64_t expires_s);
  // The effective value of an integer or boolean setting (the secure default if unreadable).
  std::int64_t setting_int(std::string_view key, std::int64_t fallback);
  bool setting_bool(std::string_view key, bool fallback);
  std::string chime_value();
  void invalidate_chime();
  std::shared_ptr<const CachedFile> cached_file(const std::filesystem::path& path);
  std::filesystem::path repo_root_;  // the canonical repository directory, resolved once
};

}  // namespace dss::server
