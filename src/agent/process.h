// Runs a hook or health-check command: fork and exec (no shell), in its own process group, in
// a given folder, with a small fixed environment, and a time limit after which the whole group
// is killed (SIGKILL). Whatever the command leaves running in its group when it exits is
// killed too: a hook must not leave processes behind. Waiting uses a pidfd and poll: no
// polling loop. stdout goes to stderr (the agent's log); stdin is /dev/null.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "core/result.h"

namespace dss::agent {

struct Command {
  std::vector<std::string> argv;  // argv[0] is a path; no PATH search
  std::filesystem::path cwd;
  std::vector<std::string> env;  // "KEY=value"
  std::chrono::milliseconds timeout{60'000};
};

struct CommandOutcome {
  bool exited = false;  // false: killed by a signal (or the time limit)
  int exit_code = -1;   // when exited
  int signal = 0;       // when not exited
  bool timed_out = false;
};

// kIo when the process cannot be started; otherwise the outcome, whatever it is.
Result<CommandOutcome> run_command(const Command& command);

}  // namespace dss::agent
