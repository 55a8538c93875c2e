// Shared by the route handlers (app_*.cc): the request context, the reply type and helpers.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "server/api_error.h"
#include "server/app.h"
#include "settings/snapshot.h"

namespace dss::server {

// An error answer: its code (which fixes the HTTP status, server/api_error.h) and a message
// saying what was wrong and what to do.
struct ApiError {
  ApiCode code = ApiCode::kBadRequest;
  std::string message;
  [[nodiscard]] http::status status() const { return api_status(code); }
};

struct Reply {
  http::status status = http::status::ok;
  json body = json::object();
};

using Outcome = tl::expected<Reply, ApiError>;

inline tl::unexpected<ApiError> api_error(ApiCode code, std::string message) {
  return tl::unexpected(ApiError{code, std::move(message)});
}
// The API error for a library error, by api_code_for (kNotFound -> 404 not_found,
// kWeakPassword -> 400 weak_password, ...). An internal error's message is replaced by a
// pointer to the server's log.
tl::unexpected<ApiError> api_error(const Error& e);
inline Outcome ok_reply(json body, http::status status = http::status::ok) {
  return Reply{status, std::move(body)};
}

enum class Access {
  kPublic,      // no credentials (login, setup, device enrolment)
  kDevice,      // a signed device request
  kSessionAny,  // a session, even one still waiting for its second factor
  kActive,      // a fully signed-in session, or an API token
};

struct App::Ctx {
  Ctx(App& a, Request& r, const Peer& p) : app(a), req(r), peer(p), settings(a.settings()) {}
  App& app;
  Request& req;
  const Peer& peer;
  // The settings as they were when the request arrived: one consistent view for all of it.
  std::shared_ptr<const settings::Snapshot> settings;
  std::string path;
  std::string query;
  std::vector<std::string> params;  // the {} segments of the route, in order
  json body;                        // the parsed JSON body (an object) when there is one
  std::optional<Principal> principal;
  std::string session_token;  // the raw session token from the cookie (never logged)
  // Audit fields, filled in by the handler.
  std::string actor_id = "anonymous";
  audit::ActorKind actor_kind = audit::ActorKind::kAnonymous;
  std::string action;
  std::string object;
  std::string reason;
  std::vector<std::pair<std::string, std::string>> details;
  std::vector<std::pair<std::string, std::string>> headers;  // extra response headers

  [[nodiscard]] std::int64_t now_ms() const { return app.clock().now_ms(); }
  [[nodiscard]] std::int64_t now_s() const { return app.clock().now(); }
  // The query parameter's value ("" when absent).
  [[nodiscard]] std::string query_param(std::string_view name) const;
};

// HTTP helpers (app.cc).
void set_security_headers(Response& res);
Response json_response(unsigned version, http::status status, const json& body);
json error_body(ApiCode code, std::string_view message);
// Splits a request target into its path and query; false for one that is not a plain path.
bool split_target(std::string_view target, std::string& path, std::string& query);
// Whether `path` matches a route pattern, whose "{}" segments go to `params` in order.
bool match(std::string_view pattern, std::string_view path, std::vector<std::string>& params);
std::string cookie_value(const Request& req, std::string_view name);
std::string header(const Request& req, std::string_view name);
// RFC 9112 §3.2: a server answers 400 to an HTTP/1.1 request that lacks a Host header.
bool missing_host(const Request& req);
bool is_unsafe(http::verb v);

// Body field accessors: 400 naming the field when it is missing or of the wrong type.
// Unknown fields are refused before the handler runs (each route lists its fields).
tl::expected<std::string, ApiError> str_field(const json& body, const char* name,
                                              std::size_t max_len, bool required = true);
tl::expected<std::int64_t, ApiError> int_field(const json& body, const char* name, std::int64_t min,
                                               std::int64_t max, std::int64_t fallback);
tl::expected<std::vector<std::string>, ApiError> str_list_field(const json& body, const char* name,
                                                                std::size_t max_items);

// NOLINTBEGIN(bugprone-macro-parentheses): `var` is a declaration, as in DSS_TRY.
#define DSS_API_TRY(var, expr)                                                \
  auto DSS_CONCAT(api_tmp_, __LINE__) = (expr);                               \
  if (!DSS_CONCAT(api_tmp_, __LINE__))                                        \
    return tl::unexpected(std::move(DSS_CONCAT(api_tmp_, __LINE__)).error()); \
  var = std::move(*DSS_CONCAT(api_tmp_, __LINE__))

// A library Result's error as an API error.
#define DSS_API_CHECK(var, expr)                                             \
  auto DSS_CONCAT(api_res_, __LINE__) = (expr);                              \
  if (!DSS_CONCAT(api_res_, __LINE__))                                       \
    return ::dss::server::api_error(DSS_CONCAT(api_res_, __LINE__).error()); \
  var = std::move(*DSS_CONCAT(api_res_, __LINE__))
// NOLINTEND(bugprone-macro-parentheses)

#define DSS_API_STATUS(expr)                                        \
  do {                                                              \
    auto api_st_ = (expr);                                          \
    if (!api_st_) return ::dss::server::api_error(api_st_.error()); \
  } while (0)

using Handler = Outcome (*)(App::Ctx&);

// How a route's store changes and its audit event commit (App::handle). Every route states it.
enum class Commit {
  // The handler's store writes and the audit event commit in one transaction, or neither: a
  // change by a person never happens unaudited (fail closed).
  kAtomic,
  // Not wrapped; the audit event follows the handler, and the answer (cookie, token) is
  // withheld if it cannot be recorded. For reads; for sign-in steps, which must not hold the
  // store during Argon2id; and for device reports, which must not hold it under fleet load.
  kAuditAfter,
};

struct Route {
  http::verb method;
  std::string_view pattern;  // "/api/v1/users/{}/disable"
  Access access;
  std::uint32_t permission;  // 0: any authenticated caller (per `access`)
  bool reauth;               // sensitive: a fresh password + second factor within 10 minutes
  std::string_view action;   // the audit action ("" for reads: "api.read")
  Commit commit;
  std::vector<std::string_view> fields;  // the JSON body's allowed fields; empty: no body
  Handler handler;
};

// Route tables, one per area.
std::vector<Route> auth_routes();
std::vector<Route> admin_routes();
std::vector<Route> device_routes();

// Helpers shared by the areas.
inline std::uint32_t perm(Permission p) { return static_cast<std::uint32_t>(p); }
json user_json(const UserRecord& u, const std::vector<FactorRecord>& factors);
// Account names: 1-64 of [A-Za-z0-9._-], starting with a letter or digit.
bool valid_account_name(std::string_view name);
// The most powerful of the roles, as the settings engine's role.
settings::Role settings_role(const std::vector<std::string>& roles);
// Password checks: the identity policy plus the setting auth.password_min_length.
tl::expected<void, ApiError> check_new_password(App& app, std::string_view password,
                                                std::string_view account);
std::string session_cookie(std::string_view token, std::int64_t max_age_s);
// The sign-in throttle's subject for an account name (case-folded). Failures are recorded
// against names with no account too (so the throttle does not reveal which names exist); an
// account created later starts with its name's failures cleared (setup, POST /users).
std::string account_subject(std::string_view name);
std::string csrf_token_for(std::string_view session_token);
inline constexpr std::string_view kSessionCookie = "__Host-dss_session";
inline constexpr std::int64_t kReauthWindowMs = std::int64_t{10} * 60 * 1000;
inline constexpr std::int64_t kPendingSessionMs = std::int64_t{10} * 60 * 1000;

}  // namespace dss::server
