#include "identity/recovery.h"

#include <algorithm>

#include "crypto/hash.h"
#include "identity/codes.h"
#include "identity/token.h"

namespace dss::identity {
namespace {
constexpr std::size_t kCodeChars = 10;  // x 5 bits = 50 bits
constexpr std::size_t kCodeGroup = 5;

// SHA-256 over a domain label, the salt's length and bytes, and the canonical code, so no two
// (salt, code) pairs share an input.
std::string hash_canonical(std::string_view canonical, std::string_view salt) {
  crypto::Hasher h(crypto::HashAlgorithm::kSha256);
  h.update(as_bytes("dss-recovery-code-v1\n"));
  h.update(as_bytes(std::to_string(salt.size()) + ":"));
  h.update(as_bytes(salt));
  h.update(as_bytes(canonical));
  return hex_encode(h.finish());
}
}  // namespace

RecoveryCodes generate_recovery_codes(std::string_view salt, int count) {
  count = std::clamp(count, 1, 100);
  RecoveryCodes codes;
  for (int i = 0; i < count; ++i) {
    const std::string code = detail::random_code(kCodeChars);
    codes.hashes.push_back(hash_canonical(code, salt));
    codes.plain.push_back(detail::group_code(code, kCodeGroup));
  }
  return codes;
}

std::string recovery_code_hash(std::string_view code, std::string_view salt) {
  auto canonical = detail::normalize_code(code, kCodeChars);
  if (!canonical) return {};
  return hash_canonical(*canonical, salt);
}

Result<std::size_t> match_recovery_code(std::string_view input, std::string_view salt,
                                        const std::vector<std::string>& hashes) {
  const std::string hash = recovery_code_hash(input, salt);
  bool found = false;
  std::size_t index = 0;
  if (!hash.empty()) {
    for (std::size_t i = 0; i < hashes.size(); ++i) {
      // Every entry is compared, so the time does not tell which code (if any) matched.
      const bool equal = !hashes[i].empty() && constant_time_equal(hashes[i], hash);
      if (equal && !found) {
        found = true;
        index = i;
      }
    }
  }
  if (!found) {
    return make_error(ErrorCode::kMfaInvalid,
                      "the recovery code is wrong or was already used; each code works once");
  }
  return index;
}

}  // namespace dss::identity
