// Prepares signed device check-ins for the control-plane benchmark (scripts/bench-server.sh).
// It enrols N devices on a running `dss server` through the API (with an operator's API token),
// then writes M check-ins, each freshly signed with its device's key and a unique nonce, one per
// line: device \t timestamp \t nonce \t signature \t body. bench/checkin.lua feeds them to wrk,
// so the check-in rate is measured by the same load generator as the nginx baseline, and the
// server does the full work for each one (signature, replay check, store, audit).
// Usage: dss_checkin_requests URL CA_FILE API_TOKEN DEVICES REQUESTS OUT_FILE
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "core/bytes.h"
#include "crypto/keys.h"
#include "devproto/checkin.h"
#include "https_client.h"

namespace {

struct Device {
  std::string id;
  dss::crypto::PrivateKey key;
};

int fail(const std::string& what) {
  std::cerr << "dss_checkin_requests: " << what << "\n";
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 7) {
    return fail("usage: dss_checkin_requests URL CA_FILE API_TOKEN DEVICES REQUESTS OUT_FILE");
  }
  const std::string url = argv[1];
  const int devices = std::atoi(argv[4]);
  const long requests = std::atol(argv[5]);
  if (devices < 1 || requests < 1) return fail("DEVICES and REQUESTS must be positive");
  dss::testing::HttpsClient api(url, argv[2]);
  api.set_bearer(argv[3]);
  api.send_origin(false);
  std::vector<Device> fleet;
  for (int i = 0; i < devices; ++i) {
    const auto t = api.post("/api/v1/devices/enrolment-tokens");
    if (t.status != 201) return fail("cannot create an enrolment token: " + t.body);
    auto key = dss::crypto::PrivateKey::generate(dss::crypto::KeyScheme::kEd25519);
    if (!key) return fail("cannot generate a device key");
    const auto raw = dss::hex_decode(key->public_key().public_value());
    if (!raw) return fail("cannot read the device key");
    const auto e =
        api.post(std::string(dss::devproto::kEnrolPath), {{"token", t.json()["token"]},
                                                          {"public_key", dss::base64_encode(*raw)},
                                                          {"name", "bench-" + std::to_string(i)}});
    if (e.status != 201) return fail("cannot enrol a device: " + e.body);
    fleet.push_back({e.json()["device_id"].get<std::string>(), std::move(*key)});
  }
  std::ofstream out(argv[6], std::ios::trunc);
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  dss::devproto::CheckinReport report;
  report.channel = "stable";
  report.policy_version = 7;
  report.loosened_settings = {"update.auto_install"};
  report.domain_checks = {{"tls", true, ""}, {"clock", true, ""}};
  report.last_update = {"installed", "2.4.1", ""};
  for (long n = 0; n < requests; ++n) {
    const Device& d = fleet[static_cast<std::size_t>(n % devices)];
    report.installed_version = "2.4." + std::to_string(n % 3);
    const std::string body = dss::devproto::to_json(report);
    const auto sig =
        dss::devproto::sign_request(d.key, "POST", dss::devproto::kCheckinPath, d.id, now, body);
    if (!sig) return fail("cannot sign: " + sig.error().message);
    out << sig->device_id << '\t' << sig->timestamp << '\t' << sig->nonce << '\t' << sig->signature
        << '\t' << body << '\n';
  }
  out.close();
  if (!out) return fail("cannot write " + std::string(argv[6]));
  std::cerr << "dss_checkin_requests: " << devices << " devices enrolled, " << requests
            << " signed check-ins written\n";
  return 0;
}
