// Release selection (agent/selection.h), as a pure function: which release the agent installs,
// and why each newer one was passed over. Each test is one rule.
#include "agent/selection.h"

#include <gtest/gtest.h>

namespace dss::agent {
namespace {

constexpr UnixSeconds kNow = 1'800'000'000;

Candidate candidate(const std::string& version, std::int64_t published = 0,
                    bool allow_downgrade = false) {
  Candidate c;
  c.info.path = "app/stable/" + version + "/app.tar.zst";
  c.release.target_path = c.info.path;
  auto v = Version::parse(version);
  EXPECT_TRUE(v) << version;
  if (v) c.release.version = *v;
  c.release.published = published;
  c.release.allow_downgrade = allow_downgrade;
  return c;
}

// Newest first, as the cycle lists them.
std::vector<Candidate> channel(const std::vector<std::string>& versions) {
  std::vector<Candidate> out;
  for (const auto& v : versions) out.push_back(candidate(v));
  return out;
}

std::string picked(const Selection& s) {
  return s.pick == nullptr ? "" : s.pick->release.version.text();
}

TEST(ReleaseSelection, PicksTheNewestReleaseAboveTheInstalledOne) {
  AgentState st;
  st.installed = "1.0";
  const auto list = channel({"3.0", "2.0", "1.0"});
  const Selection s = select_release(list, st, {});
  EXPECT_EQ(picked(s), "3.0");
  EXPECT_EQ(s.pick, &list[0]);  // into the list given
  EXPECT_TRUE(s.skipped.empty());
  EXPECT_EQ(skip_note(s), "");
}

TEST(ReleaseSelection, NothingAtOrBelowTheInstalledVersionIsConsidered) {
  AgentState st;
  st.installed = "2.0";
  st.failed = {"1.0"};
  const auto list = channel({"2.0", "1.0"});
  const Selection s = select_release(list, st, {});
  EXPECT_EQ(s.pick, nullptr);
  EXPECT_TRUE(s.skipped.empty()) << "an older failed version is not news";
}

TEST(ReleaseSelection, VersionThatFailedBeforeIsNeverPickedAndTheNoteSaysSo) {
  AgentState st;
  st.installed = "1.0";
  st.failed = {"3.0"};
  const auto list = channel({"3.0", "2.0"});
  const Selection s = select_release(list, st, {});
  EXPECT_EQ(picked(s), "2.0");
  ASSERT_EQ(s.skipped.size(), 1U);
  EXPECT_EQ(s.skipped[0].version, "3.0");
  EXPECT_EQ(s.skipped[0].reason, SkipReason::kFailedBefore);
  EXPECT_EQ(skip_note(s), "; 3.0 failed before and is not retried");
}

// ADR 0038.
TEST(ReleaseSelection, VersionHeldAfterInterruptedInstallsWaitsForItsBackoffThenIsPicked) {
  AgentState st;
  st.installed = "1.0";
  st.interrupted["2.0"] = InterruptedInstall{kMaxInterruptedAttempts, kNow + 60};
  const auto list = channel({"2.0"});
  SelectionPolicy policy;
  policy.now = kNow;
  Selection s = select_release(list, st, policy);
  EXPECT_EQ(s.pick, nullptr);
  ASSERT_EQ(s.skipped.size(), 1U);
  EXPECT_EQ(s.skipped[0].reason, SkipReason::kHeldAfterInterruptions);
  EXPECT_EQ(skip_note(s), "; 2.0 waits for its back-off after interrupted installs");
  policy.now = kNow + 60;
  s = select_release(list, st, policy);
  EXPECT_EQ(picked(s), "2.0");
  // Fewer interruptions than the limit hold nothing back.
  st.interrupted["2.0"] = InterruptedInstall{kMaxInterruptedAttempts - 1, 0};
  policy.now = kNow;
  EXPECT_EQ(picked(select_release(list, st, policy)), "2.0");
}

TEST(ReleaseSelection, BelowTheHighestCommittedVersionNeedsTheSignedOrTheOwnersAllowance) {
  AgentState st;
  st.installed = "1.0";  // after an operator's rollback
  st.highest_committed = "3.0";
  std::vector<Candidate> list = {candidate("2.0")};
  Selection s = select_release(list, st, {});
  EXPECT_EQ(s.pick, nullptr);
  ASSERT_EQ(s.skipped.size(), 1U);
  EXPECT_EQ(s.skipped[0].reason, SkipReason::kDowngradeNotAllowed);
  EXPECT_EQ(skip_note(s), "") << "a downgrade passed over is not mentioned";
  SelectionPolicy owner;
  owner.owner_allows_downgrade = true;
  EXPECT_EQ(picked(select_release(list, st, owner)), "2.0");
  list = {candidate("2.0", 0, /*allow_downgrade=*/true)};
  EXPECT_EQ(picked(select_release(list, st, {})), "2.0");
}

TEST(ReleaseSelection, YoungReleaseWaitsForTheDeferralUnlessItIsASecurityUpdate) {
  AgentState st;
  st.installed = "1.0";
  const std::vector<Candidate> list = {candidate("2.0", kNow - 3600),
                                       candidate("1.5", kNow - 7200)};
  SelectionPolicy policy;
  policy.now = kNow;
  policy.deferral_s = 2 * 3600;
  Selection s = select_release(list, st, policy);
  EXPECT_EQ(picked(s), "1.5") << "1.5 is two hours old: its deferral is over";
  ASSERT_EQ(s.skipped.size(), 1U);
  EXPECT_EQ(s.skipped[0].reason, SkipReason::kDeferred);
  EXPECT_EQ(skip_note(s), "; 2.0 waits for update.deferral_hours");
  policy.urgent = true;
  EXPECT_EQ(picked(select_release(list, st, policy)), "2.0");
}

TEST(ReleaseSelection, TheNoteNamesTheNewestReleasePassedOverForAReasonAPersonCanActOn) {
  AgentState st;
  st.installed = "1.0";
  st.highest_committed = "4.5";
  st.failed = {"3.0"};
  // All are below 4.5, the highest committed version; 3.0 also failed before.
  const auto list = channel({"4.0", "3.0", "2.0"});
  const Selection s = select_release(list, st, {});
  EXPECT_EQ(s.pick, nullptr);
  ASSERT_EQ(s.skipped.size(), 3U);
  EXPECT_EQ(s.skipped[0].reason, SkipReason::kDowngradeNotAllowed);
  EXPECT_EQ(s.skipped[1].reason, SkipReason::kFailedBefore);
  EXPECT_EQ(skip_note(s), "; 3.0 failed before and is not retried");
}

}  // namespace
}  // namespace dss::agent
