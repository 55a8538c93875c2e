// The settings engine, one test per rule: declarations, layering and pinned floors,
// acknowledgement, roles, fail-closed audit, bad input, templates, chimes and policy bundles
// (the bytes; the agent delivers them through TUF: tests/agent/agent_e2e_test.cc).
#include <gtest/gtest.h>

#include <algorithm>

#include "fakes/fake_clock.h"
#include "fakes/settings_fakes.h"
#include "settings/chime.h"
#include "settings/engine.h"

namespace dss::settings {
namespace {

using testing::FakeAuditSink;
using testing::FakeClock;
using testing::MemorySettingsStore;

const Actor kOwner{"local:alice", Role::kOwner};
const Actor kOperator{"local:olga", Role::kOperator};
const Actor kViewer{"local:victor", Role::kViewer};

std::string bundle(std::int64_t version, const std::string& floors) {
  return R"({"type":"dss-policy-bundle","bundle_version":)" + std::to_string(version) +
         R"(,"floors":{)" + floors + "}}";
}

class SettingsTest : public ::testing::Test {
 protected:
  SettingsEngine engine{store, audit, clock};

  SettingsState state() {
    auto s = store.load();
    EXPECT_TRUE(s.has_value());
    return s ? *s : SettingsState{};
  }
  std::string effective(std::string_view key) {
    auto e = resolve_one(state(), key);
    EXPECT_TRUE(e.has_value());
    return e ? format_value(e->value) : "";
  }
  ErrorCode set(const Actor& a, std::string_view key, std::string_view value,
                std::optional<std::string> phrase = std::nullopt) {
    auto r = engine.set(a, key, value, Consent{"test", std::move(phrase)});
    return r ? ErrorCode::kOk : r.error().code;
  }
  ErrorCode loosen(std::string_view key, std::string_view value) {
    auto d = find_declaration(key);
    EXPECT_TRUE(d.has_value());
    return set(kOwner, key, value, loosening_phrase(key, *parse_value(**d, value)));
  }
  ErrorCode apply(const std::string& bytes) {
    auto r = engine.apply_policy_bundle(bytes, "test");
    return r ? ErrorCode::kOk : r.error().code;
  }

