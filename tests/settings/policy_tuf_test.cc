// Policy bundles delivered end to end as a TUF target: the in-memory repository publishes the
// bundle, the real Updater verifies it, update_policy_from_tuf applies it with no user action.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "client/updater.h"
#include "fakes/fake_clock.h"
#include "fakes/memory_metadata_store.h"
#include "fakes/print_error_code.h"
#include "fakes/repository_simulator.h"
#include "fakes/settings_fakes.h"
#include "settings/system.h"

namespace dss::settings {
namespace {

using testing::FakeAuditSink;
using testing::FakeClock;
using testing::MemoryMetadataStore;
using testing::MemorySettingsStore;
using testing::RepositorySimulator;

constexpr std::string_view kBundlePath = "policy/bundle.json";

class PolicyTufTest : public ::testing::Test {
 protected:
  void SetUp() override {
    metadata.files["root"] = repo.signed_roots.front();
    dir = std::filesystem::temp_directory_path() /
          ("dss-policy-test-" + std::to_string(::getpid()) + "-" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir);
  }
  void TearDown() override { std::filesystem::remove_all(dir); }

  void publish(std::int64_t version, const std::string& floors) {
    repo.add_target("targets", std::string(kBundlePath),
                    R"({"type":"dss-policy-bundle","bundle_version":)" + std::to_string(version) +
                        R"(,"floors":{)" + floors + "}}");
    repo.targets.version += 1;
    repo.update_snapshot();
  }
  ErrorCode update() {
    client::UpdaterConfig config;
    config.metadata_base_url = std::string(RepositorySimulator::kMetadataUrl);
    config.target_base_url = std::string(RepositorySimulator::kTargetsUrl);
    client::Updater updater(config, repo, metadata, clock);
    auto r = update_policy_from_tuf(updater, kBundlePath, dir, engine);
    return r ? ErrorCode::kOk : r.error().code;
  }
  std::string effective(std::string_view key) {
    auto s = store.load();
    EXPECT_TRUE(s.has_value());
    return format_value(resolve_one(*s, key)->value);
  }

  RepositorySimulator repo;
  MemoryMetadataStore metadata;
  FakeClock clock;
  MemorySettingsStore store;
  FakeAuditSink audit;
  SettingsEngine engine{store, audit, clock};
  std::filesystem::path dir;
};

TEST_F(PolicyTufTest, BundlePublishedThroughTufIsAppliedAutomaticallyAndAudited) {
  publish(1, R"("auth.password_min_length":20,"update.check_interval_minutes":15)");
  ASSERT_EQ(update(), ErrorCode::kOk);
  EXPECT_EQ(effective("auth.password_min_length"), "20");
  EXPECT_EQ(effective("update.check_interval_minutes"), "15");
  ASSERT_EQ(audit.count(kActionPolicyApplied), 1U);
  EXPECT_EQ(audit.events.back().key, "tuf target policy/bundle.json");
  EXPECT_EQ(store.load()->policy->bundle.bundle_version, 1);
}

TEST_F(PolicyTufTest, NewerBundleTightensFurther) {
  publish(1, R"("auth.password_min_length":16)");
  ASSERT_EQ(update(), ErrorCode::kOk);
  publish(2, R"("auth.password_min_length":24)");
  ASSERT_EQ(update(), ErrorCode::kOk);
  EXPECT_EQ(effective("auth.password_min_length"), "24");
}

TEST_F(PolicyTufTest, BundleSignedByAnUntrustedKeyIsRefusedAndRecorded) {
  publish(1, R"("auth.password_min_length":16)");
  ASSERT_EQ(update(), ErrorCode::kOk);
  publish(2, R"("auth.password_min_length":12)");
  // An attacker who holds no targets key signs the new targets metadata.
  repo.signers["targets"] = {*crypto::PrivateKey::generate(crypto::KeyScheme::kEd25519)};
  repo.targets.version += 1;
  repo.update_snapshot();
  EXPECT_EQ(update(), ErrorCode::kUnsigned);
  EXPECT_EQ(effective("auth.password_min_length"), "16");
  ASSERT_EQ(audit.count(kActionPolicyRefused), 1U);
  EXPECT_EQ(audit.events.back().outcome, kOutcomeRefused);
}

TEST_F(PolicyTufTest, TamperedBundleBytesAreRefusedAndRecorded) {
  publish(1, R"("auth.password_min_length":16)");
  const auto& tf = repo.targets.targets[std::string(kBundlePath)];
  std::string evil = repo.target_contents[std::string(kBundlePath)];
  evil.replace(evil.find("16"), 2, "12");
  repo.overrides["policy/" + tf.hashes.at("sha256") + ".bundle.json"] = evil;
  EXPECT_EQ(update(), ErrorCode::kLengthOrHashMismatch);
  EXPECT_FALSE(store.load()->policy);
  EXPECT_EQ(audit.count(kActionPolicyRefused), 1U);
}

TEST_F(PolicyTufTest, SignedBundleWithALowerVersionIsRefusedAndRecorded) {
  publish(3, R"("auth.password_min_length":20)");
  ASSERT_EQ(update(), ErrorCode::kOk);
  publish(2, R"("auth.password_min_length":12)");
  EXPECT_EQ(update(), ErrorCode::kBadVersion);
  EXPECT_EQ(effective("auth.password_min_length"), "20");
  EXPECT_EQ(audit.count(kActionPolicyRefused), 1U);
}

}  // namespace
}  // namespace dss::settings
