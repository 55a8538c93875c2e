// The agent and the release transparency log, end to end over loopback HTTPS: the provider
// publishes with the `dss repo` code, a real HTTPS server serves the repository, and the agent
// refuses, before touching the install root, any release whose inclusion proof fails, that is
// missing from the log, or that a forked (split-view) log shows it.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "agent/agent.h"
#include "agent/archive_builder.h"
#include "core/bytes.h"
#include "crypto/hash.h"
#include "fakes/fast_kdf.h"
#include "fakes/settings_fakes.h"
#include "fakes/temp_dir.h"
#include "httpd/server.h"
#include "platform/system_clock.h"
#include "repo/release.h"
#include "repo/repository.h"
#include "repo/transparency.h"
#include "settings/system.h"
#include "transparency/verify.h"

namespace dss::agent {
namespace {

namespace fs = std::filesystem;
using dss::testing::ArchiveEntry;
using dss::testing::build_archive;
using dss::testing::file;
using dss::testing::tree_fingerprint;
using nlohmann::json;
using transparency::check_extends;
using transparency::check_inclusion;
using transparency::parse_log_target;

std::string random_passphrase() {
  Bytes b(16);
  std::ifstream("/dev/urandom", std::ios::binary).read(reinterpret_cast<char*>(b.data()), 16);
  return hex_encode(b);
}

using dss::testing::slurp;

std::vector<ArchiveEntry> app_files(const std::string& version) {
  return {file("bin/health", "#!/bin/sh\nexit 0\n", 0755), file("VERSION", version + "\n")};
}

class TransparencyE2E : public ::testing::Test {
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
    so.only_under = {"metadata", "targets", "transparency/checkpoint", "transparency/entries",
                     "transparency/consistency"};
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

  std::unique_ptr<Agent> agent() {
    AgentOptions o;
    o.state_dir = state_;
    o.install_root = root_;
    o.repo_url = "https://127.0.0.1:" + std::to_string(server_->port()) + "/";
    o.trusted_root = repo_ / "metadata" / "1.root.json";
    o.app = "hello";
    o.ca_file = (dir_.path() / "cert.pem").string();
    auto a = Agent::open(o, probe_, clock_);
    EXPECT_TRUE(a) << a.error().to_string();
    return a ? std::move(*a) : nullptr;
  }

  static std::string target(const std::string& version) {
    return "hello/stable/" + version + "/hello.tar.zst";
  }

  // Publishes `archive` as release `version` through TUF only (no log entry).
  void publish_unlogged(const std::string& version, const std::string& archive) {
    const fs::path f = dir_.path() / ("upload-" + version);
    dss::testing::write_bytes(f, archive);
    repo::AddTargetOptions o;
    o.dir = repo_;
    o.file = f;
    o.target_path = target(version);
    o.custom_json =
        R"({"dss":{"version":")" + version +
        R"(","size":100000,"entries":20,"health":{"command":["bin/health"],"tries":1,"within_s":20}}})";
    auto r = repo::add_target(o, secrets(), clock_.now());
    ASSERT_TRUE(r) << r.error().to_string();
  }

  static void log(const fs::path& repo, const repo::TransparencyEntry& e, const repo::Secrets& s) {
    auto i = repo::transparency_append(repo, e, s, 1'800'000'000);
    ASSERT_TRUE(i) << i.error().to_string();
  }

  static repo::TransparencyEntry release_entry(const std::string& version,
                                               const std::string& archive) {
    return {"release", "hello", version, target(version), crypto::sha256_hex(archive)};
  }

  // Publishes through TUF and appends the release to the transparency log.
  void publish(const std::string& version, const std::string& archive) {
    publish_unlogged(version, archive);
    log(repo_, release_entry(version, archive), secrets());
  }

  std::string current() const {
    std::error_code ec;
    return fs::is_symlink(fs::symlink_status(root_ / "current", ec))
               ? fs::read_symlink(root_ / "current").string()
               : "";
  }

  // Runs a cycle that must be refused with `code`, leaving the install root as it was and the
  // refusal in the check-in report.
  void expect_refused(Agent& a, ErrorCode code) {
    const auto before = tree_fingerprint(root_);
    ASSERT_FALSE(before.empty());
    const CycleResult r = a.run_once();
    EXPECT_EQ(r.result, "refused") << r.detail;
    EXPECT_EQ(r.code, code) << r.detail;
    EXPECT_EQ(tree_fingerprint(root_), before) << "the install root changed";
    const auto report = a.checkin_report();
    EXPECT_EQ(report.last_update.result, "refused");
    EXPECT_NE(report.last_update.detail.find(std::string(error_code_name(code))), std::string::npos)
        << report.last_update.detail;
    auto st = a.status();
    ASSERT_TRUE(st);
    EXPECT_EQ(st->state.last.error_code, std::string(error_code_name(code)));
  }

  dss::testing::TempDir dir_{"dss-agent-tlog"};
  fs::path repo_ = dir_.path() / "repo";
  fs::path state_ = dir_.path() / "state";
  fs::path root_ = dir_.path() / "install";
  std::string offline_, online_;
  platform::SystemClock clock_;
  dss::testing::FakeSystemProbe probe_;
  std::unique_ptr<httpd::StaticHttpsServer> server_;
};

