// The install root: versions switch atomically, a failed health check or hook rolls back and
// is never retried, and a SIGKILL at any of the install's fault points leaves `current` on a
// complete version, from which the next run converges.
#include "agent/install.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <functional>
#include <limits>

#include "agent/archive.h"
#include "agent/archive_builder.h"
#include "agent/fault_injection.h"
#include "agent/release.h"
#include "fakes/fake_clock.h"
#include "fakes/temp_dir.h"

namespace dss::agent {
namespace {

namespace fs = std::filesystem;
using dss::testing::build_archive;
using dss::testing::file;
using dss::testing::killed_at;
using dss::testing::tree_fingerprint;

std::string health_script(bool healthy) {
  return healthy ? "#!/bin/sh\nexit 0\n" : "#!/bin/sh\necho unhealthy >&2\nexit 1\n";
}

std::string app_archive(const std::string& version, bool healthy) {
  return build_archive(
      {file("bin/health", health_script(healthy), 0755), file("VERSION", version + "\n"),
       file("lib/data.bin", std::string(20000, static_cast<char>('a' + version[0] % 26)))});
}

Release release(const std::string& version, const std::string& extra = "") {
  const std::string custom =
      R"({"dss":{"version":")" + version +
      R"(","size":100000,"entries":10,"health":{"command":["bin/health"],"tries":2,"within_s":10})" +
      extra + "}}";
  auto r = parse_release("app/stable/" + version + "/app.tar.zst", custom);
  EXPECT_TRUE(r) << r.error().to_string();
  return *r;
}

class InstallTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const auto& [v, healthy] :
         std::vector<std::pair<std::string, bool>>{{"1.0", true}, {"2.0", true}, {"3.0", false}}) {
      const fs::path a = dir.path() / ("app-" + v + ".tar.zst");
      dss::testing::write_bytes(a, app_archive(v, healthy));
      archives[v] = a;
      const fs::path ref = dir.path() / ("ref-" + v);
      ASSERT_TRUE(extract_tar_zst(a, ref, {100000, 10}));
      reference[v] = tree_fingerprint(ref);
    }
  }
  Installer open() {
    auto i = Installer::open(root, state, clock);
    EXPECT_TRUE(i) << i.error().to_string();
    return std::move(*i);
  }
  std::string current() {
    std::error_code ec;
    if (!fs::is_symlink(fs::symlink_status(root / "current", ec))) return "";
    return fs::read_symlink(root / "current").string().substr(9);
  }
  // `current` is absent or on a version whose files are exactly one release's.
  void expect_valid(const std::string& where) {
    const std::string v = current();
    if (v.empty()) return;
    ASSERT_TRUE(reference.contains(v)) << where << ": current -> " << v;
    EXPECT_EQ(tree_fingerprint(root / "versions" / v), reference[v])
        << where << ": " << v << " is not complete";
  }

  dss::testing::TempDir dir{"dss-install"};
  fs::path root = dir.path() / "root";
  fs::path state = dir.path() / "state";
  dss::testing::FakeClock clock;
  std::map<std::string, fs::path> archives;
  std::map<std::string, std::map<std::string, std::string>> reference;
};

TEST_F(InstallTest, InstallsThenUpgradesKeepingThePreviousVersion) {
  Installer in = open();
  auto r1 = in.install(archives["1.0"], release("1.0"));
  ASSERT_TRUE(r1) << r1.error().to_string();
  EXPECT_TRUE(r1->installed);
  EXPECT_EQ(current(), "1.0");
  auto r2 = in.install(archives["2.0"], release("2.0"));
  ASSERT_TRUE(r2);
  EXPECT_EQ(current(), "2.0");
  EXPECT_EQ(in.state().installed, "2.0");
  EXPECT_EQ(in.state().previous, "1.0");
  EXPECT_EQ(in.state().highest_committed, "2.0");
  EXPECT_EQ(in.versions_on_disk(), (std::vector<std::string>{"1.0", "2.0"}));
  EXPECT_EQ(tree_fingerprint(root / "current/"), reference["2.0"]);
}

