// Fuzzes the password policy with arbitrary bytes (invalid UTF-8, huge inputs, odd Unicode):
// it must refuse cleanly, never crash, and whatever it accepts must really meet the rules.
// Hashing is left out: Argon2id at the floor costs ~50 ms an input.
// Input: [account_len:1][account][password...]
#include <unistr.h>

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "identity/password.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace dss::identity;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  std::size_t account_len = in.empty() ? 0 : static_cast<unsigned char>(in.front());
  if (!in.empty()) in.remove_prefix(1);
  if (account_len > in.size()) account_len = in.size();
  const std::string_view account = in.substr(0, account_len);
  const std::string_view password = in.substr(account_len);

  auto normalized = normalize_password(password);
  const auto status = check_password_policy(password, account);
  if (status) {
    if (!normalized) __builtin_trap();
    const std::size_t n = u8_mbsnlen(normalized->data(), normalized->size());
    if (n < kMinPasswordCodePoints || n > kMaxPasswordCodePoints) __builtin_trap();
    if (is_breached_password(dss::as_chars(normalized->view()))) __builtin_trap();
  } else if (status.error().code != dss::ErrorCode::kWeakPassword ||
             status.error().message.empty()) {
    __builtin_trap();
  }
  if (normalized) {
    // NFKC is idempotent; the policy sees the same text whichever form was typed.
    auto twice = normalize_password(dss::as_chars(normalized->view()));
    if (!twice || !twice->equals(*normalized)) __builtin_trap();
    if (static_cast<bool>(check_password_policy(dss::as_chars(normalized->view()), account)) !=
        static_cast<bool>(status)) {
      __builtin_trap();
    }
  }
  return 0;
}
