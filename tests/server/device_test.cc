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

// crypto.allowed_signature_algorithms: device keys are Ed25519. An owner who allows only
// ECDSA has the server refuse every check-in signed with one, and enrol no such device.
TEST_F(ServerTest, CheckinSignedWithAKeyOfADisallowedSchemeIsRefused) {
  auto op = client();
  owner_signed_in(op);
  const auto dev = enrol_device(op, "kiosk-3");
  ASSERT_TRUE(dev);
  devproto::CheckinReport report;
  report.installed_version = "1.0";
  report.channel = "stable";
  EXPECT_EQ(check_in(*dev, report).status, 200);
  const auto tightened =
      op.put("/api/v1/settings/crypto.allowed_signature_algorithms", {{"value", {"ecdsa-p256"}}});
  ASSERT_EQ(tightened.status, 200) << tightened.body;
  const auto refused = check_in(*dev, report);
  EXPECT_EQ(refused.status, 401) << refused.body;
  EXPECT_EQ(refused.json()["error"]["code"], "bad_signature") << refused.body;
  EXPECT_NE(refused.body.find("crypto.allowed_signature_algorithms"), std::string::npos)
      << refused.body;
  const auto t = op.post("/api/v1/devices/enrolment-tokens");
  ASSERT_EQ(t.status, 201);
  auto key = crypto::PrivateKey::generate(crypto::KeyScheme::kEd25519);
  ASSERT_TRUE(key);
  auto device = client();
  device.send_origin(false);
  const auto enrolled =
      device.post("/api/v1/devices/enroll",
                  {{"token", t.json()["token"]},
                   {"public_key", base64_encode(*hex_decode(key->public_key().public_value()))}});
  EXPECT_EQ(enrolled.status, 409) << enrolled.body;
}

// Crash-loop protection (ADR 0038): a device whose installs of a version keep being cut short
// after the switch reports it, and the fleet view shows it, so an operator sees a device that
// cannot install. A report without it clears it; a malformed one is refused and changes nothing.
TEST_F(ServerTest, FleetViewShowsADeviceWhoseInstallsKeepBeingInterrupted) {
  auto op = client();
  owner_signed_in(op);
  const auto dev = enrol_device(op, "kiosk-2");
  ASSERT_TRUE(dev);
  devproto::CheckinReport report;
  report.installed_version = "1.0";
  report.channel = "stable";
  report.last_update = {"failed", "2.0", "the install of 2.0 was interrupted after the switch"};
  report.interrupted_install = devproto::InterruptedInstallReport{"2.0", 3};
  const auto sent = check_in(*dev, report);
  ASSERT_EQ(sent.status, 200) << sent.body;
  const auto listed = [&]() -> json {
    const auto list = op.get("/api/v1/devices");
    EXPECT_EQ(list.status, 200) << list.body;
    const json all = list.json();
    for (const auto& d : all["devices"]) {
      if (d["id"] == dev->id) return d["interrupted_install"];
    }
    ADD_FAILURE() << "the device is not listed";
    return json();
  };
  EXPECT_EQ(listed(), (json{{"version", "2.0"}, {"count", 3}}));
  const auto one = op.get("/api/v1/devices/" + dev->id);
  ASSERT_EQ(one.status, 200);
  EXPECT_EQ(one.json()["interrupted_install"], (json{{"version", "2.0"}, {"count", 3}}));

  // A count of 0 is not an interruption: refused, and the device's record stays as it was.
  std::string bad = devproto::to_json(report);
  const std::string count = R"("count":3)";
  ASSERT_NE(bad.find(count), std::string::npos) << bad;
  bad.replace(bad.find(count), count.size(), R"("count":0)");
  clock_.advance_s(1);
  auto sig = devproto::sign_request(dev->key, "POST", "/api/v1/devices/checkin", dev->id,
                                    clock_.now(), bad);
  ASSERT_TRUE(sig);
  auto device = client();
  device.send_origin(false);
  const auto refused =
      device.request("POST", "/api/v1/devices/checkin", bad,
                     {"DSS-Device: " + sig->device_id, "DSS-Timestamp: " + sig->timestamp,
                      "DSS-Nonce: " + sig->nonce, "DSS-Signature: " + sig->signature});
  EXPECT_EQ(refused.status, 400) << refused.body;
  EXPECT_NE(refused.body.find("interrupted_install.count"), std::string::npos) << refused.body;
  EXPECT_EQ(listed(), (json{{"version", "2.0"}, {"count", 3}}));

  // Installed at last: the next report has none, and the view clears.
  report.installed_version = "2.0";
  report.interrupted_install.reset();
  ASSERT_EQ(check_in(*dev, report).status, 200);
  EXPECT_TRUE(listed().is_null());
}

}  // namespace
}  // namespace dss::server
