// The TUF client workflow against an in-memory repository, one test per specification rule
// or attack. Assertions are on ErrorCode and on what was fetched and stored.
#include "client/updater.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/url.h"
#include "crypto/hash.h"
#include "fakes/fake_clock.h"
#include "fakes/memory_metadata_store.h"
#include "fakes/repository_simulator.h"

namespace dss::client {
namespace {

using testing::FakeClock;
using testing::MemoryMetadataStore;
using testing::RepositorySimulator;

class UpdaterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store.files["root"] = repo.signed_roots.front();
    target_dir = std::filesystem::temp_directory_path() /
                 ("dss-updater-test-" + std::to_string(::getpid()) + "-" +
                  ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(target_dir);
    std::filesystem::create_directories(target_dir);
  }
  void TearDown() override { std::filesystem::remove_all(target_dir); }

  Updater make_updater() {
    UpdaterConfig config;
    config.metadata_base_url = std::string(RepositorySimulator::kMetadataUrl);
    config.target_base_url = std::string(RepositorySimulator::kTargetsUrl);
    return Updater(config, repo, store, clock);
  }
  ErrorCode refresh() {
    auto updater = make_updater();
    auto r = updater.refresh();
    return r ? ErrorCode::kOk : r.error().code;
  }
  ErrorCode download(const std::string& path) {
    auto updater = make_updater();
    auto info = updater.get_target_info(path);
    if (!info) return info.error().code;
    auto r = updater.download_target(*info, target_dir / percent_encode(path));
    return r ? ErrorCode::kOk : r.error().code;
  }
  std::int64_t stored_version(const std::string& role) {
    tuf::MetadataParser p;
    const std::string& bytes = store.files.at(role);
    if (role == "root") return p.root(bytes)->signed_.version;
    if (role == "timestamp") return p.timestamp(bytes)->signed_.version;
    if (role == "snapshot") return p.snapshot(bytes)->signed_.version;
    return p.targets(bytes)->signed_.version;
  }
  std::size_t fetches_of(std::string_view file) const {
    return static_cast<std::size_t>(std::count(repo.fetch_log.begin(), repo.fetch_log.end(), file));
  }
  std::string read(const std::string& path) {
    std::ifstream in(target_dir / percent_encode(path), std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  bool target_file_exists(const std::string& path) {
    return std::filesystem::exists(target_dir / percent_encode(path));
  }

  RepositorySimulator repo;
  MemoryMetadataStore store;
  FakeClock clock;
  std::filesystem::path target_dir;
};

// --- The workflow itself --------------------------------------------------------------------

TEST_F(UpdaterTest, FirstRefreshFetchesRolesInSpecOrder) {
  ASSERT_EQ(refresh(), ErrorCode::kOk);
  const std::vector<std::string> expected{"2.root.json", "timestamp.json", "1.snapshot.json",
                                          "1.targets.json"};
  EXPECT_EQ(repo.fetch_log, expected);
  EXPECT_TRUE(store.files.contains("timestamp") && store.files.contains("snapshot") &&
              store.files.contains("targets"));
}

TEST_F(UpdaterTest, StoresMetadataExactlyAsReceived) {
  ASSERT_EQ(refresh(), ErrorCode::kOk);
  EXPECT_EQ(store.files["timestamp"], repo.signed_bytes("timestamp"));
  EXPECT_EQ(store.files["snapshot"], repo.signed_bytes("snapshot"));
  EXPECT_EQ(store.files["targets"], repo.signed_bytes("targets"));
}

TEST_F(UpdaterTest, UnchangedRepositoryFetchesOnlyTimestamp) {
  ASSERT_EQ(refresh(), ErrorCode::kOk);
  repo.fetch_log.clear();
  store.writes.clear();
  ASSERT_EQ(refresh(), ErrorCode::kOk);
  const std::vector<std::string> expected{"2.root.json", "timestamp.json"};
  EXPECT_EQ(repo.fetch_log, expected);
  EXPECT_TRUE(store.writes.empty());
}

TEST_F(UpdaterTest, NonConsistentSnapshotRepositoryUsesUnversionedNames) {
  repo.root.consistent_snapshot = false;
  repo.publish_root();
  repo.overrides["snapshot.json"] = repo.signed_bytes("snapshot");
  repo.overrides["targets.json"] = repo.signed_bytes("targets");
  ASSERT_EQ(refresh(), ErrorCode::kOk);
  EXPECT_EQ(fetches_of("snapshot.json"), 1u);
  EXPECT_EQ(fetches_of("targets.json"), 1u);
}

TEST_F(UpdaterTest, StoredRootMustBeSignedByItsOwnThresholdBeforeAnyRequest) {
  std::string root = store.files["root"];
  root[root.find("\"sig\":\"") + 7] ^= 1;  // flip a hex digit of the signature
  store.files["root"] = root;
  EXPECT_EQ(refresh(), ErrorCode::kUnsigned);
  EXPECT_TRUE(repo.fetch_log.empty());
}

// --- Arbitrary software, endless data -------------------------------------------------------

TEST_F(UpdaterTest, ArbitrarySoftwareAttackIsRejected) {
  repo.add_target("targets", "app.bin", "genuine release");
  repo.targets.version += 1;
  repo.update_snapshot();
  const auto& tf = repo.targets.targets["app.bin"];
  repo.overrides[tf.hashes.at("sha256") + ".app.bin"] = "malicious build";  // same length
  EXPECT_EQ(download("app.bin"), ErrorCode::kLengthOrHashMismatch);
  EXPECT_FALSE(target_file_exists("app.bin"));
}

TEST_F(UpdaterTest, EndlessDataTargetIsCutAtItsSignedLength) {
  repo.add_target("targets", "app.bin", "genuine release");
  repo.targets.version += 1;
  repo.update_snapshot();
  const auto& tf = repo.targets.targets["app.bin"];
  repo.overrides[tf.hashes.at("sha256") + ".app.bin"] = std::string(1 << 20, 'x');
  EXPECT_EQ(download("app.bin"), ErrorCode::kDownloadTooLarge);
  EXPECT_FALSE(target_file_exists("app.bin"));
}

TEST_F(UpdaterTest, EndlessDataTimestampIsCutAtTheDefaultBound) {
  repo.overrides["timestamp.json"] = std::string(100 * 1024, ' ');
  EXPECT_EQ(refresh(), ErrorCode::kDownloadTooLarge);
}

TEST_F(UpdaterTest, EndlessDataSnapshotIsCutAtTheLengthTimestampStates) {
  repo.overrides["1.snapshot.json"] = repo.signed_bytes("snapshot") + std::string(10, ' ');
  EXPECT_EQ(refresh(), ErrorCode::kDownloadTooLarge);
}

TEST_F(UpdaterTest, DownloadsTargetAndCachesIt) {
  repo.add_target("targets", "dir/app.bin", "release 1");
  repo.targets.version += 1;
  repo.update_snapshot();
  ASSERT_EQ(download("dir/app.bin"), ErrorCode::kOk);
  EXPECT_EQ(read("dir/app.bin"), "release 1");
  const std::string hash = repo.targets.targets["dir/app.bin"].hashes.at("sha256");
  EXPECT_EQ(fetches_of("dir/" + hash + ".app.bin"), 1u);
  ASSERT_EQ(download("dir/app.bin"), ErrorCode::kOk);
  EXPECT_EQ(fetches_of("dir/" + hash + ".app.bin"), 1u);  // the matching local copy was reused
}

TEST_F(UpdaterTest, MissingTargetIsTargetNotFound) {
  EXPECT_EQ(download("nope.bin"), ErrorCode::kTargetNotFound);
}

// --- Hash algorithms ------------------------------------------------------------------------

TEST_F(UpdaterTest, TargetWithSha512OnlyVerifies) {
  repo.add_target("targets", "a.bin", "payload");
  auto& tf = repo.targets.targets["a.bin"];
  tf.hashes.clear();
  tf.hashes["sha512"] =
      hex_encode(crypto::digest(crypto::HashAlgorithm::kSha512, as_bytes("payload")));
  repo.targets.version += 1;
  repo.update_snapshot();
  EXPECT_EQ(download("a.bin"), ErrorCode::kOk);
}

TEST_F(UpdaterTest, TargetWithSha256AndSha512NeedsBothToMatch) {
  repo.add_target("targets", "a.bin", "payload");
  auto& tf = repo.targets.targets["a.bin"];
  tf.hashes["sha512"] =
      hex_encode(crypto::digest(crypto::HashAlgorithm::kSha512, as_bytes("other!!")));
  repo.targets.version += 1;
  repo.update_snapshot();
  EXPECT_EQ(download("a.bin"), ErrorCode::kLengthOrHashMismatch);
  tf.hashes["sha512"] =
      hex_encode(crypto::digest(crypto::HashAlgorithm::kSha512, as_bytes("payload")));
  repo.targets.version += 1;
  repo.update_snapshot();
  EXPECT_EQ(download("a.bin"), ErrorCode::kOk);
}

TEST_F(UpdaterTest, UnknownHashAlgorithmIsRejected) {
  repo.add_target("targets", "a.bin", "payload");
  repo.targets.targets["a.bin"].hashes["md5"] = "0123456789abcdef0123456789abcdef";
  repo.targets.version += 1;
  repo.update_snapshot();
  EXPECT_EQ(download("a.bin"), ErrorCode::kUnsupported);
  EXPECT_FALSE(target_file_exists("a.bin"));
}

TEST_F(UpdaterTest, UnknownHashAlgorithmInSnapshotMetaIsRejected) {
  repo.timestamp.snapshot_meta.hashes["sha3-256"] = "00";
  EXPECT_EQ(refresh(), ErrorCode::kUnsupported);
}

// --- Rollback and fast-forward recovery -----------------------------------------------------

TEST_F(UpdaterTest, TimestampRollbackIsRejected) {
  repo.update_timestamp();
  repo.update_timestamp();
  ASSERT_EQ(refresh(), ErrorCode::kOk);
  repo.timestamp.version = 1;  // replay an older, validly signed timestamp
  EXPECT_EQ(refresh(), ErrorCode::kBadVersion);
  EXPECT_EQ(stored_version("timestamp"), 3);
}

TEST_F(UpdaterTest, SnapshotRollbackNamedByTimestampIsRejected) {
  repo.update_snapshot();
  ASSERT_EQ(refresh(), ErrorCode::kOk);
  repo.timestamp.snapshot_meta.version = 1;  // new timestamp, old snapshot
  repo.timestamp.version += 1;
  EXPECT_EQ(refresh(), ErrorCode::kBadVersion);
  EXPECT_EQ(stored_version("snapshot"), 2);
}

TEST_F(UpdaterTest, TargetsVersionRollbackInSnapshotIsRejected) {
  repo.targets.version = 2;
  repo.update_snapshot();
  ASSERT_EQ(refresh(), ErrorCode::kOk);
  repo.targets.version = 1;
  repo.update_snapshot();  // snapshot v3 lists targets.json v1
  EXPECT_EQ(refresh(), ErrorCode::kBadVersion);
  EXPECT_EQ(stored_version("snapshot"), 2);
}

TEST_F(UpdaterTest, TargetsRoleRemovedFromSnapshotIsRejected) {
  tuf::DelegatedRole role;
  role.name = "role1";
  role.paths = std::vector<std::string>{"*"};
  repo.add_delegation("targets", role);
  repo.targets.version += 1;
  repo.update_snapshot();
  ASSERT_EQ(refresh(), ErrorCode::kOk);
  repo.snapshot.meta.erase("role1.json");
  repo.delegates.erase("role1");
  repo.update_snapshot();
  EXPECT_EQ(refresh(), ErrorCode::kRepositoryError);
}

TEST_F(UpdaterTest, FastForwardRecoveryAfterTimestampKeyRotation) {
  // An attacker with the timestamp key pushed the version very high; the provider rotates the
  // timestamp key and restarts at a lower version. Clients must accept the new line.
  repo.timestamp.version = 1000;
  ASSERT_EQ(refresh(), ErrorCode::kOk);
  repo.rotate_keys("timestamp");
  repo.publish_root();
  repo.timestamp.version = 1;
  EXPECT_EQ(refresh(), ErrorCode::kOk);
  EXPECT_EQ(stored_version("timestamp"), 1);
}

TEST_F(UpdaterTest, FastForwardRecoveryAfterSnapshotKeyRotation) {
  repo.snapshot.version = 1000;
  repo.update_timestamp();
  ASSERT_EQ(refresh(), ErrorCode::kOk);
  repo.rotate_keys("snapshot");
  repo.rotate_keys("timestamp");
  repo.publish_root();
  repo.snapshot.version = 0;
  repo.timestamp.version = 0;
  repo.update_snapshot();
  EXPECT_EQ(refresh(), ErrorCode::kOk);
  EXPECT_EQ(stored_version("snapshot"), 1);
}

TEST_F(UpdaterTest, WithoutKeyRotationTimestampRollbackStillFails) {
  repo.timestamp.version = 1000;
  ASSERT_EQ(refresh(), ErrorCode::kOk);
  repo.timestamp.version = 1;
  EXPECT_EQ(refresh(), ErrorCode::kBadVersion);
}

// --- Freeze ---------------------------------------------------------------------------------

TEST_F(UpdaterTest, FreezeAttackExpiredTimestampIsRejectedAndNotStored) {
  ASSERT_EQ(refresh(), ErrorCode::kOk);
  repo.timestamp.expires = clock.now() + 10;
  repo.update_timestamp();
  clock.advance(60);
  EXPECT_EQ(refresh(), ErrorCode::kExpired);
  EXPECT_EQ(stored_version("timestamp"), 1);
}

TEST_F(UpdaterTest, FreezeAttackReplayingSameTimestampAfterExpiryFails) {
  repo.timestamp.expires = clock.now() + 10;
  repo.update_timestamp();
  ASSERT_EQ(refresh(), ErrorCode::kOk);
  clock.advance(60);  // the attacker keeps serving the same, now expired, timestamp
  EXPECT_EQ(refresh(), ErrorCode::kExpired);
}

TEST_F(UpdaterTest, FreezeAttackExpiredSnapshotIsRejected) {
  repo.snapshot.expires = clock.now() - 1;
  repo.update_snapshot();
  EXPECT_EQ(refresh(), ErrorCode::kExpired);
  EXPECT_FALSE(store.files.contains("snapshot"));
}

TEST_F(UpdaterTest, FreezeAttackExpiredTargetsIsRejected) {
  repo.targets.expires = clock.now() - 1;
  repo.targets.version += 1;
  repo.update_snapshot();
  EXPECT_EQ(refresh(), ErrorCode::kExpired);
  EXPECT_FALSE(store.files.contains("targets"));
}

TEST_F(UpdaterTest, ExpiredTargetsIsCaughtAtLookupWhenNothingElseChanged) {
  repo.targets.expires = clock.now() + 10;
  repo.targets.version += 1;
  repo.update_snapshot();
  ASSERT_EQ(refresh(), ErrorCode::kOk);
  clock.advance(60);
  EXPECT_EQ(download("anything"), ErrorCode::kExpired);
}

TEST_F(UpdaterTest, FreezeAttackExpiredFinalRootIsRejected) {
  repo.root.expires = clock.now() - 1;
  repo.publish_root();
  EXPECT_EQ(refresh(), ErrorCode::kExpired);
}

TEST_F(UpdaterTest, ExpiredIntermediateRootIsAcceptedOnTheWayToAValidOne) {
  repo.root.expires = clock.now() - 1;
  repo.publish_root();
  repo.root.expires = RepositorySimulator::kFarFuture;
  repo.publish_root();
  EXPECT_EQ(refresh(), ErrorCode::kOk);
  EXPECT_EQ(stored_version("root"), 3);
}

// --- Mix and match --------------------------------------------------------------------------

TEST_F(UpdaterTest, MixAndMatchSnapshotNotNamedByTimestampIsRejected) {
  repo.update_snapshot();
  const std::string v2 = repo.signed_bytes("snapshot");
  repo.snapshot.meta["targets.json"].version = 7;  // a different, validly signed v2
  repo.overrides["2.snapshot.json"] = repo.signed_bytes("snapshot");
  EXPECT_EQ(refresh(), ErrorCode::kLengthOrHashMismatch);
  (void)v2;
}

TEST_F(UpdaterTest, MixAndMatchTargetsNotNamedBySnapshotIsRejected) {
  repo.targets.version = 2;
  repo.update_snapshot();
  repo.targets.expires -= 1;  // same version and length, different content
  repo.overrides["2.targets.json"] = repo.signed_bytes("targets");
  EXPECT_EQ(refresh(), ErrorCode::kLengthOrHashMismatch);
}

TEST_F(UpdaterTest, WithoutHashesSnapshotStillMustBeTheNamedVersion) {
  repo.compute_metafile_hashes_length = false;
  repo.update_snapshot();
  repo.snapshot.version = 1;  // serves v1 content under the v2 name
  repo.overrides["2.snapshot.json"] = repo.signed_bytes("snapshot");
  EXPECT_EQ(refresh(), ErrorCode::kBadVersion);
}

// --- Versions in names, types ---------------------------------------------------------------

TEST_F(UpdaterTest, RootWhoseContentVersionDisagreesWithItsFileNameIsRejected) {
  repo.publish_root();                                        // v2
  repo.overrides["2.root.json"] = repo.signed_roots.front();  // v1 content as 2.root.json
  EXPECT_EQ(refresh(), ErrorCode::kBadVersion);
  EXPECT_EQ(stored_version("root"), 1);
}

TEST_F(UpdaterTest, TargetsWhoseContentVersionDisagreesWithSnapshotIsRejected) {
  repo.compute_metafile_hashes_length = false;
  repo.targets.version = 2;
  repo.update_snapshot();
  repo.targets.version = 3;
  repo.overrides["2.targets.json"] = repo.signed_bytes("targets");
  EXPECT_EQ(refresh(), ErrorCode::kBadVersion);
}

TEST_F(UpdaterTest, WrongTypeIsRejected) {
  // A validly signed snapshot served as the timestamp (same keys sign both here).
  repo.signers["timestamp"] = repo.signers["snapshot"];
  repo.overrides["timestamp.json"] = repo.signed_bytes("snapshot");
  EXPECT_EQ(refresh(), ErrorCode::kWrongType);
}

// --- Root rotation and key rotation ---------------------------------------------------------

TEST_F(UpdaterTest, RootRotationChainIsFollowed) {
  for (int i = 0; i < 5; ++i) {
    auto old = repo.signers["root"];
    repo.rotate_keys("root");
    // Each new root is signed by the previous root's key and by its own.
    repo.signers["root"].insert(repo.signers["root"].end(), old.begin(), old.end());
    repo.publish_root();
    repo.signers["root"].resize(1);
  }
  EXPECT_EQ(refresh(), ErrorCode::kOk);
  EXPECT_EQ(stored_version("root"), 6);
}

TEST_F(UpdaterTest, RootRotationWithRisingThreshold) {
  auto old_key = repo.signers["root"].front();
  repo.add_key("root");
  repo.add_key("root");
  repo.root.roles["root"].threshold = 3;
  repo.publish_root();  // signed by all three (old included)
  EXPECT_EQ(refresh(), ErrorCode::kOk);
  EXPECT_EQ(stored_version("root"), 2);
  // v3 with only two of the three signatures fails the new threshold.
  repo.signers["root"].pop_back();
  repo.publish_root();
  EXPECT_EQ(refresh(), ErrorCode::kUnsigned);
  EXPECT_EQ(stored_version("root"), 2);
  (void)old_key;
}

TEST_F(UpdaterTest, RootRotationWithFallingThreshold) {
  repo.add_key("root");
  repo.add_key("root");
  repo.root.roles["root"].threshold = 3;
  repo.signed_roots.clear();
  repo.publish_root();  // v1 with threshold 3
  store.files["root"] = repo.signed_roots.front();
  repo.root.roles["root"].threshold = 1;
  repo.publish_root();  // v2: must still carry 3 signatures to satisfy v1
  EXPECT_EQ(refresh(), ErrorCode::kOk);
  repo.signers["root"].resize(1);
  repo.publish_root();  // v3: one signature meets v2's threshold of 1
  EXPECT_EQ(refresh(), ErrorCode::kOk);
  EXPECT_EQ(stored_version("root"), 3);
}

TEST_F(UpdaterTest, NewRootMustBeSignedByTheOldRootKeys) {
  repo.signers["root"].clear();
  repo.rotate_keys("root");  // the new root is signed only by a brand-new key
  repo.publish_root();
  EXPECT_EQ(refresh(), ErrorCode::kUnsigned);
  EXPECT_EQ(stored_version("root"), 1);
}

TEST_F(UpdaterTest, NewRootMustBeSignedByItsOwnKeys) {
  auto old_keys = repo.signers["root"];
  repo.rotate_keys("root");
  repo.signers["root"] = old_keys;  // signed by the old key only
  repo.publish_root();
  EXPECT_EQ(refresh(), ErrorCode::kUnsigned);
}

TEST_F(UpdaterTest, RootRotationsAreBoundedPerRefresh) {
  for (int i = 0; i < 300; ++i) repo.publish_root();
  UpdaterConfig config;
  config.metadata_base_url = std::string(RepositorySimulator::kMetadataUrl);
  Updater updater(config, repo, store, clock);
  ASSERT_TRUE(updater.refresh());
  EXPECT_EQ(stored_version("root"), 257);
  EXPECT_EQ(fetches_of("258.root.json"), 0u);
}

TEST_F(UpdaterTest, TargetsKeyRotationIsFollowed) {
  ASSERT_EQ(refresh(), ErrorCode::kOk);
  repo.rotate_keys("targets");
  repo.publish_root();
  repo.targets.version += 1;
  repo.update_snapshot();
  EXPECT_EQ(refresh(), ErrorCode::kOk);
  EXPECT_EQ(stored_version("targets"), 2);
}

TEST_F(UpdaterTest, MetadataSignedByARotatedOutKeyIsRejected) {
  ASSERT_EQ(refresh(), ErrorCode::kOk);
  auto old = repo.signers["snapshot"];
  repo.rotate_keys("snapshot");
  repo.publish_root();
  repo.signers["snapshot"] = old;
  repo.update_snapshot();
  EXPECT_EQ(refresh(), ErrorCode::kUnsigned);
}

// --- Thresholds, duplicate keys and signatures ----------------------------------------------

// Spec §4.2: a key id appears at most once in "signatures". Twice is malformed, even where
// counting it once would meet the threshold (ADR 0035).
TEST_F(UpdaterTest, DuplicateKeyIdsInSignaturesAreMalformed) {
  auto key = repo.signers["timestamp"].front();
  repo.signers["timestamp"] = {key, key};  // the same signature twice
  repo.update_timestamp();
  EXPECT_EQ(refresh(), ErrorCode::kMalformed);
  EXPECT_FALSE(store.files.contains("timestamp"));
}

TEST_F(UpdaterTest, OneKeyListedUnderTwoKeyIdsCountsOnce) {
  auto key = repo.signers["timestamp"].front();
  // Same key material, different canonical form -> a second key id.
  json::JsonParser p;
  std::string alt = R"({"keytype":"ed25519","scheme":"ed25519","keyval":{"public":")" +
                    key.public_key().public_value() + R"("},"x-dup":true})";
  auto alt_key = crypto::PublicKey::from_json(*p.parse_copy(alt));
  ASSERT_TRUE(alt_key);
  const std::string alt_id = alt_key->keyid();
  repo.root.keys.emplace(alt_id, *alt_key);
  repo.root.roles["timestamp"].keyids.push_back(alt_id);
  repo.root.roles["timestamp"].threshold = 2;
  repo.publish_root();
  auto sig = key.sign(as_bytes(tuf::to_signed_json(repo.timestamp)));
  repo.update_timestamp();
  repo.extra_signatures["timestamp"] = {
      tuf::Signature{alt_id, *key.sign(as_bytes(tuf::to_signed_json(repo.timestamp)))}};
  EXPECT_EQ(refresh(), ErrorCode::kUnsigned);
  (void)sig;
}

