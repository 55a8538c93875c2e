// The agent end to end over loopback HTTPS: the provider publishes releases with the `dss repo`
// code, a real HTTPS server serves the repository, and the agent installs, upgrades, rolls back
// and refuses hostile releases by itself, leaving the install root byte-for-byte unchanged
// whenever it refuses.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "agent/agent.h"
#include "agent/archive_builder.h"
#include "agent/fault_injection.h"
#include "core/bytes.h"
#include "crypto/hash.h"
#include "fakes/fast_kdf.h"
#include "fakes/settings_fakes.h"
#include "fakes/temp_dir.h"
#include "httpd/server.h"
#include "platform/system_clock.h"
#include "repo/repository.h"
#include "settings/declarations.h"
#include "settings/engine.h"
#include "settings/system.h"

namespace dss::agent {
namespace {

namespace fs = std::filesystem;
using dss::testing::ArchiveEntry;
using dss::testing::build_archive;
using dss::testing::file;
using dss::testing::tree_fingerprint;
using K = ArchiveEntry::Kind;

std::string random_passphrase() {
  Bytes b(16);
  std::ifstream("/dev/urandom", std::ios::binary).read(reinterpret_cast<char*>(b.data()), 16);
  return hex_encode(b);
}

std::vector<ArchiveEntry> app_files(const std::string& version, bool healthy = true) {
  return {file("bin/health", healthy ? "#!/bin/sh\nexit 0\n" : "#!/bin/sh\nexit 3\n", 0755),
          file("VERSION", version + "\n"), file("share/readme.txt", "hello " + version + "\n")};
}

class AgentE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    offline_ = random_passphrase();
    online_ = random_passphrase();
    repo::InitOptions o;
    o.dir = repo_;
    auto r = repo::init(o, secrets(), clock_.now());
    ASSERT_TRUE(r) << r.error().to_string();
    ASSERT_TRUE(
        httpd::generate_self_signed_cert(dir_.path() / "cert.pem", dir_.path() / "key.pem"));
    httpd::StaticHttpsServer::Options so;
    so.root = repo_;
    so.only_under = {"metadata", "targets"};
    so.cert_pem = dir_.path() / "cert.pem";
    so.key_pem = dir_.path() / "key.pem";
    auto server = httpd::StaticHttpsServer::start(so);
    ASSERT_TRUE(server) << server.error().to_string();
    server_ = std::move(*server);
    ASSERT_EQ(::mkdir(state_.c_str(), 0700), 0);
    probe_.paths[state_.string()] = settings::PathState{true, true, 0700, 1000};
  }

  repo::Secrets secrets() const {
    repo::Secrets s;
    s.offline = SecretBytes::from_string(offline_);
    s.online = SecretBytes::from_string(online_);
    s.kdf = dss::testing::fast_kdf();
    return s;
  }

  AgentOptions options() const {
    AgentOptions o;
    o.state_dir = state_;
    o.install_root = root_;
    o.repo_url = "https://127.0.0.1:" + std::to_string(server_->port()) + "/";
    o.trusted_root = repo_ / "metadata" / "1.root.json";
    o.app = "hello";
    o.channel = "stable";
    o.ca_file = (dir_.path() / "cert.pem").string();
    return o;
  }

  std::unique_ptr<Agent> agent() {
    auto a = Agent::open(options(), probe_, clock_);
    EXPECT_TRUE(a) << a.error().to_string();
    return a ? std::move(*a) : nullptr;
  }

  // Publishes each version in turn, and `a` installs it.
  void install_each(Agent& a, std::initializer_list<const char*> versions) {
    for (const char* v : versions) {
      publish(v, build_archive(app_files(v)));
      ASSERT_EQ(a.run_once().result, "installed") << v;
    }
  }

