// `dss agent`: keeps one product installed at the newest release its provider signed, with no
// action from anyone (ADR 0017).
//
// Each cycle: (1) the security-domain checks; (2) a TUF refresh; a new signed policy bundle is
// applied at once; (3) the newest release on the device's channel that the policy allows;
// (4) a download with resume, bounded by the signed length, verified against the signed
// hashes; (5) install and health check; (6) commit or roll back. The result is recorded in
// the agent's state and, when a `dss server` is configured, reported in a signed check-in.
//
// Releases are the targets "<app>/<channel>/..." listed by the top-level targets role whose
// custom metadata carries "dss" (release.h). Never installed: a version that failed before, or
// one lower than the highest committed version unless its signed metadata says
// "allow_downgrade" or the owner loosened update.allow_downgrade. Not installed yet: a version
// held back after installs interrupted after the switch, until its back-off ends (ADR 0038).
// The rules are selection.h's.
//
// The parts, each in its own file: release selection (selection.h, pure), the release
// transparency state (transparency_state.h, pure over bytes) and the client that fetches for it
// (transparency_client.h), the reporter to `dss server` behind a Poster (reporter.h), and the
// install root (install.h). This file is the cycle that drives them.
//
// Not thread-safe: one Agent per process, and its Installer holds the install root's lock.
#pragma once

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "agent/install.h"
#include "agent/state.h"
#include "client/metadata_store.h"
#include "client/updater.h"
#include "core/clock.h"
#include "core/result.h"
#include "devproto/checkin.h"
#include "net/fetcher.h"
#include "settings/domain.h"
#include "settings/engine.h"

namespace dss::agent {

struct AgentOptions {
  std::filesystem::path state_dir;     // settings, audit log, and agent/ (TUF metadata, state)
  std::filesystem::path install_root;  // versions/, current
  std::string repo_url;                // https://host/path/: metadata/ and targets/ below it
  std::filesystem::path trusted_root;  // root.json to trust on first use (then TUF rotates it)
  std::string app;                     // release targets are "<app>/<channel>/..."
  std::string channel = "stable";
  std::string policy_target = "policy/bundle.json";  // a signed settings policy bundle
  std::string ca_file;      // extra trust anchor for HTTPS (empty: system store)
  std::string server_url;   // `dss server` origin for check-ins (empty: none)
  std::string enrol_token;  // one-time token for the first enrolment
  std::string device_name;
};

struct CycleResult {
  std::string result;  // "none", "installed", "rolled_back", "refused", "failed"
  std::string version;
  std::string detail;
  ErrorCode code = ErrorCode::kOk;  // the failure, when result is refused or failed
};

struct AgentStatus {
  AgentState state;
  std::string current;               // what `current` points to
  std::vector<std::string> on_disk;  // versions kept
  std::int64_t check_interval_minutes = 60;
  bool enrolled = false;
  std::vector<settings::CheckResult> domain;
};

class Agent {
 public:
  using Progress = client::Updater::Progress;

  // Refuses to start (kDomainCheckFailed, the same words as `dss doctor`) when a hard
  // domain requirement fails. Takes the install root's lock and recovers an interrupted
  // switch. `fetcher` may be null (a CurlFetcher with options.ca_file is made).
  static Result<std::unique_ptr<Agent>> open(AgentOptions options,
                                             const settings::SystemProbe& probe, const Clock& clock,
                                             std::unique_ptr<net::Fetcher> fetcher = nullptr);
  Agent(const Agent&) = delete;
  Agent& operator=(const Agent&) = delete;
  ~Agent();

  // Steps 1-3 of a cycle: the version that would be installed now, or nullopt when up to
  // date. Errors as the cycle's (domain checks, repository).
  Result<std::optional<std::string>> check();

  // One update cycle. Never throws; failures are a CycleResult (and recorded).
  CycleResult run_once(const Progress& progress = {});

  // Cycles until `stop` is set: every update.check_interval_minutes ±10% jitter; after a
  // failure, exponential backoff from 1 minute up to the interval. `wait` sleeps for the
  // given time or until woken (the CLI wakes it on SIGTERM); it must not return at once
  // unless stopping, so the loop never spins.
  void run(const std::atomic<bool>& stop,
           const std::function<void(std::chrono::milliseconds)>& wait,
           const std::function<void(const CycleResult&)>& on_cycle = {});

  // Gives back what a cycle leaves behind before the agent sleeps: the fetcher's connection,
  // TLS state and CA store (an hourly poll never reuses them) and the allocator's free pages
  // (malloc_trim). run() calls it after every cycle; the next cycle sets them up again.
  void release_idle_memory();

  // The delay before the next cycle, given the last result (jitter drawn from `rng_`).
  std::chrono::milliseconds next_delay(const CycleResult& last);

  // Switches back to a version still on disk. Lower than the highest committed version only
  // when the policy allows a downgrade (kDowngradeRefused otherwise). The version left is
  // recorded as failed.
  Status rollback(const std::string& version);

  Result<AgentStatus> status();

  // The check-in report for the current state (what `dss server` receives).
  devproto::CheckinReport checkin_report();

 private:
  struct Impl;
  explicit Agent(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// `<state_dir>/agent`.
std::filesystem::path agent_dir(const std::filesystem::path& state_dir);

// Reads the agent's state without taking the lock (for `dss agent status` while it runs).
Result<AgentStatus> read_status(const std::filesystem::path& state_dir,
                                const std::filesystem::path& install_root);

}  // namespace dss::agent
