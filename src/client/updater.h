// The TUF updater: decides which metadata to load, from the local store or the repository,
// feeds the bytes to a TrustedSet, and stores what it accepts (spec §5). Targets are found
// by a pre-order depth-first search of delegations and downloaded by hash-prefixed name,
// checked for length and every listed hash, and written atomically.
//
// The reference time is read once per refresh from the Clock. Requests are sequential.
// Not thread-safe.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "client/metadata_store.h"
#include "core/clock.h"
#include "net/fetcher.h"
#include "tuf/trusted_set.h"

namespace dss::client {

struct UpdaterConfig {
  std::string metadata_base_url;  // ends with "/"; file names are appended verbatim
  std::string target_base_url;    // ends with "/"; may be empty if no target is downloaded
  // Endless-data bounds for files whose length no signed metadata states.
  std::uint64_t max_root_length = 512ull * 1024;
  std::uint64_t max_timestamp_length = 16ull * 1024;
  std::uint64_t max_snapshot_length = 32ull * 1024 * 1024;
  std::uint64_t max_targets_length = 64ull * 1024 * 1024;
  std::int64_t max_root_rotations = tuf::kMaxRootRotations;
  int max_delegations = 32;  // roles visited per target search
  // crypto.allowed_signature_algorithms: keys of other schemes count toward no threshold.
  crypto::AllowedSchemes allowed_schemes;
};

struct TargetInfo {
  std::string path;
  tuf::TargetFile file;
};

class Updater {
 public:
  Updater(UpdaterConfig config, net::Fetcher& fetcher, MetadataStore& store, const Clock& clock);

  // §5.2–§5.6 for the top-level roles. Before any request, the stored root must parse and be
  // signed by its own threshold. On error the stored state is as it was, except for newer
  // roots and timestamps that were fully verified before the failure. When the timestamp is
  // unchanged, the stored targets.json is not re-read (see updater.cc); lookups load it.
  Status refresh();

  // Finds `target_path` by searching delegations (refreshing first if needed).
  // kTargetNotFound when no trusted role lists it.
  Result<TargetInfo> get_target_info(std::string_view target_path);

  // True if `file` already holds exactly this target (length and every hash).
  Result<bool> is_cached(const TargetInfo& target, const std::filesystem::path& file) const;

  // Downloads the target to `file` (atomically) unless it is already there.
  Status download_target(const TargetInfo& target, const std::filesystem::path& file);

  // The names of the targets the top-level targets role lists directly that start with
  // `prefix`, sorted (refreshing first if needed). Delegated roles are not enumerated: a
  // release channel is listed by the top-level role. At most `max_names` names; more is
  // kRepositoryError.
  Result<std::vector<std::string>> list_targets(std::string_view prefix,
                                                std::size_t max_names = 10000);

  // Called with (bytes so far, total) while a large target downloads.
  using Progress = std::function<void(std::uint64_t done, std::uint64_t total)>;

  // Like download_target, for large targets: streams to `partial` (appending to what an
  // interrupted download left there, via an HTTP range request when the server supports it),
  // never holds the body in memory, reads at most the signed length, checks the length and
  // every hash, then renames `partial` to `file`. On a length or hash mismatch `partial` is
  // removed (the next attempt starts afresh); on a transport error it is kept for resuming.
  Status download_target_resumable(const TargetInfo& target, const std::filesystem::path& file,
                                   const std::filesystem::path& partial,
                                   const Progress& progress = {});

  [[nodiscard]] const tuf::TrustedSet* trusted_set() const { return trusted_.get(); }
  // The schemes this updater accepts (UpdaterConfig::allowed_schemes).
  [[nodiscard]] const crypto::AllowedSchemes& allowed_schemes() const {
    return config_.allowed_schemes;
  }

 private:
  Status load_root();
  Status load_timestamp();
  Status load_snapshot();
  Result<const tuf::Targets*> load_targets(const std::string& role, const std::string& delegator);
  Result<std::string> target_url(const TargetInfo& target) const;
  Result<Bytes> fetch_metadata(std::string_view role, std::optional<std::int64_t> version,
                               std::uint64_t max_length);

  UpdaterConfig config_;
  net::Fetcher& fetcher_;
  MetadataStore& store_;
  const Clock& clock_;
  std::unique_ptr<tuf::TrustedSet> trusted_;
  bool refreshed_ = false;
  bool timestamp_unchanged_ = false;
  bool snapshot_from_store_ = false;
};

}  // namespace dss::client
