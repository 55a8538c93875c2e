#include "core/error.h"

#include <cstdio>
#include <cstdlib>
#include <ostream>

#include "core/result.h"

namespace dss {

std::string_view error_code_name(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::kOk:
      return "ok";
    case ErrorCode::kInvalidArgument:
      return "invalid_argument";
    case ErrorCode::kMalformed:
      return "malformed";
    case ErrorCode::kNotFound:
      return "not_found";
    case ErrorCode::kIo:
      return "io";
    case ErrorCode::kNetwork:
      return "network";
    case ErrorCode::kUnauthenticated:
      return "unauthenticated";
    case ErrorCode::kPermissionDenied:
      return "permission_denied";
    case ErrorCode::kInternal:
      return "internal";
    case ErrorCode::kUnsupported:
      return "unsupported";
    case ErrorCode::kAlreadyExists:
      return "already_exists";
    case ErrorCode::kFailedPrecondition:
      return "failed_precondition";
    case ErrorCode::kUnsigned:
      return "unsigned";
    case ErrorCode::kBadVersion:
      return "bad_version";
    case ErrorCode::kExpired:
      return "expired";
    case ErrorCode::kLengthOrHashMismatch:
      return "length_or_hash_mismatch";
    case ErrorCode::kDownloadTooLarge:
      return "download_too_large";
    case ErrorCode::kWrongType:
      return "wrong_type";
    case ErrorCode::kBadThreshold:
      return "bad_threshold";
    case ErrorCode::kRepositoryError:
      return "repository_error";
    case ErrorCode::kSlowRetrieval:
      return "slow_retrieval";
    case ErrorCode::kTargetNotFound:
      return "target_not_found";
    case ErrorCode::kDecryptFailed:
      return "decrypt_failed";
    case ErrorCode::kLogEntryCorrupted:
      return "log_entry_corrupted";
    case ErrorCode::kLogTruncated:
      return "log_truncated";
    case ErrorCode::kLogReordered:
      return "log_reordered";
    case ErrorCode::kLogForked:
      return "log_forked";
    case ErrorCode::kBadCheckpointSignature:
      return "bad_checkpoint_signature";
    case ErrorCode::kBadProof:
      return "bad_proof";
    case ErrorCode::kAuditUnavailable:
      return "audit_unavailable";
    case ErrorCode::kUnknownSetting:
      return "unknown_setting";
    case ErrorCode::kBelowFloor:
      return "below_floor";
    case ErrorCode::kAcknowledgementRequired:
      return "acknowledgement_required";
    case ErrorCode::kDomainCheckFailed:
      return "domain_check_failed";
    case ErrorCode::kInvalidValue:
      return "invalid_value";
    case ErrorCode::kWeakPassword:
      return "weak_password";
    case ErrorCode::kMfaInvalid:
      return "mfa_invalid";
    case ErrorCode::kMfaReplay:
      return "mfa_replay";
    case ErrorCode::kMfaRequired:
      return "mfa_required";
    case ErrorCode::kLockedOut:
      return "locked_out";
    case ErrorCode::kArchiveRefused:
      return "archive_refused";
    case ErrorCode::kArchiveTooLarge:
      return "archive_too_large";
    case ErrorCode::kHookFailed:
      return "hook_failed";
    case ErrorCode::kHealthCheckFailed:
      return "health_check_failed";
    case ErrorCode::kVersionFailedBefore:
      return "version_failed_before";
    case ErrorCode::kDowngradeRefused:
      return "downgrade_refused";
    case ErrorCode::kCommandTimedOut:
      return "command_timed_out";
    case ErrorCode::kAgentBusy:
      return "agent_busy";
    case ErrorCode::kSbomInvalid:
      return "sbom_invalid";
    case ErrorCode::kAdvisoryInvalid:
      return "advisory_invalid";
    case ErrorCode::kNotInTransparencyLog:
      return "not_in_transparency_log";
    case ErrorCode::kTransparencyLogMissing:
      return "transparency_log_missing";
    case ErrorCode::kTransparencyRolledBack:
      return "transparency_rolled_back";
  }
  return "unknown";
}

std::ostream& operator<<(std::ostream& os, ErrorCode code) { return os << error_code_name(code); }

ErrorCategory error_category(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::kOk:
      return ErrorCategory::kNone;
    case ErrorCode::kInvalidArgument:
    case ErrorCode::kNotFound:
    case ErrorCode::kAlreadyExists:
    case ErrorCode::kFailedPrecondition:
    case ErrorCode::kUnknownSetting:
    case ErrorCode::kAcknowledgementRequired:
    case ErrorCode::kDomainCheckFailed:
    case ErrorCode::kInvalidValue:
    case ErrorCode::kWeakPassword:
      return ErrorCategory::kBadRequest;
    case ErrorCode::kUnauthenticated:
    case ErrorCode::kPermissionDenied:
    case ErrorCode::kBelowFloor:
    case ErrorCode::kDecryptFailed:
    case ErrorCode::kMfaInvalid:
    case ErrorCode::kMfaReplay:
    case ErrorCode::kMfaRequired:
    case ErrorCode::kLockedOut:
      return ErrorCategory::kDenied;
    // Malformed bytes are untrusted input too: a parser refuses them (STYLE.md rule 3).
    case ErrorCode::kMalformed:
    case ErrorCode::kUnsupported:
    case ErrorCode::kUnsigned:
    case ErrorCode::kBadVersion:
    case ErrorCode::kExpired:
    case ErrorCode::kLengthOrHashMismatch:
    case ErrorCode::kDownloadTooLarge:
    case ErrorCode::kWrongType:
    case ErrorCode::kBadThreshold:
    case ErrorCode::kRepositoryError:
    case ErrorCode::kTargetNotFound:
    case ErrorCode::kLogEntryCorrupted:
    case ErrorCode::kLogTruncated:
    case ErrorCode::kLogReordered:
    case ErrorCode::kLogForked:
    case ErrorCode::kBadCheckpointSignature:
    case ErrorCode::kBadProof:
    case ErrorCode::kArchiveRefused:
    case ErrorCode::kArchiveTooLarge:
    case ErrorCode::kVersionFailedBefore:
    case ErrorCode::kDowngradeRefused:
    case ErrorCode::kSbomInvalid:
    case ErrorCode::kAdvisoryInvalid:
    case ErrorCode::kNotInTransparencyLog:
    case ErrorCode::kTransparencyLogMissing:
    case ErrorCode::kTransparencyRolledBack:
      return ErrorCategory::kRefused;
    case ErrorCode::kIo:
    case ErrorCode::kNetwork:
    case ErrorCode::kSlowRetrieval:
    case ErrorCode::kAuditUnavailable:
    case ErrorCode::kAgentBusy:
      return ErrorCategory::kUnavailable;
    case ErrorCode::kHookFailed:
    case ErrorCode::kHealthCheckFailed:
    case ErrorCode::kCommandTimedOut:
      return ErrorCategory::kFailed;
    case ErrorCode::kInternal:
      return ErrorCategory::kInternal;
  }
  return ErrorCategory::kInternal;  // a value outside the enum: a broken invariant upstream
}

std::string Error::to_string() const {
  std::string out(error_code_name(code));
  out += ": ";
  out += message;
  return out;
}

void check_failed(const char* expr, const char* file, int line) noexcept {
  // Best effort: the process aborts next whether or not the message could be written.
  static_cast<void>(
      std::fprintf(stderr, "dss: internal invariant broken: %s at %s:%d\n", expr, file, line));
  std::abort();
}

}  // namespace dss