  // Publishes `archive` as release `version` on the stable channel, with `dss repo` code.
  void publish(const std::string& version, const std::string& archive, std::string custom = "",
               const std::string& path = "") {
    const fs::path f = dir_.path() / ("upload-" + version);
    dss::testing::write_bytes(f, archive);
    if (custom.empty()) {
      custom =
          R"({"dss":{"version":")" + version +
          R"(","size":100000,"entries":20,"health":{"command":["bin/health"],"tries":1,"within_s":20}}})";
    }
    repo::AddTargetOptions o;
    o.dir = repo_;
    o.file = f;
    o.target_path = path.empty() ? "hello/stable/" + version + "/hello.tar.zst" : path;
    o.custom_json = custom;
    auto r = repo::add_target(o, secrets(), clock_.now());
    ASSERT_TRUE(r) << r.error().to_string();
  }

  std::string current() const {
    std::error_code ec;
    return fs::is_symlink(fs::symlink_status(root_ / "current", ec))
               ? fs::read_symlink(root_ / "current").string()
               : "";
  }

  // Installs 1.0, then publishes `bad` as 2.0 and checks the agent refuses it with `code`,
  // leaving the install root exactly as it was.
  void expect_refused_with_root_unchanged(const std::string& bad, ErrorCode code,
                                          const std::string& custom = "") {
    auto a = agent();
    ASSERT_TRUE(a);
    publish("1.0", build_archive(app_files("1.0")));
    ASSERT_EQ(a->run_once().result, "installed");
    const auto before = tree_fingerprint(root_);
    ASSERT_FALSE(before.empty());
    publish("2.0", bad, custom);
    const CycleResult r = a->run_once();
    EXPECT_EQ(r.result, "refused") << r.detail;
    EXPECT_EQ(r.code, code) << r.detail;
    EXPECT_EQ(tree_fingerprint(root_), before) << "the install root changed";
    EXPECT_EQ(current(), "versions/1.0");
  }

  // The owner loosens `key` to `value` in the agent's state, acknowledging the risk.
  void owner_loosens(const std::string& key, const std::string& value) {
    settings::FileSettingsStore store(state_);
    settings::AuditLogSink audit(state_, clock_, true);
    settings::SettingsEngine engine(store, audit, clock_);
    const auto d = settings::find_declaration(key);
    ASSERT_TRUE(d);
    const auto parsed = settings::parse_value(**d, value);
    ASSERT_TRUE(parsed);
    auto set = engine.set(settings::Actor{"owner", settings::Role::kOwner}, key, value,
                          settings::Consent{"test", settings::loosening_phrase(key, *parsed)});
    ASSERT_TRUE(set) << set.error().to_string();
  }

  dss::testing::TempDir dir_{"dss-agent-e2e"};
  fs::path repo_ = dir_.path() / "repo";
  fs::path state_ = dir_.path() / "state";
  fs::path root_ = dir_.path() / "install";
  std::string offline_, online_;
  platform::SystemClock clock_;
  dss::testing::FakeSystemProbe probe_;
  std::unique_ptr<httpd::StaticHttpsServer> server_;
};

TEST_F(AgentE2E, InstallsV1ThenV2ByItselfAndRollsBackAFailingV3) {
  auto a = agent();
  ASSERT_TRUE(a);
  EXPECT_EQ(a->run_once().result, "none");  // nothing published yet
  publish("1.0", build_archive(app_files("1.0")));
  CycleResult r = a->run_once();
  ASSERT_EQ(r.result, "installed") << r.detail;
  EXPECT_EQ(current(), "versions/1.0");
  publish("2.0", build_archive(app_files("2.0")));
  r = a->run_once();
  ASSERT_EQ(r.result, "installed") << r.detail;
  EXPECT_EQ(r.version, "2.0");
  EXPECT_EQ(current(), "versions/2.0");
  EXPECT_EQ(a->run_once().result, "none");

  publish("3.0", build_archive(app_files("3.0", /*healthy=*/false)));
  r = a->run_once();
  EXPECT_EQ(r.result, "rolled_back") << r.detail;
  EXPECT_EQ(r.code, ErrorCode::kHealthCheckFailed);
  EXPECT_EQ(current(), "versions/2.0");
  auto st = a->status();
  ASSERT_TRUE(st);
  EXPECT_TRUE(st->state.failed.contains("3.0"));
  EXPECT_EQ(st->state.last.result, "rolled_back");
  EXPECT_EQ(st->state.last.version, "3.0");
  // Never retried: the next cycle installs nothing and keeps the record.
  r = a->run_once();
  EXPECT_EQ(r.result, "none") << r.detail;
  EXPECT_EQ(current(), "versions/2.0");
  EXPECT_EQ(a->checkin_report().last_update.result, "rolled_back");
  // A newer release is installed.
  publish("4.0", build_archive(app_files("4.0")));
  EXPECT_EQ(a->run_once().result, "installed");
  EXPECT_EQ(current(), "versions/4.0");
  EXPECT_EQ(a->checkin_report().installed_version, "4.0");
}

