#include "server/app.h"

#include <algorithm>
#include <cstdio>

#include "identity/token.h"
#include "server/app_internal.h"
#include "server/authenticator.h"
#include "server/dispatcher.h"
#include "settings/chime.h"

namespace dss::server {

namespace {

constexpr std::int64_t kSetupCodeLifetimeMs = std::int64_t{30} * 60 * 1000;

}  // namespace

void set_security_headers(Response& res) {
  res.set(http::field::strict_transport_security, "max-age=63072000; includeSubDomains");
  res.set("Content-Security-Policy",
          "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'");
  res.set("X-Content-Type-Options", "nosniff");
  res.set("Referrer-Policy", "no-referrer");
  res.set("X-Frame-Options", "DENY");
  res.set("Cross-Origin-Resource-Policy", "same-origin");
  res.set(http::field::server, "dss");
}

namespace {

// The code of an answer to a request that broke a transport limit (https.cc), by its status.
ApiCode limit_code_for(http::status s) {
  switch (s) {
    case http::status::bad_request:
      return ApiCode::kBadRequest;
    case http::status::unauthorized:
      return ApiCode::kUnauthenticated;
    case http::status::forbidden:
      return ApiCode::kForbidden;
    case http::status::not_found:
      return ApiCode::kNotFound;
    case http::status::method_not_allowed:
      return ApiCode::kMethodNotAllowed;
    case http::status::conflict:
      return ApiCode::kConflict;
    case http::status::payload_too_large:
      return ApiCode::kPayloadTooLarge;
    case http::status::unsupported_media_type:
      return ApiCode::kUnsupportedMediaType;
    case http::status::request_header_fields_too_large:
      return ApiCode::kHeadersTooLarge;
    case http::status::too_many_requests:
      return ApiCode::kRateLimited;
    case http::status::service_unavailable:
      return ApiCode::kUnavailable;
    default:  // http::status has ~60 values; the transport sends only those above
      return ApiCode::kInternal;
  }
}

}  // namespace

Response json_response(unsigned version, http::status status, const json& body) {
  Response res{status, version};
  res.set(http::field::content_type, "application/json");
  res.set(http::field::cache_control, "no-store");
  res.body() = body.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
  set_security_headers(res);
  return res;
}

json error_body(ApiCode code, std::string_view message) {
  return json{{"error", {{"code", api_code_name(code)}, {"message", message}}}};
}

// Splits "/a/b?c" into path and query; false on anything but plain printable ASCII.
bool split_target(std::string_view target, std::string& path, std::string& query) {
  for (const char c : target) {
    if (c <= 0x20 || c >= 0x7f) return false;
  }
  const auto q = target.find('?');
  path = std::string(target.substr(0, q));
  query = q == std::string_view::npos ? std::string() : std::string(target.substr(q + 1));
  return !path.empty() && path.front() == '/';
}

bool match(std::string_view pattern, std::string_view path, std::vector<std::string>& params) {
  params.clear();
  std::size_t pi = 0;
  std::size_t xi = 0;
  while (pi < pattern.size()) {
    if (pattern.compare(pi, 2, "{}") == 0) {
      const std::size_t end = path.find('/', xi);
      const std::string_view seg =
          path.substr(xi, end == std::string_view::npos ? std::string_view::npos : end - xi);
      if (seg.empty() || seg.size() > 128) return false;
      params.emplace_back(seg);
      xi += seg.size();
      pi += 2;
      continue;
    }
    if (xi >= path.size() || pattern[pi] != path[xi]) return false;
    ++pi;
    ++xi;
  }
  return xi == path.size();
}

std::string cookie_value(const Request& req, std::string_view name) {
  for (auto it = req.find(http::field::cookie);
       it != req.end() && it->name() == http::field::cookie; ++it) {
    std::string_view v(it->value().data(), it->value().size());
    while (!v.empty()) {
      const auto semi = v.find(';');
      std::string_view part = v.substr(0, semi);
      while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
      const auto eq = part.find('=');
      if (eq != std::string_view::npos && part.substr(0, eq) == name) {
        return std::string(part.substr(eq + 1));
      }
      if (semi == std::string_view::npos) break;
      v.remove_prefix(semi + 1);
    }
  }
  return {};
}

std::string header(const Request& req, std::string_view name) {
  const auto it = req.find(name);
  return it == req.end() ? std::string() : std::string(it->value());
}

bool missing_host(const Request& req) {
  return req.version() >= 11 && req.find(http::field::host) == req.end();
}

bool is_unsafe(http::verb v) {
  return v != http::verb::get && v != http::verb::head && v != http::verb::options;
}

namespace {

std::string percent_decode_param(std::string_view in) {
  std::string out;
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '+') {
      out += ' ';
    } else if (in[i] == '%' && i + 2 < in.size() + 0 && i + 2 <= in.size() - 1 + 1) {
      auto hex = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
      };
      if (i + 2 >= in.size()) return out;
      const int hi = hex(in[i + 1]);
      const int lo = hex(in[i + 2]);
      if (hi < 0 || lo < 0) return out;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      out += in[i];
    }
  }
  return out;
}

