// The trusted metadata set: accepts or rejects metadata *bytes* following the TUF 1.0.x
// detailed client workflow (spec §5.2–§5.6), and holds what it has accepted. It does no I/O
// and reads no clock: the reference time is fixed at construction. The updater (src/client)
// decides what to load and from where.
//
// Loading order is enforced: root* → timestamp → snapshot → targets → delegated targets.
// An intermediate timestamp or snapshot that is expired (or, for snapshot, not the version the
// timestamp names) is kept for rollback protection but reported as an error, so the caller
// neither persists it nor proceeds with it, as in python-tuf.
//
// Not thread-safe.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "crypto/allowed_schemes.h"
#include "tuf/metadata.h"

namespace dss::tuf {

// Bound on root rotations per refresh (spec §5.3.3 suggests a fixed maximum).
inline constexpr std::int64_t kMaxRootRotations = 256;

enum class TimestampUpdate { kUpdated, kUnchanged };
// Where snapshot bytes come from. Bytes from the local store were verified when they were
// stored; their hashes may no longer match a newer timestamp, which is not an attack.
enum class Provenance { kRepository, kLocalStore };

class TrustedSet {
 public:
  // §5.2: `root_bytes` is the trusted root; it must be signed by its own root threshold.
  // Its expiry is not checked here (§5.3.10 checks the final root). Only keys whose scheme
  // `allowed` lists (crypto.allowed_signature_algorithms) count toward any threshold, for
  // every role this set ever verifies.
  static Result<TrustedSet> create(std::string_view root_bytes, UnixSeconds reference_time,
                                   crypto::AllowedSchemes allowed = {});

  // §5.3: the next root, version N+1, signed by the current and by its own root threshold.
  Status update_root(std::string_view bytes);
  // §5.4 (after §5.3.10's freeze check on the final root). kUnchanged when the version equals
  // the trusted one: the trusted timestamp stays and nothing needs storing.
  Result<TimestampUpdate> update_timestamp(std::string_view bytes);
  // §5.5.
  Status update_snapshot(std::string_view bytes, Provenance provenance);
  // §5.6 for top-level targets (delegated by root).
  Status update_targets(std::string_view bytes);
  // §5.6 for a delegated role, verified with the keys its delegator lists. "targets" is
  // delegated by "root" only, and no other role is. Loading a role again replaces it: the new
  // copy is then trusted through `delegator` alone (see verify_delegation).
  Status update_delegated_targets(std::string_view bytes, std::string_view role,
                                  std::string_view delegator);
  // The same checks for large metadata: the set takes the bytes, keeps them instead of a
  // parsed list of targets (look targets up with find_target), and parses them in place.
  // On success raw_targets(role) is the accepted file, exactly as received.
  Status update_targets(Bytes bytes);
  Status update_delegated_targets(Bytes bytes, std::string_view role, std::string_view delegator);

  // §5.6.7 with diamonds: one role may be delegated by several roles, each with its own keys
  // and paths. A loaded copy is trusted only through the delegators it was verified against;
  // this checks the already loaded `role` against `delegator`'s keys and threshold for it
  // (no new bytes, so the content cannot change) and records the pair. kFailedPrecondition if
  // either role is not loaded, kRepositoryError if `delegator` does not delegate to `role`,
  // kUnsigned below its threshold. Succeeds at once for a pair already verified.
  Status verify_delegation(std::string_view role, std::string_view delegator);
  // Whether the loaded `role` has been verified against `delegator`.
  [[nodiscard]] bool is_trusted_through(std::string_view role, std::string_view delegator) const;

  // The target `path` as listed by the loaded role `role`, reached through `delegator`;
  // nullopt if not listed. kFailedPrecondition unless the role was verified against that
  // delegator (update_*targets or verify_delegation): a copy verified through one parent
  // is never trusted for another parent's paths.
  Result<std::optional<TargetFile>> find_target(std::string_view role, std::string_view delegator,
                                                std::string_view path) const;
  // The accepted file of a role loaded through the Bytes overloads (empty otherwise).
  [[nodiscard]] std::string_view raw_targets(std::string_view role) const;