TEST_F(TransparencyE2E, LoggedReleasesInstallAndTheDeviceKeepsTheCheckpoint) {
  auto a = agent();
  ASSERT_TRUE(a);
  publish("1.0", build_archive(app_files("1.0")));
  CycleResult r = a->run_once();
  ASSERT_EQ(r.result, "installed") << r.detail;
  EXPECT_NE(r.detail.find("in transparency log"), std::string::npos) << r.detail;
  const std::string first = slurp(state_ / "agent" / "transparency-checkpoint");
  EXPECT_NE(first.find("\n1\n"), std::string::npos) << first;
  // Several appends later (an SBOM and a policy too), the consistency proof carries it on.
  publish("2.0", build_archive(app_files("2.0")));
  log(repo_, {"sbom", "hello", "2.0", "sbom/hello/2.0.json", std::string(64, 'a')}, secrets());
  log(repo_, {"policy", "bundle", "3", "policy/bundle.json", std::string(64, 'b')}, secrets());
  r = a->run_once();
  ASSERT_EQ(r.result, "installed") << r.detail;
  EXPECT_EQ(current(), "versions/2.0");
  EXPECT_NE(slurp(state_ / "agent" / "transparency-checkpoint").find("\n4\n"), std::string::npos);
}

TEST_F(TransparencyE2E, CheckinCarriesTheCheckpointTheDeviceKeptForTheServerToCompare) {
  auto a = agent();
  ASSERT_TRUE(a);
  EXPECT_EQ(a->checkin_report().transparency_checkpoint, "");  // nothing verified yet
  publish("1.0", build_archive(app_files("1.0")));
  ASSERT_EQ(a->run_once().result, "installed");
  const std::string kept = slurp(state_ / "agent" / "transparency-checkpoint");
  ASSERT_FALSE(kept.empty());
  const devproto::CheckinReport report = a->checkin_report();
  EXPECT_EQ(report.transparency_checkpoint, kept);
  // And it survives the wire format the server parses.
  auto parsed = devproto::checkin_from_json(devproto::to_json(report));
  ASSERT_TRUE(parsed) << parsed.error().to_string();
  EXPECT_EQ(parsed->transparency_checkpoint, kept);
}

TEST_F(TransparencyE2E, PolicyBundleMissingFromTheLogIsNotAppliedAndALoggedOneIs) {
  auto a = agent();
  ASSERT_TRUE(a);
  publish("1.0", build_archive(app_files("1.0")));
  // A policy bundle signed through TUF but never logged (a stolen online key could do this).
  const fs::path unlogged = dir_.path() / "policy-unlogged.json";
  dss::testing::write_bytes(
      unlogged,
      R"({"type":"dss-policy-bundle","bundle_version":2,"floors":{"tls.min_version":"1.3"}})");
  repo::AddTargetOptions o;
  o.dir = repo_;
  o.file = unlogged;
  o.target_path = "policy/bundle.json";
  ASSERT_TRUE(repo::add_target(o, secrets(), clock_.now()));
  CycleResult r = a->run_once();
  ASSERT_EQ(r.result, "installed") << r.detail;
  EXPECT_NE(r.detail.find("policy bundle refused"), std::string::npos) << r.detail;
  EXPECT_NE(r.detail.find("not_in_transparency_log"), std::string::npos) << r.detail;
  auto st = a->status();
  ASSERT_TRUE(st);
  EXPECT_EQ(st->state.policy_version, 0);

  // Published the provider's way, the bundle is logged and the device applies it.
  const fs::path logged = dir_.path() / "policy.json";
  dss::testing::write_bytes(
      logged,
      R"({"type":"dss-policy-bundle","bundle_version":3,"floors":{"tls.min_version":"1.3"}})");
  auto p = repo::publish_policy(repo_, logged, secrets(), clock_.now());
  ASSERT_TRUE(p) << p.error().to_string();
  r = a->run_once();
  EXPECT_NE(r.detail.find("policy bundle 3 applied"), std::string::npos) << r.detail;
  st = a->status();
  ASSERT_TRUE(st);
  EXPECT_EQ(st->state.policy_version, 3);
}

