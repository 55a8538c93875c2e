// The settings engine: every change to the settings goes through here.
//
// Rules it enforces, each on every path:
//  - only roles the declaration names may change a setting (kPermissionDenied);
//  - values are validated against the declaration (kUnknownSetting, kInvalidValue);
//  - no value looser than the floor the provider's policy pins (kBelowFloor);
//  - a change that loosens anything needs the exact confirmation phrase that preview() shows
//    (kAcknowledgementRequired; the refusal is recorded);
//  - every change is recorded in the audit log *before* it is stored, and not made if it
//    cannot be recorded (fail closed);
//  - a policy bundle is applied only if its version is higher than the applied one
//    (kBadVersion; the refusal is recorded). It can only raise floors, so it never loosens a
//    setting that was tightened locally.
// The store writes atomically; on any error the previous configuration stays in force.
//
// Not thread-safe; one engine per process, and the store's file is the synchronisation point.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "settings/audit_sink.h"
#include "settings/chime.h"
#include "settings/state.h"

namespace dss::settings {

class SettingsStore {
 public:
  virtual ~SettingsStore() = default;
  // A fresh state when nothing is stored yet. Errors as parse_settings, or kIo.
  virtual Result<SettingsState> load() = 0;
  // Atomic: after a crash the old or the new state is stored, never a mix.
  virtual Status save(const SettingsState& state) = 0;
};

// Who is acting. The id is an identifier (e.g. "local:alice"), never a secret.
struct Actor {
  std::string id;
  Role role = Role::kViewer;
};

struct Consent {
  std::string reason;                 // why; goes to the audit log
  std::optional<std::string> phrase;  // the confirmation phrase, typed or --accept-risk
};

struct SettingChange {
  std::string key;
  Value from;  // effective value before
  Value to;    // effective value after
  bool loosens = false;
};

// What a command would do, computed without changing anything.
struct Preview {
  std::vector<SettingChange> changes;  // settings whose effective value changes
  bool loosens = false;                // any change loosens: a phrase is needed
  std::string phrase;                  // the exact phrase to type (empty if not needed)
  std::vector<std::string> risks;      // "KEY: risk" for each loosened setting
};

struct PolicyOutcome {
  enum class Kind : std::uint8_t { kApplied, kUnchanged } kind = Kind::kApplied;
  std::int64_t bundle_version = 0;
  std::vector<SettingChange> changes;  // effective values the bundle changed
};

class SettingsEngine {
 public:
  SettingsEngine(SettingsStore& store, AuditSink& audit, const Clock& clock)
      : store_(store), audit_(audit), clock_(clock) {}

  Result<SettingsState> state() { return store_.load(); }

  // Previews; errors as the corresponding change (role, value, floor), but never
  // kAcknowledgementRequired.
  Result<Preview> preview_set(const Actor& actor, std::string_view key, std::string_view value);
  Result<Preview> preview_reset(const Actor& actor, std::string_view key);
  Result<Preview> preview_template(const Actor& actor, std::string_view name);

  // Sets a local value. `value` is as a person types it (see parse_value).
  Result<Preview> set(const Actor& actor, std::string_view key, std::string_view value,
                      const Consent& consent);
  // Removes the local value: the template value (raised to any floor) applies again.
  Result<Preview> reset(const Actor& actor, std::string_view key, const Consent& consent);
  // Chooses a template and removes every local value.
  Result<Preview> apply_template(const Actor& actor, std::string_view name, const Consent& consent);

  // Applies a policy bundle whose bytes the caller has verified through TUF; no user action.
  // Records "policy.applied" or "policy.refused". `source` says where it came from.
  Result<PolicyOutcome> apply_policy_bundle(std::string_view verified_bytes,
                                            std::string_view source);
  // Records that a bundle was refused before it reached the engine (e.g. a bad signature
  // found by TUF). Returns the error the audit sink reported, if any.
  Status record_policy_refusal(std::string_view source, const Error& why);

  // If a periodic reminder is due (see due_reminder in chime.h), records it and stores the
  // time; returns the event recorded, or nullopt if none was due.
  Result<std::optional<SettingsAuditEvent>> emit_due_reminder();

 private:
  struct Plan {
    SettingsState next;
    Preview preview;
  };
  Result<Plan> plan_set(const Actor& actor, std::string_view key, std::string_view value);
  Result<Plan> plan_reset(const Actor& actor, std::string_view key);
  Result<Plan> plan_template(const Actor& actor, std::string_view name);
  Result<Preview> commit(const Actor& actor, Plan plan, const Consent& consent,
                         std::string_view key, std::string_view action_if_tighter,
                         std::string_view old_text, std::string_view new_text);
  Status record_and_save(const SettingsAuditEvent& event, const SettingsState& next);
  SettingsAuditEvent policy_event(std::string_view action, std::string_view source,
                                  std::string_view outcome) const;

  SettingsStore& store_;
  AuditSink& audit_;
  const Clock& clock_;
};

// The confirmation phrases, exactly as a person must type them.
std::string loosening_phrase(std::string_view key, const Value& value);
std::string template_phrase(std::string_view name);

}  // namespace dss::settings
