#include "settings/chime.h"

#include "core/json.h"

namespace dss::settings {

namespace {

// Header values carry only printable ASCII, and none of the separators the format uses.
std::string header_safe(std::string_view s) {
  std::string out;
  for (char c : s) {
    const bool printable = c >= 0x20 && c < 0x7f;
    out.push_back(printable && c != ',' && c != ';' && c != '"' ? c : '?');
  }
  return out;
}

}  // namespace

std::vector<Loosening> loosened_settings(const SettingsState& state) {
  std::vector<Loosening> out;
  for (const Effective& e : resolve(state)) {
    if (!e.loosened) continue;
    const Declaration& d = *e.declaration;
    Loosening l;
    l.key = std::string(d.key);
    l.value = format_value(e.value);
    l.secure_default = format_value(d.secure_default);
    l.set_by = e.source == Source::kTemplate
                   ? "template " + state.template_name + " applied by " + e.set_by
                   : e.set_by;
    l.set_at = e.set_at;
    l.undo = "dss settings set " + l.key + " " + l.secure_default;
    if (e.source == Source::kTemplate) l.undo += "  (or: dss settings apply-template strict)";
    out.push_back(std::move(l));
  }
  return out;
}

std::vector<std::string> chime_lines(const SettingsState& state) {
  std::vector<std::string> out;
  const std::vector<Loosening> loose = loosened_settings(state);
  if (loose.empty()) return out;
  out.push_back("WARNING: " + std::to_string(loose.size()) +
                (loose.size() == 1 ? " setting is" : " settings are") +
                " looser than the secure default:");
  for (const Loosening& l : loose) {
    out.push_back("  " + l.key + " = " + l.value + " (secure default " + l.secure_default +
                  "), loosened by " + l.set_by + " at " + format_utc_timestamp(l.set_at) +
                  "; undo: " + l.undo);
  }
  return out;
}

std::string chime_header_value(const SettingsState& state) {
  const std::vector<Loosening> loose = loosened_settings(state);
  if (loose.empty()) return "none";
  std::string out;
  for (const Loosening& l : loose) {
    if (!out.empty()) out += ", ";
    out += header_safe(l.key) + "=" + header_safe(l.value) + "; by=" + header_safe(l.set_by) +
           "; at=" + format_utc_timestamp(l.set_at);
  }
  return out;
}

std::string posture_json(const SettingsState& state, UnixSeconds now) {
  const std::vector<Loosening> loose = loosened_settings(state);
  std::string list = "[";
  for (const Loosening& l : loose) {
    if (list.size() > 1) list += ",";
    list += json::ObjectBuilder()
                .str("key", l.key)
                .str("value", l.value)
                .str("secure_default", l.secure_default)
                .str("set_by", l.set_by)
                .str("set_at", format_utc_timestamp(l.set_at))
                .str("undo", l.undo)
                .finish();
  }
  list += "]";
  json::ObjectBuilder b;
  b.str("posture", loose.empty() ? "secure" : "loosened")
      .raw("loosened", list)
      .str("template", state.template_name)
      .integer("policy_bundle_version", state.policy ? state.policy->bundle.bundle_version : 0)
      .str("checked_at", format_utc_timestamp(now));
  return json::escape_control_characters(b.finish());
}

std::optional<SettingsAuditEvent> due_reminder(const SettingsState& state, UnixSeconds now) {
  const std::vector<Loosening> loose = loosened_settings(state);
  if (loose.empty()) return std::nullopt;
  if (state.last_reminder != 0 && now - state.last_reminder < kReminderIntervalSeconds) {
    return std::nullopt;
  }
  SettingsAuditEvent e;
  e.time = now;
  e.actor = "dss";
  e.role = "system";
  e.action = std::string(kActionChime);
  for (const Loosening& l : loose) {
    e.key += (e.key.empty() ? "" : ",") + l.key;
    if (!e.new_value.empty()) e.new_value += "; ";
    e.new_value +=
        l.key + "=" + l.value + " by " + l.set_by + " at " + format_utc_timestamp(l.set_at);
  }
  e.reason = "reminder: settings remain looser than the secure default";
  e.outcome = std::string(kOutcomeReminder);
  return e;
}

}  // namespace dss::settings
