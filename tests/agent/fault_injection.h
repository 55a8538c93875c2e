// Crash injection for tests: runs code in a child process that the agent's fault points
// (agent/fault.h, compiled into dss_agent_faults) kill with SIGKILL at a named point.
#pragma once

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <functional>
#include <string>

namespace dss::testing {

// Runs `body` in a child killed at fault point `point`; returns true if it was killed there.
inline bool killed_at(const std::string& point, const std::function<void()>& body) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::setenv("DSS_FAULT_POINT", point.c_str(), 1);
    body();
    ::_exit(0);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
}

}  // namespace dss::testing