TEST_F(InstallTest, FailedHealthCheckRollsBackRecordsAndIsNeverRetried) {
  Installer in = open();
  ASSERT_TRUE(in.install(archives["2.0"], release("2.0")));
  auto r3 = in.install(archives["3.0"], release("3.0"));
  ASSERT_TRUE(r3);
  EXPECT_FALSE(r3->installed);
  EXPECT_EQ(r3->failure, ErrorCode::kHealthCheckFailed);
  EXPECT_EQ(current(), "2.0");
  EXPECT_TRUE(in.state().failed.contains("3.0"));
  EXPECT_EQ(in.state().last.result, "rolled_back");
  EXPECT_FALSE(fs::exists(root / "versions/3.0"));
  auto again = in.install(archives["3.0"], release("3.0"));
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kVersionFailedBefore);
}

TEST_F(InstallTest, FailingPreInstallHookInstallsNothing) {
  Installer in = open();
  ASSERT_TRUE(in.install(archives["1.0"], release("1.0")));
  const auto before = tree_fingerprint(root);
  auto r = in.install(archives["2.0"],
                      release("2.0", R"(,"hooks":{"pre_install":{"command":["/bin/false"]}})"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kHookFailed);
  EXPECT_EQ(tree_fingerprint(root), before);
  EXPECT_TRUE(in.state().failed.contains("2.0"));
}

// Dead or a zombie waiting for its parent (the kill has taken effect).
bool process_gone(const std::string& pid) {
  for (int i = 0; i < 500; ++i) {  // the kill is asynchronous: give it up to 5 s to land
    const std::string stat = testing::slurp("/proc/" + pid + "/stat");
    const auto paren = stat.rfind(')');
    if (stat.empty() || paren == std::string::npos || stat.size() < paren + 3) return true;
    const char state = stat[paren + 2];
    if (state == 'Z' || state == 'X') return true;
    ::usleep(10000);
  }
  return false;
}

TEST_F(InstallTest, HookThatOutlivesItsTimeoutIsKilledWithItsGroup) {
  Installer in = open();
  ASSERT_TRUE(in.install(archives["1.0"], release("1.0")));
  const fs::path pidfile = dir.path() / "child.pid";
  const std::string script = "sleep 60 & echo $! > " + pidfile.string() + "; sleep 60";
  auto r = in.install(archives["2.0"],
                      release("2.0", R"(,"hooks":{"post_install":{"command":["/bin/sh","-c",")" +
                                         script + R"("],"timeout_s":1}})"));
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->installed);
  EXPECT_EQ(r->failure, ErrorCode::kHookFailed);
  EXPECT_EQ(current(), "1.0");
  std::ifstream in_pid(pidfile);
  std::string pid;
  in_pid >> pid;
  ASSERT_FALSE(pid.empty());
  EXPECT_TRUE(process_gone(pid)) << "a process of the hook's group survived the kill";
}

TEST_F(InstallTest, SecondInstallerOnTheSameRootIsRefused) {
  Installer in = open();
  auto second = Installer::open(root, state, clock);
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code, ErrorCode::kAgentBusy);
}

TEST_F(InstallTest, OperatorRollbackMarksTheVersionLeftAsFailed) {
  Installer in = open();
  ASSERT_TRUE(in.install(archives["1.0"], release("1.0")));
  ASSERT_TRUE(in.install(archives["2.0"], release("2.0")));
  ASSERT_TRUE(in.rollback_to("1.0", "test"));
  EXPECT_EQ(current(), "1.0");
  EXPECT_TRUE(in.state().failed.contains("2.0"));
  EXPECT_EQ(in.rollback_to("2.0", "test").error().code, ErrorCode::kNotFound);
}

TEST_F(InstallTest, KilledAtAnyPointOfAnUpgradeTheRootIsValidAndTheNextRunConverges) {
  const std::vector<std::string> points = {
      "extract_entry:1",  "extract_entry:2", "staged",      "renamed",
      "pre_install_done", "journal_written", "symlink_tmp", "switched",
      "checked",          "commit_journal",  "state_saved", "journal_cleared"};
  for (const std::string& point : points) {
    SCOPED_TRACE(point);
    fs::remove_all(root);
    fs::remove_all(state);
    {
      Installer in = open();
      ASSERT_TRUE(in.install(archives["1.0"], release("1.0")));
    }
    const bool killed = killed_at(point, [&] {
      auto in = Installer::open(root, state, clock);
      if (in) ignore_error(in->install(archives["2.0"], release("2.0")));
    });
    EXPECT_TRUE(killed) << "fault point never reached";
    expect_valid("after the kill");
    Installer in = open();  // recovers
    expect_valid("after recovery");
    if (in.state().installed != "2.0") {
      auto r = in.install(archives["2.0"], release("2.0"));
      ASSERT_TRUE(r) << r.error().to_string();
    }
    EXPECT_EQ(current(), "2.0");
    EXPECT_EQ(in.state().installed, "2.0");
    EXPECT_EQ(tree_fingerprint(root / "versions/2.0"), reference["2.0"]);
    EXPECT_FALSE(fs::exists(root / ".dss/journal.json"));
  }
}

