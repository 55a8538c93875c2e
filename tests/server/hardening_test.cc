// The control plane attacked as an outsider and started as a newcomer would (issue 16): each
// test names the rule it checks, over real HTTPS on loopback.
#include <gtest/gtest.h>

#include <atomic>
#include <ctime>
#include <fstream>
#include <mutex>
#include <string>

#include "crypto/hash.h"
#include "httpd/server.h"
#include "server/server_fixture.h"
#include "settings/chime.h"
#include "settings/snapshot.h"
#include "settings/system.h"

namespace dss::server {
namespace {

using nlohmann::json;

// std::stoll kept the prefix: DELETE /tokens/7abc revoked token 7, /tokens/1e3 token 1.
TEST_F(ServerTest, IdsWithTrailingJunkAreRefusedAndRevokeNothing) {
  auto owner = client();
  owner_signed_in(owner);
  const auto created = owner.post("/api/v1/tokens", {{"name", "ci"}, {"roles", {"owner"}}});
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string id = std::to_string(created.json()["id"].get<std::int64_t>());
  auto bot = client();
  bot.set_bearer(created.json()["token"].get<std::string>());
  ASSERT_EQ(bot.get("/api/v1/audit").status, 200);
  for (const std::string& bad : {id + "abc", id + "e3", "+" + id, "0" + id, id + ".0"}) {
    const auto r = owner.request("DELETE", "/api/v1/tokens/" + bad);
    EXPECT_EQ(r.status, 400) << bad;
    EXPECT_EQ(r.json()["error"]["code"], "bad_request") << bad;
    EXPECT_EQ(owner.request("DELETE", "/api/v1/auth/sessions/" + bad).status, 400) << bad;
  }
  EXPECT_EQ(bot.get("/api/v1/audit").status, 200);  // still valid: nothing was revoked
  EXPECT_EQ(owner.request("DELETE", "/api/v1/tokens/" + id).status, 200);
  EXPECT_EQ(bot.get("/api/v1/audit").status, 401);
}

// A failed attempt the store cannot record would escape the throttle: brute force unlimited.
TEST_F(ServerTest, SignInIsRefusedWith503WhenAFailedAttemptCannotBeRecorded) {
  auto c = client();
  owner_signed_in(c);
  // A real fault in the real store: SQLite refuses every insert into the throttle's table.
  ASSERT_TRUE(static_cast<SqliteStore&>(service_->store())
                  .db()
                  .exec("CREATE TRIGGER no_failures BEFORE INSERT ON login_failures BEGIN "
                        "SELECT RAISE(ABORT, 'disk full'); END"));
  auto attacker = client();
  for (int i = 0; i < 3; ++i) {
    const auto r =
        attacker.post("/api/v1/auth/login",
                      {{"username", "olive"}, {"password", "wrong guess " + std::to_string(i)}});
    EXPECT_EQ(r.status, 503) << r.body;
    EXPECT_EQ(r.json()["error"]["code"], "unavailable");
    EXPECT_TRUE(r.header("Set-Cookie").empty());
  }
  // The refusals are audited, saying the failure went unrecorded.
  audit::Query q;
  q.action = "auth.login";
  q.limit = 1000;
  auto page = service_->audit().query(q);
  ASSERT_TRUE(page);
  int unrecorded = 0;
  for (const auto& item : page->items) {
    for (const auto& [k, v] : item.event.details) {
      if (k == "throttle" && item.event.outcome == audit::Outcome::kFailure) ++unrecorded;
    }
  }
  EXPECT_EQ(unrecorded, 3);
}

TEST_F(ServerTest, FailedSignInsBeforeSetupDoNotCountAgainstTheFutureAccount) {
  auto attacker = client();
  for (int i = 0; i < 12; ++i) {
    attacker.post("/api/v1/auth/login",
                  {{"username", "olive"}, {"password", "guess number " + std::to_string(i)}});
  }
  auto c = client();
  ASSERT_EQ(
      c.post("/api/v1/setup",
             {{"setup_code", setup_code()}, {"username", "olive"}, {"password", kOwnerPassword}})
          .status,
      201);
  const auto login =
      c.post("/api/v1/auth/login", {{"username", "olive"}, {"password", kOwnerPassword}});
  EXPECT_EQ(login.status, 200) << login.body;
}

TEST_F(ServerTest, ShortPasswordIsToldTheEnforcedMinimumLength) {
  auto c = client();
  const auto r = c.post("/api/v1/setup", {{"setup_code", setup_code()},
                                          {"username", "olive"},
                                          {"password", "too short"}});  // 9 < 12 < 15
  ASSERT_EQ(r.status, 400);
  EXPECT_EQ(r.json()["error"]["code"], "weak_password");
  const std::string message = r.json()["error"]["message"].get<std::string>();
  EXPECT_NE(message.find("at least 15"), std::string::npos) << message;
  EXPECT_EQ(message.find("12"), std::string::npos) << message;
  EXPECT_EQ(user_count(), 0);
}

TEST_F(ServerTest, SetupCodeRefusalAfterSetupPointsToSignInNotARestart) {
  auto c = client();
  owner_signed_in(c);
  const auto r =
      c.post("/api/v1/setup",
             {{"setup_code", "nope"}, {"username", "mallory"}, {"password", kOwnerPassword}});
  ASSERT_EQ(r.status, 401);
  const std::string message = r.json()["error"]["message"].get<std::string>();
  EXPECT_EQ(message.find("restart"), std::string::npos) << message;
  EXPECT_NE(message.find("sign in"), std::string::npos) << message;
}

// docs/api.md: every answer carries DSS-Loosened-Settings, including the transport's refusals
// (413, 431), /repo/ files and security.txt.
TEST_F(ServerTest, EveryAnswerCarriesTheChimeHeader) {
  auto c = client();
  const std::string big(70 * 1024, 'x');
  for (const auto& r :
       {c.get("/api/v1/health"), c.get("/.well-known/security.txt"),
        c.get("/repo/metadata/root.json"), c.get("/api/v1/nope"),
        c.request("POST", "/api/v1/auth/login", "{\"a\":\"" + big + "\"}"),
        c.request("GET", "/api/v1/health", "", {"X-Big: " + std::string(20000, 'a')})}) {
    EXPECT_NE(r.status, 0);
    EXPECT_EQ(r.header(std::string(settings::kChimeHeader)), "none") << r.status;
  }
}

TEST_F(ServerTest, MediaTypeIsMatchedCaseInsensitively) {
  auto c = client();
  const std::string body = R"({"username":"olive","password":"not the password at all"})";
  for (const char* type : {"APPLICATION/JSON", "Application/Json; charset=utf-8"}) {
    const auto r = c.request("POST", "/api/v1/auth/login", body, {}, type);
    EXPECT_EQ(r.status, 401) << type << ": " << r.body;  // read, not refused with 415
  }
  EXPECT_EQ(c.request("POST", "/api/v1/auth/login", body, {}, "text/plain").status, 415);
}

// RFC 9112 §3.2: an HTTP/1.1 request without Host is answered 400, on every path.
TEST_F(ServerTest, Http11RequestWithoutHostGets400) {
  auto c = client();
  for (const char* path : {"/api/v1/health", "/api/v1/users", "/.well-known/security.txt"}) {
    const auto r = c.request("GET", path, "", {"Host:"});  // curl then sends no Host header
    EXPECT_EQ(r.status, 400) << path;
    EXPECT_EQ(r.json()["error"]["code"], "bad_request") << path;
  }
}

// The ETag exposed the file's inode and modification time.
TEST_F(ServerTest, RepositoryEtagIsTheContentHash) {
  service_->stop();
  service_.reset();
  const auto repo = dir_.path() / "repo";
  std::filesystem::create_directories(repo / "metadata");
  const std::string content = R"({"signed":{"v":1}})";
  std::ofstream(repo / "metadata" / "timestamp.json") << content;
  start(repo);
  ASSERT_TRUE(service_);
  auto c = client();
  const auto r = c.get("/repo/metadata/timestamp.json");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.header("ETag"), "\"" + crypto::sha256_hex(content) + "\"");
  EXPECT_EQ(r.header(std::string(settings::kChimeHeader)), "none");
}

// https://localhost:PORT, the generated certificate's own name, got 403 csrf.
TEST_F(ServerTest, OriginsOfTheCertificatesNamesAreAcceptedAndOthersAreNot) {
  auto c = client();
  const SecretBytes secret = owner_signed_in(c);
  reauth(c, kOwnerPassword, secret);
  const std::string port = std::to_string(service_->port());
  c.set_origin("https://localhost:" + port);
  EXPECT_EQ(c.post("/api/v1/devices/enrolment-tokens").status, 201);
  c.set_origin("https://[::1]:" + port);
  EXPECT_EQ(c.post("/api/v1/devices/enrolment-tokens").status, 201);
  for (const std::string& other :
       {std::string("https://localhost:1"), "https://localhost.evil.example:" + port,
        "http://localhost:" + port}) {
    c.set_origin(other);
    const auto r = c.post("/api/v1/devices/enrolment-tokens");
    EXPECT_EQ(r.status, 403) << other;
    EXPECT_EQ(r.json()["error"]["code"], "csrf") << other;
  }
}

TEST_F(ServerTest, CertificateFingerprintIsPrintedAtEveryStart) {
  auto fp = certificate_fingerprint(service_->cert_pem());
  ASSERT_TRUE(fp);
  EXPECT_NE(terminal_.find(*fp), std::string::npos);
  service_->stop();
  service_.reset();
  start();
  ASSERT_TRUE(service_);
  EXPECT_NE(terminal_.find(*fp), std::string::npos) << terminal_;
}

TEST(HttpsOrigin, Ipv6LiteralsAreBracketedSoTheUrlIsValid) {
  EXPECT_EQ(tls::https_origin("::1", "8443"), "https://[::1]:8443");
  EXPECT_EQ(tls::https_origin("0:0:0:0:0:0:0:1", "8443"), "https://[::1]:8443");
  EXPECT_EQ(tls::https_origin("127.0.0.1", "8443"), "https://127.0.0.1:8443");
  EXPECT_EQ(tls::https_origin("localhost", "8443"), "https://localhost:8443");
}

// A real wall clock, moved forward: what the certificate's clients will see on that day.
class WallClock final : public Clock {
 public:
  explicit WallClock(std::int64_t ahead_s) : ahead_s_(ahead_s) {}
  [[nodiscard]] UnixSeconds now() const override { return std::time(nullptr) + ahead_s_.load(); }
  [[nodiscard]] std::int64_t now_ms() const override { return now() * 1000; }
  void advance(std::int64_t s) { ahead_s_ += s; }

