// The release transparency log of a repository (ADR 0031): every published release, SBOM,
// advisory and policy bundle is appended to an append-only Merkle log (tlog::Log) whose signed
// checkpoint and proofs are published as static files, so any web server or CDN can serve
// them and an agent can check, before installing, that the release it was offered is the one
// everybody else is offered.
//
// Layout under a repository directory R:
//   R/transparency/log/                 the tlog::Log (private; never served)
//   R/transparency/checkpoint           the latest signed checkpoint note (C2SP tlog-checkpoint)
//   R/transparency/entries/<sha256>.json   per target hash: leaf index, leaf text and inclusion
//                                       proof against the published checkpoint's size
//   R/transparency/consistency/<n>.json consistency proof from every earlier size n to the
//                                       published checkpoint's size
//   R/targets/transparency/<sha256>.log.json   the TUF target "transparency/log.json":
//                                       {"format","origin","verifier_key"}, signed by the
//                                       targets role like any release, so agents get the log's
//                                       key through TUF
//
// The origin line is "dss-release-transparency/<repo id>", the repo id being the first 16 hex
// digits of SHA-256(metadata/1.root.json): fixed for the life of the repository (version 1 of
// root never changes, rotations add versions), and different between repositories.
//
// The checkpoint key is a dedicated Ed25519 online key: R/keys/online (or the configured online
// key directory) holds it as "transparency-log-<keyid>.key", role "transparency-log", sealed
// with the online passphrase like the snapshot and timestamp keys.
//
// Every append regenerates all published files (temp file + rename each; the checkpoint is
// renamed last), so a reader that sees the new checkpoint finds proofs for its size; a reader
// racing an append may see proofs of a newer size than the checkpoint it read and re-reads
// it. The cost is O(n log n) per append, fine for release logs of thousands of entries.
// Appends hold the log directory's lock: a concurrent append fails with the lock's error.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "repo/repository.h"

namespace dss::repo {

struct TransparencyEntry {
  std::string kind;         // "release", "sbom", "advisory" or "policy"
  std::string name;         // release name (or policy/advisory id)
  std::string version;      // release version; empty for advisories
  std::string target_path;  // the TUF target path
  std::string sha256;       // hex SHA-256 of the target file
};

// The TUF target that carries the log's origin and verifier key.
inline constexpr std::string_view kTransparencyLogTarget = "transparency/log.json";

// The canonical JSON leaf for `entry` appended at `now` (keys sorted, no spaces):
//   {"kind":..,"name":..,"published":<unix seconds>,"sha256":..,"target_path":..,"version":..}
// kInvalidArgument when a field is missing or malformed (nothing is written then).
Result<std::string> transparency_leaf(const TransparencyEntry& entry, UnixSeconds now);

// Appends the entry (canonical JSON leaf) and republishes the checkpoint and proofs.
// Creates the log and its key on first use (and then publishes the TUF target
// "transparency/log.json", which needs the targets key: secrets.offline). Returns the leaf
// index. kInvalidArgument for a malformed entry (nothing changes); kDecryptFailed for a wrong
// online passphrase.
Result<std::uint64_t> transparency_append(const std::filesystem::path& repo_dir,
                                          const TransparencyEntry& entry, const Secrets& secrets,
                                          UnixSeconds now);

struct TransparencyStatus {
  bool exists = false;  // false: nothing was ever appended
  std::string origin;
  std::string verifier_key;  // C2SP note verifier key text
  std::uint64_t size = 0;    // entries in the published checkpoint
  std::string root_hex;
  std::vector<std::string> last_entries;  // leaf texts of the newest entries (up to 10)
};
// Reads the published files only (no passphrase needed).
Result<TransparencyStatus> transparency_status(const std::filesystem::path& repo_dir);

// Checks the log as an outsider would, plus its private store: the log's entries, hashes and
// every stored checkpoint (tlog::verify_log), the published checkpoint against the TUF-published
// key, every published inclusion and consistency proof, and that every entry has its file.
// Returns the problems found (empty when sound, or when nothing was ever appended); an error
// only when the log cannot be read.
Result<std::vector<std::string>> transparency_verify(const std::filesystem::path& repo_dir);

}  // namespace dss::repo