const std::vector<Route>& all_routes() {
  static const std::vector<Route> kRoutes = [] {
    std::vector<Route> r = auth_routes();
    for (auto& x : admin_routes()) r.push_back(std::move(x));
    for (auto& x : device_routes()) r.push_back(std::move(x));
    return r;
  }();
  return kRoutes;
}

}  // namespace

// ---- helpers declared in app_internal.h

tl::unexpected<ApiError> api_error(const Error& e) {
  const ApiCode code = api_code_for(e.code);
  if (code == ApiCode::kInternal) {
    return api_error(code, "the server could not complete the request (" +
                               std::string(error_code_name(e.code)) + "); see the server's log");
  }
  return api_error(code, e.message);
}

std::string App::Ctx::query_param(std::string_view name) const {
  std::string_view q = query;
  while (!q.empty()) {
    const auto amp = q.find('&');
    const std::string_view part = q.substr(0, amp);
    const auto eq = part.find('=');
    if (part.substr(0, eq) == name) {
      return eq == std::string_view::npos ? std::string()
                                          : percent_decode_param(part.substr(eq + 1));
    }
    if (amp == std::string_view::npos) break;
    q.remove_prefix(amp + 1);
  }
  return {};
}

tl::expected<std::string, ApiError> str_field(const json& body, const char* name,
                                              std::size_t max_len, bool required) {
  const auto it = body.find(name);
  if (it == body.end() || it->is_null()) {
    if (!required) return std::string();
    return api_error(ApiCode::kBadRequest, std::string("the field \"") + name + "\" is required");
  }
  if (!it->is_string()) {
    return api_error(ApiCode::kBadRequest,
                     std::string("the field \"") + name + "\" must be a string");
  }
  const auto& s = it->get_ref<const std::string&>();
  if (s.size() > max_len) {
    return api_error(ApiCode::kBadRequest, std::string("the field \"") + name +
                                               "\" is longer than " + std::to_string(max_len) +
                                               " bytes");
  }
  return s;
}

tl::expected<std::int64_t, ApiError> int_field(const json& body, const char* name, std::int64_t min,
                                               std::int64_t max, std::int64_t fallback) {
  const auto it = body.find(name);
  if (it == body.end() || it->is_null()) return fallback;
  if (!it->is_number_integer()) {
    return api_error(ApiCode::kBadRequest,
                     std::string("the field \"") + name + "\" must be an integer");
  }
  const auto v = it->get<std::int64_t>();
  if (v < min || v > max) {
    return api_error(ApiCode::kBadRequest, std::string("the field \"") + name +
                                               "\" must be between " + std::to_string(min) +
                                               " and " + std::to_string(max));
  }
  return v;
}

tl::expected<std::vector<std::string>, ApiError> str_list_field(const json& body, const char* name,
                                                                std::size_t max_items) {
  const auto it = body.find(name);
  std::vector<std::string> out;
  if (it == body.end() || it->is_null()) return out;
  if (!it->is_array() || it->size() > max_items) {
    return api_error(ApiCode::kBadRequest, std::string("the field \"") + name +
                                               "\" must be a list of at most " +
                                               std::to_string(max_items) + " strings");
  }
  for (const auto& v : *it) {
    if (!v.is_string() || v.get_ref<const std::string&>().size() > 128) {
      return api_error(ApiCode::kBadRequest,
                       std::string("the field \"") + name + "\" must hold only short strings");
    }
    out.push_back(v.get<std::string>());
  }
  return out;
}

// ---- App

App::App(AppConfig config, Store& store, audit::AuditLog& audit, settings::SettingsEngine& engine,
         const settings::SettingsState& settings, const Clock& clock, SecretBox secrets)
    : config_(std::move(config)),
      store_(store),
      audit_(audit),
      engine_(engine),
      snapshot_(std::make_shared<const settings::Snapshot>(settings)),
      clock_(clock),
      secrets_(std::move(secrets)),
      started_s_(clock.now()),
      repo_files_(config_.repo_dir),
      authenticator_(std::make_unique<Authenticator>(store, store, store, audit)),
      dispatcher_(std::make_unique<Dispatcher>(all_routes(), store, audit, *authenticator_)) {}

App::~App() = default;

void App::set_public_origin(std::string origin, std::vector<std::string> also_accepted) {
  config_.public_origin = origin;
  authenticator_->set_origins(std::move(origin), std::move(also_accepted));
}

Response App::limit_response(http::status status, std::string_view message) {
  Response res = json_response(11, status, error_body(limit_code_for(status), message));
  res.set(settings::kChimeHeader, settings()->chime());  // every answer carries it (docs/api.md)
  return res;
}

bool App::remember_nonce(const std::string& nonce, std::int64_t now_s, std::int64_t expires_s) {
  const std::lock_guard<std::mutex> lock(nonce_mutex_);
  if (nonces_.size() > 100000) {
    std::erase_if(nonces_, [now_s](const auto& kv) { return kv.second < now_s; });
  }
  return nonces_.emplace(nonce, expires_s).second;
}

