// The audit event schema and its SIEM renderings.
#include "audit/event.h"

#include <gtest/gtest.h>

#include <set>

namespace dss::audit {
namespace {

Event sample() {
  Event e;
  e.time_ms = 1'795'000'000'123;
  e.id = new_event_id(e.time_ms);
  e.actor_kind = ActorKind::kUser;
  e.actor_id = "user-42";
  e.source_address = "192.0.2.7";
  e.request_id = "req-1";
  e.action = "auth.login";
  e.object = "user-42";
  e.outcome = Outcome::kFailure;
  e.reason = "wrong password";
  e.product_version = "0.3.0";
  e.host = "cp1";
  return e;
}

TEST(AuditSchema, TimestampsAreUtcRfc3339WithMilliseconds) {
  EXPECT_EQ(format_time_ms(1'795'000'000'123), "2026-11-18T11:06:40.123Z");
  EXPECT_EQ(format_time_ms(5), "1970-01-01T00:00:00.005Z");
}

TEST(AuditSchema, EventIdsAreUniqueTimeOrderedUuidV7) {
  std::set<std::string> ids;
  for (int i = 0; i < 1000; ++i) ids.insert(new_event_id(1'795'000'000'000 + i));
  EXPECT_EQ(ids.size(), 1000U);
  const std::string id = new_event_id(1'795'000'000'000);
  ASSERT_EQ(id.size(), 36U);
  EXPECT_EQ(id[14], '7');
  EXPECT_LT(new_event_id(1'795'000'000'000).substr(0, 13), new_event_id(1'795'000'001'000));
}

TEST(AuditSchema, StoredEventRoundTrips) {
  Event e = sample();
  e.details = {{"setting", "tls.min_version"}};
  auto back = from_json(to_json(e));
  ASSERT_TRUE(back.has_value()) << back.error().message;
  EXPECT_EQ(back->time_ms, e.time_ms);
  EXPECT_EQ(back->id, e.id);
  EXPECT_EQ(back->actor_id, e.actor_id);
  EXPECT_EQ(back->actor_kind, ActorKind::kUser);
  EXPECT_EQ(back->outcome, Outcome::kFailure);
  EXPECT_EQ(back->reason, e.reason);
  EXPECT_EQ(back->details, e.details);
}

TEST(AuditSchema, StoredEventBefore1970IsRefused) {
  // Found by the fuzzer: a negative time did not survive a round trip.
  std::string line = to_json(sample());
  line.replace(line.find("2026"), 4, "1345");
  EXPECT_EQ(from_json(line).error().code, ErrorCode::kMalformed);
}

TEST(AuditSchema, ActionsOutsideTheCatalogueAreRefused) {
  Event e = sample();
  e.action = "auth.made_up";
  EXPECT_EQ(validate(e).error().code, ErrorCode::kInvalidArgument);
  e.action = "auth.login";
  EXPECT_TRUE(validate(e).has_value());
}

TEST(AuditSchema, LogInjectionThroughControlCharactersIsEscapedEverywhere) {
  Event e = sample();
  e.reason = "bad\r\n{\"action\":\"auth.login\",\"outcome\":\"success\"}\x1b[2J";
  e.actor_id = "mallory\nroot";
  for (const std::string& line : {to_json(e), to_ocsf(e), to_ecs(e), to_syslog(e, "dss")}) {
    EXPECT_EQ(line.find('\n'), std::string::npos) << line;
    EXPECT_EQ(line.find('\r'), std::string::npos) << line;
    EXPECT_EQ(line.find('\x1b'), std::string::npos) << line;
  }
  auto back = from_json(to_json(e));
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->reason, e.reason);  // escaped, not lost
}

TEST(AuditSchema, SessionsAppearOnlyAsHashes) {
  const std::string token = "Zq3xV0secret-session-token-value";
  const std::string ref = session_ref(token);
  EXPECT_EQ(ref.find(token), std::string::npos);
  EXPECT_EQ(ref.rfind("sess-", 0), 0U);
  EXPECT_EQ(ref, session_ref(token));
}

TEST(AuditSchema, OcsfTypeUidIsClassTimesHundredPlusActivity) {
  for (const ActionInfo& a : action_catalogue()) {
    Event e = sample();
    e.action = std::string(a.name);
    const std::string ocsf = to_ocsf(e);
    const std::string want = "\"type_uid\":" + std::to_string(a.ocsf_class * 100 + a.ocsf_activity);
    EXPECT_NE(ocsf.find(want), std::string::npos) << a.name;
    EXPECT_NE(ocsf.find("\"class_uid\":" + std::to_string(a.ocsf_class)), std::string::npos);
    EXPECT_FALSE(a.description.empty());
  }
  const std::string login = to_ocsf(sample());
  EXPECT_NE(login.find("\"class_uid\":3002"), std::string::npos);
  EXPECT_NE(login.find("\"type_uid\":300201"), std::string::npos);
  EXPECT_NE(login.find("\"status_id\":2"), std::string::npos);
  EXPECT_NE(login.find("\"src_endpoint\":{\"ip\":\"192.0.2.7\"}"), std::string::npos);
}

TEST(AuditSchema, CatalogueCoversEveryRequiredCategory) {
  for (const char* action :
       {"auth.login",       "auth.mfa.challenge", "auth.mfa.enrol",  "authz.denied",
        "session.create",   "user.create",        "role.grant",      "key.create",
        "key.use",          "key.rotate",         "config.read",     "config.change",
        "settings.loosen",  "settings.tighten",   "release.publish", "policy.publish",
        "advisory.publish", "device.enrol",       "update.install",  "update.rollback",
        "system.start",     "system.stop",        "log.start",       "log.stop",
        "log.failure"}) {
    EXPECT_NE(find_action(action), nullptr) << action;
  }
}

TEST(AuditSchema, SyslogMessageIsRfc5424WithAuditFacility) {
  const std::string line = to_syslog(sample(), "dss-server");
  // facility 13 (log audit) * 8 + severity 4 (warning, for a failure)
  EXPECT_EQ(
      line.rfind("<108>1 2026-11-18T11:06:40.123Z cp1 dss-server - auth.login [dss@32473 id=\"", 0),
      0U)
      << line;
  EXPECT_NE(line.find("] {\"time\""), std::string::npos);
}

TEST(AuditSchema, EcsFlavourCarriesTheStandardFields) {
  const std::string ecs = to_ecs(sample());
  EXPECT_EQ(ecs.rfind("{\"@timestamp\":\"2026-11-18T11:06:40.123Z\"", 0), 0U);
  EXPECT_NE(ecs.find("\"outcome\":\"failure\""), std::string::npos);
  EXPECT_NE(ecs.find("\"user\":{\"id\":\"user-42\"}"), std::string::npos);
}

}  // namespace
}  // namespace dss::audit
