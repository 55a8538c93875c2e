// The device protocol between `dss agent` and `dss server` (ADR 0020).
//
// Enrolment: POST /api/v1/devices/enroll {"token", "public_key" (base64 of the raw 32-byte
// Ed25519 key), "name"} -> 201 {"device_id"}. The token is one-time, made by an operator.
//
// Check-in: POST /api/v1/devices/checkin with a CheckinReport as the JSON body, signed with the
// device key. The signature covers the method, the path, the device id, a timestamp, a random
// nonce and the SHA-256 of the body, so a captured check-in can be neither altered nor replayed
// (the server keeps nonces for the skew window and refuses timestamps outside it).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "crypto/allowed_schemes.h"
#include "crypto/keys.h"

namespace dss::devproto {

inline constexpr std::string_view kEnrolPath = "/api/v1/devices/enroll";
inline constexpr std::string_view kCheckinPath = "/api/v1/devices/checkin";
inline constexpr std::string_view kHeaderDevice = "DSS-Device";
inline constexpr std::string_view kHeaderTimestamp = "DSS-Timestamp";
inline constexpr std::string_view kHeaderNonce = "DSS-Nonce";
inline constexpr std::string_view kHeaderSignature = "DSS-Signature";
inline constexpr std::size_t kMaxReportBytes = std::size_t{64} * 1024;

struct DomainCheckResult {
  std::string id;
  bool ok = false;
  std::string detail;
};

struct UpdateResult {
  std::string result;   // "none", "installed", "rolled_back", "refused", "failed"
  std::string version;  // the version the result is about ("" when none)
  std::string detail;   // plain-language reason
};

// An install of `version` that keeps being cut short after the switch of `current` (crash-loop
// protection, ADR 0038): the device may be unable to install it. `count` is the number of such
// interruptions, at least 1.
struct InterruptedInstallReport {
  std::string version;
  std::uint64_t count = 0;
};

struct CheckinReport {
  std::string installed_version;
  std::string channel;
  std::uint64_t policy_version = 0;
  std::vector<std::string> loosened_settings;
  std::vector<DomainCheckResult> domain_checks;
  UpdateResult last_update;
  std::vector<std::string> advisories;  // advisory ids that apply to the installed version
  // The release transparency checkpoint the device last verified and kept (the signed note
  // text, at most 2 KiB; empty when the repository has no log). The server compares the
  // checkpoints of its devices to catch a log that shows them different histories.
  std::string transparency_checkpoint;
  // The newest version above the installed one whose installs were interrupted after the switch
  // (nullopt: none). Sent only when present, so a server older than the field still accepts
  // the check-ins of devices that have nothing to report.
  std::optional<InterruptedInstallReport> interrupted_install;
};

// Canonical JSON of the report (keys sorted, no spaces).
std::string to_json(const CheckinReport& report);
// Strict parse: every field typed and bounded, unknown fields refused. kInvalidArgument says
// which field is wrong.
Result<CheckinReport> checkin_from_json(std::string_view body);

struct RequestSignature {
  std::string device_id;
  std::string timestamp;  // decimal Unix seconds
  std::string nonce;      // 32 hex characters
  std::string signature;  // base64 Ed25519 signature over signing_string()
};

// "DSS-DEVICE-SIG-V1\n" + method \n path \n device_id \n timestamp \n nonce \n hex sha256(body)
std::string signing_string(std::string_view method, std::string_view path,
                           std::string_view device_id, std::string_view timestamp,
                           std::string_view nonce, std::string_view body);

// Signs a request with a fresh random nonce.
Result<RequestSignature> sign_request(const crypto::PrivateKey& key, std::string_view method,
                                      std::string_view path, std::string_view device_id,
                                      std::int64_t now_s, std::string_view body);

// kUnsigned when the signature does not verify, kInvalidArgument when a field is malformed or the
// timestamp is more than max_skew_s away from now_s, kUnsupported when the device key's scheme
// is not one `allowed` lists (crypto.allowed_signature_algorithms; device keys are Ed25519).
// Replay (nonce reuse) is the caller's check.
Status verify_request(const crypto::PublicKey& key, std::string_view method, std::string_view path,
                      const RequestSignature& sig, std::string_view body, std::int64_t now_s,
                      std::int64_t max_skew_s, const crypto::AllowedSchemes& allowed);

}  // namespace dss::devproto
