// The reporter (agent/reporter.h): enrolment and signed check-ins, without HTTPS. The other end
// is the real control plane: a `dss server` App, which the transport hands requests to, here
// called directly by a Poster (so the enrolment rules, the signature check and the store are the
// server's own). The HTTPS path itself is covered by the server's end-to-end tests.
#include "agent/reporter.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "agent/archive_builder.h"
#include "core/bytes.h"
#include "fakes/fake_clock.h"
#include "fakes/temp_dir.h"
#include "identity/token.h"
#include "platform/files.h"
#include "server/app.h"
#include "server/service.h"

namespace dss::agent {
namespace {

namespace fs = std::filesystem;
namespace http = boost::beast::http;

// Hands each POST to the App as the HTTPS transport would, and counts them.
class AppPoster final : public Poster {
 public:
  explicit AppPoster(server::App& app) : app_(app) {}
  Result<net::PostResponse> post_json(std::string_view path, std::string_view body,
                                      const std::vector<std::string>& headers) override {
    ++posts;
    server::Request req{http::verb::post, std::string(path), 11};
    req.set(http::field::host, "127.0.0.1");
    req.set(http::field::content_type, "application/json");
    for (const std::string& h : headers) {
      const auto colon = h.find(": ");
      EXPECT_NE(colon, std::string::npos) << h;
      req.set(h.substr(0, colon), h.substr(colon + 2));
    }
    req.body() = std::string(body);
    req.prepare_payload();
    const server::Response res = app_.handle(req, server::Peer{"127.0.0.1"});
    return net::PostResponse{static_cast<long>(res.result_int()), res.body()};
  }
  int posts = 0;

 private:
  server::App& app_;
};

class ReporterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server::ServiceOptions o;
    o.state_dir = dir_.path() / "server";
    o.port = 0;
    o.io_threads = 1;
    o.worker_threads = 1;
    o.product_version = "test";
    o.clock = &clock_;
    o.terminal = [](const std::string&) {};
    auto s = server::Service::start(std::move(o));
    ASSERT_TRUE(s) << s.error().to_string();
    service_ = std::move(*s);
    poster_ = std::make_unique<AppPoster>(service_->app());
    ASSERT_EQ(::mkdir(agent_.c_str(), 0700), 0);
  }

  // A one-time enrolment token, as an operator makes one (POST /devices/enrolment-tokens).
  std::string token() {
    const std::string t = identity::generate_token("dss_e_");
    EXPECT_TRUE(service_->store().create_enrolment_token(
        identity::token_hash(t), "user:olive", clock_.now() * 1000, (clock_.now() + 3600) * 1000));
    return t;
  }

  Reporter reporter(const fs::path& dir, std::string enrol_token) {
    return Reporter(dir, ReporterOptions{"https://dss.example", std::move(enrol_token), "kiosk-1"},
                    *poster_, clock_);
  }

  std::optional<server::DeviceRecord> on_server(const std::string& id) {
    auto d = service_->store().device(id);
    EXPECT_TRUE(d) << d.error().to_string();
    return d ? *d : std::nullopt;
  }

  dss::testing::TempDir dir_{"dss-reporter"};
  fs::path agent_ = dir_.path() / "agent";
  dss::testing::FakeClock clock_;
  std::unique_ptr<server::Service> service_;
  std::unique_ptr<AppPoster> poster_;
};

