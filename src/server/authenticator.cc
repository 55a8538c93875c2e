#include "server/authenticator.h"

#include <algorithm>

#include "identity/token.h"
#include "settings/snapshot.h"

namespace dss::server {

tl::expected<void, ApiError> Authenticator::authenticate(App::Ctx& ctx, const Route& route) {
  const std::string authorization = header(ctx.req, "Authorization");
  ctx.session_token = cookie_value(ctx.req, kSessionCookie);
  tl::expected<void, ApiError> who;
  if (authorization.starts_with("Bearer ")) {
    who = bearer(ctx, std::string_view(authorization).substr(7));
  } else if (!ctx.session_token.empty()) {
    who = session(ctx);
  } else {
    return tl::unexpected(ApiError{ApiCode::kUnauthenticated,
                                   "sign in first (POST /api/v1/auth/login), or send an API "
                                   "token as Authorization: Bearer"});
  }
  if (!who) return who;
  const Principal& p = *ctx.principal;
  if (route.access == Access::kActive && p.session && p.session->state != SessionState::kActive) {
    const bool enrol = p.session->state == SessionState::kMfaEnrolment;
    return tl::unexpected(
        ApiError{enrol ? ApiCode::kMfaEnrolmentRequired : ApiCode::kMfaRequired,
                 enrol ? "set up a second factor first: POST /api/v1/auth/mfa/totp/enrol"
                       : "confirm your second factor first: POST /api/v1/auth/mfa"});
  }
  if (route.reauth) {
    if (!p.session) {
      return tl::unexpected(
          ApiError{ApiCode::kReauthRequired,
                   "this is a sensitive action: a person must do it in a signed-in session, not "
                   "with an API token"});
    }
    if (ctx.now_ms() - p.session->reauth_ms > kReauthWindowMs) {
      return tl::unexpected(
          ApiError{ApiCode::kReauthRequired,
                   "this is a sensitive action: confirm your password and second factor first "
                   "(POST /api/v1/auth/reauth), then retry within 10 minutes"});
    }
  }
  return {};
}

tl::expected<void, ApiError> Authenticator::bearer(App::Ctx& ctx, std::string_view token) {
  const std::int64_t now = ctx.now_ms();
  auto rec = tokens_.token_by_hash(identity::token_hash(token));
  if (!rec) return api_error(rec.error());
  if (!*rec || (*rec)->revoked_ms || (*rec)->expires_ms <= now) {
    return tl::unexpected(
        ApiError{ApiCode::kUnauthenticated,
                 "the API token is unknown, revoked or expired; create a new one"});
  }
  auto user = users_.user_by_id((*rec)->user_id);
  if (!user || !*user || (*user)->disabled) {
    return tl::unexpected(
        ApiError{ApiCode::kUnauthenticated, "the API token's account is disabled"});
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
  ignore_error(tokens_.note_token_use((*rec)->id, now));  // a convenience, not a control
  return {};
}

tl::expected<void, ApiError> Authenticator::session(App::Ctx& ctx) {
  const std::int64_t now = ctx.now_ms();
  auto rec = sessions_.session_by_token(identity::token_hash(ctx.session_token));
  if (!rec) return api_error(rec.error());
  if (!*rec) {
    ctx.headers.emplace_back("Set-Cookie", session_cookie("", 0));
    return tl::unexpected(
        ApiError{ApiCode::kUnauthenticated, "the session has ended; sign in again"});
  }
  const SessionRecord s = **rec;
  const settings::Snapshot& settings = *ctx.settings;
  const std::int64_t idle_ms = settings.get(settings::key::kSessionIdleTimeoutMinutes) * 60 * 1000;
  const std::int64_t life_ms =
      s.state == SessionState::kActive
          ? settings.get(settings::key::kSessionAbsoluteLifetimeHours) * 3600 * 1000
          : kPendingSessionMs;
  auto user = users_.user_by_id(s.user_id);
  const bool disabled = !user || !*user || (*user)->disabled;
  if (now - s.last_seen_ms >= idle_ms || now - s.created_ms >= life_ms || disabled) {
    const std::string why = disabled                        ? "account disabled"
                            : now - s.created_ms >= life_ms ? "absolute lifetime reached"
                                                            : "idle timeout";
    ignore_error(sessions_.end_session(s.id, s.user_id, why, now));  // the 401 stands either way
    audit::Event e;
    e.actor_kind = audit::ActorKind::kSystem;
    e.actor_id = "system";
    e.action = "session.expire";
    e.object = "user:" + (user && *user ? (*user)->name : std::string("?"));
    e.reason = why;
    e.source_address = ctx.peer.address;
    e.details.emplace_back("session", audit::session_ref(ctx.session_token));
    ignore_error(audit_.record(std::move(e)));  // the request is refused regardless
    ctx.headers.emplace_back("Set-Cookie", session_cookie("", 0));
    return tl::unexpected(
        ApiError{ApiCode::kSessionExpired, "the session has expired (" + why + "); sign in again"});
  }
  ignore_error(sessions_.touch_session(s.id, now));  // a failure only shortens the session
  Principal p;
  p.user = **user;
  p.session = s;
  p.permissions = s.state == SessionState::kActive ? permissions_of(p.user.roles) : 0;
  p.actor_id = "user:" + p.user.name;
  ctx.actor_kind = audit::ActorKind::kUser;
  ctx.actor_id = p.actor_id;
  ctx.principal = std::move(p);
  // CSRF: a cookie-authenticated change must come from our own origin and carry the token.
  if (is_unsafe(ctx.req.method())) {
    if (!accepted_origin(header(ctx.req, "Origin"))) {
      return tl::unexpected(
          ApiError{ApiCode::kCsrf,
                   "cross-site request refused: the Origin header must be " + public_origin_});
    }
    if (!identity::constant_time_equal(header(ctx.req, "X-CSRF-Token"),
                                       csrf_token_for(ctx.session_token))) {
      return tl::unexpected(ApiError{
          ApiCode::kCsrf, "cross-site request refused: send the X-CSRF-Token given at sign-in"});
    }
  }
  return {};
}

bool Authenticator::accepted_origin(std::string_view origin) const {
  return !origin.empty() &&
         (origin == public_origin_ ||
          std::find(also_accepted_.begin(), also_accepted_.end(), origin) != also_accepted_.end());
}

}  // namespace dss::server
