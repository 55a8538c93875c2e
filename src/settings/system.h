// The settings engine's edges: the settings file in the state directory, a JSON-lines audit
// file (until the tamper-evident log lands), the real SystemProbe, and fetching policy
// bundles through TUF. Library dss_settings_system; the pure rules live in dss_settings.
#pragma once

#include <filesystem>
#include <string>

#include "client/updater.h"
#include "settings/audit_sink.h"
#include "settings/domain.h"
#include "settings/engine.h"

namespace dss::settings {

inline constexpr std::string_view kSettingsFileName = "settings.json";
inline constexpr std::string_view kAuditFileName = "settings-audit.jsonl";

// `<state_dir>/settings.json`, read with a size bound and written atomically (0600); the
// directory is created 0700 on first save.
class FileSettingsStore final : public SettingsStore {
 public:
  explicit FileSettingsStore(std::filesystem::path state_dir) : dir_(std::move(state_dir)) {}
  Result<SettingsState> load() override;
  Status save(const SettingsState& state) override;
  [[nodiscard]] std::filesystem::path path() const { return dir_ / kSettingsFileName; }

 private:
  std::filesystem::path dir_;
};

// TEMPORARY: to be replaced by the tamper-evident audit log (src/audit). Appends one JSON line
// per event to `<state_dir>/settings-audit.jsonl` (0600) and fsyncs before returning.
class JsonLinesAuditSink final : public AuditSink {
 public:
  explicit JsonLinesAuditSink(std::filesystem::path state_dir) : dir_(std::move(state_dir)) {}
  Status record(const SettingsAuditEvent& event) override;
  [[nodiscard]] std::filesystem::path path() const { return dir_ / kAuditFileName; }

 private:
  std::filesystem::path dir_;
};

// Reads the real system: OpenSSL for TLS, ntp_adjtime for the clock, geteuid, stat, uname,
// /etc/os-release and statvfs.
class RealSystemProbe final : public SystemProbe {
 public:
  Result<bool> tls_supports(std::string_view min_version) const override;
  Result<ClockState> clock() const override;
  std::uint32_t effective_uid() const override;
  Result<PathState> path_state(const std::string& path) const override;
  Result<std::vector<std::string>> list_files(const std::string& dir) const override;
  Result<OsInfo> os() const override;
  Result<std::uint64_t> free_bytes(const std::string& path) const override;
};

// Fetches the policy bundle `target_path` through TUF (refresh, delegation search, verified
// download into `download_dir`) and applies it. Any TUF failure (bad signature, rollback,
// hash mismatch, ...) is recorded as "policy.refused" and returned; the applied policy stays.
Result<PolicyOutcome> update_policy_from_tuf(client::Updater& updater,
                                             std::string_view target_path,
                                             const std::filesystem::path& download_dir,
                                             SettingsEngine& engine);

}  // namespace dss::settings
