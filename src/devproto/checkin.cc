#include "devproto/checkin.h"

#include <sodium.h>

#include <nlohmann/json.hpp>

#include "core/bytes.h"
#include "core/integer.h"
#include "crypto/hash.h"

namespace dss::devproto {

namespace {

using json = nlohmann::json;

constexpr std::size_t kMaxString = 256;
constexpr std::size_t kMaxList = 256;
constexpr std::size_t kMaxCheckpoint = 2048;  // a signed checkpoint note is about 200 bytes
constexpr std::uint64_t kMaxInterruptions = 1'000'000;

tl::unexpected<Error> field_error(std::string_view field, std::string_view what) {
  return make_error(ErrorCode::kInvalidArgument,
                    "check-in field '" + std::string(field) + "' " + std::string(what) +
                        "; send a report made by this version of dss agent");
}

Result<std::string> string_field(const json& obj, std::string_view key, bool required = true,
                                 std::size_t max = kMaxString) {
  const auto it = obj.find(key);
  if (it == obj.end()) {
    if (required) return field_error(key, "is missing");
    return std::string();
  }
  if (!it->is_string()) return field_error(key, "must be a string");
  auto s = it->get<std::string>();
  if (s.size() > max) return field_error(key, "is too long");
  return s;
}

Result<std::vector<std::string>> string_list(const json& obj, std::string_view key) {
  const auto it = obj.find(key);
  if (it == obj.end()) return std::vector<std::string>{};
  if (!it->is_array() || it->size() > kMaxList) {
    return field_error(key, "must be a list of at most 256 strings");
  }
  std::vector<std::string> out;
  for (const auto& e : *it) {
    if (!e.is_string() || e.get_ref<const std::string&>().size() > kMaxString) {
      return field_error(key, "must hold only short strings");
    }
    out.push_back(e.get<std::string>());
  }
  return out;
}

Status only_keys(const json& obj, std::string_view where,
                 std::initializer_list<std::string_view> keys) {
  for (const auto& [k, v] : obj.items()) {
    bool known = false;
    for (const auto key : keys) known = known || key == k;
    if (!known) return field_error(std::string(where) + k, "is not part of the check-in protocol");
  }
  return ok();
}

}  // namespace

std::string to_json(const CheckinReport& r) {
  json checks = json::array();
  for (const auto& d : r.domain_checks) {
    checks.push_back({{"detail", d.detail}, {"id", d.id}, {"ok", d.ok}});
  }
  json j{{"advisories", r.advisories},
         {"channel", r.channel},
         {"domain_checks", checks},
         {"installed_version", r.installed_version},
         {"last_update",
          {{"detail", r.last_update.detail},
           {"result", r.last_update.result},
           {"version", r.last_update.version}}},
         {"loosened_settings", r.loosened_settings},
         {"policy_version", r.policy_version}};
  if (!r.transparency_checkpoint.empty()) j["transparency_checkpoint"] = r.transparency_checkpoint;
  if (r.interrupted_install) {
    j["interrupted_install"] = {{"count", r.interrupted_install->count},
                                {"version", r.interrupted_install->version}};
  }
  return j.dump();
}

Result<CheckinReport> checkin_from_json(std::string_view body) {
  if (body.size() > kMaxReportBytes) {
    return make_error(ErrorCode::kInvalidArgument, "the check-in report is larger than 64 KiB");
  }
  const json j = json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return make_error(ErrorCode::kInvalidArgument,
                      "the check-in report is not a JSON object; send a report made by dss agent");
  }
  DSS_TRY_STATUS(only_keys(
      j, "",
      {"advisories", "channel", "domain_checks", "installed_version", "last_update",
       "loosened_settings", "policy_version", "transparency_checkpoint", "interrupted_install"}));
  CheckinReport r;
  DSS_TRY(r.installed_version, string_field(j, "installed_version"));
  DSS_TRY(r.channel, string_field(j, "channel"));
  const auto pv = j.find("policy_version");
  if (pv == j.end() || !pv->is_number_unsigned()) {
    return field_error("policy_version", "must be a non-negative integer");
  }
  r.policy_version = pv->get<std::uint64_t>();
  DSS_TRY(r.loosened_settings, string_list(j, "loosened_settings"));
  DSS_TRY(r.advisories, string_list(j, "advisories"));
  DSS_TRY(r.transparency_checkpoint,
          string_field(j, "transparency_checkpoint", false, kMaxCheckpoint));
  if (const auto dc = j.find("domain_checks"); dc != j.end()) {
    if (!dc->is_array() || dc->size() > kMaxList) {
      return field_error("domain_checks", "must be a list of at most 256 results");
    }
    for (const auto& e : *dc) {
      if (!e.is_object()) return field_error("domain_checks", "must hold objects");
      DSS_TRY_STATUS(only_keys(e, "domain_checks.", {"id", "ok", "detail"}));
      DomainCheckResult d;
      DSS_TRY(d.id, string_field(e, "id"));
      DSS_TRY(d.detail, string_field(e, "detail", false));
      const auto ok_it = e.find("ok");
      if (ok_it == e.end() || !ok_it->is_boolean()) {
        return field_error("domain_checks.ok", "must be true or false");
      }
      d.ok = ok_it->get<bool>();
      r.domain_checks.push_back(std::move(d));
    }
  }
  if (const auto ii = j.find("interrupted_install"); ii != j.end()) {
    if (!ii->is_object()) return field_error("interrupted_install", "must be an object");
    DSS_TRY_STATUS(only_keys(*ii, "interrupted_install.", {"version", "count"}));
    InterruptedInstallReport i;
    const auto version = ii->find("version");
    if (version == ii->end() || !version->is_string() ||
        version->get_ref<const std::string&>().empty() ||
        version->get_ref<const std::string&>().size() > kMaxString) {
      return field_error("interrupted_install.version", "must be a version (a short string)");
    }
    i.version = version->get<std::string>();
    const auto count = ii->find("count");
    if (count == ii->end() || !count->is_number_unsigned() || count->get<std::uint64_t>() == 0 ||
        count->get<std::uint64_t>() > kMaxInterruptions) {
      return field_error("interrupted_install.count", "must be an integer from 1 to 1000000");
    }
    i.count = count->get<std::uint64_t>();
    r.interrupted_install = std::move(i);
  }
  if (const auto lu = j.find("last_update"); lu != j.end()) {
    if (!lu->is_object()) return field_error("last_update", "must be an object");
    DSS_TRY_STATUS(only_keys(*lu, "last_update.", {"result", "version", "detail"}));
    DSS_TRY(r.last_update.result, string_field(*lu, "result"));
    DSS_TRY(r.last_update.version, string_field(*lu, "version", false));
    DSS_TRY(r.last_update.detail, string_field(*lu, "detail", false));
  }
  return r;
}

