#include "audit/event.h"

#include <sodium.h>

#include <array>
#include <ctime>

#include "core/bytes.h"
#include "core/clock.h"
#include "core/json.h"
#include "crypto/hash.h"

namespace dss::audit {

namespace {

constexpr std::size_t kMaxFieldBytes = 4096;

// class uids
constexpr int kAccountChange = 3001;
constexpr int kAuthentication = 3002;
constexpr int kApplicationLifecycle = 6002;
constexpr int kApiActivity = 6003;

constexpr std::array<ActionInfo, 51> kCatalogue = {{
    {"auth.login", Category::kAuthentication, kAuthentication, 1, "authentication", "start",
     "a sign-in with a password"},
    {"auth.logout", Category::kAuthentication, kAuthentication, 2, "authentication", "end",
     "a sign-out"},
    {"auth.mfa.challenge", Category::kAuthentication, kAuthentication, 1, "authentication", "info",
     "a second-factor check (authenticator code, recovery code or passkey)"},
    {"auth.mfa.enrol", Category::kAuthentication, kAccountChange, 10, "iam", "change",
     "a second factor added to an account"},
    {"auth.mfa.remove", Category::kAuthentication, kAccountChange, 11, "iam", "change",
     "a second factor removed from an account"},
    {"auth.setup_code", Category::kAuthentication, kAuthentication, 1, "authentication", "info",
     "the one-time setup code used to create the first owner"},
    {"authz.denied", Category::kAuthorization, kApiActivity, 99, "iam", "denied",
     "a request refused because the actor lacks the permission"},
    {"session.create", Category::kSession, kAuthentication, 1, "session", "start",
     "a session started"},
    {"session.revoke", Category::kSession, kAuthentication, 2, "session", "end",
     "a session ended by its user or an administrator"},
    {"session.expire", Category::kSession, kAuthentication, 2, "session", "end",
     "a session ended because it was idle or too old"},
    {"user.create", Category::kAccount, kAccountChange, 1, "iam", "creation", "an account created"},
    {"user.disable", Category::kAccount, kAccountChange, 5, "iam", "change", "an account disabled"},
    {"user.enable", Category::kAccount, kAccountChange, 2, "iam", "change", "an account enabled"},
    {"user.password_change", Category::kAccount, kAccountChange, 3, "iam", "change",
     "a password changed by its owner"},
    {"user.password_reset", Category::kAccount, kAccountChange, 4, "iam", "change",
     "a password reset by an administrator"},
    {"user.lockout", Category::kAccount, kAccountChange, 9, "iam", "change",
     "an account locked after repeated failures"},
    {"role.grant", Category::kAccount, kAccountChange, 7, "iam", "change",
     "a role granted to an account"},
    {"role.revoke", Category::kAccount, kAccountChange, 8, "iam", "change",
     "a role taken from an account"},
    {"token.create", Category::kAccount, kApiActivity, 1, "iam", "creation", "an API token issued"},
    {"token.revoke", Category::kAccount, kApiActivity, 4, "iam", "deletion",
     "an API token revoked"},
    {"key.create", Category::kKey, kApiActivity, 1, "configuration", "creation",
     "a signing key created"},
    {"key.use", Category::kKey, kApiActivity, 99, "configuration", "access", "a signing key used"},
    {"key.rotate", Category::kKey, kApiActivity, 3, "configuration", "change",
     "a signing key replaced"},
    {"api.read", Category::kConfiguration, kApiActivity, 2, "web", "access",
     "an API request that reads (lists, shows, queries) and changes nothing"},
    {"auth.reauth", Category::kAuthentication, kAuthentication, 1, "authentication", "start",
     "a person confirmed password and second factor again before a sensitive action"},
    {"config.read", Category::kConfiguration, kApiActivity, 2, "configuration", "access",
     "configuration read"},
    {"config.change", Category::kConfiguration, kApiActivity, 3, "configuration", "change",
     "configuration changed"},
    {"settings.loosen", Category::kConfiguration, kApiActivity, 3, "configuration", "change",
     "a setting moved in the less safe direction, with the risk acknowledged"},
    {"settings.tighten", Category::kConfiguration, kApiActivity, 3, "configuration", "change",
     "a setting moved in the safer direction"},
    {"settings.reset", Category::kConfiguration, kApiActivity, 3, "configuration", "change",
     "a setting returned to its default"},
    {"settings.chime", Category::kConfiguration, kApiActivity, 99, "configuration", "info",
     "the periodic reminder that settings are loosened"},
    {"release.publish", Category::kRelease, kApiActivity, 1, "package", "creation",
     "a release published"},
    {"release.withdraw", Category::kRelease, kApiActivity, 4, "package", "deletion",
     "a release withdrawn from a channel"},
    {"policy.publish", Category::kRelease, kApiActivity, 1, "configuration", "creation",
     "a security policy bundle published"},
    {"policy.apply", Category::kRelease, kApiActivity, 3, "configuration", "change",
     "a security policy bundle applied"},
    {"policy.refuse", Category::kRelease, kApiActivity, 99, "configuration", "denied",
     "a security policy bundle refused (bad signature or older version)"},
    {"advisory.publish", Category::kRelease, kApiActivity, 1, "vulnerability", "creation",
     "a security advisory published"},
    {"device.enrol", Category::kDevice, kApiActivity, 1, "host", "creation", "a device enrolled"},
    {"device.checkin", Category::kDevice, kApiActivity, 99, "host", "info",
     "a device reported its state"},
    {"transparency.split_view", Category::kDevice, kApiActivity, 99, "host", "error",
     "a device kept a release transparency checkpoint that contradicts the served log or "
     "another device's, or that the log's key did not sign: evidence of a split view"},
    {"update.install", Category::kDevice, kApiActivity, 3, "package", "installation",
     "an update installed on a device"},
    {"update.rollback", Category::kDevice, kApiActivity, 3, "package", "change",
     "an update rolled back after a failed health check"},
    {"tls.certificate_generated", Category::kKey, kApiActivity, 1, "configuration", "creation",
     "the server generated its self-signed TLS certificate (details: sha256)"},
    {"tls.certificate_renewed", Category::kKey, kApiActivity, 3, "configuration", "change",
     "the server replaced its generated TLS certificate before expiry (details: old_sha256, "
     "sha256)"},
    {"tls.certificate_expiring", Category::kKey, kApiActivity, 99, "configuration", "info",
     "the served TLS certificate is near its expiry; repeated daily until it is replaced"},
    {"settings.unreadable", Category::kConfiguration, kApiActivity, 99, "configuration", "info",
     "the settings could not be read; the last settings read stay in force"},
    {"system.start", Category::kSystem, kApplicationLifecycle, 3, "process", "start",
     "a DSS service started"},
    {"system.stop", Category::kSystem, kApplicationLifecycle, 4, "process", "end",
     "a DSS service stopped"},
    {"log.start", Category::kSystem, kApplicationLifecycle, 3, "process", "start",
     "the audit log opened"},
    {"log.stop", Category::kSystem, kApplicationLifecycle, 4, "process", "end",
     "the audit log closed"},
    {"log.failure", Category::kSystem, kApplicationLifecycle, 99, "process", "error",
     "the audit log failed to record or export events"},
}};

// Standard JSON string: escapes `"`, `\`, and every control character (so CR and LF can never
// break a line or forge an event), plus DEL.
void append_string(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (ch == '"' || ch == '\\') {
      out.push_back('\\');
      out.push_back(ch);
    } else if (c < 0x20 || c == 0x7F) {
      out += "\\u00";
      out.push_back(kHex[c >> 4U]);
      out.push_back(kHex[c & 0x0FU]);
    } else {
      out.push_back(ch);
    }
  }
  out.push_back('"');
}

// A small writer for flat-to-nested JSON objects with fields in a fixed order.
class Writer {
 public:
  Writer& open(std::string_view key) {
    comma();
    append_string(out_, key);
    out_ += ":{";
    first_ = true;
    return *this;
  }
  Writer& close() {
    out_.push_back('}');
    first_ = false;
    return *this;
  }
  Writer& str(std::string_view key, std::string_view value) {
    comma();
    append_string(out_, key);
    out_.push_back(':');
    append_string(out_, value);
    return *this;
  }
  Writer& opt(std::string_view key, std::string_view value) {
    return value.empty() ? *this : str(key, value);
  }
  Writer& num(std::string_view key, std::int64_t value) {
    comma();
    append_string(out_, key);
    out_.push_back(':');
    out_ += std::to_string(value);
    return *this;
  }
  Writer& boolean(std::string_view key, bool value) {
    comma();
    append_string(out_, key);
    out_ += value ? ":true" : ":false";
    return *this;
  }
  Writer& raw(std::string_view key, std::string_view fragment) {
    comma();
    append_string(out_, key);
    out_.push_back(':');
    out_ += fragment;
    return *this;
  }
  std::string finish() {
    out_.push_back('}');
    return std::move(out_);
  }

