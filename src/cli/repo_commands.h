// `dss repo ...`: CLI wiring for the provider tooling in src/repo.
#pragma once

#include <CLI/CLI.hpp>

#include <memory>

namespace dss::cli {

class RepoCommands {
 public:
  // Registers the subcommands of `dss repo` on `repo`.
  explicit RepoCommands(CLI::App& repo);
  ~RepoCommands();
  // Runs the parsed subcommand; returns the process exit status.
  int run();

  struct State;

 private:
  std::unique_ptr<State> s_;
};

}  // namespace dss::cli
