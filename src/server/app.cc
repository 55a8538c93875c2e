#include "server/app.h"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cstdio>

#include "core/json.h"
#include "crypto/hash.h"
#include "identity/token.h"
#include "platform/files.h"
#include "server/app_internal.h"
#include "settings/chime.h"
#include "settings/state.h"

namespace dss::server {

namespace {

constexpr std::int64_t kSetupCodeLifetimeMs = std::int64_t{30} * 60 * 1000;
constexpr std::int64_t kChimeRefreshMs = 1000;
constexpr std::uint64_t kMaxCachedFile = 16ull * 1024 * 1024;

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

// RFC 9112 §3.2: a server answers 400 to an HTTP/1.1 request that lacks a Host header.
bool missing_host(const Request& req) {
  return req.version() >= 11 && req.find(http::field::host) == req.end();
}

bool is_unsafe(http::verb v) {
  return v != http::verb::get && v != http::verb::head && v != http::verb::options;
}

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

App::App(AppConfig config, Store& store, audit::AuditLog& audit, settings::SettingsEngine& settings,
         const Clock& clock, SecretBox secrets)
    : config_(std::move(config)),
      store_(store),
      audit_(audit),
      settings_(settings),
      clock_(clock),
      secrets_(std::move(secrets)),
      started_s_(clock.now()) {
  std::error_code ec;
  if (!config_.repo_dir.empty()) repo_root_ = std::filesystem::canonical(config_.repo_dir, ec);
}

Response App::limit_response(http::status status, std::string_view message) {
  Response res = json_response(11, status, error_body(limit_code_for(status), message));
  res.set(settings::kChimeHeader, chime_value());  // every answer carries it (docs/api.md)
  return res;
}

bool App::remember_nonce(const std::string& nonce, std::int64_t now_s, std::int64_t expires_s) {
  const std::lock_guard<std::mutex> lock(nonce_mutex_);
  if (nonces_.size() > 100000) {
    std::erase_if(nonces_, [now_s](const auto& kv) { return kv.second < now_s; });
  }
  return nonces_.emplace(nonce, expires_s).second;
}

std::int64_t App::setting_int(std::string_view key, std::int64_t fallback) {
  const std::lock_guard<std::mutex> lock(settings_mutex_);
  auto state = settings_.state();
  if (!state) return fallback;
  auto eff = settings::resolve_one(*state, key);
  if (!eff) return fallback;
  if (const auto* v = std::get_if<std::int64_t>(&eff->value)) return *v;
  return fallback;
}

bool App::setting_bool(std::string_view key, bool fallback) {
  const std::lock_guard<std::mutex> lock(settings_mutex_);
  auto state = settings_.state();
  if (!state) return fallback;
  auto eff = settings::resolve_one(*state, key);
  if (!eff) return fallback;
  if (const auto* v = std::get_if<bool>(&eff->value)) return *v;
  return fallback;
}

std::string App::chime_value() {
  const std::int64_t now = clock_.now_ms();
  {
    const std::lock_guard<std::mutex> lock(chime_mutex_);
    if (chime_checked_ms_ >= 0 && now - chime_checked_ms_ < kChimeRefreshMs &&
        now >= chime_checked_ms_) {
      return chime_value_;
    }
  }
  std::string value = "none";
  {
    const std::lock_guard<std::mutex> lock(settings_mutex_);
    if (auto state = settings_.state()) value = settings::chime_header_value(*state);
  }
  const std::lock_guard<std::mutex> lock(chime_mutex_);
  chime_value_ = value;
  chime_checked_ms_ = now;
  return value;
}

void App::invalidate_chime() {
  const std::lock_guard<std::mutex> lock(chime_mutex_);
  chime_checked_ms_ = -1;
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
  const std::lock_guard<std::mutex> lock(settings_mutex_);
  ignore_error(settings_.emit_due_reminder());  // recorded in the audit log when due
}

std::shared_ptr<const App::CachedFile> App::cached_file(const std::filesystem::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode) ||
      static_cast<std::uint64_t>(st.st_size) > kMaxCachedFile) {
    return nullptr;
  }
  const std::int64_t mtime_ns =
      static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  {
    const std::lock_guard<std::mutex> lock(cache_mutex_);
    const auto it = file_cache_.find(path.string());
    if (it != file_cache_.end() && it->second->mtime_ns == mtime_ns &&
        it->second->size == static_cast<std::uint64_t>(st.st_size) &&
        it->second->inode == st.st_ino) {
      return it->second;  // the very file that passed the check below when it was cached
    }
  }
  // No symlinks out of the served part: the canonical path must stay under the repository's
  // metadata/, targets/ or published transparency files (its keys/ directory, say, is never
  // served).
  std::error_code ec;
  const std::string canon = std::filesystem::canonical(path, ec).string();
  const std::string root = repo_root_.string();
  if (ec || repo_root_.empty() ||
      (canon.rfind(root + "/metadata/", 0) != 0 && canon.rfind(root + "/targets/", 0) != 0 &&
       canon != root + "/transparency/checkpoint" &&
       canon.rfind(root + "/transparency/entries/", 0) != 0 &&
       canon.rfind(root + "/transparency/consistency/", 0) != 0)) {
    return nullptr;
  }
  auto text = platform::read_text_file(canon, kMaxCachedFile);
  if (!text) return nullptr;
  auto entry = std::make_shared<CachedFile>();
  entry->body = std::move(*text);
  entry->mtime_ns = mtime_ns;
  entry->size = entry->body.size();
  entry->inode = st.st_ino;
  // A strong validator from the content alone: the same bytes give the same tag after a copy
  // or a restore, and the tag reveals no inode or modification time.
  entry->etag = "\"" + crypto::sha256_hex(entry->body) + "\"";
  const std::lock_guard<std::mutex> lock(cache_mutex_);
  if (file_cache_.size() > 4096) file_cache_.clear();
  file_cache_[path.string()] = entry;
  return entry;
}

