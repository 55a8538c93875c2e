#include "agent/agent.h"

#include <malloc.h>

#include <algorithm>
#include <iostream>
#include <nlohmann/json.hpp>

#include "advisory/advisory.h"
#include "agent/release.h"
#include "core/bytes.h"
#include "crypto/keys.h"
#include "net/post.h"
#include "platform/files.h"
#include "settings/system.h"
#include "transparency/verify.h"

namespace dss::agent {

namespace fs = std::filesystem;
using nlohmann::json;
using transparency::check_extends;
using transparency::check_inclusion;
using transparency::LogKey;
using transparency::open_log_checkpoint;
using transparency::parse_log_target;

fs::path agent_dir(const fs::path& state_dir) { return state_dir / "agent"; }

namespace {

constexpr std::uint64_t kMaxDeviceFileBytes = 16ull * 1024;
constexpr std::uint64_t kMaxLogFileBytes = 64ull * 1024;
constexpr std::uint64_t kMaxCheckpointNote = 2048;  // the check-in field's limit (devproto)
constexpr std::string_view kLogTarget = "transparency/log.json";

// A failure is a refusal (the data is bad: not retried as it is) or a failure (retried with
// backoff), by the code's category (core/error.h), so a new code is classified where it is
// declared and not by a list kept here.
bool is_refusal(ErrorCode c) { return error_category(c) == ErrorCategory::kRefused; }

bool setting_bool(const settings::SettingsState& s, std::string_view key, bool dflt) {
  auto e = settings::resolve_one(s, key);
  if (!e) return dflt;
  if (const auto* v = std::get_if<bool>(&e->value)) return *v;
  return dflt;
}

std::int64_t setting_int(const settings::SettingsState& s, std::string_view key,
                         std::int64_t dflt) {
  auto e = settings::resolve_one(s, key);
  if (!e) return dflt;
  if (const auto* v = std::get_if<std::int64_t>(&e->value)) return *v;
  return dflt;
}

// The newest version above the installed one whose installs were interrupted after the switch
// (ADR 0038): the one the device keeps failing to install. Counts of versions at or below the
// installed one are history, not a problem to report.
std::optional<devproto::InterruptedInstallReport> interrupted_install(const AgentState& st) {
  const auto installed = Version::parse(st.installed);
  std::optional<Version> newest;
  std::optional<devproto::InterruptedInstallReport> out;
  for (const auto& [version, i] : st.interrupted) {
    const auto v = Version::parse(version);
    if (!v || i.count <= 0 || (installed && *v <= *installed) || (newest && *v <= *newest)) {
      continue;
    }
    newest = *v;
    out = devproto::InterruptedInstallReport{version, static_cast<std::uint64_t>(i.count)};
  }
  return out;
}

struct Candidate {
  client::TargetInfo info;
  Release release;
};

}  // namespace

struct Agent::Impl {
  AgentOptions options;
  const settings::SystemProbe* probe = nullptr;
  const Clock* clock = nullptr;
  std::unique_ptr<net::Fetcher> fetcher;
  std::optional<client::DirectoryMetadataStore> metadata;
  std::optional<Installer> installer;
  settings::FileSettingsStore settings_store{""};
  std::unique_ptr<settings::AuditLogSink> audit;
  std::unique_ptr<settings::SettingsEngine> engine;
  std::mt19937_64 rng{std::random_device{}()};
  std::vector<settings::CheckResult> last_domain;

  fs::path dir() const { return agent_dir(options.state_dir); }

  client::UpdaterConfig updater_config() const {
    client::UpdaterConfig c;
    std::string base = options.repo_url;
    if (!base.ends_with("/")) base += "/";
    c.metadata_base_url = base + "metadata/";
    c.target_base_url = base + "targets/";
    return c;
  }

  settings::SettingsState settings_state() {
    auto s = settings_store.load();
    return s ? *s : settings::SettingsState{};
  }

  Status check_domain(const settings::SettingsState& s) {
    last_domain = settings::check_domain(*probe, s, {options.state_dir.string(), ""});
    return settings::enforce_domain(*probe, s, {options.state_dir.string(), ""});
  }

