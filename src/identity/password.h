// Passwords, per NIST SP 800-63B §5.1.1 and OWASP ASVS L2 §2.1: length 12..128 Unicode code
// points after NFKC normalisation, never truncated, no composition rules, refused when found on
// the bundled breached-password list or built on a common word, the account name or the
// service's name. Stored as Argon2id PHC strings (libsodium), never below m=19 MiB, t=2, p=1.
//
// Every function takes the password as typed and normalises it (NFKC) first, so the same
// password typed as fullwidth or composed characters hashes and verifies the same.
// Messages never contain the password. Thread-safety: every function may be called from any
// thread (the compiled-in lists are built once, on first use, under a static initialiser).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/bytes.h"
#include "core/result.h"

namespace dss::identity {

inline constexpr std::size_t kMinPasswordCodePoints = 12;
inline constexpr std::size_t kMaxPasswordCodePoints = 128;

// Argon2id floor: m=19 MiB, t=2, p=1 (OWASP Password Storage Cheat Sheet). libsodium always
// uses p=1.
struct PasswordParams {
  std::uint64_t ops_limit = 2;
  std::size_t mem_limit_bytes = std::size_t{19} * 1024 * 1024;
};

// The NFKC form of `password` (libunistring u8_normalize). kWeakPassword when it is not valid
// UTF-8 or longer than 4096 bytes (no password of <= 128 code points is that long).
Result<SecretBytes> normalize_password(std::string_view password);

// OK, or kWeakPassword with a plain-language message naming the rule that failed and what to do:
// not valid UTF-8; control characters; fewer than `min_code_points` (never below 12; callers
// pass the setting auth.password_min_length, so the message names the minimum enforced) or
// more than 128 code points; on the
// breached list (case-insensitive); a common word or common password with at most 8 digits or
// symbols added before or after it; built on the service's name ("dss", "default secure");
// equal to or containing `account_name` (or its part before '@'), compared case-insensitively
// when the name has at least 3 code points.
Status check_password_policy(std::string_view password, std::string_view account_name = {},
                             std::size_t min_code_points = kMinPasswordCodePoints);

// Argon2id (crypto_pwhash_str_alg, ALG_ARGON2ID13) of the NFKC form; the PHC string
// "$argon2id$v=19$m=...,t=...,p=1$salt$hash". kInvalidArgument when `params` are below the floor
// or beyond libsodium's limits; kWeakPassword when the password is not valid UTF-8. Does not
// apply the policy: call check_password_policy when a password is set.
Result<std::string> hash_password(std::string_view password, const PasswordParams& params = {});

// Constant-time verification of the NFKC form against `stored_hash`. false on a wrong password
// (including one that is not valid UTF-8); kMalformed only when `stored_hash` is not an Argon2
// PHC string libsodium can read.
Result<bool> verify_password(std::string_view password, std::string_view stored_hash);

// true when `stored_hash` should be replaced at the next successful login: it is not Argon2id
// v=19, cannot be read, or its memory or time cost is below `params`. Unlike libsodium's
// crypto_pwhash_str_needs_rehash, a hash stronger than `params` is kept (never downgraded).
bool password_needs_rehash(std::string_view stored_hash, const PasswordParams& params = {});

// true when the NFKC-normalised password, lowercased, is on the bundled breached list
// (data/breached-passwords.txt, see docs/adr/0013).
bool is_breached_password(std::string_view normalized_password);

}  // namespace dss::identity
