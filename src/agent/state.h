// The agent's own record, `<state_dir>/agent/state.json` (0600, written atomically and
// durably): what is installed and committed, which versions failed, the last result, and the
// retry schedule. Untrusted on read (a damaged file is kMalformed, never a crash).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/result.h"

namespace dss::agent {

struct LastResult {
  std::string result = "none";  // none, installed, rolled_back, refused, failed
  std::string version;
  std::string detail;
  std::string error_code;  // error_code_name of the failure, empty on success
  UnixSeconds at = 0;
};

// Crash-loop protection (ADR 0038). An install cut short after `current` was switched to the
// version (which may then have run, and may be what brought the machine down) is counted; one cut
// short before the switch is not (the version never ran). After kMaxInterruptedAttempts counted
// interruptions the version is held back, and retried once the back-off has passed: 1 hour after
// the third, doubling with each further one, at most kMaxInterruptedBackoffS. A version that failed
// a hook or health check is in `failed` instead, and never retried.
struct AgentState;

struct InterruptedInstall {
  int count = 0;                // interruptions after the switch
  UnixSeconds retry_after = 0;  // with count >= kMaxInterruptedAttempts: not installed before
};

inline constexpr int kMaxInterruptedAttempts = 3;
inline constexpr UnixSeconds kInterruptedBackoffS = 3600;
inline constexpr UnixSeconds kMaxInterruptedBackoffS = UnixSeconds{24} * 3600;

// The hold after the `count`-th counted interruption: 0 below kMaxInterruptedAttempts, then
// kInterruptedBackoffS doubling per interruption, bounded by kMaxInterruptedBackoffS.
UnixSeconds interrupted_backoff(int count);

// True when `version` is held back by its interruptions at time `now`.
bool held_after_interruptions(const AgentState& state, const std::string& version, UnixSeconds now);

struct AgentState {
  std::string installed;          // what `current` points to ("" before the first install)
  std::string previous;           // kept for rollback ("" when none)
  std::string highest_committed;  // never downgraded below without a signed allowance
  std::set<std::string> failed;   // versions that failed a hook or health check: not retried
  std::map<std::string, InterruptedInstall> interrupted;  // installs cut short (crash)
  LastResult last;
  UnixSeconds last_check = 0;
  int consecutive_failures = 0;
  std::string policy_sha256;  // the policy bundle applied last (not re-fetched if unchanged)
  std::int64_t policy_version = 0;
  std::string channel;
  std::vector<std::string> advisories;  // advisory ids affecting the installed version
};

inline constexpr std::string_view kStateFileName = "state.json";

// `dir` is `<state_dir>/agent`. A missing file is a fresh state.
Result<AgentState> load_agent_state(const std::filesystem::path& dir);
Status save_agent_state(const std::filesystem::path& dir, const AgentState& state);
std::string agent_state_json(const AgentState& state, bool pretty = false);

}  // namespace dss::agent
