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

struct AgentState {
  std::string installed;          // what `current` points to ("" before the first install)
  std::string previous;           // kept for rollback ("" when none)
  std::string highest_committed;  // never downgraded below without a signed allowance
  std::set<std::string> failed;   // versions that failed a hook or health check: not retried
  std::map<std::string, int> interrupted;  // installs cut short (crash), per version
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
