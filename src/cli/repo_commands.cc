#include "cli/repo_commands.h"

#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <ctime>
#include <iostream>

#include "agent/archive.h"
#include "cli/prompt.h"
#include "httpd/server.h"
#include "platform/files.h"
#include "platform/system_clock.h"
#include "repo/release.h"
#include "repo/repository.h"
#include "repo/transparency.h"
#include "settings/engine.h"
#include "settings/snapshot.h"
#include "settings/system.h"
#include "tls/server_context.h"

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
  CLI::App* transparency = nullptr;
  CLI::App* transparency_status = nullptr;
  CLI::App* transparency_verify = nullptr;

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
  // release, sbom, advisory
  CLI::App* release_publish = nullptr;
  CLI::App* release_list = nullptr;
  CLI::App* release_show = nullptr;
  CLI::App* release_withdraw = nullptr;
  CLI::App* sbom_show = nullptr;
  CLI::App* advisory_publish = nullptr;
  CLI::App* advisory_list = nullptr;
  CLI::App* policy_publish = nullptr;
  std::string name, version, artifact, sbom_file, channel = "stable", dss_json_file;
  const std::string* state_dir = nullptr;  // main's --state, read after parsing
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
Result<SecretBytes> read_passphrase(const std::string& file, const char* env,
                                    std::string_view what) {
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

// The settings the owner set in the state folder. Unreadable settings are an error, never a
// silent default (ADR 0041).
Result<settings::Snapshot> owner_settings(const std::string& state_dir) {
  settings::FileSettingsStore store{fs::path(state_dir)};
  DSS_TRY(const auto state, store.load());
  return settings::Snapshot(state);
}

// A repository whose keys its own agents would refuse publishes nothing they install: refused
// before any key is made, naming the setting.
Status check_scheme_accepted(crypto::KeyScheme scheme, const crypto::AllowedSchemes& allowed) {
  if (allowed.allows(scheme)) return ok();
  return make_error(
      ErrorCode::kUnsupported,
      "--scheme " + std::string(crypto::key_scheme_name(scheme)) + ": agents refuse " +
          std::string(crypto::scheme_setting_word(scheme)) + " signatures while " +
          std::string(crypto::kAllowedSchemesSetting) + " is " + allowed.to_string() +
          ", so they would install nothing from this repository. Use ed25519 or "
          "ecdsa-sha2-nistp256; or, if your agents accept it, loosen the setting here too "
          "(`dss settings set " +
          std::string(crypto::kAllowedSchemesSetting) + " " + allowed.to_string() + "," +
          std::string(crypto::scheme_setting_word(scheme)) +
          "`, which asks you to accept the risk) and on each agent. Nothing was created.");
}

// Extracts the archive into a scratch folder with the agents' own checks and returns its size
// and entry count; an archive agents would refuse is refused here, before anything is signed.
Result<agent::ExtractStats> measure_archive(const fs::path& archive) {
  std::error_code ec;
  const fs::path scratch =
      fs::temp_directory_path(ec) / ("dss-release-check-" + std::to_string(::getpid()));
  fs::remove_all(scratch, ec);
  agent::ArchiveLimits limits;
  limits.max_bytes = 64ull << 30;
  limits.max_entries = 4'000'000;
  auto stats = agent::extract_tar_zst(archive, scratch, limits);
  fs::remove_all(scratch, ec);
  if (!stats) {
    return make_error(stats.error().code, "the release archive would be refused by the agents: " +
                                              stats.error().message + ". Nothing was published.");
  }
  return stats;
}

std::string format_utc(UnixSeconds t) {
  char buf[32];
  const std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  const std::size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  DSS_CHECK(n > 0);  // 20 characters, or 27 for an 11-digit year: fits in 32
  return buf;
}

// NOLINTNEXTLINE(cppcoreguidelines-avoid-non-const-global-variables): a signal handler's flag
volatile std::sig_atomic_t g_stop = 0;
void on_signal(int) { g_stop = 1; }

}  // namespace