  MemorySettingsStore store;
  FakeAuditSink audit;
  FakeClock clock;
};

// --- Declarations ----------------------------------------------------------------------------

TEST(SettingsDeclarations, EveryDeclarationIsCompleteAndItsDefaultIsValid) {
  ASSERT_GE(declarations().size(), 15U);
  for (const Declaration& d : declarations()) {
    SCOPED_TRACE(std::string(d.key));
    EXPECT_GT(d.description.size(), 40U);
    EXPECT_GT(d.risk.size(), 30U);
    EXPECT_TRUE(validate_value(d, d.secure_default).has_value());
    EXPECT_TRUE(d.may_change.contains(Role::kOwner));
    EXPECT_FALSE(d.may_change.contains(Role::kViewer));
    EXPECT_FALSE(d.may_change.contains(Role::kAuditor));
    EXPECT_FALSE(strictness_text(d).empty());
  }
}

TEST(SettingsDeclarations, KeysAreUnique) {
  std::vector<std::string_view> keys;
  for (const Declaration& d : declarations()) keys.push_back(d.key);
  std::sort(keys.begin(), keys.end());
  EXPECT_EQ(std::adjacent_find(keys.begin(), keys.end()), keys.end());
}

TEST(SettingsDeclarations, StrictnessFollowsTheDeclaredDirection) {
  const Declaration& interval = **find_declaration("update.check_interval_minutes");
  EXPECT_EQ(compare(interval, Value(std::int64_t{30}), Value(std::int64_t{60})),
            Comparison::kStricter);
  const Declaration& length = **find_declaration("auth.password_min_length");
  EXPECT_EQ(compare(length, Value(std::int64_t{12}), Value(std::int64_t{15})), Comparison::kLooser);
  const Declaration& algs = **find_declaration("crypto.allowed_signature_algorithms");
  EXPECT_EQ(compare(algs, Value(Members{"ed25519"}), Value(Members{"ed25519", "rsa-pss"})),
            Comparison::kStricter);
  EXPECT_TRUE(loosens(algs, Value(Members{"ed25519"}), Value(Members{"rsa-pss"})));
  const Declaration& plaintext = **find_declaration("tls.plaintext_listener");
  EXPECT_TRUE(loosens(plaintext, Value(false), Value(true)));
}

// --- Layering and pinned floors --------------------------------------------------------------

TEST_F(SettingsTest, EffectiveValueIsLocalChoiceOverTemplateOverDefault) {
  EXPECT_EQ(effective("update.check_interval_minutes"), "60");
  ASSERT_EQ(set(kOwner, "update.check_interval_minutes", "15"), ErrorCode::kOk);
  EXPECT_EQ(effective("update.check_interval_minutes"), "15");
  auto e = resolve_one(state(), "update.check_interval_minutes");
  EXPECT_EQ(e->source, Source::kLocal);
  EXPECT_EQ(e->set_by, "local:alice");
  EXPECT_EQ(e->set_at, clock.now());
}

TEST_F(SettingsTest, PolicyFloorRaisesALooserTemplateValue) {
  ASSERT_TRUE(engine.apply_template(kOwner, "compatible",
                                    Consent{"old clients", template_phrase("compatible")}));
  EXPECT_EQ(effective("tls.min_version"), "1.2");
  ASSERT_EQ(apply(bundle(1, R"("tls.min_version":"1.3")")), ErrorCode::kOk);
  EXPECT_EQ(effective("tls.min_version"), "1.3");
  EXPECT_EQ(resolve_one(state(), "tls.min_version")->source, Source::kPolicyFloor);
}

TEST_F(SettingsTest, PolicyNeverLoosensASettingTightenedLocally) {
  ASSERT_EQ(set(kOwner, "auth.password_min_length", "20"), ErrorCode::kOk);
  ASSERT_EQ(apply(bundle(1, R"("auth.password_min_length":16)")), ErrorCode::kOk);
  EXPECT_EQ(effective("auth.password_min_length"), "20");
  ASSERT_EQ(set(kOwner, "crypto.allowed_signature_algorithms", "ed25519"), ErrorCode::kOk);
  ASSERT_EQ(apply(bundle(2, R"("crypto.allowed_signature_algorithms":["ecdsa-p256","ed25519"])")),
            ErrorCode::kOk);
  EXPECT_EQ(effective("crypto.allowed_signature_algorithms"), "ed25519");
}

TEST_F(SettingsTest, PolicyRaisesALocalValueBelowItsNewFloorAndRecordsIt) {
  ASSERT_EQ(loosen("session.idle_timeout_minutes", "120"), ErrorCode::kOk);
  ASSERT_EQ(apply(bundle(1, R"("session.idle_timeout_minutes":60)")), ErrorCode::kOk);
  EXPECT_EQ(effective("session.idle_timeout_minutes"), "60");
  EXPECT_EQ(audit.count(kActionPolicyApplied), 1U);
  EXPECT_NE(audit.events.back().reason.find("session.idle_timeout_minutes 120 -> 60"),
            std::string::npos);
}

TEST_F(SettingsTest, ValueBelowAPinnedFloorIsRefusedAndPreviousValueStays) {
  ASSERT_EQ(apply(bundle(1, R"("auth.password_min_length":16)")), ErrorCode::kOk);
  const std::string before = store.text;
  EXPECT_EQ(set(kOwner, "auth.password_min_length", "14",
                loosening_phrase("auth.password_min_length", Value(std::int64_t{14}))),
            ErrorCode::kBelowFloor);
  EXPECT_EQ(store.text, before);
  EXPECT_EQ(effective("auth.password_min_length"), "16");
}

// --- Acknowledgement -------------------------------------------------------------------------

TEST_F(SettingsTest, LooseningWithoutAcknowledgementIsRefusedAndRecorded) {
  auto r = engine.set(kOwner, "tls.min_version", "1.2", Consent{"legacy", std::nullopt});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kAcknowledgementRequired);
  EXPECT_NE(r.error().message.find(loosening_phrase("tls.min_version", Value(std::string("1.2")))),
            std::string::npos);
  EXPECT_EQ(effective("tls.min_version"), "1.3");
  EXPECT_EQ(store.saves, 0);
  ASSERT_EQ(audit.count(kActionRefused), 1U);
  EXPECT_EQ(audit.events.back().outcome, kOutcomeRefused);
}

TEST_F(SettingsTest, LooseningWithAWrongPhraseIsRefused) {
  EXPECT_EQ(set(kOwner, "tls.min_version", "1.2", "I accept the risk"),
            ErrorCode::kAcknowledgementRequired);
  EXPECT_EQ(effective("tls.min_version"), "1.3");
}

TEST_F(SettingsTest, AcknowledgedLooseningIsAppliedAndAuditedWithActorTimeAndReason) {
  const std::string phrase = loosening_phrase("tls.min_version", Value(std::string("1.2")));
  ASSERT_TRUE(engine.set(kOwner, "tls.min_version", "1.2", Consent{"legacy balancer", phrase}));
  EXPECT_EQ(effective("tls.min_version"), "1.2");
  ASSERT_EQ(audit.events.size(), 1U);
  const SettingsAuditEvent& e = audit.events.front();
  EXPECT_EQ(e.action, kActionLoosened);
  EXPECT_EQ(e.actor, "local:alice");
  EXPECT_EQ(e.role, "owner");
  EXPECT_EQ(e.time, clock.now());
  EXPECT_EQ(e.reason, "legacy balancer");
  EXPECT_EQ(e.acknowledgement, phrase);
  EXPECT_EQ(e.old_value, "1.3");
  EXPECT_EQ(e.new_value, "1.2");
  EXPECT_EQ(e.outcome, kOutcomeApplied);
}

TEST_F(SettingsTest, TighteningNeedsNoAcknowledgement) {
  ASSERT_EQ(set(kOwner, "session.idle_timeout_minutes", "10"), ErrorCode::kOk);
  EXPECT_EQ(audit.events.back().action, kActionTightened);
}

TEST_F(SettingsTest, AddingASetMemberIsALooseningEvenWhenAnotherIsRemoved) {
  EXPECT_EQ(set(kOwner, "crypto.allowed_signature_algorithms", "ed25519,rsa-pss"),
            ErrorCode::kAcknowledgementRequired);
}

TEST_F(SettingsTest, ResetThatLoosensNeedsAcknowledgement) {
  ASSERT_TRUE(
      engine.apply_template(kOwner, "compatible", Consent{"", template_phrase("compatible")}));
  ASSERT_EQ(set(kOwner, "tls.min_version", "1.3"), ErrorCode::kOk);
  auto r = engine.reset(kOwner, "tls.min_version", Consent{});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kAcknowledgementRequired);
  ASSERT_TRUE(
      engine.reset(kOwner, "tls.min_version",
                   Consent{"", loosening_phrase("tls.min_version", Value(std::string("1.2")))}));
  EXPECT_EQ(effective("tls.min_version"), "1.2");
}