TEST_F(UpdaterTest, InvalidAndEmptyExtraSignaturesAreIgnored) {
  repo.extra_signatures["timestamp"] = {
      tuf::Signature{repo.signers["root"].front().public_key().keyid(), Bytes(64, 0)},
      tuf::Signature{"unknown-keyid", Bytes(64, 1)},
      tuf::Signature{repo.signers["snapshot"].front().public_key().keyid(), Bytes{}}};
  repo.update_timestamp();
  EXPECT_EQ(refresh(), ErrorCode::kOk);
}

TEST_F(UpdaterTest, ThresholdBelowOneIsRejected) {
  repo.root.roles["snapshot"].threshold = 0;
  repo.publish_root();
  EXPECT_EQ(refresh(), ErrorCode::kBadThreshold);
  EXPECT_EQ(stored_version("root"), 1);
}

TEST_F(UpdaterTest, UnsignedTimestampIsRejected) {
  repo.signers["timestamp"].clear();
  repo.update_timestamp();
  EXPECT_EQ(refresh(), ErrorCode::kUnsigned);
  EXPECT_FALSE(store.files.contains("timestamp"));
}

// --- Malformed input ------------------------------------------------------------------------

TEST_F(UpdaterTest, MalformedTimestampLeavesStateUnchanged) {
  ASSERT_EQ(refresh(), ErrorCode::kOk);
  const auto before = store.files;
  for (const std::string bad :
       {"", "{", "[]", "{\"signed\":{},\"signatures\":[]}",
        "{\"signed\":{\"_type\":\"timestamp\"},\"signatures\":{}}", "\xff\xfe"}) {
    repo.overrides["timestamp.json"] = bad;
    EXPECT_EQ(refresh(), ErrorCode::kMalformed) << bad;
  }
  EXPECT_EQ(store.files, before);
}

