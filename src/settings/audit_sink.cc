#include "settings/audit_sink.h"

#include "core/json.h"

namespace dss::settings {

std::string to_json(const SettingsAuditEvent& event) {
  return json::escape_control_characters(json::ObjectBuilder()
                                             .str("time", format_utc_timestamp(event.time))
                                             .str("actor", event.actor)
                                             .str("role", event.role)
                                             .str("action", event.action)
                                             .str("key", event.key)
                                             .str("old_value", event.old_value)
                                             .str("new_value", event.new_value)
                                             .str("reason", event.reason)
                                             .str("acknowledgement", event.acknowledgement)
                                             .str("outcome", event.outcome)
                                             .finish());
}

}  // namespace dss::settings
