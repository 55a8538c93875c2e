#include "identity/codes.h"

#include <sodium.h>

#include "core/bytes.h"

namespace dss::identity::detail {
namespace {
constexpr std::string_view kAlphabet = "0123456789abcdefghjkmnpqrstvwxyz";
static_assert(kAlphabet.size() == 32);
}  // namespace

std::string random_code(std::size_t length) {
  ensure_sodium_initialised();
  std::string out;
  out.reserve(length);
  for (std::size_t i = 0; i < length; ++i) {
    out.push_back(kAlphabet[randombytes_uniform(static_cast<std::uint32_t>(kAlphabet.size()))]);
  }
  return out;
}

std::optional<std::string> normalize_code(std::string_view input, std::size_t length) {
  if (input.size() > 4 * length) return std::nullopt;
  std::string out;
  out.reserve(length);
  for (char raw : input) {
    if (raw == ' ' || raw == '-' || raw == '\t') continue;
    char c = (raw >= 'A' && raw <= 'Z') ? static_cast<char>(raw - 'A' + 'a') : raw;
    if (c == 'o') c = '0';
    if (c == 'i' || c == 'l') c = '1';
    if (kAlphabet.find(c) == std::string_view::npos) return std::nullopt;
    out.push_back(c);
  }
  if (out.size() != length) return std::nullopt;
  return out;
}

std::string group_code(std::string_view code, std::size_t group) {
  std::string out;
  for (std::size_t i = 0; i < code.size(); ++i) {
    if (i != 0 && i % group == 0) out.push_back('-');
    out.push_back(code[i]);
  }
  return out;
}

}  // namespace dss::identity::detail
