// A declared setting must change what DSS does (issue 24: two declared settings did nothing).
// kCoverage names, for every declaration, the tests that change the setting and see the
// behaviour change. The guard fails, like the loosening guide's staleness test, when:
//   - a declaration has no entry: a new setting arrived without a behavioural test;
//   - an entry names a setting that is not declared (removed or renamed);
//   - an entry names a test that no file under tests/ defines (renamed or deleted).
// A setting that nothing enforces yet is listed with the issue that will enforce it, and is
// printed on every run, so the gap stays visible.
#include <gtest/gtest.h>

#include <filesystem>
#include <iostream>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "fakes/temp_dir.h"
#include "settings/declarations.h"

namespace dss::settings {
namespace {

struct Coverage {
  std::string_view key;
  std::vector<std::string_view> tests;  // "Suite.Name"
};

struct Pending {
  std::string_view key;
  std::string_view why;  // the issue that will enforce it
};

// Declared, not enforced yet: no test can show an effect that does not exist.
constexpr Pending kPending[] = {
    {"release.require_build_record", "issue 22 (signed build provenance) makes publish enforce it"},
};

const std::vector<Coverage>& coverage() {
  static const std::vector<Coverage> kCoverage = {
      {"audit.fail_closed",
       {"AuditLogTest.LoosenedFailClosedLetsTheActionThroughWithALoudWarning"}},
      {"auth.max_failed_logins_per_hour",
       {"Dispatch.TheFailedSignInLimitIsThePublishedSettingsValue"}},
      {"auth.mfa_required",
       {"Dispatch.OnlyAnUnprivilegedAccountSkipsMfaAndOnlyWhileMfaRequiredIsLoosened"}},
      {"auth.password_min_length",
       {"ServerTest.TightenedMinimumPasswordLengthAppliesToNewPasswords"}},
      {"crypto.allowed_signature_algorithms",
       {"TrustedSetSchemes.RootSignedWithAnRsaKeyIsRefusedOnTheDefaultsAndAcceptedWhenRsaIsAllowed",
        "AgentE2E.ReleaseSignedWithAnRsaKeyIsRefusedOnTheDefaultsAndInstalledWhenRsaIsAllowed",
        "ServerTest.CheckinSignedWithAKeyOfADisallowedSchemeIsRefused",
        "SettingsCliTest.RepoInitRefusesASchemeTheAgentsRefuseOnTheirDefaults"}},
      {"domain.clock_max_error_seconds", {"DomainTest.ClockErrorAboveTheBoundFails"}},
      {"domain.min_free_disk_mb", {"DomainTest.FreeDiskMinimumFollowsTheSetting"}},
      {"domain.refuse_root", {"DomainTest.OnlyAnOwnersLooseningGetsPastARefusalAndItChimes"}},
      {"domain.require_clock_sync",
       {"DomainTest.OwnerTurningOffARequirementLoosensItsCheckInsteadOfFailing"}},
      {"domain.require_private_directories",
       {"DomainTest.OwnerTurningOffARequirementLoosensItsCheckInsteadOfFailing"}},
      {"domain.require_supported_os",
       {"DomainTest.OwnerTurningOffARequirementLoosensItsCheckInsteadOfFailing"}},
      {"domain.require_tls",
       {"DomainTest.OwnerTurningOffARequirementLoosensItsCheckInsteadOfFailing"}},
      {"release.require_sbom", {"ReleaseTest.MissingSbomIsRefusedAndNothingIsPublished"}},
      {"session.absolute_lifetime_hours",
       {"Dispatch.TheAbsoluteSessionLifetimeIsThePublishedSettingsValue"}},
      {"session.idle_timeout_minutes", {"Dispatch.TheIdleTimeoutIsThePublishedSettingsValue"}},
      {"tls.min_version",
       {"ServerTest.Tls12IsRefusedWhileTheSettingIsAtItsSecureDefault",
        "ServerTest.Tls12IsAcceptedOnceTheOwnerLoosensTheMinimumVersion",
        "DomainTest.TlsCheckAsksTheLibraryForTheConfiguredMinimumVersion"}},
      {"tls.plaintext_listener", {"DomainTest.UnencryptedListenerMeansTlsIsNotEnforced"}},
      {"update.allow_downgrade",
       {"AgentE2E.OwnerAllowingDowngradesLetsARollbackThroughWithoutTheProvidersAllowance",
        "ReleaseSelection.BelowTheHighestCommittedVersionNeedsTheSignedOrTheOwnersAllowance"}},
      {"update.auto_install", {"AgentE2E.AutoInstallOffLeavesAVerifiedReleaseWaiting"}},
      {"update.check_interval_minutes",
       {"AgentE2E.SignedPolicyBundleIsAppliedAtOnceAndShortensThePollInterval"}},
      {"update.deferral_hours",
       {"ReleaseSelection.YoungReleaseWaitsForTheDeferralUnlessItIsASecurityUpdate"}},
  };
  return kCoverage;
}

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

// The "Suite.Name" of every TEST, TEST_F and TEST_P in `text`. (No <regex>: GCC 12 warns inside
// it under the sanitizer build.)
void collect_tests(std::string_view text, std::set<std::string, std::less<>>& out) {
  for (std::size_t at = text.find("TEST"); at != std::string_view::npos;
       at = text.find("TEST", at + 4)) {
    if (at > 0 && is_name_char(text[at - 1])) continue;
    std::size_t i = at + 4;
    if (text.substr(i, 2) == "_F" || text.substr(i, 2) == "_P") i += 2;
    if (i >= text.size() || text[i] != '(') continue;
    const auto name = [&](std::size_t& p) {
      while (p < text.size() && text[p] == ' ') ++p;
      const std::size_t start = p;
      while (p < text.size() && is_name_char(text[p])) ++p;
      return text.substr(start, p - start);
    };
    std::size_t p = i + 1;
    const std::string_view suite = name(p);
    if (suite.empty() || p >= text.size() || text[p] != ',') continue;
    ++p;
    const std::string_view test = name(p);
    if (test.empty()) continue;
    out.emplace(std::string(suite) + "." + std::string(test));
  }
}

std::set<std::string, std::less<>> all_tests() {
  std::set<std::string, std::less<>> out;
  std::error_code ec;
  const std::filesystem::path root = std::filesystem::path(DSS_SOURCE_ROOT) / "tests";
  for (auto it = std::filesystem::recursive_directory_iterator(root, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    const auto ext = it->path().extension();
    if (ext != ".cc" && ext != ".h") continue;
    collect_tests(dss::testing::slurp(it->path()), out);
  }
  return out;
}

TEST(SettingsBehaviour, EveryDeclaredSettingHasATestShowingItChangesBehaviour) {
  std::set<std::string_view> listed;
  for (const Coverage& c : coverage()) {
    EXPECT_FALSE(c.tests.empty()) << c.key << ": name at least one test, or list it in kPending";
    EXPECT_TRUE(listed.insert(c.key).second) << c.key << " is listed twice";
  }
  for (const Pending& p : kPending) {
    EXPECT_TRUE(listed.insert(p.key).second) << p.key << " is both covered and pending";
    std::cout << "[ pending  ] " << p.key << " is declared but not enforced yet: " << p.why << "\n";
  }
  for (const Declaration& d : declarations()) {
    EXPECT_TRUE(listed.count(d.key) == 1)
        << d.key << " is declared but no test shows that changing it changes behaviour: write "
        << "one (it must fail while nothing reads the setting) and list it in kCoverage in "
        << __FILE__;
  }
  for (std::string_view key : listed) {
    EXPECT_TRUE(find_declaration(key).has_value())
        << key << " is listed in " << __FILE__ << " but not declared: remove its entry";
  }
}

TEST(SettingsBehaviour, EveryTestNamedInTheCoverageTableExists) {
  const auto tests = all_tests();
  ASSERT_GT(tests.size(), 100U) << "the scan of tests/ found almost nothing: is " << DSS_SOURCE_ROOT
                                << " the source tree?";
  for (const Coverage& c : coverage()) {
    for (std::string_view t : c.tests) {
      EXPECT_TRUE(tests.count(t) == 1)
          << c.key << ": kCoverage names " << t << ", which no file under tests/ defines";
    }
  }
}

// The scanner itself: it finds each form, and not a word that merely contains TEST.
TEST(SettingsBehaviour, TheTestScannerFindsEachFormAndNothingElse) {
  std::set<std::string, std::less<>> found;
  collect_tests("TEST(A, B) {}\nTEST_F(C, D) {}\nTEST_P( E, F ) {}\nMY_TEST(G, H)\nTESTX(I, J)",
                found);
  EXPECT_EQ(found, (std::set<std::string, std::less<>>{"A.B", "C.D", "E.F"}));
}

}  // namespace
}  // namespace dss::settings