TEST_F(UpdaterTest, FloatInSignedMetadataIsRejected) {
  std::string ts = repo.signed_bytes("timestamp");
  const auto pos = ts.find("\"version\":1}");
  ASSERT_NE(pos, std::string::npos);
  ts.replace(pos, 12, "\"version\":1.0}");
  repo.overrides["timestamp.json"] = ts;
  EXPECT_EQ(refresh(), ErrorCode::kMalformed);
}

// --- Delegations ----------------------------------------------------------------------------

class DelegationTest : public UpdaterTest {
 protected:
  void delegate(const std::string& from, const std::string& name, std::vector<std::string> paths,
                bool terminating = false) {
    tuf::DelegatedRole role;
    role.name = name;
    role.paths = std::move(paths);
    role.terminating = terminating;
    repo.add_delegation(from, role);
  }
  void publish() {
    repo.targets.version += 1;
    for (auto& [name, md] : repo.delegates) md.version += 1;
    repo.update_snapshot();
  }
  std::vector<std::string> visited_roles() const {
    std::vector<std::string> out;
    for (const std::string& f : repo.fetch_log) {
      const auto dot = f.find('.');
      if (dot == std::string::npos || !f.ends_with(".json")) continue;
      std::string role = f.substr(dot + 1, f.size() - dot - 6);
      if (role != "root" && role != "snapshot" && role != "targets" && f != "timestamp.json") {
        out.push_back(role);
      }
    }
    return out;
  }
};