  // Applies a new signed policy bundle, if the repository has one and it changed.
  void apply_policy(client::Updater& updater, std::string& note) {
    if (options.policy_target.empty()) return;
    auto info = updater.get_target_info(options.policy_target);
    if (!info) {
      if (info.error().code != ErrorCode::kTargetNotFound) {
        ignore_error(
            engine->record_policy_refusal("tuf target " + options.policy_target, info.error()));
        note = "; policy bundle refused: " + info.error().to_string();
      }
      return;
    }
    const auto sha = info->file.hashes.find("sha256");
    const std::string digest = sha == info->file.hashes.end() ? "" : sha->second;
    AgentState& st = installer->mutable_state();
    if (!digest.empty() && digest == st.policy_sha256) return;  // applied already
    const std::string source = "tuf target " + options.policy_target;
    auto refuse = [&](const Error& e) {
      ignore_error(engine->record_policy_refusal(source, e));  // the refusal stands regardless
      note = "; policy bundle refused: " + e.to_string();
    };
    if (info->file.length > settings::kMaxPolicyBundleBytes) {
      return refuse(Error{ErrorCode::kDownloadTooLarge, "the policy bundle is too large"});
    }
    const fs::path file = dir() / "policy-bundle.json";
    if (auto d = updater.download_target(*info, file); !d) return refuse(d.error());
    auto bytes = platform::read_text_file(file, settings::kMaxPolicyBundleBytes);
    if (!bytes) return refuse(bytes.error());
    // Like a release, a policy bundle must be in the log everybody else sees. A log that cannot
    // be reached now is retried at the next cycle (the digest is not remembered).
    std::string log_note;
    if (auto t = check_transparency(updater, "policy", digest, log_note); !t) {
      if (!is_refusal(t.error().code)) {
        note = "; policy bundle not applied yet: " + t.error().to_string();
        return;
      }
      st.policy_sha256 = digest;
      return refuse(t.error());
    }
    auto outcome = engine->apply_policy_bundle(*bytes, source);
    st.policy_sha256 = digest;  // refused or applied, the same bytes are not fetched again
    if (outcome) {
      st.policy_version = outcome->bundle_version;
      note = "; policy bundle " + std::to_string(outcome->bundle_version) + " applied" + log_note;
    } else {
      note = "; policy bundle refused: " + outcome.error().to_string();
    }
  }

  bool downgrade_allowed(const Release& r) {
    return r.allow_downgrade || setting_bool(settings_state(), "update.allow_downgrade", false);
  }

  // Releases on the channel, newest first, skipping entries whose metadata is not a release.
  Result<std::vector<Candidate>> releases(client::Updater& updater) {
    const std::string prefix = options.app + "/" + options.channel + "/";
    DSS_TRY(std::vector<std::string> names, updater.list_targets(prefix));
    std::vector<Candidate> out;
    for (const std::string& name : names) {
      DSS_TRY(client::TargetInfo info, updater.get_target_info(name));
      auto release = parse_release(name, info.file.custom);
      if (!release) continue;  // not a release (a signature file, notes): ignored
      out.push_back(Candidate{std::move(info), std::move(*release)});
    }
    std::sort(out.begin(), out.end(), [](const Candidate& a, const Candidate& b) {
      return a.release.version > b.release.version;
    });
    return out;
  }

  // Advisories (targets "advisories/<id>.json", signed like releases) that affect the installed
  // version. Each is fetched once (cached by hash); an unreadable one is noted, never trusted.
  std::vector<std::string> affecting_advisories(client::Updater& updater, std::string& note) {
    std::vector<std::string> ids;
    const auto installed = Version::parse(installer->state().installed);
    if (!installed) return ids;
    auto names = updater.list_targets("advisories/");
    if (!names) {
      note += "; advisories could not be listed: " + names.error().message;
      return ids;
    }
    const fs::path cache = dir() / "advisories";
    if (auto d = platform::ensure_private_dir(cache); !d) {
      note += "; " + d.error().message;
      return ids;
    }
    for (const std::string& name : *names) {
      auto info = updater.get_target_info(name);
      if (!info || info->file.length > advisory::kMaxAdvisoryBytes) continue;
      const auto sha = info->file.hashes.find("sha256");
      if (sha == info->file.hashes.end()) continue;
      const fs::path file = cache / (sha->second + ".json");
      std::error_code ec;
      if (!fs::exists(file, ec)) {
        if (auto d = updater.download_target(*info, file); !d) {
          note += "; advisory " + name + " could not be fetched: " + d.error().message;
          continue;
        }
      }
      auto text = platform::read_text_file(file, advisory::kMaxAdvisoryBytes);
      if (!text) continue;
      auto a = advisory::parse_osv(*text);
      if (!a) {
        note += "; advisory " + name + " refused: " + a.error().message;
        continue;
      }
      if (advisory::affecting_range(*a, options.app, *installed)) ids.push_back(a->id);
    }
    return ids;
  }