 private:
  std::atomic<std::int64_t> ahead_s_;
};

// The generated certificate expired silently after 30 days: it is now renewed before expiry,
// with both fingerprints announced, and the renewed one verifies.
TEST_F(ServerTest, GeneratedCertificateIsRenewedBeforeItExpiresWithBothFingerprintsAnnounced) {
  auto old_fp = certificate_fingerprint(service_->cert_pem());
  ASSERT_TRUE(old_fp);
  auto info = read_certificate_info(service_->cert_pem());
  ASSERT_TRUE(info);
  EXPECT_EQ(certificate_warning(info->not_after_s, std::time(nullptr)), "");
  stop();
  // kGeneratedCertificateDays - kRenewBeforeDays + 1 days later: inside the renewal window.
  const WallClock later((kGeneratedCertificateDays - kRenewBeforeDays + 1) * 86400);
  EXPECT_EQ(certificate_warning(info->not_after_s, later.now()),
            "");  // renewal comes before any warning
  ServiceOptions o = options();
  o.cert_clock = &later;
  start_with(std::move(o));
  auto new_fp = certificate_fingerprint(service_->cert_pem());
  ASSERT_TRUE(new_fp);
  EXPECT_NE(*new_fp, *old_fp);
  EXPECT_NE(terminal_.find("old SHA-256 fingerprint " + *old_fp), std::string::npos) << terminal_;
  EXPECT_NE(terminal_.find("new SHA-256 fingerprint " + *new_fp), std::string::npos) << terminal_;
  EXPECT_EQ(client().get("/api/v1/health").status, 200);  // the renewed one verifies
  EXPECT_EQ(audited("tls.certificate_renewed"), 1);
}

// An operator's certificate is never replaced; near its expiry the console and the API warn.
TEST_F(ServerTest, OperatorCertificateNearExpiryWarnsOnTheConsoleAndTheApi) {
  stop();
  const auto cert = dir_.path() / "own-cert.pem";
  ASSERT_TRUE(httpd::generate_self_signed_cert(cert, dir_.path() / "own-key.pem", 10));
  ServiceOptions o = options();
  o.cert_pem = cert;
  o.key_pem = dir_.path() / "own-key.pem";
  start_with(std::move(o));
  EXPECT_NE(terminal_.find("WARNING: the TLS certificate expires in"), std::string::npos)
      << terminal_;
  const auto health = client().get("/api/v1/health");
  ASSERT_EQ(health.status, 200);
  EXPECT_TRUE(health.json()["certificate"].contains("warning")) << health.body;
  EXPECT_TRUE(std::filesystem::exists(cert));  // never replaced: it is the operator's
}

// Warned only at start, a server that runs for weeks let its certificate lapse unnoticed: while
// it is near expiry, the terminal and the audit log are told again once a day.
TEST_F(ServerTest, CertificateNearExpiryIsRemindedDailyWhileTheServerRuns) {
  stop();
  const auto cert = dir_.path() / "own-cert.pem";
  ASSERT_TRUE(httpd::generate_self_signed_cert(cert, dir_.path() / "own-key.pem", 10));
  WallClock wall(0);
  ServiceOptions o = options();
  o.cert_pem = cert;
  o.key_pem = dir_.path() / "own-key.pem";
  o.cert_clock = &wall;
  start_with(std::move(o));
  const auto warnings = [&] {
    const std::lock_guard<std::mutex> lock(terminal_mutex_);
    std::size_t n = 0;
    for (auto at = terminal_.find("WARNING: the TLS certificate expires"); at != std::string::npos;
         at = terminal_.find("WARNING: the TLS certificate expires", at + 1)) {
      ++n;
    }
    return n;
  };
  EXPECT_EQ(warnings(), 1U);  // at start
  EXPECT_EQ(audited("tls.certificate_expiring"), 1);
  service_->tick();
  EXPECT_EQ(warnings(), 1U);  // not every minute
  wall.advance(24 * 3600);
  service_->tick();
  EXPECT_EQ(warnings(), 2U);  // a day later, again
  EXPECT_EQ(audited("tls.certificate_expiring"), 2);
  stop();  // before `wall` goes
}

// The settings are one typed snapshot, published when they change (ADR 0041). A change made
// with `dss settings` on this machine is in force after the next minute's tick.
TEST_F(ServerTest, SettingsChangedOnTheMachineArePublishedAtTheNextTick) {
  EXPECT_EQ(service_->app().settings()->get(settings::key::kSessionIdleTimeoutMinutes), 30);
  settings::FileSettingsStore store(dir_.path() / "state");
  settings::SettingsState state;
  state.local["session.idle_timeout_minutes"] =
      settings::LocalValue{std::int64_t{5}, "local:alice", clock_.now(), "shorter"};
  ASSERT_TRUE(store.save(state));
  service_->tick();
  EXPECT_EQ(service_->app().settings()->get(settings::key::kSessionIdleTimeoutMinutes), 5);
}

// Once, a setting that could not be read became its hard-coded default on every request. Now
// the last settings read stay in force, and the failure is recorded once, not every minute.
TEST_F(ServerTest, UnreadableSettingsKeepTheLastOnesInForceAndAreRecordedOnce) {
  settings::FileSettingsStore store(dir_.path() / "state");
  settings::SettingsState state;
  state.local["session.idle_timeout_minutes"] =
      settings::LocalValue{std::int64_t{5}, "local:alice", clock_.now(), "shorter"};
  ASSERT_TRUE(store.save(state));
  service_->tick();
  std::ofstream(store.path(), std::ios::trunc) << "{\"format\": \"dss-settings-v1\", \"lo";
  service_->tick();
  service_->tick();
  EXPECT_EQ(service_->app().settings()->get(settings::key::kSessionIdleTimeoutMinutes), 5);
  EXPECT_EQ(audited("settings.unreadable"), 1);
}

TEST_F(ServerTest, RefusesToStartWhenItsSettingsCannotBeRead) {
  stop();
  std::ofstream(dir_.path() / "state" / "settings.json", std::ios::trunc) << "not json";
  auto s = Service::start(options());
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("settings"), std::string::npos) << s.error().message;
}

TEST(CertificateWarning, WarnsFromFourteenDaysBeforeExpiryAndAfterIt) {
  const std::int64_t expiry = 1'000'000'000;
  EXPECT_EQ(certificate_warning(expiry, expiry - (kCertificateWarnDays * 86400) - 1), "");
  EXPECT_NE(certificate_warning(expiry, expiry - (kCertificateWarnDays * 86400)), "");
  EXPECT_NE(certificate_warning(expiry, expiry + 1), "");
}

}  // namespace
}  // namespace dss::server
