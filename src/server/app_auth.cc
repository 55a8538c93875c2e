// Sign-in, second factors, re-authentication, sessions and first-start setup.
#include <algorithm>
#include <cctype>

#include "core/integer.h"
#include "identity/password.h"
#include "identity/qr.h"
#include "identity/recovery.h"
#include "identity/token.h"
#include "identity/totp.h"
#include "server/app_internal.h"
#include "settings/declarations.h"

namespace dss::server {

namespace {

constexpr std::int64_t kHourMs = std::int64_t{3600} * 1000;
constexpr std::int64_t kHardAccountCap =
    100;                                  // failures per hour per account, whatever the setting
constexpr std::int64_t kSourceCap = 300;  // failures per hour per source address
constexpr std::int64_t kAccountFreeFailures = 5;
constexpr std::int64_t kSourceFreeFailures = 20;
constexpr std::int64_t kMaxBackoffS = 300;

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

}  // namespace

std::string account_subject(std::string_view name) { return "user:" + lower(name); }

namespace {

std::string source_subject(const App::Ctx& ctx) { return "ip:" + ctx.peer.address; }

std::int64_t account_cap(App& app) {
  return std::min(app.settings()->get(settings::key::kAuthMaxFailedLoginsPerHour), kHardAccountCap);
}

// Refuses an attempt while the subject is locked out (its hourly cap reached) or inside its
// backoff (doubling with each failure past the free ones).
tl::expected<void, ApiError> check_throttle(App::Ctx& ctx, const std::string& subject,
                                            std::int64_t cap, std::int64_t free_failures) {
  const std::int64_t now = ctx.now_ms();
  auto f = ctx.app.store().failures_since(subject, now - kHourMs);
  if (!f) return tl::unexpected(api_error(f.error()).value());
  std::int64_t wait_s = 0;
  if (f->count >= cap) {
    wait_s = std::max<std::int64_t>(1, (f->latest_ms + kHourMs - now) / 1000);
  } else if (f->count >= free_failures) {
    const std::int64_t shift = std::min<std::int64_t>(f->count - free_failures, 16);
    const std::int64_t backoff_ms =
        std::min<std::int64_t>(std::int64_t{1} << shift, kMaxBackoffS) * 1000;
    if (now < f->latest_ms + backoff_ms) wait_s = (f->latest_ms + backoff_ms - now + 999) / 1000;
  }
  if (wait_s == 0) return {};
  ctx.headers.emplace_back("Retry-After", std::to_string(wait_s));
  return api_error(ApiCode::kLockedOut, "too many failed attempts; wait " + std::to_string(wait_s) +
                                            " seconds before trying again");
}

tl::expected<void, ApiError> check_throttles(App::Ctx& ctx, std::string_view account) {
  if (auto r = check_throttle(ctx, source_subject(ctx), kSourceCap, kSourceFreeFailures); !r) {
    return r;
  }
  return check_throttle(ctx, account_subject(account), account_cap(ctx.app), kAccountFreeFailures);
}

// Records a failed attempt against the source and, when given, the account; audits a lockout.
// Returns `refusal`, the answer the attempt gets. Fail closed: a failure the store cannot record
// would escape the throttle (brute force would go unlimited while the store misbehaves), so the
// attempt is then refused with 503 instead, and the refusal's audit event says why.
tl::unexpected<ApiError> refuse_attempt(App::Ctx& ctx, std::optional<std::string_view> account,
                                        tl::unexpected<ApiError> refusal) {
  const std::int64_t now = ctx.now_ms();
  Store& store = ctx.app.store();
  Status recorded = store.record_failure(source_subject(ctx), now);
  if (recorded && account) {
    const std::string subject = account_subject(*account);
    recorded = store.record_failure(subject, now);
    auto f = store.failures_since(subject, now - kHourMs);
    if (recorded && f && f->count == account_cap(ctx.app)) {
      audit::Event e;
      e.actor_kind = audit::ActorKind::kSystem;
      e.actor_id = "system";
      e.action = "user.lockout";
      e.object = "user:" + std::string(*account);
      e.source_address = ctx.peer.address;
      e.reason = "the hourly limit of failed attempts was reached";
      ignore_error(ctx.app.audit().record(std::move(e)));  // the lockout holds regardless
    }
  }
  if (recorded) return refusal;
  ctx.details.emplace_back(
      "throttle", "failure not recorded: " + std::string(error_code_name(recorded.error().code)));
  return api_error(ApiCode::kUnavailable,
                   "the server cannot record failed attempts right now, so it refuses sign-in "
                   "attempts; try again later. The server's operator must check its database");
}

// A stand-in hash so that an unknown account costs the same time as a wrong password.
const std::string& dummy_hash() {
  static const std::string kHash = [] {
    auto h = identity::hash_password("dss-dummy-password-for-timing-only");
    return h ? *h : std::string();
  }();
  return kHash;
}

std::string recovery_salt(const UserRecord& u) {
  return "dss-recovery:" + std::to_string(u.id) + ":" + std::to_string(u.created_ms);
}

std::string factor_context(const UserRecord& u) { return "dss-totp:" + std::to_string(u.id); }

bool mfa_waived(App& app, const UserRecord& u) {
  // Only unprivileged accounts, only while auth.mfa_required is loosened to false (it chimes).
  return !any_privileged(u.roles) && !app.settings()->get(settings::key::kAuthMfaRequired);
}

// Checks a TOTP code against the user's confirmed TOTP factors; records the step used.
tl::expected<void, ApiError> check_totp(App::Ctx& ctx, const UserRecord& u, std::string_view code,
                                        bool confirmed_only, std::int64_t* factor_id = nullptr) {
  auto factors = ctx.app.store().factors(u.id);
  if (!factors) return tl::unexpected(api_error(factors.error()).value());
  bool replay = false;
  for (const FactorRecord& f : *factors) {
    if (f.kind != "totp" || f.confirmed != confirmed_only) continue;
    auto secret = ctx.app.secrets().open(f.sealed_secret, factor_context(u));
    if (!secret) return tl::unexpected(api_error(secret.error()).value());
    auto step = identity::verify_totp(secret->view(), code, ctx.now_s(), f.last_used_step);
    if (!step) {
      if (step.error().code == ErrorCode::kMfaReplay) replay = true;
      continue;
    }
    auto advanced = ctx.app.store().advance_totp_step(f.id, *step);
    if (!advanced) return tl::unexpected(api_error(advanced.error()).value());
    if (!*advanced) {
      replay = true;
      continue;
    }
    if (factor_id != nullptr) *factor_id = f.id;
    return {};
  }
  if (replay) {
    return api_error(ApiCode::kMfaReplay,
                     "that code was already used; wait for the next code from your app");
  }
  return api_error(ApiCode::kMfaInvalid,
                   "the code is wrong; use the current 6-digit code from your authenticator app");
}

Outcome start_session(App::Ctx& ctx, const UserRecord& u, SessionState state) {
  const std::string token = identity::generate_token("dss_s_");
  SessionRecord s;
  s.user_id = u.id;
  s.state = state;
  s.created_ms = ctx.now_ms();
  s.last_seen_ms = s.created_ms;
  s.reauth_ms = state == SessionState::kActive ? s.created_ms : 0;
  s.source = ctx.peer.address;
  s.user_agent = std::string(ctx.req[http::field::user_agent]).substr(0, 200);
  DSS_API_CHECK(const auto id, ctx.app.store().create_session(identity::token_hash(token), s));
  const std::int64_t max_age =
      ctx.settings->get(settings::key::kSessionAbsoluteLifetimeHours) * 3600;
  ctx.headers.emplace_back("Set-Cookie", session_cookie(token, max_age));
  ctx.details.emplace_back("session", audit::session_ref(token));
  ctx.details.emplace_back("session.state", std::string(session_state_name(state)));
  json body{{"state", session_state_name(state)},
            {"session_id", id},
            {"csrf_token", csrf_token_for(token)},
            {"user", u.name}};
  if (state == SessionState::kMfaEnrolment) {
    body["next"] = "set up a second factor: POST /api/v1/auth/mfa/totp/enrol";
  } else if (state == SessionState::kMfa) {
    body["next"] = "confirm your second factor: POST /api/v1/auth/mfa";
  }
  return ok_reply(std::move(body));
}

// ---- handlers

Outcome setup(App::Ctx& ctx) {
  ctx.object = "setup";
  if (auto t = check_throttle(ctx, source_subject(ctx), kSourceCap, kSourceFreeFailures); !t) {
    return tl::unexpected(t.error());
  }
  DSS_API_TRY(const std::string code, str_field(ctx.body, "setup_code", 64));
  DSS_API_TRY(const std::string name, str_field(ctx.body, "username", 64));
  DSS_API_TRY(const std::string password, str_field(ctx.body, "password", 1024));
  if (!valid_account_name(name)) {
    return api_error(ApiCode::kBadRequest,
                     "a user name is 1 to 64 letters, digits, '.', '_' or '-'");
  }
  if (auto p = check_new_password(ctx.app, password, name); !p) return tl::unexpected(p.error());
  DSS_API_CHECK(const bool used,
                ctx.app.store().consume_setup_code(
                    identity::token_hash(identity::normalize_setup_code(code)), ctx.now_ms()));
  if (!used) {
    // A restart prints a new code only while no account exists; after that the owner signs in.
    DSS_API_CHECK(const auto users, ctx.app.store().count_users());
    return refuse_attempt(
        ctx, std::nullopt,
        api_error(ApiCode::kUnauthenticated,
                  users > 0 ? "setup is done: an owner account exists, so no setup code is valid "
                              "any more; sign in (POST /api/v1/auth/login), or ask an owner to "
                              "create your account"
                            : "the setup code is wrong, used or expired; restart the server to "
                              "print a new one, or stop it and run `dss server init`"));
  }
  DSS_API_CHECK(const std::string hash, identity::hash_password(password));
  UserRecord u;
  u.name = name;
  u.job = "owner";
  u.roles = {"owner"};
  u.password_hash = hash;
  u.created_ms = ctx.now_ms();
  DSS_API_STATUS(ctx.app.store().clear_failures(account_subject(name)));
  DSS_API_CHECK(const auto id, ctx.app.store().create_user(u));
  ctx.object = "user:" + name;
  ctx.reason = "first owner created with the one-time setup code";
  return ok_reply(json{{"user", name},
                       {"id", id},
                       {"roles", {"owner"}},
                       {"next", "sign in; you will be asked to set up a second factor"}},
                  http::status::created);
}

Outcome login(App::Ctx& ctx) {
  DSS_API_TRY(const std::string name, str_field(ctx.body, "username", 64));
  DSS_API_TRY(const std::string password, str_field(ctx.body, "password", 1024));
  ctx.object = "user:" + name.substr(0, 64);
  if (auto t = check_throttles(ctx, name); !t) return tl::unexpected(t.error());
  DSS_API_CHECK(const auto user, ctx.app.store().find_user(name));
  bool good = false;
  if (user) {
    auto v = identity::verify_password(password, user->password_hash);
    good = v && *v && !user->disabled;
  } else {
    ignore_error(identity::verify_password(password, dummy_hash()));  // same cost as a miss
  }
  if (!good) {
    return refuse_attempt(ctx, name,
                          api_error(ApiCode::kUnauthenticated,
                                    "the user name or password is wrong, or the account is "
                                    "disabled"));
  }
  if (identity::password_needs_rehash(user->password_hash)) {
    if (auto h = identity::hash_password(password)) {
      ignore_error(ctx.app.store().set_password_hash(user->id, *h));  // next login retries
      ctx.details.emplace_back("password.rehashed", "true");
    }
  }
  DSS_API_CHECK(const auto factors, ctx.app.store().factors(user->id));
  const bool has_factor = std::any_of(factors.begin(), factors.end(),
                                      [](const FactorRecord& f) { return f.confirmed; });
  SessionState state = SessionState::kActive;
  if (has_factor) {
    state = SessionState::kMfa;
  } else if (!mfa_waived(ctx.app, *user)) {
    state = SessionState::kMfaEnrolment;
  }
  return start_session(ctx, *user, state);
}

Outcome totp_enrol(App::Ctx& ctx) {
  const UserRecord& u = ctx.principal->user;
  const SessionRecord& s = *ctx.principal->session;
  ctx.object = "user:" + u.name;
  if (s.state == SessionState::kMfa) {
    return api_error(ApiCode::kMfaRequired,
                     "confirm your existing second factor first: POST /api/v1/auth/mfa");
  }
  if (s.state == SessionState::kActive && ctx.now_ms() - s.reauth_ms > kReauthWindowMs) {
    return api_error(ApiCode::kReauthRequired,
                     "adding a factor is sensitive: POST /api/v1/auth/reauth first");
  }
  DSS_API_TRY(std::string label, str_field(ctx.body, "label", 64, false));
  if (label.empty()) label = "authenticator app";
  DSS_API_STATUS(ctx.app.store().remove_unconfirmed_factors(u.id));
  const SecretBytes secret = identity::generate_totp_secret();
  DSS_API_CHECK(const std::string sealed, ctx.app.secrets().seal(secret.view(), factor_context(u)));
  FactorRecord f;
  f.user_id = u.id;
  f.kind = "totp";
  f.label = label;
  f.sealed_secret = sealed;
  f.created_ms = ctx.now_ms();
  DSS_API_CHECK(const auto id, ctx.app.store().add_factor(f));
  const std::string uri = identity::totp_uri(ctx.app.config().server_name, u.name, secret.view());
  DSS_API_CHECK(const std::string svg, identity::qr_svg(uri));
  ctx.reason = "TOTP factor started; waiting for the first code";
  // The one time the seed leaves the server: as the QR code and the otpauth URI.
  return ok_reply(json{{"factor_id", id},
                       {"type", "totp"},
                       {"otpauth_uri", uri},
                       {"qr_svg", svg},
                       {"next",
                        "scan the QR code, then POST the current code to "
                        "/api/v1/auth/mfa/totp/confirm"}});
}

Outcome totp_confirm(App::Ctx& ctx) {
  const UserRecord& u = ctx.principal->user;
  ctx.object = "user:" + u.name;
  DSS_API_TRY(const std::string code, str_field(ctx.body, "code", 16));
  if (auto t = check_throttles(ctx, u.name); !t) return tl::unexpected(t.error());
  std::int64_t factor_id = 0;
  if (auto r = check_totp(ctx, u, code, /*confirmed_only=*/false, &factor_id); !r) {
    return refuse_attempt(ctx, u.name, tl::unexpected(r.error()));
  }
  DSS_API_STATUS(ctx.app.store().confirm_factor(factor_id));
  auto codes = identity::generate_recovery_codes(recovery_salt(u));
  DSS_API_STATUS(ctx.app.store().set_recovery_hashes(u.id, codes.hashes));
  const SessionRecord& s = *ctx.principal->session;
  DSS_API_STATUS(ctx.app.store().set_session_state(s.id, SessionState::kActive));
  DSS_API_STATUS(ctx.app.store().set_reauth(s.id, ctx.now_ms()));
  ctx.reason = "TOTP factor confirmed; ten recovery codes issued";
  ctx.details.emplace_back("factor", "totp");
  return ok_reply(json{{"state", session_state_name(SessionState::kActive)},
                       {"recovery_codes", codes.plain},
                       {"next", "store the recovery codes somewhere safe; each works once"}});
}

Outcome mfa_verify(App::Ctx& ctx) {
  const UserRecord& u = ctx.principal->user;
  const SessionRecord& s = *ctx.principal->session;
  ctx.object = "user:" + u.name;
  if (s.state != SessionState::kMfa) {
    return api_error(ApiCode::kConflict, s.state == SessionState::kActive
                                             ? "this session is already signed in"
                                             : "set up a second factor first");
  }
  DSS_API_TRY(const std::string code, str_field(ctx.body, "code", 16, false));
  DSS_API_TRY(const std::string recovery, str_field(ctx.body, "recovery_code", 32, false));
  if (code.empty() == recovery.empty()) {
    return api_error(ApiCode::kBadRequest,
                     "send either \"code\" (from your app) or \"recovery_code\"");
  }
  if (auto t = check_throttles(ctx, u.name); !t) return tl::unexpected(t.error());
  if (!code.empty()) {
    if (auto r = check_totp(ctx, u, code, true); !r) {
      return refuse_attempt(ctx, u.name, tl::unexpected(r.error()));
    }
    ctx.details.emplace_back("factor", "totp");
  } else {
    DSS_API_CHECK(const auto hashes, ctx.app.store().recovery_hashes(u.id));
    auto slot = identity::match_recovery_code(recovery, recovery_salt(u), hashes);
    bool used = false;
    if (slot) {
      DSS_API_CHECK(used, ctx.app.store().use_recovery_code(u.id, *slot, ctx.now_ms()));
    }
    if (!used) {
      return refuse_attempt(
          ctx, u.name,
          api_error(ApiCode::kMfaInvalid, "the recovery code is wrong or already used"));
    }
    ctx.details.emplace_back("factor", "recovery_code");
  }
  DSS_API_STATUS(ctx.app.store().set_session_state(s.id, SessionState::kActive));
  DSS_API_STATUS(ctx.app.store().set_reauth(s.id, ctx.now_ms()));
  ignore_error(ctx.app.store().clear_failures(account_subject(u.name)));  // backoff resets
  return ok_reply(json{{"state", session_state_name(SessionState::kActive)}});
}

Outcome reauth(App::Ctx& ctx) {
  const UserRecord& u = ctx.principal->user;
  ctx.object = "user:" + u.name;
  DSS_API_TRY(const std::string password, str_field(ctx.body, "password", 1024));
  DSS_API_TRY(const std::string code, str_field(ctx.body, "code", 16, false));
  if (auto t = check_throttles(ctx, u.name); !t) return tl::unexpected(t.error());
  auto v = identity::verify_password(password, u.password_hash);
  if (!v || !*v) {
    return refuse_attempt(ctx, u.name,
                          api_error(ApiCode::kUnauthenticated, "the password is wrong"));
  }
  DSS_API_CHECK(const auto factors, ctx.app.store().factors(u.id));
  const bool has_factor = std::any_of(factors.begin(), factors.end(),
                                      [](const FactorRecord& f) { return f.confirmed; });
  if (has_factor) {
    if (auto r = check_totp(ctx, u, code, true); !r) {
      return refuse_attempt(ctx, u.name, tl::unexpected(r.error()));
    }
  }
  DSS_API_STATUS(ctx.app.store().set_reauth(ctx.principal->session->id, ctx.now_ms()));
  return ok_reply(json{{"reauthenticated", true}, {"valid_for_seconds", kReauthWindowMs / 1000}});
}

Outcome logout(App::Ctx& ctx) {
  const SessionRecord& s = *ctx.principal->session;
  ctx.object = "user:" + ctx.principal->user.name;
  DSS_API_STATUS(ctx.app.store().end_session(s.id, s.user_id, "logout", ctx.now_ms()));
  ctx.headers.emplace_back("Set-Cookie", session_cookie("", 0));
  return ok_reply(json{{"signed_out", true}});
}

Outcome me(App::Ctx& ctx) {
  const Principal& p = *ctx.principal;
  DSS_API_CHECK(const auto factors, ctx.app.store().factors(p.user.id));
  json body = user_json(p.user, factors);
  body["permissions"] = permission_names(p.permissions);
  if (p.session)
    body["session"] = {{"id", p.session->id}, {"state", session_state_name(p.session->state)}};
  if (p.token) body["token"] = {{"id", p.token->id}, {"name", p.token->name}};
  return ok_reply(std::move(body));
}

Outcome list_sessions(App::Ctx& ctx) {
  const Principal& p = *ctx.principal;
  DSS_API_CHECK(const auto sessions, ctx.app.store().sessions_of(p.user.id));
  json list = json::array();
  for (const auto& s : sessions) {
    list.push_back({{"id", s.id},
                    {"state", session_state_name(s.state)},
                    {"created_at", audit::format_time_ms(s.created_ms)},
                    {"last_seen_at", audit::format_time_ms(s.last_seen_ms)},
                    {"source", s.source},
                    {"user_agent", s.user_agent},
                    {"current", p.session && p.session->id == s.id}});
  }
  return ok_reply(json{{"sessions", list}});
}

Outcome revoke_session(App::Ctx& ctx) {
  const Principal& p = *ctx.principal;
  const auto parsed = parse_int64(ctx.params[0], 1);
  if (!parsed) {
    return api_error(ApiCode::kBadRequest,
                     "a session id is a positive whole number, as GET /api/v1/auth/sessions "
                     "lists it");
  }
  const std::int64_t id = *parsed;
  ctx.action = "session.revoke";
  ctx.object = "session:" + std::to_string(id);
  DSS_API_CHECK(const bool ended,
                ctx.app.store().end_session(id, p.user.id, "revoked", ctx.now_ms()));
  if (!ended) {
    return api_error(ApiCode::kNotFound, "you have no open session with that id");
  }
  return ok_reply(json{{"revoked", id}});
}

}  // namespace

std::vector<Route> auth_routes() {
  using V = http::verb;
  return {
      {V::post,
       "/api/v1/setup",
       Access::kPublic,
       0,
       false,
       "user.create",
       Commit::kAuditAfter,
       {"setup_code", "username", "password"},
       setup},
      {V::post,
       "/api/v1/auth/login",
       Access::kPublic,
       0,
       false,
       "auth.login",
       Commit::kAuditAfter,
       {"username", "password"},
       login},
      {V::post,
       "/api/v1/auth/mfa/totp/enrol",
       Access::kSessionAny,
       0,
       false,
       "auth.mfa.enrol",
       Commit::kAuditAfter,
       {"label"},
       totp_enrol},
      {V::post,
       "/api/v1/auth/mfa/totp/confirm",
       Access::kSessionAny,
       0,
       false,
       "auth.mfa.enrol",
       Commit::kAuditAfter,
       {"code"},
       totp_confirm},
      {V::post,
       "/api/v1/auth/mfa",
       Access::kSessionAny,
       0,
       false,
       "auth.mfa.challenge",
       Commit::kAuditAfter,
       {"code", "recovery_code"},
       mfa_verify},
      {V::post,
       "/api/v1/auth/reauth",
       Access::kActive,
       0,
       false,
       "auth.reauth",
       Commit::kAuditAfter,
       {"password", "code"},
       reauth},
      {V::post,
       "/api/v1/auth/logout",
       Access::kSessionAny,
       0,
       false,
       "auth.logout",
       Commit::kAuditAfter,
       {},
       logout},
      {V::get, "/api/v1/auth/me", Access::kSessionAny, 0, false, "", Commit::kAuditAfter, {}, me},
      {V::get,
       "/api/v1/auth/sessions",
       Access::kActive,
       0,
       false,
       "",
       Commit::kAuditAfter,
       {},
       list_sessions},
      {V::delete_,
       "/api/v1/auth/sessions/{}",
       Access::kActive,
       0,
       false,
       "session.revoke",
       Commit::kAtomic,
       {},
       revoke_session},
  };
}

// ---- shared helpers

json user_json(const UserRecord& u, const std::vector<FactorRecord>& factors) {
  json f = json::array();
  for (const auto& x : factors) {
    if (x.confirmed) f.push_back({{"id", x.id}, {"type", x.kind}, {"label", x.label}});
  }
  return json{{"name", u.name},   {"job", u.job},
              {"roles", u.roles}, {"disabled", u.disabled},
              {"mfa_factors", f}, {"created_at", audit::format_time_ms(u.created_ms)}};
}

bool valid_account_name(std::string_view name) {
  if (name.empty() || name.size() > 64 || !std::isalnum(static_cast<unsigned char>(name[0]))) {
    return false;
  }
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '_' || c == '-';
  });
}

settings::Role settings_role(const std::vector<std::string>& roles) {
  settings::Role best = settings::Role::kViewer;
  for (const auto& r : roles) {
    auto role = settings::role_from_name(r);
    if (role && static_cast<int>(*role) < static_cast<int>(best)) best = *role;
  }
  return best;
}

tl::expected<void, ApiError> check_new_password(App& app, std::string_view password,
                                                std::string_view account) {
  // One rule, one message: the policy counts the length itself with the minimum that binds
  // (the setting, never below the policy's floor), so a short password is told that minimum.
  const std::int64_t min_len = app.settings()->get(settings::key::kAuthPasswordMinLength);
  if (auto st = identity::check_password_policy(
          password, account, static_cast<std::size_t>(std::max<std::int64_t>(min_len, 0)));
      !st) {
    return api_error(ApiCode::kWeakPassword, st.error().message);
  }
  return {};
}

std::string session_cookie(std::string_view token, std::int64_t max_age_s) {
  return std::string(kSessionCookie) + "=" + std::string(token) +
         "; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=" + std::to_string(max_age_s);
}

std::string csrf_token_for(std::string_view session_token) {
  return identity::token_hash("dss-csrf-v1:" + std::string(session_token));
}

}  // namespace dss::server
