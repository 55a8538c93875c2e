// The API's error codes: the stable, machine-readable "code" of every error answer
// ({"error": {"code", "message"}}), each with its one HTTP status, and the one exhaustive map
// from the library's ErrorCode to them. docs/api.md lists every code; a test checks that it
// lists exactly these. A code's name and status never change once released.
#pragma once

#include <cstdint>
// Boost 1.81's status.hpp is not self-contained (its string_view needs std::ostream complete),
// so <ostream> must come first.
// clang-format off
#include <ostream>
#include <boost/beast/http/status.hpp>
// clang-format on
#include <string_view>

#include "core/error.h"

namespace dss::server {

enum class ApiCode : std::uint8_t {
  kBadRequest,               // 400: the request is malformed or a field is wrong
  kWeakPassword,             // 400: the new password breaks the policy
  kUnsupportedMediaType,     // 415
  kPayloadTooLarge,          // 413
  kHeadersTooLarge,          // 431
  kUnauthenticated,          // 401: no valid credentials
  kSessionExpired,           // 401
  kMfaEnrolmentRequired,     // 403: the session must enrol a second factor first
  kMfaRequired,              // 403: the session must confirm its second factor first
  kMfaInvalid,               // 401
  kMfaReplay,                // 401: a TOTP code already used
  kReauthRequired,           // 403: a sensitive action without a fresh re-authentication
  kCsrf,                     // 403
  kForbidden,                // 403: authenticated, and not allowed
  kNotFound,                 // 404
  kMethodNotAllowed,         // 405
  kConflict,                 // 409: the thing exists already, or the change would break a rule
  kFailedPrecondition,       // 409: the server's state does not allow this now
  kAcknowledgementRequired,  // 409: a loosening without the confirmation phrase
  kVerificationFailed,       // 422: data the request needs failed a security check
  kLockedOut,                // 429 (with Retry-After)
  kRateLimited,              // 429: too many requests from this source
  kBadSignature,             // 401: a device request's signature does not verify
  kReplay,                   // 401: a device request seen before
  kAuditUnavailable,         // 503: the audit log cannot record, so nothing was changed
  kUnavailable,              // 503: the server cannot answer now; retry later
  kNotImplemented,           // 501
  kInternal,                 // 500: a bug or an unexpected failure; the server's log says more
};

inline constexpr ApiCode kAllApiCodes[] = {
    ApiCode::kBadRequest,
    ApiCode::kWeakPassword,
    ApiCode::kUnsupportedMediaType,
    ApiCode::kPayloadTooLarge,
    ApiCode::kHeadersTooLarge,
    ApiCode::kUnauthenticated,
    ApiCode::kSessionExpired,
    ApiCode::kMfaEnrolmentRequired,
    ApiCode::kMfaRequired,
    ApiCode::kMfaInvalid,
    ApiCode::kMfaReplay,
    ApiCode::kReauthRequired,
    ApiCode::kCsrf,
    ApiCode::kForbidden,
    ApiCode::kNotFound,
    ApiCode::kMethodNotAllowed,
    ApiCode::kConflict,
    ApiCode::kFailedPrecondition,
    ApiCode::kAcknowledgementRequired,
    ApiCode::kVerificationFailed,
    ApiCode::kLockedOut,
    ApiCode::kRateLimited,
    ApiCode::kBadSignature,
    ApiCode::kReplay,
    ApiCode::kAuditUnavailable,
    ApiCode::kUnavailable,
    ApiCode::kNotImplemented,
    ApiCode::kInternal,
};

// The code as sent on the wire ("weak_password").
std::string_view api_code_name(ApiCode code) noexcept;
// The HTTP status every answer with this code has.
boost::beast::http::status api_status(ApiCode code) noexcept;
// The API code for a library error. Exhaustive (no default, -Wswitch-enum): a new ErrorCode
// does not compile until it is given a code here. Only kInternal-like codes become kInternal.
ApiCode api_code_for(ErrorCode code) noexcept;

}  // namespace dss::server
