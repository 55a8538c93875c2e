// The server as a witness of the release transparency log: devices report the checkpoint they
// kept, and the server catches a log that showed devices different histories (a split view),
// which no single device can see (server/witness.h).
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "crypto/hash.h"
#include "fakes/fast_kdf.h"
#include "fakes/temp_dir.h"
#include "repo/repository.h"
#include "repo/transparency.h"
#include "server/server_fixture.h"
#include "tlog/note.h"

namespace dss::server {
namespace {

namespace fs = std::filesystem;

repo::Secrets repo_secrets() {
  repo::Secrets s;
  s.offline = SecretBytes::from_string("offline " + std::to_string(::getpid()) + " witness pass");
  s.online = SecretBytes::from_string("online " + std::to_string(::getpid()) + " witness pass");
  s.kdf = dss::testing::fast_kdf();
  return s;
}

using dss::testing::slurp;

class WitnessTest : public ServerTest {
 protected:
  // A repository whose log holds one release entry.
  void SetUp() override {
    ServerTest::SetUp();
    repo_ = dir_.path() / "repo";
    repo::InitOptions init;
    init.dir = repo_;
    ASSERT_TRUE(repo::init(init, secrets_, clock_.now()));
    append(repo_, "1.0");
  }

  void append(const fs::path& repo, const std::string& version) {
    const repo::TransparencyEntry e{"release", "app", version,
                                    "app/stable/" + version + "/app.tar.zst",
                                    crypto::sha256_hex(repo.string() + version)};
    auto r = repo::transparency_append(repo, e, secrets_, clock_.now());
    ASSERT_TRUE(r) << r.error().to_string();
  }

  // A copy of the repository (log key included) that will grow its own branch.
  fs::path fork(const std::string& name) {
    const fs::path f = dir_.path() / name;
    fs::copy(repo_, f, fs::copy_options::recursive);
    return f;
  }

  static std::string checkpoint(const fs::path& repo) {
    return slurp(repo / "transparency" / "checkpoint");
  }

  json device_log(HttpsClient& op, const std::string& id) {
    const auto r = op.get("/api/v1/devices/" + id);
    EXPECT_EQ(r.status, 200) << r.body;
    return r.json()["transparency"];
  }

  std::size_t split_view_events(HttpsClient& op) {
    const auto r = op.get("/api/v1/audit?action=transparency.split_view&limit=1000");
    EXPECT_EQ(r.status, 200) << r.body;
    return r.json()["items"].size();
  }

  HttpResult report(const TestDevice& d, const std::string& note) {
    devproto::CheckinReport rep;
    rep.installed_version = "1.0";
    rep.channel = "stable";
    rep.transparency_checkpoint = note;
    return check_in(d, rep);
  }

  void serve() {
    service_->stop();
    service_.reset();
    start(repo_);
  }