TEST_F(DelegationTest, SearchIsPreOrderDepthFirstInListedOrder) {
  delegate("targets", "A", {"*"});
  delegate("A", "A1", {"*"});
  delegate("targets", "B", {"*"});
  repo.add_target("B", "f.txt", "from B");
  publish();
  ASSERT_EQ(download("f.txt"), ErrorCode::kOk);
  EXPECT_EQ(read("f.txt"), "from B");
  const std::vector<std::string> expected{"A", "A1", "B"};
  EXPECT_EQ(visited_roles(), expected);
}

TEST_F(DelegationTest, FirstRoleInOrderWins) {
  delegate("targets", "A", {"*"});
  delegate("targets", "B", {"*"});
  repo.add_target("B", "f.txt", "from B");
  repo.add_target("A", "f.txt", "from A");
  publish();
  ASSERT_EQ(download("f.txt"), ErrorCode::kOk);
  EXPECT_EQ(read("f.txt"), "from A");
}

TEST_F(DelegationTest, TerminatingDelegationStopsTheSearch) {
  delegate("targets", "A", {"*"}, /*terminating=*/true);
  delegate("targets", "B", {"*"});
  repo.add_target("B", "f.txt", "from B");
  publish();
  EXPECT_EQ(download("f.txt"), ErrorCode::kTargetNotFound);
  EXPECT_EQ(fetches_of("2.B.json"), 0u);
}

