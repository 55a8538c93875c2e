// Checks against the repository's release transparency log (ADR 0031), as pure functions over
// received bytes: no network, no files, no clock. The agent fetches and decides with them
// before it installs; `dss server` uses them to compare the checkpoints its devices kept
// (split-view detection across the fleet).
//
// Trust path: the log's origin and verifier key come from the TUF target
// "transparency/log.json" (signed by the targets role like the releases), so a repository
// server cannot substitute its own log key. The checkpoint must carry that key's signature;
// it must extend the last checkpoint this device kept (same size: same root; larger: a valid
// RFC 9162 consistency proof; smaller: refused); and the release's entry must prove inclusion
// in it. A server that shows this device a history different from everyone else's (a split
// view) must then fork the log, which the device detects as soon as it sees both branches,
// and which anybody comparing checkpoints with the device can detect.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"
#include "crypto/allowed_schemes.h"
#include "tlog/note.h"

namespace dss::transparency {

struct LogKey {
  std::string origin;
  tlog::NoteVerifier verifier;
};

// Parses the "transparency/log.json" target: {"format":"dss-transparency-log-v1","origin",
// "verifier_key"}; the key's name must be the origin. kMalformed otherwise.
Result<LogKey> parse_log_target(std::string_view text);

// Opens a published checkpoint note. kBadCheckpointSignature when it is not signed by the
// log's key, does not parse, or names another origin; kUnsupported when the log's key is of a
// scheme `allowed` does not list (crypto.allowed_signature_algorithms: log keys are Ed25519).
Result<tlog::Checkpoint> open_log_checkpoint(std::string_view note, const LogKey& key,
                                             const crypto::AllowedSchemes& allowed);

// Checks that `next` extends `saved` (the checkpoint this device kept). `consistency_json` is
// the published proof file consistency/<saved.size>.json, needed only when next is larger
// (nullopt when it could not be fetched). kTransparencyRolledBack when next is smaller;
// kLogForked when the sizes match and the roots differ, or the proof is missing or
// does not verify.
Status check_extends(const tlog::Checkpoint& saved, const tlog::Checkpoint& next,
                     const std::optional<std::string>& consistency_json);

// Checks the published entry file entries/<sha256>.json for a target: its leaf is a `kind`
// leaf ("release" or "policy") naming `sha256`, and its inclusion proof leads to `checkpoint`'s
// root. kBadProof when the proof fails or the entry is for another tree size
// (`stale_size` is then set to that size, so the caller can re-read the checkpoint);
// kNotInTransparencyLog when the leaf is not a `kind` leaf of this hash; kMalformed when the
// file does not parse.
Status check_inclusion(const tlog::Checkpoint& checkpoint, std::string_view entry_json,
                       std::string_view kind, std::string_view sha256,
                       std::uint64_t* stale_size = nullptr);

}  // namespace dss::transparency
