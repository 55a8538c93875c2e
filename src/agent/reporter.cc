#include "agent/reporter.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <utility>

#include "agent/release.h"
#include "core/bytes.h"
#include "platform/files.h"

namespace dss::agent {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr std::uint64_t kMaxDeviceFileBytes = 16ull * 1024;

}  // namespace

Result<net::PostResponse> HttpsPoster::post_json(std::string_view path, std::string_view body,
                                                 const std::vector<std::string>& headers) {
  return net::https_post_json(server_url_ + std::string(path), body, headers, options_);
}

Reporter::Reporter(fs::path agent_dir, ReporterOptions options, Poster& poster, const Clock& clock)
    : agent_dir_(std::move(agent_dir)),
      options_(std::move(options)),
      poster_(&poster),
      clock_(&clock) {}

Result<std::optional<Device>> Reporter::load_device() const {
  auto text = platform::read_text_file(agent_dir_ / "device.json", kMaxDeviceFileBytes);
  if (!text) {
    if (text.error().code == ErrorCode::kNotFound) return std::optional<Device>();
    return tl::unexpected(text.error());
  }
  const json j = json::parse(*text, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("device_id") ||
      !j["device_id"].is_string()) {
    return make_error(ErrorCode::kMalformed, (agent_dir_ / "device.json").string() + " is damaged");
  }
  DSS_TRY(Bytes raw, platform::read_file(agent_dir_ / "device.key", 1024));
  SecretBytes secret(raw.data(), raw.size());
  secure_zero(raw.data(), raw.size());  // std::fill on a dying buffer may be optimised away
  DSS_TRY(crypto::PrivateKey key,
          crypto::PrivateKey::from_secret(crypto::KeyScheme::kEd25519, secret));
  return std::optional<Device>(Device{j["device_id"].get<std::string>(), std::move(key)});
}

Result<Device> Reporter::enrol() {
  DSS_TRY(std::optional<Device> existing, load_device());
  if (existing) return std::move(*existing);
  if (options_.enrol_token.empty()) {
    return make_error(ErrorCode::kFailedPrecondition,
                      "this device is not enrolled with " + options_.server_url +
                          "; ask an operator for an enrolment token and pass --enrol-token");
  }
  DSS_TRY(crypto::PrivateKey key, crypto::PrivateKey::generate(crypto::KeyScheme::kEd25519));
  DSS_TRY(Bytes pub, hex_decode(key.public_key().public_value()));
  const json body = {{"token", options_.enrol_token},
                     {"public_key", base64_encode(pub)},
                     {"name", options_.device_name}};
  DSS_TRY(net::PostResponse r, poster_->post_json(devproto::kEnrolPath, body.dump(), {}));
  if (r.status != 201) {
    return make_error(r.status == 401 ? ErrorCode::kUnauthenticated : ErrorCode::kNetwork,
                      "enrolment was refused (HTTP " + std::to_string(r.status) +
                          "); the token may be used or expired: ask for a new one");
  }
  const json reply = json::parse(r.body, nullptr, false);
  if (reply.is_discarded() || !reply.contains("device_id") || !reply["device_id"].is_string()) {
    return make_error(ErrorCode::kMalformed, "the server's enrolment reply has no device id");
  }
  DSS_TRY(SecretBytes secret, key.secret());
  DSS_TRY_STATUS(platform::write_file_atomic(agent_dir_ / "device.key", secret.view(),
                                             platform::FileMode::kPrivate));
  const std::string id = reply["device_id"].get<std::string>();
  const json device = {{"device_id", id}, {"server", options_.server_url}};
  DSS_TRY_STATUS(platform::write_file_atomic(agent_dir_ / "device.json", device.dump() + "\n",
                                             platform::FileMode::kPrivate));
  return Device{id, std::move(key)};
}

Status Reporter::checkin(const devproto::CheckinReport& report) {
  DSS_TRY(Device device, enrol());
  const std::string body = devproto::to_json(report);
  DSS_TRY(devproto::RequestSignature sig,
          devproto::sign_request(device.key, "POST", devproto::kCheckinPath, device.id,
                                 clock_->now(), body));
  const std::vector<std::string> headers = {
      std::string(devproto::kHeaderDevice) + ": " + sig.device_id,
      std::string(devproto::kHeaderTimestamp) + ": " + sig.timestamp,
      std::string(devproto::kHeaderNonce) + ": " + sig.nonce,
      std::string(devproto::kHeaderSignature) + ": " + sig.signature};
  DSS_TRY(net::PostResponse r, poster_->post_json(devproto::kCheckinPath, body, headers));
  if (r.status != 200) {
    return make_error(ErrorCode::kNetwork,
                      "the server refused the check-in (HTTP " + std::to_string(r.status) + ")");
  }
  return ok();
}

std::optional<devproto::InterruptedInstallReport> interrupted_install(const AgentState& state) {
  const auto installed = Version::parse(state.installed);
  std::optional<Version> newest;
  std::optional<devproto::InterruptedInstallReport> out;
  for (const auto& [version, i] : state.interrupted) {
    const auto v = Version::parse(version);
    if (!v || i.count <= 0 || (installed && *v <= *installed) || (newest && *v <= *newest)) {
      continue;
    }
    newest = *v;
    out = devproto::InterruptedInstallReport{version, static_cast<std::uint64_t>(i.count)};
  }
  return out;
}

devproto::CheckinReport make_checkin_report(const AgentState& state, const std::string& channel,
                                            const settings::SettingsState& settings,
                                            const std::vector<settings::CheckResult>& domain,
                                            std::string kept_checkpoint) {
  devproto::CheckinReport r;
  r.installed_version = state.installed;
  r.channel = channel;
  r.policy_version = static_cast<std::uint64_t>(std::max<std::int64_t>(0, state.policy_version));
  r.advisories = state.advisories;
  for (const auto& e : settings::resolve(settings)) {
    if (e.loosened) r.loosened_settings.emplace_back(e.declaration->key);
  }
  for (const auto& c : domain) {
    r.domain_checks.push_back(
        {c.id, c.status != settings::CheckStatus::kFail, c.finding.substr(0, 200)});
  }
  r.last_update = {state.last.result, state.last.version, state.last.detail.substr(0, 250)};
  r.interrupted_install = interrupted_install(state);
  // The checkpoint this device verified and kept, for the server's fleet-wide comparison.
  r.transparency_checkpoint = std::move(kept_checkpoint);
  return r;
}

}  // namespace dss::agent