 private:
  void comma() {
    if (!first_) out_.push_back(',');
    first_ = false;
  }
  std::string out_ = "{";
  bool first_ = true;
};

std::string details_object(const Event& e) {
  Writer w;
  for (const auto& [k, v] : e.details) w.str(k, v);
  return w.finish();
}

std::string_view outcome_name(Outcome o) { return o == Outcome::kSuccess ? "success" : "failure"; }

}  // namespace

std::string_view category_name(Category c) {
  switch (c) {
    case Category::kAuthentication:
      return "authentication";
    case Category::kAuthorization:
      return "authorization";
    case Category::kSession:
      return "session";
    case Category::kAccount:
      return "account";
    case Category::kKey:
      return "key";
    case Category::kConfiguration:
      return "configuration";
    case Category::kRelease:
      return "release";
    case Category::kDevice:
      return "device";
    case Category::kSystem:
      return "system";
  }
  return "system";
}

std::string_view actor_kind_name(ActorKind k) {
  switch (k) {
    case ActorKind::kUser:
      return "user";
    case ActorKind::kDevice:
      return "device";
    case ActorKind::kApiToken:
      return "api_token";
    case ActorKind::kSystem:
      return "system";
    case ActorKind::kAnonymous:
      return "anonymous";
  }
  return "system";
}

