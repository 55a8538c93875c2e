#include "agent/selection.h"

namespace dss::agent {

Selection select_release(const std::vector<Candidate>& candidates, const AgentState& state,
                         const SelectionPolicy& policy) {
  Selection out;
  const auto installed = Version::parse(state.installed);
  const auto highest = Version::parse(state.highest_committed);
  for (const Candidate& c : candidates) {
    const Version& v = c.release.version;
    if (installed && v <= *installed) break;  // newest first: nothing further is newer
    const auto skip = [&](SkipReason reason) { out.skipped.push_back({v.text(), reason}); };
    if (state.failed.contains(v.text())) {
      skip(SkipReason::kFailedBefore);
    } else if (held_after_interruptions(state, v.text(), policy.now)) {
      skip(SkipReason::kHeldAfterInterruptions);
    } else if (highest && v < *highest && !c.release.allow_downgrade &&
               !policy.owner_allows_downgrade) {
      skip(SkipReason::kDowngradeNotAllowed);
    } else if (!policy.urgent && policy.deferral_s > 0 &&
               c.release.published + policy.deferral_s > policy.now) {
      skip(SkipReason::kDeferred);
    } else {
      out.pick = &c;
      break;
    }
  }
  return out;
}

std::string skip_note(const Selection& selection) {
  for (const SkippedRelease& s : selection.skipped) {
    switch (s.reason) {
      case SkipReason::kFailedBefore:
        return "; " + s.version + " failed before and is not retried";
      case SkipReason::kHeldAfterInterruptions:
        return "; " + s.version + " waits for its back-off after interrupted installs";
      case SkipReason::kDeferred:
        return "; " + s.version + " waits for update.deferral_hours";
      case SkipReason::kDowngradeNotAllowed:
        break;
    }
  }
  return "";
}

}  // namespace dss::agent
