// dss::core error model. One Error type crosses every module boundary, carried by Result<T>.
// ErrorCode values are fixed and explicit: they appear in CLI exit details, logs and tests,
// so a value is never reused or renumbered.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>
#include <string_view>

namespace dss {

enum class ErrorCode : std::uint16_t {
  kOk = 0,
  kInvalidArgument = 1,      // a caller-supplied argument is malformed (CLI flag, option)
  kMalformed = 2,            // untrusted bytes do not parse or break the schema
  kNotFound = 3,             // the named thing does not exist
  kIo = 4,                   // the filesystem failed (read, write, fsync, rename)
  kNetwork = 5,              // transport failure (connect, TLS, timeout)
  kUnauthenticated = 6,      // who you are could not be established
  kPermissionDenied = 7,     // who you are is known, and not allowed
  kInternal = 8,             // a library call failed unexpectedly
  kUnsupported = 9,          // well-formed, but a feature we refuse (unknown algorithm, key type)
  kAlreadyExists = 10,       // refusing to overwrite
  kFailedPrecondition = 11,  // state does not allow the operation (e.g. not initialised)

  // TUF / trust engine (20..49)
  kUnsigned = 20,    // signature threshold not met
  kBadVersion = 21,  // version rollback or version mismatch
  kExpired = 22,     // metadata expired at the reference time
  kLengthOrHashMismatch = 23,
  kDownloadTooLarge = 24,  // endless-data defence tripped
  kWrongType = 25,         // _type is not the expected role
  kBadThreshold = 26,      // threshold < 1 or unsatisfiable
  kRepositoryError = 27,   // other repository misbehaviour (e.g. too many rotations)
  kSlowRetrieval = 28,     // below minimum average speed
  kTargetNotFound = 29,    // no delegated role lists the target
  kDecryptFailed = 30,     // wrong passphrase or tampered key file

  // Tamper-evident log (50..69)
  kLogEntryCorrupted = 50,  // an entry's bytes no longer match the hash chain
  kLogTruncated = 51,       // entries are missing at the end (or a record is cut short)
  kLogReordered = 52,       // an entry sits at a position other than the one it was given
  // 53-55 serve every log DSS checks: the audit log and the release transparency log.
  kLogForked = 53,               // the history no longer extends a signed checkpoint (rewritten,
                                 // or two checkpoints of one size disagree: a split view)
  kBadCheckpointSignature = 54,  // a checkpoint is not signed by the log's key
  kBadProof = 55,                // an inclusion or consistency proof does not verify
  kAuditUnavailable = 56,        // an audited action could not be recorded, so it was refused
  // Settings engine (70..89)
  kUnknownSetting = 70,           // no declaration has this key (or no template this name)
  kBelowFloor = 71,               // the value is looser than the floor the provider's policy pins
  kAcknowledgementRequired = 72,  // a loosening without the exact confirmation phrase
  kDomainCheckFailed = 73,        // a hard requirement of the security domain is not met
  kInvalidValue = 74,             // wrong type or outside the declared allowed values

  // Identity (90..99)
  kWeakPassword = 90,  // the password breaks the policy (length, breached list, ...): pick another
  kMfaInvalid = 91,    // a wrong second factor (TOTP or recovery code)
  kMfaReplay = 92,     // a TOTP code already used (each code works once)
  kMfaRequired = 93,   // enrolment or a second factor is still needed
  kLockedOut = 94,     // too many failures: wait, then try again

  // Agent: installing releases (110..129)
  kArchiveRefused = 110,       // the archive holds something never installed (traversal, link
                               // escaping the root, device, FIFO, setuid/setgid, not tar.zst)
  kArchiveTooLarge = 111,      // more bytes or entries than the signed metadata declares
  kHookFailed = 112,           // a pre- or post-install hook failed or timed out
  kHealthCheckFailed = 113,    // the new version failed its health check: rolled back
  kVersionFailedBefore = 114,  // this version failed before and is not retried
  kDowngradeRefused = 115,     // lower than the highest committed version, and no signed policy
                               // allows it
  kCommandTimedOut = 116,      // a hook or health check ran past its time limit
  kAgentBusy = 117,            // another agent process holds the install root

