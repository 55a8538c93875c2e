// The control plane for end-to-end tests: a real Service on HTTPS port 0 in a temporary state
// directory, with a test clock, and helpers that sign people in (with TOTP) over HTTPS.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <optional>

#include "core/bytes.h"
#include "crypto/keys.h"
#include "devproto/checkin.h"
#include "fakes/temp_dir.h"
#include "identity/totp.h"
#include "server/https_client.h"
#include "server/service.h"

namespace dss::server {

using nlohmann::json;
using testing::HttpResult;
using testing::HttpsClient;

class TestClock final : public Clock {
 public:
  [[nodiscard]] UnixSeconds now() const override { return ms_.load() / 1000; }
  [[nodiscard]] std::int64_t now_ms() const override { return ms_.load(); }
  void advance_s(std::int64_t s) { ms_ += s * 1000; }

 private:
  std::atomic<std::int64_t> ms_{1'800'000'000'000};
};

inline constexpr const char* kOwnerPassword = "correct horse battery staple owner";

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override { start(); }

  // The options start() uses: a state directory of its own, port 0, the test clock, and the
  // terminal captured in terminal_. Tests change some and pass them to start_with().
  ServiceOptions options(const std::filesystem::path& repo = {}) {
    ServiceOptions o;
    o.state_dir = dir_.path() / "state";
    o.repo_dir = repo;
    o.port = 0;
    o.clock = &clock_;
    o.io_threads = 2;
    o.worker_threads = 8;
    o.product_version = "test";
    o.terminal = [this](const std::string& line) {
      const std::lock_guard<std::mutex> lock(terminal_mutex_);  // the ticker prints too
      terminal_ += line + "\n";
    };
    return o;
  }

  // Starts the service; with `repo`, it serves that repository at /repo/.
  void start(const std::filesystem::path& repo = {}) { start_with(options(repo)); }

  void start_with(ServiceOptions o) {
    terminal_.clear();  // a restart prints a new setup code
    auto s = Service::start(std::move(o));
    ASSERT_TRUE(s) << s.error().to_string();
    service_ = std::move(*s);
    origin_ = "https://127.0.0.1:" + std::to_string(service_->port());
  }

  // Stops the service (before a test restarts it with other options).
  void stop() {
    if (service_) service_->stop();
    service_.reset();
  }

  HttpsClient client() {
    HttpsClient c(origin_, service_->cert_pem().string());
    c.set_origin(origin_);
    return c;
  }

  std::string setup_code() const {
    // The code is printed alone on a line indented by four spaces. (No <regex>: GCC 12 warns
    // inside it under the sanitizer build, and -Werror turns that into a failure.)
    std::size_t at = 0;
    while ((at = terminal_.find("\n    ", at)) != std::string::npos) {
      at += 5;
      const auto end = terminal_.find('\n', at);
      if (end == std::string::npos) break;
      const std::string line = terminal_.substr(at, end - at);
      if (!line.empty() && line.find_first_of(" \t") == std::string::npos) return line;
    }
    return std::string();
  }

  // The TOTP secret from an otpauth URI.
  static SecretBytes secret_of(const std::string& uri) {
    const auto at = uri.find("secret=");
    const std::string b32 = uri.substr(at + 7, uri.find('&', at) - at - 7);
    auto s = identity::base32_decode(b32);
    return s ? std::move(*s) : SecretBytes();
  }

  std::string code_now(const SecretBytes& secret) const {
    return identity::totp_code(secret.view(), clock_.now());
  }

  // Creates the first owner with the setup code and signs in fully; returns the TOTP secret.
  SecretBytes owner_signed_in(HttpsClient& c) {
    EXPECT_EQ(
        c.post("/api/v1/setup",
               {{"setup_code", setup_code()}, {"username", "olive"}, {"password", kOwnerPassword}})
            .status,
        201);
    return sign_in_and_enrol(c, "olive", kOwnerPassword);
  }

