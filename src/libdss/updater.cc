// libdss (include/dss/updater.h) over the agent (src/agent): the same cycle, with the real
// system probe and clock, and plain result structs at the API boundary.
#include "dss/updater.h"

#include "agent/agent.h"
#include "platform/system_clock.h"
#include "settings/system.h"

namespace dss {

struct Updater::Impl {
  UpdaterOptions options;
  platform::SystemClock clock;
  settings::RealSystemProbe probe;
  std::unique_ptr<agent::Agent> agent;
  ProgressCallback progress;

  // Opens the agent on first use, so a machine that fixes its domain later recovers.
  Result<agent::Agent*> get() {
    if (agent) return agent.get();
    agent::AgentOptions o;
    o.state_dir = options.state_dir;
    o.install_root = options.install_root;
    o.repo_url = options.repository_url;
    o.trusted_root = options.trusted_root;
    o.app = options.app;
    o.channel = options.channel;
    o.ca_file = options.ca_file;
    DSS_TRY(agent, agent::Agent::open(std::move(o), probe, clock));
    return agent.get();
  }
};

namespace {

UpdateResult from_error(const Error& e) {
  return UpdateResult{false, "failed", "", e.message, std::string(error_code_name(e.code))};
}

}  // namespace

Updater::Updater(UpdaterOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
}

Updater::~Updater() = default;

void Updater::set_progress_callback(ProgressCallback callback) {
  impl_->progress = std::move(callback);
}

UpdateResult Updater::check() {
  auto a = impl_->get();
  if (!a) return from_error(a.error());
  auto v = (*a)->check();
  if (!v) return from_error(v.error());
  if (!*v) return UpdateResult{true, "none", "", "up to date", ""};
  return UpdateResult{true, "available", **v, **v + " is available", ""};
}

UpdateResult Updater::apply() {
  auto a = impl_->get();
  if (!a) return from_error(a.error());
  const agent::CycleResult r = (*a)->run_once(impl_->progress);
  const bool ok = r.result != "failed" && r.result != "refused";
  return UpdateResult{ok, r.result, r.version, r.detail,
                      r.code == ErrorCode::kOk ? "" : std::string(error_code_name(r.code))};
}

UpdateStatus Updater::status() {
  UpdateStatus out;
  auto st = agent::read_status(impl_->options.state_dir, impl_->options.install_root);
  if (!st) {
    out.last = from_error(st.error());
    return out;
  }
  out.installed = st->current;
  out.previous = st->state.previous;
  out.highest_committed = st->state.highest_committed;
  out.failed.assign(st->state.failed.begin(), st->state.failed.end());
  const auto& l = st->state.last;
  out.last = UpdateResult{l.result != "failed" && l.result != "refused", l.result, l.version,
                          l.detail, l.error_code};
  return out;
}

}  // namespace dss
