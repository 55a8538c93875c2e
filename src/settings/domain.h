// The declared security domain: what the machine must provide for DSS's guarantees to hold.
// Each requirement is checked through SystemProbe (the real one reads the system; tests
// simulate it) and governed by a domain.* setting: the only way past a failed hard requirement
// is an owner loosening that setting, which then chimes like any other loosening.
//
// `dss doctor` prints check_domain(); `dss server` and `dss agent` call enforce_domain() and
// refuse to start on its error, with the same words. Pure: the probe is the only input.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/result.h"
#include "settings/state.h"

namespace dss::settings {

struct ClockState {
  bool synchronised = false;                // the kernel says a time service keeps it in step
  std::int64_t max_error_microseconds = 0;  // the kernel's estimate of the worst error
};

struct PathState {
  bool exists = false;
  bool is_directory = false;
  std::uint32_t mode = 0;  // permission bits (e.g. 0700)
  std::uint32_t owner_uid = 0;
};

struct OsInfo {
  std::string kernel_name;     // uname sysname, e.g. "Linux"
  std::string kernel_release;  // uname release, e.g. "6.1.0-13-amd64"
  std::string distro_id;       // os-release ID, e.g. "debian"
  std::string distro_version;  // os-release VERSION_ID, e.g. "12"
};

// What the domain checks need from the system. One method per fact; no policy inside.
class SystemProbe {
 public:
  virtual ~SystemProbe() = default;
  // Whether the TLS library can negotiate `min_version` ("1.2" or "1.3") or newer.
  virtual Result<bool> tls_supports(std::string_view min_version) const = 0;
  virtual Result<ClockState> clock() const = 0;
  virtual std::uint32_t effective_uid() const = 0;
  // A missing path is {exists = false}, not an error.
  virtual Result<PathState> path_state(const std::string& path) const = 0;
  // Regular files directly in `dir` (full paths).
  virtual Result<std::vector<std::string>> list_files(const std::string& dir) const = 0;
  virtual Result<OsInfo> os() const = 0;
  virtual Result<std::uint64_t> free_bytes(const std::string& path) const = 0;
};

struct DomainPaths {
  std::string state_dir;
  std::string key_dir;  // may be empty when this process holds no keys
};

enum class CheckStatus : std::uint8_t {
  kPass,
  kFail,      // a hard requirement is not met: refuse to start
  kLoosened,  // not enforced because an owner loosened the governing setting
};

struct CheckResult {
  std::string id;           // "tls", "clock", "not-root", "private-dirs", "os", "disk"
  std::string requirement;  // the requirement, in plain words
  std::string governed_by;  // the domain.* setting that can loosen it
  CheckStatus status = CheckStatus::kPass;
  std::string finding;  // what was found
  std::string fix;      // what to do (empty when it passes)
};

// Runs every check, in a fixed order.
std::vector<CheckResult> check_domain(const SystemProbe& probe, const SettingsState& state,
                                      const DomainPaths& paths);
// "PASS tls: ...", "FAIL clock: ... Fix: ...", "LOOSENED ...".
std::string format_check(const CheckResult& r);
// ok() if no hard requirement fails; otherwise kDomainCheckFailed whose message lists each
// failure with its fix, exactly as `dss doctor` prints them.
Status enforce_domain(const SystemProbe& probe, const SettingsState& state,
                      const DomainPaths& paths);

}  // namespace dss::settings
