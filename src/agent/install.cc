#include "agent/install.h"

#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <nlohmann/json.hpp>
#include <system_error>

#include "agent/archive.h"
#include "agent/fault.h"
#include "agent/process.h"

namespace dss::agent {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr std::string_view kVersionsDir = "versions";
constexpr std::string_view kCurrent = "current";
constexpr std::string_view kCurrentTmp = ".current.tmp";
constexpr std::string_view kMetaDir = ".dss";
constexpr std::string_view kJournal = "journal.json";
constexpr std::string_view kStagingPrefix = ".staging-";
constexpr std::string_view kTrashPrefix = ".trash-";

Status ensure_dir(const fs::path& dir, mode_t mode) {
  if (::mkdir(dir.c_str(), mode) == 0) return platform::fsync_dir(dir.parent_path());
  if (errno != EEXIST) return platform::io_error("cannot create", dir);
  struct stat st {};
  if (::lstat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return make_error(ErrorCode::kIo, dir.string() + " exists and is not a folder");
  }
  return ok();
}

void sleep_for(std::chrono::milliseconds ms) {
  struct timespec ts {
    static_cast<time_t>(ms.count() / 1000), static_cast<long>((ms.count() % 1000) * 1'000'000)
  };
  while (::nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

}  // namespace

Installer::Installer(fs::path root, fs::path agent_dir, const Clock& clock, platform::DirLock lock)
    : root_(std::move(root)),
      agent_dir_(std::move(agent_dir)),
      clock_(&clock),
      lock_(std::move(lock)) {}

Result<Installer> Installer::open(const fs::path& install_root, const fs::path& agent_dir,
                                  const Clock& clock) {
  DSS_TRY_STATUS(platform::ensure_private_dir(agent_dir));
  auto lock = platform::DirLock::acquire(agent_dir);
  if (!lock) {
    if (lock.error().code == ErrorCode::kFailedPrecondition) {
      return make_error(ErrorCode::kAgentBusy,
                        "another dss agent is working on " + install_root.string() +
                            "; wait for it to finish (or stop the service) and try again");
    }
    return tl::unexpected(lock.error());
  }
  std::error_code ec;
  fs::create_directories(install_root, ec);
  if (ec)
    return make_error(ErrorCode::kIo,
                      "cannot create " + install_root.string() + ": " + ec.message());
  DSS_TRY_STATUS(ensure_dir(install_root / kVersionsDir, 0755));
  DSS_TRY_STATUS(ensure_dir(install_root / kMetaDir, 0700));
  DSS_TRY(AgentState state, load_agent_state(agent_dir));
  const fs::path absolute_root = fs::absolute(install_root, ec);
  if (ec)
    return make_error(ErrorCode::kIo,
                      "cannot resolve " + install_root.string() + ": " + ec.message());
  Installer installer(absolute_root, agent_dir, clock, std::move(*lock));
  installer.state_ = std::move(state);
  DSS_TRY(std::optional<std::string> recovered, installer.recover());
  (void)recovered;  // recorded in the state's last result
  return installer;
}

fs::path Installer::version_dir(const std::string& version) const {
  return root_ / kVersionsDir / version;
}

Result<std::string> Installer::current_version() const {
  std::error_code ec;
  const fs::path link = root_ / kCurrent;
  if (!fs::is_symlink(fs::symlink_status(link, ec))) return std::string();
  const fs::path target = fs::read_symlink(link, ec);
  if (ec) return make_error(ErrorCode::kIo, "cannot read " + link.string() + ": " + ec.message());
  const std::string t = target.string();
  const std::string prefix = std::string(kVersionsDir) + "/";
  if (!t.starts_with(prefix)) {
    return make_error(ErrorCode::kIo, link.string() +
                                          " points somewhere the agent never "
                                          "points it (" +
                                          t + "); fix or remove it");
  }
  return t.substr(prefix.size());
}

std::vector<std::string> Installer::versions_on_disk() const {
  std::vector<std::string> out;
  std::error_code ec;
  for (fs::directory_iterator it(root_ / kVersionsDir, ec), end; !ec && it != end;
       it.increment(ec)) {
    const fs::directory_entry& e = *it;
    const std::string name = e.path().filename().string();
    if (!name.starts_with(".") && e.is_directory(ec)) out.push_back(name);
  }
  std::sort(out.begin(), out.end(), [](const std::string& a, const std::string& b) {
    auto va = Version::parse(a);
    auto vb = Version::parse(b);
    if (va && vb) return *va < *vb;
    return a < b;
  });
  return out;
}

Status Installer::save_state() { return save_agent_state(agent_dir_, state_); }

void Installer::set_last(std::string result, std::string version, std::string detail,
                         ErrorCode code) {
  state_.last =
      LastResult{std::move(result), std::move(version), std::move(detail),
                 code == ErrorCode::kOk ? "" : std::string(error_code_name(code)), clock_->now()};
}

Status Installer::write_journal(const Journal& j) {
  const json doc = {
      {"format", "dss-agent-journal-v1"}, {"op", j.op}, {"from", j.from}, {"to", j.to}};
  return platform::write_file_atomic(root_ / kMetaDir / kJournal, doc.dump() + "\n");
}

Result<std::optional<Installer::Journal>> Installer::read_journal() const {
  auto text = platform::read_text_file(root_ / kMetaDir / kJournal, 64ull * 1024);
  if (!text) {
    if (text.error().code == ErrorCode::kNotFound) return std::optional<Journal>();
    return tl::unexpected(text.error());
  }
  const json j = json::parse(*text, nullptr, false);
  // Written atomically, so a damaged journal is not a crash: someone changed it.
  if (j.is_discarded() || !j.is_object() || !j.contains("format") ||
      j["format"] != "dss-agent-journal-v1" || !j.contains("op") || !j["op"].is_string() ||
      !j.contains("from") || !j["from"].is_string() || !j.contains("to") || !j["to"].is_string()) {
    return make_error(ErrorCode::kMalformed,
                      (root_ / kMetaDir / kJournal).string() +
                          " is damaged; the agent cannot tell which version is complete. Check "
                          "`current`, then remove the journal");
  }
  Journal out{j["op"].get<std::string>(), j["from"].get<std::string>(), j["to"].get<std::string>()};
  for (const std::string* v : {&out.from, &out.to}) {
    if (!v->empty() && !Version::parse(*v)) {
      return make_error(ErrorCode::kMalformed, "the install journal names an invalid version");
    }
  }
  return std::optional<Journal>(std::move(out));
}

Status Installer::clear_journal() {
  return platform::remove_file_durable(root_ / kMetaDir / kJournal);
}

Status Installer::switch_current(const std::string& version) {
  const fs::path tmp = root_ / kCurrentTmp;
  const fs::path link = root_ / kCurrent;
  if (::unlink(tmp.c_str()) != 0 && errno != ENOENT)
    return platform::io_error("cannot remove", tmp);
  if (version.empty()) {
    if (::unlink(link.c_str()) != 0 && errno != ENOENT)
      return platform::io_error("cannot remove", link);
    return platform::fsync_dir(root_);
  }
  const std::string target = std::string(kVersionsDir) + "/" + version;
  if (::symlink(target.c_str(), tmp.c_str()) != 0) return platform::io_error("cannot create", tmp);
  DSS_FAULT_POINT("symlink_tmp");
  if (::rename(tmp.c_str(), link.c_str()) != 0) return platform::io_error("cannot replace", link);
  return platform::fsync_dir(root_);
}

Status Installer::trash_version(const std::string& version) {
  const fs::path dir = version_dir(version);
  std::error_code ec;
  if (!fs::exists(fs::symlink_status(dir, ec))) return ok();
  // Renamed first (atomic), so a half-deleted folder never carries a version's name.
  const fs::path trash = root_ / kVersionsDir /
                         (std::string(kTrashPrefix) + version + "-" + std::to_string(::getpid()));
  fs::remove_all(trash, ec);
  if (::rename(dir.c_str(), trash.c_str()) != 0) return platform::io_error("cannot remove", dir);
  DSS_TRY_STATUS(platform::fsync_dir(root_ / kVersionsDir));
  DSS_FAULT_POINT("trashed");
  fs::remove_all(trash, ec);
  if (ec)
    return make_error(ErrorCode::kIo, "cannot remove " + trash.string() + ": " + ec.message());
  return ok();
}

Result<std::optional<std::string>> Installer::recover() {
  std::error_code ec;
  if (::unlink((root_ / kCurrentTmp).c_str()) != 0 && errno != ENOENT) {
    return platform::io_error("cannot remove", root_ / kCurrentTmp);
  }
  for (fs::directory_iterator it(root_ / kVersionsDir, ec), end; !ec && it != end;
       it.increment(ec)) {
    const fs::directory_entry& e = *it;
    const std::string name = e.path().filename().string();
    if (name.starts_with(kStagingPrefix) || name.starts_with(kTrashPrefix)) {
      fs::remove_all(e.path(), ec);
      if (ec)
        return make_error(ErrorCode::kIo,
                          "cannot remove " + e.path().string() + ": " + ec.message());
    }
  }
  for (fs::directory_iterator it(root_ / kMetaDir, ec), end; !ec && it != end; it.increment(ec)) {
    const fs::directory_entry& e = *it;
    std::error_code ignored;  // a temp file left behind is removed at the next recovery
    if (e.path().filename().string().starts_with(".")) fs::remove(e.path(), ignored);
  }
  DSS_TRY(std::optional<Journal> journal, read_journal());
  std::optional<std::string> did;
  if (journal) {
    if (journal->op == "switch") {
      // The health of `to` was never confirmed: undo. Only a switch that reached `current`
      // counts against `to` (ADR 0038): before it, `to` never ran, so it cannot be what
      // interrupted the install. switch_current() syncs the rename before anything runs `to`.
      DSS_TRY(std::string on, current_version());
      std::string detail = "the install of " + journal->to + " was interrupted";
      if (on == journal->to) {
        InterruptedInstall& i = state_.interrupted[journal->to];
        ++i.count;
        detail += " after the switch (" + std::to_string(i.count) + " time" +
                  (i.count == 1 ? "" : "s") + ")";
        if (const UnixSeconds hold = interrupted_backoff(i.count); hold > 0) {
          i.retry_after = clock_->now() + hold;
          detail += "; it is retried in " + std::to_string(hold / 60) + " minutes";
        }
      } else {
        detail += " before the switch, so it never ran; it is retried";
      }
      detail += "; " + (journal->from.empty() ? std::string("nothing was installed before")
                                              : journal->from + " was restored");
      // The count is saved before `current` moves back: a crash in between counts the
      // interruption twice, never not at all.
      set_last("failed", journal->to, detail, ErrorCode::kIo);
      DSS_TRY_STATUS(save_state());
      DSS_TRY_STATUS(switch_current(journal->from));
      DSS_FAULT_POINT("recover_switched_back");
      DSS_TRY_STATUS(clear_journal());
      if (journal->to != journal->from) DSS_TRY_STATUS(trash_version(journal->to));
      did = detail;
    } else if (journal->op == "commit") {
      DSS_TRY_STATUS(commit(journal->from, journal->to));
      did = "completed the interrupted install of " + journal->to;
    } else if (journal->op == "rollback") {
      DSS_TRY_STATUS(
          finish_rollback(journal->from, journal->to,
                          state_.last.result == "none" ? "rolled_back" : state_.last.result,
                          "completed an interrupted rollback from " + journal->from,
                          ErrorCode::kHealthCheckFailed));
      did = "completed the interrupted rollback from " + journal->from + " to " + journal->to;
    } else {
      return make_error(ErrorCode::kMalformed, "the install journal names an unknown step");
    }
  }
  // With no switch in progress, `current` is what the state says is installed.
  DSS_TRY(std::string current, current_version());
  if (current != state_.installed) {
    std::error_code ignored;
    if (!state_.installed.empty() && fs::is_directory(version_dir(state_.installed), ignored)) {
      DSS_TRY_STATUS(switch_current(state_.installed));
      did = "current pointed to " + (current.empty() ? std::string("nothing") : current) +
            "; restored it to the committed " + state_.installed;
    } else if (!current.empty() && fs::is_directory(version_dir(current), ignored)) {
      state_.installed = current;  // state lost: trust the complete version on disk
      DSS_TRY_STATUS(save_state());
    }
  }
  return did;
}

Status Installer::commit(const std::string& from, const std::string& to) {
  if (state_.installed != to) {
    state_.previous = from;
    state_.installed = to;
    auto to_v = Version::parse(to);
    auto hi = Version::parse(state_.highest_committed);
    if (to_v && (!hi || *to_v > *hi)) state_.highest_committed = to;
    state_.interrupted.erase(to);
    if (state_.last.result != "installed" || state_.last.version != to) {
      set_last("installed", to,
               "installed " + to + (from.empty() ? "" : " (replacing " + from + ")"),
               ErrorCode::kOk);
    }
    DSS_TRY_STATUS(save_state());
  }
  DSS_FAULT_POINT("state_saved");
  DSS_TRY_STATUS(clear_journal());
  DSS_FAULT_POINT("journal_cleared");
  // Keep the installed and the previous version; remove the rest.
  for (const std::string& v : versions_on_disk()) {
    if (v != state_.installed && v != state_.previous) DSS_TRY_STATUS(trash_version(v));
  }
  return ok();
}

Status Installer::finish_rollback(const std::string& from, const std::string& to,
                                  const std::string& result, const std::string& detail,
                                  ErrorCode code) {
  DSS_TRY_STATUS(switch_current(to));
  DSS_FAULT_POINT("rollback_switched");
  if (!from.empty()) state_.failed.insert(from);
  if (state_.installed != to) {  // an operator's rollback; after a failed health check it is
    state_.installed = to;       // already the installed version
    state_.previous.clear();
  }
  if (state_.previous == from) state_.previous.clear();
  set_last(result, from, detail, code);
  DSS_TRY_STATUS(save_state());
  DSS_FAULT_POINT("rollback_recorded");
  DSS_TRY_STATUS(clear_journal());
  if (!from.empty() && from != to) DSS_TRY_STATUS(trash_version(from));
  return ok();
}

namespace {

Command make_command(const std::vector<std::string>& argv, std::int64_t timeout_ms,
                     const fs::path& dir, const Release& release, const fs::path& root,
                     const std::string& previous) {
  Command c;
  c.argv = argv;
  if (!c.argv[0].starts_with("/")) c.argv[0] = (dir / c.argv[0]).string();
  c.cwd = dir;
  c.timeout = std::chrono::milliseconds(timeout_ms);
  c.env = {"PATH=/usr/local/bin:/usr/bin:/bin",     "LANG=C.UTF-8",
           "DSS_VERSION=" + release.version.text(), "DSS_PREVIOUS_VERSION=" + previous,
           "DSS_INSTALL_ROOT=" + root.string(),     "DSS_VERSION_DIR=" + dir.string()};
  return c;
}

std::string describe(const CommandOutcome& o) {
  if (o.timed_out) return "ran past its time limit and was stopped";
  if (o.exited) return "exited with status " + std::to_string(o.exit_code);
  return "was killed by signal " + std::to_string(o.signal);
}

}  // namespace

Result<bool> Installer::run_hook(const std::optional<CommandSpec>& hook, const Release& release,
                                 const std::string& previous, std::string& detail) {
  if (!hook) return true;
  const Command c = make_command(hook->argv, hook->timeout_s * 1000,
                                 version_dir(release.version.text()), release, root_, previous);
  DSS_TRY(CommandOutcome o, run_command(c));
  if (o.exited && o.exit_code == 0) return true;
  detail = describe(o);
  return false;
}

Result<bool> Installer::run_health(const std::optional<HealthSpec>& health, const Release& release,
                                   const std::string& previous, std::string& detail) {
  if (!health) return true;  // the provider declared no check: the switch stands
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + std::chrono::seconds(health->within_s);
  std::string last = "did not run";
  for (int attempt = 1; attempt <= health->tries; ++attempt) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) break;
    const Command c = make_command(health->argv, left.count(), version_dir(release.version.text()),
                                   release, root_, previous);
    DSS_TRY(CommandOutcome o, run_command(c));
    if (o.exited && o.exit_code == 0) return true;
    last = describe(o);
    if (attempt < health->tries) {
      const auto rest =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      sleep_for(std::min(rest, std::chrono::milliseconds(1000)));
    }
  }
  detail = "the health check " + last + " (" + std::to_string(health->tries) + " tries within " +
           std::to_string(health->within_s) + " s)";
  return false;
}