TEST_F(DelegationTest, TerminatingDelegationStopsOnlyBelowItsLevelWhenNotMatched) {
  delegate("targets", "A", {"other/*"}, /*terminating=*/true);
  delegate("targets", "B", {"*"});
  repo.add_target("B", "f.txt", "from B");
  publish();
  EXPECT_EQ(download("f.txt"), ErrorCode::kOk);
}

TEST_F(DelegationTest, CycleIsVisitedOnce) {
  delegate("targets", "A", {"*"});
  delegate("A", "B", {"*"});
  // B delegates back to A.
  tuf::DelegatedRole back;
  back.name = "A";
  back.paths = std::vector<std::string>{"*"};
  repo.delegates["B"].delegations = tuf::Delegations{};
  back.keyids = repo.targets.delegations->roles[0].keyids;
  repo.delegates["B"].delegations->keys = repo.targets.delegations->keys;
  repo.delegates["B"].delegations->roles.push_back(back);
  publish();
  EXPECT_EQ(download("f.txt"), ErrorCode::kTargetNotFound);
  EXPECT_EQ(fetches_of("2.A.json"), 1u);
}

TEST_F(DelegationTest, DiamondLoadsSharedRoleOnce) {
  delegate("targets", "A", {"*"});
  delegate("targets", "B", {"*"});
  delegate("A", "C", {"*"});
  // B also delegates to C with the same key.
  repo.delegates["B"].delegations = repo.delegates["A"].delegations;
  publish();
  EXPECT_EQ(download("f.txt"), ErrorCode::kTargetNotFound);
  EXPECT_EQ(fetches_of("2.C.json"), 1u);
}

