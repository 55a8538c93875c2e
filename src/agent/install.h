// The install root and the crash-safe switch between versions (ADR 0015).
//
//   <install_root>/versions/<version>/   one folder per version, complete once it has its name
//   <install_root>/current               symlink "versions/<version>", replaced with rename(2)
//   <install_root>/.dss/journal.json     the switch in progress (absent when none)
//
// A version is extracted into versions/.staging-<version>, synced, then renamed: a folder named
// versions/<version> is always complete. Before `current` changes, the journal records the
// switch durably (temp file, fsync, rename, fsync of the folder); the agent's state records
// the commit or the failure before the journal is removed. At start-up recover() reads the
// journal: a switch whose health was never confirmed is undone (the old version comes back), a
// confirmed one is committed, an interrupted rollback is finished. So a kill or power loss at
// any instant leaves `current` on a complete version: the old one or the new one.
//
// Hooks and the health check run from the release's signed metadata, in the version's folder.
// A failed post-install hook or health check switches back and records the version as failed;
// it is then never installed again (a newer release must appear). An install interrupted after
// the switch is counted; after three the version is held back for a growing, bounded time, then
// retried (state.h, ADR 0038). One interrupted before the switch is not counted.
//
// One Installer per install root: open() takes an exclusive lock (kAgentBusy if held). Not
// thread-safe.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include "agent/release.h"
#include "agent/state.h"
#include "core/clock.h"
#include "core/result.h"
#include "platform/files.h"

namespace dss::agent {

struct InstallOutcome {
  bool installed = false;  // false: rolled back after a failed post-install hook or health check
  std::string version;
  std::string detail;                  // plain words: what happened and why
  ErrorCode failure = ErrorCode::kOk;  // kHookFailed or kHealthCheckFailed when rolled back
};

class Installer {
 public:
  // Creates the layout if missing, locks `agent_dir` (kAgentBusy when another agent holds
  // it), loads the agent state and runs recover().
  static Result<Installer> open(const std::filesystem::path& install_root,
                                const std::filesystem::path& agent_dir, const Clock& clock);

  // Completes or undoes an interrupted switch; removes half-extracted and half-deleted
  // folders. Returns a sentence saying what it did, or nullopt when there was nothing to do.
  Result<std::optional<std::string>> recover();

  // Installs `archive` (already verified against the signed metadata) as `release`.
  // Errors, with the install root unchanged: extraction refusals (kArchiveRefused,
  // kArchiveTooLarge, kMalformed), kHookFailed for the pre-install hook (the version is then
  // recorded as failed), kVersionFailedBefore, kIo. A failed post-install hook or health check
  // is an outcome, not an error: `current` is back on the previous version.
  Result<InstallOutcome> install(const std::filesystem::path& archive, const Release& release);

  // Switches back to `version`, which must still be on disk (kNotFound otherwise); the version
  // left is recorded as failed so it is not reinstalled. Policy checks are the caller's.
  Status rollback_to(const std::string& version, const std::string& reason);

  [[nodiscard]] const AgentState& state() const { return state_; }
  AgentState& mutable_state() { return state_; }
  Status save_state();
  [[nodiscard]] const std::filesystem::path& root() const { return root_; }
  [[nodiscard]] std::filesystem::path version_dir(const std::string& version) const;
  // The version `current` points to, or "" when there is none.
  [[nodiscard]] Result<std::string> current_version() const;
  // Versions on disk, complete ones only.
  [[nodiscard]] std::vector<std::string> versions_on_disk() const;

 private:
  Installer(std::filesystem::path root, std::filesystem::path agent_dir, const Clock& clock,
            platform::DirLock lock);
  struct Journal {
    std::string op;  // "switch", "commit", "rollback"
    std::string from;
    std::string to;
  };
  Status write_journal(const Journal& j);
  Result<std::optional<Journal>> read_journal() const;
  Status clear_journal();
  Status switch_current(const std::string& version);
  Status trash_version(const std::string& version);
  Status commit(const std::string& from, const std::string& to);
  Status finish_rollback(const std::string& from, const std::string& to, const std::string& result,
                         const std::string& detail, ErrorCode code);
  Result<bool> run_hook(const std::optional<CommandSpec>& hook, const Release& release,
                        const std::string& previous, std::string& detail);
  Result<bool> run_health(const std::optional<HealthSpec>& health, const Release& release,
                          const std::string& previous, std::string& detail);
  void set_last(std::string result, std::string version, std::string detail, ErrorCode code);

  std::filesystem::path root_;
  std::filesystem::path agent_dir_;
  const Clock* clock_;
  platform::DirLock lock_;
  AgentState state_;
};

}  // namespace dss::agent
