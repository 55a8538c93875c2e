#include "cli/agent_commands.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <ctime>
#include <iostream>
#include <nlohmann/json.hpp>

#include "agent/agent.h"
#include "platform/files.h"
#include "platform/system_clock.h"
#include "settings/system.h"

namespace dss::cli {

namespace fs = std::filesystem;
using nlohmann::json;

struct AgentCommands::State {
  const std::string* state_dir = nullptr;
  CLI::App* agent = nullptr;
  CLI::App* run = nullptr;
  CLI::App* once = nullptr;
  CLI::App* status = nullptr;
  CLI::App* rollback = nullptr;
  agent::AgentOptions options;
  std::string install_root;
  std::string trusted_root;
  std::string to;
  bool json_output = false;
};

namespace {

int fail(const Error& e) {
  std::cerr << "dss agent: " << e.to_string() << "\n";
  return 1;
}

// Flags given now win; the rest come from the saved configuration.
Status merge_config(agent::AgentOptions& o, const std::string& install_root, bool save) {
  const fs::path file = agent::agent_dir(o.state_dir) / "config.json";
  json saved = json::object();
  if (auto text = platform::read_text_file(file, 64ull * 1024)) {
    saved = json::parse(*text, nullptr, false);
    if (!saved.is_object()) {
      return make_error(ErrorCode::kMalformed,
                        file.string() + " is damaged; remove it and pass the flags again");
    }
  }
  auto pick = [&](std::string& field, const char* key) {
    if (field.empty() && saved.contains(key) && saved[key].is_string())
      field = saved[key].get<std::string>();
    if (!field.empty()) saved[key] = field;
  };
  std::string root = install_root;
  pick(o.repo_url, "repo");
  pick(root, "install_root");
  pick(o.app, "app");
  pick(o.channel, "channel");
  pick(o.ca_file, "ca_file");
  pick(o.server_url, "server");
  pick(o.device_name, "device_name");
  pick(o.policy_target, "policy_target");
  o.install_root = root;
  if (o.channel.empty()) o.channel = "stable";
  if (root.empty()) {
    return make_error(ErrorCode::kInvalidArgument, "--install-root is required on the first run");
  }
  if (save) {
    DSS_TRY_STATUS(platform::ensure_private_dir(agent::agent_dir(o.state_dir)));
    DSS_TRY_STATUS(platform::write_file_atomic(file, saved.dump(2) + "\n"));
  }
  return ok();
}

std::string when(UnixSeconds t) { return t == 0 ? "never" : format_utc_timestamp(t); }

void print_cycle(const agent::CycleResult& r) {
  std::cout << r.result << (r.version.empty() ? "" : " " + r.version) << ": " << r.detail;
  if (r.code != ErrorCode::kOk) std::cout << " [" << error_code_name(r.code) << "]";
  std::cout << std::endl;
}

agent::Agent::Progress terminal_progress() {
  if (::isatty(STDERR_FILENO) == 0) return {};
  return [last = -1](std::uint64_t done, std::uint64_t total) mutable {
    const int pct = total == 0 ? 100 : static_cast<int>(done * 100 / total);
    if (pct == last) return;
    last = pct;
    std::cerr << "\rdownloading: " << pct << "% (" << (done >> 20) << " of " << (total >> 20)
              << " MiB)" << (done == total ? "\n" : "") << std::flush;
  };
}

}  // namespace

AgentCommands::AgentCommands(CLI::App& agent, const std::string& state_dir)
    : s_(std::make_unique<State>()) {
  State& s = *s_;
  s.state_dir = &state_dir;
  s.agent = &agent;
  agent.require_subcommand(1);
  agent.fallthrough();
  agent.add_option("--repo", s.options.repo_url,
                   "Repository base URL (https://…/, with metadata/ and targets/ below it)");
  agent.add_option("--root", s.trusted_root,
                   "The provider's root.json to trust on the first run (obtained out of band)");
  agent.add_option("--install-root", s.install_root, "Folder holding versions/ and current");
  agent.add_option("--app", s.options.app, "Product name: releases are <app>/<channel>/… targets");
  agent.add_option("--channel", s.options.channel, "Release channel (default: stable)");
  agent.add_option("--ca-file", s.options.ca_file, "Extra CA certificate (PEM) for HTTPS");
  agent.add_option("--server", s.options.server_url, "dss server origin for check-ins (optional)");
  agent.add_option("--enrol-token", s.options.enrol_token,
                   "One-time enrolment token from a dss server operator (first run only)");
  agent.add_option("--device-name", s.options.device_name, "Name shown in the fleet view");
  agent.add_option("--policy-target", s.options.policy_target,
                   "TUF target of the signed settings policy bundle (default policy/bundle.json)");
  s.run = agent.add_subcommand("run",
                               "Keep the product up to date: a cycle every "
                               "update.check_interval_minutes (±10%), until stopped");
  s.once = agent.add_subcommand("once", "Run one update cycle now and print what it did");
  s.status = agent.add_subcommand("status", "What is installed, what failed, the last result");
  s.status->add_flag("--json", s.json_output, "Machine-readable output");
  s.rollback = agent.add_subcommand("rollback",
                                    "Switch back to a kept version the provider "
                                    "still publishes (older ones need its allowance)");
  s.rollback->add_option("--to", s.to, "The version to switch back to")->required();
  for (CLI::App* sub : {s.run, s.once, s.status, s.rollback}) sub->fallthrough();
  s.options.policy_target.clear();  // empty: take the saved value or the default below
}

AgentCommands::~AgentCommands() = default;

bool AgentCommands::parsed() const { return s_->agent->parsed(); }

int AgentCommands::run() {
  State& s = *s_;
  s.options.state_dir = *s.state_dir;
  s.options.trusted_root = s.trusted_root;
  const bool working = s.run->parsed() || s.once->parsed();
  if (auto m = merge_config(s.options, s.install_root, working); !m) return fail(m.error());
  if (s.options.policy_target.empty()) s.options.policy_target = "policy/bundle.json";

  if (s.status->parsed()) {
    auto st = agent::read_status(s.options.state_dir, s.options.install_root);
    if (!st) return fail(st.error());
    if (s.json_output) {
      json j = json::parse(agent::agent_state_json(st->state));
      j["current"] = st->current;
      j["versions_on_disk"] = st->on_disk;
      j["check_interval_minutes"] = st->check_interval_minutes;
      j["enrolled"] = st->enrolled;
      std::cout << j.dump(2) << "\n";
      return 0;
    }
    const auto& a = st->state;
    std::cout << "installed:         " << (st->current.empty() ? "nothing" : st->current) << "\n"
              << "previous (kept):   " << (a.previous.empty() ? "none" : a.previous) << "\n"
              << "highest committed: "
              << (a.highest_committed.empty() ? "none" : a.highest_committed) << "\n"
              << "channel:           " << (a.channel.empty() ? s.options.channel : a.channel)
              << "\n"
              << "last check:        " << when(a.last_check) << " (every "
              << st->check_interval_minutes << " min ±10%)\n"
              << "last result:       " << a.last.result
              << (a.last.version.empty() ? "" : " " + a.last.version) << " at " << when(a.last.at)
              << "\n";
    if (!a.last.detail.empty()) std::cout << "                   " << a.last.detail << "\n";
    std::cout << "failed versions:   ";
    if (a.failed.empty()) std::cout << "none";
    for (const auto& f : a.failed) std::cout << f << " ";
    // Crash-loop protection (ADR 0038): installs cut short after the switch, per version.
    for (const auto& [version, i] : a.interrupted) {
      std::cout << "\ninterrupted:       " << version << ", " << i.count
                << (i.count == 1 ? " time" : " times") << " after the switch";
      if (i.count >= agent::kMaxInterruptedAttempts && i.retry_after > 0) {
        std::cout << "; held back until " << when(i.retry_after);
      }
    }
    std::cout << "\npolicy bundle:     "
              << (a.policy_version == 0 ? std::string("none") : std::to_string(a.policy_version))
              << "\n"
              << "reporting:         "
              << (st->enrolled ? "enrolled with a dss server" : "no server") << "\n";
    return 0;
  }

  platform::SystemClock clock;
  settings::RealSystemProbe probe;
  auto opened = agent::Agent::open(s.options, probe, clock);
  if (!opened) return fail(opened.error());
  agent::Agent& a = **opened;
  if (s.rollback->parsed()) {
    if (auto r = a.rollback(s.to); !r) return fail(r.error());
    std::cout << "rolled back to " << s.to << "\n";
    return 0;
  }
  if (s.once->parsed()) {
    const agent::CycleResult r = a.run_once(terminal_progress());
    print_cycle(r);
    return r.result == "failed" || r.result == "refused" ? 1 : 0;
  }
  // run: signals are taken synchronously with sigtimedwait, which is also the wait between
  // cycles, so a stop request ends the wait at once and nothing spins.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGHUP);
  ::sigprocmask(SIG_BLOCK, &stop_signals, nullptr);
  std::atomic<bool> stop{false};
  auto wait = [&](std::chrono::milliseconds d) {
    std::cout << "next check in " << d.count() / 1000 << " s" << std::endl;
    struct timespec ts {
      static_cast<time_t>(d.count() / 1000), static_cast<long>((d.count() % 1000) * 1'000'000)
    };
    for (;;) {
      const int sig = ::sigtimedwait(&stop_signals, nullptr, &ts);
      if (sig == SIGTERM || sig == SIGINT) {
        stop = true;
        return;
      }
      if (sig == SIGHUP) return;  // check now
      if (sig < 0 && errno == EINTR) continue;
      return;  // the timeout
    }
  };
  a.run(stop, wait, print_cycle);
  return 0;
}

}  // namespace dss::cli
