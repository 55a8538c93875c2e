// `dss agent status`, run as the binary a person runs: what it shows of the agent's state.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "agent/agent.h"
#include "agent/state.h"
#include "fakes/temp_dir.h"

namespace dss::agent {
namespace {

namespace fs = std::filesystem;

using dss::testing::slurp;

class AgentCliTest : public ::testing::Test {
 protected:
  // Runs `dss --state S agent --install-root R ARGS`; returns the exit status, fills out/err.
  int dss(const std::string& args) {
    const std::string cmd = "DSS_STATE_DIR='" + state_.string() +
                            "' " DSS_CLI_DIR "/dss agent --install-root '" + root_.string() + "' " +
                            args + " </dev/null >'" + (dir_.path() / "out").string() + "' 2>'" +
                            (dir_.path() / "err").string() + "'";
    const int status = std::system(cmd.c_str());
    out_ = slurp(dir_.path() / "out");
    err_ = slurp(dir_.path() / "err");
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  dss::testing::TempDir dir_{"dss-agent-cli"};
  fs::path state_ = dir_.path() / "state";
  fs::path root_ = dir_.path() / "install";
  std::string out_, err_;
};

// Crash-loop protection (ADR 0038) is visible to the person at the device: each version's count
// of installs interrupted after the switch, and until when a held one waits.
TEST_F(AgentCliTest, StatusShowsInterruptedInstallCountsAndTheHold) {
  AgentState s;
  s.installed = "1.0";
  s.interrupted["2.0"] = InterruptedInstall{kMaxInterruptedAttempts, 1'800'003'600};
  s.interrupted["1.5"] = InterruptedInstall{1, 0};
  ASSERT_TRUE(save_agent_state(agent_dir(state_), s));
  ASSERT_EQ(dss("status"), 0) << err_;
  EXPECT_NE(out_.find("interrupted:       2.0, 3 times after the switch; held back until " +
                      format_utc_timestamp(1'800'003'600)),
            std::string::npos)
      << out_;
  EXPECT_NE(out_.find("interrupted:       1.5, 1 time after the switch\n"), std::string::npos)
      << out_;

  ASSERT_EQ(dss("status --json"), 0) << err_;
  const auto j = nlohmann::json::parse(out_, nullptr, false);
  ASSERT_TRUE(j.is_object()) << out_;
  EXPECT_EQ(j["interrupted"]["2.0"]["count"], kMaxInterruptedAttempts);
  EXPECT_EQ(j["interrupted"]["2.0"]["retry_after"], 1'800'003'600);
  EXPECT_EQ(j["interrupted"]["1.5"]["count"], 1);
}

}  // namespace
}  // namespace dss::agent