  // The newest release the policy allows, or nullptr; `skipped` notes a failed newer one.
  // Outside a security update (`urgent`), a release younger than update.deferral_hours waits.
  const Candidate* choose(const std::vector<Candidate>& list, std::string& skipped,
                          bool urgent = false, std::int64_t deferral_s = 0, UnixSeconds now = 0) {
    const AgentState& st = installer->state();
    const auto installed_v = Version::parse(st.installed);
    const auto highest_v = Version::parse(st.highest_committed);
    for (const Candidate& c : list) {
      const std::string v = c.release.version.text();
      if (installed_v && c.release.version <= *installed_v) break;
      if (st.failed.contains(v)) {
        if (skipped.empty()) skipped = "; " + v + " failed before and is not retried";
        continue;
      }
      if (held_after_interruptions(st, v, now)) {
        if (skipped.empty())
          skipped = "; " + v + " waits for its back-off after interrupted installs";
        continue;
      }
      if (highest_v && c.release.version < *highest_v && !downgrade_allowed(c.release)) continue;
      if (!urgent && deferral_s > 0 && c.release.published + deferral_s > now) {
        if (skipped.empty()) skipped = "; " + v + " waits for update.deferral_hours";
        continue;
      }
      return &c;
    }
    return nullptr;
  }

  CycleResult cycle(const Progress& progress) {
    AgentState& st = installer->mutable_state();
    st.channel = options.channel;
    const settings::SettingsState sstate = settings_state();
    // 1. The security domain.
    if (auto d = check_domain(sstate); !d) return {"failed", "", d.error().message, d.error().code};
    // 2. TUF refresh, and a new policy bundle at once.
    client::Updater updater(updater_config(), *fetcher, *metadata, *clock);
    if (auto r = updater.refresh(); !r) {
      return {"failed", "", "the repository could not be refreshed: " + r.error().message,
              r.error().code};
    }
    std::string policy_note;
    apply_policy(updater, policy_note);
    // 3. The newest release the policy allows.
    auto list = releases(updater);
    if (!list) return {"failed", "", list.error().message + policy_note, list.error().code};
    // Advisories against the installed version make this a security update: no deferral.
    st.advisories = affecting_advisories(updater, policy_note);
    const bool urgent = !st.advisories.empty();
    if (urgent) {
      std::string ids;
      for (const auto& id : st.advisories) ids += (ids.empty() ? "" : ", ") + id;
      policy_note += "; security update for " + ids;
    }
    std::string skipped;
    const Candidate* pick =
        choose(*list, skipped, urgent, setting_int(sstate, "update.deferral_hours", 0) * 3600,
               clock->now());
    const std::string installed = st.installed;
    if (pick == nullptr) {
      return {
          "none", installed,
          (installed.empty() ? std::string("no release is published on channel ") + options.channel
                             : installed + " is the newest release allowed") +
              skipped + policy_note,
          ErrorCode::kOk};
    }
    const std::string v = pick->release.version.text();
    if (!setting_bool(sstate, "update.auto_install", true)) {
      return {"none", installed,
              v + " is available; update.auto_install is off, so it waits for `dss agent once`" +
                  policy_note,
              ErrorCode::kOk};
    }
    // 4. Download with resume, bounded by the signed length, verified by the signed hashes.
    const auto sha = pick->info.file.hashes.find("sha256");
    const std::string id =
        sha != pick->info.file.hashes.end() ? sha->second : pick->info.file.hashes.begin()->second;
    const fs::path downloads = dir() / "downloads";
    if (auto d = platform::ensure_private_dir(downloads); !d) {
      return {"failed", v, d.error().message, d.error().code};
    }
    const fs::path archive = downloads / (id + ".tar.zst");
    const fs::path partial = downloads / (id + ".part");
    if (auto d = updater.download_target_resumable(pick->info, archive, partial, progress); !d) {
      const bool refused = is_refusal(d.error().code);
      return {refused ? "refused" : "failed", v,
              "the download of " + v + " was " + (refused ? "refused" : "interrupted") + ": " +
                  d.error().message + policy_note,
              d.error().code};
    }
    // 4b. The release must be in the transparency log everybody else sees.
    const std::string sha256 = sha != pick->info.file.hashes.end() ? sha->second : "";
    if (auto t = check_transparency(updater, "release", sha256, policy_note); !t) {
      std::error_code rm;
      fs::remove(archive, rm);
      // An unreachable log is a failure (retried with backoff); anything the log shows that
      // does not check out is a refusal. Either way nothing is installed.
      const ErrorCode c = t.error().code;
      const bool refused = is_refusal(c);
      return {refused ? "refused" : "failed", v,
              "the install of " + v + " was " + (refused ? "refused: " : "stopped: ") +
                  t.error().to_string() + policy_note,
              c};
    }
    // 5-6. Install, health check, commit or roll back.
    auto outcome = installer->install(archive, pick->release);
    std::error_code ec;
    fs::remove(archive, ec);
    if (!outcome) {
      const ErrorCode code = outcome.error().code;
      if (code == ErrorCode::kArchiveRefused || code == ErrorCode::kArchiveTooLarge) {
        st.failed.insert(v);  // the signed archive itself is bad: a newer release is needed
      }
      return {is_refusal(code) ? "refused" : "failed", v, outcome.error().message + policy_note,
              code};
    }
    if (!outcome->installed)
      return {"rolled_back", v, outcome->detail + policy_note, outcome->failure};
    std::string after_note;
    st.advisories =
        affecting_advisories(updater, after_note);  // what still affects the new version
    return {"installed", v, outcome->detail + policy_note, ErrorCode::kOk};
  }

