#include "agent/agent.h"

#include <malloc.h>

#include <algorithm>
#include <iostream>

#include "advisory/advisory.h"
#include "agent/release.h"
#include "agent/reporter.h"
#include "agent/selection.h"
#include "agent/transparency_client.h"
#include "platform/files.h"
#include "settings/snapshot.h"
#include "settings/system.h"

namespace dss::agent {

namespace fs = std::filesystem;

fs::path agent_dir(const fs::path& state_dir) { return state_dir / "agent"; }

namespace {

constexpr std::uint64_t kMaxCheckpointNote = 2048;  // the check-in field's limit (devproto)

// A failure is a refusal (the data is bad: not retried as it is) or a failure (retried with
// backoff), by the code's category (core/error.h), so a new code is classified where it is
// declared and not by a list kept here.
bool is_refusal(ErrorCode c) { return error_category(c) == ErrorCategory::kRefused; }

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
  std::unique_ptr<Poster> poster;
  std::optional<Reporter> reporter;
  std::optional<TransparencyClient> transparency;
  std::mt19937_64 rng{std::random_device{}()};
  std::vector<settings::CheckResult> last_domain;

  fs::path dir() const { return agent_dir(options.state_dir); }

  // The trust engine's configuration, with the effective settings `s`: the signature schemes
  // accepted on metadata, policy bundles (TUF targets) and transparency checkpoints.
  client::UpdaterConfig updater_config(const settings::SettingsState& s) const {
    client::UpdaterConfig c;
    c.allowed_schemes = crypto::AllowedSchemes::from_setting(
        settings::Snapshot(s).get(settings::key::kCryptoAllowedSignatureAlgorithms));
    std::string base = options.repo_url;
    if (!base.ends_with("/")) base += "/";
    c.metadata_base_url = base + "metadata/";
    c.target_base_url = base + "targets/";
    return c;
  }