std::string signing_string(std::string_view method, std::string_view path,
                           std::string_view device_id, std::string_view timestamp,
                           std::string_view nonce, std::string_view body) {
  std::string s = "DSS-DEVICE-SIG-V1\n";
  for (const auto part : {method, path, device_id, timestamp, nonce}) {
    s.append(part);
    s.push_back('\n');
  }
  s += crypto::sha256_hex(body);
  return s;
}

Result<RequestSignature> sign_request(const crypto::PrivateKey& key, std::string_view method,
                                      std::string_view path, std::string_view device_id,
                                      std::int64_t now_s, std::string_view body) {
  Bytes nonce(16);
  randombytes_buf(nonce.data(), nonce.size());
  RequestSignature sig{std::string(device_id), std::to_string(now_s), hex_encode(nonce), {}};
  const std::string msg =
      signing_string(method, path, sig.device_id, sig.timestamp, sig.nonce, body);
  DSS_TRY(const Bytes raw, key.sign(as_bytes(msg)));
  sig.signature = base64_encode(raw);
  return sig;
}

Status verify_request(const crypto::PublicKey& key, std::string_view method, std::string_view path,
                      const RequestSignature& sig, std::string_view body, std::int64_t now_s,
                      std::int64_t max_skew_s, const crypto::AllowedSchemes& allowed) {
  DSS_TRY_STATUS(allowed.check(key, "the device key"));
  // One canonical spelling per second (no leading zeros, sign or spaces), as the agent writes it.
  const auto parsed = parse_int64(sig.timestamp, 0);
  if (!parsed) {
    return make_error(ErrorCode::kInvalidArgument,
                      "DSS-Timestamp must be decimal Unix seconds without leading zeros");
  }
  const std::int64_t ts = *parsed;
  if (ts > now_s + max_skew_s || ts < now_s - max_skew_s) {
    return make_error(ErrorCode::kInvalidArgument,
                      "DSS-Timestamp is more than " + std::to_string(max_skew_s) +
                          " s away from the server's clock; correct the device clock (NTP)");
  }
  if (sig.nonce.size() != 32 || !hex_decode(sig.nonce)) {
    return make_error(ErrorCode::kInvalidArgument, "DSS-Nonce must be 32 hex characters");
  }
  const auto raw = base64_decode(sig.signature);
  if (!raw) return make_error(ErrorCode::kUnsigned, "DSS-Signature is not base64");
  const std::string msg =
      signing_string(method, path, sig.device_id, sig.timestamp, sig.nonce, body);
  return key.verify(as_bytes(msg), *raw);
}

}  // namespace dss::devproto
