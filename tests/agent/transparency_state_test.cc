// The release transparency state (agent/transparency_state.h) over the bytes a repository
// publishes, with no network: a log made by the `dss repo` code, read back from its files. Each
// test is one admission rule, or the attack it stops.
#include "agent/transparency_state.h"

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/bytes.h"
#include "fakes/fast_kdf.h"
#include "fakes/temp_dir.h"
#include "repo/repository.h"
#include "repo/transparency.h"

namespace dss::agent {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr UnixSeconds kNow = 1'800'000'000;
const std::string kPolicyHash(64, 'c');
const std::string kReleaseHash(64, 'a');
const std::string kForkedHash(64, 'f');

using dss::testing::slurp;

// What a repository serves of its log at one moment.
struct Published {
  std::string log_target;  // the TUF target transparency/log.json
  std::string checkpoint;
  std::map<std::string, std::string> entries;        // by target SHA-256
  std::map<std::uint64_t, std::string> consistency;  // by old size
};

Published read_published(const fs::path& repo) {
  Published p;
  for (const auto& e : fs::directory_iterator(repo / "targets" / "transparency")) {
    if (e.path().string().ends_with(".log.json")) p.log_target = slurp(e.path());
  }
  p.checkpoint = slurp(repo / "transparency" / "checkpoint");
  for (const auto& e : fs::directory_iterator(repo / "transparency" / "entries")) {
    p.entries[e.path().stem().string()] = slurp(e.path());
  }
  std::error_code ec;
  for (fs::directory_iterator it(repo / "transparency" / "consistency", ec), end; !ec && it != end;
       it.increment(ec)) {
    p.consistency[std::stoull(it->path().stem().string())] = slurp(it->path());
  }
  return p;
}

repo::Secrets secrets() {
  repo::Secrets s;
  s.offline = SecretBytes::from_string("offline passphrase for the test log");
  s.online = SecretBytes::from_string("online passphrase for the test log");
  s.kdf = dss::testing::fast_kdf();
  return s;
}

void append(const fs::path& repo, const std::string& kind, const std::string& sha256) {
  auto i = repo::transparency_append(
      repo, {kind, "hello", "1.0", kind + "/hello/" + sha256.substr(0, 4), sha256}, secrets(),
      kNow);
  ASSERT_TRUE(i) << i.error().to_string();
}

// One log, published at size 1 (a policy) and size 2 (then a release); the same log forked
// after entry 0 (the same key, another second entry); and another repository's log.
struct Logs {
  Published size1, size2, forked2, other;
};

class TransparencyStateTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new dss::testing::TempDir("dss-tlog-state");
    logs_ = new Logs();
    const fs::path repo = dir_->path() / "repo";
    const fs::path other = dir_->path() / "other";
    for (const fs::path& r : {repo, other}) {
      repo::InitOptions o;
      o.dir = r;
      auto made = repo::init(o, secrets(), kNow);
      ASSERT_TRUE(made) << made.error().to_string();
    }
    append(repo, "policy", kPolicyHash);
    logs_->size1 = read_published(repo);
    const fs::path fork = dir_->path() / "fork";
    fs::copy(repo, fork, fs::copy_options::recursive);
    append(repo, "release", kReleaseHash);
    logs_->size2 = read_published(repo);
    append(fork, "release", kForkedHash);
    logs_->forked2 = read_published(fork);
    append(other, "policy", kPolicyHash);
    logs_->other = read_published(other);
  }
  static void TearDownTestSuite() {
    delete logs_;
    delete dir_;
  }

  // A state that trusts the log's key and keeps `kept` (nullopt: a device that saw no log).
  static TransparencyState trusting(const std::optional<std::string>& kept) {
    TransparencyState s(kept, crypto::AllowedSchemes{});
    EXPECT_TRUE(s.trust_log(logs_->size1.log_target));
    return s;
  }

  static const Logs& logs() { return *logs_; }

 private:
  static dss::testing::TempDir* dir_;
  static Logs* logs_;
};

dss::testing::TempDir* TransparencyStateTest::dir_ = nullptr;
Logs* TransparencyStateTest::logs_ = nullptr;

