// The declared security domain, one test per requirement, on a simulated machine
// (FakeSystemProbe starts healthy; each test breaks one thing).
#include "settings/domain.h"

#include <gtest/gtest.h>

#include <functional>
#include <vector>

#include "fakes/settings_fakes.h"
#include "settings/chime.h"

namespace dss::settings {
namespace {

using testing::FakeSystemProbe;

class DomainTest : public ::testing::Test {
 protected:
  CheckStatus status_of(std::string_view id) {
    for (const CheckResult& r : check_domain(probe, state, paths)) {
      if (r.id == id) return r.status;
    }
    ADD_FAILURE() << "no check " << id;
    return CheckStatus::kPass;
  }
  ErrorCode enforce() {
    auto r = enforce_domain(probe, state, paths);
    return r ? ErrorCode::kOk : r.error().code;
  }
  void owner_sets(const std::string& key, Value v) {
    state.local[key] = LocalValue{std::move(v), "local:alice", 1'800'000'000, "waiver"};
  }

  FakeSystemProbe probe;
  SettingsState state;
  DomainPaths paths{"/state", "/keys"};
};

TEST_F(DomainTest, HealthyMachinePassesEveryCheck) {
  for (const CheckResult& r : check_domain(probe, state, paths)) {
    EXPECT_EQ(r.status, CheckStatus::kPass) << format_check(r);
  }
  EXPECT_EQ(enforce(), ErrorCode::kOk);
  EXPECT_EQ(check_domain(probe, state, paths).size(), 6U);
}

TEST_F(DomainTest, TlsLibraryWithoutTheRequiredVersionFails) {
  probe.tls13 = false;
  EXPECT_EQ(status_of("tls"), CheckStatus::kFail);
  EXPECT_EQ(enforce(), ErrorCode::kDomainCheckFailed);
}

// tls.min_version: the TLS check asks the library for the configured minimum version.
TEST_F(DomainTest, TlsCheckAsksTheLibraryForTheConfiguredMinimumVersion) {
  probe.tls13 = false;  // a library that has TLS 1.2 only
  EXPECT_EQ(status_of("tls"), CheckStatus::kFail);
  owner_sets("tls.min_version", std::string("1.2"));
  EXPECT_EQ(status_of("tls"), CheckStatus::kPass);
}

TEST_F(DomainTest, UnencryptedListenerMeansTlsIsNotEnforced) {
  owner_sets("tls.plaintext_listener", true);
  EXPECT_EQ(status_of("tls"), CheckStatus::kFail);
}

TEST_F(DomainTest, UnsynchronisedClockFails) {
  probe.clock_state.synchronised = false;
  EXPECT_EQ(status_of("clock"), CheckStatus::kFail);
}

TEST_F(DomainTest, ClockErrorAboveTheBoundFails) {
  probe.clock_state.max_error_microseconds = 3'000'000;
  EXPECT_EQ(status_of("clock"), CheckStatus::kFail);
  owner_sets("domain.clock_max_error_seconds", std::int64_t{5});
  EXPECT_EQ(status_of("clock"), CheckStatus::kPass);
}

TEST_F(DomainTest, RunningAsRootFails) {
  probe.uid = 0;
  probe.paths["/state"].owner_uid = 0;
  probe.paths["/keys"].owner_uid = 0;
  probe.paths["/keys/root.key"].owner_uid = 0;
  EXPECT_EQ(status_of("not-root"), CheckStatus::kFail);
  EXPECT_EQ(status_of("private-dirs"), CheckStatus::kPass);
}

TEST_F(DomainTest, StateFolderOpenToOthersFails) {
  probe.paths["/state"].mode = 0755;
  EXPECT_EQ(status_of("private-dirs"), CheckStatus::kFail);
}

TEST_F(DomainTest, FolderOwnedByAnotherAccountFails) {
  probe.paths["/keys"].owner_uid = 0;
  EXPECT_EQ(status_of("private-dirs"), CheckStatus::kFail);
}

TEST_F(DomainTest, KeyFileReadableByOthersFails) {
  probe.paths["/keys/root.key"].mode = 0644;
  EXPECT_EQ(status_of("private-dirs"), CheckStatus::kFail);
}

TEST_F(DomainTest, MissingStateFolderFails) {
  probe.paths.erase("/state");
  EXPECT_EQ(status_of("private-dirs"), CheckStatus::kFail);
}

TEST_F(DomainTest, UnsupportedDistributionFails) {
  probe.os_info.distro_version = "10";
  EXPECT_EQ(status_of("os"), CheckStatus::kFail);
}

TEST_F(DomainTest, KernelOlderThanSupportedFails) {
  probe.os_info.kernel_release = "4.19.0-26-amd64";
  EXPECT_EQ(status_of("os"), CheckStatus::kFail);
  probe.os_info.kernel_release = "5.10.0-28-amd64";
  EXPECT_EQ(status_of("os"), CheckStatus::kPass);
}

TEST_F(DomainTest, LowFreeDiskFails) {
  probe.free = 100ULL * 1024 * 1024;
  EXPECT_EQ(status_of("disk"), CheckStatus::kFail);
}

TEST_F(DomainTest, RefusalToStartUsesTheDoctorsWordsForEachFailure) {
  probe.uid = 0;
  probe.clock_state.synchronised = false;
  auto r = enforce_domain(probe, state, paths);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kDomainCheckFailed);
  for (const CheckResult& c : check_domain(probe, state, paths)) {
    if (c.status == CheckStatus::kFail) {
      EXPECT_NE(r.error().message.find(format_check(c)), std::string::npos) << c.id;
      EXPECT_FALSE(c.fix.empty());
    }
  }
}

TEST_F(DomainTest, OnlyAnOwnersLooseningGetsPastARefusalAndItChimes) {
  probe.uid = 0;
  probe.paths["/state"].owner_uid = 0;
  probe.paths["/keys"].owner_uid = 0;
  ASSERT_EQ(enforce(), ErrorCode::kDomainCheckFailed);
  const Declaration& d = **find_declaration("domain.refuse_root");
  EXPECT_TRUE(d.may_change.contains(Role::kOwner));
  EXPECT_FALSE(d.may_change.contains(Role::kSecurityOfficer));
  owner_sets("domain.refuse_root", false);
  EXPECT_EQ(status_of("not-root"), CheckStatus::kLoosened);
  EXPECT_EQ(enforce(), ErrorCode::kOk);
  const auto lines = chime_lines(state);
  ASSERT_EQ(lines.size(), 2U);
  EXPECT_NE(lines[1].find("domain.refuse_root"), std::string::npos);
}

// Each requirement an owner turns off stops refusing the start (and shows as loosened), so the
// setting changes behaviour; each machine fault below fails with the setting at its default.
TEST_F(DomainTest, OwnerTurningOffARequirementLoosensItsCheckInsteadOfFailing) {
  struct Case {
    const char* key;
    const char* check;
    std::function<void(FakeSystemProbe&)> break_machine;
  };
  const std::vector<Case> cases = {
      {"domain.require_tls", "tls", [](FakeSystemProbe& p) { p.tls13 = false; }},
      {"domain.require_clock_sync", "clock",
       [](FakeSystemProbe& p) { p.clock_state.synchronised = false; }},
      {"domain.require_private_directories", "private-dirs",
       [](FakeSystemProbe& p) { p.paths["/state"].mode = 0755; }},
      {"domain.require_supported_os", "os",
       [](FakeSystemProbe& p) { p.os_info.distro_version = "10"; }},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.key);
    probe = FakeSystemProbe{};
    state = SettingsState{};
    c.break_machine(probe);
    EXPECT_EQ(status_of(c.check), CheckStatus::kFail);
    EXPECT_EQ(enforce(), ErrorCode::kDomainCheckFailed);
    owner_sets(c.key, false);
    EXPECT_EQ(status_of(c.check), CheckStatus::kLoosened);
    EXPECT_EQ(enforce(), ErrorCode::kOk);
  }
}

TEST_F(DomainTest, FreeDiskMinimumFollowsTheSetting) {
  probe.free = 600ULL * 1024 * 1024;  // 600 MiB: below the default 1024
  EXPECT_EQ(status_of("disk"), CheckStatus::kFail);
  owner_sets("domain.min_free_disk_mb", std::int64_t{512});
  EXPECT_EQ(status_of("disk"), CheckStatus::kPass);
  owner_sets("domain.min_free_disk_mb", std::int64_t{0});
  EXPECT_EQ(status_of("disk"), CheckStatus::kLoosened);
}

}  // namespace
}  // namespace dss::settings