TEST_F(TransparencyE2E, TamperedInclusionProofIsRefusedAndTheRootIsUnchanged) {
  auto a = agent();
  ASSERT_TRUE(a);
  publish("1.0", build_archive(app_files("1.0")));
  ASSERT_EQ(a->run_once().result, "installed");
  const std::string v2 = build_archive(app_files("2.0"));
  publish("2.0", v2);
  const fs::path entry = repo_ / "transparency" / "entries" / (crypto::sha256_hex(v2) + ".json");
  json j = json::parse(slurp(entry));
  ASSERT_FALSE(j["inclusion_proof"].empty());
  std::string h = j["inclusion_proof"][0].get<std::string>();
  h[5] = h[5] == 'f' ? 'e' : 'f';
  j["inclusion_proof"][0] = h;
  std::ofstream(entry, std::ios::binary | std::ios::trunc) << j.dump();
  expect_refused(*a, ErrorCode::kBadProof);
  EXPECT_EQ(current(), "versions/1.0");
}

TEST_F(TransparencyE2E, ReleaseMissingFromTheLogIsRefused) {
  auto a = agent();
  ASSERT_TRUE(a);
  publish("1.0", build_archive(app_files("1.0")));
  ASSERT_EQ(a->run_once().result, "installed");
  publish_unlogged("2.0", build_archive(app_files("2.0")));  // signed, but never logged
  expect_refused(*a, ErrorCode::kNotInTransparencyLog);
}

TEST_F(TransparencyE2E, ForkedLogWithTwoCheckpointsOfOneSizeIsDetected) {
  auto a = agent();
  ASSERT_TRUE(a);
  // The log starts with a policy entry; the repository is then copied: the copy is the
  // attacker's (it holds the same log key), and its history branches off after entry 0.
  log(repo_, {"policy", "bundle", "1", "policy/bundle.json", std::string(64, 'c')}, secrets());
  const fs::path fork = dir_.path() / "fork";
  fs::copy(repo_, fork, fs::copy_options::recursive);
  publish("1.0", build_archive(app_files("1.0")));
  ASSERT_EQ(a->run_once().result, "installed");  // the device keeps the checkpoint of size 2
  // The server then shows this device another history of size 2, in which a 2.0 nobody else
  // sees is logged.
  const std::string v2 = build_archive(app_files("2.0"));
  publish_unlogged("2.0", v2);
  log(fork, release_entry("2.0", v2), secrets());
  fs::copy(fork / "transparency" / "checkpoint", repo_ / "transparency" / "checkpoint",
           fs::copy_options::overwrite_existing);
  fs::copy(fork / "transparency" / "entries", repo_ / "transparency" / "entries",
           fs::copy_options::overwrite_existing | fs::copy_options::recursive);
  expect_refused(*a, ErrorCode::kLogForked);
  EXPECT_EQ(current(), "versions/1.0");
}

TEST_F(TransparencyE2E, LongerForkFailsTheConsistencyProof) {
  auto a = agent();
  ASSERT_TRUE(a);
  log(repo_, {"policy", "bundle", "1", "policy/bundle.json", std::string(64, 'c')}, secrets());
  const fs::path fork = dir_.path() / "fork";
  fs::copy(repo_, fork, fs::copy_options::recursive);
  publish("1.0", build_archive(app_files("1.0")));
  ASSERT_EQ(a->run_once().result, "installed");  // size 2 kept
  const std::string v2 = build_archive(app_files("2.0"));
  publish_unlogged("2.0", v2);
  log(fork, {"policy", "bundle", "2", "policy/bundle.json", std::string(64, 'd')}, secrets());
  log(fork, release_entry("2.0", v2), secrets());  // size 3 on the forked branch
  fs::remove_all(repo_ / "transparency" / "consistency");
  for (const char* sub : {"checkpoint", "entries", "consistency"}) {
    fs::copy(fork / "transparency" / sub, repo_ / "transparency" / sub,
             fs::copy_options::overwrite_existing | fs::copy_options::recursive);
  }
  expect_refused(*a, ErrorCode::kLogForked);
}

TEST_F(TransparencyE2E, RepositoryWithoutALogWorksWithAWarningUntilALogWasSeen) {
  auto a = agent();
  ASSERT_TRUE(a);
  publish_unlogged("1.0", build_archive(app_files("1.0")));
  CycleResult r = a->run_once();
  ASSERT_EQ(r.result, "installed") << r.detail;
  EXPECT_NE(r.detail.find("WARNING: the repository publishes no transparency log"),
            std::string::npos)
      << r.detail;
  publish("2.0", build_archive(app_files("2.0")));
  ASSERT_EQ(a->run_once().result, "installed");
  // The log disappears (its target withdrawn): fail closed from now on.
  auto rm = repo::remove_target(repo_, "targets", std::string(repo::kTransparencyLogTarget),
                                secrets(), clock_.now());
  ASSERT_TRUE(rm) << rm.error().to_string();
  publish_unlogged("3.0", build_archive(app_files("3.0")));
  expect_refused(*a, ErrorCode::kTransparencyLogMissing);
}