std::optional<Response> App::handle_fast(const Request& req) {
  std::optional<Response> res;
  if (missing_host(req)) {
    res = limit_response(http::status::bad_request, "an HTTP/1.1 request must carry a Host header");
    return res;
  }
  res = fast_answer(req);
  if (res) res->set(settings::kChimeHeader, chime_value());  // every answer carries it
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
  if (config_.repo_dir.empty()) {
    return limit_response(http::status::not_found, "this server serves no repository");
  }
  // Only metadata/, targets/ and the published transparency files (checkpoint, entries/,
  // consistency/; never the log's private store) of the repository; plain names, no dot
  // segments, no escapes.
  const std::string_view rel = target.substr(6);
  const bool transparency = rel == "transparency/checkpoint" ||
                            rel.rfind("transparency/entries/", 0) == 0 ||
                            rel.rfind("transparency/consistency/", 0) == 0;
  const bool allowed_top =
      rel.rfind("metadata/", 0) == 0 || rel.rfind("targets/", 0) == 0 || transparency;
  bool clean = allowed_top && rel.size() < 1024;
  std::size_t start = 0;
  while (clean && start <= rel.size()) {
    const std::size_t slash = rel.find('/', start);
    const std::string_view seg =
        rel.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (seg.empty() || seg == "." || seg == ".." || seg.front() == '.') clean = false;
    for (const char c : seg) {
      const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '.' || c == '-' || c == '_' || c == '+';
      if (!ok) clean = false;
    }
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  if (!clean) return limit_response(http::status::not_found, "no such repository file");
  auto file = cached_file(config_.repo_dir / std::string(rel));
  if (!file) return limit_response(http::status::not_found, "no such repository file");
  Response res{http::status::ok, req.version()};
  const bool is_json = rel.size() > 5 && rel.substr(rel.size() - 5) == ".json";
  res.set(http::field::content_type, is_json ? "application/json" : "application/octet-stream");
  // timestamp.json changes every few minutes; versioned files (consistent snapshots, targets
  // by hash) never change.
  // The transparency files are rewritten at every append.
  const bool mutable_name = rel == "metadata/timestamp.json" || rel == "metadata/root.json" ||
                            rel == "metadata/snapshot.json" || rel == "metadata/targets.json" ||
                            transparency;
  res.set(http::field::cache_control, mutable_name ? "public, max-age=60, must-revalidate"
                                                   : "public, max-age=31536000, immutable");
  res.set(http::field::etag, file->etag);
  set_security_headers(res);
  if (const auto inm = req.find(http::field::if_none_match);
      inm != req.end() && inm->value() == file->etag) {
    res.result(http::status::not_modified);
    return res;
  }
  if (req.method() == http::verb::head) {
    res.content_length(file->size);
    return res;
  }
  res.body() = file->body;
  return res;
}

Response App::handle(Request& req, const Peer& peer) {
  Ctx ctx{*this, req, peer};
  auto finish = [&](http::status status, const json& body) {
    Response res = json_response(req.version(), status, body);
    for (const auto& [k, v] : ctx.headers) res.set(k, v);
    res.set(settings::kChimeHeader, chime_value());
    return res;
  };
  const auto record = [&](bool success, const std::string& reason) -> Status {
    audit::Event e;
    e.actor_kind = ctx.actor_kind;
    e.actor_id = ctx.actor_id;
    e.source_address = peer.address;
    e.action = ctx.action.empty() ? "api.read" : ctx.action;
    e.object = ctx.object.empty() ? ctx.path : ctx.object;
    e.outcome = success ? audit::Outcome::kSuccess : audit::Outcome::kFailure;
    e.reason = reason.size() > 500 ? reason.substr(0, 500) : reason;
    e.details = ctx.details;
    e.details.emplace_back("http.method", std::string(req.method_string()));
    e.details.emplace_back("http.path", ctx.path);
    if (ctx.principal && ctx.principal->session) {
      e.details.emplace_back("session", audit::session_ref(ctx.session_token));
    }
    return audit_.record(std::move(e));
  };
  const auto fail = [&](const ApiError& err) {
    const Status st = record(false, std::string(api_code_name(err.code)) + ": " + err.message);
    if (!st && is_unsafe(req.method())) {
      return finish(http::status::service_unavailable,
                    error_body(ApiCode::kAuditUnavailable,
                               "the audit log cannot record right now, so nothing was changed; "
                               "the server's operator must fix the audit log's storage"));
    }
    return finish(err.status(), error_body(err.code, err.message));
  };

  if (missing_host(req)) {
    return fail({ApiCode::kBadRequest, "an HTTP/1.1 request must carry a Host header"});
  }
  if (!split_target(std::string_view(req.target().data(), req.target().size()), ctx.path,
                    ctx.query)) {
    return fail({ApiCode::kBadRequest, "the request path is not valid"});
  }
  if (ctx.path.size() > 1 && ctx.path.back() == '/') ctx.path.pop_back();

  const Route* route = nullptr;
  bool path_known = false;
  for (const Route& r : all_routes()) {
    if (!match(r.pattern, ctx.path, ctx.params)) continue;
    path_known = true;
    if (r.method == req.method()) {
      route = &r;
      break;
    }
  }
  if (route == nullptr) {
    ctx.params.clear();
    if (path_known) {
      return fail({ApiCode::kMethodNotAllowed,
                   "this path does not accept " + std::string(req.method_string())});
    }
    return fail({ApiCode::kNotFound, "no API endpoint at " + ctx.path + "; see docs/api.md"});
  }
  ctx.action = std::string(route->action);
  for (const auto& p : ctx.params) {
    if (!ctx.object.empty()) ctx.object += '/';
    ctx.object += p;
  }

  // The body: JSON objects only, with exactly the route's fields (an empty body is {}).
  ctx.body = json::object();
  if (!req.body().empty()) {
    if (route->fields.empty()) {
      return fail({ApiCode::kBadRequest, "this endpoint takes no body"});
    }
    // RFC 9110 §8.3.1: the type and subtype are case-insensitive; white space may precede ';'.
    const std::string type = header(req, "Content-Type");
    std::string base = type.substr(0, type.find(';'));
    while (!base.empty() && (base.back() == ' ' || base.back() == '\t')) base.pop_back();
    std::transform(base.begin(), base.end(), base.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (base != "application/json") {
      return fail({ApiCode::kUnsupportedMediaType,
                   "send the body as JSON with Content-Type: application/json"});
    }
    const bool own_schema = route->fields.size() == 1 && route->fields.front() == "*";
    // Otherwise the handler validates the body against its own schema.
    if (!own_schema) {
      // Standard JSON, UTF-8 checked, no duplicate keys (simdjson), then a JSON value to read.
      thread_local dss::json::JsonParser parser;
      auto doc = parser.parse_copy(req.body());
      if (!doc) {
        return fail({ApiCode::kBadRequest, "the body is not valid JSON: " + doc.error().message});
      }
      if (!doc->is_object()) {
        return fail({ApiCode::kBadRequest, "the body must be a JSON object"});
      }
      std::vector<std::string_view> seen;
      dss::json::Object object;
      if (doc->get_object().get(object) != simdjson::SUCCESS) {
        return fail({ApiCode::kBadRequest, "the body must be a JSON object"});
      }
      for (auto field : object) {
        const std::string_view key = field.key;
        if (std::find(seen.begin(), seen.end(), key) != seen.end()) {
          return fail(
              {ApiCode::kBadRequest, "the field \"" + std::string(key) + "\" appears twice"});
        }
        seen.push_back(key);
        if (std::find(route->fields.begin(), route->fields.end(), key) == route->fields.end()) {
          std::string allowed;
          for (const auto f : route->fields)
            allowed += (allowed.empty() ? "" : ", ") + std::string(f);
          return fail({ApiCode::kBadRequest, "unknown field \"" + std::string(key).substr(0, 64) +
                                                 "\"; this endpoint accepts: " + allowed});
        }
      }
      ctx.body = json::parse(req.body(), nullptr, false);
      if (ctx.body.is_discarded() || !ctx.body.is_object()) {
        return fail({ApiCode::kBadRequest, "the body must be a JSON object"});
      }
    }
  }

  // Who is asking.
  if (route->access == Access::kSessionAny || route->access == Access::kActive) {
    const std::string bearer = header(req, "Authorization");
    ctx.session_token = cookie_value(req, kSessionCookie);
    const std::int64_t now = ctx.now_ms();
    if (bearer.rfind("Bearer ", 0) == 0) {
      const std::string token = bearer.substr(7);
      auto rec = store_.token_by_hash(identity::token_hash(token));
      if (!rec) return fail(api_error(rec.error()).value());
      if (!*rec || (*rec)->revoked_ms || (*rec)->expires_ms <= now) {
        return fail({ApiCode::kUnauthenticated,
                     "the API token is unknown, revoked or expired; create a new one"});
      }
      auto user = store_.user_by_id((*rec)->user_id);
      if (!user || !*user || (*user)->disabled) {
        return fail({ApiCode::kUnauthenticated, "the API token's account is disabled"});
      }
      Principal p;
      p.user = **user;
      p.token = **rec;
      // Scoped: the token's roles, and only while the account still holds them.
      std::vector<std::string> roles;
      for (const auto& r : (*rec)->roles) {
        if (std::find(p.user.roles.begin(), p.user.roles.end(), r) != p.user.roles.end()) {
          roles.push_back(r);
        }
      }
      p.permissions = permissions_of(roles);
      p.actor_id = "token:" + std::to_string((*rec)->id) + ":" + p.user.name;
      ctx.actor_kind = audit::ActorKind::kApiToken;
      ctx.actor_id = p.actor_id;
      ctx.principal = std::move(p);
      ignore_error(store_.note_token_use((*rec)->id, now));  // a convenience, not a control
    } else if (!ctx.session_token.empty()) {
      auto rec = store_.session_by_token(identity::token_hash(ctx.session_token));
      if (!rec) return fail(api_error(rec.error()).value());
      if (!*rec) {
        ctx.headers.emplace_back("Set-Cookie", session_cookie("", 0));
        return fail({ApiCode::kUnauthenticated, "the session has ended; sign in again"});
      }
      SessionRecord s = **rec;
      const std::int64_t idle_ms = setting_int("session.idle_timeout_minutes", 30) * 60 * 1000;
      const std::int64_t life_ms =
          s.state == SessionState::kActive
              ? setting_int("session.absolute_lifetime_hours", 12) * 3600 * 1000
              : kPendingSessionMs;
      auto user = store_.user_by_id(s.user_id);
      const bool disabled = !user || !*user || (*user)->disabled;
      if (now - s.last_seen_ms >= idle_ms || now - s.created_ms >= life_ms || disabled) {
        const std::string why = disabled                        ? "account disabled"
                                : now - s.created_ms >= life_ms ? "absolute lifetime reached"
                                                                : "idle timeout";
        ignore_error(store_.end_session(s.id, s.user_id, why, now));  // the 401 stands either way
        audit::Event e;
        e.actor_kind = audit::ActorKind::kSystem;
        e.actor_id = "system";
        e.action = "session.expire";
        e.object = "user:" + (user && *user ? (*user)->name : std::string("?"));
        e.reason = why;
        e.source_address = peer.address;
        e.details.emplace_back("session", audit::session_ref(ctx.session_token));
        ignore_error(audit_.record(std::move(e)));  // the request is refused regardless
        ctx.headers.emplace_back("Set-Cookie", session_cookie("", 0));
        return fail(
            {ApiCode::kSessionExpired, "the session has expired (" + why + "); sign in again"});
      }
      ignore_error(store_.touch_session(s.id, now));  // a failure only shortens the session
      Principal p;
      p.user = **user;
      p.session = s;
      p.permissions = s.state == SessionState::kActive ? permissions_of(p.user.roles) : 0;
      p.actor_id = "user:" + p.user.name;
      ctx.actor_kind = audit::ActorKind::kUser;
      ctx.actor_id = p.actor_id;
      ctx.principal = std::move(p);
      // CSRF: a cookie-authenticated change must come from our own origin and carry the token.
      if (is_unsafe(req.method())) {
        const std::string origin = header(req, "Origin");
        const bool accepted = !origin.empty() && (origin == config_.public_origin ||
                                                  std::find(also_accepted_origins_.begin(),
                                                            also_accepted_origins_.end(), origin) !=
                                                      also_accepted_origins_.end());
        if (!accepted) {
          return fail({ApiCode::kCsrf, "cross-site request refused: the Origin header must be " +
                                           config_.public_origin});
        }
        if (!identity::constant_time_equal(header(req, "X-CSRF-Token"),
                                           csrf_token_for(ctx.session_token))) {
          return fail({ApiCode::kCsrf,
                       "cross-site request refused: send the X-CSRF-Token given at sign-in"});
        }
      }
    } else {
      return fail({ApiCode::kUnauthenticated,
                   "sign in first (POST /api/v1/auth/login), or send an API token as "
                   "Authorization: Bearer"});
    }
    if (route->access == Access::kActive && ctx.principal->session &&
        ctx.principal->session->state != SessionState::kActive) {
      const bool enrol = ctx.principal->session->state == SessionState::kMfaEnrolment;
      return fail({enrol ? ApiCode::kMfaEnrolmentRequired : ApiCode::kMfaRequired,
                   enrol ? "set up a second factor first: POST /api/v1/auth/mfa/totp/enrol"
                         : "confirm your second factor first: POST /api/v1/auth/mfa"});
    }
    if (route->permission != 0 && (ctx.principal->permissions & route->permission) == 0) {
      const std::string needed = std::string(permission_names(route->permission).front());
      audit::Event e;
      e.actor_kind = ctx.actor_kind;
      e.actor_id = ctx.actor_id;
      e.source_address = peer.address;
      e.action = "authz.denied";
      e.object = ctx.path;
      e.outcome = audit::Outcome::kFailure;
      e.reason = "missing permission " + needed;
      const Status st = audit_.record(std::move(e));
      (void)st;  // the refusal stands either way
      return finish(
          http::status::forbidden,
          error_body(ApiCode::kForbidden, "your roles do not include the permission '" + needed +
                                              "'; ask an owner for a role that has it"));
    }
    if (route->reauth) {
      if (!ctx.principal->session) {
        return fail({ApiCode::kReauthRequired,
                     "this is a sensitive action: a person must do it in a signed-in session, "
                     "not with an API token"});
      }
      if (now - ctx.principal->session->reauth_ms > kReauthWindowMs) {
        return fail({ApiCode::kReauthRequired,
                     "this is a sensitive action: confirm your password and second factor "
                     "first (POST /api/v1/auth/reauth), then retry within 10 minutes"});
      }
    }
  }

  // The route's commit policy (Commit in app_internal.h): kAtomic runs the handler's store
  // calls and the audit append in one transaction, rolled back if either fails.
  const bool atomic = route->commit == Commit::kAtomic;
  std::optional<Outcome> out;
  bool audit_failed = false;
  if (atomic) {
    const Status tx = store_.in_transaction([&]() -> Status {
      out = route->handler(ctx);
      if (!*out) return make_error(ErrorCode::kFailedPrecondition, "handler refused");
      if (Status st = record(true, ctx.reason); !st) {
        audit_failed = true;
        return st;
      }
      return ok();
    });
    if (!tx && !audit_failed && out && *out) {
      return fail(api_error(tx.error()).value());  // the commit itself failed
    }
  } else {
    out = route->handler(ctx);
    if (*out) audit_failed = !record(true, ctx.reason);
  }
  if (!*out) return fail(out->error());
  if (audit_failed) {
    ctx.headers.clear();  // no cookie, no token: the action did not take effect for the caller
    return finish(http::status::service_unavailable,
                  error_body(ApiCode::kAuditUnavailable,
                             "the audit log cannot record right now, so the request was refused; "
                             "the server's operator must fix the audit log's storage"));
  }
  return finish((*out)->status, (*out)->body);
}

}  // namespace dss::server
