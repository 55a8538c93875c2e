// The settings engine's edges: the settings file in the state directory, the tamper-evident
// audit log (src/audit) as the engine's AuditSink, and the real SystemProbe. Library
// dss_settings_system; the pure rules live in dss_settings. Policy bundles arrive as TUF targets
// through the agent (src/agent/agent.cc), which hands the verified bytes to the engine.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "audit/audit_log.h"
#include "settings/audit_sink.h"
#include "settings/domain.h"
#include "settings/engine.h"

namespace dss::settings {

inline constexpr std::string_view kSettingsFileName = "settings.json";
inline constexpr std::string_view kAuditDirName = "audit";

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

// Records settings events in the tamper-evident audit log `<state_dir>/audit`, opened on the
// first event (a command that changes nothing does not touch it). With `fail_closed` (the
// setting audit.fail_closed, on by default) an event that cannot be recorded fails, and the
// engine then makes no change.
class AuditLogSink final : public AuditSink {
 public:
  AuditLogSink(std::filesystem::path state_dir, const Clock& clock, bool fail_closed);
  ~AuditLogSink() override;
  AuditLogSink(const AuditLogSink&) = delete;
  AuditLogSink& operator=(const AuditLogSink&) = delete;
  Status record(const SettingsAuditEvent& event) override;
  [[nodiscard]] std::filesystem::path path() const { return dir_ / kAuditDirName; }

 private:
  std::filesystem::path dir_;
  const Clock& clock_;
  bool fail_closed_;
  std::unique_ptr<audit::AuditLog> log_;
};

// The audit event for a settings event (one schema: src/audit/event.h).
audit::Event to_audit_event(const SettingsAuditEvent& event);
// The effective value of audit.fail_closed (true when it cannot be read: fail closed).
bool audit_fail_closed(const SettingsState& state);

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

}  // namespace dss::settings
