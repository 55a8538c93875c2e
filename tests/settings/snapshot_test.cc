// The typed settings snapshot (ADR 0041): one accessor, the declaration's type, no fallback.
#include "settings/snapshot.h"

#include <gtest/gtest.h>

#include "settings/chime.h"

namespace dss::settings {
namespace {

// Every key constant: its declaration exists and has the constant's type.
template <typename T>
Kind kind_of();
template <>
Kind kind_of<bool>() {
  return Kind::kBool;
}
template <>
Kind kind_of<std::int64_t>() {
  return Kind::kInteger;
}
template <>
Kind kind_of<std::string>() {
  return Kind::kChoice;
}
template <>
Kind kind_of<Members>() {
  return Kind::kSet;
}

template <typename T>
void expect_declared(Key<T> k) {
  auto d = find_declaration(k.name);
  ASSERT_TRUE(d.has_value()) << k.name << " is not declared";
  EXPECT_EQ((*d)->kind, kind_of<T>()) << k.name << " has another type in its declaration";
}

TEST(SnapshotKeys, EveryKeyConstantNamesADeclaredSettingOfItsType) {
  expect_declared(key::kAuditFailClosed);
  expect_declared(key::kAuthMaxFailedLoginsPerHour);
  expect_declared(key::kAuthMfaRequired);
  expect_declared(key::kAuthPasswordMinLength);
  expect_declared(key::kCryptoAllowedSignatureAlgorithms);
  expect_declared(key::kReleaseRequireSbom);
  expect_declared(key::kSessionAbsoluteLifetimeHours);
  expect_declared(key::kSessionIdleTimeoutMinutes);
  expect_declared(key::kTlsMinVersion);
  expect_declared(key::kTlsPlaintextListener);
  expect_declared(key::kUpdateAllowDowngrade);
  expect_declared(key::kUpdateAutoInstall);
  expect_declared(key::kUpdateCheckIntervalMinutes);
  expect_declared(key::kUpdateDeferralHours);
}

TEST(Snapshot, AFreshStateGivesTheDeclaredSecureDefaults) {
  const Snapshot s{SettingsState{}};
  EXPECT_TRUE(s.get(key::kAuthMfaRequired));
  EXPECT_EQ(s.get(key::kAuthPasswordMinLength), kPasswordMinLengthDefault);
  EXPECT_EQ(s.get(key::kTlsMinVersion), "1.3");
  EXPECT_FALSE(s.get(key::kTlsPlaintextListener));
  EXPECT_EQ(s.get(key::kCryptoAllowedSignatureAlgorithms), (Members{"ecdsa-p256", "ed25519"}));
  EXPECT_EQ(s.chime(), "none");
  EXPECT_EQ(s.all().size(), declarations().size());
}

TEST(Snapshot, ALocalValueIsReadAsTheDeclaredType) {
  SettingsState state;
  state.local["session.idle_timeout_minutes"] = LocalValue{std::int64_t{5}, "local:alice", 0, "r"};
  state.local["tls.plaintext_listener"] = LocalValue{true, "local:alice", 0, "r"};
  ASSERT_TRUE(parse_settings(serialize_settings(state)).has_value());
  const Snapshot s{state};
  EXPECT_EQ(s.get(key::kSessionIdleTimeoutMinutes), 5);
  // A loosened boolean reads as true (the server once compared its text with "true", but the
  // text is "on", so its warning never showed).
  EXPECT_TRUE(s.get(key::kTlsPlaintextListener));
  EXPECT_NE(s.chime().find("tls.plaintext_listener"), std::string::npos);
}

TEST(SnapshotDeathTest, AKeyConstantForNoDeclaredSettingCrashesLoudlyInsteadOfDefaulting) {
  const Snapshot s{SettingsState{}};
  EXPECT_DEATH(static_cast<void>(s.get(Key<bool>{"no.such_setting"})), "declared");
  EXPECT_DEATH(static_cast<void>(s.get(Key<bool>{"auth.password_min_length"})), "");
}

}  // namespace
}  // namespace dss::settings