  // --- Release transparency (ADR 0031)
  fs::path saved_checkpoint_path() const { return dir() / "transparency-checkpoint"; }

  std::string repo_base() const {
    std::string base = options.repo_url;
    if (!base.ends_with("/")) base += "/";
    return base + "transparency/";
  }

  // Fetches a published transparency file; kNotFound when the server has none.
  Result<std::string> fetch_log_file(const std::string& rel) {
    DSS_TRY(Bytes b, fetcher->fetch(repo_base() + rel, kMaxLogFileBytes));
    return std::string(as_chars(ByteView(b.data(), b.size())));
  }

  // Before an install (kind "release") or a policy bundle is applied (kind "policy"): the file
  // with SHA-256 `sha256` must be in the repository's transparency log, under a checkpoint signed
  // with the key TUF vouches for and consistent with the last checkpoint this device kept (which is
  // then advanced). A repository that never had a log passes with a warning in `note`; once a log
  // was seen, its absence fails closed.
  Status check_transparency(client::Updater& updater, const std::string& kind,
                            const std::string& sha256, std::string& note) {
    auto saved_note = platform::read_text_file(saved_checkpoint_path(), kMaxLogFileBytes);
    if (!saved_note && saved_note.error().code != ErrorCode::kNotFound)
      return tl::unexpected(saved_note.error());
    const bool seen = saved_note.has_value();
    auto info = updater.get_target_info(std::string(kLogTarget));
    if (!info) {
      if (info.error().code != ErrorCode::kTargetNotFound) return tl::unexpected(info.error());
      if (seen) {
        return make_error(ErrorCode::kTransparencyLogMissing,
                          "the repository no longer publishes its transparency log "
                          "(transparency/log.json), which this device saw before; refusing to "
                          "install releases or policies that cannot be checked against it");
      }
      note += "; WARNING: the repository publishes no transparency log, so the " + kind +
              " was not "
              "checked against one";
      return ok();
    }
    if (info->file.length > kMaxLogFileBytes) {
      return make_error(ErrorCode::kDownloadTooLarge, "transparency/log.json is too large");
    }
    const fs::path key_file = dir() / "transparency-log.json";
    DSS_TRY_STATUS(updater.download_target(*info, key_file));
    DSS_TRY(std::string key_text, platform::read_text_file(key_file, kMaxLogFileBytes));
    DSS_TRY(LogKey key, parse_log_target(key_text));
    std::optional<tlog::Checkpoint> saved;
    if (seen) {
      auto c = open_log_checkpoint(*saved_note, key);
      if (!c) {
        return make_error(
            ErrorCode::kLogForked,
            "the transparency log's identity changed since this device last saw it "
            "(the kept checkpoint is not signed by the key the repository now names)");
      }
      saved = std::move(*c);
    }
    if (sha256.empty()) {
      return make_error(
          ErrorCode::kNotInTransparencyLog,
          "the " + kind + " has no SHA-256 hash, by which the transparency log lists it");
    }
    // A publisher appending between our reads makes the entry newer than the checkpoint:
    // read the checkpoint once more then.
    for (int attempt = 0;; ++attempt) {
      auto note_text = fetch_log_file("checkpoint");
      if (!note_text) {
        if (note_text.error().code == ErrorCode::kNotFound) {
          return make_error(ErrorCode::kTransparencyLogMissing,
                            "the repository names a transparency log but serves no checkpoint");
        }
        return tl::unexpected(note_text.error());
      }
      DSS_TRY(tlog::Checkpoint cp, open_log_checkpoint(*note_text, key));
      if (saved) {
        std::optional<std::string> proof;
        if (cp.size > saved->size) {
          auto p = fetch_log_file("consistency/" + std::to_string(saved->size) + ".json");
          if (p) {
            proof = std::move(*p);
          } else if (p.error().code != ErrorCode::kNotFound) {
            return tl::unexpected(p.error());
          }
        }
        DSS_TRY_STATUS(check_extends(*saved, cp, proof));
      }
      // The new checkpoint extends what we knew: keep it, so a later fork is caught against it.
      DSS_TRY_STATUS(platform::write_file_atomic(saved_checkpoint_path(), *note_text,
                                                 platform::FileMode::kPrivate));
      saved = cp;
      auto entry = fetch_log_file("entries/" + sha256 + ".json");
      if (!entry) {
        if (entry.error().code == ErrorCode::kNotFound) {
          return make_error(ErrorCode::kNotInTransparencyLog,
                            "the " + kind + " (SHA-256 " + sha256 +
                                ") is not in the repository's transparency log");
        }
        return tl::unexpected(entry.error());
      }
      std::uint64_t stale = 0;
      auto included = check_inclusion(cp, *entry, kind, sha256, &stale);
      if (!included && stale > cp.size && attempt == 0) continue;
      if (!included && included.error().code == ErrorCode::kMalformed) {
        return make_error(ErrorCode::kBadProof, included.error().message);
      }
      if (included) {
        note += "; in transparency log " + key.origin + " at size " + std::to_string(cp.size);
      }
      return included;
    }
  }

