// Crash-injection points for the agent's install path.
//
// DSS_FAULT_POINT("name") marks an instant at which a crash must leave the install root valid
// (the complete old or the complete new version). In production builds it compiles to nothing.
// In the test variant of the library (dss_agent_faults, built with DSS_FAULT_POINTS) it kills
// the process with SIGKILL when the environment variable DSS_FAULT_POINT names it: "name" kills
// at the first pass, "name:N" at the N-th (1-based). Tests fork, set the variable in the child,
// and check what the kill left behind.
#pragma once

#if defined(DSS_FAULT_POINTS)
namespace dss::agent::fault {
void point(const char* name) noexcept;
}  // namespace dss::agent::fault
#define DSS_FAULT_POINT(name) ::dss::agent::fault::point(name)
#else
#define DSS_FAULT_POINT(name) \
  do {                        \
  } while (0)
#endif
