// Fakes for the settings engine: an in-memory store, an audit sink that can be made to fail,
// and a simulated machine for the security-domain checks (healthy unless a test changes it).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "settings/audit_sink.h"
#include "settings/domain.h"
#include "settings/engine.h"

namespace dss::testing {

class MemorySettingsStore final : public settings::SettingsStore {
 public:
  Result<settings::SettingsState> load() override {
    if (text.empty()) return settings::SettingsState{};
    return settings::parse_settings(text);
  }
  Status save(const settings::SettingsState& state) override {
    if (fail_saves) return make_error(ErrorCode::kIo, "simulated disk failure");
    text = settings::serialize_settings(state);
    ++saves;
    return ok();
  }
  std::string text;  // the stored file, exactly as a file store would hold it
  bool fail_saves = false;
  int saves = 0;
};

class FakeAuditSink final : public settings::AuditSink {
 public:
  Status record(const settings::SettingsAuditEvent& event) override {
    if (fail) return make_error(ErrorCode::kIo, "simulated audit log failure");
    events.push_back(event);
    return ok();
  }
  [[nodiscard]] std::size_t count(std::string_view action) const {
    std::size_t n = 0;
    for (const auto& e : events) n += e.action == action ? 1U : 0U;
    return n;
  }
  std::vector<settings::SettingsAuditEvent> events;
  bool fail = false;
};

class FakeSystemProbe final : public settings::SystemProbe {
 public:
  FakeSystemProbe() {
    paths["/state"] = settings::PathState{true, true, 0700, 1000};
    paths["/keys"] = settings::PathState{true, true, 0700, 1000};
    paths["/keys/root.key"] = settings::PathState{true, false, 0600, 1000};
  }
  Result<bool> tls_supports(std::string_view min_version) const override {
    return min_version == "1.3" ? tls13 : tls12;
  }
  Result<settings::ClockState> clock() const override { return clock_state; }
  std::uint32_t effective_uid() const override { return uid; }
  Result<settings::PathState> path_state(const std::string& path) const override {
    const auto it = paths.find(path);
    return it == paths.end() ? settings::PathState{} : it->second;
  }
  Result<std::vector<std::string>> list_files(const std::string& dir) const override {
    std::vector<std::string> out;
    for (const auto& [p, st] : paths) {
      if (!st.is_directory && p.starts_with(dir + "/")) out.push_back(p);
    }
    return out;
  }
  Result<settings::OsInfo> os() const override { return os_info; }
  Result<std::uint64_t> free_bytes(const std::string&) const override { return free; }

  bool tls13 = true, tls12 = true;
  settings::ClockState clock_state{true, 20'000};  // synchronised, 20 ms
  std::uint32_t uid = 1000;
  std::map<std::string, settings::PathState> paths;
  settings::OsInfo os_info{"Linux", "6.1.0-13-amd64", "debian", "12"};
  std::uint64_t free = 50ULL * 1024 * 1024 * 1024;
};

}  // namespace dss::testing