crypto::AllowedSchemes App::allowed_schemes() const {
  return crypto::AllowedSchemes::from_setting(
      settings()->get(settings::key::kCryptoAllowedSignatureAlgorithms));
}

Status App::reload_settings() {
  const std::lock_guard<std::mutex> lock(engine_mutex_);
  auto state = engine_.state();
  if (!state) {
    // The last settings read stay in force (they were valid); the operator is told at once
    // and once, not every minute.
    if (!settings_unreadable_) {
      settings_unreadable_ = true;
      audit::Event e;
      e.actor_kind = audit::ActorKind::kSystem;
      e.actor_id = "system";
      e.action = "settings.unreadable";
      e.object = "settings";
      e.outcome = audit::Outcome::kFailure;
      e.reason = "the settings cannot be read (" + state.error().message +
                 "); the last settings read stay in force until they can";
      ignore_error(audit_.record(std::move(e)));  // the error is also returned
    }
    return tl::unexpected(state.error());
  }
  settings_unreadable_ = false;
  snapshot_.store(std::make_shared<const settings::Snapshot>(*state));
  return ok();
}

Result<std::optional<std::string>> App::issue_setup_code() {
  DSS_TRY(auto users, store_.count_users());
  if (users > 0) return std::optional<std::string>();
  std::string code = identity::generate_setup_code();
  DSS_TRY_STATUS(store_.set_setup_code(identity::token_hash(identity::normalize_setup_code(code)),
                                       clock_.now_ms() + kSetupCodeLifetimeMs));
  audit::Event e;
  e.actor_kind = audit::ActorKind::kSystem;
  e.actor_id = "system";
  e.action = "auth.setup_code";
  e.object = "setup-code";
  e.reason = "no account exists yet; a one-time setup code was shown on the server's terminal";
  DSS_TRY_STATUS(audit_.record(std::move(e)));
  return std::optional<std::string>(std::move(code));
}

void App::tick() {
  ignore_error(
      store_.prune_failures(clock_.now_ms() - std::int64_t{2} * 3600 * 1000));  // best effort
  {
    const std::lock_guard<std::mutex> lock(engine_mutex_);
    ignore_error(engine_.emit_due_reminder());  // recorded in the audit log when due
  }
  // Changes made with `dss settings` on this machine take effect within a minute.
  ignore_error(reload_settings());  // on failure the last settings stay, and it is recorded
}

std::optional<Response> App::handle_fast(const Request& req) {
  std::optional<Response> res;
  if (missing_host(req)) {
    res = limit_response(http::status::bad_request, "an HTTP/1.1 request must carry a Host header");
    return res;
  }
  res = fast_answer(req);
  if (res) res->set(settings::kChimeHeader, settings()->chime());  // every answer carries it
  return res;
}

std::optional<Response> App::fast_answer(const Request& req) {
  const std::string_view target(req.target().data(), req.target().size());
  const bool get = req.method() == http::verb::get || req.method() == http::verb::head;
  if (target == "/api/v1/health" && get) {
    json body{{"status", "ok"}, {"version", config_.product_version}};
    if (const std::int64_t not_after = certificate_not_after_s_.load();
        not_after > 0 && wall_clock_ != nullptr) {
      body["certificate"] = {{"expires_at", audit::format_time_ms(not_after * 1000)}};
      // The console's warning, on the API too, so monitoring sees it before clients fail.
      const std::string warning = certificate_warning(not_after, wall_clock_->now());
      if (!warning.empty()) body["certificate"]["warning"] = warning;
    }
    return json_response(req.version(), http::status::ok, body);
  }
  if (target == "/.well-known/security.txt" && get) {
    // RFC 9116: Expires less than a year ahead; recomputed on each request so it never lapses.
    const UnixSeconds expires = clock_.now() + 180LL * 24 * 3600;
    std::string body = "Contact: " + config_.security_contact + "\n";
    body += "Expires: " + format_utc_timestamp(expires) + "\n";
    body += "Policy: " + config_.security_policy + "\n";
    body += "Preferred-Languages: " + config_.security_languages + "\n";
    if (!config_.public_origin.empty()) {
      body += "Canonical: " + config_.public_origin + "/.well-known/security.txt\n";
    }
    Response res{http::status::ok, req.version()};
    res.set(http::field::content_type, "text/plain; charset=utf-8");
    res.set(http::field::cache_control, "max-age=3600");
    set_security_headers(res);
    res.body() = std::move(body);
    return res;
  }
  if (target.rfind("/repo/", 0) != 0) return std::nullopt;
  if (!get) {
    Response res = limit_response(http::status::method_not_allowed,
                                  "the repository is read-only: use GET or HEAD");
    res.set(http::field::allow, "GET, HEAD");
    return res;
  }
  auto file = repo_files_.serve(req, target.substr(6));
  if (!file) return limit_response(file.error().status, file.error().message);
  set_security_headers(*file);
  return std::move(*file);
}

Response App::handle(Request& req, const Peer& peer) {
  Ctx ctx{*this, req, peer};
  return dispatcher_->dispatch(ctx);
}

}  // namespace dss::server
