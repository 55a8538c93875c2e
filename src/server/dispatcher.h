// Runs one API request (/api/v1/...): finds its route in the table, checks the body against the
// route's fields, asks the authenticator who is asking (authenticator.h), checks the route's
// permission, runs the handler under the route's commit policy (Commit in app_internal.h), and
// records the audit event — failing closed: a change that cannot be recorded is not made, and
// an answer that would hand out a credential is withheld.
#pragma once

#include <span>
#include <string>

#include "server/app_internal.h"
#include "server/authenticator.h"

namespace dss::server {

class Dispatcher {
 public:
  Dispatcher(std::span<const Route> routes, Store& store, audit::AuditLog& audit,
             Authenticator& authenticator)
      : routes_(routes), store_(store), audit_(audit), authenticator_(authenticator) {}

  // The answer, with the route's extra headers and the chime header of ctx.settings.
  Response dispatch(App::Ctx& ctx);

 private:
  // The route for the request, or why there is none (404, or 405 for a known path).
  tl::expected<const Route*, ApiError> find_route(App::Ctx& ctx) const;
  // Sets ctx.body: a JSON object holding only the route's fields ({} for an empty body).
  static tl::expected<void, ApiError> read_body(App::Ctx& ctx, const Route& route);
  // 403 for a caller without the route's permission, recorded as "authz.denied".
  std::optional<ApiError> check_permission(App::Ctx& ctx, const Route& route);
  Status record(const App::Ctx& ctx, bool success, const std::string& reason);
  static Response finish(const App::Ctx& ctx, http::status status, const json& body);
  Response fail(const App::Ctx& ctx, const ApiError& err);

  std::span<const Route> routes_;
  Store& store_;
  audit::AuditLog& audit_;
  Authenticator& authenticator_;
};

}  // namespace dss::server
