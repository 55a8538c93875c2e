// The admission rules of TrustedSet, one test per rule, each named after it (TUF 1.0.x detailed
// client workflow, spec §5.2–§5.6; ADR 0035 for diamonds and repeated signature key ids).
//
// Every test builds its metadata bytes with the in-memory repository simulator (its keys are
// generated per test) and feeds them to the set directly: no I/O, no clock (the reference time
// is kNow). Each checks the ErrorCode of a refusal, that the refusal left the trusted state as
// it was (or, where the set deliberately keeps an expired or mismatched timestamp or snapshot
// for rollback protection, exactly that), and the accepted case of the same rule.
#include "tuf/trusted_set.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "fakes/repository_simulator.h"

namespace dss::tuf {
namespace {

using testing::RepositorySimulator;

constexpr UnixSeconds kNow = 1'800'000'000;  // 2027-01-15; the simulator's files expire in 2033

template <typename T>
ErrorCode code_of(const Result<T>& r) {
  return r ? ErrorCode::kOk : r.error().code;
}

// The role names the tests use.
const std::vector<std::string> kRoles = {"targets", "r", "s", "a", "b", "shared"};

// Everything the set trusts, as canonical JSON: equal before and after a refusal means the
// refusal changed nothing.
std::map<std::string, std::string> trusted_state(const TrustedSet& set) {
  std::map<std::string, std::string> state;
  state["root"] = to_signed_json(set.root());
  if (set.timestamp() != nullptr) state["timestamp"] = to_signed_json(*set.timestamp());
  if (set.snapshot() != nullptr) state["snapshot"] = to_signed_json(*set.snapshot());
  for (const std::string& role : kRoles) {
    if (const Targets* t = set.targets(role)) state["targets:" + role] = to_signed_json(*t);
    for (const char* delegator : {"root", "targets", "a", "b", "r"}) {
      if (set.is_trusted_through(role, delegator)) {
        state["trusted:" + role + " through " + delegator] = "yes";
      }
    }
  }
  return state;
}

// The two ways targets metadata enters the set: the full parser (string_view overloads) and
// the lean one (Bytes overloads, parsed in place). Targets rules are checked through both.
enum class TargetsPath { kFull, kLean };
constexpr TargetsPath kBothPaths[] = {TargetsPath::kFull, TargetsPath::kLean};

Status load_targets(TrustedSet& set, TargetsPath path, const std::string& bytes,
                    const std::string& role = "targets", const std::string& delegator = "root") {
  if (path == TargetsPath::kFull) {
    return role == "targets" && delegator == "root"
               ? set.update_targets(bytes)
               : set.update_delegated_targets(bytes, role, delegator);
  }
  Bytes raw(bytes.begin(), bytes.end());
  return role == "targets" && delegator == "root"
             ? set.update_targets(std::move(raw))
             : set.update_delegated_targets(std::move(raw), role, delegator);
}

// Loads one top-level role's bytes ("timestamp", "snapshot" from the repository, or "targets").
Status load_role(TrustedSet& set, const std::string& role, TargetsPath path,
                 const std::string& bytes) {
  if (role == "timestamp") {
    auto r = set.update_timestamp(bytes);
    if (!r) return tl::unexpected(r.error());
    return ok();
  }
  if (role == "snapshot") return set.update_snapshot(bytes, Provenance::kRepository);
  return load_targets(set, path, bytes);
}

std::string path_name(TargetsPath path) { return path == TargetsPath::kFull ? "full" : "lean"; }

TrustedSet trusted_root(RepositorySimulator& sim, std::size_t root_version = 1) {
  auto set = TrustedSet::create(sim.signed_roots.at(root_version - 1), kNow);
  DSS_CHECK(set.has_value());
  return std::move(*set);
}

// A set holding root, timestamp and snapshot as the simulator serves them now.
TrustedSet through_snapshot(RepositorySimulator& sim) {
  TrustedSet set = trusted_root(sim, sim.signed_roots.size());
  DSS_CHECK(set.update_timestamp(sim.signed_bytes("timestamp")).has_value());
  DSS_CHECK(set.update_snapshot(sim.signed_bytes("snapshot"), Provenance::kRepository));
  return set;
}

crypto::PrivateKey fresh_key() {
  auto key = crypto::PrivateKey::generate(crypto::KeyScheme::kEd25519);
  DSS_CHECK(key.has_value());
  return std::move(*key);
}

DelegatedRole delegation(const std::string& name, const std::string& pattern) {
  DelegatedRole role;
  role.name = name;
  role.paths = std::vector<std::string>{pattern};
  return role;
}

// ---------------------------------------------------------------------------------------------
// Root (§5.2, §5.3)

TEST(TrustedSetRoot, InitialRootMustBeSignedByItsOwnThreshold) {
  RepositorySimulator sim;
  const std::string signed_json = to_signed_json(sim.root);
  EXPECT_EQ(code_of(TrustedSet::create(to_envelope_json(signed_json, {}), kNow)),
            ErrorCode::kUnsigned);
  const crypto::PrivateKey stranger = fresh_key();
  auto sig = stranger.sign(as_bytes(signed_json));
  ASSERT_TRUE(sig);
  EXPECT_EQ(code_of(TrustedSet::create(
                to_envelope_json(signed_json, {{stranger.public_key().keyid(), *sig}}), kNow)),
            ErrorCode::kUnsigned);
  auto set = TrustedSet::create(sim.signed_roots[0], kNow);
  ASSERT_TRUE(set) << set.error().message;
  EXPECT_EQ(set->root().version, 1);
}

TEST(TrustedSetRoot, NextRootMustBeSignedByTheOldAndTheNewThreshold) {
  RepositorySimulator sim;
  TrustedSet set = trusted_root(sim);
  const auto before = trusted_state(set);
  const std::vector<crypto::PrivateKey> old_keys = sim.signers["root"];
  sim.rotate_keys("root");  // root v2 lists only a new key
  const std::vector<crypto::PrivateKey> new_keys = sim.signers["root"];

  sim.signers["root"] = new_keys;  // signed by the new key only: not by the old threshold
  sim.root.version = 2;
  const std::string new_only = sim.sign_envelope("root", to_signed_json(sim.root));
  EXPECT_EQ(code_of(set.update_root(new_only)), ErrorCode::kUnsigned);
  EXPECT_EQ(trusted_state(set), before);

  sim.signers["root"] = old_keys;  // signed by the old key only: not by its own threshold
  const std::string old_only = sim.sign_envelope("root", to_signed_json(sim.root));
  EXPECT_EQ(code_of(set.update_root(old_only)), ErrorCode::kUnsigned);
  EXPECT_EQ(trusted_state(set), before);

  sim.signers["root"] = old_keys;  // signed by both: accepted
  sim.signers["root"].insert(sim.signers["root"].end(), new_keys.begin(), new_keys.end());
  sim.publish_root();
  ASSERT_TRUE(set.update_root(sim.signed_roots[1]));
  EXPECT_EQ(set.root().version, 2);
  EXPECT_EQ(set.root().roles.at("root").keyids,
            std::vector<std::string>{new_keys[0].public_key().keyid()});
}

TEST(TrustedSetRoot, NextRootMustBeVersionNPlusOne) {
  RepositorySimulator sim;
  TrustedSet set = trusted_root(sim);
  const auto before = trusted_state(set);
  // The same version again (a replay of the trusted root) and a skipped version, both well
  // signed: the version check is the only one that refuses them.
  EXPECT_EQ(code_of(set.update_root(sim.signed_roots[0])), ErrorCode::kBadVersion);
  sim.root.version = 3;
  EXPECT_EQ(code_of(set.update_root(sim.sign_envelope("root", to_signed_json(sim.root)))),
            ErrorCode::kBadVersion);
  EXPECT_EQ(trusted_state(set), before);

  sim.publish_root();  // version 2
  ASSERT_TRUE(set.update_root(sim.signed_roots[1]));
  EXPECT_EQ(set.root().version, 2);
  // An older root after a newer one is a rollback.
  EXPECT_EQ(code_of(set.update_root(sim.signed_roots[0])), ErrorCode::kBadVersion);
  EXPECT_EQ(set.root().version, 2);
}

TEST(TrustedSetRoot, IntermediateRootMayBeExpiredButTheFinalRootMustNotBe) {
  RepositorySimulator sim;
  TrustedSet set = trusted_root(sim);
  sim.root.expires = kNow;  // expired at the reference time (expiry is inclusive)
  sim.publish_root();
  ASSERT_TRUE(set.update_root(sim.signed_roots[1]));  // §5.3.6: not checked mid-chain
  const auto before = trusted_state(set);
  // §5.3.10: the chain ends at an expired root: nothing may be trusted after it.
  EXPECT_EQ(code_of(set.update_timestamp(sim.signed_bytes("timestamp"))), ErrorCode::kExpired);
  EXPECT_EQ(trusted_state(set), before);
  EXPECT_EQ(set.timestamp(), nullptr);

  sim.root.expires = kNow + 1;
  sim.publish_root();
  ASSERT_TRUE(set.update_root(sim.signed_roots[2]));
  EXPECT_EQ(code_of(set.update_timestamp(sim.signed_bytes("timestamp"))), ErrorCode::kOk);
}

TEST(TrustedSetRoot, RootCannotBeUpdatedAfterTimestamp) {
  RepositorySimulator sim;
  TrustedSet set = trusted_root(sim);
  sim.publish_root();
  ASSERT_TRUE(set.update_timestamp(sim.signed_bytes("timestamp")));
  const auto before = trusted_state(set);
  EXPECT_EQ(code_of(set.update_root(sim.signed_roots[1])), ErrorCode::kFailedPrecondition);
  EXPECT_EQ(trusted_state(set), before);
  TrustedSet fresh = trusted_root(sim);  // the same root before any timestamp: accepted
  EXPECT_TRUE(fresh.update_root(sim.signed_roots[1]));
}

TEST(TrustedSetRoot, RotatedTimestampAndSnapshotKeysAllowFastForwardRecovery) {
  // §5.3.11: after a fast-forward attack (an attacker holding the online keys published a
  // timestamp and snapshot at huge versions), root rotates those keys. The stored copies no
  // longer verify, so they give no rollback baseline, and the repository's real, lower
  // versions are accepted.
  RepositorySimulator sim;
  sim.timestamp.version = 1000;
  sim.snapshot.version = 999;
  sim.targets.version = 1000;
  sim.snapshot.meta["targets.json"].version = 1000;
  sim.update_timestamp();
  const std::string attacker_timestamp = sim.signed_bytes("timestamp");
  const std::string attacker_snapshot = sim.signed_bytes("snapshot");

  sim.rotate_keys("timestamp");
  sim.rotate_keys("snapshot");
  sim.publish_root();
  sim.timestamp.version = 4;  // update_timestamp publishes 5
  sim.snapshot.version = 4;
  sim.targets.version = 1;
  sim.snapshot.meta["targets.json"].version = 1;
  sim.update_timestamp();

  TrustedSet set = trusted_root(sim);
  ASSERT_TRUE(set.update_root(sim.signed_roots[1]));
  const auto before = trusted_state(set);
  EXPECT_EQ(code_of(set.update_timestamp(attacker_timestamp)), ErrorCode::kUnsigned);
  EXPECT_EQ(trusted_state(set), before);
  ASSERT_TRUE(set.update_timestamp(sim.signed_bytes("timestamp")));
  const auto* trusted_timestamp = set.timestamp();
  ASSERT_NE(trusted_timestamp, nullptr);
  EXPECT_EQ(trusted_timestamp->version, 5);
  const auto with_timestamp = trusted_state(set);
  EXPECT_EQ(code_of(set.update_snapshot(attacker_snapshot, Provenance::kLocalStore)),
            ErrorCode::kUnsigned);
  EXPECT_EQ(trusted_state(set), with_timestamp);
  ASSERT_TRUE(set.update_snapshot(sim.signed_bytes("snapshot"), Provenance::kRepository));
  const auto* trusted_snapshot = set.snapshot();
  ASSERT_NE(trusted_snapshot, nullptr);
  EXPECT_EQ(trusted_snapshot->meta.at("targets.json").version, 1);
}

// ---------------------------------------------------------------------------------------------
// Timestamp (§5.4)

TEST(TrustedSetTimestamp, TimestampMustBeSignedByTheTimestampThreshold) {
  RepositorySimulator sim;
  sim.add_key("timestamp");
  sim.root.roles["timestamp"].threshold = 2;
  sim.publish_root();
  TrustedSet set = trusted_root(sim, 2);
  const auto before = trusted_state(set);
  const std::vector<crypto::PrivateKey> both = sim.signers["timestamp"];

  sim.signers["timestamp"].pop_back();  // one of the two keys
  EXPECT_EQ(code_of(set.update_timestamp(sim.signed_bytes("timestamp"))), ErrorCode::kUnsigned);
  sim.signers["timestamp"] = {fresh_key(), fresh_key()};  // two keys root does not list
  EXPECT_EQ(code_of(set.update_timestamp(sim.signed_bytes("timestamp"))), ErrorCode::kUnsigned);
  sim.signers["timestamp"] = {both[0], sim.signers["snapshot"][0]};  // and another role's key
  EXPECT_EQ(code_of(set.update_timestamp(sim.signed_bytes("timestamp"))), ErrorCode::kUnsigned);
  EXPECT_EQ(trusted_state(set), before);

  sim.signers["timestamp"] = both;
  ASSERT_EQ(code_of(set.update_timestamp(sim.signed_bytes("timestamp"))), ErrorCode::kOk);
  const auto* trusted_timestamp = set.timestamp();
  ASSERT_NE(trusted_timestamp, nullptr);
  EXPECT_EQ(trusted_timestamp->version, sim.timestamp.version);
}

TEST(TrustedSetTimestamp, TimestampVersionMustNotRollBack) {
  RepositorySimulator sim;
  const std::string v1 = sim.signed_bytes("timestamp");
  sim.update_timestamp();
  const std::string v2 = sim.signed_bytes("timestamp");
  TrustedSet set = trusted_root(sim);
  ASSERT_TRUE(set.update_timestamp(v2));  // e.g. the stored copy
  const auto before = trusted_state(set);
  EXPECT_EQ(code_of(set.update_timestamp(v1)), ErrorCode::kBadVersion);
  EXPECT_EQ(trusted_state(set), before);
  sim.update_timestamp();
  auto newer = set.update_timestamp(sim.signed_bytes("timestamp"));
  ASSERT_TRUE(newer);
  EXPECT_EQ(*newer, TimestampUpdate::kUpdated);
  const auto* trusted_timestamp = set.timestamp();
  ASSERT_NE(trusted_timestamp, nullptr);
  EXPECT_EQ(trusted_timestamp->version, 3);
}

TEST(TrustedSetTimestamp, SameTimestampVersionIsUnchangedAndKeepsTheTrustedCopy) {
  RepositorySimulator sim;
  TrustedSet set = trusted_root(sim);
  ASSERT_TRUE(set.update_timestamp(sim.signed_bytes("timestamp")));
  const auto before = trusted_state(set);
  // Same version, other content (a later expiry): the trusted copy stays, nothing to store.
  sim.timestamp.expires += 1;
  auto same = set.update_timestamp(sim.signed_bytes("timestamp"));
  ASSERT_TRUE(same);
  EXPECT_EQ(*same, TimestampUpdate::kUnchanged);
  EXPECT_EQ(trusted_state(set), before);
}

TEST(TrustedSetTimestamp, SnapshotVersionTheTimestampNamesMustNotRollBack) {
  RepositorySimulator sim;
  sim.update_snapshot();  // timestamp 2 names snapshot 2
  TrustedSet set = trusted_root(sim);
  ASSERT_TRUE(set.update_timestamp(sim.signed_bytes("timestamp")));
  const auto before = trusted_state(set);
  sim.timestamp.version = 3;  // a newer timestamp naming the older snapshot 1
  sim.timestamp.snapshot_meta.version = 1;
  EXPECT_EQ(code_of(set.update_timestamp(sim.signed_bytes("timestamp"))), ErrorCode::kBadVersion);
  EXPECT_EQ(trusted_state(set), before);
  sim.timestamp.snapshot_meta.version = 2;  // naming the same snapshot is no rollback
  ASSERT_TRUE(set.update_timestamp(sim.signed_bytes("timestamp")));
  const auto* trusted_timestamp = set.timestamp();
  ASSERT_NE(trusted_timestamp, nullptr);
  EXPECT_EQ(trusted_timestamp->version, 3);
}

TEST(TrustedSetTimestamp, ExpiredTimestampIsKeptForRollbackProtectionButNotUsed) {
  RepositorySimulator sim;
  TrustedSet set = trusted_root(sim);
  sim.timestamp.expires = kNow;  // expiry is inclusive
  EXPECT_EQ(code_of(set.update_timestamp(sim.signed_bytes("timestamp"))), ErrorCode::kExpired);
  // Kept (so an older one is still refused), but nothing may be loaded on it.
  ASSERT_NE(set.timestamp(), nullptr);
  const auto* trusted_timestamp = set.timestamp();
  ASSERT_NE(trusted_timestamp, nullptr);
  EXPECT_EQ(trusted_timestamp->expires, kNow);
  const auto before = trusted_state(set);
  EXPECT_EQ(code_of(set.update_snapshot(sim.signed_bytes("snapshot"), Provenance::kRepository)),
            ErrorCode::kExpired);
  EXPECT_EQ(trusted_state(set), before);

  sim.update_timestamp();  // a fresh one replaces it
  sim.timestamp.expires = kNow + 1;
  ASSERT_TRUE(set.update_timestamp(sim.signed_bytes("timestamp")));
  EXPECT_TRUE(set.update_snapshot(sim.signed_bytes("snapshot"), Provenance::kRepository));
}

TEST(TrustedSetTimestamp, TimestampCannotBeUpdatedAfterSnapshot) {
  RepositorySimulator sim;
  TrustedSet set = through_snapshot(sim);
  const auto before = trusted_state(set);
  sim.update_timestamp();
  EXPECT_EQ(code_of(set.update_timestamp(sim.signed_bytes("timestamp"))),
            ErrorCode::kFailedPrecondition);
  EXPECT_EQ(trusted_state(set), before);
  TrustedSet fresh = trusted_root(sim);
  EXPECT_TRUE(fresh.update_timestamp(sim.signed_bytes("timestamp")));
}

// ---------------------------------------------------------------------------------------------
// Snapshot (§5.5)

TEST(TrustedSetSnapshot, SnapshotCannotBeLoadedBeforeTimestampOrAfterTargets) {
  RepositorySimulator sim;
  TrustedSet set = trusted_root(sim);
  auto before = trusted_state(set);
  EXPECT_EQ(code_of(set.update_snapshot(sim.signed_bytes("snapshot"), Provenance::kRepository)),
            ErrorCode::kFailedPrecondition);
  EXPECT_EQ(trusted_state(set), before);

  set = through_snapshot(sim);
  ASSERT_TRUE(set.update_targets(sim.signed_bytes("targets")));
  before = trusted_state(set);
  EXPECT_EQ(code_of(set.update_snapshot(sim.signed_bytes("snapshot"), Provenance::kRepository)),
            ErrorCode::kFailedPrecondition);
  EXPECT_EQ(trusted_state(set), before);
}

TEST(TrustedSetSnapshot, SnapshotMustMatchTheLengthAndHashesTheTimestampNames) {
  RepositorySimulator sim;
  TrustedSet set = trusted_root(sim);
  ASSERT_TRUE(set.update_timestamp(sim.signed_bytes("timestamp")));
  const auto before = trusted_state(set);
  const std::string named = sim.signed_bytes("snapshot");
  // Well signed, the right version, but not the file the timestamp names (mix and match).
  sim.snapshot.meta["targets.json"].length = 1;
  EXPECT_EQ(code_of(set.update_snapshot(sim.signed_bytes("snapshot"), Provenance::kRepository)),
            ErrorCode::kLengthOrHashMismatch);
  EXPECT_EQ(code_of(set.update_snapshot(named + " ", Provenance::kRepository)),
            ErrorCode::kLengthOrHashMismatch);  // same JSON, one byte longer
  EXPECT_EQ(trusted_state(set), before);
  ASSERT_TRUE(set.update_snapshot(named, Provenance::kRepository));
  const auto* trusted_snapshot = set.snapshot();
  ASSERT_NE(trusted_snapshot, nullptr);
  EXPECT_EQ(trusted_snapshot->version, 1);
}

TEST(TrustedSetSnapshot, StoredSnapshotSkipsTheHashCheckButNotSignaturesOrVersion) {
  // Bytes from the local store were verified when stored; a newer timestamp's hashes need not
  // match them. Signatures and the version the timestamp names are still checked.
  RepositorySimulator sim;
  const std::string stored = sim.signed_bytes("snapshot");
  sim.snapshot.meta["targets.json"].length = 1;  // the repository re-signed snapshot 1
  sim.update_timestamp();
  TrustedSet set = trusted_root(sim);
  ASSERT_TRUE(set.update_timestamp(sim.signed_bytes("timestamp")));
  const auto before = trusted_state(set);
  EXPECT_EQ(code_of(set.update_snapshot(stored, Provenance::kRepository)),
            ErrorCode::kLengthOrHashMismatch);
  RepositorySimulator other;  // same content, signed by keys this root does not list
  EXPECT_EQ(code_of(set.update_snapshot(other.signed_bytes("snapshot"), Provenance::kLocalStore)),
            ErrorCode::kUnsigned);
  EXPECT_EQ(trusted_state(set), before);
  ASSERT_TRUE(set.update_snapshot(stored, Provenance::kLocalStore));
  const auto* trusted_snapshot = set.snapshot();
  ASSERT_NE(trusted_snapshot, nullptr);
  EXPECT_EQ(trusted_snapshot->version, 1);
}

TEST(TrustedSetSnapshot, SnapshotMustBeSignedByTheSnapshotThreshold) {
  RepositorySimulator sim;
  const std::vector<crypto::PrivateKey> keys = sim.signers["snapshot"];
  sim.signers["snapshot"] = {sim.signers["timestamp"][0]};
  sim.update_timestamp();  // names the wrongly signed bytes: only the signature check is left
  TrustedSet set = trusted_root(sim);
  ASSERT_TRUE(set.update_timestamp(sim.signed_bytes("timestamp")));
  const auto before = trusted_state(set);
  EXPECT_EQ(code_of(set.update_snapshot(sim.signed_bytes("snapshot"), Provenance::kRepository)),
            ErrorCode::kUnsigned);
  EXPECT_EQ(trusted_state(set), before);

  sim.signers["snapshot"] = keys;
  sim.update_timestamp();
  TrustedSet good = trusted_root(sim);
  ASSERT_TRUE(good.update_timestamp(sim.signed_bytes("timestamp")));
  EXPECT_TRUE(good.update_snapshot(sim.signed_bytes("snapshot"), Provenance::kRepository));
}

TEST(TrustedSetSnapshot, SnapshotVersionMustBeTheOneTheTimestampNames) {
  RepositorySimulator sim;
  sim.timestamp.snapshot_meta.version = 2;  // the hashes still name snapshot 1's bytes
  TrustedSet set = trusted_root(sim);
  ASSERT_TRUE(set.update_timestamp(sim.signed_bytes("timestamp")));
  EXPECT_EQ(code_of(set.update_snapshot(sim.signed_bytes("snapshot"), Provenance::kRepository)),
            ErrorCode::kBadVersion);
  // Kept as the rollback baseline for the right one, but no targets may be loaded on it.
  ASSERT_NE(set.snapshot(), nullptr);
  const auto* trusted_snapshot = set.snapshot();
  ASSERT_NE(trusted_snapshot, nullptr);
  EXPECT_EQ(trusted_snapshot->version, 1);
  const auto before = trusted_state(set);
  EXPECT_EQ(code_of(set.update_targets(sim.signed_bytes("targets"))), ErrorCode::kBadVersion);
  EXPECT_EQ(trusted_state(set), before);

  sim.update_timestamp();  // names snapshot 1 again
  TrustedSet good = through_snapshot(sim);
  EXPECT_TRUE(good.update_targets(sim.signed_bytes("targets")));
}

// A set whose trusted snapshot is `old` (as if from the local store), under the timestamp the
// simulator serves now, which names a newer snapshot: `old` is kept as the rollback baseline
// though its version is not the one named.
TrustedSet with_stored_snapshot(RepositorySimulator& sim, const std::string& old) {
  TrustedSet set = trusted_root(sim);
  DSS_CHECK(set.update_timestamp(sim.signed_bytes("timestamp")).has_value());
  DSS_CHECK(code_of(set.update_snapshot(old, Provenance::kLocalStore)) == ErrorCode::kBadVersion);
  return set;
}

TEST(TrustedSetSnapshot, NewSnapshotMustStillListEveryTargetsRole) {
  RepositorySimulator sim;
  sim.snapshot.meta["r.json"] = MetaFile{};
  sim.update_snapshot();  // snapshot 2 lists targets.json and r.json
  const std::string old = sim.signed_bytes("snapshot");
  sim.snapshot.meta.erase("r.json");
  sim.update_snapshot();  // snapshot 3 no longer lists r.json
  TrustedSet set = with_stored_snapshot(sim, old);
  const auto before = trusted_state(set);
  EXPECT_EQ(code_of(set.update_snapshot(sim.signed_bytes("snapshot"), Provenance::kRepository)),
            ErrorCode::kRepositoryError);
  EXPECT_EQ(trusted_state(set), before);
  const auto* trusted_snapshot = set.snapshot();
  ASSERT_NE(trusted_snapshot, nullptr);
  EXPECT_EQ(trusted_snapshot->version, 2);

  sim.snapshot.meta["r.json"] = MetaFile{};
  sim.snapshot.meta["new-role.json"] = MetaFile{};  // adding a role is fine
  sim.update_snapshot();
  TrustedSet again = with_stored_snapshot(sim, old);
  ASSERT_TRUE(again.update_snapshot(sim.signed_bytes("snapshot"), Provenance::kRepository));
  const auto* again_snapshot = again.snapshot();
  ASSERT_NE(again_snapshot, nullptr);
  EXPECT_EQ(again_snapshot->version, 4);
}

TEST(TrustedSetSnapshot, NewSnapshotMustNotRollBackATargetsRoleVersion) {
  RepositorySimulator sim;
  sim.targets.version = 2;
  sim.update_snapshot();  // snapshot 2 names targets 2
  const std::string old = sim.signed_bytes("snapshot");
  sim.targets.version = 1;
  sim.update_snapshot();  // snapshot 3 names targets 1
  TrustedSet set = with_stored_snapshot(sim, old);
  const auto before = trusted_state(set);
  EXPECT_EQ(code_of(set.update_snapshot(sim.signed_bytes("snapshot"), Provenance::kRepository)),
            ErrorCode::kBadVersion);
  EXPECT_EQ(trusted_state(set), before);
  const auto* trusted_snapshot = set.snapshot();
  ASSERT_NE(trusted_snapshot, nullptr);
  EXPECT_EQ(trusted_snapshot->version, 2);

  sim.targets.version = 2;  // the same version is no rollback
  sim.update_snapshot();
  TrustedSet again = with_stored_snapshot(sim, old);
  ASSERT_TRUE(again.update_snapshot(sim.signed_bytes("snapshot"), Provenance::kRepository));
  const auto* again_snapshot = again.snapshot();
  ASSERT_NE(again_snapshot, nullptr);
  EXPECT_EQ(again_snapshot->meta.at("targets.json").version, 2);
}

TEST(TrustedSetSnapshot, ExpiredSnapshotIsKeptForRollbackProtectionButNotUsed) {
  RepositorySimulator sim;
  sim.snapshot.expires = kNow;
  sim.update_timestamp();
  TrustedSet set = trusted_root(sim);
  ASSERT_TRUE(set.update_timestamp(sim.signed_bytes("timestamp")));
  EXPECT_EQ(code_of(set.update_snapshot(sim.signed_bytes("snapshot"), Provenance::kRepository)),
            ErrorCode::kExpired);
  ASSERT_NE(set.snapshot(), nullptr);
  const auto* trusted_snapshot = set.snapshot();
  ASSERT_NE(trusted_snapshot, nullptr);
  EXPECT_EQ(trusted_snapshot->expires, kNow);
  const auto before = trusted_state(set);
  EXPECT_EQ(code_of(set.update_targets(sim.signed_bytes("targets"))), ErrorCode::kExpired);
  EXPECT_EQ(trusted_state(set), before);

  sim.snapshot.expires = kNow + 1;
  sim.update_timestamp();
  TrustedSet fresh = trusted_root(sim);
  ASSERT_TRUE(fresh.update_timestamp(sim.signed_bytes("timestamp")));
  ASSERT_TRUE(fresh.update_snapshot(sim.signed_bytes("snapshot"), Provenance::kRepository));
  EXPECT_TRUE(fresh.update_targets(sim.signed_bytes("targets")));
}

// ---------------------------------------------------------------------------------------------
// Top-level targets (§5.6)

TEST(TrustedSetTargets, TargetsCannotBeLoadedBeforeSnapshot) {
  RepositorySimulator sim;
  for (TargetsPath path : kBothPaths) {
    SCOPED_TRACE(path_name(path));
    TrustedSet set = trusted_root(sim);
    ASSERT_TRUE(set.update_timestamp(sim.signed_bytes("timestamp")));
    const auto before = trusted_state(set);
    EXPECT_EQ(code_of(load_targets(set, path, sim.signed_bytes("targets"))),
              ErrorCode::kFailedPrecondition);
    EXPECT_EQ(trusted_state(set), before);
    ASSERT_TRUE(set.update_snapshot(sim.signed_bytes("snapshot"), Provenance::kRepository));
    EXPECT_TRUE(load_targets(set, path, sim.signed_bytes("targets")));
  }
}

TEST(TrustedSetTargets, TargetsMustMatchTheLengthAndHashesTheSnapshotNames) {
  RepositorySimulator sim;
  sim.update_snapshot();  // snapshot 2 names targets.json with its length and hash
  const std::string named = sim.signed_bytes("targets");
  sim.add_target("targets", "app/1.0/app.tar.gz", "payload");  // same version, other content
  for (TargetsPath path : kBothPaths) {
    SCOPED_TRACE(path_name(path));
    TrustedSet set = through_snapshot(sim);
    const auto before = trusted_state(set);
    EXPECT_EQ(code_of(load_targets(set, path, sim.signed_bytes("targets"))),
              ErrorCode::kLengthOrHashMismatch);
    EXPECT_EQ(trusted_state(set), before);
    ASSERT_TRUE(load_targets(set, path, named));
    auto listed = set.find_target("targets", "root", "app/1.0/app.tar.gz");
    ASSERT_TRUE(listed);
    EXPECT_FALSE(listed->has_value());
  }
}

TEST(TrustedSetTargets, TargetsMustBeSignedByRootsTargetsThreshold) {
  RepositorySimulator sim;
  const std::vector<crypto::PrivateKey> keys = sim.signers["targets"];
  sim.signers["targets"] = {sim.signers["snapshot"][0]};
  sim.update_snapshot();  // names the wrongly signed bytes
  for (TargetsPath path : kBothPaths) {
    SCOPED_TRACE(path_name(path));
    TrustedSet set = through_snapshot(sim);
    const auto before = trusted_state(set);
    EXPECT_EQ(code_of(load_targets(set, path, sim.signed_bytes("targets"))), ErrorCode::kUnsigned);
    EXPECT_EQ(trusted_state(set), before);
  }
  sim.signers["targets"] = keys;
  sim.update_snapshot();
  for (TargetsPath path : kBothPaths) {
    SCOPED_TRACE(path_name(path));
    TrustedSet set = through_snapshot(sim);
    EXPECT_TRUE(load_targets(set, path, sim.signed_bytes("targets")));
  }
}

TEST(TrustedSetTargets, TargetsVersionMustBeTheOneTheSnapshotNames) {
  RepositorySimulator sim;
  sim.compute_metafile_hashes_length = false;  // so that only the version tells them apart
  sim.targets.version = 2;
  sim.update_snapshot();  // names targets 2
  for (TargetsPath path : kBothPaths) {
    SCOPED_TRACE(path_name(path));
    TrustedSet set = through_snapshot(sim);
    const auto before = trusted_state(set);
    for (std::int64_t version : {1, 3}) {
      sim.targets.version = version;
      EXPECT_EQ(code_of(load_targets(set, path, sim.signed_bytes("targets"))),
                ErrorCode::kBadVersion);
    }
    EXPECT_EQ(trusted_state(set), before);
    sim.targets.version = 2;
    ASSERT_TRUE(load_targets(set, path, sim.signed_bytes("targets")));
    EXPECT_EQ(set.targets("targets")->version, 2);
  }
}

TEST(TrustedSetTargets, ExpiredTargetsAreRefused) {
  RepositorySimulator sim;
  sim.targets.expires = kNow;
  sim.update_snapshot();
  for (TargetsPath path : kBothPaths) {
    SCOPED_TRACE(path_name(path));
    TrustedSet set = through_snapshot(sim);
    const auto before = trusted_state(set);
    EXPECT_EQ(code_of(load_targets(set, path, sim.signed_bytes("targets"))), ErrorCode::kExpired);
    EXPECT_EQ(trusted_state(set), before);
    EXPECT_EQ(set.targets("targets"), nullptr);
  }
  sim.targets.expires = kNow + 1;
  sim.update_snapshot();
  for (TargetsPath path : kBothPaths) {
    TrustedSet set = through_snapshot(sim);
    EXPECT_TRUE(load_targets(set, path, sim.signed_bytes("targets")));
  }
}

TEST(TrustedSetTargets, TopLevelTargetsIsDelegatedByRootAndOnlyIt) {
  RepositorySimulator sim;
  sim.add_delegation("targets", delegation("r", "r/*"));
  sim.update_snapshot();
  for (TargetsPath path : kBothPaths) {
    SCOPED_TRACE(path_name(path));
    TrustedSet set = through_snapshot(sim);
    ASSERT_TRUE(load_targets(set, path, sim.signed_bytes("targets")));
    ASSERT_TRUE(load_targets(set, path, sim.signed_bytes("r"), "r", "targets"));
    const auto before = trusted_state(set);
    // "targets" through a targets role, and a delegated role through root: both refused,
    // whatever the keys.
    EXPECT_EQ(code_of(load_targets(set, path, sim.signed_bytes("targets"), "targets", "r")),
              ErrorCode::kFailedPrecondition);
    EXPECT_EQ(code_of(load_targets(set, path, sim.signed_bytes("r"), "r", "root")),
              ErrorCode::kFailedPrecondition);
    EXPECT_EQ(code_of(set.verify_delegation("r", "root")), ErrorCode::kFailedPrecondition);
    EXPECT_EQ(code_of(set.verify_delegation("targets", "r")), ErrorCode::kFailedPrecondition);
    EXPECT_EQ(trusted_state(set), before);
  }
}

// ---------------------------------------------------------------------------------------------
// Delegated targets (§5.6, §5.6.7)

TEST(TrustedSetDelegation, DelegatedRoleMustBeListedInTheSnapshot) {
  RepositorySimulator sim;
  sim.add_delegation("targets", delegation("r", "r/*"));
  sim.update_snapshot();
  sim.snapshot.meta.erase("r.json");
  sim.update_timestamp();
  for (TargetsPath path : kBothPaths) {
    SCOPED_TRACE(path_name(path));
    TrustedSet set = through_snapshot(sim);
    ASSERT_TRUE(load_targets(set, path, sim.signed_bytes("targets")));
    const auto before = trusted_state(set);
    EXPECT_EQ(code_of(load_targets(set, path, sim.signed_bytes("r"), "r", "targets")),
              ErrorCode::kRepositoryError);
    EXPECT_EQ(trusted_state(set), before);
  }
  sim.update_snapshot();  // lists r.json again
  for (TargetsPath path : kBothPaths) {
    TrustedSet set = through_snapshot(sim);
    ASSERT_TRUE(load_targets(set, path, sim.signed_bytes("targets")));
    EXPECT_TRUE(load_targets(set, path, sim.signed_bytes("r"), "r", "targets"));
  }
}

TEST(TrustedSetDelegation, DelegatorMustBeLoadedAndMustDelegateToTheRole) {
  RepositorySimulator sim;
  sim.add_delegation("targets", delegation("r", "r/*"));
  sim.add_delegation("r", delegation("s", "r/s/*"));  // s is delegated by r, not by targets
  sim.update_snapshot();
  for (TargetsPath path : kBothPaths) {
    SCOPED_TRACE(path_name(path));
    TrustedSet set = through_snapshot(sim);
    ASSERT_TRUE(load_targets(set, path, sim.signed_bytes("targets")));
    const auto before = trusted_state(set);
    EXPECT_EQ(code_of(load_targets(set, path, sim.signed_bytes("s"), "s", "r")),
              ErrorCode::kFailedPrecondition);  // r is not loaded yet
    EXPECT_EQ(code_of(load_targets(set, path, sim.signed_bytes("s"), "s", "targets")),
              ErrorCode::kRepositoryError);  // targets does not delegate to s
    EXPECT_EQ(trusted_state(set), before);
    ASSERT_TRUE(load_targets(set, path, sim.signed_bytes("r"), "r", "targets"));
    ASSERT_TRUE(load_targets(set, path, sim.signed_bytes("s"), "s", "r"));
    EXPECT_TRUE(set.is_trusted_through("s", "r"));
  }
}

TEST(TrustedSetDelegation, DelegatedRoleMustBeSignedByTheDelegatorsThresholdOfItsKeys) {
  RepositorySimulator sim;
  sim.add_delegation("targets", delegation("r", "r/*"));
  sim.add_key("r", "targets");
  sim.targets.delegations->roles[0].threshold = 2;
  const std::vector<crypto::PrivateKey> both = sim.signers["r"];
  for (const auto& signers : std::vector<std::vector<crypto::PrivateKey>>{
           {both[0]},                             // below the threshold
           {both[0], sim.signers["targets"][0]},  // and a key root lists, not for r
       }) {
    sim.signers["r"] = signers;
    sim.update_snapshot();
    for (TargetsPath path : kBothPaths) {
      SCOPED_TRACE(path_name(path));
      TrustedSet set = through_snapshot(sim);
      ASSERT_TRUE(load_targets(set, path, sim.signed_bytes("targets")));
      const auto before = trusted_state(set);
      EXPECT_EQ(code_of(load_targets(set, path, sim.signed_bytes("r"), "r", "targets")),
                ErrorCode::kUnsigned);
      EXPECT_EQ(trusted_state(set), before);
    }
  }
  sim.signers["r"] = both;
  sim.update_snapshot();
  for (TargetsPath path : kBothPaths) {
    TrustedSet set = through_snapshot(sim);
    ASSERT_TRUE(load_targets(set, path, sim.signed_bytes("targets")));
    EXPECT_TRUE(load_targets(set, path, sim.signed_bytes("r"), "r", "targets"));
  }
}

TEST(TrustedSetDelegation, DelegatedVersionMustBeTheOneTheSnapshotNames) {
  RepositorySimulator sim;
  sim.compute_metafile_hashes_length = false;
  sim.add_delegation("targets", delegation("r", "r/*"));
  sim.delegates["r"].version = 2;
  sim.update_snapshot();
  for (TargetsPath path : kBothPaths) {
    SCOPED_TRACE(path_name(path));
    TrustedSet set = through_snapshot(sim);
    ASSERT_TRUE(load_targets(set, path, sim.signed_bytes("targets")));
    const auto before = trusted_state(set);
    sim.delegates["r"].version = 1;
    EXPECT_EQ(code_of(load_targets(set, path, sim.signed_bytes("r"), "r", "targets")),
              ErrorCode::kBadVersion);
    EXPECT_EQ(trusted_state(set), before);
    sim.delegates["r"].version = 2;
    EXPECT_TRUE(load_targets(set, path, sim.signed_bytes("r"), "r", "targets"));
  }
}

TEST(TrustedSetDelegation, ExpiredDelegatedRoleIsRefused) {
  RepositorySimulator sim;
  sim.add_delegation("targets", delegation("r", "r/*"));
  sim.delegates["r"].expires = kNow;
  sim.update_snapshot();
  for (TargetsPath path : kBothPaths) {
    SCOPED_TRACE(path_name(path));
    TrustedSet set = through_snapshot(sim);
    ASSERT_TRUE(load_targets(set, path, sim.signed_bytes("targets")));
    const auto before = trusted_state(set);
    EXPECT_EQ(code_of(load_targets(set, path, sim.signed_bytes("r"), "r", "targets")),
              ErrorCode::kExpired);
    EXPECT_EQ(trusted_state(set), before);
  }
  sim.delegates["r"].expires = kNow + 1;
  sim.update_snapshot();
  for (TargetsPath path : kBothPaths) {
    TrustedSet set = through_snapshot(sim);
    ASSERT_TRUE(load_targets(set, path, sim.signed_bytes("targets")));
    EXPECT_TRUE(load_targets(set, path, sim.signed_bytes("r"), "r", "targets"));
  }
}

// ---------------------------------------------------------------------------------------------
// Diamonds (§5.6.7, ADR 0035): "shared" is delegated by both "a" and "b", each with its own key.

struct Diamond {
  RepositorySimulator sim;
  crypto::PrivateKey key_a = fresh_key();
  crypto::PrivateKey key_b = fresh_key();
  Diamond() {
    sim.add_delegation("targets", delegation("a", "a/*"));
    sim.add_delegation("targets", delegation("b", "b/*"));
    key_a = sim.add_delegation("a", delegation("shared", "a/*"));
    key_b = sim.add_delegation("b", delegation("shared", "b/*"));
    sim.add_target("shared", "a/app.tar.gz", "for a");
    sim.add_target("shared", "b/app.tar.gz", "for b");
  }
  // A set with targets, a and b loaded, and "shared" signed by `signers`, loaded through a.
  TrustedSet loaded_through_a(TargetsPath path, std::vector<crypto::PrivateKey> signers) {
    sim.signers["shared"] = std::move(signers);
    sim.update_snapshot();
    TrustedSet set = through_snapshot(sim);
    DSS_CHECK(load_targets(set, path, sim.signed_bytes("targets")).has_value());
    DSS_CHECK(load_targets(set, path, sim.signed_bytes("a"), "a", "targets").has_value());
    DSS_CHECK(load_targets(set, path, sim.signed_bytes("b"), "b", "targets").has_value());
    DSS_CHECK(load_targets(set, path, sim.signed_bytes("shared"), "shared", "a").has_value());
    return set;
  }
};

TEST(TrustedSetDiamond, RoleVerifiedThroughOneDelegatorIsNotTrustedThroughAnother) {
  Diamond d;
  for (TargetsPath path : kBothPaths) {
    SCOPED_TRACE(path_name(path));
    TrustedSet set = d.loaded_through_a(path, {d.key_a});  // only a's key signed it
    EXPECT_TRUE(set.is_trusted_through("shared", "a"));
    auto via_a = set.find_target("shared", "a", "a/app.tar.gz");
    ASSERT_TRUE(via_a);
    EXPECT_TRUE(via_a->has_value());
    const auto before = trusted_state(set);
    // Not verified through b: lookups through b are refused until it is, and it fails.
    EXPECT_EQ(code_of(set.find_target("shared", "b", "b/app.tar.gz")),
              ErrorCode::kFailedPrecondition);
    EXPECT_EQ(code_of(set.verify_delegation("shared", "b")), ErrorCode::kUnsigned);
    EXPECT_FALSE(set.is_trusted_through("shared", "b"));
    EXPECT_EQ(code_of(set.find_target("shared", "b", "b/app.tar.gz")),
              ErrorCode::kFailedPrecondition);
    EXPECT_EQ(trusted_state(set), before);
  }
  for (TargetsPath path : kBothPaths) {
    SCOPED_TRACE(path_name(path));
    TrustedSet set = d.loaded_through_a(path, {d.key_a, d.key_b});  // signed for both
    ASSERT_TRUE(set.verify_delegation("shared", "b"));
    EXPECT_TRUE(set.is_trusted_through("shared", "b"));
    auto via_b = set.find_target("shared", "b", "b/app.tar.gz");
    ASSERT_TRUE(via_b);
    EXPECT_TRUE(via_b->has_value());
    EXPECT_TRUE(set.verify_delegation("shared", "b"));  // again: already verified
  }
}

TEST(TrustedSetDiamond, ReloadedRoleIsTrustedThroughTheNewDelegatorOnly) {
  Diamond d;
  for (TargetsPath path : kBothPaths) {
    SCOPED_TRACE(path_name(path));
    TrustedSet set = d.loaded_through_a(path, {d.key_a, d.key_b});
    ASSERT_TRUE(set.verify_delegation("shared", "b"));
    ASSERT_TRUE(load_targets(set, path, d.sim.signed_bytes("shared"), "shared", "b"));
    EXPECT_TRUE(set.is_trusted_through("shared", "b"));
    EXPECT_FALSE(set.is_trusted_through("shared", "a"));  // a verified the old copy
    EXPECT_EQ(code_of(set.find_target("shared", "a", "a/app.tar.gz")),
              ErrorCode::kFailedPrecondition);
  }
}

TEST(TrustedSetDiamond, VerifyingADelegationNeedsBothRolesLoaded) {
  Diamond d;
  d.sim.update_snapshot();
  for (TargetsPath path : kBothPaths) {
    SCOPED_TRACE(path_name(path));
    TrustedSet set = through_snapshot(d.sim);
    ASSERT_TRUE(load_targets(set, path, d.sim.signed_bytes("targets")));
    ASSERT_TRUE(load_targets(set, path, d.sim.signed_bytes("a"), "a", "targets"));
    ASSERT_TRUE(load_targets(set, path, d.sim.signed_bytes("shared"), "shared", "a"));
    const auto before = trusted_state(set);
    EXPECT_EQ(code_of(set.verify_delegation("b", "targets")), ErrorCode::kFailedPrecondition);
    EXPECT_EQ(code_of(set.verify_delegation("shared", "b")), ErrorCode::kFailedPrecondition);
    EXPECT_EQ(code_of(set.verify_delegation("a", "shared")), ErrorCode::kRepositoryError);
    EXPECT_EQ(trusted_state(set), before);
    ASSERT_TRUE(load_targets(set, path, d.sim.signed_bytes("b"), "b", "targets"));
    EXPECT_TRUE(set.verify_delegation("shared", "b"));
  }
}

// ---------------------------------------------------------------------------------------------
// Signatures and format (§4.2, §4.3)

TEST(TrustedSetSignatures, RepeatedKeyIdInSignaturesIsMalformed) {
  {  // root: the one valid signature, listed twice
    RepositorySimulator sim;
    TrustedSet set = trusted_root(sim);
    const auto before = trusted_state(set);
    const std::vector<crypto::PrivateKey> keys = sim.signers["root"];
    sim.signers["root"] = {keys[0], keys[0]};
    sim.root.version = 2;
    const std::string doubled = sim.sign_envelope("root", to_signed_json(sim.root));
    EXPECT_EQ(code_of(TrustedSet::create(doubled, kNow)), ErrorCode::kMalformed);
    EXPECT_EQ(code_of(set.update_root(doubled)), ErrorCode::kMalformed);
    EXPECT_EQ(trusted_state(set), before);
    sim.signers["root"] = keys;
    sim.publish_root();
    EXPECT_TRUE(set.update_root(sim.signed_roots[1]));
  }
  const std::vector<std::string> steps = {"timestamp", "snapshot", "targets"};
  for (const std::string& role : steps) {
    for (TargetsPath path : kBothPaths) {
      if (role != "targets" && path == TargetsPath::kLean) continue;
      SCOPED_TRACE(role + " " + path_name(path));
      RepositorySimulator sim;
      const std::vector<crypto::PrivateKey> keys = sim.signers[role];
      sim.signers[role] = {keys[0], keys[0]};
      sim.update_snapshot();  // the files that name this one name the doubled bytes
      TrustedSet set = trusted_root(sim);
      for (const std::string& step : steps) {
        if (step == role) break;
        ASSERT_TRUE(load_role(set, step, path, sim.signed_bytes(step)));
      }
      const auto before = trusted_state(set);
      EXPECT_EQ(code_of(load_role(set, role, path, sim.signed_bytes(role))), ErrorCode::kMalformed);
      EXPECT_EQ(trusted_state(set), before);

      sim.signers[role] = keys;
      sim.update_snapshot();
      TrustedSet good = trusted_root(sim);
      for (const std::string& step : steps) {
        ASSERT_TRUE(load_role(good, step, path, sim.signed_bytes(step))) << step;
      }
    }
  }
}

TEST(TrustedSetSignatures, ThresholdCountsDistinctKeysNotKeyIds) {
  // One key listed under two key ids, threshold 2, "signed" under both ids: one key.
  RepositorySimulator sim;
  const crypto::PrivateKey key = sim.signers["root"][0];
  sim.root.keys.emplace("alias", key.public_key());
  sim.root.roles["root"].keyids.push_back("alias");
  sim.root.roles["root"].threshold = 2;
  const std::string signed_json = to_signed_json(sim.root);
  auto sig = key.sign(as_bytes(signed_json));
  ASSERT_TRUE(sig);
  sim.extra_signatures["root"] = {Signature{"alias", *sig}};
  EXPECT_EQ(code_of(TrustedSet::create(sim.sign_envelope("root", signed_json), kNow)),
            ErrorCode::kUnsigned);

  const crypto::PrivateKey second = fresh_key();  // a second key makes two
  sim.root.keys.emplace(second.public_key().keyid(), second.public_key());
  sim.root.roles["root"].keyids.push_back(second.public_key().keyid());
  sim.signers["root"].push_back(second);
  sim.extra_signatures["root"].clear();
  auto set = TrustedSet::create(sim.sign_envelope("root", to_signed_json(sim.root)), kNow);
  ASSERT_TRUE(set) << set.error().message;
}

TEST(TrustedSetSignatures, InvalidAndUnknownSignaturesAreIgnored) {
  // Extra signatures that do not verify (an unknown key, another role's key, an empty or a
  // wrong signature) neither count nor make well-signed metadata unusable.
  RepositorySimulator sim;
  const Bytes junk(64, 0x5a);
  sim.extra_signatures["timestamp"] = {
      Signature{"unknown-key", junk},
      Signature{sim.signers["snapshot"][0].public_key().keyid(), junk},
      Signature{"empty", {}},
  };
  TrustedSet set = trusted_root(sim);
  ASSERT_TRUE(set.update_timestamp(sim.signed_bytes("timestamp")));
  const auto* trusted_timestamp = set.timestamp();
  ASSERT_NE(trusted_timestamp, nullptr);
  EXPECT_EQ(trusted_timestamp->version, 1);

  // The same extras alone are no signature at all.
  sim.signers["timestamp"].clear();
  sim.update_timestamp();
  TrustedSet unsigned_set = trusted_root(sim);
  const auto before = trusted_state(unsigned_set);
  EXPECT_EQ(code_of(unsigned_set.update_timestamp(sim.signed_bytes("timestamp"))),
            ErrorCode::kUnsigned);
  EXPECT_EQ(trusted_state(unsigned_set), before);
}

// ---------------------------------------------------------------------------------------------
// Signature schemes (crypto.allowed_signature_algorithms)

crypto::AllowedSchemes allowing(std::set<std::string, std::less<>> words) {
  auto a = crypto::AllowedSchemes::from_words(words);
  DSS_CHECK(a.has_value());
  return *a;
}

TEST(TrustedSetSchemes, RootSignedWithAnRsaKeyIsRefusedOnTheDefaultsAndAcceptedWhenRsaIsAllowed) {
  RepositorySimulator sim;
  for (const std::string& keyid : sim.root.roles["root"].keyids) sim.root.keys.erase(keyid);
  sim.root.roles["root"].keyids.clear();
  sim.signers["root"].clear();
  sim.add_key("root", "root", crypto::KeyScheme::kRsaPssSha256);
  const std::string root = sim.sign_envelope("root", to_signed_json(sim.root));
  auto refused = TrustedSet::create(root, kNow);  // the secure default
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kUnsigned);
  EXPECT_NE(refused.error().message.find("crypto.allowed_signature_algorithms"), std::string::npos)
      << refused.error().message;
  auto accepted = TrustedSet::create(root, kNow, allowing({"ecdsa-p256", "ed25519", "rsa-pss"}));
  ASSERT_TRUE(accepted) << accepted.error().message;
  EXPECT_EQ(code_of(TrustedSet::create(root, kNow, allowing({"ed25519"}))), ErrorCode::kUnsigned);
}

TEST(TrustedSetSchemes, KeyOfADisallowedSchemeCountsTowardNoThreshold) {
  // Targets threshold 2: one Ed25519 key and one RSA key, both signing. On the defaults the RSA
  // signature does not count, through the full and the lean path alike.
  RepositorySimulator sim;
  sim.compute_metafile_hashes_length = false;  // RSA-PSS signs differently each time
  sim.add_key("targets", "root", crypto::KeyScheme::kRsaPssSha256);
  sim.root.roles["targets"].threshold = 2;
  sim.publish_root();
  sim.update_snapshot();
  for (TargetsPath path : kBothPaths) {
    SCOPED_TRACE(path_name(path));
    auto created = TrustedSet::create(sim.signed_roots.back(), kNow);
    ASSERT_TRUE(created) << created.error().message;
    TrustedSet set = std::move(*created);
    ASSERT_TRUE(set.update_timestamp(sim.signed_bytes("timestamp")));
    ASSERT_TRUE(set.update_snapshot(sim.signed_bytes("snapshot"), Provenance::kRepository));
    const auto before = trusted_state(set);
    const Status st = load_targets(set, path, sim.signed_bytes("targets"));
    ASSERT_FALSE(st);
    EXPECT_EQ(st.error().code, ErrorCode::kUnsigned);
    EXPECT_NE(st.error().message.find("rsassa-pss-sha256"), std::string::npos)
        << st.error().message;
    EXPECT_EQ(trusted_state(set), before);
  }
  for (TargetsPath path : kBothPaths) {
    SCOPED_TRACE(path_name(path));
    auto created =
        TrustedSet::create(sim.signed_roots.back(), kNow, allowing({"ed25519", "rsa-pss"}));
    ASSERT_TRUE(created) << created.error().message;
    TrustedSet set = std::move(*created);
    ASSERT_TRUE(set.update_timestamp(sim.signed_bytes("timestamp")));
    ASSERT_TRUE(set.update_snapshot(sim.signed_bytes("snapshot"), Provenance::kRepository));
    EXPECT_TRUE(load_targets(set, path, sim.signed_bytes("targets")));
  }
}

TEST(TrustedSetSchemes, DelegatedKeyOfADisallowedSchemeCountsTowardNoThreshold) {
  RepositorySimulator sim;
  sim.compute_metafile_hashes_length = false;  // RSA-PSS signs differently each time
  sim.add_delegation("targets", delegation("r", "r/*"));
  sim.add_key("r", "targets", crypto::KeyScheme::kRsaPssSha256);
  sim.targets.delegations->roles[0].threshold = 2;
  sim.update_snapshot();
  for (const bool rsa_allowed : {false, true}) {
    for (TargetsPath path : kBothPaths) {
      SCOPED_TRACE(path_name(path) + (rsa_allowed ? " rsa allowed" : " defaults"));
      auto created = TrustedSet::create(
          sim.signed_roots.back(), kNow,
          rsa_allowed ? allowing({"ed25519", "rsa-pss"}) : crypto::AllowedSchemes{});
      ASSERT_TRUE(created);
      TrustedSet set = std::move(*created);
      ASSERT_TRUE(set.update_timestamp(sim.signed_bytes("timestamp")));
      ASSERT_TRUE(set.update_snapshot(sim.signed_bytes("snapshot"), Provenance::kRepository));
      ASSERT_TRUE(load_targets(set, path, sim.signed_bytes("targets")));
      EXPECT_EQ(code_of(load_targets(set, path, sim.signed_bytes("r"), "r", "targets")),
                rsa_allowed ? ErrorCode::kOk : ErrorCode::kUnsigned);
    }
  }
}

TEST(TrustedSetSchemes, EcdsaKeysAreAcceptedOnTheDefaultsAndRefusedWhenOnlyEd25519IsAllowed) {
  RepositorySimulator sim;
  sim.add_key("timestamp", "root", crypto::KeyScheme::kEcdsaP256);
  sim.root.roles["timestamp"].threshold = 2;
  sim.publish_root();
  sim.update_timestamp();
  auto defaults = TrustedSet::create(sim.signed_roots.back(), kNow);
  ASSERT_TRUE(defaults);
  EXPECT_TRUE(defaults->update_timestamp(sim.signed_bytes("timestamp")));
  auto strict = TrustedSet::create(sim.signed_roots.back(), kNow, allowing({"ed25519"}));
  ASSERT_TRUE(strict);
  EXPECT_EQ(code_of(strict->update_timestamp(sim.signed_bytes("timestamp"))), ErrorCode::kUnsigned);
}

TEST(TrustedSetFormat, MetadataOfAnotherRoleIsWrongType) {
  RepositorySimulator sim;  // its snapshot names targets.json without hashes: bytes get parsed
  const std::string root = sim.signed_roots[0];
  const std::string timestamp = sim.signed_bytes("timestamp");
  const std::string snapshot = sim.signed_bytes("snapshot");
  EXPECT_EQ(code_of(TrustedSet::create(timestamp, kNow)), ErrorCode::kWrongType);
  TrustedSet set = trusted_root(sim);
  auto before = trusted_state(set);
  EXPECT_EQ(code_of(set.update_root(timestamp)), ErrorCode::kWrongType);
  EXPECT_EQ(code_of(set.update_timestamp(snapshot)), ErrorCode::kWrongType);
  EXPECT_EQ(code_of(set.update_timestamp(root)), ErrorCode::kWrongType);
  EXPECT_EQ(trusted_state(set), before);
  ASSERT_TRUE(set.update_timestamp(timestamp));
  before = trusted_state(set);
  EXPECT_EQ(code_of(set.update_snapshot(timestamp, Provenance::kLocalStore)),
            ErrorCode::kWrongType);
  EXPECT_EQ(trusted_state(set), before);
  ASSERT_TRUE(set.update_snapshot(snapshot, Provenance::kRepository));
  before = trusted_state(set);
  for (TargetsPath path : kBothPaths) {
    SCOPED_TRACE(path_name(path));
    EXPECT_EQ(code_of(load_targets(set, path, snapshot)), ErrorCode::kWrongType);
    EXPECT_EQ(trusted_state(set), before);
  }
  EXPECT_TRUE(set.update_targets(sim.signed_bytes("targets")));
}

TEST(TrustedSetFormat, UnsupportedSpecVersionIsRefused) {
  RepositorySimulator sim;
  TrustedSet set = trusted_root(sim);
  const auto before = trusted_state(set);
  sim.root.spec_version = "2.0.0";
  sim.publish_root();
  EXPECT_EQ(code_of(set.update_root(sim.signed_roots[1])), ErrorCode::kUnsupported);
  sim.timestamp.spec_version = "2.0";
  EXPECT_EQ(code_of(set.update_timestamp(sim.signed_bytes("timestamp"))), ErrorCode::kUnsupported);
  EXPECT_EQ(trusted_state(set), before);
  sim.timestamp.spec_version = "1.0";  // any 1.x
  EXPECT_TRUE(set.update_timestamp(sim.signed_bytes("timestamp")));
}

TEST(TrustedSetFormat, MalformedMetadataIsRefused) {
  RepositorySimulator sim;
  const std::vector<std::string> bad = {
      "",
      "{",
      "not json",
      "[]",
      R"({"signed":{},"signatures":[]})",
      R"({"signed":[],"signatures":[]})",
      R"({"signatures":[]})",
  };
  TrustedSet set = trusted_root(sim);
  auto before = trusted_state(set);
  for (const std::string& bytes : bad) {
    SCOPED_TRACE(bytes);
    EXPECT_EQ(code_of(TrustedSet::create(bytes, kNow)), ErrorCode::kMalformed);
    EXPECT_EQ(code_of(set.update_root(bytes)), ErrorCode::kMalformed);
    EXPECT_EQ(code_of(set.update_timestamp(bytes)), ErrorCode::kMalformed);
  }
  EXPECT_EQ(trusted_state(set), before);
  ASSERT_TRUE(set.update_timestamp(sim.signed_bytes("timestamp")));
  before = trusted_state(set);
  for (const std::string& bytes : bad) {
    SCOPED_TRACE(bytes);
    EXPECT_EQ(code_of(set.update_snapshot(bytes, Provenance::kLocalStore)), ErrorCode::kMalformed);
  }
  EXPECT_EQ(trusted_state(set), before);
  ASSERT_TRUE(set.update_snapshot(sim.signed_bytes("snapshot"), Provenance::kRepository));
  before = trusted_state(set);
  for (const std::string& bytes : bad) {
    for (TargetsPath path : kBothPaths) {
      SCOPED_TRACE(bytes + " " + path_name(path));
      EXPECT_EQ(code_of(load_targets(set, path, bytes)), ErrorCode::kMalformed);
    }
  }
  EXPECT_EQ(trusted_state(set), before);
}

}  // namespace
}  // namespace dss::tuf
