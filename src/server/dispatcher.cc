#include "server/dispatcher.h"

#include <algorithm>
#include <cctype>

#include "core/json.h"
#include "settings/chime.h"
#include "settings/snapshot.h"

namespace dss::server {

Response Dispatcher::dispatch(App::Ctx& ctx) {
  Request& req = ctx.req;
  if (missing_host(req)) {
    return fail(ctx, {ApiCode::kBadRequest, "an HTTP/1.1 request must carry a Host header"});
  }
  if (!split_target(std::string_view(req.target().data(), req.target().size()), ctx.path,
                    ctx.query)) {
    return fail(ctx, {ApiCode::kBadRequest, "the request path is not valid"});
  }
  if (ctx.path.size() > 1 && ctx.path.back() == '/') ctx.path.pop_back();

  const auto found = find_route(ctx);
  if (!found) return fail(ctx, found.error());
  const Route& route = **found;
  ctx.action = std::string(route.action);
  for (const auto& p : ctx.params) {
    if (!ctx.object.empty()) ctx.object += '/';
    ctx.object += p;
  }
  if (auto body = read_body(ctx, route); !body) return fail(ctx, body.error());

  if (route.access == Access::kSessionAny || route.access == Access::kActive) {
    if (auto who = authenticator_.authenticate(ctx, route); !who) return fail(ctx, who.error());
    if (auto denied = check_permission(ctx, route)) {
      return finish(ctx, denied->status(), error_body(denied->code, denied->message));
    }
  }

  // The route's commit policy: kAtomic runs the handler's store calls and the audit append in
  // one transaction, rolled back if either fails.
  std::optional<Outcome> out;
  bool audit_failed = false;
  if (route.commit == Commit::kAtomic) {
    const Status tx = store_.in_transaction([&]() -> Status {
      out = route.handler(ctx);
      if (!*out) return make_error(ErrorCode::kFailedPrecondition, "handler refused");
      if (Status st = record(ctx, true, ctx.reason); !st) {
        audit_failed = true;
        return st;
      }
      return ok();
    });
    if (!tx && !audit_failed && out && *out) {
      return fail(ctx, api_error(tx.error()).value());  // the commit itself failed
    }
  } else {
    out = route.handler(ctx);
    if (*out) audit_failed = !record(ctx, true, ctx.reason);
  }
  if (!*out) return fail(ctx, out->error());
  if (audit_failed) {
    ctx.headers.clear();  // no cookie, no token: the action did not take effect for the caller
    return finish(ctx, http::status::service_unavailable,
                  error_body(ApiCode::kAuditUnavailable,
                             "the audit log cannot record right now, so the request was refused; "
                             "the server's operator must fix the audit log's storage"));
  }
  return finish(ctx, (*out)->status, (*out)->body);
}

tl::expected<const Route*, ApiError> Dispatcher::find_route(App::Ctx& ctx) const {
  bool path_known = false;
  for (const Route& r : routes_) {
    if (!match(r.pattern, ctx.path, ctx.params)) continue;
    path_known = true;
    if (r.method == ctx.req.method()) return &r;
  }
  ctx.params.clear();
  if (path_known) {
    return tl::unexpected(
        ApiError{ApiCode::kMethodNotAllowed,
                 "this path does not accept " + std::string(ctx.req.method_string())});
  }
  return tl::unexpected(
      ApiError{ApiCode::kNotFound, "no API endpoint at " + ctx.path + "; see docs/api.md"});
}

tl::expected<void, ApiError> Dispatcher::read_body(App::Ctx& ctx, const Route& route) {
  const Request& req = ctx.req;
  ctx.body = json::object();
  if (req.body().empty()) return {};
  const auto refuse = [](std::string message) {
    return tl::unexpected(ApiError{ApiCode::kBadRequest, std::move(message)});
  };
  if (route.fields.empty()) return refuse("this endpoint takes no body");
  // RFC 9110 §8.3.1: the type and subtype are case-insensitive; white space may precede ';'.
  const std::string type = header(req, "Content-Type");
  std::string base = type.substr(0, type.find(';'));
  while (!base.empty() && (base.back() == ' ' || base.back() == '\t')) base.pop_back();
  std::transform(base.begin(), base.end(), base.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (base != "application/json") {
    return tl::unexpected(ApiError{ApiCode::kUnsupportedMediaType,
                                   "send the body as JSON with Content-Type: application/json"});
  }
  // A route whose only field is "*" validates the body against its own schema.
  if (route.fields.size() == 1 && route.fields.front() == "*") return {};
  // Standard JSON, UTF-8 checked, no duplicate keys (simdjson), then a JSON value to read.
  thread_local dss::json::JsonParser parser;
  auto doc = parser.parse_copy(req.body());
  if (!doc) return refuse("the body is not valid JSON: " + doc.error().message);
  dss::json::Object object;
  if (!doc->is_object() || doc->get_object().get(object) != simdjson::SUCCESS) {
    return refuse("the body must be a JSON object");
  }
  std::vector<std::string_view> seen;
  for (auto field : object) {
    const std::string_view key = field.key;
    if (std::find(seen.begin(), seen.end(), key) != seen.end()) {
      return refuse("the field \"" + std::string(key) + "\" appears twice");
    }
    seen.push_back(key);
    if (std::find(route.fields.begin(), route.fields.end(), key) == route.fields.end()) {
      std::string allowed;
      for (const auto f : route.fields) allowed += (allowed.empty() ? "" : ", ") + std::string(f);
      return refuse("unknown field \"" + std::string(key).substr(0, 64) +
                    "\"; this endpoint accepts: " + allowed);
    }
  }
  ctx.body = json::parse(req.body(), nullptr, false);
  if (ctx.body.is_discarded() || !ctx.body.is_object()) {
    return refuse("the body must be a JSON object");
  }
  return {};
}

std::optional<ApiError> Dispatcher::check_permission(App::Ctx& ctx, const Route& route) {
  if (route.permission == 0 || (ctx.principal->permissions & route.permission) != 0) {
    return std::nullopt;
  }
  const std::string needed = std::string(permission_names(route.permission).front());
  audit::Event e;
  e.actor_kind = ctx.actor_kind;
  e.actor_id = ctx.actor_id;
  e.source_address = ctx.peer.address;
  e.action = "authz.denied";
  e.object = ctx.path;
  e.outcome = audit::Outcome::kFailure;
  e.reason = "missing permission " + needed;
  ignore_error(audit_.record(std::move(e)));  // the refusal stands either way
  return ApiError{ApiCode::kForbidden, "your roles do not include the permission '" + needed +
                                           "'; ask an owner for a role that has it"};
}

Status Dispatcher::record(const App::Ctx& ctx, bool success, const std::string& reason) {
  audit::Event e;
  e.actor_kind = ctx.actor_kind;
  e.actor_id = ctx.actor_id;
  e.source_address = ctx.peer.address;
  e.action = ctx.action.empty() ? "api.read" : ctx.action;
  e.object = ctx.object.empty() ? ctx.path : ctx.object;
  e.outcome = success ? audit::Outcome::kSuccess : audit::Outcome::kFailure;
  e.reason = reason.size() > 500 ? reason.substr(0, 500) : reason;
  e.details = ctx.details;
  e.details.emplace_back("http.method", std::string(ctx.req.method_string()));
  e.details.emplace_back("http.path", ctx.path);
  if (ctx.principal && ctx.principal->session) {
    e.details.emplace_back("session", audit::session_ref(ctx.session_token));
  }
  return audit_.record(std::move(e));
}

Response Dispatcher::finish(const App::Ctx& ctx, http::status status, const json& body) {
  Response res = json_response(ctx.req.version(), status, body);
  for (const auto& [k, v] : ctx.headers) res.set(k, v);
  res.set(settings::kChimeHeader, ctx.settings->chime());
  return res;
}

Response Dispatcher::fail(const App::Ctx& ctx, const ApiError& err) {
  const Status st = record(ctx, false, std::string(api_code_name(err.code)) + ": " + err.message);
  if (!st && is_unsafe(ctx.req.method())) {
    return finish(ctx, http::status::service_unavailable,
                  error_body(ApiCode::kAuditUnavailable,
                             "the audit log cannot record right now, so nothing was changed; the "
                             "server's operator must fix the audit log's storage"));
  }
  return finish(ctx, err.status(), error_body(err.code, err.message));
}

}  // namespace dss::server
