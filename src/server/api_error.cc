#include "server/api_error.h"

namespace dss::server {

namespace http = boost::beast::http;

std::string_view api_code_name(ApiCode code) noexcept {
  switch (code) {
    case ApiCode::kBadRequest:
      return "bad_request";
    case ApiCode::kWeakPassword:
      return "weak_password";
    case ApiCode::kUnsupportedMediaType:
      return "unsupported_media_type";
    case ApiCode::kPayloadTooLarge:
      return "payload_too_large";
    case ApiCode::kHeadersTooLarge:
      return "headers_too_large";
    case ApiCode::kUnauthenticated:
      return "unauthenticated";
    case ApiCode::kSessionExpired:
      return "session_expired";
    case ApiCode::kMfaEnrolmentRequired:
      return "mfa_enrolment_required";
    case ApiCode::kMfaRequired:
      return "mfa_required";
    case ApiCode::kMfaInvalid:
      return "mfa_invalid";
    case ApiCode::kMfaReplay:
      return "mfa_replay";
    case ApiCode::kReauthRequired:
      return "reauth_required";
    case ApiCode::kCsrf:
      return "csrf";
    case ApiCode::kForbidden:
      return "forbidden";
    case ApiCode::kNotFound:
      return "not_found";
    case ApiCode::kMethodNotAllowed:
      return "method_not_allowed";
    case ApiCode::kConflict:
      return "conflict";
    case ApiCode::kFailedPrecondition:
      return "failed_precondition";
    case ApiCode::kAcknowledgementRequired:
      return "acknowledgement_required";
    case ApiCode::kVerificationFailed:
      return "verification_failed";
    case ApiCode::kLockedOut:
      return "locked_out";
    case ApiCode::kRateLimited:
      return "rate_limited";
    case ApiCode::kBadSignature:
      return "bad_signature";
    case ApiCode::kReplay:
      return "replay";
    case ApiCode::kAuditUnavailable:
      return "audit_unavailable";
    case ApiCode::kUnavailable:
      return "unavailable";
    case ApiCode::kNotImplemented:
      return "not_implemented";
    case ApiCode::kInternal:
      return "internal";
  }
  return "internal";  // a value outside the enum
}

http::status api_status(ApiCode code) noexcept {
  switch (code) {
    case ApiCode::kBadRequest:
    case ApiCode::kWeakPassword:
      return http::status::bad_request;
    case ApiCode::kUnsupportedMediaType:
      return http::status::unsupported_media_type;
    case ApiCode::kPayloadTooLarge:
      return http::status::payload_too_large;
    case ApiCode::kHeadersTooLarge:
      return http::status::request_header_fields_too_large;
    case ApiCode::kUnauthenticated:
    case ApiCode::kSessionExpired:
    case ApiCode::kMfaInvalid:
    case ApiCode::kMfaReplay:
    case ApiCode::kBadSignature:
    case ApiCode::kReplay:
      return http::status::unauthorized;
    case ApiCode::kMfaEnrolmentRequired:
    case ApiCode::kMfaRequired:
    case ApiCode::kReauthRequired:
    case ApiCode::kCsrf:
    case ApiCode::kForbidden:
      return http::status::forbidden;
    case ApiCode::kNotFound:
      return http::status::not_found;
    case ApiCode::kMethodNotAllowed:
      return http::status::method_not_allowed;
    case ApiCode::kConflict:
    case ApiCode::kFailedPrecondition:
    case ApiCode::kAcknowledgementRequired:
      return http::status::conflict;
    case ApiCode::kVerificationFailed:
      return http::status::unprocessable_entity;
    case ApiCode::kLockedOut:
    case ApiCode::kRateLimited:
      return http::status::too_many_requests;
    case ApiCode::kAuditUnavailable:
    case ApiCode::kUnavailable:
      return http::status::service_unavailable;
    case ApiCode::kNotImplemented:
      return http::status::not_implemented;
    case ApiCode::kInternal:
      return http::status::internal_server_error;
  }
  return http::status::internal_server_error;
}

ApiCode api_code_for(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::kInvalidArgument:
    case ErrorCode::kMalformed:
    case ErrorCode::kInvalidValue:
    case ErrorCode::kUnsupported:
      return ApiCode::kBadRequest;
    case ErrorCode::kWeakPassword:
      return ApiCode::kWeakPassword;
    case ErrorCode::kNotFound:
    case ErrorCode::kUnknownSetting:
    case ErrorCode::kTargetNotFound:
      return ApiCode::kNotFound;
    case ErrorCode::kAlreadyExists:
      return ApiCode::kConflict;
    case ErrorCode::kFailedPrecondition:
    case ErrorCode::kDomainCheckFailed:
      return ApiCode::kFailedPrecondition;
    case ErrorCode::kAcknowledgementRequired:
      return ApiCode::kAcknowledgementRequired;
    case ErrorCode::kUnauthenticated:
      return ApiCode::kUnauthenticated;
    case ErrorCode::kPermissionDenied:
    case ErrorCode::kBelowFloor:
      return ApiCode::kForbidden;
    case ErrorCode::kMfaInvalid:
      return ApiCode::kMfaInvalid;
    case ErrorCode::kMfaReplay:
      return ApiCode::kMfaReplay;
    case ErrorCode::kMfaRequired:
      return ApiCode::kMfaRequired;
    case ErrorCode::kLockedOut:
      return ApiCode::kLockedOut;
    // Signed data the server reads for the request (the repository's metadata, an SBOM, an
    // advisory, a log) failed its check: the operator must re-sign or repair it.
    case ErrorCode::kUnsigned:
    case ErrorCode::kBadVersion:
    case ErrorCode::kExpired:
    case ErrorCode::kLengthOrHashMismatch:
    case ErrorCode::kDownloadTooLarge:
    case ErrorCode::kWrongType:
    case ErrorCode::kBadThreshold:
    case ErrorCode::kRepositoryError:
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
      return ApiCode::kVerificationFailed;
    case ErrorCode::kAuditUnavailable:
      return ApiCode::kAuditUnavailable;
    case ErrorCode::kNetwork:
    case ErrorCode::kSlowRetrieval:
    case ErrorCode::kAgentBusy:
      return ApiCode::kUnavailable;
    // Truly internal: the server's own storage or a library failed, a stored secret no longer
    // opens, an agent-only step ran in the server, or an Error carries kOk. The message stays
    // in the server's log.
    case ErrorCode::kOk:
    case ErrorCode::kIo:
    case ErrorCode::kInternal:
    case ErrorCode::kDecryptFailed:
    case ErrorCode::kHookFailed:
    case ErrorCode::kHealthCheckFailed:
    case ErrorCode::kCommandTimedOut:
      return ApiCode::kInternal;
  }
  return ApiCode::kInternal;  // a value outside the enum
}

}  // namespace dss::server