  // --- Reporting to dss server
  struct Device {
    std::string id;
    crypto::PrivateKey key;
  };

  Result<std::optional<Device>> load_device() {
    auto text = platform::read_text_file(dir() / "device.json", kMaxDeviceFileBytes);
    if (!text) {
      if (text.error().code == ErrorCode::kNotFound) return std::optional<Device>();
      return tl::unexpected(text.error());
    }
    const json j = json::parse(*text, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("device_id") ||
        !j["device_id"].is_string()) {
      return make_error(ErrorCode::kMalformed, (dir() / "device.json").string() + " is damaged");
    }
    DSS_TRY(Bytes raw, platform::read_file(dir() / "device.key", 1024));
    SecretBytes secret(raw.data(), raw.size());
    secure_zero(raw.data(), raw.size());  // std::fill on a dying buffer may be optimised away
    DSS_TRY(crypto::PrivateKey key,
            crypto::PrivateKey::from_secret(crypto::KeyScheme::kEd25519, secret));
    return std::optional<Device>(Device{j["device_id"].get<std::string>(), std::move(key)});
  }

  net::FetchOptions fetch_options() const {
    net::FetchOptions o;
    o.ca_file = options.ca_file;
    o.total_timeout = std::chrono::seconds(60);
    return o;
  }