  repo::Secrets secrets_ = repo_secrets();
  fs::path repo_;
};

TEST_F(WitnessTest, OlderAndCurrentCheckpointsOfTheServedLogAreConsistent) {
  const std::string older = checkpoint(repo_);  // size 1
  append(repo_, "1.1");                         // the served log now has 2 entries
  serve();
  auto op = client();
  owner_signed_in(op);
  auto a = enrol_device(op, "a");
  auto b = enrol_device(op, "b");
  ASSERT_TRUE(a && b);
  ASSERT_EQ(report(*a, older).status, 200);
  ASSERT_EQ(report(*b, checkpoint(repo_)).status, 200);
  EXPECT_EQ(device_log(op, a->id)["status"], "consistent") << device_log(op, a->id);
  EXPECT_EQ(device_log(op, a->id)["size"], 1);
  EXPECT_EQ(device_log(op, b->id)["status"], "consistent");
  EXPECT_EQ(device_log(op, b->id)["size"], 2);
  const auto posture = op.get("/api/v1/posture").json();
  EXPECT_EQ(posture["devices_by_transparency_status"]["consistent"], 2);
  EXPECT_TRUE(posture["devices_with_conflicting_transparency_checkpoint_ids"].empty());
  EXPECT_EQ(split_view_events(op), 0u);
}

TEST_F(WitnessTest, CheckpointOfAForkedLogIsASplitViewRecordedOnceWithItsEvidence) {
  const fs::path other = fork("fork");
  append(repo_, "1.1");       // what this server serves
  append(other, "1.1-evil");  // what a mirror showed one device: same size, another root
  serve();
  auto op = client();
  owner_signed_in(op);
  auto d = enrol_device(op, "victim");
  ASSERT_TRUE(d);
  const std::string evidence = checkpoint(other);
  ASSERT_EQ(report(*d, evidence).status, 200);  // the report itself is accepted
  const json log = device_log(op, d->id);
  EXPECT_EQ(log["status"], "forked") << log;
  EXPECT_EQ(log["checkpoint"], evidence);
  const auto posture = op.get("/api/v1/posture").json();
  EXPECT_EQ(posture["devices_with_conflicting_transparency_checkpoint_ids"], json::array({d->id}));
  EXPECT_EQ(split_view_events(op), 1u);
  // The same checkpoint again is the same evidence: no second alert.
  ASSERT_EQ(report(*d, evidence).status, 200);
  EXPECT_EQ(split_view_events(op), 1u);
}

TEST_F(WitnessTest, TwoDevicesAheadOfTheServedLogWithDifferentRootsAtOneSizeAreASplitView) {
  const fs::path left = fork("left");
  const fs::path right = fork("right");
  append(left, "2.0");
  append(right, "2.0-evil");
  serve();  // still one entry: both devices are ahead of it
  auto op = client();
  owner_signed_in(op);
  auto a = enrol_device(op, "a");
  auto b = enrol_device(op, "b");
  ASSERT_TRUE(a && b);
  ASSERT_EQ(report(*a, checkpoint(left)).status, 200);
  EXPECT_EQ(device_log(op, a->id)["status"], "ahead");
  ASSERT_EQ(report(*b, checkpoint(right)).status, 200);
  const json log = device_log(op, b->id);
  EXPECT_EQ(log["status"], "forked") << log;
  EXPECT_NE(log["detail"].get<std::string>().find(a->id), std::string::npos) << log;
  EXPECT_EQ(split_view_events(op), 1u);
}

TEST_F(WitnessTest, CheckpointNotSignedByTheLogKeyIsInvalidAndAlerted) {
  serve();
  auto status = repo::transparency_status(repo_);
  ASSERT_TRUE(status);
  auto signer = tlog::NoteSigner::generate(status->origin);
  ASSERT_TRUE(signer);
  const std::string note = checkpoint(repo_);
  auto forged = signer->sign(note.substr(0, note.find("\n\n") + 1));
  ASSERT_TRUE(forged);
  auto op = client();
  owner_signed_in(op);
  auto d = enrol_device(op, "d");
  ASSERT_TRUE(d);
  ASSERT_EQ(report(*d, *forged).status, 200);
  EXPECT_EQ(device_log(op, d->id)["status"], "invalid");
  EXPECT_EQ(split_view_events(op), 1u);
}

TEST_F(WitnessTest, WithoutAServedLogCheckpointsAreRecordedAsUnchecked) {
  // The fixture's server from ServerTest::SetUp serves no repository.
  auto op = client();
  owner_signed_in(op);
  auto d = enrol_device(op, "d");
  ASSERT_TRUE(d);
  ASSERT_EQ(report(*d, checkpoint(repo_)).status, 200);
  EXPECT_EQ(device_log(op, d->id)["status"], "unchecked");
  ASSERT_EQ(report(*d, "").status, 200);
  EXPECT_EQ(device_log(op, d->id)["status"], "none");
  EXPECT_EQ(split_view_events(op), 0u);
}

TEST_F(WitnessTest, OversizedCheckpointInACheckinIsRefusedAndChangesNothing) {
  auto op = client();
  owner_signed_in(op);
  auto d = enrol_device(op, "d");
  ASSERT_TRUE(d);
  const auto r = report(*d, std::string(4096, 'x'));
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_NE(r.body.find("transparency_checkpoint"), std::string::npos) << r.body;
  const json log = device_log(op, d->id);
  EXPECT_EQ(log["status"], "none");
  EXPECT_EQ(log["checkpoint"], "");
}

}  // namespace
}  // namespace dss::server
