#include "server/service.h"

#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <ctime>
#include <iostream>
#include <mutex>
#include <optional>
#include <thread>

#include "httpd/server.h"
#include "platform/files.h"
#include "platform/system_clock.h"
#include "server/https.h"
#include "settings/snapshot.h"
#include "settings/state.h"
#include "settings/system.h"
#include "tls/server_context.h"

namespace dss::server {

namespace {

// The settings engine's events go to the server's own audit log (one log per state dir).
class SharedAuditSink final : public settings::AuditSink {
 public:
  explicit SharedAuditSink(audit::AuditLog& log) : log_(log) {}
  Status record(const settings::SettingsAuditEvent& event) override {
    return log_.record(settings::to_audit_event(event));
  }

 private:
  audit::AuditLog& log_;
};

}  // namespace

struct Service::Impl {
  ServiceOptions options;
  platform::SystemClock system_clock;
  const Clock* clock = nullptr;
  std::optional<platform::DirLock> lock;
  std::unique_ptr<SqliteStore> store;
  std::unique_ptr<audit::AuditLog> audit;
  std::unique_ptr<settings::FileSettingsStore> settings_store;
  std::unique_ptr<SharedAuditSink> sink;
  std::unique_ptr<settings::SettingsEngine> engine;
  std::unique_ptr<App> app;
  std::unique_ptr<HttpsServer> https;
  const Clock* cert_clock = nullptr;  // the wall clock clients judge the certificate by
  std::filesystem::path cert;
  std::filesystem::path key;
  std::int64_t cert_not_after_s = 0;
  std::int64_t cert_warned_s = 0;  // when the terminal was last told the certificate expires
  std::thread ticker;
  std::mutex tick_mutex;
  std::mutex work_mutex;  // one tick() at a time (the ticker's and a test's)
  std::condition_variable tick_cv;
  bool stopping = false;
  bool stopped = false;
};

Result<std::unique_ptr<SqliteStore>> open_store(const std::filesystem::path& state_dir) {
  DSS_TRY_STATUS(platform::ensure_private_dir(state_dir));
  return SqliteStore::open(state_dir / kDbFileName);
}

namespace {

using Say = std::function<void(const std::string&)>;

constexpr std::int64_t kCertificateReminderS = std::int64_t{24} * 3600;

// While the served certificate is near its expiry (certificate_warning), the terminal and the
// audit log are told at start and then once a day, not only when someone runs `server status`.
Status remind_certificate(Service::Impl& impl, const Say& say) {
  const std::int64_t now = impl.cert_clock->now();
  const std::string warning = certificate_warning(impl.cert_not_after_s, now);
  if (warning.empty() ||
      (impl.cert_warned_s != 0 && now - impl.cert_warned_s < kCertificateReminderS)) {
    return ok();
  }
  impl.cert_warned_s = now;
  say("dss server: WARNING: " + warning);
  audit::Event e;
  e.actor_kind = audit::ActorKind::kSystem;
  e.actor_id = "system";
  e.action = "tls.certificate_expiring";
  e.object = impl.cert.string();
  e.reason = warning;
  return impl.audit->record(std::move(e));
}

// The generated certificate (ADR 0036): created on first start, and replaced by a new one
// (new key, 90 days) once fewer than kRenewBeforeDays remain, at start and by the minute
// ticker, so it never lapses. Clients that pin the file re-read it; both fingerprints are
// announced on the terminal and in the audit log (tls.certificate_renewed). Returns whether a
// new certificate was written.
Result<bool> renew_generated_certificate(Service::Impl& impl, const Say& say) {
  std::error_code ec;
  std::optional<CertificateInfo> old;
  if (std::filesystem::exists(impl.cert, ec)) {
    auto info = read_certificate_info(impl.cert);
    // An unreadable generated pair is replaced, as a missing one is (a crash between writing
    // the new key and the new certificate leaves a pair that does not match).
    const bool usable =
        info && tls::make_server_context(tls::TlsFloor::kTls13, impl.cert, impl.key).has_value();
    if (usable && info->not_after_s - impl.cert_clock->now() > kRenewBeforeDays * 86400) {
      return false;
    }
    if (info) old = std::move(*info);
  }
  DSS_TRY_STATUS(platform::ensure_private_dir(impl.cert.parent_path()));
  DSS_TRY_STATUS(httpd::generate_self_signed_cert(impl.cert, impl.key, kGeneratedCertificateDays));
  DSS_TRY(const CertificateInfo fresh, read_certificate_info(impl.cert));
  if (old) {
    say("dss server: the generated certificate expires in under " +
        std::to_string(kRenewBeforeDays) + " days, so it was renewed with a new key");
    say("dss server: old SHA-256 fingerprint " + old->fingerprint);
    say("dss server: new SHA-256 fingerprint " + fresh.fingerprint);
    say("dss server: clients that pin " + impl.cert.string() + " must read it again");
  } else {
    say("dss server: generated a self-signed ECDSA P-256 certificate " + impl.cert.string() +
        " (valid " + std::to_string(kGeneratedCertificateDays) + " days, renewed automatically)");
    say("dss server: check its fingerprint when a client first connects, or give your own "
        "certificate with --cert and --key");
  }
  if (impl.audit) {
    audit::Event e;
    e.actor_kind = audit::ActorKind::kSystem;
    e.actor_id = "system";
    e.action = old ? "tls.certificate_renewed" : "tls.certificate_generated";
    e.object = impl.cert.string();
    if (old) e.details.emplace_back("old_sha256", old->fingerprint);
    e.details.emplace_back("sha256", fresh.fingerprint);
    DSS_TRY_STATUS(impl.audit->record(std::move(e)));
  }
  return true;
}

}  // namespace

Service::Service(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Result<std::unique_ptr<Service>> Service::start(ServiceOptions options) {
  auto impl = std::make_unique<Impl>();
  impl->options = std::move(options);
  ServiceOptions& o = impl->options;
  impl->clock = o.clock != nullptr ? o.clock : &impl->system_clock;
  impl->cert_clock = o.cert_clock != nullptr ? o.cert_clock : &impl->system_clock;
  const auto say = [&o](const std::string& line) {
    if (o.terminal) o.terminal(line);
  };
  DSS_TRY_STATUS(platform::ensure_private_dir(o.state_dir));
  auto dir_lock = platform::DirLock::acquire(o.state_dir);
  if (!dir_lock) {
    return make_error(ErrorCode::kFailedPrecondition,
                      "another dss server is already running on " + o.state_dir.string());
  }
  impl->lock.emplace(std::move(*dir_lock));
  DSS_TRY(impl->store, SqliteStore::open(o.state_dir / kDbFileName));

  impl->settings_store = std::make_unique<settings::FileSettingsStore>(o.state_dir);
  // Settings that cannot be read stop the start, naming what is wrong (never a silent default).
  DSS_TRY(const auto settings_state, impl->settings_store->load());
  const settings::Snapshot settings(settings_state);
  for (const std::string& w : settings_state.retired_warnings) say("dss server: WARNING: " + w);
  audit::AuditLogOptions audit_options;
  audit_options.product_version = o.product_version;
  audit_options.fail_closed = settings::audit_fail_closed(settings_state);
  DSS_TRY(impl->audit, audit::AuditLog::open(o.state_dir / settings::kAuditDirName, *impl->clock,
                                             audit_options));
  impl->sink = std::make_unique<SharedAuditSink>(*impl->audit);
  impl->engine =
      std::make_unique<settings::SettingsEngine>(*impl->settings_store, *impl->sink, *impl->clock);
  DSS_TRY(SecretBox secrets, SecretBox::open_or_create(o.state_dir / "secret.key"));

  // The certificate: the operator's, or one generated on first start.
  if (o.cert_pem.empty() != o.key_pem.empty()) {
    return make_error(ErrorCode::kInvalidArgument, "give both --cert and --key, or neither");
  }
  impl->cert = o.cert_pem.empty() ? o.state_dir / "tls" / "cert.pem" : o.cert_pem;
  impl->key = o.key_pem.empty() ? o.state_dir / "tls" / "key.pem" : o.key_pem;
  if (o.cert_pem.empty()) {
    DSS_TRY_STATUS(renew_generated_certificate(*impl, say));
  }
  // At every start, not only the first: whoever connects next checks against this line.
  DSS_TRY(const CertificateInfo cert_info, read_certificate_info(impl->cert));
  say("dss server: certificate " + impl->cert.string() + ", SHA-256 fingerprint is " +
      cert_info.fingerprint);
  impl->cert_not_after_s = cert_info.not_after_s;
  DSS_TRY_STATUS(remind_certificate(*impl, say));

  const tls::TlsFloor tls_floor =
      tls::floor_from_setting(settings.get(settings::key::kTlsMinVersion));
  if (settings.get(settings::key::kTlsPlaintextListener)) {
    say("dss server: the setting tls.plaintext_listener is loosened, but this server never "
        "listens without TLS; undo it with `dss settings reset tls.plaintext_listener`");
  }

  AppConfig config;
  config.repo_dir = o.repo_dir;
  config.product_version = o.product_version;
  if (!o.security_contact.empty()) config.security_contact = o.security_contact;
  if (!o.security_policy.empty()) config.security_policy = o.security_policy;

  HttpsOptions http_options;
  http_options.bind = o.bind;
  http_options.port = o.port;
  http_options.cert_pem = impl->cert;
  http_options.key_pem = impl->key;
  http_options.tls_floor = tls_floor;
  http_options.io_threads = o.io_threads;
  http_options.worker_threads = o.worker_threads;

  // The app needs the origin (with the real port) before the listener starts; with port 0 the
  // origin is fixed up right after binding.
  impl->app = std::make_unique<App>(config, *impl->store, *impl->audit, *impl->engine,
                                    settings_state, *impl->clock, std::move(secrets));
  App* app = impl->app.get();
  DSS_TRY(impl->https,
          HttpsServer::start(
              http_options, [app](Request& r, const Peer& p) { return app->handle(r, p); },
              [app](const Request& r) { return app->handle_fast(r); },
              [app](http::status s, std::string_view m) { return app->limit_response(s, m); }));
  app->set_certificate_expiry(cert_info.not_after_s, *impl->cert_clock);
  const std::string port = std::to_string(impl->https->port());
  // Without --public-origin, a browser may reach the server by any name its certificate was
  // made for (https://localhost:PORT for the generated one): those origins are accepted too.
  std::vector<std::string> cert_origins;
  if (o.public_origin.empty()) {
    for (const auto& name : cert_info.names) cert_origins.push_back(tls::https_origin(name, port));
  }
  app->set_public_origin(
      o.public_origin.empty() ? tls::https_origin(o.bind, port) : o.public_origin,
      std::move(cert_origins));

  audit::Event started;
  started.actor_kind = audit::ActorKind::kSystem;
  started.actor_id = "system";
  started.action = "system.start";
  started.object = "dss-server";
  started.details.emplace_back("listen", o.bind + ":" + std::to_string(impl->https->port()));
  started.details.emplace_back("tls", std::string(tls::floor_name(tls_floor)));
  DSS_TRY_STATUS(impl->audit->record(std::move(started)));

  DSS_TRY(const auto code, app->issue_setup_code());
  if (code) {
    say("dss server: no account exists yet. One-time setup code (valid 30 minutes, works once):");
    say("    " + *code);
    say("dss server: create the first owner with POST /api/v1/setup, or stop the server and run "
        "`dss server init`");
  }
  auto service = std::unique_ptr<Service>(new Service(std::move(impl)));
  Service* raw = service.get();
  Impl* state = raw->impl_.get();
  state->ticker = std::thread([raw, state] {
    std::unique_lock<std::mutex> lock(state->tick_mutex);
    while (!state->tick_cv.wait_for(lock, std::chrono::seconds(60),
                                    [state] { return state->stopping; })) {
      raw->tick();
    }
  });
  return service;
}

void Service::tick() {
  Impl& m = *impl_;
  const std::lock_guard<std::mutex> lock(m.work_mutex);
  m.app->tick();
  const Say say = m.options.terminal ? m.options.terminal : Say([](const std::string&) {});
  if (m.options.cert_pem.empty()) {
    auto renewed = renew_generated_certificate(m, say);
    // A failed renewal is retried next minute; the warning at start and in `server status`
    // says so long before the old certificate lapses.
    if (renewed && *renewed && m.https->reload_certificate()) {
      if (auto info = read_certificate_info(m.cert)) {
        m.app->set_certificate_expiry(info->not_after_s, *m.cert_clock);
        m.cert_not_after_s = info->not_after_s;
        m.cert_warned_s = 0;
      }
    }
  }
  ignore_error(remind_certificate(m, say));  // the terminal was told either way
}

Service::~Service() { stop(); }

void Service::stop() {
  if (!impl_ || impl_->stopped) return;
  impl_->stopped = true;
  {
    const std::lock_guard<std::mutex> lock(impl_->tick_mutex);
    impl_->stopping = true;
  }
  impl_->tick_cv.notify_all();
  if (impl_->ticker.joinable()) impl_->ticker.join();
  if (impl_->https) impl_->https->stop();
  audit::Event stopped;
  stopped.actor_kind = audit::ActorKind::kSystem;
  stopped.actor_id = "system";
  stopped.action = "system.stop";
  stopped.object = "dss-server";
  ignore_error(impl_->audit->record(std::move(stopped)));  // shutting down either way
}

std::uint16_t Service::port() const { return impl_->https->port(); }
const std::filesystem::path& Service::cert_pem() const { return impl_->cert; }
App& Service::app() { return *impl_->app; }
Store& Service::store() { return *impl_->store; }
audit::AuditLog& Service::audit() { return *impl_->audit; }
Status Service::reload_certificate() { return impl_->https->reload_certificate(); }

Status restore_backup(const std::filesystem::path& state_dir, const std::filesystem::path& backup) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(backup, ec)) {
    return make_error(ErrorCode::kNotFound, "no backup file at " + backup.string());
  }
  DSS_TRY_STATUS(platform::ensure_private_dir(state_dir));
  auto lock = platform::DirLock::acquire(state_dir);
  if (!lock) {
    return make_error(ErrorCode::kFailedPrecondition,
                      "the server is running on " + state_dir.string() + "; stop it, then restore");
  }
  DSS_TRY(const int version, read_schema_version(backup));
  if (version > kSchemaVersion) {
    return make_error(ErrorCode::kFailedPrecondition,
                      "the backup has schema version " + std::to_string(version) +
                          ", newer than this dss knows (" + std::to_string(kSchemaVersion) + ")");
  }
  // Copy to a temporary name beside the database, check it there, then rename over it.
  const std::filesystem::path target = state_dir / kDbFileName;
  const std::filesystem::path tmp = state_dir / "server.db.restore";
  std::filesystem::remove(tmp, ec);
  // A backup is a self-contained SQLite file (no WAL); the copy is what gets checked and
  // migrated, so the backup itself is never modified.
  std::filesystem::copy_file(backup, tmp, std::filesystem::copy_options::overwrite_existing, ec);
  if (ec) return platform::io_error("cannot copy the backup to", tmp);
  std::filesystem::permissions(
      tmp, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write, ec);
  {
    auto check = SqliteStore::open(tmp);
    Status st = check ? (*check)->db().integrity_check() : Status(tl::unexpected(check.error()));
    if (!st) {
      std::filesystem::remove(tmp, ec);
      return make_error(st.error().code, backup.string() + " cannot be restored: " +
                                             st.error().message + "; nothing was changed");
    }
  }
  for (const char* suffix : {"-wal", "-shm"}) {
    std::filesystem::remove(target.string() + suffix, ec);
  }
  std::filesystem::rename(tmp, target, ec);
  if (ec) return platform::io_error("cannot move the restored database into place at", target);
  return platform::fsync_dir(state_dir);
}

}  // namespace dss::server
