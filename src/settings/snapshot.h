// The effective settings, resolved once into an immutable, typed view (ADR 0041).
//
// Code reads a setting through its key constant below, whose type is the declaration's:
//   if (snapshot.get(key::kAuthMfaRequired)) ...
// There is no fallback default at the call site: a snapshot exists only for a settings state
// that parsed and validated (parse_settings), so every declared setting has its value, and
// what cannot be read stops the program that needed it (refusing to start), never silently
// becomes a default. A key constant naming an undeclared setting, or the wrong type, is a
// programming error that DSS_CHECK catches on first use (and SnapshotKeys tests catch first).
//
// Servers publish a snapshot as a shared_ptr<const Snapshot> and replace it when the settings
// change; readers take the pointer and read without parsing or locking. Pure: no I/O.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "settings/state.h"

namespace dss::settings {

// A setting's key with its value type: bool (kBool), std::int64_t (kInteger), std::string
// (kChoice) or Members (kSet).
template <typename T>
struct Key {
  std::string_view name;
};

namespace key {
inline constexpr Key<bool> kAuditFailClosed{"audit.fail_closed"};
inline constexpr Key<std::int64_t> kAuthMaxFailedLoginsPerHour{"auth.max_failed_logins_per_hour"};
inline constexpr Key<bool> kAuthMfaRequired{"auth.mfa_required"};
inline constexpr Key<std::int64_t> kAuthPasswordMinLength{"auth.password_min_length"};
inline constexpr Key<Members> kCryptoAllowedSignatureAlgorithms{
    "crypto.allowed_signature_algorithms"};
inline constexpr Key<bool> kReleaseRequireSbom{"release.require_sbom"};
inline constexpr Key<std::int64_t> kSessionAbsoluteLifetimeHours{"session.absolute_lifetime_hours"};
inline constexpr Key<std::int64_t> kSessionIdleTimeoutMinutes{"session.idle_timeout_minutes"};
inline constexpr Key<std::string> kTlsMinVersion{"tls.min_version"};
inline constexpr Key<bool> kTlsPlaintextListener{"tls.plaintext_listener"};
inline constexpr Key<bool> kUpdateAllowDowngrade{"update.allow_downgrade"};
inline constexpr Key<bool> kUpdateAutoInstall{"update.auto_install"};
inline constexpr Key<std::int64_t> kUpdateCheckIntervalMinutes{"update.check_interval_minutes"};
inline constexpr Key<std::int64_t> kUpdateDeferralHours{"update.deferral_hours"};
}  // namespace key

class Snapshot {
 public:
  // Every declared setting's effective value in `state`, which parse_settings validated.
  explicit Snapshot(const SettingsState& state);

  [[nodiscard]] bool get(Key<bool> k) const { return value<bool>(k.name); }
  [[nodiscard]] std::int64_t get(Key<std::int64_t> k) const { return value<std::int64_t>(k.name); }
  [[nodiscard]] const std::string& get(Key<std::string> k) const {
    return value<std::string>(k.name);
  }
  [[nodiscard]] const Members& get(Key<Members> k) const { return value<Members>(k.name); }

  // Every setting, in declaration order, with where its value comes from.
  [[nodiscard]] const std::vector<Effective>& all() const { return effective_; }
  // The seat-belt chime header's value for this state (chime_header_value).
  [[nodiscard]] const std::string& chime() const { return chime_; }
  // The state itself, for what reports on it as a whole (posture_json).
  [[nodiscard]] const SettingsState& state() const { return state_; }

 private:
  [[nodiscard]] const Effective& find(std::string_view name) const;
  template <typename T>
  [[nodiscard]] const T& value(std::string_view name) const {
    const T* v = std::get_if<T>(&find(name).value);
    DSS_CHECK(v != nullptr);  // the key constant's type is not the declaration's
    return *v;
  }

  SettingsState state_;
  std::vector<Effective> effective_;
  std::string chime_;
};

}  // namespace dss::settings
