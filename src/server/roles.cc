#include "server/roles.h"

#include <algorithm>

namespace dss::server {

namespace {

constexpr std::uint32_t bit(Permission p) { return static_cast<std::uint32_t>(p); }

constexpr std::uint32_t kReadAll = bit(Permission::kUsersRead) | bit(Permission::kSettingsRead) |
                                   bit(Permission::kReleasesRead) | bit(Permission::kDevicesRead) |
                                   bit(Permission::kAuditRead) | bit(Permission::kPostureRead);

constexpr std::pair<Permission, std::string_view> kPermissionNames[] = {
    {Permission::kUsersRead, "users.read"},
    {Permission::kUsersManage, "users.manage"},
    {Permission::kRolesGrant, "roles.grant"},
    {Permission::kTokensManage, "tokens.manage"},
    {Permission::kSettingsRead, "settings.read"},
    {Permission::kSettingsWrite, "settings.write"},
    {Permission::kKeysManage, "keys.manage"},
    {Permission::kAdvisoriesPublish, "advisories.publish"},
    {Permission::kReleasesRead, "releases.read"},
    {Permission::kReleasesPublish, "releases.publish"},
    {Permission::kDevicesRead, "devices.read"},
    {Permission::kDevicesManage, "devices.manage"},
    {Permission::kRolloutsManage, "rollouts.manage"},
    {Permission::kAuditRead, "audit.read"},
    {Permission::kPostureRead, "posture.read"},
};

}  // namespace

const std::vector<RoleInfo>& builtin_roles() {
  static const std::vector<RoleInfo> kRoles = {
      {"owner",
       "Runs the DSS installation: manages people and their roles, and can do everything the "
       "other roles can. Keep to one or two people.",
       0xffffffffU, true},
      {"security-officer",
       "Looks after security: settings (including any loosening), signing keys and security "
       "advisories. Can read everything, including the audit log.",
       kReadAll | bit(Permission::kSettingsWrite) | bit(Permission::kKeysManage) |
           bit(Permission::kAdvisoriesPublish),
       true},
      {"release-manager", "Publishes and withdraws releases of the product.",
       bit(Permission::kReleasesRead) | bit(Permission::kReleasesPublish) |
           bit(Permission::kDevicesRead) | bit(Permission::kPostureRead),
       true},
      {"operator", "Runs the fleet: enrols devices and manages rollouts.",
       bit(Permission::kDevicesRead) | bit(Permission::kDevicesManage) |
           bit(Permission::kRolloutsManage) | bit(Permission::kReleasesRead) |
           bit(Permission::kPostureRead),
       true},
      {"auditor",
       "Checks what happened: reads everything, including the audit log; changes nothing.",
       kReadAll, true},
      {"viewer",
       "Follows the fleet's state: sees releases, devices and fleet posture; changes nothing.",
       bit(Permission::kReleasesRead) | bit(Permission::kDevicesRead) |
           bit(Permission::kPostureRead),
       false},
  };
  return kRoles;
}

const RoleInfo* find_role(std::string_view name) {
  for (const RoleInfo& r : builtin_roles()) {
    if (r.name == name) return &r;
  }
  return nullptr;
}

std::vector<std::string_view> permission_names(std::uint32_t permissions) {
  std::vector<std::string_view> out;
  for (const auto& [p, name] : kPermissionNames) {
    if ((permissions & bit(p)) != 0) out.push_back(name);
  }
  return out;
}

std::uint32_t permissions_of(const std::vector<std::string>& roles) {
  std::uint32_t out = 0;
  for (const auto& r : roles) {
    if (const RoleInfo* info = find_role(r)) out |= info->permissions;
  }
  return out;
}

bool any_privileged(const std::vector<std::string>& roles) {
  for (const auto& r : roles) {
    const RoleInfo* info = find_role(r);
    if (info == nullptr || info->privileged) return true;  // unknown: treat as privileged
  }
  return false;
}

std::vector<std::string> beyond_profile(std::string_view job,
                                        const std::vector<std::string>& granted) {
  const RoleInfo* profile = find_role(job);
  const std::uint32_t allowed = profile != nullptr ? profile->permissions : 0;
  std::vector<std::string> out;
  for (const auto& r : granted) {
    const RoleInfo* info = find_role(r);
    if (info == nullptr || (info->permissions & ~allowed) != 0) out.push_back(r);
  }
  return out;
}

std::optional<std::string> deviation_warning(std::string_view job,
                                             const std::vector<std::string>& granted) {
  const auto extra = beyond_profile(job, granted);
  if (extra.empty()) return std::nullopt;
  std::string list;
  for (const auto& r : extra) list += (list.empty() ? "" : ", ") + r;
  return "WARNING: " + list + " gives more than the recommended profile for the job '" +
         std::string(job) +
         "'. Grant only what the job needs; this grant is recorded in the "
         "audit log.";
}

std::string join_roles(const std::vector<std::string>& roles) {
  std::vector<std::string> sorted = roles;
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
  std::string out;
  for (const auto& r : sorted) {
    if (!out.empty()) out += ',';
    out += r;
  }
  return out;
}

std::vector<std::string> split_roles(std::string_view text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t comma = text.find(',', start);
    const std::size_t end = comma == std::string_view::npos ? text.size() : comma;
    if (end > start) out.emplace_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

}  // namespace dss::server
