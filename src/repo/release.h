// Releases, their SBOMs and advisories, on top of the TUF repository (repository.h).
//
// Target layout (what agents read):
//   <name>/<channel>/<name>-<version>.tar.zst   the release; custom.dss = {version, size,
//                                               entries, published, sbom: {target, sha256,
//                                               format}, plus hooks/health from the provider}
//   <name>/sbom/<name>-<version>.sbom.json      its SBOM, a signed target of its own
//   advisories/<id>.json                        an advisory, as normalised OSV
//   policy/bundle.json                          the settings policy bundle agents apply
// The SBOM is bound to the release by its SHA-256 in the release's signed custom metadata.
//
// The archive: every target file stays in targets/ under its hash (content-addressed) and
// every metadata version stays in metadata/; R/archive/releases.json and advisories.json index
// everything ever published, withdrawn or not. A version, once published, never changes
// content: publishing it again with other bytes is refused. Withdrawing a release removes it
// from its channel, not from the archive.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "repo/repository.h"

namespace dss::repo {

struct ReleaseRecord {
  std::string name;
  std::string version;
  std::string channel;
  std::string target;  // the release target path
  std::string sha256;
  std::uint64_t length = 0;
  std::string sbom_target;  // empty when published without one (a loosened setting)
  std::string sbom_sha256;
  std::string sbom_format;
  UnixSeconds published = 0;
  std::optional<UnixSeconds> withdrawn;
};

struct AdvisoryRecord {
  std::string id;
  std::string target;
  std::string sha256;
  UnixSeconds published = 0;
};

struct PublishReleaseOptions {
  std::filesystem::path dir;
  std::string name;     // [a-z0-9][a-z0-9._-]*, at most 64 characters
  std::string version;  // core/version.h
  std::string channel = "stable";
  std::filesystem::path artifact;    // the tar.zst, already checked by the caller
  std::uint64_t unpacked_bytes = 0;  // its extracted size and entry count, which become
  std::uint64_t entries = 0;         // the agents' archive-bomb bounds
  std::optional<std::filesystem::path> sbom;
  bool sbom_optional = false;  // release.require_sbom loosened by the owner
  std::string extra_dss_json;  // optional object merged into custom.dss (hooks, health)
};

// Checks the SBOM (src/sbom: schema, NTIA elements, and that it describes NAME VERSION), then
// publishes the SBOM target and the release target. kSbomInvalid names what is missing.
Result<Report> publish_release(const PublishReleaseOptions& options, const Secrets& secrets,
                               UnixSeconds now);

// Removes the release from its channel; the archive keeps it.
Result<Report> withdraw_release(const std::filesystem::path& dir, const std::string& name,
                                const std::string& version, const Secrets& secrets,
                                UnixSeconds now);

// Everything ever published, oldest first ("" = every name).
Result<std::vector<ReleaseRecord>> list_releases(const std::filesystem::path& dir,
                                                 const std::string& name = "");
Result<ReleaseRecord> find_release(const std::filesystem::path& dir, const std::string& name,
                                   const std::string& version);
// The SBOM's bytes, read from the archive and checked against the hash the release carries.
Result<std::string> read_sbom(const std::filesystem::path& dir, const std::string& name,
                              const std::string& version);

// Checks an OSV or CSAF 2.0 advisory (src/advisory) and publishes it as advisories/<id>.json.
Result<Report> publish_advisory(const std::filesystem::path& dir, const std::filesystem::path& file,
                                const Secrets& secrets, UnixSeconds now);
Result<std::vector<AdvisoryRecord>> list_advisories(const std::filesystem::path& dir);

// Checks a settings policy bundle (settings/state.h: known keys, floors no looser than the
// secure defaults allow) and publishes it as the target policy/bundle.json that agents apply.
// Its bundle_version must be higher than every bundle published before (agents refuse a
// lower one anyway). Logged in the transparency log as a "policy" entry before it is signed,
// and indexed in R/archive/policies.json.
Result<Report> publish_policy(const std::filesystem::path& dir, const std::filesystem::path& file,
                              const Secrets& secrets, UnixSeconds now);

}  // namespace dss::repo