RepoCommands::RepoCommands(CLI::App& app, const std::string& state_dir)
    : s_(std::make_unique<State>()) {
  State& s = *s_;
  s.state_dir = &state_dir;
  app.require_subcommand(1);

  auto* release = app.add_subcommand("release",
                                     "Releases with their SBOMs: publish, list, show, "
                                     "withdraw (the archive keeps everything)");
  release->require_subcommand(1);
  s.release_publish = release->add_subcommand(
      "publish",
      "Publish NAME VERSION from a tar.zst archive with its SBOM (required: CycloneDX "
      "1.5/1.6 or SPDX 2.3 JSON with the NTIA minimum elements)");
  add_dir(s.release_publish, s.dir);
  s.release_publish->add_option("NAME", s.name, "Release name, e.g. myapp")->required();
  s.release_publish->add_option("VERSION", s.version, "Version, 1 to 4 numbers: 1.4.2")->required();
  s.release_publish->add_option("ARTIFACT", s.artifact, "The release archive (.tar.zst)")
      ->required();
  s.release_publish->add_option("--sbom", s.sbom_file, "The release's SBOM (JSON)");
  s.release_publish->add_option("--channel", s.channel, "Channel (default stable)");
  s.release_publish->add_option("--dss-json", s.dss_json_file,
                                "File with a JSON object of hooks, health check and "
                                "allow_downgrade for the agents (see src/agent/release.h)");
  add_passphrase_options(s.release_publish, s, true, true);
  s.release_list =
      release->add_subcommand("list", "Every release ever published, withdrawn or not");
  add_dir(s.release_list, s.dir);
  s.release_list->add_option("NAME", s.name, "Only this release name");
  s.release_show = release->add_subcommand("show", "One release: target, hashes, SBOM, status");
  add_dir(s.release_show, s.dir);
  s.release_show->add_option("NAME", s.name, "Release name")->required();
  s.release_show->add_option("VERSION", s.version, "Version")->required();
  s.release_withdraw = release->add_subcommand(
      "withdraw", "Remove a release from its channel; it stays in the archive");
  add_dir(s.release_withdraw, s.dir);
  s.release_withdraw->add_option("NAME", s.name, "Release name")->required();
  s.release_withdraw->add_option("VERSION", s.version, "Version")->required();
  add_passphrase_options(s.release_withdraw, s, true, true);
  auto* sbom = app.add_subcommand("sbom", "SBOMs of published releases");
  sbom->require_subcommand(1);
  s.sbom_show =
      sbom->add_subcommand("show", "Print the SBOM of NAME VERSION, checked against its hash");
  add_dir(s.sbom_show, s.dir);
  s.sbom_show->add_option("NAME", s.name, "Release name")->required();
  s.sbom_show->add_option("VERSION", s.version, "Version")->required();
  auto* advisory = app.add_subcommand("advisory", "Security advisories that make agents update");
  advisory->require_subcommand(1);
  s.advisory_publish = advisory->add_subcommand(
      "publish",
      "Publish an OSV (or CSAF 2.0) advisory: affected ranges, fixed version, CVSS "
      "vector and CWE are required");
  add_dir(s.advisory_publish, s.dir);
  s.advisory_publish->add_option("FILE", s.file, "The advisory (JSON)")->required();
  add_passphrase_options(s.advisory_publish, s, true, true);
  s.advisory_list = advisory->add_subcommand("list", "Every advisory published");
  add_dir(s.advisory_list, s.dir);

  auto* policy = app.add_subcommand("policy", "Settings policy bundles that agents apply");
  policy->require_subcommand(1);
  s.policy_publish =
      policy->add_subcommand("publish",
                             "Publish a settings policy bundle (floors agents may not go below) as "
                             "policy/bundle.json, logged in the transparency log");
  add_dir(s.policy_publish, s.dir);
  s.policy_publish->add_option("FILE", s.file, "The policy bundle (JSON)")->required();
  add_passphrase_options(s.policy_publish, s, true, true);

  s.init = app.add_subcommand("init",
                              "Create a new repository: keys for root, targets, snapshot "
                              "and timestamp, and the first signed metadata");
  add_dir(s.init, s.dir);
  s.init->add_option("--scheme", s.scheme,
                     "Signature scheme of new keys: ed25519 (default), "
                     "ecdsa-sha2-nistp256 or rsassa-pss-sha256 (refused unless "
                     "crypto.allowed_signature_algorithms allows rsa-pss: agents on "
                     "their defaults refuse RSA signatures)");
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

  s.delegate = app.add_subcommand("delegate",
                                  "Delegate trust for some target paths to a new role "
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

  s.sign = app.add_subcommand("sign",
                              "Sign metadata waiting in REPO/pending with one key, "
                              "writing a detached signature file");
  add_dir(s.sign, s.dir);
  s.sign->add_option("--role", s.role, "Role of the pending metadata")->required();
  s.sign->add_option("--key", s.key_file, "Your key file")->required();
  s.sign->add_option("--out", s.out_file, "Where to write the signature file")->required();
  add_passphrase_options(s.sign, s, true, false);

  s.merge = app.add_subcommand("merge",
                               "Add detached signatures to pending metadata; publish it "
                               "once its thresholds are met");
  add_dir(s.merge, s.dir);
  s.merge->add_option("SIGNATURE", s.sig_files, "Signature files from `dss repo sign`")->required();
  add_passphrase_options(s.merge, s, false, true);

  s.rotate = app.add_subcommand("rotate-key",
                                "Replace keys of a role (root included): add new "
                                "keys, remove old ones, change the threshold");
  add_dir(s.rotate, s.dir);
  s.rotate->add_option("--role", s.rot.role, "Role whose keys change")->required();
  s.rotate->add_option("--remove", s.rot.remove_keyids, "Key id (or 8+ digit prefix) to remove");
  s.rotate->add_option("--add", s.rot.add_keys, "Number of new keys to create (default 1)");
  s.rotate->add_option("--threshold", s.rot_threshold, "New threshold (default: unchanged)");
  add_passphrase_options(s.rotate, s, true, true);

  s.refresh = app.add_subcommand("refresh",
                                 "Re-sign snapshot and timestamp with new expiry (run "
                                 "from a timer); --role also renews an offline role");
  add_dir(s.refresh, s.dir);
  s.refresh->add_option("--role", s.refresh_roles, "Also renew this role (root, targets, ...)");
  add_passphrase_options(s.refresh, s, true, true);

  s.status = app.add_subcommand("status",
                                "Show each role's version, keys and expiry, with "
                                "warnings well before anything expires");
  add_dir(s.status, s.dir);

  s.verify = app.add_subcommand("verify",
                                "Check the repository offline, as a client would, "
                                "including every target file");
  add_dir(s.verify, s.dir);

  s.transparency =
      app.add_subcommand("transparency",
                         "The release transparency log: every published release, SBOM, advisory "
                         "and policy bundle, with a signed checkpoint and proofs agents check");
  s.transparency->require_subcommand(1);
  s.transparency_status = s.transparency->add_subcommand(
      "status", "Show the log's origin, key, size, root and newest entries");
  add_dir(s.transparency_status, s.dir);
  s.transparency_verify = s.transparency->add_subcommand(
      "verify", "Recheck the log and every published checkpoint, inclusion and consistency proof");
  add_dir(s.transparency_verify, s.dir);

  s.serve = app.add_subcommand("serve",
                               "Serve the repository over HTTPS (a certificate is "
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
      DSS_TRY(out.offline,
              read_passphrase(s.offline_pass_file, "DSS_OFFLINE_PASSPHRASE", "offline"));
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
    if (s.release_publish->parsed()) {
      repo::PublishReleaseOptions o;
      o.dir = dir;
      o.name = s.name;
      o.version = s.version;
      o.channel = s.channel;
      o.artifact = s.artifact;
      if (!s.sbom_file.empty()) o.sbom = fs::path(s.sbom_file);
      auto owner = owner_settings(*s.state_dir);
      if (!owner) return fail(owner.error());
      o.sbom_optional = !owner->get(settings::key::kReleaseRequireSbom);
      if (!s.dss_json_file.empty()) {
        auto extra = platform::read_file(s.dss_json_file, 1 << 20);
        if (!extra) return fail(extra.error());
        o.extra_dss_json.assign(reinterpret_cast<const char*>(extra->data()), extra->size());
      }
      // The same extractor the agents run checks the archive before it is signed, and
      // measures the bounds the agents will enforce.
      auto stats = measure_archive(o.artifact);
      if (!stats) return fail(stats.error());
      o.unpacked_bytes = stats->bytes;
      o.entries = stats->entries;
      auto sec = secrets(true, true);
      if (!sec) return fail(sec.error());
      return report(repo::publish_release(o, *sec, now));
    }
    if (s.release_list->parsed()) {
      auto all = repo::list_releases(dir, s.name);
      if (!all) return fail(all.error());
      if (all->empty()) std::cout << "no release published yet\n";
      for (const auto& r : *all) {
        std::cout << r.name << " " << r.version << "  " << r.channel << "  "
                  << (r.withdrawn ? "withdrawn" : "published") << "  "
                  << (r.sbom_target.empty() ? "NO SBOM" : r.sbom_format) << "  sha256 "
                  << r.sha256.substr(0, 16) << "\n";
      }
      return 0;
    }
    if (s.release_show->parsed()) {
      auto r = repo::find_release(dir, s.name, s.version);
      if (!r) return fail(r.error());
      std::cout << "release:   " << r->name << " " << r->version << "\n"
                << "channel:   " << r->channel << (r->withdrawn ? " (withdrawn)" : "") << "\n"
                << "target:    " << r->target << "\n"
                << "sha256:    " << r->sha256 << "\n"
                << "length:    " << r->length << " bytes\n"
                << "published: " << format_utc(r->published) << "\n";
      if (r->withdrawn) std::cout << "withdrawn: " << format_utc(*r->withdrawn) << "\n";
      std::cout << "sbom:      "
                << (r->sbom_target.empty()
                        ? std::string("none (published while release.require_sbom was loosened)")
                        : r->sbom_format + ", " + r->sbom_target + ", sha256 " + r->sbom_sha256)
                << "\n";
      return 0;
    }
    if (s.release_withdraw->parsed()) {
      auto sec = secrets(true, true);
      if (!sec) return fail(sec.error());
      return report(repo::withdraw_release(dir, s.name, s.version, *sec, now));
    }
    if (s.sbom_show->parsed()) {
      auto text = repo::read_sbom(dir, s.name, s.version);
      if (!text) return fail(text.error());
      std::cout << *text;
      if (!text->empty() && text->back() != '\n') std::cout << "\n";
      return 0;
    }
    if (s.advisory_publish->parsed()) {
      auto sec = secrets(true, true);
      if (!sec) return fail(sec.error());
      return report(repo::publish_advisory(dir, s.file, *sec, now));
    }
    if (s.policy_publish->parsed()) {
      auto sec = secrets(true, true);
      if (!sec) return fail(sec.error());
      return report(repo::publish_policy(dir, s.file, *sec, now));
    }
    if (s.advisory_list->parsed()) {
      auto all = repo::list_advisories(dir);
      if (!all) return fail(all.error());
      if (all->empty()) std::cout << "no advisory published yet\n";
      for (const auto& a : *all)
        std::cout << a.id << "  " << a.target << "  " << format_utc(a.published) << "\n";
      return 0;
    }
    if (s.init->parsed()) {
      auto scheme = crypto::key_scheme_from_name(s.scheme);
      if (!scheme) return fail(scheme.error());
      auto owner = owner_settings(*s.state_dir);
      if (!owner) return fail(owner.error());
      if (auto accepted = check_scheme_accepted(
              *scheme, crypto::AllowedSchemes::from_setting(
                           owner->get(settings::key::kCryptoAllowedSignatureAlgorithms)));
          !accepted) {
        return fail(accepted.error());
      }
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
      std::cout << "repository " << s.dir
                << " verifies: signatures, versions, hashes, expiry "
                   "and every target file\n";
      return 0;
    }
    if (s.transparency_status->parsed()) {
      auto st = repo::transparency_status(dir);
      if (!st) return fail(st.error());
      if (!st->exists) {
        std::cout << "no transparency log yet: it starts with the first published release\n";
        return 0;
      }
      std::cout << "origin:       " << st->origin << "\n"
                << "verifier key: " << st->verifier_key << "\n"
                << "entries:      " << st->size << "\n"
                << "root:         " << st->root_hex << "\n";
      for (const auto& e : st->last_entries) std::cout << "  " << e << "\n";
      return 0;
    }
    if (s.transparency_verify->parsed()) {
      auto st = repo::transparency_status(dir);
      if (!st) return fail(st.error());
      if (!st->exists) {
        std::cout << "no transparency log yet: it starts with the first published release\n";
        return 0;
      }
      auto problems = repo::transparency_verify(dir);
      if (!problems) return fail(problems.error());
      for (const auto& p : *problems) std::cout << "PROBLEM: " << p << "\n";
      if (!problems->empty()) return 1;
      std::cout << "transparency log of " << s.dir
                << " verifies: entries, checkpoints, and every "
                   "published inclusion and consistency proof\n";
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
      // Only metadata/, targets/ and the published transparency files are served; keys,
      // settings and the log's private store never are.
      o.only_under = {"metadata", "targets", "transparency/checkpoint", "transparency/entries",
                      "transparency/consistency"};
      o.cert_pem = tls / "cert.pem";
      o.key_pem = tls / "key.pem";
      o.bind = s.bind;
      o.port = s.port;
      // tls.min_version: the same setting, and the same policy (tls/server_context.h), as
      // `dss server`.
      auto owner = owner_settings(*s.state_dir);
      if (!owner) return fail(owner.error());
      o.tls_floor = tls::floor_from_setting(owner->get(settings::key::kTlsMinVersion));
      auto server = httpd::StaticHttpsServer::start(o);
      if (!server) return fail(server.error());
      std::cout << "serving " << tls::https_origin(s.bind, std::to_string((*server)->port()))
                << "/metadata/, /targets/ and /transparency/ (certificate: "
                << (tls / "cert.pem").string() << "); Ctrl-C stops\n"
                << std::flush;
      if (!s.port_file.empty()) {
        if (auto w = platform::write_file_atomic(s.port_file, std::to_string((*server)->port()),
                                                 platform::FileMode::kPublic);
            !w) {
          return fail(w.error());
        }
      }
      // signal() fails only for an invalid signal number or handler (EINVAL): not these.
      static_cast<void>(std::signal(SIGINT, on_signal));
      static_cast<void>(std::signal(SIGTERM, on_signal));
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
