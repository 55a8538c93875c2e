// The settings state and how effective values are computed from it.
//
// Layers, highest first:
//   1. the provider's signed policy bundle: floors no value may be looser than;
//   2. the local administrator's choices (each with who set it, when and why);
//   3. the chosen template's values (the `strict` template is the declared secure defaults).
// The effective value is the local choice (else the template value), raised to the policy's
// floor where it is looser. Raising is "the stricter of the two", so a policy never loosens a
// setting that was tightened locally.
//
// The settings file and the policy bundle are untrusted text: parsing validates every key,
// type and range and fails as a whole (kUnknownSetting, kInvalidValue, kMalformed), so a bad
// file never half-applies. Pure: no I/O, no clock.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "settings/declarations.h"

namespace dss::settings {

inline constexpr std::string_view kSettingsFormat = "dss-settings-v1";
inline constexpr std::string_view kPolicyBundleType = "dss-policy-bundle";
inline constexpr std::uint64_t kMaxSettingsFileBytes = 1024ull * 1024;
inline constexpr std::uint64_t kMaxPolicyBundleBytes = 256ull * 1024;

struct LocalValue {
  Value value;
  std::string set_by;  // actor id, never a secret
  UnixSeconds set_at = 0;
  std::string reason;
};

// A policy bundle: a JSON TUF target the provider signs, e.g.
//   {"type":"dss-policy-bundle","bundle_version":3,
//    "floors":{"tls.min_version":"1.3","auth.password_min_length":16}}
struct PolicyBundle {
  std::int64_t bundle_version = 0;  // strictly increasing; a lower one is refused
  std::map<std::string, Value, std::less<>> floors;
};

struct AppliedPolicy {
  PolicyBundle bundle;
  std::string source;  // where it came from, e.g. "tuf target policy/bundle.json"
  UnixSeconds applied_at = 0;
};

struct SettingsState {
  std::string template_name = std::string(kDefaultTemplate);
  std::string template_set_by;  // empty: never chosen (the default)
  UnixSeconds template_set_at = 0;
  std::map<std::string, LocalValue, std::less<>> local;
  std::optional<AppliedPolicy> policy;
  UnixSeconds last_reminder = 0;  // last periodic "settings.chime" audit event
  // Not stored: one warning per value the file holds for a retired setting
  // (find_retired_setting). Those values are ignored, and dropped at the next save.
  std::vector<std::string> retired_warnings;
};

// Parses a settings file. Empty text is a fresh state. Fails as a whole on any unknown key,
// wrong type, value out of range, or a stored value looser than the stored policy's floor.
// A value (or a stored policy's floor) for a retired setting is ignored, with a warning in
// retired_warnings.
Result<SettingsState> parse_settings(std::string_view text);
// Canonical JSON followed by a newline; parse_settings(serialize_settings(s)) == s.
std::string serialize_settings(const SettingsState& state);

// Parses and validates a policy bundle's bytes. The caller has verified them through TUF.
// kMalformed for bad JSON or schema, kUnknownSetting, kInvalidValue, and kPermissionDenied
// for a floor on a setting whose declaration does not let the policy pin one. A floor for a
// retired setting (one a provider's older bundle may still pin) is ignored.
Result<PolicyBundle> parse_policy_bundle(std::string_view bytes);
std::string serialize_policy_bundle(const PolicyBundle& bundle);

enum class Source : std::uint8_t {
  kDefault,      // the declared secure default (template `strict` or a template not touching it)
  kTemplate,     // the chosen template's value
  kLocal,        // a local administrator's choice
  kPolicyFloor,  // raised to the floor the provider's policy pins
};
std::string_view source_name(Source s);

struct Effective {
  const Declaration* declaration = nullptr;
  Value value;
  Value template_value;  // what the chosen template gives
  Source source = Source::kDefault;
  std::string set_by;  // empty for kDefault
  UnixSeconds set_at = 0;
  std::string reason;
  std::optional<Value> floor;  // what the policy pins, if anything
  // Looser than the declared secure default (or, for sets, allowing anything it does not).
  bool loosened = false;
};

// Every setting, in declaration order. The state must have been validated (parse_settings).
std::vector<Effective> resolve(const SettingsState& state);
// One setting; kUnknownSetting if the key is not declared.
Result<Effective> resolve_one(const SettingsState& state, std::string_view key);

}  // namespace dss::settings