TEST_F(SettingsTest, RoleTheDeclarationDoesNotNameIsRefused) {
  EXPECT_EQ(set(kViewer, "session.idle_timeout_minutes", "10"), ErrorCode::kPermissionDenied);
  EXPECT_EQ(set(kOperator, "domain.refuse_root", "off"), ErrorCode::kPermissionDenied);
  EXPECT_EQ(set(kOperator, "update.check_interval_minutes", "30"), ErrorCode::kOk);
}

// --- Audit fails closed ----------------------------------------------------------------------

TEST_F(SettingsTest, ChangeIsNotMadeWhenTheAuditLogCannotRecordIt) {
  audit.fail = true;
  EXPECT_EQ(set(kOwner, "session.idle_timeout_minutes", "10"), ErrorCode::kIo);
  EXPECT_EQ(store.saves, 0);
  EXPECT_EQ(effective("session.idle_timeout_minutes"), "30");
}

TEST_F(SettingsTest, FailedSaveKeepsThePreviousConfigurationAndIsRecorded) {
  store.fail_saves = true;
  EXPECT_EQ(set(kOwner, "session.idle_timeout_minutes", "10"), ErrorCode::kIo);
  store.fail_saves = false;
  EXPECT_EQ(effective("session.idle_timeout_minutes"), "30");
  ASSERT_EQ(audit.events.size(), 2U);
  EXPECT_EQ(audit.events.back().outcome, kOutcomeFailed);
}

// --- Bad input -------------------------------------------------------------------------------

TEST_F(SettingsTest, UnknownKeyWrongTypeAndOutOfRangeAreRefusedNamingTheKey) {
  EXPECT_EQ(set(kOwner, "tls.minimum", "1.3"), ErrorCode::kUnknownSetting);
  auto wrong_type = engine.set(kOwner, "auth.mfa_required", "maybe", Consent{});
  ASSERT_FALSE(wrong_type);
  EXPECT_EQ(wrong_type.error().code, ErrorCode::kInvalidValue);
  EXPECT_NE(wrong_type.error().message.find("auth.mfa_required"), std::string::npos);
  EXPECT_EQ(set(kOwner, "auth.password_min_length", "500"), ErrorCode::kInvalidValue);
  EXPECT_EQ(set(kOwner, "tls.min_version", "1.1"), ErrorCode::kInvalidValue);
  EXPECT_EQ(set(kOwner, "crypto.allowed_signature_algorithms", "md5"), ErrorCode::kInvalidValue);
  EXPECT_EQ(store.saves, 0);
}

