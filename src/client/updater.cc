#include "client/updater.h"

#include <set>
#include <vector>

#include "core/url.h"
#include "crypto/hash.h"
#include "platform/files.h"

namespace dss::client {

namespace {

std::string_view view(const Bytes& b) { return as_chars(b); }

}  // namespace

Updater::Updater(UpdaterConfig config, net::Fetcher& fetcher, MetadataStore& store,
                 const Clock& clock)
    : config_(std::move(config)), fetcher_(fetcher), store_(store), clock_(clock) {}

Status Updater::refresh() {
  trusted_.reset();
  refreshed_ = false;
  timestamp_unchanged_ = false;
  snapshot_from_store_ = false;
  DSS_TRY(std::optional<std::string> root, store_.load("root", config_.max_root_length));
  if (!root) {
    return make_error(ErrorCode::kFailedPrecondition,
                      "no trusted root is stored; initialise the client with a root it can trust");
  }
  // §5.1: the reference time, read once.
  DSS_TRY(tuf::TrustedSet set, tuf::TrustedSet::create(*root, clock_.now()));
  trusted_ = std::make_unique<tuf::TrustedSet>(std::move(set));
  DSS_TRY_STATUS(load_root());
  DSS_TRY_STATUS(load_timestamp());
  DSS_TRY_STATUS(load_snapshot());
  // Nothing changed since the last refresh: the stored targets.json is the one this snapshot
  // names and was verified when stored, so it is not re-read here; it is loaded (and its
  // expiry checked) when a target is looked up. This keeps a no-change refresh to one small
  // download and one small signature check, however large targets.json is.
  if (!(timestamp_unchanged_ && snapshot_from_store_)) {
    DSS_TRY(const tuf::Targets* targets, load_targets("targets", "root"));
    (void)targets;
  }
  refreshed_ = true;
  return ok();
}

Result<Bytes> Updater::fetch_metadata(std::string_view role, std::optional<std::int64_t> version,
                                      std::uint64_t max_length) {
  std::string url = config_.metadata_base_url;
  if (version) url += std::to_string(*version) + ".";
  url += percent_encode(role);
  url += ".json";
  return fetcher_.fetch(url, max_length);
}

Status Updater::load_root() {
  // §5.3: follow the chain of roots, each version N+1 signed by N's and its own threshold.
  const std::int64_t lower = trusted_->root().version + 1;
  const std::int64_t upper = lower + config_.max_root_rotations;
  for (std::int64_t next = lower; next < upper; ++next) {
    auto bytes = fetch_metadata("root", next, config_.max_root_length);
    if (!bytes) {
      if (bytes.error().code == ErrorCode::kNotFound) break;  // no newer root: normal
      return tl::unexpected(std::move(bytes).error());
    }
    DSS_TRY_STATUS(trusted_->update_root(view(*bytes)));
    DSS_TRY_STATUS(store_.store("root", view(*bytes)));
  }
  return ok();
}

Status Updater::load_timestamp() {
  // A stored timestamp that still verifies gives rollback protection. If the timestamp keys
  // rotated it no longer verifies and is dropped: fast-forward recovery (§5.3.11).
  auto local = store_.load("timestamp", config_.max_timestamp_length);
  if (local && *local) ignore_error(trusted_->update_timestamp(**local));  // may be stale
  DSS_TRY(Bytes bytes, fetch_metadata("timestamp", std::nullopt, config_.max_timestamp_length));
  DSS_TRY(tuf::TimestampUpdate update, trusted_->update_timestamp(view(bytes)));
  if (update == tuf::TimestampUpdate::kUnchanged) {
    timestamp_unchanged_ = true;
    return ok();
  }
  return store_.store("timestamp", view(bytes));
}

Status Updater::load_snapshot() {
  auto local = store_.load("snapshot", config_.max_snapshot_length);
  if (local && *local && trusted_->update_snapshot(**local, tuf::Provenance::kLocalStore)) {
    snapshot_from_store_ = true;
    return ok();  // still the snapshot the timestamp names: nothing to fetch
  }
  const tuf::MetaFile& meta = trusted_->timestamp()->snapshot_meta;
  const std::uint64_t max = meta.length.value_or(config_.max_snapshot_length);
  std::optional<std::int64_t> version;
  if (trusted_->root().consistent_snapshot) version = meta.version;
  DSS_TRY(Bytes bytes, fetch_metadata("snapshot", version, max));
  DSS_TRY_STATUS(trusted_->update_snapshot(view(bytes), tuf::Provenance::kRepository));
  return store_.store("snapshot", view(bytes));
}

Result<const tuf::Targets*> Updater::load_targets(const std::string& role,
                                                  const std::string& delegator) {
  if (const tuf::Targets* loaded = trusted_->targets(role)) return loaded;
  // Targets metadata can be large: it is handed to the trusted set, which keeps the accepted
  // bytes (no parsed copy of every target) and is what gets stored.
  auto local = store_.load(role, config_.max_targets_length);
  if (local && *local) {
    const std::string& text = **local;
    Bytes bytes;
    bytes.reserve(text.size() + 64);  // room for the parser's padding: no second copy
    bytes.assign(text.begin(), text.end());
    local = std::optional<std::string>();  // free the text before parsing
    if (trusted_->update_delegated_targets(std::move(bytes), role, delegator)) {
      return trusted_->targets(role);
    }
  }
  const auto meta = trusted_->snapshot()->meta.find(role + ".json");
  if (meta == trusted_->snapshot()->meta.end()) {
    return make_error(ErrorCode::kRepositoryError,
                      "snapshot does not list " + role + ".json; the role cannot be trusted");
  }
  const std::uint64_t max = meta->second.length.value_or(config_.max_targets_length);
  std::optional<std::int64_t> version;
  if (trusted_->root().consistent_snapshot) version = meta->second.version;
  DSS_TRY(Bytes bytes, fetch_metadata(role, version, max));
  DSS_TRY_STATUS(trusted_->update_delegated_targets(std::move(bytes), role, delegator));
  DSS_TRY_STATUS(store_.store(role, trusted_->raw_targets(role)));
  return trusted_->targets(role);
}

Result<TargetInfo> Updater::get_target_info(std::string_view target_path) {
  if (!refreshed_) DSS_TRY_STATUS(refresh());
  // §5.6.7: pre-order depth-first search; a visited set defeats cycles and diamonds, and at
  // most max_delegations roles are visited.
  std::vector<std::pair<std::string, std::string>> to_visit{{"targets", "root"}};
  std::set<std::string, std::less<>> visited;
  int budget = config_.max_delegations;
  while (budget > 0 && !to_visit.empty()) {
    auto [role, delegator] = std::move(to_visit.back());
    to_visit.pop_back();
    if (visited.contains(role)) continue;
    DSS_TRY(const tuf::Targets* targets, load_targets(role, delegator));
    DSS_TRY(std::optional<tuf::TargetFile> found, trusted_->find_target(role, target_path));
    if (found) return TargetInfo{std::string(target_path), std::move(*found)};
    visited.insert(role);
    --budget;
    if (!targets->delegations) continue;
    std::vector<std::pair<std::string, std::string>> children;
    for (const tuf::DelegatedRole& child : targets->delegations->roles) {
      if (!child.is_delegated_path(target_path)) continue;
      children.emplace_back(child.name, role);
      if (child.terminating) {
        to_visit.clear();  // §5.6.7.2.1: a terminating delegation ends the search below it
        break;
      }
    }
    to_visit.insert(to_visit.end(), children.rbegin(), children.rend());
  }
  return make_error(ErrorCode::kTargetNotFound,
                    "no trusted targets role lists \"" + std::string(target_path) + "\"" +
                        (budget == 0 && !to_visit.empty()
                             ? " (search stopped after " + std::to_string(config_.max_delegations) +
                                   " delegated roles)"
                             : ""));
}

Result<bool> Updater::is_cached(const TargetInfo& target, const std::filesystem::path& file) const {
  auto bytes = platform::read_file(file, target.file.length + 1);
  if (!bytes) {
    if (bytes.error().code == ErrorCode::kNotFound) return false;
    if (bytes.error().code == ErrorCode::kMalformed) return false;  // larger than the target
    return tl::unexpected(std::move(bytes).error());
  }
  return static_cast<bool>(
      tuf::verify_length_and_hashes(*bytes, target.file.length, target.file.hashes, target.path));
}

Status Updater::download_target(const TargetInfo& target, const std::filesystem::path& file) {
  if (!refreshed_) return make_error(ErrorCode::kFailedPrecondition, "refresh before downloading");
  // Every listed algorithm must be one we can check, or the target cannot be verified.
  for (const auto& [name, digest] : target.file.hashes) {
    DSS_TRY_STATUS(crypto::hash_algorithm_from_name(name));
  }
  DSS_TRY(bool cached, is_cached(target, file));
  if (cached) return ok();
  if (config_.target_base_url.empty()) {
    return make_error(ErrorCode::kInvalidArgument, "no target base URL is configured");
  }
  // §5.7.3: under consistent snapshots the file is fetched as <dir>/<hash>.<basename>.
  std::string url = config_.target_base_url;
  const std::size_t slash = target.path.rfind('/');
  const std::string dir = slash == std::string::npos ? "" : target.path.substr(0, slash + 1);
  const std::string base = slash == std::string::npos ? target.path : target.path.substr(slash + 1);
  url += dir;
  if (trusted_->root().consistent_snapshot && !target.file.hashes.empty()) {
    const auto sha256 = target.file.hashes.find("sha256");
    url += (sha256 != target.file.hashes.end() ? sha256 : target.file.hashes.begin())->second + ".";
  }
  url += base;
  DSS_TRY(Bytes bytes, fetcher_.fetch(url, target.file.length));
  DSS_TRY_STATUS(tuf::verify_length_and_hashes(bytes, target.file.length, target.file.hashes,
                                               "target " + target.path));
  return platform::write_file_atomic(file, bytes, platform::FileMode::kPublic);
}

}  // namespace dss::client