// A diamond: X is delegated by A (for a/*) and by B (for b/*), each with its own key, and
// only A's key signed X. A lookup through A loads X; a later lookup in the same Updater that
// reaches X through B must verify X against B's key again, so X's b/* target, signed by A's
// key only, is refused (spec §5.6.7; ADR 0035).
class DiamondTest : public DelegationTest {
 protected:
  crypto::PrivateKey diamond() {
    delegate("targets", "A", {"a/*"});
    delegate("targets", "B", {"b/*"});
    delegate("A", "X", {"a/*"});
    auto b_key = crypto::PrivateKey::generate(crypto::KeyScheme::kEd25519);
    EXPECT_TRUE(b_key);
    tuf::DelegatedRole via_b;
    via_b.name = "X";
    via_b.paths = std::vector<std::string>{"b/*"};
    via_b.keyids = {b_key->public_key().keyid()};
    repo.delegates["B"].delegations = tuf::Delegations{};
    repo.delegates["B"].delegations->keys.emplace(b_key->public_key().keyid(), b_key->public_key());
    repo.delegates["B"].delegations->roles.push_back(via_b);
    repo.add_target("X", "a/app.txt", "for A's paths");
    repo.add_target("X", "b/app.txt", "signed by A's key only");
    return std::move(*b_key);
  }
  ErrorCode download_with(Updater& updater, const std::string& path) {
    auto info = updater.get_target_info(path);
    if (!info) return info.error().code;
    auto r = updater.download_target(*info, target_dir / percent_encode(path));
    return r ? ErrorCode::kOk : r.error().code;
  }
};