std::string file_with_value(const std::string& key, const std::string& value_json) {
  return R"({"format":"dss-settings-v1","template":{"name":"strict","set_by":"","set_at":"1970-01-01T00:00:00Z"},"values":{")" +
         key + R"(":{"value":)" + value_json +
         R"(,"set_by":"local:a","set_at":"2027-01-01T00:00:00Z","reason":""}}})";
}

TEST(SettingsFile, RejectsUnknownKeyWrongTypeAndOutOfRangeAsAWhole) {
  ASSERT_TRUE(parse_settings(file_with_value("auth.password_min_length", "20")));
  EXPECT_EQ(parse_settings(file_with_value("auth.nope", "20")).error().code,
            ErrorCode::kUnknownSetting);
  EXPECT_EQ(parse_settings(file_with_value("auth.password_min_length", "\"20\"")).error().code,
            ErrorCode::kInvalidValue);
  EXPECT_EQ(parse_settings(file_with_value("auth.password_min_length", "2")).error().code,
            ErrorCode::kInvalidValue);
  EXPECT_EQ(parse_settings(file_with_value("auth.password_min_length", "20.5")).error().code,
            ErrorCode::kInvalidValue);
  EXPECT_EQ(parse_settings(R"({"format":"dss-settings-v1"})").error().code, ErrorCode::kMalformed);
}

TEST(SettingsFile, RejectsAStoredValueBelowTheStoredFloor) {
  std::string text = file_with_value("auth.password_min_length", "13");
  text.pop_back();
  text +=
      R"(,"policy":{"bundle":{"type":"dss-policy-bundle","bundle_version":1,"floors":{"auth.password_min_length":16}},"source":"x","applied_at":"2027-01-01T00:00:00Z"}})";
  EXPECT_EQ(parse_settings(text).error().code, ErrorCode::kBelowFloor);
}

// audit.retention_days was removed (ADR 0042). A file written before still holds it: the server
// and the agent must start on it, with a warning, and the next save drops it.
TEST(SettingsFile, StoredValueForARetiredSettingIsIgnoredWithAWarningAndDroppedAtTheNextSave) {
  EXPECT_FALSE(find_declaration("audit.retention_days"));
  ASSERT_NE(find_retired_setting("audit.retention_days"), nullptr);
  std::string text = file_with_value("audit.retention_days", "400");
  text.pop_back();
  text +=
      R"(,"policy":{"bundle":{"type":"dss-policy-bundle","bundle_version":1,"floors":{"audit.retention_days":400}},"source":"x","applied_at":"2027-01-01T00:00:00Z"}})";
  auto s = parse_settings(text);
  ASSERT_TRUE(s) << s.error().to_string();
  EXPECT_TRUE(s->local.empty());
  ASSERT_EQ(s->retired_warnings.size(), 1U);
  EXPECT_NE(s->retired_warnings[0].find("audit.retention_days"), std::string::npos);
  EXPECT_NE(s->retired_warnings[0].find("dss audit export"), std::string::npos);
  ASSERT_TRUE(s->policy);
  EXPECT_TRUE(s->policy->bundle.floors.empty());
  const std::string saved = serialize_settings(*s);
  EXPECT_EQ(saved.find("audit.retention_days"), std::string::npos);
  auto again = parse_settings(saved);
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->retired_warnings.empty());
  // A key that was never declared is still refused as a whole.
  EXPECT_EQ(parse_settings(file_with_value("audit.retention_dayz", "400")).error().code,
            ErrorCode::kUnknownSetting);
}

TEST(PolicyBundle, FloorOnARetiredSettingIsIgnored) {
  auto b = parse_policy_bundle(bundle(2, R"("audit.retention_days":400,"tls.min_version":"1.3")"));
  ASSERT_TRUE(b) << b.error().to_string();
  EXPECT_EQ(b->floors.size(), 1U);
  EXPECT_TRUE(b->floors.contains("tls.min_version"));
}

