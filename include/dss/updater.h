// libdss: a product updates itself, safely, without the `dss agent` daemon.
//
//   dss::UpdaterOptions o;
//   o.repository_url = "https://updates.example.com/";   // metadata/ and targets/ below it
//   o.trusted_root = "/usr/share/myapp/root.json";        // shipped with the product
//   o.install_root = "/opt/myapp";                        // versions/<v>/ and current
//   o.state_dir = "/var/lib/myapp/dss";                   // private (0700), holds TUF state
//   o.app = "myapp";  o.channel = "stable";
//   dss::Updater updater(o);
//   if (auto v = updater.check(); v.ok && !v.version.empty()) updater.apply();
//
// Everything the agent guarantees holds here too (docs/adr/0015-0017): releases are verified
// with TUF against `trusted_root` (HTTPS only); archives are extracted safely into their own
// folder; `current` switches atomically; the release's signed health check runs after the
// switch and a failure switches back and is never retried; no downgrade below the highest
// version this machine has committed without the provider's signed allowance; a crash at any
// instant leaves the complete old or the complete new version.
//
// The machine must meet DSS's security domain (`dss doctor`): the constructor does not fail,
// but every call then returns ok = false with code "domain_check_failed" and the reason.
//
// Thread-safety: one Updater per install root and process; its methods must not be called
// concurrently. A second process on the same install root gets code "agent_busy".
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace dss {

struct UpdaterOptions {
  std::string repository_url;  // https:// base URL of the TUF repository
  std::string trusted_root;    // path of the root.json to trust on first use
  std::string install_root;    // where versions/ and current live
  std::string state_dir;       // private state: TUF metadata, settings, the agent's record
  std::string app;             // releases are the targets "<app>/<channel>/..."
  std::string channel = "stable";
  std::string ca_file;  // extra HTTPS trust anchor (PEM); empty: the system store
};

// What a call did. `outcome` is one of "none" (nothing to do), "available" (check() found a
// newer release), "installed", "rolled_back", "refused", "failed".
struct UpdateResult {
  bool ok = false;  // false for refused and failed
  std::string outcome;
  std::string version;  // the release concerned, if any
  std::string message;  // plain words: what happened and what to do
  std::string code;     // error code name ("" on success), e.g. "length_or_hash_mismatch"
};

struct UpdateStatus {
  std::string installed;  // "" before the first install
  std::string previous;   // kept for rollback
  std::string highest_committed;
  std::vector<std::string> failed;  // versions never retried
  UpdateResult last;                // the last recorded result
};

class Updater {
 public:
  // Called during downloads with the bytes received so far and the signed total.
  using ProgressCallback = std::function<void(std::uint64_t done, std::uint64_t total)>;

  explicit Updater(UpdaterOptions options);
  ~Updater();
  Updater(const Updater&) = delete;
  Updater& operator=(const Updater&) = delete;

  // Refreshes the signed metadata and says which release apply() would install:
  // outcome "available" with its version, or "none". Installs nothing.
  UpdateResult check();
  // One full cycle: check, download (resumable, bounded, verified), install, health check,
  // commit or roll back.
  UpdateResult apply();
  // What is installed and what happened last (no network).
  UpdateStatus status();
  void set_progress_callback(ProgressCallback callback);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace dss
