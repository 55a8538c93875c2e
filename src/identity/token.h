// Bearer secrets: session tokens, API tokens, device enrolment tokens, and the one-time setup
// code printed at first start. Each is 256 bits (the setup code 100) from libsodium's CSPRNG and
// is stored only as token_hash(); the plain value is shown once.
// Thread-safety: every function may be called from any thread.
#pragma once

#include <string>
#include <string_view>

namespace dss::identity {

// Readable prefixes, so a leaked token is recognisable (secret scanners, logs review).
inline constexpr std::string_view kSessionTokenPrefix = "dss_s_";
inline constexpr std::string_view kApiTokenPrefix = "dss_t_";
inline constexpr std::string_view kEnrolmentTokenPrefix = "dss_e_";

// `prefix` followed by 32 random bytes in base64url without padding (43 characters).
std::string generate_token(std::string_view prefix);

// Lowercase hex SHA-256 of the whole token, prefix included: what gets stored and looked up.
// (A plain hash suffices: the token has 256 bits of entropy, so it cannot be guessed offline.)
std::string token_hash(std::string_view token);

// Constant-time comparison (the length is not secret). false when the lengths differ.
bool constant_time_equal(std::string_view a, std::string_view b);

// A one-time setup code for the first owner: 20 characters from Crockford's base32 alphabet
// (100 bits) in four groups of five, e.g. "7kq2m-x9d4t-...". Store token_hash() of it.
std::string generate_setup_code();

// The canonical form of a typed setup code (case, spaces and dashes ignored; o read as 0, i and
// l as 1), so token_hash(normalize_setup_code(input)) can be compared with the stored hash.
// Empty when the input cannot be a setup code.
std::string normalize_setup_code(std::string_view input);

}  // namespace dss::identity
