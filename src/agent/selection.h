// Release selection: which release on the channel the agent installs now, and why each newer one
// was passed over. Pure: the candidates, the agent's state, the policy and the time come in as
// values; no I/O, no clock, no settings read (the cycle reads them and passes them here).
//
// The rules, newest release first, considering only versions above the installed one:
//   - a version that failed a hook or health check, or whose signed archive was refused, is
//     never installed again (a newer release must appear);
//   - a version held back after installs interrupted after the switch waits for its back-off
//     (state.h, ADR 0038);
//   - a version below the highest committed one needs the provider's signed allow_downgrade
//     or the owner's loosening of update.allow_downgrade;
//   - outside a security update, a release younger than update.deferral_hours waits.
// The first release no rule holds back is the pick.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "agent/release.h"
#include "agent/state.h"
#include "client/updater.h"
#include "core/clock.h"

namespace dss::agent {

// A release on the channel and the signed target it comes from.
struct Candidate {
  client::TargetInfo info;
  Release release;
};

struct SelectionPolicy {
  bool owner_allows_downgrade = false;  // update.allow_downgrade, loosened by the owner
  bool urgent = false;                  // an advisory affects the installed version
  std::int64_t deferral_s = 0;          // update.deferral_hours, in seconds (0: no deferral)
  UnixSeconds now = 0;
};

enum class SkipReason {
  kFailedBefore,            // in AgentState::failed: never retried
  kHeldAfterInterruptions,  // waits for its back-off (ADR 0038)
  kDowngradeNotAllowed,     // below the highest committed version, without an allowance
  kDeferred,                // younger than update.deferral_hours, and not urgent
};

struct SkippedRelease {
  std::string version;
  SkipReason reason;
};

struct Selection {
  const Candidate* pick = nullptr;      // points into the candidates given; nullptr: none
  std::vector<SkippedRelease> skipped;  // the releases passed over, newest first
};

// `candidates` must be sorted newest first (Candidate::release.version, descending); the
// result's pick points into it, so it must outlive the Selection.
Selection select_release(const std::vector<Candidate>& candidates, const AgentState& state,
                         const SelectionPolicy& policy);
// A temporary list would die before the Selection that points into it.
Selection select_release(std::vector<Candidate>&& candidates, const AgentState& state,
                         const SelectionPolicy& policy) = delete;

// The note a cycle adds to its result about the releases passed over: the first one skipped
// for a reason a person can act on ("; 2.0 failed before and is not retried"), or "" when
// none. A release passed over as a downgrade is not mentioned (it is older than what ran).
std::string skip_note(const Selection& selection);

}  // namespace dss::agent
