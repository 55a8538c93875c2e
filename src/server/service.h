// `dss server run`: the state directory, the store, the audit log, the settings engine, the
// TLS certificate and the HTTPS listener, put together.
//
// State directory (0700): server.db (SQLite), secret.key (seals TOTP seeds), tls/ (the
// certificate, self-signed on first start unless one is given), audit/ (the tamper-evident
// audit log), settings.json, .lock (held while the server runs; restore refuses meanwhile).
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "core/clock.h"
#include "core/result.h"
#include "server/app.h"
#include "server/https.h"
#include "server/sqlite_store.h"

namespace dss::server {

struct ServiceOptions {
  std::filesystem::path state_dir;
  std::filesystem::path repo_dir;  // served at /repo/ when set
  std::filesystem::path cert_pem;  // operator's certificate; empty: <state>/tls/cert.pem
  std::filesystem::path key_pem;
  std::string bind = "127.0.0.1";
  std::uint16_t port = 8443;
  std::string public_origin;  // default https://<bind>:<port>
  unsigned io_threads = 2;
  unsigned worker_threads = 64;
  std::string product_version;
  std::string security_contact;  // security.txt; empty: the built-in default
  std::string security_policy;
  const Clock* clock = nullptr;  // default: the system clock
  // The wall clock the certificate's expiry is judged by (clients judge it by theirs); default:
  // the system clock. Tests move it forward to see renewal.
  const Clock* cert_clock = nullptr;
  // Where first-start messages go (the certificate fingerprint, the one-time setup code):
  // the operator's terminal, never a log.
  std::function<void(const std::string&)> terminal;
};

class Service {
 public:
  static Result<std::unique_ptr<Service>> start(ServiceOptions options);
  ~Service();
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

  [[nodiscard]] std::uint16_t port() const;
  [[nodiscard]] const std::filesystem::path& cert_pem() const;
  App& app();
  Store& store();
  audit::AuditLog& audit();
  // SIGHUP: re-read the certificate and key.
  Status reload_certificate();
  // The minute ticker's work (also run by tests): App::tick, renewing the generated
  // certificate when due, and the daily reminder while the certificate is near its expiry.
  void tick();
  // Graceful stop (also done by the destructor).
  void stop();

  struct Impl;

 private:
  explicit Service(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Opens the store of a state directory (creating the directory 0700 if needed).
Result<std::unique_ptr<SqliteStore>> open_store(const std::filesystem::path& state_dir);
// `dss server restore`: checks that `backup` is a sound database of a schema this dss knows,
// then replaces <state>/server.db with it atomically. Refused while the server runs.
Status restore_backup(const std::filesystem::path& state_dir, const std::filesystem::path& backup);

inline constexpr std::string_view kDbFileName = "server.db";

// The generated certificate (ADR 0036): valid this long, renewed this long before it expires.
inline constexpr int kGeneratedCertificateDays = 90;
inline constexpr std::int64_t kRenewBeforeDays = 30;

}  // namespace dss::server
