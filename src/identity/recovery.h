// MFA recovery codes: ten single-use codes of 10 characters from Crockford's base32 alphabet
// (50 bits each), shown once as "xxxxx-xxxxx" and stored as salted SHA-256 hashes (why not
// Argon2id: docs/adr/0014). Thread-safety: every function may be called from any thread.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace dss::identity {

inline constexpr int kRecoveryCodeCount = 10;

struct RecoveryCodes {
  std::vector<std::string> plain;   // show once, then forget
  std::vector<std::string> hashes;  // store; same order as `plain`
};

// `salt` should be per user and random (e.g. 16 bytes from generate_token or hex of random
// bytes); an empty salt is allowed but weakens an offline attack on a leaked database.
// `count` is clamped to 1..100.
RecoveryCodes generate_recovery_codes(std::string_view salt, int count = kRecoveryCodeCount);

// Hash of one code as stored (lowercase hex SHA-256 over salt and the canonical code), or empty
// when `code` is not a well-formed recovery code.
std::string recovery_code_hash(std::string_view code, std::string_view salt);

// Normalises `input` (case, spaces and dashes ignored; o read as 0, i and l as 1) and returns the
// index of the matching unused entry of `hashes`; empty entries mean "used". Every entry is
// compared, in constant time. kMfaInvalid when nothing matches or the input is not a code.
// The caller clears the matched entry (sets it to "") in the same transaction as the login.
Result<std::size_t> match_recovery_code(std::string_view input, std::string_view salt,
                                        const std::vector<std::string>& hashes);

}  // namespace dss::identity
