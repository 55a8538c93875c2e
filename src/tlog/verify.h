// Offline verification of a log directory: recomputes every leaf hash, the hash chain and the
// Merkle tree from the segments alone, and checks them against every stored checkpoint (and an
// optional checkpoint saved elsewhere). Reads only; never repairs.
//
// Each kind of damage has its own error code, and the message names the first place found:
//   kBadCheckpointSignature  a checkpoint is not signed by the log's key
//   kLogEntryCorrupted       an entry's bytes changed (the first such entry is named)
//   kLogReordered            an entry sits at another position than the one it was given
//   kLogTruncated            entries are missing at the end, or a record is cut short
//   kLogForked               the history no longer matches a signed checkpoint (rewritten or
//                            forked), or two checkpoints of one size disagree
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "core/result.h"
#include "tlog/note.h"

namespace dss::tlog {

struct VerifyReport {
  std::uint64_t entries = 0;
  std::uint64_t bytes = 0;
  std::size_t segments = 0;
  std::size_t checkpoints = 0;
  Hash root{};
  std::optional<Checkpoint> latest;  // the largest checkpoint checked
};

struct SavedCheckpoint {
  std::string note;
  std::string source;  // where it came from, for messages
};

Result<VerifyReport> verify_log(const std::filesystem::path& dir, const NoteVerifier& verifier,
                                const std::optional<SavedCheckpoint>& saved = std::nullopt);

}  // namespace dss::tlog