TEST_F(InstallTest, KilledAtAnyPointOfARollbackTheRootIsValidAndTheNextRunConverges) {
  const std::vector<std::string> points = {"switched",          "checked",
                                           "rollback_journal",  "rollback_switched",
                                           "rollback_recorded", "trashed"};
  for (const std::string& point : points) {
    SCOPED_TRACE(point);
    fs::remove_all(root);
    fs::remove_all(state);
    {
      Installer in = open();
      ASSERT_TRUE(in.install(archives["2.0"], release("2.0")));
    }
    const bool killed = killed_at(point, [&] {
      auto in = Installer::open(root, state, clock);
      if (in) ignore_error(in->install(archives["3.0"], release("3.0")));
    });
    EXPECT_TRUE(killed) << "fault point never reached";
    expect_valid("after the kill");
    Installer in = open();
    expect_valid("after recovery");
    EXPECT_EQ(current(), "2.0");
    if (!in.state().failed.contains("3.0")) {
      auto r = in.install(archives["3.0"], release("3.0"));  // interrupted, so tried again
      ASSERT_TRUE(r) << r.error().to_string();
      EXPECT_FALSE(r->installed);
    }
    EXPECT_EQ(current(), "2.0");
    EXPECT_TRUE(in.state().failed.contains("3.0"));
    EXPECT_FALSE(fs::exists(root / "versions/3.0"));
  }
}

// Crash-loop protection (ADR 0038).
class InterruptedInstallTest : public InstallTest {
 protected:
  // Kills an install of `version` at `point`, then recovers in this process.
  AgentState interrupt(const std::string& point, const std::string& version) {
    const bool killed = killed_at(point, [&] {
      auto in = Installer::open(root, state, clock);
      if (in) ignore_error(in->install(archives[version], release(version)));
    });
    EXPECT_TRUE(killed) << point << " never reached";
    Installer in = open();  // recovers
    EXPECT_EQ(current(), "1.0");
    return in.state();
  }
};

TEST_F(InterruptedInstallTest, InterruptionsBeforeTheSwitchAreNotCountedAgainstTheVersion) {
  {
    Installer in = open();
    ASSERT_TRUE(in.install(archives["1.0"], release("1.0")));
  }
  // Journal written, `current` not yet (or only half) switched: 2.0 never ran.
  for (const std::string point :
       {"journal_written", "symlink_tmp", "journal_written", "symlink_tmp"}) {
    SCOPED_TRACE(point);
    const AgentState st = interrupt(point, "2.0");
    EXPECT_FALSE(st.interrupted.contains("2.0"));
    EXPECT_FALSE(st.failed.contains("2.0"));
  }
  Installer in = open();
  auto r = in.install(archives["2.0"], release("2.0"));
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_TRUE(r->installed);
}

TEST_F(InterruptedInstallTest, VersionInterruptedAfterTheSwitchIsRetriedAfterAPersistedBackoff) {
  {
    Installer in = open();
    ASSERT_TRUE(in.install(archives["1.0"], release("1.0")));
  }
  for (int i = 1; i <= kMaxInterruptedAttempts; ++i) {
    const AgentState st = interrupt("switched", "2.0");
    EXPECT_EQ(st.interrupted.at("2.0").count, i);
  }
  const UnixSeconds held_at = clock.now();
  {
    Installer in = open();  // a restart: the back-off comes from the saved state
    EXPECT_FALSE(in.state().failed.contains("2.0"));  // held, not given up
    EXPECT_EQ(in.state().interrupted.at("2.0").retry_after, held_at + kInterruptedBackoffS);
    auto held = in.install(archives["2.0"], release("2.0"));
    ASSERT_FALSE(held);
    EXPECT_EQ(held.error().code, ErrorCode::kVersionFailedBefore);
  }
  clock.advance(kInterruptedBackoffS);
  // The retry is interrupted once more: the hold doubles.
  const AgentState st = interrupt("switched", "2.0");
  EXPECT_EQ(st.interrupted.at("2.0").retry_after, clock.now() + 2 * kInterruptedBackoffS);
  clock.advance(2 * kInterruptedBackoffS);
  Installer in = open();
  auto r = in.install(archives["2.0"], release("2.0"));
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_TRUE(r->installed);
  EXPECT_FALSE(in.state().interrupted.contains("2.0"));  // committed: the count is cleared
}