Result<InstallOutcome> Installer::install(const fs::path& archive, const Release& release) {
  const std::string v = release.version.text();
  const std::string prev = state_.installed;
  if (state_.failed.contains(v)) {
    return make_error(ErrorCode::kVersionFailedBefore,
                      v + " failed before and is not installed again; a newer release will be");
  }
  if (held_after_interruptions(state_, v, clock_->now())) {
    const UnixSeconds wait = state_.interrupted.at(v).retry_after - clock_->now();
    return make_error(ErrorCode::kVersionFailedBefore,
                      "installs of " + v + " were interrupted " +
                          std::to_string(state_.interrupted.at(v).count) +
                          " times after the switch (the machine may crash while it runs); it is "
                          "retried in " +
                          std::to_string(wait / 60 + 1) + " minutes");
  }
  const fs::path versions = root_ / kVersionsDir;
  const fs::path staging = versions / (std::string(kStagingPrefix) + v);
  std::error_code ec;
  fs::remove_all(staging, ec);
  DSS_TRY(ExtractStats stats, extract_tar_zst(archive, staging, {release.size, release.entries}));
  (void)stats;
  DSS_FAULT_POINT("staged");
  if (v != prev) DSS_TRY_STATUS(trash_version(v));  // a leftover copy is replaced, never trusted
  if (::rename(staging.c_str(), version_dir(v).c_str()) != 0) {
    auto e = platform::io_error("cannot rename", staging);
    fs::remove_all(staging, ec);
    return e;
  }
  DSS_TRY_STATUS(platform::fsync_dir(versions));
  DSS_FAULT_POINT("renamed");

  std::string detail;
  DSS_TRY(bool pre_ok, run_hook(release.pre_install, release, prev, detail));
  if (!pre_ok) {
    state_.failed.insert(v);
    const std::string msg = "the pre-install hook of " + v + " " + detail + "; " + v +
                            " was not installed and will not be retried";
    set_last("failed", v, msg, ErrorCode::kHookFailed);
    DSS_TRY_STATUS(save_state());
    DSS_TRY_STATUS(trash_version(v));
    return make_error(ErrorCode::kHookFailed, msg);
  }
  DSS_FAULT_POINT("pre_install_done");
  DSS_TRY_STATUS(write_journal({"switch", prev, v}));
  DSS_FAULT_POINT("journal_written");
  DSS_TRY_STATUS(switch_current(v));
  DSS_FAULT_POINT("switched");

  ErrorCode failure = ErrorCode::kOk;
  DSS_TRY(bool post_ok, run_hook(release.post_install, release, prev, detail));
  if (!post_ok) {
    failure = ErrorCode::kHookFailed;
    detail = "the post-install hook " + detail;
  } else {
    DSS_TRY(bool healthy, run_health(release.health, release, prev, detail));
    if (!healthy) failure = ErrorCode::kHealthCheckFailed;
  }
  DSS_FAULT_POINT("checked");
  if (failure == ErrorCode::kOk) {
    DSS_TRY_STATUS(write_journal({"commit", prev, v}));
    DSS_FAULT_POINT("commit_journal");
    DSS_TRY_STATUS(commit(prev, v));
    return InstallOutcome{true, v, state_.last.detail, ErrorCode::kOk};
  }
  const std::string msg = v + ": " + detail + "; switched back to " +
                          (prev.empty() ? std::string("nothing") : prev) +
                          ". It will not be retried; a newer release will be installed.";
  DSS_TRY_STATUS(write_journal({"rollback", v, prev}));
  DSS_FAULT_POINT("rollback_journal");
  DSS_TRY_STATUS(finish_rollback(v, prev, "rolled_back", msg, failure));
  return InstallOutcome{false, v, msg, failure};
}

Status Installer::rollback_to(const std::string& version, const std::string& reason) {
  std::error_code ec;
  if (version == state_.installed) {
    return make_error(ErrorCode::kInvalidArgument, version + " is already installed");
  }
  if (!fs::is_directory(version_dir(version), ec)) {
    return make_error(ErrorCode::kNotFound,
                      version + " is not on this machine (kept: " +
                          (state_.previous.empty() ? std::string("none") : state_.previous) + ")");
  }
  const std::string from = state_.installed;
  DSS_TRY_STATUS(write_journal({"rollback", from, version}));
  return finish_rollback(from, version, "rolled_back",
                         "rolled back from " + from + " to " + version + ": " + reason,
                         ErrorCode::kOk);
}

}  // namespace dss::agent
