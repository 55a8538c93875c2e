#include "agent/transparency_state.h"

#include <utility>

namespace dss::agent {

using transparency::check_extends;
using transparency::check_inclusion;
using transparency::open_log_checkpoint;
using transparency::parse_log_target;

TransparencyState::TransparencyState(std::optional<std::string> kept_note,
                                     crypto::AllowedSchemes allowed)
    : kept_note_(std::move(kept_note)), allowed_(allowed) {}

Status TransparencyState::accept_no_log() const {
  if (!seen()) return ok();
  return make_error(ErrorCode::kTransparencyLogMissing,
                    "the repository no longer publishes its transparency log "
                    "(transparency/log.json), which this device saw before; refusing to "
                    "install releases or policies that cannot be checked against it");
}

Status TransparencyState::trust_log(std::string_view log_target) {
  DSS_TRY(transparency::LogKey key, parse_log_target(log_target));
  DSS_TRY_STATUS(
      allowed_.check(key.verifier.public_key(), "the key of the transparency log " + key.origin));
  std::optional<tlog::Checkpoint> kept;
  if (kept_note_) {
    auto c = open_log_checkpoint(*kept_note_, key, allowed_);
    if (!c) {
      return make_error(ErrorCode::kLogForked,
                        "the transparency log's identity changed since this device last saw it "
                        "(the kept checkpoint is not signed by the key the repository now names)");
    }
    kept = std::move(*c);
  }
  key_ = std::move(key);
  kept_ = std::move(kept);
  return ok();
}

Result<std::optional<std::uint64_t>> TransparencyState::consistency_needed(
    std::string_view note) const {
  if (!key_) {
    return make_error(ErrorCode::kFailedPrecondition, "no transparency log key is trusted yet");
  }
  DSS_TRY(tlog::Checkpoint cp, open_log_checkpoint(note, *key_, allowed_));
  if (kept_ && cp.size > kept_->size) return std::optional<std::uint64_t>(kept_->size);
  return std::optional<std::uint64_t>();
}

Status TransparencyState::update_checkpoint(std::string_view note,
                                            const std::optional<std::string>& consistency) {
  if (!key_) {
    return make_error(ErrorCode::kFailedPrecondition, "no transparency log key is trusted yet");
  }
  DSS_TRY(tlog::Checkpoint cp, open_log_checkpoint(note, *key_, allowed_));
  if (kept_) DSS_TRY_STATUS(check_extends(*kept_, cp, consistency));
  kept_ = std::move(cp);
  kept_note_ = std::string(note);
  return ok();
}

Status TransparencyState::require_hash(std::string_view kind, std::string_view sha256) {
  if (!sha256.empty()) return ok();
  return make_error(
      ErrorCode::kNotInTransparencyLog,
      "the " + std::string(kind) + " has no SHA-256 hash, by which the transparency log lists it");
}

Status TransparencyState::check_entry(std::string_view entry, std::string_view kind,
                                      std::string_view sha256, std::uint64_t* newer_size) const {
  if (newer_size != nullptr) *newer_size = 0;
  DSS_TRY_STATUS(require_hash(kind, sha256));
  if (!kept_ || !key_) {
    return make_error(ErrorCode::kFailedPrecondition, "no transparency checkpoint is kept yet");
  }
  std::uint64_t stale = 0;
  auto included = check_inclusion(*kept_, entry, kind, sha256, &stale);
  if (included) return ok();
  if (newer_size != nullptr && stale > kept_->size) *newer_size = stale;
  if (included.error().code == ErrorCode::kMalformed) {
    return make_error(ErrorCode::kBadProof, included.error().message);
  }
  return included;
}

}  // namespace dss::agent