TEST_F(DiamondTest, RoleLoadedThroughOneDelegatorIsReverifiedForAnother) {
  diamond();
  publish();
  auto updater = make_updater();
  EXPECT_EQ(download_with(updater, "a/app.txt"), ErrorCode::kOk);
  EXPECT_EQ(download_with(updater, "b/app.txt"), ErrorCode::kUnsigned);
  EXPECT_TRUE(std::filesystem::exists(target_dir / percent_encode("a/app.txt")));
  EXPECT_FALSE(std::filesystem::exists(target_dir / percent_encode("b/app.txt")));
}

TEST_F(DiamondTest, StoredCopyIsVerifiedAgainstTheCurrentDelegator) {
  diamond();
  publish();
  ASSERT_EQ(download("a/app.txt"), ErrorCode::kOk);  // X is now in the local store
  ASSERT_TRUE(store.files.contains("X"));
  EXPECT_EQ(download("b/app.txt"), ErrorCode::kUnsigned);
}

TEST_F(DiamondTest, RoleSignedForBothDelegatorsServesBothPaths) {
  const crypto::PrivateKey b_key = diamond();
  repo.signers["X"].push_back(b_key);  // X is signed by A's key and by B's
  publish();
  auto updater = make_updater();
  EXPECT_EQ(download_with(updater, "a/app.txt"), ErrorCode::kOk);
  EXPECT_EQ(download_with(updater, "b/app.txt"), ErrorCode::kOk);
  EXPECT_EQ(read("b/app.txt"), "signed by A's key only");
  EXPECT_EQ(fetches_of("2.X.json"), 1u);  // verified twice, downloaded once
}

