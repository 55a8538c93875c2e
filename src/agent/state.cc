#include "agent/state.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "platform/files.h"

namespace dss::agent {

using nlohmann::json;

namespace {

constexpr std::uint64_t kMaxStateBytes = 1024ull * 1024;

json to_json(const AgentState& s) {
  json j;
  j["format"] = "dss-agent-state-v1";
  j["installed"] = s.installed;
  j["previous"] = s.previous;
  j["highest_committed"] = s.highest_committed;
  j["failed"] = s.failed;
  json interrupted = json::object();
  for (const auto& [version, i] : s.interrupted) {
    interrupted[version] = {{"count", i.count}, {"retry_after", i.retry_after}};
  }
  j["interrupted"] = std::move(interrupted);
  j["last"] = {{"result", s.last.result},
               {"version", s.last.version},
               {"detail", s.last.detail},
               {"error_code", s.last.error_code},
               {"at", s.last.at}};
  j["last_check"] = s.last_check;
  j["consecutive_failures"] = s.consecutive_failures;
  j["policy_sha256"] = s.policy_sha256;
  j["policy_version"] = s.policy_version;
  j["channel"] = s.channel;
  j["advisories"] = s.advisories;
  return j;
}

}  // namespace

UnixSeconds interrupted_backoff(int count) {
  if (count < kMaxInterruptedAttempts) return 0;
  const int doublings = std::min(count - kMaxInterruptedAttempts, 16);  // 2^16 h is past the cap
  return std::min(kMaxInterruptedBackoffS, kInterruptedBackoffS << doublings);
}

bool held_after_interruptions(const AgentState& state, const std::string& version,
                              UnixSeconds now) {
  const auto it = state.interrupted.find(version);
  return it != state.interrupted.end() && it->second.count >= kMaxInterruptedAttempts &&
         now < it->second.retry_after;
}

std::string agent_state_json(const AgentState& state, bool pretty) {
  return to_json(state).dump(pretty ? 2 : -1);
}

Result<AgentState> load_agent_state(const std::filesystem::path& dir) {
  auto text = platform::read_text_file(dir / kStateFileName, kMaxStateBytes);
  if (!text) {
    if (text.error().code == ErrorCode::kNotFound) return AgentState{};
    return tl::unexpected(text.error());
  }
  const json j = json::parse(*text, nullptr, false);
  auto bad = [&] {
    return make_error(ErrorCode::kMalformed,
                      (dir / kStateFileName).string() +
                          " is damaged; move it aside and run `dss agent once` to rebuild it");
  };
  if (j.is_discarded() || !j.is_object()) return bad();
  try {
    if (j.at("format").get<std::string>() != "dss-agent-state-v1") return bad();
    AgentState s;
    s.installed = j.at("installed").get<std::string>();
    s.previous = j.at("previous").get<std::string>();
    s.highest_committed = j.at("highest_committed").get<std::string>();
    s.failed = j.at("failed").get<std::set<std::string>>();
    for (const auto& [version, i] : j.at("interrupted").items()) {
      // Before ADR 0038 the value was the bare count.
      const InterruptedInstall read =
          i.is_number_integer() ? InterruptedInstall{i.get<int>(), 0}
                                : InterruptedInstall{i.at("count").get<int>(),
                                                     i.at("retry_after").get<UnixSeconds>()};
      // A negative count would read as "never interrupted" and lift the crash-loop guard.
      if (read.count < 0 || read.retry_after < 0) return bad();
      s.interrupted[version] = read;
    }
    const json& l = j.at("last");
    s.last.result = l.at("result").get<std::string>();
    s.last.version = l.at("version").get<std::string>();
    s.last.detail = l.at("detail").get<std::string>();
    s.last.error_code = l.at("error_code").get<std::string>();
    s.last.at = l.at("at").get<UnixSeconds>();
    s.last_check = j.at("last_check").get<UnixSeconds>();
    s.consecutive_failures = j.at("consecutive_failures").get<int>();
    if (s.consecutive_failures < 0) return bad();
    s.policy_sha256 = j.at("policy_sha256").get<std::string>();
    s.policy_version = j.at("policy_version").get<std::int64_t>();
    s.channel = j.at("channel").get<std::string>();
    if (j.contains("advisories")) s.advisories = j.at("advisories").get<std::vector<std::string>>();
    return s;
  } catch (const json::exception&) {
    return bad();
  }
}

Status save_agent_state(const std::filesystem::path& dir, const AgentState& state) {
  DSS_TRY_STATUS(platform::ensure_private_dir(dir));
  return platform::write_file_atomic(dir / kStateFileName, agent_state_json(state, true) + "\n",
                                     platform::FileMode::kPrivate);
}

}  // namespace dss::agent
