// `dss audit ...`: verify, checkpoint, query and export a tamper-evident audit log directory.
#pragma once

#include <CLI/CLI.hpp>
#include <memory>

namespace dss::cli {

class AuditCommands {
 public:
  explicit AuditCommands(CLI::App& audit);
  AuditCommands(const AuditCommands&) = delete;  // CLI11 options point into *s_
  AuditCommands& operator=(const AuditCommands&) = delete;
  ~AuditCommands();
  // Runs the parsed subcommand; returns the process exit status. `dss audit verify` exits with
  // the numeric error code of the damage it found (50 corrupted entry, 51 truncated,
  // 52 reordered, 53 forked or rewritten, 54 bad checkpoint signature), 1 for other errors.
  int run();

  struct State;

 private:
  std::unique_ptr<State> s_;
};

}  // namespace dss::cli
