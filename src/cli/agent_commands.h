// `dss agent run | once | status [--json] | rollback --to VERSION`: the update agent
// (src/agent). The repository, install root, app and channel are remembered in
// `<state>/agent/config.json` after the first run, so later commands need no flags.
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <string>

namespace dss::cli {

class AgentCommands {
 public:
  AgentCommands(CLI::App& agent, const std::string& state_dir);
  AgentCommands(const AgentCommands&) = delete;  // CLI11 options point into *s_
  AgentCommands& operator=(const AgentCommands&) = delete;
  ~AgentCommands();
  [[nodiscard]] bool parsed() const;
  int run();

  struct State;

 private:
  std::unique_ptr<State> s_;
};

}  // namespace dss::cli