  [[nodiscard]] const Root& root() const { return root_; }
  [[nodiscard]] const Timestamp* timestamp() const { return timestamp_ ? &*timestamp_ : nullptr; }
  [[nodiscard]] const Snapshot* snapshot() const { return snapshot_ ? &*snapshot_ : nullptr; }
  // "targets" or a delegated role name; nullptr when not loaded. The content does not depend
  // on the delegator; whether it may be used for a delegator's paths does (find_target).
  [[nodiscard]] const Targets* targets(std::string_view role) const;
  [[nodiscard]] UnixSeconds reference_time() const { return reference_time_; }
  [[nodiscard]] const crypto::AllowedSchemes& allowed_schemes() const { return allowed_; }

 private:
  TrustedSet(Root root, UnixSeconds reference_time, crypto::AllowedSchemes allowed)
      : root_(std::move(root)), reference_time_(reference_time), allowed_(allowed) {}
  Status check_final_timestamp() const;
  Status check_final_snapshot() const;
  // An accepted targets role, with what re-verifying it against another delegator needs.
  struct LoadedTargets {
    Targets targets;
    std::vector<Signature> signatures;
    std::string canonical;        // the signed bytes, unless they are a slice of raw_targets_
    bool message_in_raw = false;  // then they are raw_targets_[role][raw_offset, +raw_length)
    std::size_t raw_offset = 0;
    std::size_t raw_length = 0;
    std::set<std::string, std::less<>> verified_by;  // delegators whose keys it satisfies
  };

  Result<const MetaFile*> targets_meta(std::string_view role) const;
  Status verify_signed_by(std::string_view role, std::string_view delegator,
                          std::string_view message, const std::vector<Signature>& signatures) const;
  Status accept_targets(std::string_view role, std::string_view delegator, const MetaFile& meta,
                        Metadata<Targets>& md, std::string_view message);
  [[nodiscard]] std::string_view message_of(std::string_view role,
                                            const LoadedTargets& loaded) const;

  Root root_;
  UnixSeconds reference_time_;
  crypto::AllowedSchemes allowed_;
  std::optional<Timestamp> timestamp_;
  std::optional<Snapshot> snapshot_;
  std::map<std::string, LoadedTargets, std::less<>> targets_;
  mutable std::map<std::string, Bytes, std::less<>> raw_targets_;  // parsed in place on lookup
};

// The outcome of a delegation search (search_delegations).
struct TargetSearch {
  std::optional<TargetFile> found;  // nullopt: no trusted role on the search lists the path
  std::string role;                 // the role that lists it, when found
  bool stopped_at_bound = false;    // the search ended at max_roles with roles left to visit
};

// §5.6.7: the pre-order depth-first search of delegations for `path`, from the top-level
// targets role, following only delegations trusted for `path` and stopping below a
// terminating one; each role name is visited once (cycles; a role reached again through
// another delegator is the same file), at most `max_roles` roles. `load(role, delegator)` must
// leave `role` in `set` verified against `delegator` (update_delegated_targets, or
// verify_delegation for a role already loaded) or return why not; its error ends the search.
// The one search shared by the updater and by readers of a repository (dss server).
Result<TargetSearch> search_delegations(
    TrustedSet& set, std::string_view path, int max_roles,
    const std::function<Status(const std::string& role, const std::string& delegator)>& load);

// Counts valid signatures over `md_signed` by distinct keys among `keyids` (keys looked up in
// `keys`); duplicate signatures and several key ids for the same key count once; invalid,
// unknown-key and empty signatures are ignored, and so are keys of a scheme `allowed` does
// not list (their signatures count toward no threshold). kUnsigned below `threshold`.
Status verify_threshold(std::string_view role, const std::map<std::string, crypto::PublicKey>& keys,
                        const std::vector<std::string>& keyids, std::int64_t threshold,
                        std::string_view md_signed, const std::vector<Signature>& signatures,
                        const crypto::AllowedSchemes& allowed);

}  // namespace dss::tuf
