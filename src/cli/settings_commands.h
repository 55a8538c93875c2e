// `dss settings ...` and `dss doctor`: CLI wiring for the settings engine in src/settings, and
// the seat-belt chime every `dss` invocation prints on stderr.
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <string>

namespace dss::cli {

// $DSS_STATE_DIR, else $XDG_STATE_HOME/dss, else $HOME/.local/state/dss, else /var/lib/dss.
std::string default_state_dir();

// Prints the loosened-settings chime for `state_dir` on stderr (nothing when the posture is
// secure) and records the periodic audit reminder when it is due. Never fails the command.
void print_settings_chime(const std::string& state_dir);

class SettingsCommands {
 public:
  // Registers `settings` subcommands on `settings` and the `doctor` command on `doctor`.
  // `state_dir` is the top-level --state option's storage.
  SettingsCommands(CLI::App& settings, CLI::App& doctor, const std::string& state_dir);
  SettingsCommands(const SettingsCommands&) = delete;  // CLI11 options point into *s_
  SettingsCommands& operator=(const SettingsCommands&) = delete;
  ~SettingsCommands();
  [[nodiscard]] bool parsed() const;
  // Runs the parsed subcommand; returns the process exit status.
  int run();

  struct State;

 private:
  std::unique_ptr<State> s_;
};

}  // namespace dss::cli
