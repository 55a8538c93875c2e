#include "tuf/trusted_set.h"

#include <set>
#include <utility>
#include <vector>

namespace dss::tuf {

namespace {

tl::unexpected<Error> out_of_order(std::string_view what) {
  return make_error(ErrorCode::kFailedPrecondition, std::string(what));
}

Status verify_by_root_role(const Root& root, std::string_view role, const std::string& md_signed,
                           const std::vector<Signature>& signatures,
                           const crypto::AllowedSchemes& allowed) {
  const auto it = root.roles.find(std::string(role));
  if (it == root.roles.end()) {
    return make_error(ErrorCode::kMalformed, "root does not define the role " + std::string(role));
  }
  return verify_threshold(role, root.keys, it->second.keyids, it->second.threshold, md_signed,
                          signatures, allowed);
}

}  // namespace

Status verify_threshold(std::string_view role, const std::map<std::string, crypto::PublicKey>& keys,
                        const std::vector<std::string>& keyids, std::int64_t threshold,
                        std::string_view md_signed, const std::vector<Signature>& signatures,
                        const crypto::AllowedSchemes& allowed) {
  if (threshold < 1) {
    return make_error(ErrorCode::kBadThreshold,
                      "role " + std::string(role) + " has a threshold below 1");
  }
  std::set<std::string, std::less<>> counted;  // key fingerprints, not key ids
  std::set<crypto::KeyScheme> refused;         // schemes of keys the setting does not allow
  for (const std::string& keyid : keyids) {
    const auto key = keys.find(keyid);
    if (key == keys.end() || counted.contains(key->second.fingerprint())) continue;
    // crypto.allowed_signature_algorithms: such a key counts toward no threshold. Its
    // signatures are not even checked, so no code for a refused scheme runs on them.
    if (!allowed.allows(key->second)) {
      if (key->second.usable()) refused.insert(key->second.scheme());
      continue;
    }
    for (const Signature& sig : signatures) {
      if (sig.keyid != keyid) continue;
      if (key->second.verify(as_bytes(md_signed), sig.sig)) {
        counted.insert(key->second.fingerprint());
        break;
      }
    }
  }
  if (static_cast<std::int64_t>(counted.size()) < threshold) {
    std::string why;
    for (const crypto::KeyScheme s : refused) {
      why += "; keys of the scheme " + std::string(crypto::key_scheme_name(s)) +
             " were not counted, since " + std::string(crypto::kAllowedSchemesSetting) + " is " +
             allowed.to_string() + ". " + crypto::how_to_allow(s);
    }
    return make_error(ErrorCode::kUnsigned,
                      std::string(role) + " metadata has valid signatures from " +
                          std::to_string(counted.size()) + " distinct trusted key(s); " +
                          std::to_string(threshold) + " are required" + why);
  }
  return ok();
}

Result<TrustedSet> TrustedSet::create(std::string_view root_bytes, UnixSeconds reference_time,
                                      crypto::AllowedSchemes allowed) {
  MetadataParser parser;
  DSS_TRY(Metadata<Root> md, parser.root(root_bytes));
  DSS_TRY_STATUS(
      verify_by_root_role(md.signed_, "root", md.signed_canonical, md.signatures, allowed));
  return TrustedSet(std::move(md.signed_), reference_time, allowed);
}

Status TrustedSet::update_root(std::string_view bytes) {
  if (timestamp_) return out_of_order("root cannot be updated after timestamp");
  MetadataParser parser;
  DSS_TRY(Metadata<Root> md, parser.root(bytes));
  // §5.3.4: signed by a threshold of keys from the trusted root, and (§5.3.5) of its own.
  DSS_TRY_STATUS(verify_by_root_role(root_, "root", md.signed_canonical, md.signatures, allowed_));
  DSS_TRY_STATUS(
      verify_by_root_role(md.signed_, "root", md.signed_canonical, md.signatures, allowed_));
  // §5.3.5: the version must be exactly N+1 (also catches a file name/content mismatch).
  if (md.signed_.version != root_.version + 1) {
    return make_error(ErrorCode::kBadVersion, "expected root version " +
                                                  std::to_string(root_.version + 1) + ", got " +
                                                  std::to_string(md.signed_.version));
  }
  root_ = std::move(md.signed_);
  return ok();
}

Result<TimestampUpdate> TrustedSet::update_timestamp(std::string_view bytes) {
  if (snapshot_) return out_of_order("timestamp cannot be updated after snapshot");
  // §5.3.10: a root that has expired means a freeze attack (or a provider that stopped
  // signing); either way nothing further may be trusted.
  if (root_.is_expired(reference_time_)) {
    return make_error(ErrorCode::kExpired, "the final root metadata (version " +
                                               std::to_string(root_.version) + ") expired at " +
                                               format_utc_timestamp(root_.expires));
  }
  MetadataParser parser;
  DSS_TRY(Metadata<Timestamp> md, parser.timestamp(bytes));
  DSS_TRY_STATUS(
      verify_by_root_role(root_, "timestamp", md.signed_canonical, md.signatures, allowed_));
  if (timestamp_) {
    // §5.4.3: rollback of the timestamp itself, and (§5.4.3.2) of the snapshot it names.
    if (md.signed_.version < timestamp_->version) {
      return make_error(ErrorCode::kBadVersion,
                        "timestamp version " + std::to_string(md.signed_.version) +
                            " is older than the trusted version " +
                            std::to_string(timestamp_->version) + " (rollback attack)");
    }
    if (md.signed_.version == timestamp_->version) return TimestampUpdate::kUnchanged;
    if (md.signed_.snapshot_meta.version < timestamp_->snapshot_meta.version) {
      return make_error(
          ErrorCode::kBadVersion,
          "timestamp names snapshot version " + std::to_string(md.signed_.snapshot_meta.version) +
              ", older than the trusted " + std::to_string(timestamp_->snapshot_meta.version) +
              " (rollback attack)");
    }
  }
  timestamp_ = std::move(md.signed_);
  DSS_TRY_STATUS(check_final_timestamp());
  return TimestampUpdate::kUpdated;
}

Status TrustedSet::check_final_timestamp() const {
  // §5.4.4: freeze attack.
  if (timestamp_->is_expired(reference_time_)) {
    return make_error(ErrorCode::kExpired,
                      "timestamp metadata (version " + std::to_string(timestamp_->version) +
                          ") expired at " + format_utc_timestamp(timestamp_->expires));
  }
  return ok();
}

Status TrustedSet::update_snapshot(std::string_view bytes, Provenance provenance) {
  if (!timestamp_) return out_of_order("snapshot cannot be loaded before timestamp");
  if (!targets_.empty()) return out_of_order("snapshot cannot be updated after targets");
  DSS_TRY_STATUS(check_final_timestamp());
  const MetaFile& expected = timestamp_->snapshot_meta;
  if (provenance == Provenance::kRepository) {
    // §5.5.2: the snapshot the timestamp names, byte for byte (mix-and-match defence).
    DSS_TRY_STATUS(verify_length_and_hashes(as_bytes(bytes), expected.length, expected.hashes,
                                            "snapshot metadata"));
  }
  MetadataParser parser;
  DSS_TRY(Metadata<Snapshot> md, parser.snapshot(bytes));
  DSS_TRY_STATUS(
      verify_by_root_role(root_, "snapshot", md.signed_canonical, md.signatures, allowed_));
  if (snapshot_) {
    // §5.5.5: no targets metadata may disappear or roll back.
    for (const auto& [name, old_meta] : snapshot_->meta) {
      const auto it = md.signed_.meta.find(name);
      if (it == md.signed_.meta.end()) {
        return make_error(ErrorCode::kRepositoryError,
                          "new snapshot no longer lists " + name + " (rollback attack)");
      }
      if (it->second.version < old_meta.version) {
        return make_error(ErrorCode::kBadVersion,
                          "new snapshot lists " + name + " version " +
                              std::to_string(it->second.version) + ", older than the trusted " +
                              std::to_string(old_meta.version) + " (rollback attack)");
      }
    }
  }
  snapshot_ = std::move(md.signed_);
  return check_final_snapshot();
}

Status TrustedSet::check_final_snapshot() const {
  // §5.5.6: freeze attack; §5.5.3: the version the timestamp names.
  if (snapshot_->is_expired(reference_time_)) {
    return make_error(ErrorCode::kExpired,
                      "snapshot metadata (version " + std::to_string(snapshot_->version) +
                          ") expired at " + format_utc_timestamp(snapshot_->expires));
  }
  if (snapshot_->version != timestamp_->snapshot_meta.version) {
    return make_error(
        ErrorCode::kBadVersion,
        "snapshot version " + std::to_string(snapshot_->version) + " is not the version " +
            std::to_string(timestamp_->snapshot_meta.version) + " that timestamp names");
  }
  return ok();
}

Status TrustedSet::update_targets(std::string_view bytes) {
  return update_delegated_targets(bytes, "targets", "root");
}

Result<const MetaFile*> TrustedSet::targets_meta(std::string_view role) const {
  if (!snapshot_) return out_of_order("targets cannot be loaded before snapshot");
  DSS_TRY_STATUS(check_final_snapshot());
  const std::string meta_name = std::string(role) + ".json";
  const auto meta = snapshot_->meta.find(meta_name);
  if (meta == snapshot_->meta.end()) {
    return make_error(ErrorCode::kRepositoryError,
                      "snapshot does not list " + meta_name + "; the role cannot be trusted");
  }
  return &meta->second;
}

Status TrustedSet::update_delegated_targets(std::string_view bytes, std::string_view role,
                                            std::string_view delegator) {
  DSS_TRY(const MetaFile* meta, targets_meta(role));
  // §5.6.2: the file the snapshot names (mix-and-match defence).
  DSS_TRY_STATUS(verify_length_and_hashes(as_bytes(bytes), meta->length, meta->hashes,
                                          std::string(role) + ".json"));
  MetadataParser parser;
  DSS_TRY(Metadata<Targets> md, parser.targets(bytes));
  DSS_TRY_STATUS(accept_targets(role, delegator, *meta, md, md.message(bytes)));
  raw_targets_.erase(std::string(role));  // the accepted copy is the parsed one
  return ok();
}

Status TrustedSet::update_targets(Bytes bytes) {
  return update_delegated_targets(std::move(bytes), "targets", "root");
}

Status TrustedSet::update_delegated_targets(Bytes bytes, std::string_view role,
                                            std::string_view delegator) {
  DSS_TRY(const MetaFile* meta, targets_meta(role));
  DSS_TRY_STATUS(
      verify_length_and_hashes(bytes, meta->length, meta->hashes, std::string(role) + ".json"));
  Metadata<Targets> md;
  {
    MetadataParser parser;  // its buffers are freed before the bytes are kept
    DSS_TRY(md, parser.targets_lean(bytes));
  }
  DSS_TRY_STATUS(accept_targets(role, delegator, *meta, md, md.message(as_chars(bytes))));
  raw_targets_.insert_or_assign(std::string(role), std::move(bytes));
  return ok();
}

Status TrustedSet::verify_signed_by(std::string_view role, std::string_view delegator,
                                    std::string_view message,
                                    const std::vector<Signature>& signatures) const {
  // §5.6 / §5.2: root delegates the top-level targets role and nothing else; a targets role
  // never delegates "targets" (that name would let a delegated key sign the top-level role).
  if ((delegator == "root") != (role == "targets")) {
    return out_of_order("the top-level targets role is delegated by root, and only it is");
  }
  // §5.6.3: signed by the delegator's threshold of the keys it lists for this role.
  if (delegator == "root") {
    const auto it = root_.roles.find("targets");
    return verify_threshold("targets", root_.keys, it->second.keyids, it->second.threshold, message,
                            signatures, allowed_);
  }
  const Targets* parent = targets(delegator);
  if (parent == nullptr) return out_of_order("delegator role is not loaded");
  const DelegatedRole* found = nullptr;
  if (parent->delegations) {
    for (const DelegatedRole& r : parent->delegations->roles) {
      if (r.name == role) found = &r;
    }
  }
  if (found == nullptr) {
    return make_error(ErrorCode::kRepositoryError,
                      std::string(delegator) + " does not delegate to " + std::string(role));
  }
  return verify_threshold(role, parent->delegations->keys, found->keyids, found->threshold, message,
                          signatures, allowed_);
}

Status TrustedSet::accept_targets(std::string_view role, std::string_view delegator,
                                  const MetaFile& meta, Metadata<Targets>& md,
                                  std::string_view message) {
  const std::string meta_name = std::string(role) + ".json";
  DSS_TRY_STATUS(verify_signed_by(role, delegator, message, md.signatures));
  // §5.6.4: the version the snapshot names; §5.6.5: freeze attack.
  if (md.signed_.version != meta.version) {
    return make_error(ErrorCode::kBadVersion,
                      meta_name + " has version " + std::to_string(md.signed_.version) +
                          "; snapshot names version " + std::to_string(meta.version));
  }
  if (md.signed_.is_expired(reference_time_)) {
    return make_error(ErrorCode::kExpired,
                      meta_name + " expired at " + format_utc_timestamp(md.signed_.expires));
  }
  // A new copy replaces the old one and is trusted through this delegator only: the others
  // verified the old bytes, not these.
  LoadedTargets loaded;
  loaded.targets = std::move(md.signed_);
  loaded.signatures = std::move(md.signatures);
  loaded.message_in_raw = md.message_in_source;
  loaded.raw_offset = md.raw_offset;
  loaded.raw_length = md.raw_length;
  loaded.canonical = std::move(md.signed_canonical);
  loaded.verified_by.emplace(delegator);
  targets_.insert_or_assign(std::string(role), std::move(loaded));
  return ok();
}

std::string_view TrustedSet::message_of(std::string_view role, const LoadedTargets& loaded) const {
  if (!loaded.message_in_raw) return loaded.canonical;
  const auto raw = raw_targets_.find(role);
  DSS_CHECK(raw != raw_targets_.end());  // set together in update_delegated_targets(Bytes)
  return as_chars(raw->second).substr(loaded.raw_offset, loaded.raw_length);
}

Status TrustedSet::verify_delegation(std::string_view role, std::string_view delegator) {
  const auto it = targets_.find(role);
  if (it == targets_.end()) return out_of_order("targets role is not loaded");
  if (it->second.verified_by.contains(delegator)) return ok();
  DSS_TRY_STATUS(
      verify_signed_by(role, delegator, message_of(role, it->second), it->second.signatures));
  it->second.verified_by.emplace(delegator);
  return ok();
}

bool TrustedSet::is_trusted_through(std::string_view role, std::string_view delegator) const {
  const auto it = targets_.find(role);
  return it != targets_.end() && it->second.verified_by.contains(delegator);
}

Result<std::optional<TargetFile>> TrustedSet::find_target(std::string_view role,
                                                          std::string_view delegator,
                                                          std::string_view path) const {
  const auto loaded = targets_.find(role);
  if (loaded == targets_.end()) return out_of_order("targets role is not loaded");
  if (!loaded->second.verified_by.contains(delegator)) {
    return out_of_order(std::string(role) + " has not been verified against the keys " +
                        std::string(delegator) + " lists for it");
  }
  const auto raw = raw_targets_.find(role);
  if (raw == raw_targets_.end()) {
    const auto it = loaded->second.targets.targets.find(std::string(path));
    if (it == loaded->second.targets.targets.end()) return std::optional<TargetFile>();
    return std::optional<TargetFile>(it->second);
  }
  MetadataParser parser;
  return parser.find_target(raw->second, path);
}

std::string_view TrustedSet::raw_targets(std::string_view role) const {
  const auto raw = raw_targets_.find(role);
  return raw == raw_targets_.end() ? std::string_view() : as_chars(raw->second);
}

const Targets* TrustedSet::targets(std::string_view role) const {
  const auto it = targets_.find(role);
  return it == targets_.end() ? nullptr : &it->second.targets;
}

Result<TargetSearch> search_delegations(
    TrustedSet& set, std::string_view path, int max_roles,
    const std::function<Status(const std::string& role, const std::string& delegator)>& load) {
  std::vector<std::pair<std::string, std::string>> to_visit{{"targets", "root"}};
  std::set<std::string, std::less<>> visited;
  int budget = max_roles;
  while (budget > 0 && !to_visit.empty()) {
    auto [role, delegator] = std::move(to_visit.back());
    to_visit.pop_back();
    if (visited.contains(role)) continue;
    DSS_TRY_STATUS(load(role, delegator));
    DSS_TRY(std::optional<TargetFile> found, set.find_target(role, delegator, path));
    if (found) return TargetSearch{std::move(found), role, false};
    visited.insert(role);
    --budget;
    const Targets* targets = set.targets(role);
    if (targets == nullptr || !targets->delegations) continue;
    std::vector<std::pair<std::string, std::string>> children;
    for (const DelegatedRole& child : targets->delegations->roles) {
      if (!child.is_delegated_path(path)) continue;
      children.emplace_back(child.name, role);
      if (child.terminating) {
        to_visit.clear();  // §5.6.7.2.1: a terminating delegation ends the search below it
        break;
      }
    }
    to_visit.insert(to_visit.end(), children.rbegin(), children.rend());
  }
  return TargetSearch{std::nullopt, std::string(), budget == 0 && !to_visit.empty()};
}

}  // namespace dss::tuf
