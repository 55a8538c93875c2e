// Devices: one-time enrolment tokens, enrolment with the device's own Ed25519 key, signed
// check-ins (ADR 0020: request signing, not mutual TLS), and the fleet list.
#include "core/bytes.h"
#include "core/integer.h"
#include "crypto/hash.h"
#include "crypto/keys.h"
#include "devproto/checkin.h"
#include "identity/token.h"
#include "server/app_internal.h"
#include "server/witness.h"

namespace dss::server {

namespace {

constexpr std::int64_t kMaxSkewS = 300;

json device_json(const DeviceRecord& d, bool detail) {
  json j{{"id", d.id},
         {"name", d.name},
         {"enrolled_at", audit::format_time_ms(d.enrolled_ms)},
         {"installed_version", d.installed_version},
         {"channel", d.channel},
         {"policy_version", d.policy_version},
         {"loosened_settings", json::parse(d.loosened_json, nullptr, false)},
         {"domain_checks_failed", d.domain_failed},
         {"last_update",
          {{"result", d.last_result},
           {"version", d.last_result_version},
           {"detail", d.last_result_detail}}}};
  if (d.last_checkin_ms) j["last_checkin_at"] = audit::format_time_ms(*d.last_checkin_ms);
  j["transparency"] = {{"status", d.log_status},
                       {"size", d.log_size},
                       {"root", d.log_root},
                       {"detail", d.log_detail}};
  // A device whose installs of a version keep being cut short after the switch (ADR 0038).
  j["interrupted_install"] = d.interrupted_count == 0 ? json(nullptr)
                                                      : json{{"version", d.interrupted_version},
                                                             {"count", d.interrupted_count}};
  if (detail) {
    j["transparency"]["checkpoint"] = d.log_checkpoint;
    j["public_key"] = d.public_key;
    j["domain_checks"] = json::parse(d.domain_json, nullptr, false);
    j["advisories"] = json::parse(d.advisories_json, nullptr, false);
  }
  return j;
}

Outcome create_enrolment_token(App::Ctx& ctx) {
  DSS_API_TRY(const std::int64_t minutes,
              int_field(ctx.body, "expires_in_minutes", 5, std::int64_t{7} * 24 * 60, 60));
  const std::string token = identity::generate_token("dss_e_");
  const std::int64_t now = ctx.now_ms();
  DSS_API_STATUS(ctx.app.store().create_enrolment_token(
      identity::token_hash(token), ctx.principal->actor_id, now, now + minutes * 60 * 1000));
  ctx.object = "enrolment-token";
  ctx.details.emplace_back("expires_in_minutes", std::to_string(minutes));
  return ok_reply(json{{"token", token},  // shown once; only its hash is stored
                       {"expires_at", audit::format_time_ms(now + minutes * 60 * 1000)},
                       {"note", "give this token to one device: it works once"}},
                  http::status::created);
}

Outcome enrol(App::Ctx& ctx) {
  ctx.object = "device";
  DSS_API_TRY(const std::string token, str_field(ctx.body, "token", 128));
  DSS_API_TRY(const std::string key_b64, str_field(ctx.body, "public_key", 128));
  DSS_API_TRY(std::string name, str_field(ctx.body, "name", 128, false));
  const auto raw = base64_decode(key_b64);
  if (!raw || raw->size() != 32) {
    return api_error(ApiCode::kBadRequest,
                     "public_key must be the base64 of a raw 32-byte Ed25519 public key");
  }
  const std::string hex = hex_encode(*raw);
  auto key = crypto::PublicKey::create(crypto::KeyScheme::kEd25519, hex);
  if (!key) return api_error(ApiCode::kBadRequest, "public_key is not an Ed25519 key");
  // A device whose check-ins this server would refuse is not enrolled.
  if (auto allowed = ctx.app.allowed_schemes().check(*key, "the device key"); !allowed) {
    return api_error(ApiCode::kFailedPrecondition, allowed.error().message);
  }
  DeviceRecord d;
  d.id = "dev-" + crypto::sha256_hex(hex).substr(0, 20);
  d.name = name.empty() ? d.id : name;
  d.public_key = key_b64;
  DSS_API_STATUS(ctx.app.store().enrol_device(identity::token_hash(token), d, ctx.now_ms()));
  ctx.actor_kind = audit::ActorKind::kDevice;
  ctx.actor_id = "device:" + d.id;
  ctx.object = "device:" + d.id;
  return ok_reply(json{{"device_id", d.id}}, http::status::created);
}

// Judges the transparency checkpoint the device kept against the served log and the rest of
// the fleet (witness.h). A contradiction ("forked") or a checkpoint not signed by the log's key
// ("invalid") is recorded once per new checkpoint as its own audit event, with the evidence;
// the check-in itself is accepted either way.
Status witness(App::Ctx& ctx, DeviceRecord& d, const std::string& note) {
  // Most check-ins repeat the checkpoint already judged. A settled verdict stands (the served
  // log only grows, so consistent stays consistent; forked and invalid are evidence), and the
  // check-in path skips the file reads and signature checks. Ahead and unchecked are judged
  // again: the served log may have caught up.
  const bool settled =
      d.log_status == "consistent" || d.log_status == "forked" || d.log_status == "invalid";
  if (!note.empty() && note == d.log_checkpoint && settled) {
    ctx.details.emplace_back("transparency", d.log_status);
    return ok();
  }
  WitnessVerdict v = witness_checkpoint(ctx.app.config().repo_dir, note, ctx.app.allowed_schemes());
  if (v.status == WitnessStatus::kConsistent || v.status == WitnessStatus::kAhead) {
    DSS_TRY(const auto others, ctx.app.store().devices_with_other_log_root(
                                   static_cast<std::int64_t>(v.size), v.root_hex, d.id));
    if (!others.empty()) {
      v.status = WitnessStatus::kForked;
      v.detail = "device " + others.front().id + " kept a checkpoint of the same size (" +
                 std::to_string(v.size) +
                 " entries) with another root: the log showed the two "
                 "devices different histories";
    }
  }
  const std::string status(witness_status_name(v.status));
  const bool conflict = v.status == WitnessStatus::kForked || v.status == WitnessStatus::kInvalid;
  const bool news = d.log_status != status || d.log_checkpoint != note;
  d.log_status = status;
  d.log_size = static_cast<std::int64_t>(v.size);
  d.log_root = v.root_hex;
  d.log_checkpoint = note;
  d.log_detail = v.detail;
  ctx.details.emplace_back("transparency", status);
  if (!conflict || !news) return ok();
  audit::Event e;
  e.actor_kind = audit::ActorKind::kSystem;
  e.actor_id = "system";
  e.action = "transparency.split_view";
  e.object = "device:" + d.id;
  e.outcome = audit::Outcome::kFailure;
  e.source_address = ctx.peer.address;
  e.reason = v.detail;
  e.details = {{"status", status}, {"size", std::to_string(v.size)}, {"root", v.root_hex}};
  return ctx.app.audit().record(std::move(e));
}

Outcome checkin(App::Ctx& ctx) {
  ctx.object = "device";
  const auto hdr = [&](std::string_view name) {
    const auto it = ctx.req.find(name);
    return it == ctx.req.end() ? std::string() : std::string(it->value());
  };
  devproto::RequestSignature sig{hdr(devproto::kHeaderDevice), hdr(devproto::kHeaderTimestamp),
                                 hdr(devproto::kHeaderNonce), hdr(devproto::kHeaderSignature)};
  if (sig.device_id.empty() || sig.signature.empty() || sig.device_id.size() > 64) {
    return api_error(ApiCode::kUnauthenticated,
                     "a check-in must be signed with the device key (DSS-Device, DSS-Timestamp, "
                     "DSS-Nonce, DSS-Signature)");
  }
  ctx.actor_kind = audit::ActorKind::kDevice;
  ctx.actor_id = "device:" + sig.device_id;
  ctx.object = "device:" + sig.device_id;
  DSS_API_CHECK(auto device, ctx.app.store().device(sig.device_id));
  if (!device) {
    return api_error(ApiCode::kUnauthenticated,
                     "this device is not enrolled; enrol it with a token from an operator");
  }
  const auto raw = base64_decode(device->public_key);
  if (!raw) return api_error(ApiCode::kInternal, "stored key unreadable");
  DSS_API_CHECK(const auto key,
                crypto::PublicKey::create(crypto::KeyScheme::kEd25519, hex_encode(*raw)));
  const std::int64_t now = ctx.now_s();
  if (auto st = devproto::verify_request(key, "POST", devproto::kCheckinPath, sig, ctx.req.body(),
                                         now, kMaxSkewS, ctx.app.allowed_schemes());
      !st) {
    return api_error(ApiCode::kBadSignature,
                     "the check-in signature does not verify: " + st.error().message);
  }
  // Replay: each nonce once within the accepted window; nothing signed before this server
  // started is accepted, so a restart (which forgets nonces) opens no window.
  const auto parsed_ts = parse_int64(sig.timestamp);
  if (!parsed_ts) {
    return api_error(ApiCode::kBadSignature,
                     "DSS-Timestamp must be the Unix time in whole seconds, digits only");
  }
  const std::int64_t ts = *parsed_ts;
  if (ts < ctx.app.started_s() ||
      !ctx.app.remember_nonce(sig.device_id + ":" + sig.nonce, now, ts + 2 * kMaxSkewS)) {
    return api_error(ApiCode::kReplay,
                     "this check-in was already received (a replay); sign each check-in anew");
  }
  DSS_API_CHECK(const auto report, devproto::checkin_from_json(ctx.req.body()));
  device->last_checkin_ms = ctx.now_ms();
  device->installed_version = report.installed_version;
  device->channel = report.channel;
  device->policy_version = static_cast<std::int64_t>(report.policy_version);
  device->loosened_json = json(report.loosened_settings).dump();
  json domain = json::array();
  bool failed = false;
  for (const auto& d : report.domain_checks) {
    domain.push_back({{"id", d.id}, {"ok", d.ok}, {"detail", d.detail}});
    failed = failed || !d.ok;
  }
  device->domain_json = domain.dump();
  device->domain_failed = failed;
  device->last_result = report.last_update.result;
  device->last_result_version = report.last_update.version;
  device->last_result_detail = report.last_update.detail;
  device->advisories_json = json(report.advisories).dump();
  device->interrupted_version =
      report.interrupted_install ? report.interrupted_install->version : "";
  device->interrupted_count =
      report.interrupted_install ? static_cast<std::int64_t>(report.interrupted_install->count) : 0;
  DSS_API_STATUS(witness(ctx, *device, report.transparency_checkpoint));
  DSS_API_STATUS(ctx.app.store().record_checkin(*device));
  ctx.details.emplace_back("installed_version", report.installed_version);
  ctx.details.emplace_back("last_update", report.last_update.result);
  return ok_reply(json{{"accepted", true}});
}

Outcome list_devices(App::Ctx& ctx) {
  DSS_API_CHECK(const auto devices, ctx.app.store().devices());
  json list = json::array();
  for (const auto& d : devices) list.push_back(device_json(d, false));
  return ok_reply(json{{"devices", list}});
}

Outcome show_device(App::Ctx& ctx) {
  ctx.object = "device:" + ctx.params[0];
  DSS_API_CHECK(const auto device, ctx.app.store().device(ctx.params[0]));
  if (!device) return api_error(ApiCode::kNotFound, "no such device");
  return ok_reply(device_json(*device, true));
}

}  // namespace

std::vector<Route> device_routes() {
  using V = http::verb;
  using P = Permission;
  return {
      {V::post,
       "/api/v1/devices/enrolment-tokens",
       Access::kActive,
       perm(P::kDevicesManage),
       false,
       "token.create",
       Commit::kAtomic,
       {"expires_in_minutes"},
       create_enrolment_token},
      {V::post,
       "/api/v1/devices/enroll",
       Access::kPublic,
       0,
       false,
       "device.enrol",
       Commit::kAuditAfter,
       {"token", "public_key", "name"},
       enrol},
      // The body is the device's report, validated strictly by devproto::checkin_from_json.
      {V::post,
       "/api/v1/devices/checkin",
       Access::kDevice,
       0,
       false,
       "device.checkin",
       Commit::kAuditAfter,
       {"*"},
       checkin},
      {V::get,
       "/api/v1/devices",
       Access::kActive,
       perm(P::kDevicesRead),
       false,
       "",
       Commit::kAuditAfter,
       {},
       list_devices},
      {V::get,
       "/api/v1/devices/{}",
       Access::kActive,
       perm(P::kDevicesRead),
       false,
       "",
       Commit::kAuditAfter,
       {},
       show_device},
  };
}

}  // namespace dss::server
