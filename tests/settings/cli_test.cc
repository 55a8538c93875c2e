// The CLI surface and the file edges: the chime on every `dss` invocation, acknowledgement
// with --accept-risk, the committed loosening guide, and the settings file kept intact on
// bad input.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "fakes/temp_dir.h"
#include "settings/declarations.h"
#include "settings/engine.h"
#include "settings/system.h"

namespace dss::settings {
namespace {

namespace fs = std::filesystem;

using dss::testing::slurp;

class SettingsCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = fs::temp_directory_path() /
          ("dss-settings-cli-" + std::to_string(::getpid()) + "-" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  void TearDown() override { fs::remove_all(dir); }

  // Runs `dss ARGS` with stdin from /dev/null; returns the exit status, fills out/err.
  int dss(const std::string& args) {
    const std::string cmd = "DSS_STATE_DIR='" + (dir / "state").string() +
                            "' " DSS_CLI_DIR "/dss " + args + " </dev/null >'" +
                            (dir / "out").string() + "' 2>'" + (dir / "err").string() + "'";
    const int status = std::system(cmd.c_str());
    out = slurp(dir / "out");
    err = slurp(dir / "err");
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  fs::path dir;
  std::string out, err;
};

TEST_F(SettingsCliTest, LooseningWithoutAcknowledgementIsRefusedWithThePhrase) {
  EXPECT_EQ(dss("settings set tls.min_version 1.2"), 1);
  EXPECT_NE(err.find("acknowledgement_required"), std::string::npos);
  EXPECT_NE(err.find("--accept-risk \"I accept the risk of loosening tls.min_version to 1.2\""),
            std::string::npos);
  EXPECT_FALSE(fs::exists(dir / "state" / "settings.json"));
}

TEST_F(SettingsCliTest, EveryDssInvocationChimesOnStderrWhileLoosened) {
  ASSERT_EQ(dss("settings set tls.min_version 1.2 --reason 'old proxy' --accept-risk "
                "'I accept the risk of loosening tls.min_version to 1.2'"),
            0)
      << err;
  for (const char* cmd :
       {"version", "settings list", "repo status /nonexistent", "--help", "tuf-client --help"}) {
    dss(cmd);
    EXPECT_NE(err.find("tls.min_version = 1.2"), std::string::npos) << cmd;
    EXPECT_NE(err.find("undo: dss settings set tls.min_version 1.3"), std::string::npos) << cmd;
  }
  // The tamper-evident audit log holds the acknowledgement, actor and reason, and the periodic
  // reminder; and it verifies.
  ASSERT_EQ(dss("audit query '" + (dir / "state" / "audit").string() + "' --action settings."), 0)
      << err;
  const std::string audit = out;
  EXPECT_NE(
      audit.find(R"("acknowledgement":"I accept the risk of loosening tls.min_version to 1.2")"),
      std::string::npos)
      << audit;
  EXPECT_NE(audit.find(R"("action":"settings.loosen")"), std::string::npos);
  EXPECT_NE(audit.find(R"("reason":"old proxy")"), std::string::npos);
  EXPECT_NE(audit.find(R"("action":"settings.chime")"), std::string::npos);
  EXPECT_EQ(dss("audit verify '" + (dir / "state" / "audit").string() + "'"), 0) << err;
  // Tightening is the only way to silence it.
  ASSERT_EQ(dss("settings set tls.min_version 1.3"), 0);
  dss("version");
  EXPECT_EQ(err.find("tls.min_version"), std::string::npos);
}

TEST_F(SettingsCliTest, BadInputLeavesTheSettingsFileUntouched) {
  ASSERT_EQ(dss("settings set session.idle_timeout_minutes 10"), 0);
  const std::string before = slurp(dir / "state" / "settings.json");
  EXPECT_EQ(dss("settings set session.idle_timeout_minutes 9999"), 1);
  EXPECT_NE(err.find("session.idle_timeout_minutes"), std::string::npos);
  EXPECT_EQ(dss("settings set no.such.key 1"), 1);
  EXPECT_NE(err.find("no.such.key"), std::string::npos);
  EXPECT_EQ(slurp(dir / "state" / "settings.json"), before);
}

TEST_F(SettingsCliTest, ExplainShowsWhoSetTheValueAndWhen) {
  ASSERT_EQ(dss("settings set update.check_interval_minutes 15 --reason faster"), 0);
  ASSERT_EQ(dss("settings explain update.check_interval_minutes"), 0);
  EXPECT_NE(out.find("Current value:    15"), std::string::npos) << out;
  EXPECT_NE(out.find("Set by:           local:"), std::string::npos) << out;
  EXPECT_NE(out.find("reason: faster"), std::string::npos) << out;
  EXPECT_NE(out.find("Secure default:   60"), std::string::npos) << out;
}

TEST_F(SettingsCliTest, CorruptSettingsFileIsRefusedAndKept) {
  fs::create_directories(dir / "state");
  {
    std::ofstream f(dir / "state" / "settings.json");
    f << R"({"format":"dss-settings-v1","bogus":1})";
  }
  EXPECT_EQ(dss("settings set session.idle_timeout_minutes 10"), 1);
  EXPECT_NE(err.find("not a valid settings file"), std::string::npos) << err;
  EXPECT_EQ(slurp(dir / "state" / "settings.json"), R"({"format":"dss-settings-v1","bogus":1})");
}

// crypto.allowed_signature_algorithms: agents on their defaults refuse RSA signatures, so
// `dss repo init --scheme rsassa-pss-sha256` refuses to make a repository they would install
// nothing from, naming the setting; once the owner allows rsa-pss here, it is made.
TEST_F(SettingsCliTest, RepoInitRefusesASchemeTheAgentsRefuseOnTheirDefaults) {
  ::setenv("DSS_OFFLINE_PASSPHRASE", "an offline passphrase for this test only", 1);
  ::setenv("DSS_ONLINE_PASSPHRASE", "an online passphrase for this test, another", 1);
  const std::string repo = "'" + (dir / "repo").string() + "'";
  EXPECT_EQ(dss("repo init " + repo + " --scheme rsassa-pss-sha256"), 1);
  EXPECT_NE(err.find("crypto.allowed_signature_algorithms"), std::string::npos) << err;
  EXPECT_FALSE(fs::exists(dir / "repo" / "metadata" / "1.root.json"));
  const std::string allowed = "ecdsa-p256,ed25519,rsa-pss";
  const Declaration& d = **find_declaration("crypto.allowed_signature_algorithms");
  ASSERT_EQ(dss("settings set crypto.allowed_signature_algorithms " + allowed +
                " --reason 'RSA agents' --accept-risk '" +
                loosening_phrase(d.key, *parse_value(d, allowed)) + "'"),
            0)
      << err;
  EXPECT_EQ(dss("repo init " + repo + " --scheme rsassa-pss-sha256"), 0) << err;
  EXPECT_TRUE(fs::exists(dir / "repo" / "metadata" / "1.root.json"));
  ::unsetenv("DSS_OFFLINE_PASSPHRASE");
  ::unsetenv("DSS_ONLINE_PASSPHRASE");
}

// A settings file from before audit.retention_days was removed (ADR 0042) still works, with a
// warning, instead of stopping every command.
TEST_F(SettingsCliTest, SettingsFileWithARetiredSettingIsReadWithAWarning) {
  fs::create_directories(dir / "state");
  {
    std::ofstream f(dir / "state" / "settings.json");
    f << R"({"format":"dss-settings-v1","template":{"name":"strict","set_by":"","set_at":"1970-01-01T00:00:00Z"},"values":{"audit.retention_days":{"value":800,"set_by":"local:a","set_at":"2027-01-01T00:00:00Z","reason":""}}})";
  }
  EXPECT_EQ(dss("settings list"), 0) << err;
  EXPECT_NE(err.find("audit.retention_days"), std::string::npos) << err;
  EXPECT_EQ(dss("settings set session.idle_timeout_minutes 10"), 0) << err;
  EXPECT_EQ(slurp(dir / "state" / "settings.json").find("audit.retention_days"), std::string::npos);
}

TEST(LooseningGuide, CommittedFileMatchesTheDeclarations) {
  const fs::path guide = fs::path(DSS_SOURCE_ROOT) / "docs" / "loosening-guide.md";
  ASSERT_TRUE(fs::exists(guide)) << guide;
  const std::string committed = slurp(guide);
  EXPECT_EQ(committed, loosening_guide_markdown())
      << "docs/loosening-guide.md is stale: run `dss settings guide --output "
         "docs/loosening-guide.md` and commit it";
}

TEST(LooseningGuide, EveryDeclarationHasAnEntryWithItsRisk) {
  const std::string guide = loosening_guide_markdown();
  for (const Declaration& d : declarations()) {
    EXPECT_NE(guide.find("## `" + std::string(d.key) + "`"), std::string::npos) << d.key;
    EXPECT_NE(guide.find(std::string(d.risk)), std::string::npos) << d.key;
  }
}

}  // namespace
}  // namespace dss::settings