TEST_F(TransparencyStateTest, RepositoryWithoutALogIsAcceptedOnlyUntilThisDeviceSawOne) {
  EXPECT_TRUE(TransparencyState(std::nullopt, crypto::AllowedSchemes{}).accept_no_log());
  const TransparencyState seen(logs().size1.checkpoint, crypto::AllowedSchemes{});
  EXPECT_EQ(seen.accept_no_log().error().code, ErrorCode::kTransparencyLogMissing);
}

TEST_F(TransparencyStateTest, FirstCheckpointSignedByTheLogKeyIsKept) {
  TransparencyState s = trusting(std::nullopt);
  EXPECT_EQ(s.origin().rfind("dss-release-transparency/", 0), 0U) << s.origin();
  auto needed = s.consistency_needed(logs().size2.checkpoint);
  ASSERT_TRUE(needed);
  EXPECT_FALSE(*needed);
  ASSERT_TRUE(s.update_checkpoint(logs().size2.checkpoint, std::nullopt));
  EXPECT_EQ(s.size(), 2U);
  EXPECT_EQ(s.kept_note(), logs().size2.checkpoint);
}

TEST_F(TransparencyStateTest, LargerCheckpointIsAcceptedOnlyWithAConsistencyProofFromTheKeptOne) {
  TransparencyState s = trusting(logs().size1.checkpoint);
  auto needed = s.consistency_needed(logs().size2.checkpoint);
  ASSERT_TRUE(needed);
  ASSERT_TRUE(*needed);
  EXPECT_EQ(**needed, 1U);
  auto missing = s.update_checkpoint(logs().size2.checkpoint, std::nullopt);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kLogForked);
  EXPECT_EQ(s.size(), 1U) << "a refused checkpoint changes nothing";
  EXPECT_EQ(s.kept_note(), logs().size1.checkpoint);
  ASSERT_TRUE(logs().size2.consistency.contains(1));
  auto r = s.update_checkpoint(logs().size2.checkpoint, logs().size2.consistency.at(1));
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ(s.size(), 2U);
  EXPECT_EQ(s.kept_note(), logs().size2.checkpoint);
}

TEST_F(TransparencyStateTest, RejectsAForkedCheckpointOfTheKeptSize) {
  TransparencyState s = trusting(logs().size2.checkpoint);
  auto r = s.update_checkpoint(logs().forked2.checkpoint, std::nullopt);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kLogForked);
  EXPECT_EQ(s.kept_note(), logs().size2.checkpoint);
  EXPECT_TRUE(s.update_checkpoint(logs().size2.checkpoint, std::nullopt)) << "same size, same root";
}

TEST_F(TransparencyStateTest, RejectsACheckpointSmallerThanTheKeptOneAsARollback) {
  TransparencyState s = trusting(logs().size2.checkpoint);
  auto r = s.update_checkpoint(logs().size1.checkpoint, std::nullopt);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kTransparencyRolledBack);
  EXPECT_EQ(s.size(), 2U);
}

TEST_F(TransparencyStateTest, RejectsACheckpointNotSignedByTheKeyTufVouchesFor) {
  TransparencyState s = trusting(std::nullopt);
  auto r = s.update_checkpoint(logs().other.checkpoint, std::nullopt);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kBadCheckpointSignature);
  EXPECT_FALSE(s.kept_note());
  EXPECT_EQ(s.consistency_needed(logs().other.checkpoint).error().code,
            ErrorCode::kBadCheckpointSignature);
}

TEST_F(TransparencyStateTest, KeptCheckpointThatTheNewLogKeyDidNotSignMeansTheLogWasReplaced) {
  TransparencyState s(logs().size1.checkpoint, crypto::AllowedSchemes{});
  auto r = s.trust_log(logs().other.log_target);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kLogForked);
  EXPECT_EQ(TransparencyState(std::nullopt, crypto::AllowedSchemes{}).trust_log("{").error().code,
            ErrorCode::kMalformed);
}

