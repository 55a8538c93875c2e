// The server as a witness of the release transparency log (ADR 0031, "split view"): each
// device reports in its check-in the checkpoint it verified and kept. A device only catches a
// fork it sees itself; the server sees every device's checkpoint, so it catches a log that
// shows different devices different histories (a targeted release, a mirror or CDN serving
// one group of devices another log).
//
// A device's checkpoint is compared with the log of the repository this server serves
// (`repo_dir`): same size, same root; smaller, a valid consistency proof to the served
// checkpoint; larger, "ahead" (the device saw a newer log than this server serves; compared
// with the other devices of its size only). Devices at the same size must all have the same
// root; the caller checks that against its store.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "crypto/allowed_schemes.h"

namespace dss::server {

enum class WitnessStatus {
  kNone,        // the device reported no checkpoint
  kUnchecked,   // this server serves no repository with a transparency log
  kConsistent,  // the device's checkpoint is a prefix of (or equal to) the served log
  kAhead,       // larger than the served checkpoint: not checkable against it yet
  kInvalid,     // not a checkpoint signed by the log's key
  kForked,      // contradicts the served log: evidence of a split view
};

std::string_view witness_status_name(WitnessStatus s);

struct WitnessVerdict {
  WitnessStatus status = WitnessStatus::kNone;
  std::uint64_t size = 0;  // the device's checkpoint's tree size (when it opened)
  std::string root_hex;    // and root hash
  std::string detail;      // one line for operators: why
};

// Reads repo_dir/transparency/{log/log.vkey, checkpoint, consistency/<n>.json}; never throws.
// An empty `note` is kNone. Checkpoints are opened only with a log key of a scheme `allowed`
// lists (crypto.allowed_signature_algorithms); otherwise the verdict is kUnchecked.
WitnessVerdict witness_checkpoint(const std::filesystem::path& repo_dir, std::string_view note,
                                  const crypto::AllowedSchemes& allowed);

}  // namespace dss::server
