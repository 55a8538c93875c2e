// The API's request handling without HTTPS or SQLite: a real App (dispatcher, authenticator,
// handlers) on the in-memory Store (tests/fakes/memory_store.h) with a real audit log. One test
// per rule of the authenticator and the dispatcher, each named after it.
#include <gtest/gtest.h>

#include <optional>

#include "audit/audit_log.h"
#include "fakes/memory_store.h"
#include "fakes/settings_fakes.h"
#include "fakes/temp_dir.h"
#include "identity/password.h"
#include "identity/token.h"
#include "server/app_internal.h"
#include "settings/chime.h"

namespace dss::server {
namespace {

using testing::MemoryStore;

class StepClock final : public Clock {
 public:
  [[nodiscard]] UnixSeconds now() const override { return ms_ / 1000; }
  [[nodiscard]] std::int64_t now_ms() const override { return ms_; }
  void advance_s(std::int64_t s) { ms_ += s * 1000; }

 private:
  std::int64_t ms_ = 1'800'000'000'000;
};

constexpr const char* kOrigin = "https://dss.example:8443";

class Dispatch : public ::testing::Test {
 protected:
  void SetUp() override {
    auto log = audit::AuditLog::open(dir_.path() / "audit", clock_, {});
    ASSERT_TRUE(log) << log.error().to_string();
    audit_ = std::move(*log);
    auto box = SecretBox::open_or_create(dir_.path() / "secret.key");
    ASSERT_TRUE(box) << box.error().to_string();
    AppConfig config;
    config.product_version = "test";
    app_ = std::make_unique<App>(config, store_, *audit_, engine_, settings::SettingsState{},
                                 clock_, std::move(*box));
    app_->set_public_origin(kOrigin);
    UserRecord u;
    u.name = "olive";
    u.roles = {"owner"};
    auto id = store_.create_user(u);
    ASSERT_TRUE(id);
    owner_id_ = *id;
  }

  // A session of the owner in `state`, created `age_s` ago and last used `idle_s` ago (when
  // it was created, if not given); returns its token.
  std::string session(SessionState state, std::int64_t age_s = 0,
                      std::optional<std::int64_t> idle_s = std::nullopt) {
    const std::string token = identity::generate_token(identity::kSessionTokenPrefix);
    SessionRecord s;
    s.user_id = owner_id_;
    s.state = state;
    s.created_ms = clock_.now_ms() - age_s * 1000;
    s.last_seen_ms = clock_.now_ms() - idle_s.value_or(age_s) * 1000;
    s.reauth_ms = s.created_ms;
    EXPECT_TRUE(store_.create_session(identity::token_hash(token), s));
    return token;
  }

  // An API token of the owner, with `roles`.
  std::string api_token(std::vector<std::string> roles, std::int64_t lifetime_s = 3600) {
    const std::string token = identity::generate_token(identity::kApiTokenPrefix);
    ApiTokenRecord t;
    t.user_id = owner_id_;
    t.name = "ci";
    t.roles = std::move(roles);
    t.created_ms = clock_.now_ms();
    t.expires_ms = clock_.now_ms() + lifetime_s * 1000;
    EXPECT_TRUE(store_.create_token(identity::token_hash(token), t));
    return token;
  }

  Response call(http::verb method, const std::string& target, const std::string& body = "",
                std::vector<std::pair<std::string, std::string>> headers = {}) {
    Request req{method, target, 11};
    req.set(http::field::host, "dss.example");
    for (const auto& [k, v] : headers) req.set(k, v);
    if (!body.empty()) {
      req.set(http::field::content_type, "application/json");
      req.body() = body;
      req.prepare_payload();
    }
    return app_->handle(req, Peer{"192.0.2.7"});
  }
  Response with_cookie(http::verb method, const std::string& target, const std::string& token,
                       const std::string& body = "", bool csrf = true) {
    std::vector<std::pair<std::string, std::string>> h = {
        {"Cookie", std::string(kSessionCookie) + "=" + token}, {"Origin", kOrigin}};
    if (csrf) h.emplace_back("X-CSRF-Token", csrf_token_for(token));
    return call(method, target, body, h);
  }
  Response with_bearer(http::verb method, const std::string& target, const std::string& token,
                       const std::string& body = "") {
    return call(method, target, body, {{"Authorization", "Bearer " + token}});
  }

