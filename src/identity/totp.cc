#include "identity/totp.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sodium.h>

#include <array>

#include "core/url.h"

namespace dss::identity {
namespace {

constexpr std::string_view kBase32Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
constexpr std::size_t kDigits = 6;
constexpr std::uint32_t kModulus = 1'000'000;

int base32_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a';
  if (c >= '2' && c <= '7') return c - '2' + 26;
  return -1;
}

// RFC 4226 §5.3: HMAC-SHA1 over the big-endian counter, dynamic truncation, mod 10^6.
std::array<char, kDigits> code_for_step(ByteView secret, std::int64_t step) {
  std::array<std::uint8_t, 8> counter{};
  auto c = static_cast<std::uint64_t>(step);
  for (int i = 7; i >= 0; --i) {
    counter[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(c & 0xff);
    c >>= 8;
  }
  std::array<std::uint8_t, EVP_MAX_MD_SIZE> mac{};
  unsigned int mac_len = 0;
  // An empty key is legal for HMAC; OpenSSL wants a non-null pointer for it.
  static const std::uint8_t kEmpty = 0;
  const bool done =
      HMAC(EVP_sha1(), secret.empty() ? &kEmpty : secret.data(), static_cast<int>(secret.size()),
           counter.data(), counter.size(), mac.data(), &mac_len) != nullptr;
  DSS_CHECK(done && mac_len == 20);  // HMAC-SHA1 cannot fail short of a broken OpenSSL
  const std::size_t offset = mac[19] & 0x0f;
  const std::uint32_t binary = (static_cast<std::uint32_t>(mac[offset] & 0x7f) << 24) |
                               (static_cast<std::uint32_t>(mac[offset + 1]) << 16) |
                               (static_cast<std::uint32_t>(mac[offset + 2]) << 8) |
                               static_cast<std::uint32_t>(mac[offset + 3]);
  secure_zero(mac.data(), mac.size());
  std::uint32_t value = binary % kModulus;
  std::array<char, kDigits> out{};
  for (std::size_t i = kDigits; i-- > 0;) {
    out[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
  return out;
}

}  // namespace

SecretBytes generate_totp_secret() {
  ensure_sodium_initialised();
  SecretBytes secret(kTotpSecretBytes);
  randombytes_buf(secret.data(), secret.size());
  return secret;
}

std::string base32_encode(ByteView bytes) {
  std::string out;
  out.reserve((bytes.size() * 8 + 4) / 5);
  std::uint32_t buffer = 0;
  int bits = 0;
  for (std::uint8_t b : bytes) {
    buffer = (buffer << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out.push_back(kBase32Alphabet[(buffer >> (bits - 5)) & 0x1f]);
      bits -= 5;
    }
  }
  if (bits > 0) out.push_back(kBase32Alphabet[(buffer << (5 - bits)) & 0x1f]);
  return out;
}

Result<SecretBytes> base32_decode(std::string_view text) {
  while (!text.empty() && text.back() == '=') text.remove_suffix(1);
  std::vector<std::uint8_t> out;
  out.reserve(text.size() * 5 / 8);
  std::uint32_t buffer = 0;
  int bits = 0;
  std::size_t symbols = 0;
  bool bad = false;
  for (char c : text) {
    if (c == ' ' || c == '-') continue;
    const int v = base32_value(c);
    if (v < 0) {
      bad = true;
      break;
    }
    ++symbols;
    buffer = (buffer << 5) | static_cast<std::uint32_t>(v);
    bits += 5;
    if (bits >= 8) {
      out.push_back(static_cast<std::uint8_t>((buffer >> (bits - 8)) & 0xff));
      bits -= 8;
    }
  }
  // RFC 4648 §6: a final quantum has 2, 4, 5 or 7 symbols; 1, 3 or 6 cannot encode whole bytes.
  const std::size_t tail = symbols % 8;
  if (bad || tail == 1 || tail == 3 || tail == 6) {
    secure_zero(out.data(), out.size());
    return make_error(ErrorCode::kMalformed,
                      "not a base32 secret: use the letters A-Z and digits 2-7 exactly as shown");
  }
  SecretBytes secret(out.data(), out.size());
  secure_zero(out.data(), out.size());
  secure_zero(&buffer, sizeof buffer);
  return secret;
}

std::string totp_uri(std::string_view issuer, std::string_view account, ByteView secret) {
  const std::string enc_issuer = percent_encode(issuer);
  std::string uri = "otpauth://totp/" + enc_issuer + ":" + percent_encode(account);
  uri += "?secret=" + base32_encode(secret);
  uri += "&issuer=" + enc_issuer;
  uri += "&algorithm=SHA1&digits=6&period=30";
  return uri;
}

std::int64_t totp_step(std::int64_t unix_seconds) {
  // Floor division, so times before 1970 fall in the right step.
  std::int64_t step = unix_seconds / kTotpStepSeconds;
  if (unix_seconds % kTotpStepSeconds < 0) --step;
  return step;
}

std::string totp_code(ByteView secret, std::int64_t unix_seconds) {
  const auto code = code_for_step(secret, totp_step(unix_seconds));
  return std::string(code.data(), code.size());
}

Result<std::int64_t> verify_totp(ByteView secret, std::string_view code, std::int64_t unix_seconds,
                                 std::int64_t last_used_step) {
  if (code.size() != kDigits ||
      !std::all_of(code.begin(), code.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return make_error(ErrorCode::kMalformed,
                      "a code from the authenticator app is exactly 6 digits; type it again");
  }
  if (secret.empty()) {
    return make_error(ErrorCode::kInvalidArgument, "no TOTP secret is enrolled for this account");
  }
  const std::int64_t now = totp_step(unix_seconds);
  bool replayed = false;
  bool matched_fresh = false;
  std::int64_t matched = 0;
  // All three candidates are computed and compared whatever matches, in constant time.
  for (std::int64_t step = now - 1; step <= now + 1; ++step) {
    auto expected = code_for_step(secret, step);
    const bool equal = sodium_memcmp(expected.data(), code.data(), kDigits) == 0;
    secure_zero(expected.data(), expected.size());
    if (!equal) continue;
    if (step <= last_used_step) {
      replayed = true;
    } else {
      matched_fresh = true;
      matched = step;  // the latest fresh match wins
    }
  }
  if (matched_fresh) return matched;
  if (replayed) {
    return make_error(ErrorCode::kMfaReplay,
                      "this code was already used; wait for the next code in the app");
  }
  return make_error(ErrorCode::kMfaInvalid,
                    "the code is wrong; check the app's clock and type the current code");
}

}  // namespace dss::identity
