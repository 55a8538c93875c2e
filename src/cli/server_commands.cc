#include "cli/server_commands.h"

#include <pthread.h>
#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <ctime>
#include <iostream>

#include "audit/audit_log.h"
#include "cli/prompt.h"
#include "identity/password.h"
#include "identity/token.h"
#include "platform/files.h"
#include "platform/system_clock.h"
#include "server/roles.h"
#include "server/service.h"
#include "settings/snapshot.h"
#include "settings/state.h"
#include "settings/system.h"
#include "tls/server_context.h"

namespace dss::cli {

namespace fs = std::filesystem;

struct ServerCommands::State {
  const std::string& state_dir;
  explicit State(const std::string& dir) : state_dir(dir) {}
  CLI::App* init = nullptr;
  CLI::App* run = nullptr;
  CLI::App* status = nullptr;
  CLI::App* backup = nullptr;
  CLI::App* restore = nullptr;
  CLI::App* user = nullptr;
  CLI::App* user_add = nullptr;
  CLI::App* user_disable = nullptr;
  CLI::App* user_reset_mfa = nullptr;
  CLI::App* token = nullptr;
  CLI::App* token_create = nullptr;
  CLI::App* token_revoke = nullptr;
  std::string username;
  std::string password_file;
  std::string job;
  std::vector<std::string> roles;
  std::string bind = "127.0.0.1";
  std::uint16_t port = 8443;
  std::string repo;
  std::string cert;
  std::string key;
  std::string origin;
  std::string contact;
  std::string policy;
  unsigned io_threads = 2;
  unsigned workers = 64;
  std::string file;
  std::string token_name;
  int expires_days = 30;
  std::int64_t token_id = 0;
};

namespace {

const platform::SystemClock g_clock;

int fail(const Error& e) {
  std::cerr << "dss server: " << e.to_string() << "\n";
  return 1;
}

std::string local_actor() {
  std::string name = std::to_string(::geteuid());
  if (const passwd* pw = ::getpwuid(::geteuid()); pw != nullptr && pw->pw_name != nullptr) {
    name = pw->pw_name;
  }
  return "local:" + name;
}

// The audit log of the state directory, for commands that change accounts directly. Refused
// (fail closed) while a server holds it: use the API then.
Result<std::unique_ptr<audit::AuditLog>> open_audit(const fs::path& state) {
  settings::FileSettingsStore store(state);
  DSS_TRY(const auto st, store.load());
  audit::AuditLogOptions o;
  o.product_version = DSS_VERSION;
  o.fail_closed = settings::audit_fail_closed(st);
  auto log = audit::AuditLog::open(state / settings::kAuditDirName, g_clock, o);
  if (!log && log.error().code == ErrorCode::kFailedPrecondition) {
    return make_error(ErrorCode::kFailedPrecondition,
                      "the server is running on " + state.string() +
                          "; stop it first, or make this change through its API");
  }
  return log;
}

Status record(audit::AuditLog& log, std::string action, std::string object, std::string reason,
              std::vector<std::pair<std::string, std::string>> details = {}) {
  audit::Event e;
  e.actor_kind = audit::ActorKind::kUser;
  e.actor_id = local_actor();
  e.action = std::move(action);
  e.object = std::move(object);
  e.reason = std::move(reason);
  e.details = std::move(details);
  return log.record(std::move(e));
}

// auth.password_min_length as the state folder's settings have it: the minimum the API
// enforces too, so an account made here could also have chosen its password there.
Result<std::int64_t> password_min_length(const fs::path& state) {
  settings::FileSettingsStore store(state);
  DSS_TRY(const auto st, store.load());
  return settings::Snapshot(st).get(settings::key::kAuthPasswordMinLength);
}

Result<std::string> new_password(const fs::path& state, const std::string& file,
                                 const std::string& account) {
  DSS_TRY(const std::int64_t min_length, password_min_length(state));
  DSS_TRY(SecretBytes first, read_secret(file, "DSS_SERVER_PASSWORD",
                                         "New password for " + account + " (" +
                                             std::to_string(min_length) + " to 128 characters): ",
                                         "password"));
  std::string pw(reinterpret_cast<const char*>(first.data()), first.size());
  if (file.empty() && std::getenv("DSS_SERVER_PASSWORD") == nullptr) {
    DSS_TRY(SecretBytes again,
            read_secret("", "DSS_SERVER_PASSWORD_UNUSED", "Again: ", "password"));
    if (!again.equals(first)) {
      secure_zero(pw.data(), pw.size());
      return make_error(ErrorCode::kInvalidArgument,
                        "the two passwords differ; nothing was changed");
    }
  }
  auto policy = identity::check_password_policy(pw, account, static_cast<std::size_t>(min_length));
  if (!policy) {
    secure_zero(pw.data(), pw.size());
    return tl::unexpected(policy.error());
  }
  auto hash = identity::hash_password(pw);
  secure_zero(pw.data(), pw.size());
  return hash;
}

Status check_roles(const std::vector<std::string>& roles) {
  for (const auto& r : roles) {
    if (server::find_role(r) == nullptr) {
      return make_error(ErrorCode::kInvalidArgument,
                        "unknown role '" + r +
                            "'; the roles are owner, security-officer, "
                            "release-manager, operator, auditor and viewer");
    }
  }
  return ok();
}

Status add_user(const fs::path& state, const std::string& name, const std::string& job,
                std::vector<std::string> roles, const std::string& password_file) {
  if (roles.empty()) roles = {job};
  DSS_TRY_STATUS(check_roles({job}));
  DSS_TRY_STATUS(check_roles(roles));
  DSS_TRY(auto store, server::open_store(state));
  DSS_TRY(auto existing, store->find_user(name));
  if (existing) {
    return make_error(ErrorCode::kAlreadyExists, "an account named " + name + " already exists");
  }
  DSS_TRY(auto log, open_audit(state));
  DSS_TRY(const std::string hash, new_password(state, password_file, name));
  server::UserRecord u;
  u.name = name;
  u.job = job;
  u.roles = roles;
  u.password_hash = hash;
  u.created_ms = g_clock.now_ms();
  const auto warning = server::deviation_warning(job, roles);
  std::vector<std::pair<std::string, std::string>> details{{"roles", server::join_roles(roles)},
                                                           {"job", job}};
  if (warning) details.emplace_back("warning", "grant beyond the recommended profile");
  DSS_TRY_STATUS(
      record(*log, "user.create", "user:" + name, "created on the command line", details));
  DSS_TRY_STATUS(store->create_user(u));
  if (warning) std::cerr << *warning << "\n";
  std::cout << "Created " << name << " (" << server::join_roles(roles) << "). At the first "
            << "sign-in they must set up a second factor (an authenticator app).\n";
  return ok();
}

int run_server(ServerCommands::State& s) {
  // Signals are taken synchronously by this thread; the server's threads never see them.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);

  server::ServiceOptions o;
  o.state_dir = s.state_dir;
  o.repo_dir = s.repo;
  o.cert_pem = s.cert;
  o.key_pem = s.key;
  o.bind = s.bind;
  o.port = s.port;
  o.public_origin = s.origin;
  o.io_threads = s.io_threads;
  o.worker_threads = s.workers;
  o.product_version = DSS_VERSION;
  o.security_contact = s.contact;
  o.security_policy = s.policy;
  o.terminal = [](const std::string& line) { std::cerr << line << "\n"; };
  auto service = server::Service::start(std::move(o));
  if (!service) return fail(service.error());
  std::cout << "dss server: listening on "
            << tls::https_origin(s.bind, std::to_string((*service)->port())) << " (state "
            << s.state_dir << ")" << std::endl;
  for (;;) {
    int sig = 0;
    if (sigwait(&set, &sig) != 0) continue;
    if (sig == SIGHUP) {
      auto st = (*service)->reload_certificate();
      if (st) {
        std::cerr << "dss server: certificate reloaded\n";
      } else {
        std::cerr << "dss server: kept the old certificate: " << st.error().to_string() << "\n";
      }
      continue;
    }
    std::cerr << "dss server: stopping (finishing requests in flight)\n";
    (*service)->stop();
    return 0;
  }
}

int status(ServerCommands::State& s) {
  const fs::path state = s.state_dir;
  std::error_code ec;
  if (!fs::exists(state / server::kDbFileName, ec)) {
    std::cout << "No server state in " << state << ". Run `dss server init` or `dss server run`.\n";
    return 1;
  }
  bool running = false;
  {
    const auto lock = platform::DirLock::acquire(state);  // released at once
    running = !lock;
  }
  auto store = server::open_store(state);
  if (!store) return fail(store.error());
  auto users = (*store)->list_users();
  auto devices = (*store)->devices();
  if (!users || !devices) return fail(!users ? users.error() : devices.error());
  std::size_t privileged_pending = 0;
  for (const auto& u : *users) {
    auto factors = (*store)->factors(u.id);
    bool has = false;
    if (factors) {
      for (const auto& f : *factors) has = has || f.confirmed;
    }
    if (!has && !u.disabled && server::any_privileged(u.roles)) ++privileged_pending;
  }
  std::cout << "State:            " << state.string() << "\n";
  std::cout << "Running:          " << (running ? "yes" : "no") << "\n";
  std::cout << "Schema version:   " << (*store)->schema_version() << "\n";
  std::cout << "Accounts:         " << users->size() << " (" << privileged_pending
            << " privileged awaiting their second factor)\n";
  std::cout << "Devices:          " << devices->size() << "\n";
  const fs::path cert = s.cert.empty() ? state / "tls" / "cert.pem" : fs::path(s.cert);
  if (auto info = server::read_certificate_info(cert)) {
    std::cout << "Certificate:      " << cert.string() << "\n  SHA-256 " << info->fingerprint
              << "\n  expires " << audit::format_time_ms(info->not_after_s * 1000) << "\n";
    const std::string warning = server::certificate_warning(info->not_after_s, std::time(nullptr));
    if (!warning.empty()) std::cout << "WARNING: " << warning << "\n";
  }
  return 0;
}

}  // namespace

ServerCommands::ServerCommands(CLI::App& app, const std::string& state_dir)
    : s_(std::make_unique<State>(state_dir)) {
  State& s = *s_;
  app.require_subcommand(1);
  s.init = app.add_subcommand("init",
                              "Create the first owner account (asks for a password; the "
                              "second factor is set up at the first sign-in)");
  s.init->add_option("--username", s.username, "The owner's user name")->required();
  s.init->add_option("--password-file", s.password_file,
                     "File holding the password (default: $DSS_SERVER_PASSWORD, else asked)");

  s.run = app.add_subcommand("run", "Run the control plane over HTTPS");
  s.run->add_option("--bind", s.bind, "Address to listen on (default 127.0.0.1)");
  s.run->add_option("--port", s.port, "Port (default 8443; 0 picks a free one)");
  s.run->add_option("--repo", s.repo, "TUF repository to serve read-only at /repo/");
  s.run->add_option("--cert", s.cert, "PEM certificate chain (default: generated on first start)");
  s.run->add_option("--key", s.key, "PEM private key of --cert; reloaded with --cert on SIGHUP");
  s.run->add_option("--public-origin", s.origin,
                    "https://host[:port] as browsers reach this server (Origin checks)");
  s.run->add_option("--security-contact", s.contact, "security.txt Contact (a URI)");
  s.run->add_option("--security-policy", s.policy, "security.txt Policy (a URI)");
  s.run->add_option("--io-threads", s.io_threads, "Network threads (default 2)");
  s.run->add_option("--workers", s.workers, "Request worker threads (default 64)");

  s.status = app.add_subcommand("status",
                                "Show the state directory's accounts, devices and "
                                "certificate");
  s.backup = app.add_subcommand("backup",
                                "Write a consistent copy of the database (safe while "
                                "the server runs)");
  s.backup->add_option("--out", s.file, "Backup file to write")->required();
  s.restore = app.add_subcommand("restore", "Replace the database with a backup (server stopped)");
  s.restore->add_option("--from", s.file, "Backup file to restore")->required();

  s.user = app.add_subcommand("user", "Accounts, directly on the state directory (server stopped)");
  s.user->require_subcommand(1);
  s.user_add = s.user->add_subcommand("add", "Create an account");
  s.user_add->add_option("name", s.username, "User name")->required();
  s.user_add
      ->add_option("--job", s.job,
                   "The job's role: the recommended profile (owner, security-officer, "
                   "release-manager, operator, auditor, viewer)")
      ->required();
  s.user_add->add_option("--role", s.roles, "A role to grant (default: the job's role); repeat");
  s.user_add->add_option("--password-file", s.password_file, "File holding the password");
  s.user_disable = s.user->add_subcommand("disable", "Disable an account and end its sessions");
  s.user_disable->add_option("name", s.username, "User name")->required();
  s.user_reset_mfa = s.user->add_subcommand(
      "reset-mfa", "Remove an account's second factors; it must enrol again at the next sign-in");
  s.user_reset_mfa->add_option("name", s.username, "User name")->required();

  s.token = app.add_subcommand("token", "API tokens, directly on the state directory");
  s.token->require_subcommand(1);
  s.token_create = s.token->add_subcommand("create", "Create an API token (shown once)");
  s.token_create->add_option("--user", s.username, "The account the token acts for")->required();
  s.token_create->add_option("--name", s.token_name, "What the token is for")->required();
  s.token_create
      ->add_option("--role", s.roles,
                   "A role the token may use (a subset of the "
                   "account's); repeat")
      ->required();
  s.token_create
      ->add_option("--expires-days", s.expires_days, "Lifetime in days (1-365, default 30)")
      ->check(CLI::Range(1, 365));
  s.token_revoke = s.token->add_subcommand("revoke", "Revoke an API token");
  s.token_revoke->add_option("id", s.token_id, "Token id")->required();
}

ServerCommands::~ServerCommands() = default;

bool ServerCommands::parsed() const {
  const State& s = *s_;
  return s.init->parsed() || s.run->parsed() || s.status->parsed() || s.backup->parsed() ||
         s.restore->parsed() || s.user->parsed() || s.token->parsed();
}

int ServerCommands::run() {
  State& s = *s_;
  const fs::path state = s.state_dir;
  if (s.run->parsed()) return run_server(s);
  if (s.status->parsed()) return status(s);
  if (s.init->parsed()) {
    auto store = server::open_store(state);
    if (!store) return fail(store.error());
    auto count = (*store)->count_users();
    if (!count) return fail(count.error());
    if (*count > 0) {
      return fail(Error{ErrorCode::kAlreadyExists,
                        "accounts already exist; add more with `dss server user add` or the API"});
    }
    store->reset();
    auto st = add_user(state, s.username, "owner", {"owner"}, s.password_file);
    if (!st) return fail(st.error());
    std::cout << "Start the server with `dss server run`.\n";
    return 0;
  }
  if (s.backup->parsed()) {
    auto store = server::open_store(state);
    if (!store) return fail(store.error());
    auto st = (*store)->backup_to(s.file);
    if (!st) return fail(st.error());
    std::cout << "Backup written to " << s.file << ". Keep " << (state / "secret.key").string()
              << " with it (separately): sign-in codes cannot be checked without it.\n";
    return 0;
  }
  if (s.restore->parsed()) {
    auto st = server::restore_backup(state, s.file);
    if (!st) return fail(st.error());
    std::cout << "Restored " << s.file << " into " << state.string() << ".\n";
    return 0;
  }
  if (s.user_add->parsed()) {
    auto st = add_user(state, s.username, s.job, s.roles, s.password_file);
    return st ? 0 : fail(st.error());
  }
  auto store = server::open_store(state);
  if (!store) return fail(store.error());
  auto log = open_audit(state);
  if (!log) return fail(log.error());
  const std::int64_t now = g_clock.now_ms();
  if (s.user_disable->parsed() || s.user_reset_mfa->parsed() || s.token_create->parsed()) {
    auto user = (*store)->find_user(s.username);
    if (!user) return fail(user.error());
    if (!*user) return fail(Error{ErrorCode::kNotFound, "no account named " + s.username});
    const server::UserRecord& u = **user;
    if (s.user_disable->parsed()) {
      auto st = record(**log, "user.disable", "user:" + u.name, "disabled on the command line");
      if (st) st = (*store)->set_disabled(u.id, true);
      if (st) st = (*store)->end_sessions_of(u.id, "account disabled", now);
      if (!st) return fail(st.error());
      std::cout << "Disabled " << u.name << " and ended their sessions.\n";
      return 0;
    }
    if (s.user_reset_mfa->parsed()) {
      auto st = record(**log, "auth.mfa.remove", "user:" + u.name, "MFA reset on the command line");
      if (st) st = (*store)->remove_factors(u.id);
      if (st) st = (*store)->end_sessions_of(u.id, "MFA reset", now);
      if (!st) return fail(st.error());
      std::cout << "Removed the second factors of " << u.name
                << "; they must set up a new one at the next sign-in.\n";
      return 0;
    }
    auto st = check_roles(s.roles);
    if (!st) return fail(st.error());
    for (const auto& r : s.roles) {
      if (std::find(u.roles.begin(), u.roles.end(), r) == u.roles.end()) {
        return fail(Error{ErrorCode::kPermissionDenied,
                          u.name + " does not hold the role " + r + "; a token carries a subset"});
      }
    }
    const std::string token = identity::generate_token("dss_t_");
    server::ApiTokenRecord t;
    t.user_id = u.id;
    t.name = s.token_name;
    t.roles = s.roles;
    t.created_ms = now;
    t.expires_ms = now + static_cast<std::int64_t>(s.expires_days) * 24 * 3600 * 1000;
    st = record(**log, "token.create", "user:" + u.name, "created on the command line",
                {{"roles", server::join_roles(s.roles)}, {"name", s.token_name}});
    if (!st) return fail(st.error());
    auto id = (*store)->create_token(identity::token_hash(token), t);
    if (!id) return fail(id.error());
    std::cerr << "Token " << *id << " for " << u.name << " (shown once; store it now):\n";
    std::cout << token << "\n";
    return 0;
  }
  // token revoke
  auto st = record(**log, "token.revoke", "token:" + std::to_string(s.token_id),
                   "revoked on the command line");
  if (!st) return fail(st.error());
  auto revoked = (*store)->revoke_token(s.token_id, now);
  if (!revoked) return fail(revoked.error());
  std::cout << (*revoked ? "Revoked token " : "No active token ") << s.token_id << ".\n";
  return *revoked ? 0 : 1;
}

}  // namespace dss::cli
