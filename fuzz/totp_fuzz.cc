// Fuzzes the second-factor inputs a client controls: TOTP codes (with arbitrary secrets, times
// and last-used steps), base32 secrets, recovery codes against arbitrary stored hashes, and setup
// codes. Checks the contracts, not just the absence of crashes: an accepted TOTP step is within
// one step of now and newer than the last used one; base32 and code normalisation round-trip.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "identity/recovery.h"
#include "identity/token.h"
#include "identity/totp.h"

namespace {

std::int64_t take_i64(std::string_view& in) {
  std::uint64_t v = 0;
  const std::size_t n = in.size() < 8 ? in.size() : 8;
  std::memcpy(&v, in.data(), n);
  in.remove_prefix(n);
  return static_cast<std::int64_t>(v);
}

std::string_view take(std::string_view& in, std::size_t n) {
  n = n < in.size() ? n : in.size();
  const std::string_view out = in.substr(0, n);
  in.remove_prefix(n);
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace dss::identity;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  const std::string_view whole = in;

  // TOTP: [now:8][last_used:8][secret_len:1][secret][code...]
  const std::int64_t now = take_i64(in);
  const std::int64_t last_used = take_i64(in);
  const std::size_t secret_len = in.empty() ? 0 : static_cast<unsigned char>(in.front());
  take(in, 1);
  const std::string_view secret = take(in, secret_len);
  const std::string_view code = in;
  if (auto step = verify_totp(dss::as_bytes(secret), code, now, last_used)) {
    const std::int64_t current = totp_step(now);
    if (*step <= last_used || *step < current - 1 || *step > current + 1) __builtin_trap();
  }
  if (!secret.empty()) {
    // The code we compute must be accepted (unless replayed).
    const std::string own = totp_code(dss::as_bytes(secret), now);
    auto r = verify_totp(dss::as_bytes(secret), own, now, last_used);
    if (own.size() != 6) __builtin_trap();
    if (!r && r.error().code != dss::ErrorCode::kMfaReplay) __builtin_trap();
  }

  // base32: whatever decodes must encode and decode to the same bytes.
  if (auto decoded = base32_decode(whole)) {
    const std::string encoded = base32_encode(decoded->view());
    auto again = base32_decode(encoded);
    if (!again || !again->equals(*decoded)) __builtin_trap();
  }

  // Recovery codes: the input's lines after the first are the stored hashes, the first the code.
  const std::size_t nl = whole.find('\n');
  const std::string_view typed = whole.substr(0, nl);
  std::vector<std::string> hashes;
  if (nl != std::string_view::npos) {
    std::string_view rest = whole.substr(nl + 1);
    while (hashes.size() < 64) {
      const std::size_t next = rest.find('\n');
      hashes.emplace_back(rest.substr(0, next));
      if (next == std::string_view::npos) break;
      rest.remove_prefix(next + 1);
    }
  }
  if (auto index = match_recovery_code(typed, "salt", hashes)) {
    if (*index >= hashes.size() || hashes[*index].empty() ||
        hashes[*index] != recovery_code_hash(typed, "salt")) {
      __builtin_trap();
    }
  }

  // Setup codes: normalisation is idempotent.
  const std::string setup = normalize_setup_code(whole);
  if (!setup.empty() && normalize_setup_code(setup) != setup) __builtin_trap();
  return 0;
}