TEST_F(TransparencyE2E, CheckpointNotSignedByTheTufVouchedKeyIsRefused) {
  auto a = agent();
  ASSERT_TRUE(a);
  publish("1.0", build_archive(app_files("1.0")));
  ASSERT_EQ(a->run_once().result, "installed");
  publish("2.0", build_archive(app_files("2.0")));
  // The server signs its own checkpoint with a key TUF never vouched for.
  auto status = repo::transparency_status(repo_);
  ASSERT_TRUE(status);
  auto signer = tlog::NoteSigner::generate(status->origin);
  ASSERT_TRUE(signer);
  const std::string note = slurp(repo_ / "transparency" / "checkpoint");
  const std::string body = note.substr(0, note.find("\n\n") + 1);
  auto forged = signer->sign(body);
  ASSERT_TRUE(forged);
  std::ofstream(repo_ / "transparency" / "checkpoint", std::ios::binary | std::ios::trunc)
      << *forged;
  expect_refused(*a, ErrorCode::kBadCheckpointSignature);
}

// The pure checks, without a network.
TEST(TransparencyChecks, SmallerCheckpointThanOneSeenIsARollback) {
  tlog::Checkpoint seen{"o", 5, {}, {}};
  tlog::Checkpoint older{"o", 3, {}, {}};
  EXPECT_EQ(check_extends(seen, older, std::nullopt).error().code,
            ErrorCode::kTransparencyRolledBack);
  tlog::Checkpoint same = seen;
  EXPECT_TRUE(check_extends(seen, same, std::nullopt));
  same.root[0] = 1;
  EXPECT_EQ(check_extends(seen, same, std::nullopt).error().code, ErrorCode::kLogForked);
  tlog::Checkpoint larger{"o", 9, {}, {}};
  EXPECT_EQ(check_extends(seen, larger, std::nullopt).error().code, ErrorCode::kLogForked);
}

// Found by transparency_fuzz: a consistency file without new_size was read with operator[] on a
// const json (undefined behaviour). Now any missing or mistyped field is a refused fork.
TEST(TransparencyChecks, ConsistencyFileWithMissingOrMistypedSizesIsRefusedAsAFork) {
  tlog::Checkpoint seen{"o", 3, {}, {}};
  tlog::Checkpoint next{"o", 7, {}, {}};
  for (const char* text :
       {R"({"format":"dss-transparency-consistency-v1","old_size":3,"new_sizu":7,"proof":[]})",
        R"({"old_size":"3","new_size":7,"proof":[]})", R"({"proof":[]})", "[1]", "7"}) {
    auto r = check_extends(seen, next, std::string(text));
    ASSERT_FALSE(r) << text;
    EXPECT_EQ(r.error().code, ErrorCode::kLogForked) << text;
  }
}

TEST(TransparencyChecks, LogTargetWhoseKeyNamesAnotherOriginIsMalformed) {
  auto s = tlog::NoteSigner::generate("dss-release-transparency/aaaa");
  ASSERT_TRUE(s);
  const json j = {{"format", "dss-transparency-log-v1"},
                  {"origin", "dss-release-transparency/bbbb"},
                  {"verifier_key", s->verifier().to_string()}};
  EXPECT_EQ(parse_log_target(j.dump()).error().code, ErrorCode::kMalformed);
  EXPECT_EQ(parse_log_target("{").error().code, ErrorCode::kMalformed);
  // Found by transparency_fuzz: a field of another type threw out of parse_log_target.
  EXPECT_EQ(parse_log_target(R"({"format":8})").error().code, ErrorCode::kMalformed);
}

// Entry files come from the (possibly hostile) repository server: a leaf whose fields have other
// types is "not in the log", never a crash.
TEST(TransparencyChecks, EntryLeafWithMistypedFieldsIsNotInTheLog) {
  tlog::Checkpoint cp{"o", 1, {}, {}};
  const json entry = {{"index", 0},
                      {"tree_size", 1},
                      {"leaf", R"({"kind":8,"sha256":[1]})"},
                      {"inclusion_proof", json::array()}};
  auto r = check_inclusion(cp, entry.dump(), "release", std::string(64, 'a'));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kNotInTransparencyLog);
}

}  // namespace
}  // namespace dss::agent