  SecretBytes sign_in_and_enrol(HttpsClient& c, const std::string& user, const std::string& pw) {
    const auto login = c.post("/api/v1/auth/login", {{"username", user}, {"password", pw}});
    EXPECT_EQ(login.status, 200) << login.body;
    EXPECT_EQ(login.json()["state"], "mfa_enrolment");
    const auto enrol = c.post("/api/v1/auth/mfa/totp/enrol");
    EXPECT_EQ(enrol.status, 200) << enrol.body;
    SecretBytes secret = secret_of(enrol.json()["otpauth_uri"].get<std::string>());
    const auto confirm = c.post("/api/v1/auth/mfa/totp/confirm", {{"code", code_now(secret)}});
    EXPECT_EQ(confirm.status, 200) << confirm.body;
    EXPECT_EQ(confirm.json()["recovery_codes"].size(), 10U);
    recovery_codes_ = confirm.json()["recovery_codes"];
    return secret;
  }

  void reauth(HttpsClient& c, const std::string& pw, const SecretBytes& secret) {
    clock_.advance_s(30);  // a fresh TOTP step: each code works once
    const auto r = c.post("/api/v1/auth/reauth", {{"password", pw}, {"code", code_now(secret)}});
    ASSERT_EQ(r.status, 200) << r.body;
  }

  // The password add_user gives `name` (it must not contain the name: the policy refuses that).
  static std::string password_for(const std::string& name) {
    return "a long passphrase, number " + std::to_string(std::hash<std::string>{}(name) % 99991) +
           " of many";
  }

  // Creates a user with `job` through the API (as the signed-in owner) and signs them in.
  SecretBytes add_user(HttpsClient& owner, const SecretBytes& owner_secret, HttpsClient& c,
                       const std::string& name, const std::string& job) {
    reauth(owner, kOwnerPassword, owner_secret);
    const std::string pw = password_for(name);
    const auto r =
        owner.post("/api/v1/users", {{"username", name}, {"password", pw}, {"job", job}});
    EXPECT_EQ(r.status, 201) << r.body;
    clock_.advance_s(30);
    return sign_in_and_enrol(c, name, pw);
  }

  // A device enrolled with a token that `op` (signed in, allowed to manage devices) created,
  // with its own fresh Ed25519 key.
  struct TestDevice {
    std::string id;
    crypto::PrivateKey key;
  };
  std::optional<TestDevice> enrol_device(HttpsClient& op, const std::string& name) {
    const auto t = op.post("/api/v1/devices/enrolment-tokens");
    EXPECT_EQ(t.status, 201) << t.body;
    auto key = crypto::PrivateKey::generate(crypto::KeyScheme::kEd25519);
    if (t.status != 201 || !key) return std::nullopt;
    auto device = client();
    device.send_origin(false);
    const auto raw = hex_decode(key->public_key().public_value());
    const auto enrolled = device.post(
        "/api/v1/devices/enroll",
        {{"token", t.json()["token"]}, {"public_key", base64_encode(*raw)}, {"name", name}});
    EXPECT_EQ(enrolled.status, 201) << enrolled.body;
    if (enrolled.status != 201) return std::nullopt;
    return TestDevice{enrolled.json()["device_id"].get<std::string>(), std::move(*key)};
  }

  // Sends `report` as a check-in signed by `device`, a second after the last one.
  HttpResult check_in(const TestDevice& device, const devproto::CheckinReport& report) {
    const std::string body = devproto::to_json(report);
    clock_.advance_s(1);
    auto sig = devproto::sign_request(device.key, "POST", "/api/v1/devices/checkin", device.id,
                                      clock_.now(), body);
    EXPECT_TRUE(sig);
    auto c = client();
    c.send_origin(false);
    return c.request("POST", "/api/v1/devices/checkin", body,
                     {"DSS-Device: " + sig->device_id, "DSS-Timestamp: " + sig->timestamp,
                      "DSS-Nonce: " + sig->nonce, "DSS-Signature: " + sig->signature});
  }

  // How many events with `action` the audit log holds (-1 when it cannot be queried).
  std::int64_t audited(const std::string& action) {
    audit::Query q;
    q.action = action;
    auto page = service_->audit().query(q);
    return page ? static_cast<std::int64_t>(page->items.size()) : -1;
  }

  std::int64_t user_count() {
    auto n = service_->store().count_users();
    return n ? *n : -1;
  }

  testing::TempDir dir_{"dss-server"};
  TestClock clock_;
  std::unique_ptr<Service> service_;
  std::string origin_;
  std::mutex terminal_mutex_;
  std::string terminal_;
  json recovery_codes_;
};

}  // namespace dss::server
