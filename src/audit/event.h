// The audit event: one schema, in one place. Every audited action in DSS is an Event whose
// `action` is one of the catalogue below; recording an action missing from the catalogue is
// refused, so the schema cannot drift.
//
// Events never carry secrets: actors are ids (user, device, API token id), sessions appear only
// as session_ref() hashes, and free-text fields are escaped (CR, LF and every control
// character) wherever they are written, so one event can never forge another line.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"

namespace dss::audit {

enum class Category {
  kAuthentication,
  kAuthorization,
  kSession,
  kAccount,  // users, roles, grants, API tokens
  kKey,
  kConfiguration,
  kRelease,  // releases, policies, advisories
  kDevice,   // enrolment, update results, rollbacks
  kSystem,   // start-up, shutdown, the log itself
};
std::string_view category_name(Category c);

enum class ActorKind { kUser, kDevice, kApiToken, kSystem, kAnonymous };
std::string_view actor_kind_name(ActorKind k);

enum class Outcome { kSuccess, kFailure };

struct ActionInfo {
  std::string_view name;
  Category category;
  int ocsf_class;     // OCSF class_uid (3002 Authentication, 3001 Account Change, ...)
  int ocsf_activity;  // OCSF activity_id within that class
  std::string_view ecs_category;
  std::string_view ecs_type;
  std::string_view description;
};
std::span<const ActionInfo> action_catalogue();
const ActionInfo* find_action(std::string_view name);

struct Event {
  std::int64_t time_ms = 0;  // Unix milliseconds, UTC
  std::string id;            // UUIDv7, time-ordered
  ActorKind actor_kind = ActorKind::kSystem;
  std::string actor_id;        // an id, never a secret
  std::string source_address;  // client IP address, when there is one
  std::string request_id;
  std::string action;  // from the catalogue
  std::string object;  // what the action was done to
  Outcome outcome = Outcome::kSuccess;
  std::string reason;  // why it failed, or a short explanation
  std::string product_version;
  std::string host;
  std::vector<std::pair<std::string, std::string>> details;  // extra facts, never secrets
};

// "2026-11-22T18:04:05.123Z"
std::string format_time_ms(std::int64_t unix_ms);
// A fresh UUIDv7 for an event at `unix_ms`.
std::string new_event_id(std::int64_t unix_ms);
// How a session appears in the log: "sess-" and the first 16 bytes of its SHA-256, in hex.
std::string session_ref(std::string_view session_token);

// kInvalidArgument naming the problem: unknown action, missing time or id, over-long fields.
Status validate(const Event& e);

// The stored form: one line of standard JSON.
std::string to_json(const Event& e);
// kMalformed when `line` is not a stored event.
Result<Event> from_json(std::string_view line);
// OCSF 1.1 (class, activity, type_uid = class_uid * 100 + activity_id), one line.
std::string to_ocsf(const Event& e);
// Elastic Common Schema, one line.
std::string to_ecs(const Event& e);
// RFC 5424 syslog message (facility 13, "log audit"), whose MSG is the stored JSON.
std::string to_syslog(const Event& e, std::string_view app_name);

}  // namespace dss::audit