TEST_F(AgentE2E, TamperedArchiveIsRefusedAndTheRootIsUnchanged) {
  auto a = agent();
  ASSERT_TRUE(a);
  publish("1.0", build_archive(app_files("1.0")));
  ASSERT_EQ(a->run_once().result, "installed");
  const auto before = tree_fingerprint(root_);
  publish("2.0", build_archive(app_files("2.0")));
  // The server's copy is altered after signing (same length, one byte changed).
  for (const auto& e : fs::directory_iterator(repo_ / "targets/hello/stable/2.0")) {
    std::fstream f(e.path(), std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(40);
    f.put('X');
  }
  const CycleResult r = a->run_once();
  EXPECT_EQ(r.result, "refused") << r.detail;
  EXPECT_EQ(r.code, ErrorCode::kLengthOrHashMismatch);
  EXPECT_EQ(tree_fingerprint(root_), before);
}

TEST_F(AgentE2E, PathTraversalArchiveIsRefusedAndTheRootIsUnchanged) {
  auto files = app_files("2.0");
  files.push_back(file("../../escaped", "x"));
  expect_refused_with_root_unchanged(build_archive(files), ErrorCode::kArchiveRefused);
  EXPECT_FALSE(fs::exists(dir_.path() / "escaped"));
}

TEST_F(AgentE2E, SymlinkEscapeArchiveIsRefusedAndTheRootIsUnchanged) {
  auto files = app_files("2.0");
  files.push_back({"share/passwd", K::kSymlink, "../../../../../../etc/passwd"});
  expect_refused_with_root_unchanged(build_archive(files), ErrorCode::kArchiveRefused);
}

TEST_F(AgentE2E, SetuidArchiveIsRefusedAndTheRootIsUnchanged) {
  auto files = app_files("2.0");
  files.push_back(file("bin/su", "#!/bin/sh\n", 04755));
  expect_refused_with_root_unchanged(build_archive(files), ErrorCode::kArchiveRefused);
}

TEST_F(AgentE2E, OversizedArchiveIsRefusedAndTheRootIsUnchanged) {
  auto files = app_files("2.0");
  files.push_back(file("share/bomb", std::string(200000, '0')));  // compresses to a few bytes
  expect_refused_with_root_unchanged(
      build_archive(files), ErrorCode::kArchiveTooLarge,
      R"({"dss":{"version":"2.0","size":100000,"entries":20,"health":{"command":["bin/health"]}}})");
}

TEST_F(AgentE2E, NeverDowngradesBelowTheHighestCommittedVersionWithoutSignedAllowance) {
  auto a = agent();
  ASSERT_TRUE(a);
  install_each(*a, {"2.0", "3.0"});
  if (HasFatalFailure()) return;
  // 2.0 is kept on disk, but the provider has not allowed going back to it.
  auto refused = a->rollback("2.0");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kDowngradeRefused);
  EXPECT_EQ(current(), "versions/3.0");
  // The provider re-signs 2.0 with an explicit allowance: the rollback is now permitted.
  publish("2.0", build_archive(app_files("2.0")),
          R"({"dss":{"allow_downgrade":true,"entries":20,"size":100000,"version":"2.0"}})");
  auto allowed = a->rollback("2.0");
  ASSERT_TRUE(allowed) << allowed.error().to_string();
  EXPECT_EQ(current(), "versions/2.0");
  // And 3.0, rolled back from, is not reinstalled by the next cycle.
  EXPECT_EQ(a->run_once().result, "none");
  EXPECT_EQ(current(), "versions/2.0");
}