TEST_F(ReporterTest, EnrolsOnceWithTheTokenAndKeepsTheDeviceKeyPrivate) {
  Reporter r = reporter(agent_, token());
  auto device = r.enrol();
  ASSERT_TRUE(device) << device.error().to_string();
  struct stat st {};
  ASSERT_EQ(::stat((agent_ / "device.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600U);
  const auto record = on_server(device->id);
  ASSERT_TRUE(record);
  EXPECT_EQ(record->name, "kiosk-1");
  auto pub = hex_decode(device->key.public_key().public_value());
  ASSERT_TRUE(pub);
  EXPECT_EQ(record->public_key, base64_encode(*pub));
  // Enrolled: the saved identity is used, nothing is sent again.
  const int posts = poster_->posts;
  auto again = reporter(agent_, "").enrol();
  ASSERT_TRUE(again) << again.error().to_string();
  EXPECT_EQ(again->id, device->id);
  EXPECT_EQ(poster_->posts, posts);
}

TEST_F(ReporterTest, CheckinSignedWithTheDeviceKeyIsRecordedByTheServer) {
  Reporter r = reporter(agent_, token());
  devproto::CheckinReport report;
  report.installed_version = "1.0";
  report.channel = "stable";
  report.last_update = {"failed", "2.0", "the install of 2.0 was interrupted"};
  report.interrupted_install = devproto::InterruptedInstallReport{"2.0", 3};
  clock_.advance(1);
  auto c = r.checkin(report);
  ASSERT_TRUE(c) << c.error().to_string();
  auto device = r.load_device();
  ASSERT_TRUE(device && *device);
  const auto record = on_server((*device)->id);
  ASSERT_TRUE(record);
  EXPECT_EQ(record->installed_version, "1.0");
  EXPECT_EQ(record->last_result, "failed");
  EXPECT_EQ(record->interrupted_version, "2.0");
  EXPECT_EQ(record->interrupted_count, 3);
}

// A device.key that is not the enrolled one (a copied device.json, a replaced key) signs check-ins
// the server refuses.
TEST_F(ReporterTest, CheckinSignedWithAnotherKeyThanTheEnrolledOneIsRefused) {
  Reporter r = reporter(agent_, token());
  ASSERT_TRUE(r.enrol());
  auto other = crypto::PrivateKey::generate(crypto::KeyScheme::kEd25519);
  ASSERT_TRUE(other);
  auto secret = other->secret();
  ASSERT_TRUE(secret);
  ASSERT_TRUE(platform::write_file_atomic(agent_ / "device.key", secret->view(),
                                          platform::FileMode::kPrivate));
  clock_.advance(1);
  devproto::CheckinReport report;
  report.installed_version = "9.9";
  auto c = r.checkin(report);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, ErrorCode::kNetwork);
  auto device = r.load_device();
  ASSERT_TRUE(device && *device);
  EXPECT_EQ(on_server((*device)->id)->installed_version, "") << "the forged report was stored";
}

TEST_F(ReporterTest, UsedTokenIsRefusedAsUnauthenticatedAndNothingIsSaved) {
  const std::string t = token();
  ASSERT_TRUE(reporter(agent_, t).enrol());
  const fs::path second = dir_.path() / "second";  // another device, shown the same token
  ASSERT_EQ(::mkdir(second.c_str(), 0700), 0);
  auto r = reporter(second, t).enrol();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kUnauthenticated);
  EXPECT_FALSE(fs::exists(second / "device.key"));
  EXPECT_FALSE(fs::exists(second / "device.json"));
}

TEST_F(ReporterTest, UnenrolledDeviceWithoutATokenIsToldToAskForOneAndSendsNothing) {
  auto r = reporter(agent_, "").checkin(devproto::CheckinReport{});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_NE(r.error().message.find("--enrol-token"), std::string::npos) << r.error().message;
  EXPECT_EQ(poster_->posts, 0);
}

TEST_F(ReporterTest, DamagedDeviceFileIsMalformedNotAFreshEnrolment) {
  dss::testing::write_bytes(agent_ / "device.json", "{\"device_id\": 7}");
  auto r = reporter(agent_, token()).enrol();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kMalformed);
  EXPECT_EQ(poster_->posts, 0);
}

// ADR 0038: the check-in names the version the device keeps failing to install, not history.
TEST(CheckinReport, NamesTheNewestInterruptedVersionAboveTheInstalledOne) {
  AgentState st;
  st.installed = "2.0";
  st.interrupted["1.5"] = InterruptedInstall{5, 0};  // older than what runs: history
  EXPECT_FALSE(make_checkin_report(st, "stable", {}, {}, "").interrupted_install);
  st.interrupted["2.1"] = InterruptedInstall{1, 0};
  st.interrupted["3.0"] = InterruptedInstall{4, 1'800'003'600};
  const auto r = make_checkin_report(st, "stable", {}, {}, "checkpoint");
  ASSERT_TRUE(r.interrupted_install);
  EXPECT_EQ(r.interrupted_install->version, "3.0");
  EXPECT_EQ(r.interrupted_install->count, 4U);
  EXPECT_EQ(r.installed_version, "2.0");
  EXPECT_EQ(r.transparency_checkpoint, "checkpoint");
}

}  // namespace
}  // namespace dss::agent