TEST_F(DelegationTest, SearchVisitsAtMost32Roles) {
  std::string parent = "targets";
  for (int i = 0; i < 40; ++i) {
    const std::string name = "r" + std::to_string(i);
    delegate(parent, name, {"*"});
    parent = name;
  }
  repo.add_target(parent, "deep.txt", "deep");
  publish();
  EXPECT_EQ(download("deep.txt"), ErrorCode::kTargetNotFound);
  EXPECT_EQ(visited_roles().size(), 31u);  // top-level targets counts as the first of 32
}

TEST_F(DelegationTest, UntrustedPathIsNotSearched) {
  delegate("targets", "A", {"apps/*"});
  repo.add_target("A", "f.txt", "from A");  // A lists a path it is not trusted for
  publish();
  EXPECT_EQ(download("f.txt"), ErrorCode::kTargetNotFound);
  EXPECT_EQ(fetches_of("2.A.json"), 0u);
}

TEST_F(DelegationTest, DelegatedMetadataSignedByWrongKeyIsRejected) {
  delegate("targets", "A", {"*"});
  repo.add_target("A", "f.txt", "from A");
  repo.signers["A"] = repo.signers["snapshot"];
  publish();
  EXPECT_EQ(download("f.txt"), ErrorCode::kUnsigned);
  EXPECT_FALSE(store.files.contains("A"));
}

TEST_F(DelegationTest, PathHashPrefixesSelectRoles) {
  tuf::DelegatedRole role;
  role.name = "bin-a";
  role.path_hash_prefixes = std::vector<std::string>{crypto::sha256_hex("f.txt").substr(0, 2)};
  repo.add_delegation("targets", role);
  repo.add_target("bin-a", "f.txt", "hashed bin");
  publish();
  EXPECT_EQ(download("f.txt"), ErrorCode::kOk);
}

TEST_F(DelegationTest, RoleNamesNeedingQuotingAreFetchedAndStoredEncoded) {
  for (const std::string name : {"a?b", "c#d", "/x", "../y", "sp ace"}) {
    delegate("targets", name, {"*"});
  }
  repo.add_target("sp ace", "f.txt", "quoted");
  publish();
  ASSERT_EQ(download("f.txt"), ErrorCode::kOk);
  EXPECT_EQ(fetches_of("2.a%3Fb.json"), 1u);
  EXPECT_EQ(fetches_of("2.c%23d.json"), 1u);
  EXPECT_EQ(fetches_of("2.%2Fx.json"), 1u);
  EXPECT_EQ(fetches_of("2...%2Fy.json"), 1u);
  EXPECT_EQ(fetches_of("2.sp%20ace.json"), 1u);
  EXPECT_TRUE(store.files.contains("../y"));
}

TEST_F(DelegationTest, TopLevelRoleNameCannotBeDelegated) {
  tuf::DelegatedRole role;
  role.name = "snapshot";
  role.paths = std::vector<std::string>{"*"};
  repo.targets.delegations = tuf::Delegations{};
  repo.targets.delegations->roles.push_back(role);
  publish();
  EXPECT_EQ(refresh(), ErrorCode::kMalformed);
}

// Pattern matching rules (spec §4.5 "paths"; fnmatch per path segment, case-sensitive).
TEST(PathPattern, StarMatchesWithinOneSegment) {
  EXPECT_TRUE(tuf::path_matches_pattern("a.tgz", "*.tgz"));
  EXPECT_TRUE(tuf::path_matches_pattern("dir/a.tgz", "dir/*"));
  EXPECT_FALSE(tuf::path_matches_pattern("dir/sub/a.tgz", "dir/*"));
  EXPECT_TRUE(tuf::path_matches_pattern("dir/sub/a.tgz", "dir/*/*"));
  EXPECT_FALSE(tuf::path_matches_pattern("a.tgz", "*/a.tgz"));
}

TEST(PathPattern, QuestionMarkMatchesOneCharacter) {
  EXPECT_TRUE(tuf::path_matches_pattern("v1.bin", "v?.bin"));
  EXPECT_FALSE(tuf::path_matches_pattern("v10.bin", "v?.bin"));
  EXPECT_FALSE(tuf::path_matches_pattern("v/.bin", "v?.bin"));
}

TEST(PathPattern, MatchIsCaseSensitive) {
  EXPECT_FALSE(tuf::path_matches_pattern("App.bin", "app.*"));
  EXPECT_TRUE(tuf::path_matches_pattern("app.bin", "app.*"));
}

TEST(PathPattern, CharacterClasses) {
  EXPECT_TRUE(tuf::path_matches_pattern("f1", "f[0-9]"));
  EXPECT_FALSE(tuf::path_matches_pattern("fx", "f[0-9]"));
  EXPECT_TRUE(tuf::path_matches_pattern("fx", "f[!0-9]"));
  EXPECT_TRUE(tuf::path_matches_pattern("f[", "f["));
}

}  // namespace
}  // namespace dss::client
