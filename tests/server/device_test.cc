// Devices end to end: enrolment with a one-time token, signed check-ins, forged and replayed
// check-ins refused, and the fleet view.
#include "core/bytes.h"
#include "crypto/keys.h"
#include "devproto/checkin.h"
#include "server/server_fixture.h"

namespace dss::server {
namespace {

TEST_F(ServerTest, DeviceEnrolsAndChecksInAndForgedOrReplayedCheckinsAreRefused) {
  auto op = client();
  owner_signed_in(op);
  const auto t = op.post("/api/v1/devices/enrolment-tokens");
  ASSERT_EQ(t.status, 201);
  const std::string token = t.json()["token"].get<std::string>();
  auto key = crypto::PrivateKey::generate(crypto::KeyScheme::kEd25519);
  ASSERT_TRUE(key);
  const auto raw_pub = hex_decode(key->public_key().public_value());
  ASSERT_TRUE(raw_pub);
  auto device = client();
  device.send_origin(false);
  const auto enrolled =
      device.post("/api/v1/devices/enroll",
                  {{"token", token}, {"public_key", base64_encode(*raw_pub)}, {"name", "kiosk-1"}});
  ASSERT_EQ(enrolled.status, 201) << enrolled.body;
  const std::string id = enrolled.json()["device_id"].get<std::string>();
  // The token works once.
  EXPECT_EQ(device
                .post("/api/v1/devices/enroll",
                      {{"token", token}, {"public_key", base64_encode(*raw_pub)}})
                .status,
            401);

  devproto::CheckinReport report;
  report.installed_version = "1.2.0";
  report.channel = "stable";
  report.policy_version = 3;
  report.loosened_settings = {"update.auto_install"};
  report.domain_checks = {{"tls", true, ""}, {"clock", false, "clock off by 9 s"}};
  report.last_update.result = "installed";
  report.last_update.version = "1.2.0";
  const std::string body = devproto::to_json(report);
  const auto send = [&](const std::string& b, const devproto::RequestSignature& sig) {
    return device.request("POST", "/api/v1/devices/checkin", b,
                          {"DSS-Device: " + sig.device_id, "DSS-Timestamp: " + sig.timestamp,
                           "DSS-Nonce: " + sig.nonce, "DSS-Signature: " + sig.signature});
  };
  auto sig =
      devproto::sign_request(*key, "POST", "/api/v1/devices/checkin", id, clock_.now(), body);
  ASSERT_TRUE(sig);
  const auto ok = send(body, *sig);
  EXPECT_EQ(ok.status, 200) << ok.body;
  // Replayed as is.
  EXPECT_EQ(send(body, *sig).status, 401);
  // Forged: the body changed after signing.
  auto sig2 =
      devproto::sign_request(*key, "POST", "/api/v1/devices/checkin", id, clock_.now(), body);
  ASSERT_TRUE(sig2);
  std::string forged = body;
  forged.replace(forged.find("1.2.0"), 5, "9.9.9");
  EXPECT_EQ(send(forged, *sig2).status, 401);
  // Forged: signed by another key.
  auto other = crypto::PrivateKey::generate(crypto::KeyScheme::kEd25519);
  auto sig3 =
      devproto::sign_request(*other, "POST", "/api/v1/devices/checkin", id, clock_.now(), body);
  EXPECT_EQ(send(body, *sig3).status, 401);
  // The fleet view shows what the device reported.
  const auto shown = op.get("/api/v1/devices/" + id);
  ASSERT_EQ(shown.status, 200);
  EXPECT_EQ(shown.json()["installed_version"], "1.2.0");
  EXPECT_EQ(shown.json()["domain_checks_failed"], true);
  const auto posture = op.get("/api/v1/posture");
  ASSERT_EQ(posture.status, 200);
  EXPECT_EQ(posture.json()["devices"], 1);
  EXPECT_EQ(posture.json()["devices_with_loosened_settings"], 1);
  EXPECT_EQ(posture.json()["devices_failing_domain_checks"], 1);
  EXPECT_EQ(posture.json()["admins_without_mfa"], 0);
  EXPECT_EQ(posture.json()["mfa_adoption_by_factor"]["totp"], 1);
}

}  // namespace
}  // namespace dss::server
