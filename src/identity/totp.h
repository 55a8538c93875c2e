// Time-based one-time passwords, RFC 6238 with the parameters every authenticator app
// understands: HMAC-SHA1, 6 digits, 30-second steps, T0 = 0. Time comes in as a parameter.
// Thread-safety: every function may be called from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/bytes.h"
#include "core/result.h"

namespace dss::identity {

inline constexpr std::int64_t kTotpStepSeconds = 30;
inline constexpr std::size_t kTotpSecretBytes = 20;  // 160 bits, as RFC 4226 §4 recommends

// 20 bytes from libsodium's CSPRNG.
SecretBytes generate_totp_secret();

// RFC 4648 §6 base32, uppercase, without '=' padding (what authenticator apps expect).
std::string base32_encode(ByteView bytes);
// Accepts upper or lower case, spaces and hyphens between characters (as people type a secret),
// and trailing '=' padding. kMalformed for any other character or an impossible length.
Result<SecretBytes> base32_decode(std::string_view text);

// otpauth://totp/<issuer>:<account>?secret=<base32>&issuer=<issuer>&algorithm=SHA1&digits=6&period=30
// with issuer and account percent-encoded (RFC 3986 unreserved characters kept).
std::string totp_uri(std::string_view issuer, std::string_view account, ByteView secret);

// The 6-digit code (zero padded) for the step containing `unix_seconds` (RFC 6238 §4,
// RFC 4226 §5.3 dynamic truncation).
std::string totp_code(ByteView secret, std::int64_t unix_seconds);

// The time step counter containing `unix_seconds` (floor(unix_seconds / 30)).
std::int64_t totp_step(std::int64_t unix_seconds);

// Checks `code` against the steps now-1, now and now+1 (RFC 6238 §5.2: one step of clock drift
// either way). Returns the matched step; store it and pass it back as `last_used_step` (pass -1
// when no code was used yet). Errors:
//   kMalformed       `code` is not exactly 6 ASCII digits;
//   kInvalidArgument `secret` is empty;
//   kMfaReplay       the code matches, but its step is <= last_used_step (each code works once);
//   kMfaInvalid      the code matches none of the three steps.
// The comparison of codes is constant time; all three steps are always computed.
Result<std::int64_t> verify_totp(ByteView secret, std::string_view code, std::int64_t unix_seconds,
                                 std::int64_t last_used_step);

}  // namespace dss::identity
