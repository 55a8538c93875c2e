// `dss repo ...`: CLI wiring for the provider tooling in src/repo.
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <string>

namespace dss::cli {

class RepoCommands {
 public:
  // Registers the subcommands of `dss repo` on `repo`. `state_dir` holds the settings
  // (release.require_sbom).
  RepoCommands(CLI::App& repo, const std::string& state_dir);
  RepoCommands(const RepoCommands&) = delete;  // CLI11 options point into *s_
  RepoCommands& operator=(const RepoCommands&) = delete;
  ~RepoCommands();
  // Runs the parsed subcommand; returns the process exit status.
  int run();

  struct State;

 private:
  std::unique_ptr<State> s_;
};

}  // namespace dss::cli
