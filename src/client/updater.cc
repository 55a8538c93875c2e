#include "client/updater.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <vector>

#include "core/json.h"
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
  DSS_TRY(tuf::TrustedSet set,
          tuf::TrustedSet::create(*root, clock_.now(), config_.allowed_schemes));
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
  const tuf::Timestamp* timestamp = trusted_->timestamp();
  if (timestamp == nullptr) {
    return make_error(ErrorCode::kFailedPrecondition, "no trusted timestamp to load a snapshot by");
  }
  const tuf::MetaFile& meta = timestamp->snapshot_meta;
  const std::uint64_t max = meta.length.value_or(config_.max_snapshot_length);
  std::optional<std::int64_t> version;
  if (trusted_->root().consistent_snapshot) version = meta.version;
  DSS_TRY(Bytes bytes, fetch_metadata("snapshot", version, max));
  DSS_TRY_STATUS(trusted_->update_snapshot(view(bytes), tuf::Provenance::kRepository));
  return store_.store("snapshot", view(bytes));
}

Result<const tuf::Targets*> Updater::load_targets(const std::string& role,
                                                  const std::string& delegator) {
  if (const tuf::Targets* loaded = trusted_->targets(role)) {
    // Loaded through another delegator (a diamond): trusted for this one's paths only if it
    // satisfies this delegator's keys and threshold too (§5.6.7; ADR 0035).
    DSS_TRY_STATUS(trusted_->verify_delegation(role, delegator));
    return loaded;
  }
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
  // §5.6.7 (tuf::search_delegations). A role loaded by an earlier lookup through another
  // delegator is verified again against the current one in load_targets before anything it
  // lists is used (ADR 0035).
  DSS_TRY(tuf::TargetSearch search,
          tuf::search_delegations(
              *trusted_, target_path, config_.max_delegations,
              [this](const std::string& role, const std::string& delegator) -> Status {
                DSS_TRY(const tuf::Targets* targets, load_targets(role, delegator));
                (void)targets;
                return ok();
              }));
  if (search.found) return TargetInfo{std::string(target_path), std::move(*search.found)};
  return make_error(ErrorCode::kTargetNotFound,
                    "no trusted targets role lists \"" + std::string(target_path) + "\"" +
                        (search.stopped_at_bound
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

Result<std::string> Updater::target_url(const TargetInfo& target) const {
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
  return url;
}

Result<std::vector<std::string>> Updater::list_targets(std::string_view prefix,
                                                       std::size_t max_names) {
  if (!refreshed_) DSS_TRY_STATUS(refresh());
  DSS_TRY(const tuf::Targets* targets, load_targets("targets", "root"));
  (void)targets;
  // The bytes the trusted set accepted (signature and expiry checked); only the names are read.
  json::JsonParser parser;
  DSS_TRY(json::Element root, parser.parse_copy(trusted_->raw_targets("targets")));
  simdjson::dom::object listed;
  if (root["signed"]["targets"].get(listed) != simdjson::SUCCESS) {
    return make_error(ErrorCode::kMalformed, "targets.json has no signed.targets object");
  }
  std::vector<std::string> names;
  for (auto field : listed) {
    const std::string_view name = field.key;
    if (!name.starts_with(prefix)) continue;
    if (names.size() == max_names) {
      return make_error(ErrorCode::kRepositoryError, "more than " + std::to_string(max_names) +
                                                         " targets start with \"" +
                                                         std::string(prefix) + "\"");
    }
    names.emplace_back(name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

Status Updater::download_target_resumable(const TargetInfo& target,
                                          const std::filesystem::path& file,
                                          const std::filesystem::path& partial,
                                          const Progress& progress) {
  if (!refreshed_) return make_error(ErrorCode::kFailedPrecondition, "refresh before downloading");
  std::vector<std::pair<std::string, crypto::HashAlgorithm>> algorithms;
  for (const auto& [name, digest] : target.file.hashes) {
    DSS_TRY(crypto::HashAlgorithm alg, crypto::hash_algorithm_from_name(name));
    algorithms.emplace_back(name, alg);
  }
  if (algorithms.empty()) {
    return make_error(ErrorCode::kMalformed, "target " + target.path + " lists no hash");
  }
  DSS_TRY(std::string url, target_url(target));
  const std::uint64_t length = target.file.length;
  platform::Fd fd(::open(partial.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (fd.get() < 0) return platform::io_error("cannot open", partial);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return platform::io_error("cannot stat", partial);
  std::uint64_t have = static_cast<std::uint64_t>(st.st_size);
  if (have > length) have = 0;  // not a prefix of this target: start again

  // The hashes cover the whole file, so what is already there is hashed first.
  std::vector<std::unique_ptr<crypto::Hasher>> hashers;
  auto restart_hashers = [&] {
    hashers.clear();
    for (const auto& a : algorithms) hashers.push_back(std::make_unique<crypto::Hasher>(a.second));
  };
  restart_hashers();
  {
    std::vector<std::uint8_t> buf(1 << 20);
    std::uint64_t off = 0;
    while (off < have) {
      const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), have - off));
      const ssize_t n = ::pread(fd.get(), buf.data(), want, static_cast<off_t>(off));
      if (n <= 0) return platform::io_error("cannot read", partial);
      for (auto& h : hashers) h->update(ByteView(buf.data(), static_cast<std::size_t>(n)));
      off += static_cast<std::uint64_t>(n);
    }
  }
  std::uint64_t done = have;
  if (done < length) {
    bool first = true;
    bool resumed = false;
    auto sink = [&](ByteView chunk) -> Status {
      if (first) {
        first = false;
        if (!resumed && done > 0) {  // the server sent the whole file: drop what we had
          done = 0;
          restart_hashers();
          if (::ftruncate(fd.get(), 0) != 0) return platform::io_error("cannot truncate", partial);
        }
      }
      std::size_t written = 0;
      while (written < chunk.size()) {
        const ssize_t n = ::pwrite(fd.get(), chunk.data() + written, chunk.size() - written,
                                   static_cast<off_t>(done + written));
        if (n < 0) {
          if (errno == EINTR) continue;
          return platform::io_error("cannot write", partial);
        }
        written += static_cast<std::size_t>(n);
      }
      for (auto& h : hashers) h->update(chunk);
      done += chunk.size();
      if (progress) progress(done, length);
      return ok();
    };
    // `resumed` is set by the transport before the first chunk reaches the sink.
    DSS_TRY_STATUS(fetcher_.fetch_stream(url, have, length, sink, resumed));
    if (first && have > 0 && !resumed) {
      done = 0;  // an empty full body
      if (::ftruncate(fd.get(), 0) != 0) return platform::io_error("cannot truncate", partial);
    }
  }
  auto mismatch = [&](const std::string& what) -> Status {
    fd = platform::Fd();
    ignore_error(platform::remove_file_durable(partial));  // the error below is what matters
    return make_error(ErrorCode::kLengthOrHashMismatch, "target " + target.path + ": " + what);
  };
  if (done != length) {
    return mismatch("received " + std::to_string(done) + " bytes, the signed length is " +
                    std::to_string(length));
  }
  for (std::size_t i = 0; i < algorithms.size(); ++i) {
    if (hex_encode(hashers[i]->finish()) != target.file.hashes.at(algorithms[i].first)) {
      return mismatch(algorithms[i].first + " does not match the signed hash");
    }
  }
  if (::fsync(fd.get()) != 0) return platform::io_error("cannot fsync", partial);
  fd = platform::Fd();
  if (::rename(partial.c_str(), file.c_str()) != 0)
    return platform::io_error("cannot rename", partial);
  return platform::fsync_dir(file.parent_path());
}

Status Updater::download_target(const TargetInfo& target, const std::filesystem::path& file) {
  if (!refreshed_) return make_error(ErrorCode::kFailedPrecondition, "refresh before downloading");
  // Every listed algorithm must be one we can check, or the target cannot be verified.
  for (const auto& [name, digest] : target.file.hashes) {
    DSS_TRY_STATUS(crypto::hash_algorithm_from_name(name));
  }
  DSS_TRY(bool cached, is_cached(target, file));
  if (cached) return ok();
  DSS_TRY(std::string url, target_url(target));
  DSS_TRY(Bytes bytes, fetcher_.fetch(url, target.file.length));
  DSS_TRY_STATUS(tuf::verify_length_and_hashes(bytes, target.file.length, target.file.hashes,
                                               "target " + target.path));
  return platform::write_file_atomic(file, bytes, platform::FileMode::kPublic);
}

}  // namespace dss::client
