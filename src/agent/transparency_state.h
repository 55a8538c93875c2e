// What this device knows of its repository's release transparency log (ADR 0031), and the
// judgement of every file the repository serves about it. Like tuf::TrustedSet, it accepts or
// rejects bytes and does no I/O and reads no clock; TransparencyClient (transparency_client.h)
// fetches the files and keeps the accepted checkpoint on disk.
//
// Order: trust_log() with the TUF-verified log target, or accept_no_log() when the repository
// publishes none; then update_checkpoint() for each checkpoint read; then check_entry().
// The kept checkpoint only ever moves forward along one history: a checkpoint is accepted only
// when it extends the kept one (same size and root, or a verified consistency proof), so a log
// that shows this device another history than before is refused as forked.
//
// Not thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"
#include "tlog/note.h"
#include "transparency/verify.h"

namespace dss::agent {

class TransparencyState {
 public:
  // `kept_note`: the checkpoint this device verified and kept before (nullopt: it never saw a
  // log). It is judged once the log's key is known (trust_log).
  // `allowed`: the schemes whose checkpoint signatures are accepted
  // (crypto.allowed_signature_algorithms); a log key of another scheme is kUnsupported.
  TransparencyState(std::optional<std::string> kept_note, crypto::AllowedSchemes allowed);

  // Whether this device has seen a log: once it has, a log cannot be taken away.
  [[nodiscard]] bool seen() const { return kept_note_.has_value(); }

  // The repository publishes no log target. Accepted for a repository that never had one (the
  // caller warns); kTransparencyLogMissing once this device saw a log, so removing the log
  // fails closed.
  [[nodiscard]] Status accept_no_log() const;

  // The log target "transparency/log.json", as verified by TUF: the log's origin and key.
  // kMalformed when it does not parse; kLogForked when the kept checkpoint is not signed by this
  // key (the log's identity changed).
  [[nodiscard]] Status trust_log(std::string_view log_target);

  // For a published checkpoint `note`: the old size n of the consistency proof file
  // (consistency/<n>.json) that update_checkpoint needs, or nullopt when it needs none.
  // Errors as update_checkpoint's signature check; kFailedPrecondition before trust_log.
  [[nodiscard]] Result<std::optional<std::uint64_t>> consistency_needed(
      std::string_view note) const;

  // Accepts a published checkpoint: signed by the log's key (kBadCheckpointSignature), and
  // extending the kept one: a smaller one is kTransparencyRolledBack; the same size with
  // another root, or a larger one whose `consistency` proof is missing or fails, is kLogForked.
  // On success it is the kept checkpoint (kept_note(), for the caller to store); on failure
  // nothing changes. kFailedPrecondition before trust_log.
  [[nodiscard]] Status update_checkpoint(std::string_view note,
                                         const std::optional<std::string>& consistency);

  // kNotInTransparencyLog when a `kind` target has no SHA-256 (the log lists targets by it).
  [[nodiscard]] static Status require_hash(std::string_view kind, std::string_view sha256);

  // The entry file entries/<sha256>.json of a `kind` target ("release" or "policy") must prove
  // its inclusion in the kept checkpoint. kNotInTransparencyLog when the hash is empty or the
  // leaf is not this target's; kBadProof when the proof fails, the file does not parse, or it
  // is for another tree size; for a larger size, `newer_size` is set to it, so the caller may
  // read the checkpoint again (a publisher appended in between). kFailedPrecondition before a
  // checkpoint was accepted.
  [[nodiscard]] Status check_entry(std::string_view entry, std::string_view kind,
                                   std::string_view sha256,
                                   std::uint64_t* newer_size = nullptr) const;

  // The kept checkpoint note (nullopt when none).
  [[nodiscard]] const std::optional<std::string>& kept_note() const { return kept_note_; }
  // The log's origin ("" before trust_log) and the kept checkpoint's size (0 when none).
  [[nodiscard]] std::string origin() const { return key_ ? key_->origin : std::string(); }
  [[nodiscard]] std::uint64_t size() const { return kept_ ? kept_->size : 0; }

 private:
  std::optional<std::string> kept_note_;
  crypto::AllowedSchemes allowed_;
  std::optional<transparency::LogKey> key_;
  std::optional<tlog::Checkpoint> kept_;  // kept_note_, opened with key_
};

}  // namespace dss::agent