  Result<Device> enrol() {
    DSS_TRY(std::optional<Device> existing, load_device());
    if (existing) return std::move(*existing);
    if (options.enrol_token.empty()) {
      return make_error(ErrorCode::kFailedPrecondition,
                        "this device is not enrolled with " + options.server_url +
                            "; ask an operator for an enrolment token and pass --enrol-token");
    }
    DSS_TRY(crypto::PrivateKey key, crypto::PrivateKey::generate(crypto::KeyScheme::kEd25519));
    DSS_TRY(Bytes pub, hex_decode(key.public_key().public_value()));
    const json body = {{"token", options.enrol_token},
                       {"public_key", base64_encode(pub)},
                       {"name", options.device_name.empty() ? options.app : options.device_name}};
    DSS_TRY(net::PostResponse r,
            net::https_post_json(options.server_url + std::string(devproto::kEnrolPath),
                                 body.dump(), {}, fetch_options()));
    if (r.status != 201) {
      return make_error(r.status == 401 ? ErrorCode::kUnauthenticated : ErrorCode::kNetwork,
                        "enrolment was refused (HTTP " + std::to_string(r.status) +
                            "); the token may be used or expired: ask for a new one");
    }
    const json reply = json::parse(r.body, nullptr, false);
    if (reply.is_discarded() || !reply.contains("device_id") || !reply["device_id"].is_string()) {
      return make_error(ErrorCode::kMalformed, "the server's enrolment reply has no device id");
    }
    DSS_TRY(SecretBytes secret, key.secret());
    DSS_TRY_STATUS(platform::write_file_atomic(dir() / "device.key", secret.view(),
                                               platform::FileMode::kPrivate));
    const std::string id = reply["device_id"].get<std::string>();
    const json device = {{"device_id", id}, {"server", options.server_url}};
    DSS_TRY_STATUS(platform::write_file_atomic(dir() / "device.json", device.dump() + "\n",
                                               platform::FileMode::kPrivate));
    return Device{id, std::move(key)};
  }

  devproto::CheckinReport report() {
    const AgentState& st = installer->state();
    devproto::CheckinReport r;
    r.installed_version = st.installed;
    r.channel = options.channel;
    r.policy_version = static_cast<std::uint64_t>(std::max<std::int64_t>(0, st.policy_version));
    r.advisories = st.advisories;
    for (const auto& e : settings::resolve(settings_state())) {
      if (e.loosened) r.loosened_settings.emplace_back(e.declaration->key);
    }
    for (const auto& c : last_domain) {
      r.domain_checks.push_back(
          {c.id, c.status != settings::CheckStatus::kFail, c.finding.substr(0, 200)});
    }
    r.last_update = {st.last.result, st.last.version, st.last.detail.substr(0, 250)};
    r.interrupted_install = interrupted_install(st);
    // The checkpoint this device verified and kept, for the server's fleet-wide comparison.
    if (auto note = platform::read_text_file(saved_checkpoint_path(), kMaxCheckpointNote)) {
      r.transparency_checkpoint = std::move(*note);
    }
    return r;
  }