TEST_F(TransparencyStateTest, EntryMustProveItsInclusionInTheKeptCheckpoint) {
  TransparencyState s = trusting(std::nullopt);
  ASSERT_TRUE(s.update_checkpoint(logs().size2.checkpoint, std::nullopt));
  const std::string& entry = logs().size2.entries.at(kReleaseHash);
  auto r = s.check_entry(entry, "release", kReleaseHash);
  EXPECT_TRUE(r) << r.error().to_string();
  // Another target's entry, or this entry for another kind, does not list this target.
  EXPECT_EQ(
      s.check_entry(logs().size2.entries.at(kPolicyHash), "release", kReleaseHash).error().code,
      ErrorCode::kNotInTransparencyLog);
  EXPECT_EQ(s.check_entry(entry, "policy", kReleaseHash).error().code,
            ErrorCode::kNotInTransparencyLog);
  // A tampered proof, or a file that does not parse.
  json j = json::parse(entry);
  ASSERT_FALSE(j["inclusion_proof"].empty());
  std::string h = j["inclusion_proof"][0].get<std::string>();
  h[5] = h[5] == 'f' ? 'e' : 'f';
  j["inclusion_proof"][0] = h;
  EXPECT_EQ(s.check_entry(j.dump(), "release", kReleaseHash).error().code, ErrorCode::kBadProof);
  EXPECT_EQ(s.check_entry("{", "release", kReleaseHash).error().code, ErrorCode::kBadProof);
  // The forked branch's entry proves nothing against this history.
  EXPECT_FALSE(s.check_entry(logs().forked2.entries.at(kForkedHash), "release", kForkedHash));
}

TEST_F(TransparencyStateTest, TargetWithoutASha256IsNotInTheLog) {
  EXPECT_EQ(TransparencyState::require_hash("release", "").error().code,
            ErrorCode::kNotInTransparencyLog);
  TransparencyState s = trusting(logs().size2.checkpoint);
  EXPECT_EQ(s.check_entry(logs().size2.entries.at(kReleaseHash), "release", "").error().code,
            ErrorCode::kNotInTransparencyLog);
}

// A publisher appended between the device's reads: the entry is for a newer tree than the
// checkpoint. It is refused, and the state names the newer size so the client reads again.
TEST_F(TransparencyStateTest, EntryForANewerTreeIsRefusedNamingTheSizeToReadAgain) {
  TransparencyState s = trusting(logs().size1.checkpoint);
  std::uint64_t newer = 0;
  auto r = s.check_entry(logs().size2.entries.at(kPolicyHash), "policy", kPolicyHash, &newer);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kBadProof);
  EXPECT_EQ(newer, 2U);
  EXPECT_TRUE(s.check_entry(logs().size1.entries.at(kPolicyHash), "policy", kPolicyHash, &newer));
  EXPECT_EQ(newer, 0U);
}

// crypto.allowed_signature_algorithms: checkpoints are signed with Ed25519 (C2SP signed
// notes); an owner who allows only ECDSA accepts no checkpoint, so nothing checked against the
// log installs.
TEST_F(TransparencyStateTest, LogKeyOfADisallowedSchemeIsRefused) {
  auto ecdsa_only = crypto::AllowedSchemes::from_words({"ecdsa-p256"});
  ASSERT_TRUE(ecdsa_only);
  TransparencyState s(std::nullopt, *ecdsa_only);
  const Status refused = s.trust_log(logs().size1.log_target);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kUnsupported);
  EXPECT_NE(refused.error().message.find("crypto.allowed_signature_algorithms"), std::string::npos);
  EXPECT_EQ(s.update_checkpoint(logs().size1.checkpoint, std::nullopt).error().code,
            ErrorCode::kFailedPrecondition);
  auto key = transparency::parse_log_target(logs().size1.log_target);
  ASSERT_TRUE(key);
  EXPECT_EQ(
      transparency::open_log_checkpoint(logs().size1.checkpoint, *key, *ecdsa_only).error().code,
      ErrorCode::kUnsupported);
  EXPECT_TRUE(
      transparency::open_log_checkpoint(logs().size1.checkpoint, *key, crypto::AllowedSchemes{}));
}

TEST_F(TransparencyStateTest, NothingIsJudgedBeforeTheLogKeyIsTrusted) {
  TransparencyState s(std::nullopt, crypto::AllowedSchemes{});
  EXPECT_EQ(s.update_checkpoint(logs().size1.checkpoint, std::nullopt).error().code,
            ErrorCode::kFailedPrecondition);
  EXPECT_EQ(s.consistency_needed(logs().size1.checkpoint).error().code,
            ErrorCode::kFailedPrecondition);
  EXPECT_EQ(s.check_entry(logs().size1.entries.at(kPolicyHash), "policy", kPolicyHash).error().code,
            ErrorCode::kFailedPrecondition);
}

}  // namespace
}  // namespace dss::agent
