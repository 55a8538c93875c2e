// What the settings engine records, and the one-method interface it records through.
// The tamper-evident audit log (src/audit) implements AuditSink; until it lands the CLI uses
// the JSON-lines file sink in settings/file_store.h. Recording fails closed: when record()
// fails, the engine makes no change.
#pragma once

#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/result.h"

namespace dss::settings {

// Actions. Values are stable: audit readers match on them.
inline constexpr std::string_view kActionLoosened = "settings.loosened";
inline constexpr std::string_view kActionTightened = "settings.tightened";
inline constexpr std::string_view kActionReset = "settings.reset";
inline constexpr std::string_view kActionTemplate = "settings.template";
inline constexpr std::string_view kActionRefused = "settings.refused";
inline constexpr std::string_view kActionPolicyApplied = "policy.applied";
inline constexpr std::string_view kActionPolicyRefused = "policy.refused";
inline constexpr std::string_view kActionChime = "settings.chime";

// Outcomes.
inline constexpr std::string_view kOutcomeApplied = "applied";
inline constexpr std::string_view kOutcomeRefused = "refused";
inline constexpr std::string_view kOutcomeFailed = "failed";  // recorded, then not stored
inline constexpr std::string_view kOutcomeReminder = "reminder";

struct SettingsAuditEvent {
  UnixSeconds time = 0;
  std::string actor;   // an identifier, never a secret
  std::string role;    // the actor's role name
  std::string action;  // one of kAction*
  std::string key;     // setting key, template name or policy source
  std::string old_value;
  std::string new_value;
  std::string reason;           // the actor's stated reason, or the refusal's cause
  std::string acknowledgement;  // the exact phrase the actor typed, for loosenings
  std::string outcome;          // one of kOutcome*
};

// One line of canonical JSON (no trailing newline).
std::string to_json(const SettingsAuditEvent& event);

class AuditSink {
 public:
  virtual ~AuditSink() = default;
  // Durable before returning success. Any error means "not recorded".
  virtual Status record(const SettingsAuditEvent& event) = 0;
};

}  // namespace dss::settings