std::span<const ActionInfo> action_catalogue() { return kCatalogue; }

const ActionInfo* find_action(std::string_view name) {
  for (const auto& a : kCatalogue) {
    if (a.name == name) return &a;
  }
  return nullptr;
}

std::string format_time_ms(std::int64_t unix_ms) {
  const std::time_t secs = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  ::gmtime_r(&secs, &tm);
  char buf[96];
  const auto ms = static_cast<int>(unix_ms % 1000);
  const int n =
      std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
  DSS_CHECK(n > 0 && static_cast<std::size_t>(n) < sizeof buf);  // 7 ints fit in 96 bytes
  return buf;
}

std::string new_event_id(std::int64_t unix_ms) {
  ensure_sodium_initialised();
  std::array<std::uint8_t, 16> b{};
  randombytes_buf(b.data(), b.size());
  const auto t = static_cast<std::uint64_t>(unix_ms);
  for (std::size_t i = 0; i < 6; ++i) b[i] = static_cast<std::uint8_t>(t >> (8 * (5 - i)));
  b[6] = static_cast<std::uint8_t>(0x70U | (b[6] & 0x0FU));
  b[8] = static_cast<std::uint8_t>(0x80U | (b[8] & 0x3FU));
  const std::string h = hex_encode(b);
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) +
         "-" + h.substr(20);
}

std::string session_ref(std::string_view session_token) {
  return "sess-" + crypto::sha256_hex(session_token).substr(0, 32);
}

Status validate(const Event& e) {
  if (find_action(e.action) == nullptr) {
    return make_error(ErrorCode::kInvalidArgument,
                      "\"" + e.action + "\" is not an audit action in the catalogue");
  }
  if (e.time_ms <= 0 || e.id.empty()) {
    return make_error(ErrorCode::kInvalidArgument, "an audit event needs a time and an id");
  }
  for (const std::string* f : {&e.actor_id, &e.source_address, &e.request_id, &e.object, &e.reason,
                               &e.product_version, &e.host}) {
    if (f->size() > kMaxFieldBytes) {
      return make_error(ErrorCode::kInvalidArgument, "an audit event field exceeds 4096 bytes");
    }
  }
  return ok();
}