TEST(InterruptedInstallBackoff, IsExponentialFromTheThirdInterruptionAndBounded) {
  EXPECT_EQ(interrupted_backoff(1), 0);
  EXPECT_EQ(interrupted_backoff(kMaxInterruptedAttempts - 1), 0);
  EXPECT_EQ(interrupted_backoff(kMaxInterruptedAttempts), kInterruptedBackoffS);
  EXPECT_EQ(interrupted_backoff(kMaxInterruptedAttempts + 1), 2 * kInterruptedBackoffS);
  EXPECT_EQ(interrupted_backoff(kMaxInterruptedAttempts + 2), 4 * kInterruptedBackoffS);
  EXPECT_EQ(interrupted_backoff(kMaxInterruptedAttempts + 40), kMaxInterruptedBackoffS);
  EXPECT_EQ(interrupted_backoff(std::numeric_limits<int>::max()), kMaxInterruptedBackoffS);
}

TEST(InterruptedInstallState, CountAndBackoffSurviveASaveAndAnOldStateFileStillLoads) {
  dss::testing::TempDir dir{"dss-state"};
  AgentState s;
  s.interrupted["2.0"] = InterruptedInstall{4, 1'800'007'200};
  ASSERT_TRUE(save_agent_state(dir.path(), s));
  auto back = load_agent_state(dir.path());
  ASSERT_TRUE(back) << back.error().to_string();
  EXPECT_EQ(back->interrupted.at("2.0").count, 4);
  EXPECT_EQ(back->interrupted.at("2.0").retry_after, 1'800'007'200);
  // Written before ADR 0038: the bare count.
  std::string text = agent_state_json(s);
  const std::string entry = R"("2.0":{"count":4,"retry_after":1800007200})";
  ASSERT_NE(text.find(entry), std::string::npos) << text;
  text.replace(text.find(entry), entry.size(), R"("2.0":2)");
  dss::testing::write_bytes(dir.path() / kStateFileName, text);
  auto old = load_agent_state(dir.path());
  ASSERT_TRUE(old) << old.error().to_string();
  EXPECT_EQ(old->interrupted.at("2.0").count, 2);
  EXPECT_EQ(old->interrupted.at("2.0").retry_after, 0);
}

// A negative count would read as "never interrupted" and lift the crash-loop guard: a state
// file that holds one is damaged, and refused as such, naming what to do.
TEST(InterruptedInstallState, NegativeCountOrBackoffInTheStateFileIsRefusedAsDamaged) {
  dss::testing::TempDir dir{"dss-state"};
  AgentState s;
  s.interrupted["2.0"] = InterruptedInstall{4, 1'800'007'200};
  const std::string good = agent_state_json(s);
  const std::string entry = R"("2.0":{"count":4,"retry_after":1800007200})";
  ASSERT_NE(good.find(entry), std::string::npos) << good;
  for (const std::string bad_entry : {R"("2.0":{"count":-4,"retry_after":1800007200})",
                                      R"("2.0":{"count":4,"retry_after":-1})", R"("2.0":-2)"}) {
    std::string text = good;
    text.replace(text.find(entry), entry.size(), bad_entry);
    dss::testing::write_bytes(dir.path() / kStateFileName, text);
    auto loaded = load_agent_state(dir.path());
    ASSERT_FALSE(loaded) << bad_entry;
    EXPECT_EQ(loaded.error().code, ErrorCode::kMalformed);
    EXPECT_NE(loaded.error().message.find("move it aside"), std::string::npos);
  }
}

}  // namespace
}  // namespace dss::agent
