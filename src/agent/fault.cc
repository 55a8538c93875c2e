#include "agent/fault.h"

#if defined(DSS_FAULT_POINTS)
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <map>
#include <string>

namespace dss::agent::fault {

void point(const char* name) noexcept {
  const char* want = std::getenv("DSS_FAULT_POINT");
  if (want == nullptr) return;
  const char* colon = std::strchr(want, ':');
  const std::size_t len =
      colon == nullptr ? std::strlen(want) : static_cast<std::size_t>(colon - want);
  if (std::strlen(name) != len || std::strncmp(want, name, len) != 0) return;
  static std::map<std::string, long> hits;  // single-threaded: the install path
  const long n = ++hits[name];
  const long at = colon == nullptr ? 1 : std::strtol(colon + 1, nullptr, 10);
  if (n == at) ::kill(::getpid(), SIGKILL);
}

}  // namespace dss::agent::fault
#endif
