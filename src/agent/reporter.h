// Reporting to `dss server` (ADR 0020): the device enrols once with a one-time token and a key
// made here, then sends signed check-ins. The reporter decides what to send and keeps the
// device's identity; a Poster carries the requests (HttpsPoster in production), so enrolment and
// check-in work, and are tested, without HTTPS.
//
//   <agent dir>/device.key    the device's Ed25519 private key (0600, written atomically)
//   <agent dir>/device.json   {"device_id", "server"} (0600), written after the key
//
// Not thread-safe.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/state.h"
#include "core/clock.h"
#include "core/result.h"
#include "crypto/keys.h"
#include "devproto/checkin.h"
#include "net/fetcher.h"
#include "net/post.h"
#include "settings/domain.h"
#include "settings/state.h"

namespace dss::agent {

// Sends one POST with a JSON body to the device protocol's server. Any HTTP status is a
// response; kNetwork (or the transport's codes) when no response came.
class Poster {
 public:
  virtual ~Poster() = default;
  // `path` is the server path (devproto::kEnrolPath, kCheckinPath); `headers` are complete
  // lines ("Name: value").
  virtual Result<net::PostResponse> post_json(std::string_view path, std::string_view body,
                                              const std::vector<std::string>& headers) = 0;
};

// The production poster: HTTPS to `server_url` with net::https_post_json (peer and host
// verified, no redirects, time limits, a bounded reply).
class HttpsPoster final : public Poster {
 public:
  HttpsPoster(std::string server_url, net::FetchOptions options)
      : server_url_(std::move(server_url)), options_(std::move(options)) {}
  Result<net::PostResponse> post_json(std::string_view path, std::string_view body,
                                      const std::vector<std::string>& headers) override;

 private:
  std::string server_url_;
  net::FetchOptions options_;
};

struct ReporterOptions {
  std::string server_url;   // named in messages and kept in device.json
  std::string enrol_token;  // one-time, for the first enrolment ("" once enrolled)
  std::string device_name;  // shown in the fleet view
};

struct Device {
  std::string id;
  crypto::PrivateKey key;
};

class Reporter {
 public:
  // `poster` and `clock` must outlive the reporter.
  Reporter(std::filesystem::path agent_dir, ReporterOptions options, Poster& poster,
           const Clock& clock);

  // The enrolled device, or nullopt when this device is not enrolled. kMalformed when
  // device.json is damaged; the key file's read errors.
  [[nodiscard]] Result<std::optional<Device>> load_device() const;

  // The enrolled device; enrols first when there is none: a fresh key, the one-time token, and
  // the key and id saved (key first). kFailedPrecondition without a token (ask an operator for
  // one); kUnauthenticated when the server refuses the token; kNetwork for another refusal;
  // kMalformed when the reply carries no device id. Nothing is saved on an error.
  Result<Device> enrol();

  // Enrols if needed, then sends `report`, signed with the device key over the method, path,
  // device id, time, a fresh nonce and the body (devproto::sign_request). kNetwork when the
  // server refuses the check-in.
  Status checkin(const devproto::CheckinReport& report);

 private:
  std::filesystem::path agent_dir_;
  ReporterOptions options_;
  Poster* poster_;
  const Clock* clock_;
};

// The newest version above the installed one whose installs were interrupted after the switch
// (ADR 0038): the one the device keeps failing to install. Counts of versions at or below the
// installed one are history, not something to report.
std::optional<devproto::InterruptedInstallReport> interrupted_install(const AgentState& state);

// The check-in report for the agent's state (what `dss server` receives): pure. `settings` is
// the device's settings state (its loosened settings are named), `domain` the last domain
// checks, `kept_checkpoint` the transparency checkpoint the device kept ("" when none).
devproto::CheckinReport make_checkin_report(const AgentState& state, const std::string& channel,
                                            const settings::SettingsState& settings,
                                            const std::vector<settings::CheckResult>& domain,
                                            std::string kept_checkpoint);

}  // namespace dss::agent