TEST_F(AgentE2E, SignedPolicyBundleIsAppliedAtOnceAndShortensThePollInterval) {
  auto a = agent();
  ASSERT_TRUE(a);
  publish("1.0", build_archive(app_files("1.0")), "", "");
  publish(
      "policy",
      R"({"type":"dss-policy-bundle","bundle_version":1,"floors":{"update.check_interval_minutes":15}})",
      "{}", "policy/bundle.json");
  const CycleResult r = a->run_once();
  EXPECT_EQ(r.result, "installed") << r.detail;
  auto st = a->status();
  ASSERT_TRUE(st);
  EXPECT_EQ(st->check_interval_minutes, 15);
  EXPECT_EQ(st->state.policy_version, 1);
  EXPECT_EQ(a->checkin_report().policy_version, 1U);
  const auto delay = a->next_delay(r);
  EXPECT_GE(delay, std::chrono::milliseconds(static_cast<int>(15 * 60'000 * 0.9)));
  EXPECT_LE(delay, std::chrono::milliseconds(static_cast<int>(15 * 60'000 * 1.1)));
}

TEST_F(AgentE2E, FailuresBackOffExponentiallyUpToTheInterval) {
  AgentOptions o = options();
  o.repo_url = "https://127.0.0.1:1/";  // nothing listens there: the repository is unreachable
  auto opened = Agent::open(o, probe_, clock_);
  ASSERT_TRUE(opened) << opened.error().to_string();
  auto& a = *opened;
  std::chrono::milliseconds previous{0};
  for (int i = 1; i <= 4; ++i) {
    const CycleResult r = a->run_once();
    ASSERT_EQ(r.result, "failed");
    const auto d = a->next_delay(r);
    const double base = 60'000.0 * (1 << (i - 1));
    EXPECT_GE(d.count(), static_cast<long>(base * 0.9)) << i;
    EXPECT_LE(d.count(), static_cast<long>(base * 1.1)) << i;
    EXPECT_GT(d, previous);
    previous = d;
  }
}

TEST_F(AgentE2E, LeftoverPartialDownloadIsNeverTrusted) {
  auto a = agent();
  ASSERT_TRUE(a);
  const std::string archive = build_archive(app_files("1.0"));
  publish("1.0", archive);
  // A previous run was cut short, and what it left was corrupted meanwhile.
  const std::string sha = crypto::sha256_hex(archive);
  fs::create_directories(state_ / "agent/downloads");
  dss::testing::write_bytes(state_ / "agent/downloads" / (sha + ".part"),
                            std::string(archive.size() / 2, '\x7f'));
  const CycleResult r = a->run_once();
  ASSERT_EQ(r.result, "installed") << r.detail;
  EXPECT_EQ(tree_fingerprint(root_ / "versions/1.0").at("VERSION").substr(0, 6), "33188 ");
  std::ifstream in(root_ / "current/VERSION");
  std::string v;
  in >> v;
  EXPECT_EQ(v, "1.0");
}

TEST_F(AgentE2E, RefusesToStartWhenADomainCheckFails) {
  probe_.uid = 0;  // running as root
  auto a = Agent::open(options(), probe_, clock_);
  ASSERT_FALSE(a);
  EXPECT_EQ(a.error().code, ErrorCode::kDomainCheckFailed);
  EXPECT_FALSE(fs::exists(root_)) << "nothing may be touched before the checks pass";
}

// Unreadable settings once meant the secure defaults, silently, which undid a local tightening
// (a shorter deferral, say): the agent now refuses to start, and a cycle fails, naming the file.
TEST_F(AgentE2E, RefusesToStartWhenItsSettingsCannotBeRead) {
  dss::testing::write_bytes(state_ / "settings.json", "{\"format\": \"dss-settings-v1\", \"lo");
  auto a = Agent::open(options(), probe_, clock_);
  ASSERT_FALSE(a);
  EXPECT_NE(a.error().message.find("settings.json"), std::string::npos) << a.error().message;
  EXPECT_FALSE(fs::exists(root_)) << "nothing may be touched before the settings are read";
}

TEST_F(AgentE2E, ACycleFailsWhenItsSettingsBecomeUnreadable) {
  auto a = agent();
  ASSERT_TRUE(a);
  dss::testing::write_bytes(state_ / "settings.json", "not json");
  const CycleResult r = a->run_once();
  EXPECT_EQ(r.result, "failed");
  EXPECT_NE(r.detail.find("settings"), std::string::npos) << r.detail;
  EXPECT_FALSE(a->status()) << "status cannot show settings it cannot read";
}

// update.auto_install off: a verified release is announced, and waits.
TEST_F(AgentE2E, AutoInstallOffLeavesAVerifiedReleaseWaiting) {
  owner_loosens("update.auto_install", "off");
  auto a = agent();
  ASSERT_TRUE(a);
  publish("1.0", build_archive(app_files("1.0")));
  const CycleResult r = a->run_once();
  EXPECT_EQ(r.result, "none") << r.detail;
  EXPECT_NE(r.detail.find("update.auto_install"), std::string::npos) << r.detail;
  EXPECT_EQ(current(), "");
}

// update.allow_downgrade on: the owner's loosening lets a rollback below the highest committed
// version through without the provider's signed allowance.
TEST_F(AgentE2E, OwnerAllowingDowngradesLetsARollbackThroughWithoutTheProvidersAllowance) {
  auto a = agent();
  ASSERT_TRUE(a);
  install_each(*a, {"2.0", "3.0"});
  if (HasFatalFailure()) return;
  EXPECT_EQ(a->rollback("2.0").error().code, ErrorCode::kDowngradeRefused);
  owner_loosens("update.allow_downgrade", "on");
  auto allowed = a->rollback("2.0");
  ASSERT_TRUE(allowed) << allowed.error().to_string();
  EXPECT_EQ(current(), "versions/2.0");
}

// crypto.allowed_signature_algorithms: a repository made with `--scheme rsassa-pss-sha256`
// signs its metadata with RSA keys, which count toward no threshold on the defaults: neither
// the release nor the policy bundle is accepted. Once the owner allows rsa-pss, both are.
TEST_F(AgentE2E, ReleaseSignedWithAnRsaKeyIsRefusedOnTheDefaultsAndInstalledWhenRsaIsAllowed) {
  std::error_code ec;
  fs::remove_all(repo_, ec);
  repo::InitOptions init;
  init.dir = repo_;
  init.settings.scheme = crypto::KeyScheme::kRsaPssSha256;
  auto made = repo::init(init, secrets(), clock_.now());
  ASSERT_TRUE(made) << made.error().to_string();
  publish("1.0", build_archive(app_files("1.0")));
  publish(
      "policy",
      R"({"type":"dss-policy-bundle","bundle_version":1,"floors":{"update.check_interval_minutes":15}})",
      "{}", "policy/bundle.json");
  auto a = agent();
  ASSERT_TRUE(a);
  CycleResult r = a->run_once();
  EXPECT_EQ(r.result, "failed") << r.detail;
  EXPECT_EQ(r.code, ErrorCode::kUnsigned) << r.detail;
  EXPECT_NE(r.detail.find("crypto.allowed_signature_algorithms"), std::string::npos) << r.detail;
  EXPECT_EQ(current(), "");
  EXPECT_EQ(a->status()->state.policy_version, 0) << "the RSA-signed policy bundle was applied";

  owner_loosens("crypto.allowed_signature_algorithms", "ecdsa-p256,ed25519,rsa-pss");
  r = a->run_once();
  EXPECT_EQ(r.result, "installed") << r.detail;
  EXPECT_EQ(current(), "versions/1.0");
  EXPECT_EQ(a->status()->state.policy_version, 1);
}

// Issue 8: an advisory against the installed version makes the fix install at the next cycle,
// even while update.deferral_hours holds ordinary releases back; the check-in reports it.
TEST_F(AgentE2E, AffectedVersionUpdatesEvenInsideTheDeferralWindow) {
  {
    settings::FileSettingsStore store(state_);
    settings::AuditLogSink audit(state_, clock_, true);
    settings::SettingsEngine engine(store, audit, clock_);
    const auto d = settings::find_declaration("update.deferral_hours");
    ASSERT_TRUE(d);
    const auto value = settings::parse_value(**d, "48");
    ASSERT_TRUE(value);
    auto r =
        engine.set(settings::Actor{"owner", settings::Role::kOwner}, "update.deferral_hours", "48",
                   settings::Consent{"staged rollout",
                                     settings::loosening_phrase("update.deferral_hours", *value)});
    ASSERT_TRUE(r) << r.error().to_string();
  }
  auto a = agent();
  ASSERT_TRUE(a);
  const auto now = clock_.now();
  const auto custom = [&](const std::string& v) {
    return R"({"dss":{"version":")" + v + R"(","size":100000,"entries":20,"published":)" +
           std::to_string(now) +
           R"(,"health":{"command":["bin/health"],"tries":1,"within_s":20}}})";
  };
  // 1.0 was published long ago; 1.1 just now: the deferral window holds 1.1 back.
  publish(
      "1.0", build_archive(app_files("1.0")),
      R"({"dss":{"version":"1.0","size":100000,"entries":20,"published":1000,"health":{"command":["bin/health"],"tries":1,"within_s":20}}})");
  ASSERT_EQ(a->run_once().result, "installed");
  publish("1.1", build_archive(app_files("1.1")), custom("1.1"));
  CycleResult r = a->run_once();
  EXPECT_EQ(r.result, "none") << r.detail;
  EXPECT_NE(r.detail.find("waits for update.deferral_hours"), std::string::npos) << r.detail;
  EXPECT_EQ(current(), "versions/1.0");
  // An advisory: 1.0 is affected, 1.1 fixes it. The next cycle installs 1.1 at once.
  const std::string osv =
      R"({"id":"DSS-2027-0042","affected":[{"package":{"ecosystem":"DSS","name":"hello"},)"
      R"("ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1.1"}]}]}],)"
      R"("severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],)"
      R"("database_specific":{"cwe_ids":["CWE-22"]}})";
  publish("advisory", osv, "{}", "advisories/DSS-2027-0042.json");
  EXPECT_EQ(a->checkin_report().advisories, std::vector<std::string>{});
  r = a->run_once();
  EXPECT_EQ(r.result, "installed") << r.detail;
  EXPECT_NE(r.detail.find("security update for DSS-2027-0042"), std::string::npos) << r.detail;
  EXPECT_EQ(current(), "versions/1.1");
  EXPECT_TRUE(a->checkin_report().advisories.empty()) << "1.1 is no longer affected";
}

// An advisory that affects the installed version with no fix published yet is reported.
TEST_F(AgentE2E, AdvisoryAgainstTheInstalledVersionIsReportedInTheCheckin) {
  auto a = agent();
  ASSERT_TRUE(a);
  publish("1.0", build_archive(app_files("1.0")));
  ASSERT_EQ(a->run_once().result, "installed");
  publish(
      "advisory",
      R"({"id":"DSS-2027-0043","affected":[{"package":{"ecosystem":"DSS","name":"hello"},)"
      R"("ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"1.0"},{"fixed":"1.2"}]}]}],)"
      R"("severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],)"
      R"("database_specific":{"cwe_ids":["CWE-79"]}})",
      "{}", "advisories/DSS-2027-0043.json");
  const CycleResult r = a->run_once();
  EXPECT_EQ(r.result, "none") << r.detail;
  EXPECT_EQ(a->checkin_report().advisories, std::vector<std::string>{"DSS-2027-0043"});
}