TEST(SettingsFile, RoundTripsEveryField) {
  SettingsState s;
  s.template_name = "compatible";
  s.template_set_by = "local:alice";
  s.template_set_at = 1'800'000'000;
  s.local["update.check_interval_minutes"] =
      LocalValue{Value(std::int64_t{15}), "local:bob", 1'800'000'100, "line\nbreak \"quoted\""};
  s.policy = AppliedPolicy{PolicyBundle{4, {{"tls.min_version", Value(std::string("1.3"))}}},
                           "tuf target policy.json", 1'800'000'200};
  s.last_reminder = 1'800'000'300;
  auto back = parse_settings(serialize_settings(s));
  ASSERT_TRUE(back) << back.error().to_string();
  EXPECT_EQ(serialize_settings(*back), serialize_settings(s));
  EXPECT_EQ(back->local.at("update.check_interval_minutes").reason, "line\nbreak \"quoted\"");
}

// --- Templates -------------------------------------------------------------------------------

TEST_F(SettingsTest, StrictIsTheDefaultTemplateAndEqualsTheSecureDefaults) {
  EXPECT_EQ(state().template_name, "strict");
  for (const Effective& e : resolve(state())) {
    EXPECT_EQ(e.value, e.declaration->secure_default) << e.declaration->key;
    EXPECT_FALSE(e.loosened);
  }
}

TEST_F(SettingsTest, CompatibleTemplateNeedsAcknowledgementAndLoosens) {
  auto refused = engine.apply_template(kOwner, "compatible", Consent{});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kAcknowledgementRequired);
  EXPECT_EQ(state().template_name, "strict");
  ASSERT_TRUE(engine.apply_template(kOwner, "compatible",
                                    Consent{"old fleet", template_phrase("compatible")}));
  EXPECT_EQ(state().template_name, "compatible");
  EXPECT_EQ(effective("tls.min_version"), "1.2");
  EXPECT_EQ(loosened_settings(state()).size(), 3U);
}

TEST_F(SettingsTest, DeparturesFromTheChosenTemplateAreVisible) {
  ASSERT_EQ(set(kOwner, "session.idle_timeout_minutes", "10"), ErrorCode::kOk);
  std::vector<std::string> departing;
  for (const Effective& e : resolve(state())) {
    if (!(e.value == e.template_value)) departing.emplace_back(e.declaration->key);
  }
  EXPECT_EQ(departing, std::vector<std::string>{"session.idle_timeout_minutes"});
}

TEST_F(SettingsTest, UnknownTemplateIsRefused) {
  auto r = engine.apply_template(kOwner, "lax", Consent{});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kUnknownSetting);
}

// --- Chimes ----------------------------------------------------------------------------------

TEST_F(SettingsTest, SecurePostureChimesNothing) {
  EXPECT_TRUE(chime_lines(state()).empty());
  EXPECT_EQ(chime_header_value(state()), "none");
  EXPECT_NE(posture_json(state(), clock.now()).find(R"("posture":"secure")"), std::string::npos);
  EXPECT_FALSE(due_reminder(state(), clock.now()));
}

TEST_F(SettingsTest, CliChimeNamesTheSettingWhoWhenAndHowToUndo) {
  ASSERT_EQ(loosen("tls.min_version", "1.2"), ErrorCode::kOk);
  const std::vector<std::string> lines = chime_lines(state());
  ASSERT_EQ(lines.size(), 2U);
  EXPECT_NE(lines[1].find("tls.min_version = 1.2"), std::string::npos);
  EXPECT_NE(lines[1].find("local:alice"), std::string::npos);
  EXPECT_NE(lines[1].find(format_utc_timestamp(clock.now())), std::string::npos);
  EXPECT_NE(lines[1].find("dss settings set tls.min_version 1.3"), std::string::npos);
}

TEST_F(SettingsTest, ServerHeaderAndPostureNameEachLoosenedSetting) {
  ASSERT_EQ(loosen("tls.min_version", "1.2"), ErrorCode::kOk);
  ASSERT_EQ(loosen("update.auto_install", "off"), ErrorCode::kOk);
  const std::string header = chime_header_value(state());
  EXPECT_NE(header.find("tls.min_version=1.2; by=local:alice"), std::string::npos);
  EXPECT_NE(header.find("update.auto_install=off"), std::string::npos);
  EXPECT_EQ(header.find('\n'), std::string::npos);
  const std::string posture = posture_json(state(), clock.now());
  EXPECT_NE(posture.find(R"("posture":"loosened")"), std::string::npos);
  EXPECT_NE(posture.find(R"("undo":"dss settings set update.auto_install on")"), std::string::npos);
}