  Status checkin() {
    if (options.server_url.empty()) return ok();
    DSS_TRY(Device device, enrol());
    const std::string body = devproto::to_json(report());
    DSS_TRY(devproto::RequestSignature sig,
            devproto::sign_request(device.key, "POST", devproto::kCheckinPath, device.id,
                                   clock->now(), body));
    const std::vector<std::string> headers = {
        std::string(devproto::kHeaderDevice) + ": " + sig.device_id,
        std::string(devproto::kHeaderTimestamp) + ": " + sig.timestamp,
        std::string(devproto::kHeaderNonce) + ": " + sig.nonce,
        std::string(devproto::kHeaderSignature) + ": " + sig.signature};
    DSS_TRY(net::PostResponse r,
            net::https_post_json(options.server_url + std::string(devproto::kCheckinPath), body,
                                 headers, fetch_options()));
    if (r.status != 200) {
      return make_error(ErrorCode::kNetwork,
                        "the server refused the check-in (HTTP " + std::to_string(r.status) + ")");
    }
    return ok();
  }
};

Agent::Agent(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Agent::~Agent() = default;

Result<std::unique_ptr<Agent>> Agent::open(AgentOptions options, const settings::SystemProbe& probe,
                                           const Clock& clock,
                                           std::unique_ptr<net::Fetcher> fetcher) {
  if (options.app.empty() || options.app.find('/') != std::string::npos) {
    return make_error(ErrorCode::kInvalidArgument, "--app must be a name without \"/\"");
  }
  if (options.channel.empty() || options.channel.find('/') != std::string::npos) {
    return make_error(ErrorCode::kInvalidArgument, "--channel must be a name without \"/\"");
  }
  if (options.repo_url.empty())
    return make_error(ErrorCode::kInvalidArgument, "--repo is required");
  auto impl = std::make_unique<Impl>();
  impl->probe = &probe;
  impl->clock = &clock;
  impl->settings_store = settings::FileSettingsStore(options.state_dir);
  DSS_TRY_STATUS(platform::ensure_private_dir(options.state_dir));
  const settings::SettingsState sstate = impl->settings_state();
  impl->options = std::move(options);
  // Refuse to start when the machine does not meet the security domain.
  DSS_TRY_STATUS(impl->check_domain(sstate));
  impl->audit = std::make_unique<settings::AuditLogSink>(impl->options.state_dir, clock,
                                                         settings::audit_fail_closed(sstate));
  impl->engine =
      std::make_unique<settings::SettingsEngine>(impl->settings_store, *impl->audit, clock);
  DSS_TRY_STATUS(platform::ensure_private_dir(impl->dir()));
  DSS_TRY(client::DirectoryMetadataStore store,
          client::DirectoryMetadataStore::open(impl->dir() / "metadata"));
  impl->metadata.emplace(std::move(store));
  DSS_TRY(std::optional<std::string> root, impl->metadata->load("root", 512ull * 1024));
  if (!root) {
    if (impl->options.trusted_root.empty()) {
      return make_error(ErrorCode::kFailedPrecondition,
                        "no trusted root yet: pass --root ROOT.json (the provider's root "
                        "metadata, obtained out of band) on the first run");
    }
    DSS_TRY(std::string bytes, platform::read_text_file(impl->options.trusted_root, 512ull * 1024));
    DSS_TRY_STATUS(impl->metadata->store("root", bytes));
  }
  impl->fetcher =
      fetcher ? std::move(fetcher) : std::make_unique<net::CurlFetcher>(impl->fetch_options());
  DSS_TRY(Installer installer, Installer::open(impl->options.install_root, impl->dir(), clock));
  impl->installer.emplace(std::move(installer));
  return std::unique_ptr<Agent>(new Agent(std::move(impl)));
}

Result<std::optional<std::string>> Agent::check() {
  Impl& m = *impl_;
  DSS_TRY_STATUS(m.check_domain(m.settings_state()));
  client::Updater updater(m.updater_config(), *m.fetcher, *m.metadata, *m.clock);
  DSS_TRY_STATUS(updater.refresh());
  std::string note;
  m.apply_policy(updater, note);
  DSS_TRY(std::vector<Candidate> list, m.releases(updater));
  std::string skipped;
  const Candidate* pick = m.choose(list, skipped, false, 0, m.clock->now());
  if (pick == nullptr) return std::optional<std::string>();
  return std::optional<std::string>(pick->release.version.text());
}

CycleResult Agent::run_once(const Progress& progress) {
  Impl& m = *impl_;
  CycleResult r = m.cycle(progress);
  AgentState& st = m.installer->mutable_state();
  st.last_check = m.clock->now();
  const bool failed = r.result == "failed" || r.result == "refused";
  st.consecutive_failures = failed ? st.consecutive_failures + 1 : 0;
  // Installs and rollbacks were recorded by the installer; record the rest here.
  if (r.result != "installed" && r.result != "rolled_back") {
    if (r.result != "none" || st.last.result == "none" || st.last.result == "failed" ||
        st.last.result == "refused") {
      st.last = LastResult{r.result, r.version, r.detail,
                           r.code == ErrorCode::kOk ? "" : std::string(error_code_name(r.code)),
                           m.clock->now()};
    }
  }
  if (auto s = m.installer->save_state(); !s && r.result != "failed") {
    r = {"failed", r.version, "the agent state could not be saved: " + s.error().message,
         s.error().code};
  }
  if (auto c = m.checkin(); !c) {
    std::cerr << "dss agent: check-in not sent: " << c.error().to_string() << "\n";
  }
  return r;
}

std::chrono::milliseconds Agent::next_delay(const CycleResult& last) {
  Impl& m = *impl_;
  const std::int64_t minutes = setting_int(m.settings_state(), "update.check_interval_minutes", 60);
  const double interval_ms = static_cast<double>(std::max<std::int64_t>(minutes, 1)) * 60'000.0;
  double base = interval_ms;
  const int failures = m.installer->state().consecutive_failures;
  if ((last.result == "failed" || last.result == "refused") && failures > 0) {
    base =
        std::min(interval_ms, 60'000.0 * static_cast<double>(1ULL << std::min(failures - 1, 20)));
  }
  std::uniform_real_distribution<double> jitter(0.9, 1.1);
  return std::chrono::milliseconds(static_cast<std::int64_t>(base * jitter(m.rng)));
}

void Agent::run(const std::atomic<bool>& stop,
                const std::function<void(std::chrono::milliseconds)>& wait,
                const std::function<void(const CycleResult&)>& on_cycle) {
  while (!stop.load()) {
    const CycleResult r = run_once();
    if (on_cycle) on_cycle(r);
    if (stop.load()) break;
    release_idle_memory();
    wait(next_delay(r));
  }
}

void Agent::release_idle_memory() {
  impl_->fetcher->release_idle();
  static_cast<void>(::malloc_trim(0));  // best effort: 1 when memory was released, else 0
}

Status Agent::rollback(const std::string& version) {
  Impl& m = *impl_;
  DSS_TRY(Version target, Version::parse(version));
  const AgentState& st = m.installer->state();
  // The provider must still list the version on the channel (it may have been withdrawn).
  client::Updater updater(m.updater_config(), *m.fetcher, *m.metadata, *m.clock);
  if (auto r = updater.refresh(); !r) {
    return make_error(r.error().code, "cannot confirm that the provider still allows " + version +
                                          " (the repository could not be refreshed: " +
                                          r.error().message + "); try again when it is reachable");
  }
  DSS_TRY(std::vector<Candidate> list, m.releases(updater));
  const Candidate* found = nullptr;
  for (const auto& c : list) {
    if (c.release.version == target) found = &c;
  }
  if (found == nullptr) {
    return make_error(ErrorCode::kPermissionDenied,
                      version + " is no longer published on channel " + m.options.channel +
                          "; the provider does not allow it");
  }
  const auto highest = Version::parse(st.highest_committed);
  if (highest && target < *highest && !m.downgrade_allowed(found->release)) {
    return make_error(ErrorCode::kDowngradeRefused,
                      version + " is older than " + st.highest_committed +
                          ", the newest version this machine has run; a downgrade needs the "
                          "provider's signed allowance (allow_downgrade in the release) or the "
                          "owner's loosening of update.allow_downgrade");
  }
  DSS_TRY_STATUS(m.installer->rollback_to(version, "requested with `dss agent rollback`"));
  ignore_error(m.checkin());  // reporting is best effort; the rollback stands
  return ok();
}

Result<AgentStatus> Agent::status() {
  Impl& m = *impl_;
  AgentStatus s;
  s.state = m.installer->state();
  DSS_TRY(s.current, m.installer->current_version());
  s.on_disk = m.installer->versions_on_disk();
  const auto sstate = m.settings_state();
  s.check_interval_minutes = setting_int(sstate, "update.check_interval_minutes", 60);
  s.domain = settings::check_domain(*m.probe, sstate, {m.options.state_dir.string(), ""});
  auto dev = m.load_device();
  s.enrolled = dev && dev->has_value();
  return s;
}

devproto::CheckinReport Agent::checkin_report() { return impl_->report(); }

Result<AgentStatus> read_status(const fs::path& state_dir, const fs::path& install_root) {
  AgentStatus s;
  DSS_TRY(s.state, load_agent_state(agent_dir(state_dir)));
  std::error_code ec;
  const fs::path link = install_root / "current";
  if (fs::is_symlink(fs::symlink_status(link, ec))) {
    const std::string t = fs::read_symlink(link, ec).string();
    if (t.starts_with("versions/")) s.current = t.substr(9);
  }
  for (fs::directory_iterator it(install_root / "versions", ec), end; !ec && it != end;
       it.increment(ec)) {
    const fs::directory_entry& e = *it;
    const std::string name = e.path().filename().string();
    if (!name.starts_with(".")) s.on_disk.push_back(name);
  }
  std::sort(s.on_disk.begin(), s.on_disk.end());
  settings::FileSettingsStore store(state_dir);
  auto sstate = store.load();
  if (sstate) s.check_interval_minutes = setting_int(*sstate, "update.check_interval_minutes", 60);
  s.enrolled = fs::exists(agent_dir(state_dir) / "device.json", ec);
  return s;
}

}  // namespace dss::agent
