// Releases as the repository describes them: the targets a client of the served repository
// would trust now (verified through repo::read_published_targets: TrustedSet, the root chain,
// timestamp, snapshot, targets and delegated roles), with the release fields of their custom
// metadata ("dss": {"name", "version", "channel", ...}).
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "crypto/allowed_schemes.h"

namespace dss::server {

struct ReleaseInfo {
  std::string path;
  std::uint64_t length = 0;
  std::string sha256;
  std::string name;     // custom.dss.name, else the first path segment
  std::string version;  // custom.dss.version, else ""
  std::string channel;  // custom.dss.channel, else "stable"
  nlohmann::json custom = nlohmann::json::object();
};

// Every target of the current metadata (releases, SBOMs, advisories, policy bundles), as
// verified at `now`. Fails closed: a missing, malformed, unsigned, expired or inconsistent
// metadata file is an error (its ErrorCode, e.g. kUnsigned, kMalformed, kExpired) and nothing
// is listed. Only keys of a scheme `allowed` lists count (crypto.allowed_signature_algorithms,
// as on the devices).
Result<std::vector<ReleaseInfo>> read_targets(const std::filesystem::path& repo_dir,
                                              UnixSeconds now,
                                              const crypto::AllowedSchemes& allowed);
// The targets that are releases (custom.dss.version set).
Result<std::vector<ReleaseInfo>> read_releases(const std::filesystem::path& repo_dir,
                                               UnixSeconds now,
                                               const crypto::AllowedSchemes& allowed);
// A target's bytes from REPO/targets/, checked against its signed SHA-256.
Result<std::string> read_target_file(const std::filesystem::path& repo_dir,
                                     const ReleaseInfo& target, std::uint64_t max_bytes);
nlohmann::json release_json(const ReleaseInfo& r);
// Compares dotted numeric versions ("1.10.0" > "1.9.2"); non-numeric parts compare as text.
int compare_versions(std::string_view a, std::string_view b);
// Whether `installed` is the newest version published on `channel` (true when none is).
bool is_newest_for_channel(const std::vector<ReleaseInfo>& releases, std::string_view channel,
                           std::string_view installed);

}  // namespace dss::server
