// End to end: the real control plane on an HTTPS port 0, driven over loopback with libcurl.
// The clock is a test clock (sessions, TOTP steps and lockouts move with it); TLS uses the
// certificate the server generates on first start.
#include "httpd/server.h"

#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <sstream>

#include "core/bytes.h"
#include "fakes/temp_dir.h"
#include "identity/totp.h"
#include "server/server_fixture.h"
#include "settings/engine.h"
#include "settings/system.h"

namespace dss::server {
namespace {

using nlohmann::json;
using testing::HttpResult;
using testing::HttpsClient;

TEST_F(ServerTest, FirstStartPrintsFingerprintAndOneTimeSetupCodeOnTheTerminalOnly) {
  EXPECT_NE(terminal_.find("SHA-256 fingerprint is "), std::string::npos);
  const std::string code = setup_code();
  ASSERT_FALSE(code.empty());
  auto c = client();
  // Wrong code refused; the right one works once.
  EXPECT_EQ(c.post("/api/v1/setup",
                   {{"setup_code", "nope"}, {"username", "olive"}, {"password", kOwnerPassword}})
                .status,
            401);
  EXPECT_EQ(c.post("/api/v1/setup",
                   {{"setup_code", code}, {"username", "olive"}, {"password", kOwnerPassword}})
                .status,
            201);
  EXPECT_EQ(c.post("/api/v1/setup",
                   {{"setup_code", code}, {"username", "mallory"}, {"password", kOwnerPassword}})
                .status,
            401);
  EXPECT_EQ(user_count(), 1);
}

TEST_F(ServerTest, SetupCodeExpiresAfterThirtyMinutes) {
  clock_.advance_s(31 * 60);
  auto c = client();
  EXPECT_EQ(
      c.post("/api/v1/setup",
             {{"setup_code", setup_code()}, {"username", "olive"}, {"password", kOwnerPassword}})
          .status,
      401);
  EXPECT_EQ(user_count(), 0);
}

TEST_F(ServerTest, LoginBeforeMfaEnrolmentIsForcedIntoEnrolment) {
  auto c = client();
  ASSERT_EQ(
      c.post("/api/v1/setup",
             {{"setup_code", setup_code()}, {"username", "olive"}, {"password", kOwnerPassword}})
          .status,
      201);
  const auto login =
      c.post("/api/v1/auth/login", {{"username", "olive"}, {"password", kOwnerPassword}});
  ASSERT_EQ(login.status, 200);
  EXPECT_EQ(login.json()["state"], "mfa_enrolment");
  const auto users = c.get("/api/v1/users");
  EXPECT_EQ(users.status, 403);
  EXPECT_EQ(users.json()["error"]["code"], "mfa_enrolment_required");
  const auto enrol = c.post("/api/v1/auth/mfa/totp/enrol");
  ASSERT_EQ(enrol.status, 200);
  EXPECT_NE(enrol.json()["qr_svg"].get<std::string>().find("<svg"), std::string::npos);
  const SecretBytes secret = secret_of(enrol.json()["otpauth_uri"].get<std::string>());
  ASSERT_EQ(c.post("/api/v1/auth/mfa/totp/confirm", {{"code", code_now(secret)}}).status, 200);
  EXPECT_EQ(c.get("/api/v1/users").status, 200);
}

TEST_F(ServerTest, WrongAndReplayedTotpCodesAreRefused) {
  auto c = client();
  const SecretBytes secret = owner_signed_in(c);
  clock_.advance_s(30);
  auto second = client();
  ASSERT_EQ(second.post("/api/v1/auth/login", {{"username", "olive"}, {"password", kOwnerPassword}})
                .json()["state"],
            "mfa");
  EXPECT_EQ(second.get("/api/v1/users").json()["error"]["code"], "mfa_required");
  const std::string good = code_now(secret);
  const std::string wrong = good == "000000" ? "111111" : "000000";
  const auto bad = second.post("/api/v1/auth/mfa", {{"code", wrong}});
  EXPECT_EQ(bad.status, 401);
  EXPECT_EQ(bad.json()["error"]["code"], "mfa_invalid");
  EXPECT_EQ(second.post("/api/v1/auth/mfa", {{"code", good}}).status, 200);
  // The same code again, in the same 30-second step, from a new sign-in: a replay.
  auto third = client();
  ASSERT_EQ(third.post("/api/v1/auth/login", {{"username", "olive"}, {"password", kOwnerPassword}})
                .status,
            200);
  const auto replay = third.post("/api/v1/auth/mfa", {{"code", good}});
  EXPECT_EQ(replay.status, 401);
  EXPECT_EQ(replay.json()["error"]["code"], "mfa_replay");
  EXPECT_EQ(third.get("/api/v1/users").status, 403);
}

TEST_F(ServerTest, RecoveryCodeWorksOnce) {
  auto c = client();
  owner_signed_in(c);
  const std::string code = recovery_codes_[0].get<std::string>();
  for (int i = 0; i < 2; ++i) {
    auto d = client();
    ASSERT_EQ(
        d.post("/api/v1/auth/login", {{"username", "olive"}, {"password", kOwnerPassword}}).status,
        200);
    EXPECT_EQ(d.post("/api/v1/auth/mfa", {{"recovery_code", code}}).status, i == 0 ? 200 : 401);
  }
}

TEST_F(ServerTest, BruteForceLocksTheAccountOutEvenForTheRightPassword) {
  auto c = client();
  owner_signed_in(c);
  auto attacker = client();
  int locked = 0;
  for (int i = 0; i < 12; ++i) {
    const auto r = attacker.post(
        "/api/v1/auth/login",
        {{"username", "olive"}, {"password", "wrong password number " + std::to_string(i)}});
    if (r.status == 429) {
      ++locked;
      EXPECT_FALSE(r.header("Retry-After").empty());
    } else {
      EXPECT_EQ(r.status, 401);
    }
  }
  EXPECT_GT(locked, 0);
  const auto right =
      attacker.post("/api/v1/auth/login", {{"username", "olive"}, {"password", kOwnerPassword}});
  EXPECT_EQ(right.status, 429);
  EXPECT_EQ(right.json()["error"]["code"], "locked_out");
  // Every failure is in the audit log.
  audit::Query q;
  q.action = "auth.login";
  q.limit = 1000;
  auto page = service_->audit().query(q);
  ASSERT_TRUE(page);
  int failures = 0;
  for (const auto& item : page->items) {
    if (item.event.outcome == audit::Outcome::kFailure) ++failures;
  }
  EXPECT_GE(failures, 12);
}

TEST_F(ServerTest, CsrfWithoutTokenOrFromAnotherOriginIsRejected) {
  auto c = client();
  const SecretBytes secret = owner_signed_in(c);
  reauth(c, kOwnerPassword, secret);
  c.send_csrf(false);
  auto r = c.post("/api/v1/devices/enrolment-tokens");
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(r.json()["error"]["code"], "csrf");
  c.send_csrf(true);
  c.set_origin("https://evil.example");
  r = c.post("/api/v1/devices/enrolment-tokens");
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(r.json()["error"]["code"], "csrf");
  c.set_origin(origin_);
  EXPECT_EQ(c.post("/api/v1/devices/enrolment-tokens").status, 201);
}

TEST_F(ServerTest, ViewerCannotPublishAndOperatorCannotChangeSettings) {
  auto owner = client();
  const SecretBytes owner_secret = owner_signed_in(owner);
  auto viewer = client();
  add_user(owner, owner_secret, viewer, "vera", "viewer");
  const auto publish = viewer.post("/api/v1/releases", {{"name", "app"}, {"version", "2.0"}});
  EXPECT_EQ(publish.status, 403);
  EXPECT_EQ(publish.json()["error"]["code"], "forbidden");
  auto op = client();
  const SecretBytes op_secret = add_user(owner, owner_secret, op, "oscar", "operator");
  reauth(op, password_for("oscar"), op_secret);
  const auto change = op.put("/api/v1/settings/auth.mfa_required", {{"value", false}});
  EXPECT_EQ(change.status, 403);
  // The operator can do the operator's job.
  EXPECT_EQ(op.post("/api/v1/devices/enrolment-tokens").status, 201);
  // Denials are audited.
  EXPECT_GE(audited("authz.denied"), 2);
}

TEST_F(ServerTest, GrantBeyondTheJobProfileWarnsAndIsAudited) {
  auto owner = client();
  const SecretBytes secret = owner_signed_in(owner);
  reauth(owner, kOwnerPassword, secret);
  const auto r = owner.post("/api/v1/users", {{"username", "vic"},
                                              {"password", "a long passphrase for the viewer 42"},
                                              {"job", "viewer"},
                                              {"roles", {"viewer", "security-officer"}}});
  ASSERT_EQ(r.status, 201) << r.body;
  ASSERT_TRUE(r.json().contains("warnings"));
  EXPECT_NE(r.json()["warnings"][0].get<std::string>().find("security-officer"), std::string::npos);
}

TEST_F(ServerTest, SensitiveActionsNeedRecentReauthentication) {
  auto owner = client();
  owner_signed_in(owner);
  clock_.advance_s(11 * 60);  // the sign-in's confirmation is older than 10 minutes
  owner.get("/api/v1/auth/me");
  const auto r = owner.put("/api/v1/settings/session.idle_timeout_minutes", {{"value", 15}});
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(r.json()["error"]["code"], "reauth_required");
}

TEST_F(ServerTest, MalformedOversizedAndWronglyTypedJsonGetClear4xxAndChangeNothing) {
  auto owner = client();
  const SecretBytes secret = owner_signed_in(owner);
  reauth(owner, kOwnerPassword, secret);
  const std::int64_t before = user_count();
  const auto malformed = owner.request("POST", "/api/v1/users", "{\"username\": \"x\",");
  EXPECT_EQ(malformed.status, 400);
  EXPECT_NE(malformed.json()["error"]["message"].get<std::string>().find("not valid JSON"),
            std::string::npos);
  const auto wrong_type =
      owner.post("/api/v1/users", {{"username", 42}, {"password", "x"}, {"job", "viewer"}});
  EXPECT_EQ(wrong_type.status, 400);
  EXPECT_NE(wrong_type.body.find("username"), std::string::npos);
  const auto unknown = owner.post("/api/v1/users", {{"username", "zed"},
                                                    {"password", "a long passphrase zed 42"},
                                                    {"job", "viewer"},
                                                    {"admin", true}});
  EXPECT_EQ(unknown.status, 400);
  EXPECT_NE(unknown.body.find("unknown field"), std::string::npos);
  const auto media = owner.request("POST", "/api/v1/users", "username=zed", {},
                                   "application/x-www-form-urlencoded");
  EXPECT_EQ(media.status, 415);
  const auto big = owner.request("POST", "/api/v1/users", std::string(200 * 1024, ' '));
  EXPECT_EQ(big.status, 413);
  const auto dup = owner.request(
      "POST", "/api/v1/users", R"({"username":"a","username":"b","password":"x","job":"viewer"})");
  EXPECT_EQ(dup.status, 400);
  const auto not_object = owner.request("POST", "/api/v1/users", "[1,2]");
  EXPECT_EQ(not_object.status, 400);
  EXPECT_EQ(user_count(), before);
  // Unknown paths and methods.
  EXPECT_EQ(owner.get("/api/v1/nothing-here").status, 404);
  EXPECT_EQ(owner.request("DELETE", "/api/v1/users").status, 405);
}

TEST_F(ServerTest, WeakAndBreachedPasswordsAreRefusedWithTheRule) {
  auto owner = client();
  const SecretBytes secret = owner_signed_in(owner);
  reauth(owner, kOwnerPassword, secret);
  const auto short_pw =
      owner.post("/api/v1/users", {{"username", "sam"}, {"password", "short"}, {"job", "viewer"}});
  EXPECT_EQ(short_pw.status, 400);
  EXPECT_EQ(short_pw.json()["error"]["code"], "weak_password");
  EXPECT_EQ(user_count(), 1);
}

TEST_F(ServerTest, SessionsExpireUnderAFakeClock) {
  auto c = client();
  owner_signed_in(c);
  EXPECT_EQ(c.get("/api/v1/auth/me").status, 200);
  clock_.advance_s(29 * 60);
  EXPECT_EQ(c.get("/api/v1/auth/me").status, 200);  // activity keeps it alive
  clock_.advance_s(31 * 60);
  const auto idle = c.get("/api/v1/auth/me");
  EXPECT_EQ(idle.status, 401);
  EXPECT_EQ(idle.json()["error"]["code"], "session_expired");
  // Absolute lifetime: 12 hours, however active.
  clock_.advance_s(30);
  auto d = client();
  d.post("/api/v1/auth/login", {{"username", "olive"}, {"password", kOwnerPassword}});
  for (int i = 0; i < 13 * 3; ++i) {
    clock_.advance_s(20 * 60);
    if (d.get("/api/v1/auth/me").status == 401) break;
  }
  EXPECT_EQ(d.get("/api/v1/auth/me").status, 401);
}

// auth.password_min_length, tightened by the owner: a new password shorter than the new
// minimum is refused, though the default (15) would take it.
TEST_F(ServerTest, TightenedMinimumPasswordLengthAppliesToNewPasswords) {
  auto owner = client();
  const SecretBytes secret = owner_signed_in(owner);
  reauth(owner, kOwnerPassword, secret);
  const std::string pw = "quiet river, 48 stones";  // 22 characters
  const auto tightened = owner.put("/api/v1/settings/auth.password_min_length", {{"value", 30}});
  ASSERT_EQ(tightened.status, 200) << tightened.body;
  const auto refused =
      owner.post("/api/v1/users", {{"username", "sam"}, {"password", pw}, {"job", "viewer"}});
  EXPECT_EQ(refused.status, 400) << refused.body;
  EXPECT_EQ(refused.json()["error"]["code"], "weak_password");
  EXPECT_EQ(user_count(), 1);
  const auto reset = owner.put(
      "/api/v1/settings/auth.password_min_length",
      {{"value", 15},
       {"confirm", settings::loosening_phrase("auth.password_min_length", std::int64_t{15})}});
  ASSERT_EQ(reset.status, 200) << reset.body;
  const auto created =
      owner.post("/api/v1/users", {{"username", "sam"}, {"password", pw}, {"job", "viewer"}});
  EXPECT_EQ(created.status, 201) << created.body;
}

// session.idle_timeout_minutes, tightened to 15: a session unused for 16 minutes has expired,
// though the default (30) would keep it.
TEST_F(ServerTest, TightenedIdleTimeoutEndsSessionsSooner) {
  auto c = client();
  owner_signed_in(c);
  const auto tightened = c.put("/api/v1/settings/session.idle_timeout_minutes", {{"value", 15}});
  ASSERT_EQ(tightened.status, 200) << tightened.body;
  clock_.advance_s(16 * 60);
  const auto idle = c.get("/api/v1/auth/me");
  EXPECT_EQ(idle.status, 401);
  EXPECT_EQ(idle.json()["error"]["code"], "session_expired");
}

TEST_F(ServerTest, UsersListAndRevokeTheirSessionsAndLogoutEndsTheSession) {
  auto a = client();
  const SecretBytes secret = owner_signed_in(a);
  clock_.advance_s(30);
  auto b = client();
  b.post("/api/v1/auth/login", {{"username", "olive"}, {"password", kOwnerPassword}});
  ASSERT_EQ(b.post("/api/v1/auth/mfa", {{"code", code_now(secret)}}).status, 200);
  const auto list = a.get("/api/v1/auth/sessions");
  ASSERT_EQ(list.status, 200);
  ASSERT_EQ(list.json()["sessions"].size(), 2U);
  std::int64_t other = 0;
  const json sessions = list.json()["sessions"];  // a copy: json() returns a temporary
  for (const auto& s : sessions) {
    if (!s["current"].get<bool>()) other = s["id"].get<std::int64_t>();
  }
  const auto revoked = a.request("DELETE", "/api/v1/auth/sessions/" + std::to_string(other));
  EXPECT_EQ(revoked.status, 200) << revoked.body;
  EXPECT_EQ(b.get("/api/v1/auth/me").status, 401);
  EXPECT_EQ(a.post("/api/v1/auth/logout").status, 200);
  EXPECT_EQ(a.get("/api/v1/auth/me").status, 401);
}

TEST_F(ServerTest, ApiTokensAreScopedExpireAndAreShownOnce) {
  auto owner = client();
  owner_signed_in(owner);
  const auto created =
      owner.post("/api/v1/tokens", {{"name", "ci"}, {"roles", {"owner"}}, {"expires_in_days", 1}});
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string token = created.json()["token"].get<std::string>();
  EXPECT_EQ(owner.get("/api/v1/tokens").body.find(token), std::string::npos);
  auto bot = client();
  bot.set_bearer(token);
  EXPECT_EQ(bot.get("/api/v1/audit").status, 200);
  // Tokens cannot do sensitive actions, which need a person's re-authentication.
  EXPECT_EQ(bot.put("/api/v1/settings/session.idle_timeout_minutes", {{"value", 15}})
                .json()["error"]["code"],
            "reauth_required");
  clock_.advance_s(25 * 3600);
  EXPECT_EQ(bot.get("/api/v1/audit").status, 401);
  // A token cannot carry a role its owner lacks.
  const auto viewer_token = owner.post("/api/v1/tokens", {{"name", "v"}, {"roles", {"viewer"}}});
  (void)viewer_token;
}

TEST_F(ServerTest, EveryResponseCarriesTheSecurityHeaders) {
  auto c = client();
  for (const auto& r : {c.get("/api/v1/health"), c.get("/api/v1/users"),
                        c.get("/.well-known/security.txt"), c.get("/nope")}) {
    EXPECT_EQ(r.header("Strict-Transport-Security"), "max-age=63072000; includeSubDomains");
    EXPECT_NE(r.header("Content-Security-Policy").find("frame-ancestors 'none'"),
              std::string::npos);
    EXPECT_EQ(r.header("X-Content-Type-Options"), "nosniff");
    EXPECT_EQ(r.header("Referrer-Policy"), "no-referrer");
  }
}

TEST_F(ServerTest, SecurityTxtFollowsRfc9116WithNoPlaceholder) {
  auto c = client();
  const auto r = c.get("/.well-known/security.txt");
  ASSERT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("Contact: https://"), std::string::npos);
  EXPECT_NE(r.body.find("Policy: https://"), std::string::npos);
  EXPECT_NE(r.body.find("Preferred-Languages: en"), std::string::npos);
  const auto at = r.body.find("Expires: ");
  ASSERT_NE(at, std::string::npos);
  auto expires = parse_utc_timestamp(r.body.substr(at + 9, 20));
  ASSERT_TRUE(expires);
  EXPECT_GT(*expires, clock_.now());
  EXPECT_LT(*expires, clock_.now() + 365 * 24 * 3600);
  for (const char* placeholder : {"example.com", "TODO", "changeme", "<"}) {
    EXPECT_EQ(r.body.find(placeholder), std::string::npos) << placeholder;
  }
}

TEST_F(ServerTest, Tls12IsRefusedWhileTheSettingIsAtItsSecureDefault) {
  auto c = client();
  c.set_tls_max_12(true);
  EXPECT_EQ(c.get("/api/v1/health").status, 0);  // the handshake fails
  auto d = client();
  EXPECT_EQ(d.get("/api/v1/health").status, 200);
}

// tls.min_version loosened to 1.2 by the owner: the same server then accepts a TLS 1.2 client.
TEST_F(ServerTest, Tls12IsAcceptedOnceTheOwnerLoosensTheMinimumVersion) {
  stop();
  settings::FileSettingsStore store(dir_.path() / "state");
  settings::SettingsState state;
  state.local["tls.min_version"] =
      settings::LocalValue{std::string("1.2"), "local:alice", clock_.now(), "old clients"};
  ASSERT_TRUE(store.save(state));
  start();
  auto c = client();
  c.set_tls_max_12(true);
  EXPECT_EQ(c.get("/api/v1/health").status, 200);
}

TEST_F(ServerTest, OversizedHeadersGet431) {
  auto c = client();
  const auto r = c.request("GET", "/api/v1/health", "", {"X-Big: " + std::string(20000, 'a')});
  EXPECT_EQ(r.status, 431);
}

TEST_F(ServerTest, BackupIsConsistentAndRestoreRefusesWhileRunningThenRestores) {
  auto c = client();
  owner_signed_in(c);
  const auto backup = dir_.path() / "backup.db";
  ASSERT_TRUE(service_->store().backup_to(backup.string()));
  const auto state = dir_.path() / "state";
  EXPECT_FALSE(restore_backup(state, backup));  // the server holds the state directory
  service_->stop();
  service_.reset();
  // Damage the live database, then restore.
  {
    auto store = open_store(state);
    ASSERT_TRUE(store);
    auto u = (*store)->find_user("olive");
    ASSERT_TRUE(u && *u);
    ASSERT_TRUE((*store)->set_disabled((*u)->id, true));
  }
  std::ofstream(dir_.path() / "garbage.db") << "not a database";
  EXPECT_FALSE(restore_backup(state, dir_.path() / "garbage.db"));
  ASSERT_TRUE(restore_backup(state, backup));
  auto store = open_store(state);
  ASSERT_TRUE(store);
  auto u = (*store)->find_user("olive");
  ASSERT_TRUE(u && *u);
  EXPECT_FALSE((*u)->disabled);
}

TEST_F(ServerTest, CertificateReloadServesTheNewCertificateAndKeepsTheOldOnABadOne) {
  const auto cert = service_->cert_pem();
  const auto key = cert.parent_path() / "key.pem";
  // A broken replacement is refused and the old one keeps serving.
  std::ofstream(cert, std::ios::trunc) << "garbage";
  EXPECT_FALSE(service_->reload_certificate());
  // (the client trusts the file it reads, so restore a valid pair before checking)
  ASSERT_TRUE(httpd::generate_self_signed_cert(cert, key));
  ASSERT_TRUE(service_->reload_certificate());
  auto c = client();
  EXPECT_EQ(c.get("/api/v1/health").status, 200);  // verified against the new certificate
}

TEST_F(ServerTest, RepositoryIsServedReadOnlyWithCachingHeadersAndNoSymlinkEscape) {
  service_->stop();
  service_.reset();
  const auto repo = dir_.path() / "repo";
  std::filesystem::create_directories(repo / "metadata");
  std::ofstream(repo / "metadata" / "timestamp.json") << R"({"signed":{}})";
  std::filesystem::create_directories(repo / "keys");
  std::ofstream(repo / "keys" / "secret") << "never served";
  start(repo);
  ASSERT_TRUE(service_);
  auto c = client();
  const auto ts = c.get("/repo/metadata/timestamp.json");
  EXPECT_EQ(ts.status, 200);
  EXPECT_EQ(ts.body, R"({"signed":{}})");
  EXPECT_NE(ts.header("Cache-Control").find("max-age=60"), std::string::npos);
  EXPECT_FALSE(ts.header("ETag").empty());
  EXPECT_EQ(c.get("/repo/keys/secret").status, 404);
  EXPECT_EQ(c.get("/repo/metadata/../keys/secret").status, 404);
  // A symlink inside the repository that leads out of it is not followed, including when a
  // file that was served (and cached) is replaced by one.
  std::filesystem::create_symlink(repo / "keys" / "secret", repo / "metadata" / "escape.json");
  EXPECT_EQ(c.get("/repo/metadata/escape.json").status, 404);
  std::filesystem::remove(repo / "metadata" / "timestamp.json");
  std::filesystem::create_symlink(repo / "keys" / "secret", repo / "metadata" / "timestamp.json");
  const auto swapped = c.get("/repo/metadata/timestamp.json");
  EXPECT_EQ(swapped.status, 404);
  EXPECT_EQ(swapped.body.find("never served"), std::string::npos);
  EXPECT_EQ(c.request("PUT", "/repo/metadata/timestamp.json", "{}").status, 405);
}

TEST_F(ServerTest, TransparencyCheckpointAndProofsAreServedButNotTheLogStore) {
  service_->stop();
  service_.reset();
  const auto repo = dir_.path() / "repo";
  std::filesystem::create_directories(repo / "transparency" / "entries");
  std::filesystem::create_directories(repo / "transparency" / "consistency");
  std::filesystem::create_directories(repo / "transparency" / "log");
  std::ofstream(repo / "transparency" / "checkpoint") << "dss-release-transparency/x\n1\n";
  std::ofstream(repo / "transparency" / "entries" / "ab.json") << R"({"index":0})";
  std::ofstream(repo / "transparency" / "consistency" / "1.json") << R"({"old_size":1})";
  std::ofstream(repo / "transparency" / "log" / "log.vkey") << "private store";
  std::ofstream(repo / "transparency" / "log.json") << "staging";
  start(repo);
  ASSERT_TRUE(service_);
  auto c = client();
  const auto cp = c.get("/repo/transparency/checkpoint");
  EXPECT_EQ(cp.status, 200);
  EXPECT_EQ(cp.body, "dss-release-transparency/x\n1\n");
  // Rewritten at every append: never cached as immutable.
  EXPECT_NE(cp.header("Cache-Control").find("max-age=60"), std::string::npos);
  EXPECT_EQ(c.get("/repo/transparency/entries/ab.json").status, 200);
  EXPECT_EQ(c.get("/repo/transparency/consistency/1.json").status, 200);
  EXPECT_EQ(c.get("/repo/transparency/log/log.vkey").status, 404);
  EXPECT_EQ(c.get("/repo/transparency/log.json").status, 404);
  EXPECT_EQ(c.get("/repo/transparency/checkpoint/../log/log.vkey").status, 404);
  // A symlink from a served name into the private store is not followed.
  std::filesystem::remove(repo / "transparency" / "checkpoint");
  std::filesystem::create_symlink(repo / "transparency" / "log" / "log.vkey",
                                  repo / "transparency" / "checkpoint");
  EXPECT_EQ(c.get("/repo/transparency/checkpoint").status, 404);
}

TEST_F(ServerTest, NoResponseOrLogLineContainsAPasswordTokenOrTotpSecret) {
  auto c = client();
  const std::string setup = setup_code();
  const SecretBytes secret = owner_signed_in(c);
  const std::string session = c.session_token();
  const auto tok = c.post("/api/v1/tokens", {{"name", "ci"}, {"roles", {"owner"}}});
  const std::string api_token = tok.json()["token"].get<std::string>();
  reauth(c, kOwnerPassword, secret);
  c.post("/api/v1/auth/login", {{"username", "olive"}, {"password", "a wrong password guess"}});
  c.get("/api/v1/audit?limit=1000");
  c.get("/api/v1/users");
  service_->stop();
  // The secrets in text form.
  std::string b32;
  {
    const auto enrolments = c.transcript();
    for (const auto& r : enrolments) {
      auto j = r.json();
      if (j.is_object() && j.contains("otpauth_uri")) {
        const std::string uri = j["otpauth_uri"].get<std::string>();
        const auto at = uri.find("secret=");
        b32 = uri.substr(at + 7, uri.find('&', at) - at - 7);
      }
    }
  }
  ASSERT_FALSE(b32.empty());
  const std::vector<std::string> secrets = {
      kOwnerPassword, "a wrong password guess", session, api_token, b32, setup};
  // Responses: none but the one-time displays (the token's creation, the enrolment, the
  // sign-in's Set-Cookie) carries a secret.
  for (const auto& r : c.transcript()) {
    const bool one_time = r.body.find("\"otpauth_uri\"") != std::string::npos ||
                          r.body.find("\"token\":\"dss_t_") != std::string::npos;
    std::string text = r.body;
    for (const auto& h : r.headers) {
      if (h.rfind("Set-Cookie", 0) != 0) text += h;
    }
    for (const auto& s : secrets) {
      if (one_time && (s == b32 || s == api_token)) continue;
      EXPECT_EQ(text.find(s), std::string::npos) << "a response contains a secret";
    }
  }
  // Logs: every file under the state directory's audit log, and the terminal output but the
  // setup code itself.
  for (const auto& entry :
       std::filesystem::recursive_directory_iterator(dir_.path() / "state" / "audit")) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    for (const auto& s : secrets) {
      EXPECT_EQ(ss.str().find(s), std::string::npos) << entry.path() << " contains a secret";
    }
  }
}

}  // namespace
}  // namespace dss::server