std::string to_json(const Event& e) {
  Writer w;
  w.str("time", format_time_ms(e.time_ms))
      .str("id", e.id)
      .str("action", e.action)
      .str("category", category_name(find_action(e.action) ? find_action(e.action)->category
                                                           : Category::kSystem))
      .str("outcome", outcome_name(e.outcome))
      .opt("reason", e.reason)
      .open("actor")
      .str("kind", actor_kind_name(e.actor_kind))
      .opt("id", e.actor_id)
      .close()
      .opt("source", e.source_address)
      .opt("request_id", e.request_id)
      .opt("object", e.object)
      .opt("version", e.product_version)
      .opt("host", e.host);
  if (!e.details.empty()) w.raw("details", details_object(e));
  return w.finish();
}

Result<Event> from_json(std::string_view line) {
  thread_local json::JsonParser parser;
  auto doc = parser.parse_copy(line);
  if (!doc) return tl::unexpected(doc.error());
  auto obj = json::get_object(*doc, "audit event");
  if (!obj) return tl::unexpected(obj.error());
  Event e;
  auto str = [&](std::string_view key, std::string& out, bool required) -> Status {
    auto f = obj->at_key(key);
    if (f.error()) {
      if (required) {
        return make_error(ErrorCode::kMalformed, "audit event lacks \"" + std::string(key) + "\"");
      }
      return ok();
    }
    auto s = json::get_string(f.value_unsafe(), key);
    if (!s) return tl::unexpected(s.error());
    out = std::string(*s);
    return ok();
  };
  std::string time;
  std::string outcome;
  std::string kind;
  DSS_TRY_STATUS(str("time", time, true));
  DSS_TRY_STATUS(str("id", e.id, true));
  DSS_TRY_STATUS(str("action", e.action, true));
  DSS_TRY_STATUS(str("outcome", outcome, true));
  DSS_TRY_STATUS(str("reason", e.reason, false));
  DSS_TRY_STATUS(str("source", e.source_address, false));
  DSS_TRY_STATUS(str("request_id", e.request_id, false));
  DSS_TRY_STATUS(str("object", e.object, false));
  DSS_TRY_STATUS(str("version", e.product_version, false));
  DSS_TRY_STATUS(str("host", e.host, false));
  auto actor = obj->at_key("actor");
  if (!actor.error()) {
    auto a = json::get_object(actor.value_unsafe(), "actor");
    if (!a) return tl::unexpected(a.error());
    for (auto [k, v] : *a) {
      auto s = json::get_string(v, "actor field");
      if (!s) return tl::unexpected(s.error());
      if (k == "kind") kind = std::string(*s);
      if (k == "id") e.actor_id = std::string(*s);
    }
  }
  auto details = obj->at_key("details");
  if (!details.error()) {
    auto d = json::get_object(details.value_unsafe(), "details");
    if (!d) return tl::unexpected(d.error());
    for (auto [k, v] : *d) {
      auto s = json::get_string(v, "details field");
      if (!s) return tl::unexpected(s.error());
      e.details.emplace_back(std::string(k), std::string(*s));
    }
  }
  // time: YYYY-MM-DDTHH:MM:SS.mmmZ
  if (time.size() != 24 || time[19] != '.' || time[23] != 'Z') {
    return make_error(ErrorCode::kMalformed, "audit event time is not RFC 3339 UTC with ms");
  }
  auto secs = parse_utc_timestamp(time.substr(0, 19) + "Z");
  if (!secs) return tl::unexpected(secs.error());
  int ms = 0;
  for (std::size_t i = 20; i < 23; ++i) {
    if (time[i] < '0' || time[i] > '9') {
      return make_error(ErrorCode::kMalformed, "audit event time has bad milliseconds");
    }
    ms = ms * 10 + (time[i] - '0');
  }
  if (*secs < 0) return make_error(ErrorCode::kMalformed, "audit event time is before 1970");
  e.time_ms = *secs * 1000 + ms;
  if (outcome != "success" && outcome != "failure") {
    return make_error(ErrorCode::kMalformed, "audit event outcome is not success or failure");
  }
  e.outcome = outcome == "success" ? Outcome::kSuccess : Outcome::kFailure;
  static constexpr std::array<ActorKind, 5> kKinds = {ActorKind::kUser, ActorKind::kDevice,
                                                      ActorKind::kApiToken, ActorKind::kSystem,
                                                      ActorKind::kAnonymous};
  e.actor_kind = ActorKind::kSystem;
  for (const ActorKind k : kKinds) {
    if (actor_kind_name(k) == kind) e.actor_kind = k;
  }
  return e;
}

