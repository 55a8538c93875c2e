// `dss repo`: the provider's TUF repository (TUF 1.0.x, consistent snapshots).
//
// Layout of a repository directory R:
//   R/repository.json          settings: expiry periods, key scheme, key directories
//   R/metadata/                what clients fetch: N.root.json (every version), root.json,
//                              timestamp.json, N.snapshot.json, N.targets.json, N.<role>.json
//   R/targets/                 target files by hash-prefixed name: <dir>/<sha256>.<name>, and
//                              <dir>/<sha512>.<name>
//   R/keys/offline/            root, targets and delegated-role keys (passphrase-encrypted, 0600)
//   R/keys/online/             snapshot and timestamp keys (a different passphrase)
//   R/keys/retired/            keys rotated out, kept for audit
//   R/pending/<role>.json      metadata waiting for more signatures (threshold signing)
//
// Every edit is a transaction (STYLE §13): the current state is loaded, the change is made in
// memory, every affected role is re-signed with a new version, and the complete new state is
// verified exactly as a client would verify it (TrustedSet) before anything is written. New
// versioned files are written first and timestamp.json last: that rename is the commit point.
// A failed edit removes what it wrote; an interrupted one leaves only unreferenced files.
// Edits hold an exclusive lock on R.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/bytes.h"
#include "core/clock.h"
#include "crypto/allowed_schemes.h"
#include "crypto/keys.h"
#include "repo/key_file.h"
#include "tuf/metadata.h"

namespace dss::repo {

struct Settings {
  // How long each role's signature stays valid. Root and targets are signed offline, so they
  // are long; snapshot and timestamp are re-signed by `dss repo refresh` (run it from a timer).
  std::int64_t root_days = 365;
  std::int64_t targets_days = 90;
  std::int64_t snapshot_days = 7;
  std::int64_t timestamp_days = 1;
  crypto::KeyScheme scheme = crypto::KeyScheme::kEd25519;
  std::filesystem::path offline_keys_dir;  // empty: R/keys/offline
  std::filesystem::path online_keys_dir;   // empty: R/keys/online
};

// Passphrases for the two key classes, and the Argon2id cost for new key files.
struct Secrets {
  SecretBytes offline;
  SecretBytes online;
  KdfLimits kdf = KdfLimits::moderate();
};

// What an operation did, in plain sentences for the CLI to print.
struct Report {
  std::vector<std::string> lines;
};

struct InitOptions {
  std::filesystem::path dir;
  Settings settings;
  int root_keys = 1;
  std::int64_t root_threshold = 1;
  int targets_keys = 1;
  std::int64_t targets_threshold = 1;
};
Result<Report> init(const InitOptions& options, const Secrets& secrets, UnixSeconds now);

struct AddTargetOptions {
  std::filesystem::path dir;
  std::filesystem::path file;  // on disk
  std::string target_path;     // name in the repository, e.g. "app/1.2/app.tar.gz"
  std::string role = "targets";
  std::string custom_json;  // optional JSON object stored as the target's "custom"
};
Result<Report> add_target(const AddTargetOptions& options, const Secrets& secrets, UnixSeconds now);
Result<Report> remove_target(const std::filesystem::path& dir, const std::string& role,
                             const std::string& target_path, const Secrets& secrets,
                             UnixSeconds now);

struct DelegateOptions {
  std::filesystem::path dir;
  std::string delegator = "targets";
  std::string name;
  std::vector<std::string> paths;  // exactly one of paths and hash_prefixes
  std::vector<std::string> hash_prefixes;
  bool terminating = false;
  int keys = 1;
  std::int64_t threshold = 1;
};
Result<Report> delegate(const DelegateOptions& options, const Secrets& secrets, UnixSeconds now);

// Re-signs `roles` with new versions and renewed expiry; snapshot and timestamp always.
Result<Report> refresh(const std::filesystem::path& dir, const std::vector<std::string>& roles,
                       const Secrets& secrets, UnixSeconds now);

struct RotateOptions {
  std::filesystem::path dir;
  std::string role;                        // root, targets, snapshot, timestamp or delegated
  std::vector<std::string> remove_keyids;  // prefixes of at least 8 hex digits are accepted
  int add_keys = 1;
  std::optional<std::int64_t> threshold;
};
Result<Report> rotate_key(const RotateOptions& options, const Secrets& secrets, UnixSeconds now);

struct RoleStatus {
  std::string role;
  std::int64_t version = 0;
  UnixSeconds expires = 0;
  std::vector<std::string> keyids;
  std::int64_t threshold = 0;
};
struct StatusReport {
  std::vector<RoleStatus> roles;
  std::vector<std::string> warnings;  // "ERROR: ...", "CRITICAL: ...", "WARNING: ..."
  std::vector<std::string> pending;   // roles waiting for signatures
};
Result<StatusReport> status(const std::filesystem::path& dir, UnixSeconds now);

// Checks the repository offline as a client would, plus every target file. Returns the
// problems found (empty when the repository is sound).
Result<std::vector<std::string>> verify(const std::filesystem::path& dir, UnixSeconds now);

// A target as a client of the repository would find it now.
struct PublishedTarget {
  std::string path;
  tuf::TargetFile file;
  std::string role;  // the targets role that lists it ("targets" or a delegated role)
};

// Every target a client would trust at `now`, by path: metadata/ is verified exactly as a
// client verifies it (TrustedSet: the root chain from 1.root.json, timestamp, snapshot, then
// targets and every delegated role reachable from it), and each path is resolved by the
// client's own delegation search (tuf::search_delegations, at most `max_roles` roles), so a
// delegated role counts only for the paths delegated to it and the first role in search order
// wins. Fails closed: any file that is missing, malformed, unsigned, expired or inconsistent is
// an error naming it, and nothing is listed.
// Only keys of a scheme `allowed` lists count toward a threshold.
Result<std::vector<PublishedTarget>> read_published_targets(const std::filesystem::path& dir,
                                                            UnixSeconds now,
                                                            const crypto::AllowedSchemes& allowed,
                                                            int max_roles = 32);

// Threshold signing. `sign` returns a detached signature (JSON text) over the pending
// metadata of `role` made with the key in `key_file`; `merge` adds detached signatures and,
// once every threshold is met, publishes the pending metadata.
Result<std::string> sign(const std::filesystem::path& dir, const std::string& role,
                         const std::filesystem::path& key_file, const SecretBytes& passphrase);
Result<Report> merge(const std::filesystem::path& dir,
                     const std::vector<std::filesystem::path>& signature_files,
                     const Secrets& secrets, UnixSeconds now);

}  // namespace dss::repo
