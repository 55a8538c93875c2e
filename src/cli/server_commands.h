// `dss server ...`: the control plane (src/server). init, run, status, backup, restore, and
// the break-glass account and token commands that work on the state directory directly
// (with the server stopped; a running server is managed through its API).
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <string>

namespace dss::cli {

class ServerCommands {
 public:
  ServerCommands(CLI::App& server, const std::string& state_dir);
  ServerCommands(const ServerCommands&) = delete;  // CLI11 options point into *s_
  ServerCommands& operator=(const ServerCommands&) = delete;
  ~ServerCommands();
  [[nodiscard]] bool parsed() const;
  int run();

  struct State;

 private:
  std::unique_ptr<State> s_;
};

}  // namespace dss::cli
