// The single `dss` binary. Invoked as `dss-tuf-client` (a link), it speaks the TUF
// conformance client protocol; otherwise it dispatches subcommands. Every invocation first
// prints the seat-belt chime on stderr while any security setting is loosened.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstring>
#include <exception>
#include <iostream>
#include <string>
#include <string_view>

#include "cli/agent_commands.h"
#include "cli/audit_commands.h"
#include "cli/repo_commands.h"
#include "cli/server_commands.h"
#include "cli/settings_commands.h"
#include "cli/tuf_client.h"

namespace {

std::string_view program_name(const char* argv0) {
  std::string_view s(argv0 == nullptr ? "" : argv0);
  const auto slash = s.rfind('/');
  return slash == std::string_view::npos ? s : s.substr(slash + 1);
}

}  // namespace

// Commands report errors as values; an exception reaching main is a bug, reported in one line
// (like `dss repo`'s own handler) rather than by std::terminate.
int main(int argc, char** argv) try {
  if (program_name(argv[0]) == "dss-tuf-client" ||
      (argc > 1 && std::strcmp(argv[1], "tuf-client") == 0)) {
    dss::cli::print_settings_chime(dss::cli::default_state_dir());
    if (program_name(argv[0]) == "dss-tuf-client") return dss::cli::tuf_client_main(argc, argv);
    return dss::cli::tuf_client_main(argc - 1, argv + 1);
  }

  CLI::App app{
      "DSS (Default-Secure Software): publish, serve and verify signed software, "
      "security policy and configuration with The Update Framework (TUF).",
      "dss"};
  app.require_subcommand(1);
  std::string state_dir = dss::cli::default_state_dir();
  app.add_option("--state", state_dir,
                 "Folder holding DSS's settings and audit file (default: $DSS_STATE_DIR, else "
                 "$XDG_STATE_HOME/dss, else ~/.local/state/dss)");
  app.add_subcommand("tuf-client",
                     "TUF client speaking the conformance protocol (same as dss-tuf-client); "
                     "run `dss tuf-client --help`");
  auto* version = app.add_subcommand("version", "Print the DSS version");
  auto* repo = app.add_subcommand(
      "repo",
      "Provider tooling: keys, signing, the TUF repository, releases with SBOMs, advisories");
  dss::cli::RepoCommands repo_commands(*repo, state_dir);
  auto* audit = app.add_subcommand(
      "audit", "The tamper-evident audit log: verify it offline, checkpoint, query, export");
  dss::cli::AuditCommands audit_commands(*audit);
  auto* settings = app.add_subcommand(
      "settings",
      "Security settings: list, explain, change (loosening needs acknowledgement), "
      "templates, and the loosening guide");
  auto* doctor = app.add_subcommand(
      "doctor",
      "Check that this machine meets DSS's security requirements, with the fix for "
      "each one that fails");
  dss::cli::SettingsCommands settings_commands(*settings, *doctor, state_dir);
  auto* server = app.add_subcommand(
      "server",
      "The control plane: accounts with mandatory MFA, roles, devices, fleet posture, "
      "the audit log and the repository, over HTTPS");
  dss::cli::ServerCommands server_commands(*server, state_dir);
  auto* agent = app.add_subcommand(
      "agent",
      "The update agent: installs the newest signed release by itself, checks its "
      "health, rolls back on failure; run, once, status, rollback");
  dss::cli::AgentCommands agent_commands(*agent, state_dir);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    dss::cli::print_settings_chime(state_dir);
    return app.exit(e) == 0 ? 0 : 1;
  }
  dss::cli::print_settings_chime(state_dir);
  if (version->parsed()) {
    std::cout << "dss " << DSS_VERSION << "\n";
    return 0;
  }
  if (audit->parsed()) return audit_commands.run();
  if (settings_commands.parsed()) return settings_commands.run();
  if (server_commands.parsed()) return server_commands.run();
  if (agent_commands.parsed()) return agent_commands.run();
  return repo_commands.run();
} catch (const std::exception& e) {
  static_cast<void>(std::fprintf(stderr, "dss: internal error: %s\n", e.what()));
  return 1;
}