TEST_F(SettingsTest, HeaderValueCannotBeBrokenByAnActorId) {
  const Actor odd{"evil\r\nSet-Cookie: x", Role::kOwner};
  ASSERT_TRUE(engine.set(odd, "update.auto_install", "off",
                         Consent{"", loosening_phrase("update.auto_install", Value(false))}));
  const std::string header = chime_header_value(state());
  EXPECT_EQ(header.find_first_of("\r\n"), std::string::npos);
}

TEST_F(SettingsTest, ReminderRepeatsOnScheduleAndStopsOnlyWhenTightened) {
  ASSERT_EQ(loosen("update.auto_install", "off"), ErrorCode::kOk);
  auto first = engine.emit_due_reminder();
  ASSERT_TRUE(first && *first);
  EXPECT_EQ((*first)->action, kActionChime);
  EXPECT_NE((*first)->new_value.find("update.auto_install=off by local:alice"), std::string::npos);
  EXPECT_FALSE(*engine.emit_due_reminder());  // not due yet
  clock.advance(kReminderIntervalSeconds);
  auto second = engine.emit_due_reminder();
  ASSERT_TRUE(second && *second);
  ASSERT_EQ(set(kOwner, "update.auto_install", "on"), ErrorCode::kOk);
  clock.advance(kReminderIntervalSeconds);
  EXPECT_FALSE(*engine.emit_due_reminder());
  EXPECT_TRUE(chime_lines(state()).empty());
  EXPECT_EQ(audit.count(kActionChime), 2U);
}

// --- Policy bundles (bytes already verified by TUF) ------------------------------------------

TEST_F(SettingsTest, PolicyBundleWithALowerOrEqualVersionIsRefusedAndRecorded) {
  ASSERT_EQ(apply(bundle(5, R"("auth.password_min_length":16)")), ErrorCode::kOk);
  EXPECT_EQ(apply(bundle(4, R"("auth.password_min_length":13)")), ErrorCode::kBadVersion);
  EXPECT_EQ(apply(bundle(5, R"("auth.password_min_length":13)")), ErrorCode::kBadVersion);
  EXPECT_EQ(effective("auth.password_min_length"), "16");
  EXPECT_EQ(audit.count(kActionPolicyRefused), 2U);
  auto same = engine.apply_policy_bundle(bundle(5, R"("auth.password_min_length":16)"), "t");
  ASSERT_TRUE(same);
  EXPECT_EQ(same->kind, PolicyOutcome::Kind::kUnchanged);
}

TEST_F(SettingsTest, PolicyBundleWithBadContentIsRefusedAndRecorded) {
  EXPECT_EQ(apply(bundle(1, R"("nope":1)")), ErrorCode::kUnknownSetting);
  EXPECT_EQ(apply(bundle(1, R"("tls.min_version":"1.0")")), ErrorCode::kInvalidValue);
  EXPECT_EQ(apply("{not json"), ErrorCode::kMalformed);
  EXPECT_EQ(apply(R"({"type":"other","bundle_version":1,"floors":{}})"), ErrorCode::kMalformed);
  EXPECT_EQ(audit.count(kActionPolicyRefused), 4U);
  EXPECT_FALSE(state().policy);
}

TEST(PolicyBundle, FloorOnASettingThePolicyMayNotPinIsRefused) {
  std::vector<std::string> unpinnable;
  for (const Declaration& d : declarations()) {
    if (!d.policy_may_pin_floor) unpinnable.emplace_back(d.key);
  }
  ASSERT_FALSE(unpinnable.empty());
  const Declaration& d = **find_declaration(unpinnable.front());
  auto r = parse_policy_bundle(
      bundle(1, "\"" + unpinnable.front() + "\":" + value_to_json(d.secure_default)));
  EXPECT_EQ(r.error().code, ErrorCode::kPermissionDenied);
}

TEST_F(SettingsTest, PolicyIsAppliedEvenWhileNothingElseChangesAndTightensImmediately) {
  ASSERT_EQ(apply(bundle(1, R"("update.check_interval_minutes":30)")), ErrorCode::kOk);
  EXPECT_EQ(effective("update.check_interval_minutes"), "30");
  ASSERT_EQ(audit.count(kActionPolicyApplied), 1U);
  EXPECT_EQ(audit.events.back().actor, "provider-policy");
}

}  // namespace
}  // namespace dss::settings