std::string to_ocsf(const Event& e) {
  const ActionInfo* a = find_action(e.action);
  const int class_uid = a ? a->ocsf_class : kApiActivity;
  const int activity = a ? a->ocsf_activity : 99;
  const bool ok = e.outcome == Outcome::kSuccess;
  Writer w;
  w.num("time", e.time_ms)
      .num("class_uid", class_uid)
      .num("category_uid", class_uid / 1000)
      .num("activity_id", activity)
      .num("type_uid", class_uid * 100 + activity)
      .num("severity_id", ok ? 1 : 3)
      .num("status_id", ok ? 1 : 2)
      .str("status", ok ? "Success" : "Failure")
      .opt("status_detail", e.reason)
      .str("message", a ? a->description : e.action)
      .open("metadata")
      .str("version", "1.1.0")
      .str("uid", e.id)
      .opt("correlation_uid", e.request_id)
      .open("product")
      .str("name", "DSS")
      .str("vendor_name", "DSS")
      .opt("version", e.product_version)
      .close()
      .close()
      .open("actor")
      .open("user")
      .opt("uid", e.actor_id)
      .str("type", actor_kind_name(e.actor_kind))
      .close()
      .close();
  if (!e.source_address.empty()) w.open("src_endpoint").str("ip", e.source_address).close();
  if (!e.host.empty()) w.open("device").str("hostname", e.host).close();
  if (class_uid == kAuthentication) w.boolean("is_mfa", e.action == "auth.mfa.challenge");
  if (class_uid == kApiActivity) {
    w.open("api").str("operation", e.action).close();
    if (!e.object.empty()) w.open("resources_object").str("uid", e.object).close();
  } else if (!e.object.empty()) {
    w.open("user").str("uid", e.object).close();
  }
  w.open("unmapped").str("dss_action", e.action);
  for (const auto& [k, v] : e.details) w.str(k, v);
  w.close();
  return w.finish();
}

std::string to_ecs(const Event& e) {
  const ActionInfo* a = find_action(e.action);
  Writer w;
  w.str("@timestamp", format_time_ms(e.time_ms))
      .open("event")
      .str("id", e.id)
      .str("action", e.action)
      .str("kind", "event")
      .raw("category", "[\"" + std::string(a ? a->ecs_category : "configuration") + "\"]")
      .raw("type", "[\"" + std::string(a ? a->ecs_type : "info") + "\"]")
      .str("outcome", outcome_name(e.outcome))
      .opt("reason", e.reason)
      .close()
      .open("user")
      .opt("id", e.actor_id)
      .close()
      .open("labels")
      .str("actor_kind", actor_kind_name(e.actor_kind))
      .opt("object", e.object)
      .close();
  if (!e.source_address.empty()) w.open("source").str("ip", e.source_address).close();
  if (!e.request_id.empty()) w.open("http").open("request").str("id", e.request_id).close().close();
  if (!e.host.empty()) w.open("host").str("name", e.host).close();
  w.open("service").str("name", "dss").opt("version", e.product_version).close();
  w.open("ecs").str("version", "8.11.0").close();
  return w.finish();
}

std::string to_syslog(const Event& e, std::string_view app_name) {
  // PRI = facility 13 (log audit) * 8 + severity (6 informational, 4 warning for failures).
  const int pri = 13 * 8 + (e.outcome == Outcome::kSuccess ? 6 : 4);
  // Header fields are printable ASCII without spaces; in the structured data value, '"', '\\'
  // and ']' would need escaping, so they are dropped (the id is a UUID anyway).
  auto token = [](std::string_view s) {
    std::string out;
    for (const char c : s) {
      if (c > 32 && c < 127 && c != '"' && c != '\\' && c != ']') out.push_back(c);
    }
    return out.empty() ? std::string("-") : out.substr(0, 48);
  };
  std::string out = "<" + std::to_string(pri) + ">1 " + format_time_ms(e.time_ms) + " " +
                    token(e.host) + " " + token(app_name) + " - " + token(e.action) +
                    " [dss@32473 id=\"" + token(e.id) + "\"] ";
  out += to_json(e);
  return out;
}

}  // namespace dss::audit
