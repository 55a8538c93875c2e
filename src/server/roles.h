// Authorization profiles: built-in roles, each a fixed set of permissions with a plain-language
// description of the job it is for. Deny by default: a permission is held only through a role
// granted explicitly. A grant beyond the recommended profile for a person's stated job is
// allowed, but flagged (the API answers with a warning and the audit event says so).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dss::server {

enum class Permission : std::uint32_t {
  kUsersRead = 1U << 0,
  kUsersManage = 1U << 1,  // create, disable, reset MFA
  kRolesGrant = 1U << 2,
  kTokensManage = 1U << 3,  // every user's API tokens (everyone manages their own)
  kSettingsRead = 1U << 4,
  kSettingsWrite = 1U << 5,
  kKeysManage = 1U << 6,
  kAdvisoriesPublish = 1U << 7,
  kReleasesRead = 1U << 8,
  kReleasesPublish = 1U << 9,  // publish and withdraw
  kDevicesRead = 1U << 10,
  kDevicesManage = 1U << 11,  // enrolment tokens
  kRolloutsManage = 1U << 12,
  kAuditRead = 1U << 13,
  kPostureRead = 1U << 14,
};

struct RoleInfo {
  std::string_view name;
  std::string_view job;  // the job it is for, in plain language
  std::uint32_t permissions;
  bool privileged;  // MFA can never be waived for it
};

const std::vector<RoleInfo>& builtin_roles();
const RoleInfo* find_role(std::string_view name);
std::vector<std::string_view> permission_names(std::uint32_t permissions);

// The union of the roles' permissions (unknown names grant nothing).
std::uint32_t permissions_of(const std::vector<std::string>& roles);
bool any_privileged(const std::vector<std::string>& roles);
// The roles in `granted` that give more than the recommended profile for `job`.
std::vector<std::string> beyond_profile(std::string_view job,
                                        const std::vector<std::string>& granted);
// A plain-language warning for such a grant, or nullopt.
std::optional<std::string> deviation_warning(std::string_view job,
                                             const std::vector<std::string>& granted);

// The list form of a role set: sorted, without repeats, comma separated (as stored).
std::string join_roles(const std::vector<std::string>& roles);
std::vector<std::string> split_roles(std::string_view text);

}  // namespace dss::server