  // The owner's settings. Unreadable settings are an error that stops what needed them, never
  // a silent default (ADR 0041); the last state read is kept for reports about the failure.
  Result<settings::SettingsState> settings_state() {
    auto s = settings_store.load();
    if (!s) {
      return make_error(s.error().code, "the settings in " + options.state_dir.string() +
                                            " cannot be read (" + s.error().message +
                                            "); repair or remove settings.json there, or run "
                                            "`dss settings list` to see what is wrong");
    }
    last_settings = *s;
    return s;
  }
  settings::SettingsState last_settings;  // the last state settings_state() read

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
    if (auto t = transparency->check(updater, "policy", digest, log_note); !t) {
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

  SelectionPolicy selection_policy(const settings::SettingsState& s) const {
    SelectionPolicy p;
    p.owner_allows_downgrade = settings::Snapshot(s).get(settings::key::kUpdateAllowDowngrade);
    p.now = clock->now();
    return p;
  }

  CycleResult cycle(const Progress& progress) {
    AgentState& st = installer->mutable_state();
    st.channel = options.channel;
    const auto read = settings_state();
    if (!read) return {"failed", "", read.error().message, read.error().code};
    const settings::SettingsState& sstate = *read;
    // 1. The security domain.
    if (auto d = check_domain(sstate); !d) return {"failed", "", d.error().message, d.error().code};
    // 2. TUF refresh, and a new policy bundle at once.
    client::Updater updater(updater_config(sstate), *fetcher, *metadata, *clock);
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
    // Read again: a policy bundle applied above may have changed update.allow_downgrade.
    const auto reread = settings_state();
    if (!reread) return {"failed", "", reread.error().message, reread.error().code};
    const settings::Snapshot settings(*reread);
    SelectionPolicy policy = selection_policy(*reread);
    policy.urgent = urgent;
    policy.deferral_s = settings.get(settings::key::kUpdateDeferralHours) * 3600;
    const Selection selection = select_release(*list, st, policy);
    const Candidate* pick = selection.pick;
    const std::string skipped = skip_note(selection);
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
    if (!settings.get(settings::key::kUpdateAutoInstall)) {
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
    if (auto t = transparency->check(updater, "release", sha256, policy_note); !t) {
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

  net::FetchOptions fetch_options() const {
    net::FetchOptions o;
    o.ca_file = options.ca_file;
    o.total_timeout = std::chrono::seconds(60);
    return o;
  }

  devproto::CheckinReport report() {
    std::string kept;
    if (auto note =
            platform::read_text_file(transparency->kept_checkpoint_path(), kMaxCheckpointNote)) {
      kept = std::move(*note);
    }
    // When the settings cannot be read now, the report shows the last state read (the failed
    // cycle says why).
    ignore_error(settings_state());
    return make_checkin_report(installer->state(), options.channel, last_settings, last_domain,
                               std::move(kept));
  }

  Status checkin() {
    if (options.server_url.empty()) return ok();
    return reporter->checkin(report());
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
  impl->options = std::move(options);
  // Refuse to start on settings that cannot be read.
  DSS_TRY(const settings::SettingsState sstate, impl->settings_state());
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
  impl->transparency.emplace(impl->dir(), impl->options.repo_url, *impl->fetcher);
  const AgentOptions& o = impl->options;
  impl->poster = std::make_unique<HttpsPoster>(o.server_url, impl->fetch_options());
  impl->reporter.emplace(
      impl->dir(),
      ReporterOptions{o.server_url, o.enrol_token, o.device_name.empty() ? o.app : o.device_name},
      *impl->poster, clock);
  DSS_TRY(Installer installer, Installer::open(impl->options.install_root, impl->dir(), clock));
  impl->installer.emplace(std::move(installer));
  return std::unique_ptr<Agent>(new Agent(std::move(impl)));
}

Result<std::optional<std::string>> Agent::check() {
  Impl& m = *impl_;
  DSS_TRY(const settings::SettingsState before, m.settings_state());
  DSS_TRY_STATUS(m.check_domain(before));
  client::Updater updater(m.updater_config(before), *m.fetcher, *m.metadata, *m.clock);
  DSS_TRY_STATUS(updater.refresh());
  std::string note;
  m.apply_policy(updater, note);
  DSS_TRY(std::vector<Candidate> list, m.releases(updater));
  DSS_TRY(const settings::SettingsState after, m.settings_state());
  const Selection selection = select_release(list, m.installer->state(), m.selection_policy(after));
  if (selection.pick == nullptr) return std::optional<std::string>();
  return std::optional<std::string>(selection.pick->release.version.text());
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
  // The last settings read: when they cannot be read now, the failed cycle's back-off applies.
  ignore_error(m.settings_state());
  const std::int64_t minutes =
      settings::Snapshot(m.last_settings).get(settings::key::kUpdateCheckIntervalMinutes);
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
  DSS_TRY(const settings::SettingsState sstate, m.settings_state());
  // The provider must still list the version on the channel (it may have been withdrawn).
  client::Updater updater(m.updater_config(sstate), *m.fetcher, *m.metadata, *m.clock);
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
  if (highest && target < *highest && !found->release.allow_downgrade &&
      !settings::Snapshot(sstate).get(settings::key::kUpdateAllowDowngrade)) {
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
  DSS_TRY(const settings::SettingsState sstate, m.settings_state());
  s.check_interval_minutes =
      settings::Snapshot(sstate).get(settings::key::kUpdateCheckIntervalMinutes);
  s.domain = settings::check_domain(*m.probe, sstate, {m.options.state_dir.string(), ""});
  auto dev = m.reporter->load_device();
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
  DSS_TRY(const settings::SettingsState sstate, store.load());
  s.check_interval_minutes =
      settings::Snapshot(sstate).get(settings::key::kUpdateCheckIntervalMinutes);
  s.enrolled = fs::exists(agent_dir(state_dir) / "device.json", ec);
  return s;
}

}  // namespace dss::agent
