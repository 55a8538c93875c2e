// People, roles, API tokens, settings, the audit log, releases and fleet posture.
#include <algorithm>
#include <map>
#include <set>

#include "advisory/advisory.h"
#include "core/integer.h"
#include "identity/password.h"
#include "identity/token.h"
#include "platform/files.h"
#include "server/app_internal.h"
#include "server/releases.h"
#include "settings/chime.h"
#include "settings/declarations.h"
#include "settings/state.h"

namespace dss::server {

namespace {

tl::expected<UserRecord, ApiError> named_user(App::Ctx& ctx, const std::string& name) {
  ctx.object = "user:" + name;
  auto u = ctx.app.store().find_user(name);
  if (!u) return tl::unexpected(api_error(u.error()).value());
  if (!*u) return api_error(ApiCode::kNotFound, "no account named " + name);
  return **u;
}

tl::expected<void, ApiError> check_roles(const std::vector<std::string>& roles) {
  for (const auto& r : roles) {
    if (find_role(r) == nullptr) {
      std::string known;
      for (const auto& info : builtin_roles())
        known += (known.empty() ? "" : ", ") + std::string(info.name);
      return api_error(ApiCode::kBadRequest,
                       "unknown role \"" + r.substr(0, 64) + "\"; the roles are: " + known);
    }
  }
  return {};
}

// Refuses a change that would leave no enabled owner.
tl::expected<void, ApiError> keep_an_owner(App::Ctx& ctx, std::int64_t changing_user,
                                           bool still_owner) {
  if (still_owner) return {};
  auto users = ctx.app.store().list_users();
  if (!users) return tl::unexpected(api_error(users.error()).value());
  for (const auto& u : *users) {
    if (u.id == changing_user || u.disabled) continue;
    if (std::find(u.roles.begin(), u.roles.end(), "owner") != u.roles.end()) return {};
  }
  return api_error(ApiCode::kConflict,
                   "this would leave no enabled owner; make someone else an owner first");
}

void note_warning(App::Ctx& ctx, json& body, const std::optional<std::string>& warning) {
  if (!warning) return;
  body["warnings"] = json::array({*warning});
  ctx.details.emplace_back("warning", "grant beyond the recommended profile");
}

Outcome list_users(App::Ctx& ctx) {
  DSS_API_CHECK(const auto users, ctx.app.store().list_users());
  json list = json::array();
  for (const auto& u : users) {
    DSS_API_CHECK(const auto factors, ctx.app.store().factors(u.id));
    json j = user_json(u, factors);
    if (auto w = deviation_warning(u.job, u.roles)) j["warning"] = *w;
    list.push_back(std::move(j));
  }
  return ok_reply(json{{"users", list}});
}

Outcome create_user(App::Ctx& ctx) {
  DSS_API_TRY(const std::string name, str_field(ctx.body, "username", 64));
  DSS_API_TRY(const std::string password, str_field(ctx.body, "password", 1024));
  DSS_API_TRY(const std::string job, str_field(ctx.body, "job", 64));
  DSS_API_TRY(std::vector<std::string> roles, str_list_field(ctx.body, "roles", 8));
  ctx.object = "user:" + name.substr(0, 64);
  if (!valid_account_name(name)) {
    return api_error(ApiCode::kBadRequest,
                     "a user name is 1 to 64 letters, digits, '.', '_' or '-'");
  }
  if (auto r = check_roles({job}); !r) return tl::unexpected(r.error());
  if (roles.empty()) roles = {job};
  if (auto r = check_roles(roles); !r) return tl::unexpected(r.error());
  if ((ctx.principal->permissions & perm(Permission::kRolesGrant)) == 0) {
    return api_error(ApiCode::kForbidden, "granting roles needs the permission 'roles.grant'");
  }
  if (auto p = check_new_password(ctx.app, password, name); !p) return tl::unexpected(p.error());
  DSS_API_CHECK(const std::string hash, identity::hash_password(password));
  UserRecord u;
  u.name = name;
  u.job = job;
  u.roles = roles;
  u.password_hash = hash;
  u.created_ms = ctx.now_ms();
  DSS_API_STATUS(ctx.app.store().clear_failures(account_subject(name)));
  DSS_API_CHECK(const auto id, ctx.app.store().create_user(u));
  ctx.details.emplace_back("roles", join_roles(roles));
  ctx.details.emplace_back("job", job);
  json body{{"user", name},
            {"id", id},
            {"job", job},
            {"roles", roles},
            {"next", "the person signs in and is made to set up a second factor at once"}};
  note_warning(ctx, body, deviation_warning(job, roles));
  return ok_reply(std::move(body), http::status::created);
}

Outcome set_disabled(App::Ctx& ctx, bool disabled) {
  DSS_API_TRY(const UserRecord u, named_user(ctx, ctx.params[0]));
  const bool owner = std::find(u.roles.begin(), u.roles.end(), "owner") != u.roles.end();
  if (disabled) {
    if (auto r = keep_an_owner(ctx, u.id, !owner); !r) return tl::unexpected(r.error());
  }
  DSS_API_STATUS(ctx.app.store().set_disabled(u.id, disabled));
  if (disabled) {
    DSS_API_STATUS(ctx.app.store().end_sessions_of(u.id, "account disabled", ctx.now_ms()));
  }
  return ok_reply(json{{"user", u.name}, {"disabled", disabled}});
}

Outcome disable_user(App::Ctx& ctx) { return set_disabled(ctx, true); }
Outcome enable_user(App::Ctx& ctx) { return set_disabled(ctx, false); }

Outcome set_roles(App::Ctx& ctx) {
  DSS_API_TRY(const UserRecord u, named_user(ctx, ctx.params[0]));
  DSS_API_TRY(const std::vector<std::string> roles, str_list_field(ctx.body, "roles", 8));
  if (auto r = check_roles(roles); !r) return tl::unexpected(r.error());
  const bool owner = std::find(roles.begin(), roles.end(), "owner") != roles.end();
  if (auto r = keep_an_owner(
          ctx, u.id, owner || std::find(u.roles.begin(), u.roles.end(), "owner") == u.roles.end());
      !r) {
    return tl::unexpected(r.error());
  }
  DSS_API_STATUS(ctx.app.store().set_roles(u.id, roles));
  ctx.details.emplace_back("roles.before", join_roles(u.roles));
  ctx.details.emplace_back("roles.after", join_roles(roles));
  json body{{"user", u.name}, {"job", u.job}, {"roles", roles}};
  note_warning(ctx, body, deviation_warning(u.job, roles));
  return ok_reply(std::move(body));
}

Outcome reset_mfa(App::Ctx& ctx) {
  DSS_API_TRY(const UserRecord u, named_user(ctx, ctx.params[0]));
  DSS_API_STATUS(ctx.app.store().remove_factors(u.id));
  DSS_API_STATUS(ctx.app.store().end_sessions_of(u.id, "MFA reset", ctx.now_ms()));
  ctx.reason = "every factor and recovery code removed; enrolment is forced at the next sign-in";
  return ok_reply(json{{"user", u.name},
                       {"mfa_factors", json::array()},
                       {"next", "the person must set up a new second factor at the next sign-in"}});
}

Outcome list_roles(App::Ctx& /*ctx*/) {
  json list = json::array();
  for (const auto& r : builtin_roles()) {
    list.push_back({{"name", r.name},
                    {"job", r.job},
                    {"permissions", permission_names(r.permissions)},
                    {"mfa_always_required", r.privileged}});
  }
  return ok_reply(json{{"roles", list}});
}

json token_json(const ApiTokenRecord& t) {
  json j{{"id", t.id},
         {"name", t.name},
         {"roles", t.roles},
         {"created_at", audit::format_time_ms(t.created_ms)},
         {"expires_at", audit::format_time_ms(t.expires_ms)},
         {"revoked", t.revoked_ms.has_value()}};
  if (t.last_used_ms) j["last_used_at"] = audit::format_time_ms(*t.last_used_ms);
  return j;
}

Outcome create_token(App::Ctx& ctx) {
  const Principal& p = *ctx.principal;
  if (!p.session) {
    return api_error(ApiCode::kForbidden, "an API token cannot create tokens; sign in as a person");
  }
  DSS_API_TRY(const std::string name, str_field(ctx.body, "name", 64));
  DSS_API_TRY(std::vector<std::string> roles, str_list_field(ctx.body, "roles", 8));
  DSS_API_TRY(const std::int64_t days, int_field(ctx.body, "expires_in_days", 1, 365, 30));
  if (auto r = check_roles(roles); !r) return tl::unexpected(r.error());
  if (roles.empty()) {
    return api_error(ApiCode::kBadRequest,
                     "name the roles the token may use (\"roles\"): a subset of yours");
  }
  for (const auto& r : roles) {
    if (std::find(p.user.roles.begin(), p.user.roles.end(), r) == p.user.roles.end()) {
      return api_error(ApiCode::kForbidden,
                       "a token can only carry roles you hold; you do not hold " + r);
    }
  }
  const std::string token = identity::generate_token("dss_t_");
  ApiTokenRecord t;
  t.user_id = p.user.id;
  t.name = name;
  t.roles = roles;
  t.created_ms = ctx.now_ms();
  t.expires_ms = t.created_ms + days * 24 * 3600 * 1000;
  DSS_API_CHECK(t.id, ctx.app.store().create_token(identity::token_hash(token), t));
  ctx.object = "token:" + std::to_string(t.id);
  ctx.details.emplace_back("roles", join_roles(roles));
  json body = token_json(t);
  body["token"] = token;  // shown once; only its hash is stored
  body["note"] = "store this token now: it is shown once and cannot be recovered";
  return ok_reply(std::move(body), http::status::created);
}

Outcome list_tokens(App::Ctx& ctx) {
  const Principal& p = *ctx.principal;
  const bool all = (p.permissions & perm(Permission::kTokensManage)) != 0;
  DSS_API_CHECK(const auto tokens,
                ctx.app.store().tokens(all ? std::nullopt : std::optional(p.user.id)));
  json list = json::array();
  for (const auto& t : tokens) list.push_back(token_json(t));
  return ok_reply(json{{"tokens", list}});
}

Outcome revoke_token(App::Ctx& ctx) {
  const Principal& p = *ctx.principal;
  const auto parsed = parse_int64(ctx.params[0], 1);
  if (!parsed) {
    return api_error(ApiCode::kBadRequest,
                     "a token id is a positive whole number, as GET /api/v1/tokens lists it");
  }
  const std::int64_t id = *parsed;
  ctx.object = "token:" + std::to_string(id);
  const bool all = (p.permissions & perm(Permission::kTokensManage)) != 0;
  DSS_API_CHECK(const auto tokens,
                ctx.app.store().tokens(all ? std::nullopt : std::optional(p.user.id)));
  const bool visible = std::any_of(tokens.begin(), tokens.end(),
                                   [id](const ApiTokenRecord& t) { return t.id == id; });
  if (!visible) return api_error(ApiCode::kNotFound, "no such token");
  DSS_API_CHECK(const bool revoked, ctx.app.store().revoke_token(id, ctx.now_ms()));
  return ok_reply(json{{"id", id}, {"revoked", true}, {"was_active", revoked}});
}

json setting_json(const settings::Effective& e) {
  const settings::Declaration& d = *e.declaration;
  json j{{"key", d.key},
         {"value", json::parse(settings::value_to_json(e.value))},
         {"secure_default", json::parse(settings::value_to_json(d.secure_default))},
         {"description", d.description},
         {"risk_when_loosened", d.risk},
         {"loosened", e.loosened},
         {"source", settings::source_name(e.source)}};
  if (e.floor) j["policy_floor"] = json::parse(settings::value_to_json(*e.floor));
  if (!e.set_by.empty()) j["set_by"] = e.set_by;
  return j;
}

Outcome list_settings(App::Ctx& ctx) {
  json list = json::array();
  for (const auto& e : ctx.settings->all()) list.push_back(setting_json(e));
  return ok_reply(
      json{{"settings", list},
           {"posture", json::parse(settings::posture_json(ctx.settings->state(), ctx.now_s()))}});
}

Outcome change_setting(App::Ctx& ctx, bool reset) {
  const Principal& p = *ctx.principal;
  const std::string key = ctx.params[0];
  ctx.object = "setting:" + key;
  DSS_API_TRY(const std::string reason, str_field(ctx.body, "reason", 500, false));
  DSS_API_TRY(const std::string confirm, str_field(ctx.body, "confirm", 500, false));
  std::string value;
  if (!reset) {
    const auto it = ctx.body.find("value");
    if (it == ctx.body.end()) {
      return api_error(ApiCode::kBadRequest, "the field \"value\" is required");
    }
    if (it->is_string()) {
      value = it->get<std::string>();
    } else if (it->is_boolean() || it->is_number_integer()) {
      value = it->dump();
    } else if (it->is_array()) {
      for (const auto& v : *it) {
        if (!v.is_string()) {
          return api_error(ApiCode::kBadRequest, "a set holds strings");
        }
        value += (value.empty() ? "" : ",") + v.get<std::string>();
      }
    } else {
      return api_error(ApiCode::kBadRequest,
                       "\"value\" must be a string, a boolean, an integer or a list of strings");
    }
  }
  settings::Actor actor{p.actor_id, settings_role(p.user.roles)};
  settings::Consent consent{reason, confirm.empty() ? std::nullopt : std::optional(confirm)};
  Result<settings::Preview> preview = [&] {
    const std::lock_guard<std::mutex> lock(ctx.app.settings_mutex());
    return reset ? ctx.app.settings_engine().reset(actor, key, consent)
                 : ctx.app.settings_engine().set(actor, key, value, consent);
  }();
  // Published at once: the next answer's chime, and every check, use the new value.
  ignore_error(ctx.app.reload_settings());  // on failure recorded; the change is stored
  if (!preview) {
    if (preview.error().code == ErrorCode::kAcknowledgementRequired) {
      return api_error(ApiCode::kAcknowledgementRequired, preview.error().message);
    }
    return tl::unexpected(api_error(preview.error()).value());
  }
  json changes = json::array();
  for (const auto& c : preview->changes) {
    changes.push_back({{"key", c.key},
                       {"from", json::parse(settings::value_to_json(c.from))},
                       {"to", json::parse(settings::value_to_json(c.to))},
                       {"loosens", c.loosens}});
  }
  ctx.action = preview->loosens ? "settings.loosen" : reset ? "settings.reset" : "settings.tighten";
  json body{{"changes", changes}, {"loosened", preview->loosens}};
  if (preview->loosens) {
    body["warnings"] = preview->risks;
    body["note"] = "this loosening is recorded and will be reminded about until it is undone";
  }
  return ok_reply(std::move(body));
}

Outcome set_setting(App::Ctx& ctx) { return change_setting(ctx, false); }
Outcome reset_setting(App::Ctx& ctx) { return change_setting(ctx, true); }

Outcome query_audit(App::Ctx& ctx) {
  audit::Query q;
  const auto parse_int = [&](const char* name, std::int64_t& out) -> bool {
    const std::string v = ctx.query_param(name);
    if (v.empty()) return true;
    const auto parsed = parse_int64(v);
    if (parsed) out = *parsed;
    return parsed.has_value();
  };
  std::int64_t from = -1;
  std::int64_t to = -1;
  std::int64_t cursor = 0;
  std::int64_t limit = 100;
  if (!parse_int("from_ms", from) || !parse_int("to_ms", to) || !parse_int("cursor", cursor) ||
      !parse_int("limit", limit) || cursor < 0 || limit < 1 || limit > 1000) {
    return api_error(ApiCode::kBadRequest,
                     "from_ms, to_ms and cursor are integers; limit is 1 to 1000");
  }
  if (from >= 0) q.from_ms = from;
  if (to >= 0) q.to_ms = to;
  q.cursor = static_cast<std::uint64_t>(cursor);
  q.limit = static_cast<std::size_t>(limit);
  q.actor_id = ctx.query_param("actor");
  q.action = ctx.query_param("action");
  const std::string outcome = ctx.query_param("outcome");
  if (outcome == "success") q.outcome = audit::Outcome::kSuccess;
  if (outcome == "failure") q.outcome = audit::Outcome::kFailure;
  DSS_API_CHECK(const auto page, ctx.app.audit().query(q));
  json items = json::array();
  for (const auto& item : page.items) {
    json e = json::parse(audit::to_json(item.event), nullptr, false);
    items.push_back({{"index", item.index}, {"event", e}});
  }
  json body{{"items", items}, {"checkpoint", page.checkpoint}};
  if (page.next_cursor) body["next_cursor"] = *page.next_cursor;
  return ok_reply(std::move(body));
}

Outcome list_releases(App::Ctx& ctx) {
  if (ctx.app.config().repo_dir.empty()) return ok_reply(json{{"releases", json::array()}});
  DSS_API_CHECK(const auto releases,
                read_releases(ctx.app.config().repo_dir, ctx.now_s(), ctx.app.allowed_schemes()));
  json list = json::array();
  for (const auto& r : releases) list.push_back(release_json(r));
  return ok_reply(json{{"releases", list}});
}

// GET /api/v1/releases/{name}/{version}/sbom: the SBOM the release's signed metadata binds.
Outcome release_sbom(App::Ctx& ctx) {
  ctx.object = "release:" + ctx.params[0] + "@" + ctx.params[1];
  if (ctx.app.config().repo_dir.empty())
    return api_error(ApiCode::kNotFound, "this server serves no repository");
  DSS_API_CHECK(const auto targets,
                read_targets(ctx.app.config().repo_dir, ctx.now_s(), ctx.app.allowed_schemes()));
  for (const auto& r : targets) {
    if (r.version != ctx.params[1] || r.path.rfind(ctx.params[0] + "/", 0) != 0) continue;
    const auto& dss = r.custom.contains("dss") ? r.custom["dss"] : json::object();
    if (!dss.contains("sbom") || !dss["sbom"].is_object()) {
      return api_error(ApiCode::kNotFound, "this release was published without an SBOM");
    }
    const std::string path = dss["sbom"].value("target", "");
    const std::string sha = dss["sbom"].value("sha256", "");
    for (const auto& t : targets) {
      if (t.path != path || t.sha256 != sha) continue;
      DSS_API_CHECK(const std::string text,
                    read_target_file(ctx.app.config().repo_dir, t, 32u << 20));
      return ok_reply(json{{"release", r.name},
                           {"version", r.version},
                           {"format", dss["sbom"].value("format", "")},
                           {"sha256", sha},
                           {"sbom", json::parse(text, nullptr, false)}});
    }
    return api_error(ApiCode::kNotFound,
                     "the release's SBOM target is missing from the repository");
  }
  return api_error(ApiCode::kNotFound, "no such release is published");
}

// GET /api/v1/advisories: every published advisory, with how many devices it reached and how
// many of them have since been fixed (they stopped reporting it after an update).
Outcome list_advisories(App::Ctx& ctx) {
  json list = json::array();
  DSS_API_CHECK(const auto exposure, ctx.app.store().advisory_exposure());
  std::map<std::string, AdvisoryExposure> by_id;
  for (const auto& e : exposure) by_id[e.advisory_id] = e;
  if (!ctx.app.config().repo_dir.empty()) {
    DSS_API_CHECK(const auto targets,
                  read_targets(ctx.app.config().repo_dir, ctx.now_s(), ctx.app.allowed_schemes()));
    for (const auto& t : targets) {
      if (t.path.rfind("advisories/", 0) != 0) continue;
      auto text = read_target_file(ctx.app.config().repo_dir, t, advisory::kMaxAdvisoryBytes);
      if (!text) continue;
      auto a = advisory::parse_osv(*text);
      if (!a) continue;
      json ranges = json::array();
      for (const auto& af : a->affected) {
        for (const auto& r : af.ranges) {
          ranges.push_back(
              {{"package", af.package}, {"introduced", r.introduced}, {"fixed", r.fixed}});
        }
      }
      const AdvisoryExposure e = by_id.count(a->id) ? by_id[a->id] : AdvisoryExposure{a->id, 0, 0};
      list.push_back({{"id", a->id},
                      {"aliases", a->aliases},
                      {"summary", a->summary},
                      {"severity", a->severity},
                      {"cvss_vector", a->cvss_vector},
                      {"cwes", a->cwes},
                      {"affected_ranges", ranges},
                      {"devices_affected", e.affected},
                      {"devices_fixed", e.fixed},
                      {"devices_still_affected", e.affected - e.fixed}});
    }
  }
  return ok_reply(json{{"advisories", list}});
}

Outcome publish_release(App::Ctx& /*ctx*/) {
  // Releases are signed with the offline targets key, which this server never holds:
  // `dss repo add-target` signs on the release manager's machine, and the server serves the
  // result. Publishing through the API (uploading metadata signed offline) lands with the
  // releases issue.
  return api_error(ApiCode::kNotImplemented,
                   "publish with `dss repo release publish` on the machine that holds the targets "
                   "key; the server serves the signed result at /repo/");
}

Outcome posture(App::Ctx& ctx) {
  Store& store = ctx.app.store();
  DSS_API_CHECK(const auto devices, store.devices());
  std::vector<ReleaseInfo> releases;
  if (!ctx.app.config().repo_dir.empty()) {
    auto r = read_releases(ctx.app.config().repo_dir, ctx.now_s(), ctx.app.allowed_schemes());
    if (r) releases = std::move(*r);
  }
  std::size_t on_newest = 0;
  std::size_t loosened = 0;
  std::size_t domain_failed = 0;
  json loosened_ids = json::array();
  json failed_ids = json::array();
  // The release transparency checkpoints devices kept (witness.h): "forked" and "invalid" are
  // evidence of a split view and list the devices.
  json log_status = json::object();
  json log_conflict_ids = json::array();
  for (const auto& d : devices) {
    log_status[d.log_status] = log_status.value(d.log_status, 0) + 1;
    if (d.log_status == "forked" || d.log_status == "invalid") log_conflict_ids.push_back(d.id);
    if (is_newest_for_channel(releases, d.channel, d.installed_version)) ++on_newest;
    if (d.loosened_json != "[]") {
      ++loosened;
      loosened_ids.push_back(d.id);
    }
    if (d.domain_failed) {
      ++domain_failed;
      failed_ids.push_back(d.id);
    }
  }
  DSS_API_CHECK(const auto users, store.list_users());
  std::size_t admins_without_mfa = 0;
  std::size_t pending = 0;
  std::map<std::string, std::size_t> by_factor{{"totp", 0}, {"webauthn", 0}, {"none", 0}};
  std::size_t active_users = 0;
  for (const auto& u : users) {
    if (u.disabled) continue;
    ++active_users;
    DSS_API_CHECK(const auto factors, store.factors(u.id));
    std::set<std::string> kinds;
    for (const auto& f : factors) {
      if (f.confirmed) kinds.insert(f.kind);
    }
    for (const auto& k : kinds) ++by_factor[k];
    if (kinds.empty()) {
      ++by_factor["none"];
      // A privileged account without a factor cannot act (sign-in stops at enrolment), so it
      // is "pending"; one that could act without MFA would be a defect and is counted apart.
      if (any_privileged(u.roles)) ++pending;
      if (any_privileged(u.roles)) {
        DSS_API_CHECK(const auto sessions, store.sessions_of(u.id));
        if (std::any_of(sessions.begin(), sessions.end(),
                        [](const SessionRecord& s) { return s.state == SessionState::kActive; })) {
          ++admins_without_mfa;  // signed in without a factor: must never happen
        }
      }
    }
  }
  const double pct = devices.empty() ? 100.0
                                     : 100.0 * static_cast<double>(on_newest) /
                                           static_cast<double>(devices.size());
  json adoption = json::object();
  for (const auto& [k, v] : by_factor) adoption[k] = v;
  const std::string settings_posture = settings::posture_json(ctx.settings->state(), ctx.now_s());
  return ok_reply(json{
      {"devices", devices.size()},
      {"devices_on_newest_release_percent", pct},
      {"devices_with_loosened_settings", loosened},
      {"devices_with_loosened_settings_ids", loosened_ids},
      {"devices_failing_domain_checks", domain_failed},
      {"devices_failing_domain_checks_ids", failed_ids},
      {"devices_by_transparency_status", log_status},
      {"devices_with_conflicting_transparency_checkpoint_ids", log_conflict_ids},
      {"admins_without_mfa", admins_without_mfa},
      {"privileged_accounts_pending_mfa_enrolment", pending},
      {"accounts", active_users},
      {"mfa_adoption_by_factor", adoption},
      {"server_settings", json::parse(settings_posture, nullptr, false)},
  });
}

}  // namespace

std::vector<Route> admin_routes() {
  using V = http::verb;
  using P = Permission;
  return {
      {V::get,
       "/api/v1/users",
       Access::kActive,
       perm(P::kUsersRead),
       false,
       "",
       Commit::kAuditAfter,
       {},
       list_users},
      {V::post,
       "/api/v1/users",
       Access::kActive,
       perm(P::kUsersManage),
       true,
       "user.create",
       Commit::kAtomic,
       {"username", "password", "job", "roles"},
       create_user},
      {V::post,
       "/api/v1/users/{}/disable",
       Access::kActive,
       perm(P::kUsersManage),
       true,
       "user.disable",
       Commit::kAtomic,
       {},
       disable_user},
      {V::post,
       "/api/v1/users/{}/enable",
       Access::kActive,
       perm(P::kUsersManage),
       true,
       "user.enable",
       Commit::kAtomic,
       {},
       enable_user},
      {V::put,
       "/api/v1/users/{}/roles",
       Access::kActive,
       perm(P::kRolesGrant),
       true,
       "role.grant",
       Commit::kAtomic,
       {"roles"},
       set_roles},
      {V::post,
       "/api/v1/users/{}/reset-mfa",
       Access::kActive,
       perm(P::kUsersManage),
       true,
       "auth.mfa.remove",
       Commit::kAtomic,
       {},
       reset_mfa},
      {V::get, "/api/v1/roles", Access::kActive, 0, false, "", Commit::kAuditAfter, {}, list_roles},
      {V::post,
       "/api/v1/tokens",
       Access::kActive,
       0,
       false,
       "token.create",
       Commit::kAtomic,
       {"name", "roles", "expires_in_days"},
       create_token},
      {V::get,
       "/api/v1/tokens",
       Access::kActive,
       0,
       false,
       "",
       Commit::kAuditAfter,
       {},
       list_tokens},
      {V::delete_,
       "/api/v1/tokens/{}",
       Access::kActive,
       0,
       false,
       "token.revoke",
       Commit::kAtomic,
       {},
       revoke_token},
      {V::get,
       "/api/v1/settings",
       Access::kActive,
       perm(P::kSettingsRead),
       false,
       "",
       Commit::kAuditAfter,
       {},
       list_settings},
      {V::put,
       "/api/v1/settings/{}",
       Access::kActive,
       perm(P::kSettingsWrite),
       true,
       "config.change",
       Commit::kAtomic,
       {"value", "reason", "confirm"},
       set_setting},
      {V::delete_,
       "/api/v1/settings/{}",
       Access::kActive,
       perm(P::kSettingsWrite),
       true,
       "settings.reset",
       Commit::kAtomic,
       {"reason", "confirm"},
       reset_setting},
      {V::get,
       "/api/v1/audit",
       Access::kActive,
       perm(P::kAuditRead),
       false,
       "",
       Commit::kAuditAfter,
       {},
       query_audit},
      {V::get,
       "/api/v1/releases",
       Access::kActive,
       perm(P::kReleasesRead),
       false,
       "",
       Commit::kAuditAfter,
       {},
       list_releases},
      {V::get,
       "/api/v1/releases/{}/{}/sbom",
       Access::kActive,
       perm(P::kReleasesRead),
       false,
       "",
       Commit::kAuditAfter,
       {},
       release_sbom},
      {V::get,
       "/api/v1/advisories",
       Access::kActive,
       perm(P::kPostureRead),
       false,
       "",
       Commit::kAuditAfter,
       {},
       list_advisories},
      {V::post,
       "/api/v1/releases",
       Access::kActive,
       perm(P::kReleasesPublish),
       false,
       "release.publish",
       Commit::kAtomic,
       {"name", "version"},
       publish_release},
      {V::get,
       "/api/v1/posture",
       Access::kActive,
       perm(P::kPostureRead),
       false,
       "",
       Commit::kAuditAfter,
       {},
       posture},
  };
}

}  // namespace dss::server