  static std::string code_of(const Response& r) {
    const auto j = json::parse(r.body(), nullptr, false);
    return j.is_object() && j.contains("error") ? j["error"]["code"].get<std::string>() : "";
  }
  std::size_t audited(const std::string& action) {
    audit::Query q;
    q.action = action;
    auto page = audit_->query(q);
    return page ? page->items.size() : 0;
  }

  dss::testing::TempDir dir_{"dss-dispatch"};
  StepClock clock_;
  MemoryStore store_;
  dss::testing::MemorySettingsStore settings_store_;
  dss::testing::FakeAuditSink settings_audit_;
  settings::SettingsEngine engine_{settings_store_, settings_audit_, clock_};
  std::unique_ptr<audit::AuditLog> audit_;
  std::unique_ptr<App> app_;
  std::int64_t owner_id_ = 0;
};

TEST_F(Dispatch, ATokenActsOnlyWithTheRolesItsAccountStillHolds) {
  const std::string token = api_token({"owner"});
  EXPECT_EQ(with_bearer(http::verb::get, "/api/v1/users", token).result(), http::status::ok);
  ASSERT_TRUE(store_.set_roles(owner_id_, {"viewer"}));
  const Response r = with_bearer(http::verb::get, "/api/v1/users", token);
  EXPECT_EQ(r.result(), http::status::forbidden);
  EXPECT_EQ(code_of(r), "forbidden");
  EXPECT_EQ(audited("authz.denied"), 1U);
}

TEST_F(Dispatch, ARevokedOrExpiredTokenIsRefused) {
  const std::string revoked = api_token({"owner"});
  auto list = store_.tokens(std::nullopt);
  ASSERT_TRUE(list && list->size() == 1);
  ASSERT_TRUE(store_.revoke_token(list->front().id, clock_.now_ms()));
  EXPECT_EQ(with_bearer(http::verb::get, "/api/v1/roles", revoked).result(),
            http::status::unauthorized);
  const std::string expiring = api_token({"owner"}, 60);
  clock_.advance_s(61);
  EXPECT_EQ(with_bearer(http::verb::get, "/api/v1/roles", expiring).result(),
            http::status::unauthorized);
}

TEST_F(Dispatch, AnIdleSessionIsEndedClearedAndRecorded) {
  const std::string token = session(SessionState::kActive);
  clock_.advance_s(31 * 60);  // session.idle_timeout_minutes is 30 by default
  const Response r = with_cookie(http::verb::get, "/api/v1/roles", token);
  EXPECT_EQ(r.result(), http::status::unauthorized);
  EXPECT_EQ(code_of(r), "session_expired");
  EXPECT_NE(std::string(r[http::field::set_cookie]).find("Max-Age=0"), std::string::npos);
  EXPECT_EQ(audited("session.expire"), 1U);
  auto gone = store_.session_by_token(identity::token_hash(token));
  ASSERT_TRUE(gone);
  EXPECT_FALSE(gone->has_value());
}

// The session limits come from the published settings snapshot: a shorter idle timeout set by
// the owner is in force for the next request, without a restart.
TEST_F(Dispatch, TheIdleTimeoutIsThePublishedSettingsValue) {
  const std::string token = session(SessionState::kActive);
  clock_.advance_s(6 * 60);
  EXPECT_EQ(with_cookie(http::verb::get, "/api/v1/roles", token).result(), http::status::ok);
  ASSERT_TRUE(engine_.set({"local:olive", settings::Role::kOwner}, "session.idle_timeout_minutes",
                          "5", {"shorter", std::nullopt}));
  ASSERT_TRUE(app_->reload_settings());
  clock_.advance_s(6 * 60);
  EXPECT_EQ(code_of(with_cookie(http::verb::get, "/api/v1/roles", token)), "session_expired");
}

// session.absolute_lifetime_hours: a session in use all along still ends at the published
// lifetime (12 hours by default, 4 once the owner shortens it).
TEST_F(Dispatch, TheAbsoluteSessionLifetimeIsThePublishedSettingsValue) {
  const std::string token = session(SessionState::kActive, 5 * 3600, /*idle_s=*/60);
  EXPECT_EQ(with_cookie(http::verb::get, "/api/v1/roles", token).result(), http::status::ok);
  ASSERT_TRUE(engine_.set({"local:olive", settings::Role::kOwner},
                          "session.absolute_lifetime_hours", "4", {"shorter", std::nullopt}));
  ASSERT_TRUE(app_->reload_settings());
  const Response r = with_cookie(http::verb::get, "/api/v1/roles", token);
  EXPECT_EQ(r.result(), http::status::unauthorized);
  EXPECT_EQ(code_of(r), "session_expired");
}

// auth.max_failed_logins_per_hour: the account locks at the published limit. Five failures in
// the hour, past their back-off, are under the default 10 and at a tightened 5.
TEST_F(Dispatch, TheFailedSignInLimitIsThePublishedSettingsValue) {
  auto hash = identity::hash_password("the owner's real and long password");
  ASSERT_TRUE(hash);
  ASSERT_TRUE(store_.set_password_hash(owner_id_, *hash));
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(store_.record_failure("user:olive", clock_.now_ms()));
  clock_.advance_s(10 * 60);  // past the back-off of the failures beyond the free ones
  const std::string wrong = R"({"username":"olive","password":"a wrong password, but long"})";
  Response r = call(http::verb::post, "/api/v1/auth/login", wrong);
  EXPECT_EQ(r.result(), http::status::unauthorized) << r.body();  // a fifth failure, not locked
  clock_.advance_s(10 * 60);
  ASSERT_TRUE(engine_.set({"local:olive", settings::Role::kOwner},
                          "auth.max_failed_logins_per_hour", "5", {"stricter", std::nullopt}));
  ASSERT_TRUE(app_->reload_settings());
  r = call(http::verb::post, "/api/v1/auth/login", wrong);
  EXPECT_EQ(r.result(), http::status::too_many_requests) << r.body();
  EXPECT_EQ(code_of(r), "locked_out");
}

// auth.mfa_required: an account with no privileged role may skip setting up a second factor
// only while the owner has loosened the setting; a privileged account never may.
TEST_F(Dispatch, OnlyAnUnprivilegedAccountSkipsMfaAndOnlyWhileMfaRequiredIsLoosened) {
  auto hash = identity::hash_password("a viewer's real and long password");
  ASSERT_TRUE(hash);
  UserRecord viewer;
  viewer.name = "vic";
  viewer.roles = {"viewer"};
  viewer.password_hash = *hash;
  ASSERT_TRUE(store_.create_user(viewer));
  ASSERT_TRUE(store_.set_password_hash(owner_id_, *hash));
  const auto state_after_login = [&](const std::string& name) {
    const Response r =
        call(http::verb::post, "/api/v1/auth/login",
             json{{"username", name}, {"password", "a viewer's real and long password"}}.dump());
    const auto j = json::parse(r.body(), nullptr, false);
    return j.is_object() && j.contains("state") ? j["state"].get<std::string>() : r.body();
  };
  EXPECT_EQ(state_after_login("vic"), "mfa_enrolment");
  ASSERT_TRUE(engine_.set({"local:olive", settings::Role::kOwner}, "auth.mfa_required", "off",
                          {"test", settings::loosening_phrase("auth.mfa_required", false)}));
  ASSERT_TRUE(app_->reload_settings());
  EXPECT_EQ(state_after_login("vic"), "active");
  EXPECT_EQ(state_after_login("olive"), "mfa_enrolment");
}

TEST_F(Dispatch, ACookieChangeNeedsOurOriginAndTheCsrfToken) {
  const std::string token = session(SessionState::kActive);
  const std::string body = R"({"name":"ci","roles":["owner"]})";
  const Response foreign = call(http::verb::post, "/api/v1/tokens", body,
                                {{"Cookie", std::string(kSessionCookie) + "=" + token},
                                 {"Origin", "https://evil.example"},
                                 {"X-CSRF-Token", csrf_token_for(token)}});
  EXPECT_EQ(code_of(foreign), "csrf");
  EXPECT_EQ(code_of(with_cookie(http::verb::post, "/api/v1/tokens", token, body, false)), "csrf");
  auto none = store_.tokens(std::nullopt);
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty()) << "a refused request changes nothing";
  EXPECT_EQ(with_cookie(http::verb::post, "/api/v1/tokens", token, body).result(),
            http::status::created);
}

TEST_F(Dispatch, ASessionWaitingForItsSecondFactorReachesNoSignedInRoute) {
  EXPECT_EQ(code_of(with_cookie(http::verb::get, "/api/v1/roles", session(SessionState::kMfa))),
            "mfa_required");
  EXPECT_EQ(
      code_of(with_cookie(http::verb::get, "/api/v1/roles", session(SessionState::kMfaEnrolment))),
      "mfa_enrolment_required");
}

TEST_F(Dispatch, ASensitiveRouteNeedsAPersonWhoConfirmedRecently) {
  const std::string body = R"({"username":"bob","password":"x","job":"viewer"})";
  EXPECT_EQ(code_of(with_bearer(http::verb::post, "/api/v1/users", api_token({"owner"}), body)),
            "reauth_required");
  const std::string stale = session(SessionState::kActive, 11 * 60);
  EXPECT_EQ(code_of(with_cookie(http::verb::post, "/api/v1/users", stale, body)),
            "reauth_required");
}

TEST_F(Dispatch, AnUnknownBodyFieldIsRefusedNamingTheAllowedOnes) {
  const Response r = with_bearer(http::verb::post, "/api/v1/tokens", api_token({"owner"}),
                                 R"({"name":"ci","admin":true})");
  EXPECT_EQ(r.result(), http::status::bad_request);
  EXPECT_NE(r.body().find("unknown field \\\"admin\\\""), std::string::npos) << r.body();
  EXPECT_NE(r.body().find("name, roles, expires_in_days"), std::string::npos) << r.body();
}

// kAtomic: the handler's store writes and the audit event commit together or not at all.
TEST_F(Dispatch, AnAtomicRouteWhoseStoreFailsLeavesNothingAndAnswersWithoutACredential) {
  const std::string token = session(SessionState::kActive);
  store_.fail_next("create_token");
  const Response r =
      with_cookie(http::verb::post, "/api/v1/tokens", token, R"({"name":"ci","roles":["owner"]})");
  EXPECT_NE(r.result(), http::status::created);
  EXPECT_EQ(r.body().find("\"token\""), std::string::npos) << r.body();
  auto none = store_.tokens(std::nullopt);
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
}

TEST_F(Dispatch, EveryAnswerCarriesTheChimeHeaderOfThePublishedSettings) {
  EXPECT_EQ(std::string(call(http::verb::get, "/api/v1/nowhere")[settings::kChimeHeader]), "none");
  ASSERT_TRUE(engine_.set({"local:olive", settings::Role::kOwner}, "tls.plaintext_listener", "on",
                          {"test", settings::loosening_phrase("tls.plaintext_listener", true)}));
  ASSERT_TRUE(app_->reload_settings());
  EXPECT_NE(std::string(call(http::verb::get, "/api/v1/nowhere")[settings::kChimeHeader])
                .find("tls.plaintext_listener"),
            std::string::npos);
}

}  // namespace
}  // namespace dss::server