// Crash-loop protection (ADR 0038): an install cut short after `current` was switched is counted
// when the agent next starts, and the signed check-in carries the count, so the server can see a
// device that cannot install.
TEST_F(AgentE2E, InstallInterruptedAfterTheSwitchIsCountedAndReportedInTheCheckin) {
  {
    auto a = agent();
    ASSERT_TRUE(a);
    publish("1.0", build_archive(app_files("1.0")));
    ASSERT_EQ(a->run_once().result, "installed");
    EXPECT_FALSE(a->checkin_report().interrupted_install);
  }
  const fs::path archive = dir_.path() / "2.0.tar.zst";
  dss::testing::write_bytes(archive, build_archive(app_files("2.0")));
  const auto release = parse_release("hello/stable/2.0/hello.tar.zst",
                                     R"({"dss":{"version":"2.0","size":100000,"entries":20}})");
  ASSERT_TRUE(release) << release.error().to_string();
  // The machine goes down right after `current` was switched to 2.0.
  ASSERT_TRUE(dss::testing::killed_at("switched", [&] {
    auto in = Installer::open(root_, agent_dir(state_), clock_);
    if (in) ignore_error(in->install(archive, *release));
  }));
  auto a = agent();  // recovers: 1.0 comes back and the interruption is counted
  ASSERT_TRUE(a);
  EXPECT_EQ(current(), "versions/1.0");
  const devproto::CheckinReport report = a->checkin_report();
  ASSERT_TRUE(report.interrupted_install);
  EXPECT_EQ(report.interrupted_install->version, "2.0");
  EXPECT_EQ(report.interrupted_install->count, 1U);
  // As the server reads it.
  auto parsed = devproto::checkin_from_json(devproto::to_json(report));
  ASSERT_TRUE(parsed) << parsed.error().to_string();
  ASSERT_TRUE(parsed->interrupted_install);
  EXPECT_EQ(parsed->interrupted_install->version, "2.0");
  EXPECT_EQ(parsed->interrupted_install->count, 1U);
}

}  // namespace
}  // namespace dss::agent