  // Releases, SBOMs, advisories, release transparency (130..149)
  kSbomInvalid = 130,           // the SBOM breaks its schema or lacks an NTIA minimum element
  kAdvisoryInvalid = 131,       // the advisory lacks ranges, fixed version, CVSS severity or CWE
  kNotInTransparencyLog = 132,  // the release has no entry in the transparency log
  // 133 (forked), 134 (proof invalid) and 136 (bad checkpoint) are retired: they meant what
  // kLogForked, kBadProof and kBadCheckpointSignature mean (ADR 0037). Never reuse them.
  kTransparencyLogMissing = 135,  // the log vanished after this device had seen it
  kTransparencyRolledBack = 137,  // the log is smaller than a checkpoint already seen
};

// Every ErrorCode, in value order (a test checks this list against error_code_name).
inline constexpr ErrorCode kAllErrorCodes[] = {
    ErrorCode::kOk,
    ErrorCode::kInvalidArgument,
    ErrorCode::kMalformed,
    ErrorCode::kNotFound,
    ErrorCode::kIo,
    ErrorCode::kNetwork,
    ErrorCode::kUnauthenticated,
    ErrorCode::kPermissionDenied,
    ErrorCode::kInternal,
    ErrorCode::kUnsupported,
    ErrorCode::kAlreadyExists,
    ErrorCode::kFailedPrecondition,
    ErrorCode::kUnsigned,
    ErrorCode::kBadVersion,
    ErrorCode::kExpired,
    ErrorCode::kLengthOrHashMismatch,
    ErrorCode::kDownloadTooLarge,
    ErrorCode::kWrongType,
    ErrorCode::kBadThreshold,
    ErrorCode::kRepositoryError,
    ErrorCode::kSlowRetrieval,
    ErrorCode::kTargetNotFound,
    ErrorCode::kDecryptFailed,
    ErrorCode::kLogEntryCorrupted,
    ErrorCode::kLogTruncated,
    ErrorCode::kLogReordered,
    ErrorCode::kLogForked,
    ErrorCode::kBadCheckpointSignature,
    ErrorCode::kBadProof,
    ErrorCode::kAuditUnavailable,
    ErrorCode::kUnknownSetting,
    ErrorCode::kBelowFloor,
    ErrorCode::kAcknowledgementRequired,
    ErrorCode::kDomainCheckFailed,
    ErrorCode::kInvalidValue,
    ErrorCode::kWeakPassword,
    ErrorCode::kMfaInvalid,
    ErrorCode::kMfaReplay,
    ErrorCode::kMfaRequired,
    ErrorCode::kLockedOut,
    ErrorCode::kArchiveRefused,
    ErrorCode::kArchiveTooLarge,
    ErrorCode::kHookFailed,
    ErrorCode::kHealthCheckFailed,
    ErrorCode::kVersionFailedBefore,
    ErrorCode::kDowngradeRefused,
    ErrorCode::kCommandTimedOut,
    ErrorCode::kAgentBusy,
    ErrorCode::kSbomInvalid,
    ErrorCode::kAdvisoryInvalid,
    ErrorCode::kNotInTransparencyLog,
    ErrorCode::kTransparencyLogMissing,
    ErrorCode::kTransparencyRolledBack,
};

std::string_view error_code_name(ErrorCode code) noexcept;

// Writes error_code_name(code): GoogleTest prints a failed EXPECT_EQ on codes by name through
// it, in every test binary alike.
std::ostream& operator<<(std::ostream& os, ErrorCode code);

// What a failure means for whoever handles it. Every code has exactly one category, decided in
// one exhaustive switch, so a new code cannot silently fall into "failed" or "internal".
enum class ErrorCategory : std::uint8_t {
  kNone,         // kOk
  kBadRequest,   // the caller's input or the state it asks for is wrong: fix it and retry
  kDenied,       // who the caller is, or what they may do, does not allow it
  kRefused,      // untrusted data failed a security check: never use it, do not retry the bytes
  kUnavailable,  // the environment failed (network, disk, a busy lock): retry later
  kFailed,       // an action ran and did not succeed (a hook, a health check)
  kInternal,     // a bug or an unexpected library failure
};

ErrorCategory error_category(ErrorCode code) noexcept;

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;  // says what was wrong and, where possible, what to do

  // "code_name: message", for humans.
  [[nodiscard]] std::string to_string() const;
};

}  // namespace dss
