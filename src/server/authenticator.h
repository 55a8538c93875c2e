// Who is asking, for routes that need a caller (Access::kSessionAny and kActive):
//  - an API token (Authorization: Bearer), scoped to the roles it was made with and that its
//    account still holds;
//  - or a session cookie, within its idle timeout and absolute lifetime (an expired session is
//    ended and recorded), with the CSRF checks for changes (Origin and X-CSRF-Token);
//  - the session's second-factor state (kActive routes need a fully signed-in session);
//  - a recent re-authentication for sensitive routes (Route::reauth).
// The route's permission is the dispatcher's (dispatcher.h); new ways to sign in (passkeys,
// single sign-on) create sessions in their handlers, and those sessions are checked here.
#pragma once

#include <string>
#include <vector>

#include "server/app_internal.h"

namespace dss::server {

class Authenticator {
 public:
  Authenticator(UserStore& users, SessionStore& sessions, ApiTokenStore& tokens,
                audit::AuditLog& audit)
      : users_(users), sessions_(sessions), tokens_(tokens), audit_(audit) {}

  // The origins a cookie-authenticated change may come from: the public origin, and the names
  // the certificate was made for. Set once, before requests are served.
  void set_origins(std::string public_origin, std::vector<std::string> also_accepted) {
    public_origin_ = std::move(public_origin);
    also_accepted_ = std::move(also_accepted);
  }

  // Fills in ctx.principal, ctx.actor_id/actor_kind and ctx.session_token, or says why the
  // request is refused (and may add a Set-Cookie that clears the cookie to ctx.headers).
  tl::expected<void, ApiError> authenticate(App::Ctx& ctx, const Route& route);

 private:
  tl::expected<void, ApiError> bearer(App::Ctx& ctx, std::string_view token);
  tl::expected<void, ApiError> session(App::Ctx& ctx);
  [[nodiscard]] bool accepted_origin(std::string_view origin) const;

  UserStore& users_;
  SessionStore& sessions_;
  ApiTokenStore& tokens_;
  audit::AuditLog& audit_;
  std::string public_origin_;
  std::vector<std::string> also_accepted_;
};

}  // namespace dss::server
