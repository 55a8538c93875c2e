#include "cli/repo_commands.h"

#include <csignal>
#include <cstdlib>
#include <iostream>

#include "cli/prompt.h"
#include "httpd/server.h"
#include "platform/files.h"
#include "platform/system_clock.h"
#include "repo/repository.h"

namespace dss::cli {

namespace fs = std::filesystem;

struct RepoCommands::State {
  CLI::App* init = nullptr;
  CLI::App* add_target = nullptr;
  CLI::App* remove_target = nullptr;
  CLI::App* delegate = nullptr;
  CLI::App* sign = nullptr;
  CLI::App* merge = nullptr;
  CLI::App* rotate = nullptr;
  CLI::App* refresh = nullptr;
  CLI::App* status = nullptr;
  CLI::App* verify = nullptr;
  CLI::App* serve = nullptr;

  std::string dir;
  std::string offline_pass_file, online_pass_file;
  repo::InitOptions init_o;
  std::string scheme = "ed25519";
  std::string file, target_path, role = "targets", custom;
  repo::DelegateOptions del;
  std::string key_file, out_file;
  std::vector<std::string> sig_files;
  repo::RotateOptions rot;
  std::int64_t rot_threshold = 0;
  std::vector<std::string> refresh_roles;
  std::string bind = "127.0.0.1";
  std::uint16_t port = 8443;
  std::string port_file;
};

namespace {

void add_dir(CLI::App* app, std::string& dir) {
  app->add_option("REPO", dir, "The repository directory")->required();
}

void add_passphrase_options(CLI::App* app, RepoCommands::State& s, bool offline, bool online) {
  if (offline) {
    app->add_option("--offline-passphrase-file", s.offline_pass_file,
                    "File holding the passphrase of the offline keys (root, targets, delegated "
                    "roles). Default: $DSS_OFFLINE_PASSPHRASE, else asked on the terminal");
  }
  if (online) {
    app->add_option("--online-passphrase-file", s.online_pass_file,
                    "File holding the passphrase of the online keys (snapshot, timestamp). "
                    "Default: $DSS_ONLINE_PASSPHRASE, else asked on the terminal");
  }
}

// Passphrase from a file, the environment, or the terminal (echo off). Never logged.
Result<SecretBytes> read_passphrase(const std::string& file, const char* env, std::string_view what) {
  return read_secret(file, env, "Passphrase for the " + std::string(what) + " keys: ",
                     "passphrase for the " + std::string(what) + " keys");
}

int fail(const Error& e) {
  std::cerr << "dss repo: " << e.to_string() << "\n";
  return 1;
}

void print(const repo::Report& r) {
  for (const auto& line : r.lines) std::cout << line << "\n";
}

volatile std::sig_atomic_t g_stop = 0;
void on_signal(int) { g_stop = 1; }

}  // namespace

RepoCommands::RepoCommands(CLI::App& app) : s_(std::make_unique<State>()) {
  State& s = *s_;
  app.require_subcommand(1);

  s.init = app.add_subcommand("init", "Create a new repository: keys for root, targets, snapshot "
                                      "and timestamp, and the first signed metadata");
  add_dir(s.init, s.dir);
  s.init->add_option("--scheme", s.scheme, "Signature scheme of new keys: ed25519 (default), "
                                           "ecdsa-sha2-nistp256 or rsassa-pss-sha256");
  s.init->add_option("--root-keys", s.init_o.root_keys, "Number of root keys (default 1)");
  s.init->add_option("--root-threshold", s.init_o.root_threshold,
                     "Root signatures required (default 1)");
  s.init->add_option("--targets-keys", s.init_o.targets_keys, "Number of targets keys (default 1)");
  s.init->add_option("--targets-threshold", s.init_o.targets_threshold,
                     "Targets signatures required (default 1)");
  s.init->add_option("--root-expiry-days", s.init_o.settings.root_days,
                     "How long a root signature stays valid (default 365)");
  s.init->add_option("--targets-expiry-days", s.init_o.settings.targets_days,
                     "How long a targets signature stays valid (default 90)");
  s.init->add_option("--snapshot-expiry-days", s.init_o.settings.snapshot_days,
                     "How long a snapshot signature stays valid (default 7)");
  s.init->add_option("--timestamp-expiry-days", s.init_o.settings.timestamp_days,
                     "How long a timestamp signature stays valid (default 1); run `dss repo "
                     "refresh` more often than this");
  s.init->add_option("--offline-keys-dir", s.init_o.settings.offline_keys_dir,
                     "Where to keep the offline keys (default REPO/keys/offline); in production, "
                     "removable media");
  add_passphrase_options(s.init, s, true, true);

  s.add_target = app.add_subcommand("add-target", "Publish a file as a target (a new release)");
  add_dir(s.add_target, s.dir);
  s.add_target->add_option("FILE", s.file, "The file to publish")->required();
  s.add_target->add_option("--as", s.target_path,
                           "Its path in the repository, e.g. app/1.2/app.tar.gz (default: the "
                           "file name)");
  s.add_target->add_option("--role", s.role, "Targets role that lists it (default targets)");
  s.add_target->add_option("--custom", s.custom, "JSON object stored with the target");
  add_passphrase_options(s.add_target, s, true, true);

  s.remove_target = app.add_subcommand("remove-target", "Stop listing a target");
  add_dir(s.remove_target, s.dir);
  s.remove_target->add_option("TARGET", s.target_path, "The target's path in the repository")
      ->required();
  s.remove_target->add_option("--role", s.role, "Targets role that lists it (default targets)");
  add_passphrase_options(s.remove_target, s, true, true);

  s.delegate = app.add_subcommand("delegate", "Delegate trust for some target paths to a new role "
                                              "with its own keys");
  add_dir(s.delegate, s.dir);
  s.delegate->add_option("--name", s.del.name, "Name of the new role")->required();
  s.delegate->add_option("--from", s.del.delegator, "Delegating role (default targets)");
  s.delegate->add_option("--path", s.del.paths,
                         "Path pattern the role is trusted for (repeatable; * and ? match within "
                         "one path segment)");
  s.delegate->add_option("--hash-prefix", s.del.hash_prefixes,
                         "Hex prefix of the SHA-256 of target paths (repeatable)");
  s.delegate->add_flag("--terminating", s.del.terminating,
                       "If the role is trusted for a path, do not search other roles for it");
  s.delegate->add_option("--keys", s.del.keys, "Number of keys for the role (default 1)");
  s.delegate->add_option("--threshold", s.del.threshold, "Signatures required (default 1)");
  add_passphrase_options(s.delegate, s, true, true);

  s.sign = app.add_subcommand("sign", "Sign metadata waiting in REPO/pending with one key, "
                                      "writing a detached signature file");
  add_dir(s.sign, s.dir);
  s.sign->add_option("--role", s.role, "Role of the pending metadata")->required();
  s.sign->add_option("--key", s.key_file, "Your key file")->required();
  s.sign->add_option("--out", s.out_file, "Where to write the signature file")->required();
  add_passphrase_options(s.sign, s, true, false);

  s.merge = app.add_subcommand("merge", "Add detached signatures to pending metadata; publish it "
                                        "once its thresholds are met");
  add_dir(s.merge, s.dir);
  s.merge->add_option("SIGNATURE", s.sig_files, "Signature files from `dss repo sign`")->required();
  add_passphrase_options(s.merge, s, false, true);

  s.rotate = app.add_subcommand("rotate-key", "Replace keys of a role (root included): add new "
                                              "keys, remove old ones, change the threshold");
  add_dir(s.rotate, s.dir);
  s.rotate->add_option("--role", s.rot.role, "Role whose keys change")->required();
  s.rotate->add_option("--remove", s.rot.remove_keyids, "Key id (or 8+ digit prefix) to remove");
  s.rotate->add_option("--add", s.rot.add_keys, "Number of new keys to create (default 1)");
  s.rotate->add_option("--threshold", s.rot_threshold, "New threshold (default: unchanged)");
  add_passphrase_options(s.rotate, s, true, true);

  s.refresh = app.add_subcommand("refresh", "Re-sign snapshot and timestamp with new expiry (run "
                                            "from a timer); --role also renews an offline role");
  add_dir(s.refresh, s.dir);
  s.refresh->add_option("--role", s.refresh_roles, "Also renew this role (root, targets, ...)");
  add_passphrase_options(s.refresh, s, true, true);

  s.status = app.add_subcommand("status", "Show each role's version, keys and expiry, with "
                                          "warnings well before anything expires");
  add_dir(s.status, s.dir);

  s.verify = app.add_subcommand("verify", "Check the repository offline, as a client would, "
                                          "including every target file");
  add_dir(s.verify, s.dir);

  s.serve = app.add_subcommand("serve", "Serve the repository over HTTPS (a certificate is "
                                        "created in REPO/tls if missing)");
  add_dir(s.serve, s.dir);
  s.serve->add_option("--bind", s.bind, "Address to listen on (default 127.0.0.1)");
  s.serve->add_option("--port", s.port, "Port (default 8443; 0 picks a free one)");
  s.serve->add_option("--port-file", s.port_file, "Write the port here once listening");
}

RepoCommands::~RepoCommands() = default;

int RepoCommands::run() {
  State& s = *s_;
  platform::SystemClock clock;
  const UnixSeconds now = clock.now();
  const fs::path dir(s.dir);
  const auto secrets = [&](bool offline, bool online) -> Result<repo::Secrets> {
    repo::Secrets out;
    if (offline) {
      DSS_TRY(out.offline, read_passphrase(s.offline_pass_file, "DSS_OFFLINE_PASSPHRASE", "offline"));
    }
    if (online) {
      DSS_TRY(out.online, read_passphrase(s.online_pass_file, "DSS_ONLINE_PASSPHRASE", "online"));
    }
    return out;
  };
  const auto report = [&](Result<repo::Report> r) {
    if (!r) return fail(r.error());
    print(*r);
    return 0;
  };
  try {
    if (s.init->parsed()) {
      auto scheme = crypto::key_scheme_from_name(s.scheme);
      if (!scheme) return fail(scheme.error());
      s.init_o.settings.scheme = *scheme;
      s.init_o.dir = dir;
      auto sec = secrets(true, true);
      if (!sec) return fail(sec.error());
      return report(repo::init(s.init_o, *sec, now));
    }
    if (s.add_target->parsed()) {
      auto sec = secrets(true, true);
      if (!sec) return fail(sec.error());
      repo::AddTargetOptions o;
      o.dir = dir;
      o.file = s.file;
      o.target_path = s.target_path.empty() ? fs::path(s.file).filename().string() : s.target_path;
      o.role = s.role;
      o.custom_json = s.custom;
      return report(repo::add_target(o, *sec, now));
    }
    if (s.remove_target->parsed()) {
      auto sec = secrets(true, true);
      if (!sec) return fail(sec.error());
      return report(repo::remove_target(dir, s.role, s.target_path, *sec, now));
    }
    if (s.delegate->parsed()) {
      auto sec = secrets(true, true);
      if (!sec) return fail(sec.error());
      s.del.dir = dir;
      return report(repo::delegate(s.del, *sec, now));
    }
    if (s.sign->parsed()) {
      auto pass = read_passphrase(s.offline_pass_file, "DSS_OFFLINE_PASSPHRASE", "offline");
      if (!pass) return fail(pass.error());
      auto sig = repo::sign(dir, s.role, s.key_file, *pass);
      if (!sig) return fail(sig.error());
      if (auto w = platform::write_file_atomic(s.out_file, *sig, platform::FileMode::kPublic); !w) {
        return fail(w.error());
      }
      std::cout << "signature written to " << s.out_file << "\n";
      return 0;
    }
    if (s.merge->parsed()) {
      auto sec = secrets(false, true);
      if (!sec) return fail(sec.error());
      std::vector<fs::path> files(s.sig_files.begin(), s.sig_files.end());
      return report(repo::merge(dir, files, *sec, now));
    }
    if (s.rotate->parsed()) {
      auto sec = secrets(true, true);
      if (!sec) return fail(sec.error());
      s.rot.dir = dir;
      if (s.rot_threshold != 0) s.rot.threshold = s.rot_threshold;
      return report(repo::rotate_key(s.rot, *sec, now));
    }
    if (s.refresh->parsed()) {
      const bool offline = !s.refresh_roles.empty();
      auto sec = secrets(offline, true);
      if (!sec) return fail(sec.error());
      return report(repo::refresh(dir, s.refresh_roles, *sec, now));
    }
    if (s.status->parsed()) {
      auto st = repo::status(dir, now);
      if (!st) return fail(st.error());
      std::printf("%-12s %8s  %-21s %-10s %s\n", "ROLE", "VERSION", "EXPIRES (UTC)", "THRESHOLD",
                  "KEYS");
      for (const auto& r : st->roles) {
        std::string keys;
        for (const auto& k : r.keyids) keys += (keys.empty() ? "" : ",") + k.substr(0, 12);
        std::printf("%-12s %8lld  %-21s %lld of %-5zu %s\n", r.role.c_str(),
                    static_cast<long long>(r.version), format_utc_timestamp(r.expires).c_str(),
                    static_cast<long long>(r.threshold), r.keyids.size(), keys.c_str());
      }
      for (const auto& p : st->pending) std::cout << "PENDING: " << p << " awaits signatures\n";
      for (const auto& w : st->warnings) std::cout << w << "\n";
      bool error = false;
      for (const auto& w : st->warnings) error = error || w.starts_with("ERROR");
      return error ? 1 : 0;
    }
    if (s.verify->parsed()) {
      auto problems = repo::verify(dir, now);
      if (!problems) return fail(problems.error());
      for (const auto& p : *problems) std::cout << "PROBLEM: " << p << "\n";
      if (!problems->empty()) return 1;
      std::cout << "repository " << s.dir << " verifies: signatures, versions, hashes, expiry "
                   "and every target file\n";
      return 0;
    }
    if (s.serve->parsed()) {
      const fs::path tls = dir / "tls";
      std::error_code ec;
      if (!fs::exists(tls / "cert.pem", ec)) {
        if (auto d = platform::ensure_private_dir(tls); !d) return fail(d.error());
        if (auto c = httpd::generate_self_signed_cert(tls / "cert.pem", tls / "key.pem"); !c) {
          return fail(c.error());
        }
      }
      httpd::StaticHttpsServer::Options o;
      o.root = dir;
      // Only metadata/ and targets/ are served; keys and settings never are.
      o.only_under = {"metadata", "targets"};
      o.cert_pem = tls / "cert.pem";
      o.key_pem = tls / "key.pem";
      o.bind = s.bind;
      o.port = s.port;
      auto server = httpd::StaticHttpsServer::start(o);
      if (!server) return fail(server.error());
      std::cout << "serving https://" << s.bind << ":" << (*server)->port()
                << "/metadata/ and /targets/ (certificate: " << (tls / "cert.pem").string()
                << "); Ctrl-C stops\n"
                << std::flush;
      if (!s.port_file.empty()) {
        if (auto w = platform::write_file_atomic(s.port_file, std::to_string((*server)->port()),
                                                 platform::FileMode::kPublic);
            !w) {
          return fail(w.error());
        }
      }
      std::signal(SIGINT, on_signal);
      std::signal(SIGTERM, on_signal);
      while (g_stop == 0) ::pause();
      (*server)->stop();
      return 0;
    }
  } catch (const std::exception& e) {
    std::cerr << "dss repo: internal error: " << e.what() << "\n";
    return 1;
  }
  return 1;
}

}  // namespace dss::cli
