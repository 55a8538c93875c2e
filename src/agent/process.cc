#include "agent/process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "platform/files.h"

namespace dss::agent {

namespace {

std::vector<char*> c_strings(const std::vector<std::string>& v) {
  std::vector<char*> out;
  out.reserve(v.size() + 1);
  // execv takes char* const[] for C's sake; POSIX guarantees it does not modify the strings.
  // NOLINTNEXTLINE(cppcoreguidelines-pro-type-const-cast)
  for (const auto& s : v) out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

}  // namespace

Result<CommandOutcome> run_command(const Command& command) {
  if (command.argv.empty()) return make_error(ErrorCode::kInvalidArgument, "empty command");
  // Everything the child needs is prepared before fork: after it only async-signal-safe calls.
  std::vector<char*> argv = c_strings(command.argv);
  std::vector<char*> envp = c_strings(command.env);
  const std::string cwd = command.cwd.string();
  const pid_t pid = ::fork();
  if (pid < 0) return platform::io_error("cannot start", command.argv[0]);
  if (pid == 0) {
    ::setpgid(0, 0);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    const int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) ::dup2(devnull, STDIN_FILENO);
    ::dup2(STDERR_FILENO, STDOUT_FILENO);
    ::syscall(SYS_close_range, 3U, ~0U, 0U);
    if (!cwd.empty() && ::chdir(cwd.c_str()) != 0) ::_exit(126);
    ::execve(argv[0], argv.data(), envp.data());
    ::_exit(127);
  }
  ::setpgid(pid, pid);  // also in the parent: no race with the kill below
  CommandOutcome out;
  const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (pidfd >= 0) {
    platform::Fd guard(pidfd);
    struct pollfd p {
      pidfd, POLLIN, 0
    };
    const auto deadline = std::chrono::steady_clock::now() + command.timeout;
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) {
        out.timed_out = true;
        break;
      }
      const int r = ::poll(&p, 1, static_cast<int>(std::min<long long>(left.count(), 1LL << 30)));
      if (r > 0) break;
      if (r < 0 && errno != EINTR) break;
    }
  }
  // Without a pidfd (very old kernels) waitpid blocks; the time limit then cannot hold, so the
  // command is killed at once rather than run unbounded.
  if (pidfd < 0) out.timed_out = true;
  if (out.timed_out) ::kill(-pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  ::kill(-pid, SIGKILL);  // anything the command left in its group
  if (WIFEXITED(status)) {
    out.exited = !out.timed_out;
    out.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    out.signal = WTERMSIG(status);
  }
  return out;
}

}  // namespace dss::agent
