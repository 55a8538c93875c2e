// Seat-belt chimes: while any setting is looser than its secure default, every surface says
// so, naming the setting, who loosened it and when, and how to undo it. These functions are
// what each surface calls; none of them can be turned off.
//   CLI          chime_lines() on stderr for every `dss` invocation (src/cli/main.cc)
//   server API   header kChimeHeader: chime_header_value() on every response, and a posture
//                endpoint answering posture_json()
//   agent        chime_lines() in its status output
//   audit log    due_reminder() as a periodic "settings.chime" event (SettingsEngine
//                emits and schedules it)
// Pure: no I/O, no clock (time is a parameter).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "settings/audit_sink.h"
#include "settings/state.h"

namespace dss::settings {

inline constexpr std::string_view kChimeHeader = "DSS-Loosened-Settings";
// The periodic reminder interval while anything is loosened. Fixed: reminders cannot be
// silenced except by tightening.
inline constexpr UnixSeconds kReminderIntervalSeconds = UnixSeconds{24} * 60 * 60;

struct Loosening {
  std::string key;
  std::string value;           // current effective value, as typed
  std::string secure_default;  // as typed
  std::string set_by;          // actor id; "template NAME by ACTOR" for a template value
  UnixSeconds set_at = 0;
  std::string undo;  // the command that restores the secure default
};

// The loosened settings, in declaration order. Empty means the secure posture.
std::vector<Loosening> loosened_settings(const SettingsState& state);

// Human lines, one per loosened setting plus a header line; empty when nothing is loosened.
std::vector<std::string> chime_lines(const SettingsState& state);

// Header value: "none", or a comma-separated list of `KEY=VALUE; by=ACTOR; at=TIME`
// entries, each separated by ", ". Only printable ASCII (actor ids are sanitised).
std::string chime_header_value(const SettingsState& state);

// {"posture":"secure"|"loosened","loosened":[{"key",...,"undo"}],"policy_bundle_version":N,
//  "template":"strict","checked_at":"..."} as canonical JSON.
std::string posture_json(const SettingsState& state, UnixSeconds now);

// The periodic audit reminder, due when anything is loosened and the last one is at least
// kReminderIntervalSeconds old. Lists every loosened setting.
std::optional<SettingsAuditEvent> due_reminder(const SettingsState& state, UnixSeconds now);

}  // namespace dss::settings
