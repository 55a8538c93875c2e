// A release as the provider signed it: the target's TUF "custom" metadata, under "dss".
//
//   "custom": {"dss": {
//     "version": "1.4.2",                     // digits and dots, 1-4 parts; the folder name
//     "size": 1048576, "entries": 120,        // bounds for extraction (archive bomb defence)
//     "hooks": {"pre_install":  {"command": ["bin/migrate"], "timeout_s": 60},
//               "post_install": {"command": ["bin/reload"],  "timeout_s": 60}},
//     "health": {"command": ["bin/health"], "tries": 3, "within_s": 30},
//     "allow_downgrade": true,                // optional: the provider may roll a fleet back
//     "published": 1795000000,                // set by `dss repo release publish`
//     "sbom": {"target": ..., "sha256": ..., "format": ...}  // the release's SBOM (repo/release.h)
//   }}
//
// Commands come only from here (signed by the targets role), never from the network or the
// device. A command's first element is a path inside the version's folder unless absolute;
// no shell is involved. Parsing is strict: unknown keys, wrong types and values out of range
// are kMalformed, so an agent never half-understands a release. Pure: no I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "core/version.h"

namespace dss::agent {

// Release versions: see core/version.h (one ordering for agent, repository and advisories).
using Version = dss::Version;

struct CommandSpec {
  std::vector<std::string> argv;
  std::int64_t timeout_s = 60;
};

struct HealthSpec {
  std::vector<std::string> argv;
  int tries = 3;               // attempts, each until success
  std::int64_t within_s = 60;  // all attempts together
};

struct Release {
  std::string target_path;
  Version version;
  std::uint64_t size = 0;
  std::uint64_t entries = 0;
  std::optional<CommandSpec> pre_install;
  std::optional<CommandSpec> post_install;
  std::optional<HealthSpec> health;
  bool allow_downgrade = false;
  std::int64_t published = 0;  // Unix seconds; 0 when the provider did not say
};

inline constexpr std::uint64_t kMaxReleaseBytes = 64ULL << 30;
inline constexpr std::uint64_t kMaxReleaseEntries = 4'000'000;

// `custom_json` is the target's "custom" (canonical JSON, as the trusted set keeps it).
// kMalformed when "dss" is missing or breaks the schema above.
Result<Release> parse_release(std::string_view target_path, std::string_view custom_json);

}  // namespace dss::agent
