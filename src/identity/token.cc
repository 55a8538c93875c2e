#include "identity/token.h"

#include <sodium.h>

#include <array>

#include "core/bytes.h"
#include "crypto/hash.h"
#include "identity/codes.h"

namespace dss::identity {
namespace {
constexpr std::size_t kTokenBytes = 32;
constexpr std::size_t kSetupCodeChars = 20;  // x 5 bits = 100 bits
constexpr std::size_t kSetupCodeGroup = 5;
}  // namespace

std::string generate_token(std::string_view prefix) {
  ensure_sodium_initialised();
  std::array<std::uint8_t, kTokenBytes> raw{};
  randombytes_buf(raw.data(), raw.size());
  constexpr int kVariant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;
  std::array<char, sodium_base64_ENCODED_LEN(kTokenBytes, kVariant)> encoded{};
  sodium_bin2base64(encoded.data(), encoded.size(), raw.data(), raw.size(), kVariant);
  std::string token(prefix);
  token.append(encoded.data());
  secure_zero(raw.data(), raw.size());
  secure_zero(encoded.data(), encoded.size());
  return token;
}

std::string token_hash(std::string_view token) { return crypto::sha256_hex(token); }

bool constant_time_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string generate_setup_code() {
  return detail::group_code(detail::random_code(kSetupCodeChars), kSetupCodeGroup);
}

std::string normalize_setup_code(std::string_view input) {
  auto code = detail::normalize_code(input, kSetupCodeChars);
  if (!code) return {};
  return detail::group_code(*code, kSetupCodeGroup);
}

}  // namespace dss::identity
