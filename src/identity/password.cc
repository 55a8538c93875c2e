#include "identity/password.h"

#include <sodium.h>
#include <uninorm.h>
#include <unistr.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdlib>
#include <optional>

#include "identity/word_lists.h"

namespace dss::identity {
namespace {

// No password of <= 128 code points is longer than this before normalisation (4 bytes a code
// point, plus room for combining sequences that NFKC composes); bounds the work on hostile input.
constexpr std::size_t kMaxPasswordBytes = 4096;
// A common word with at most this many digits or symbols around it is refused: appending a year,
// "123" or "!" is the first thing cracking rules (hashcat best64) try.
constexpr std::size_t kMaxAffixAroundCommonWord = 8;
constexpr std::size_t kMinAccountNameForContains = 3;

// The service's own name: passwords built on it are the first an attacker of a DSS server tries.
constexpr std::array<std::string_view, 9> kContextWords = {"dss",
                                                           "dssserver",
                                                           "dss server",
                                                           "dss-server",
                                                           "defaultsecure",
                                                           "default secure",
                                                           "default-secure",
                                                           "defaultsecuresoftware",
                                                           "default-secure software"};

Status weak(std::string message) {
  return make_error(ErrorCode::kWeakPassword, std::move(message));
}

std::string_view text_of(const SecretBytes& s) { return as_chars(s.view()); }

// ASCII lowercase: the lists are ASCII, and after NFKC no non-ASCII character lowercases to ASCII
// (the Kelvin sign and fullwidth letters have already become ASCII).
SecretBytes ascii_lower(std::string_view s) {
  SecretBytes out = SecretBytes::from_string(s);
  for (std::size_t i = 0; i < out.size(); ++i) {
    std::uint8_t& c = out.data()[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<std::uint8_t>(c - 'A' + 'a');
  }
  return out;
}

std::size_t code_points(std::string_view utf8) {
  return u8_mbsnlen(reinterpret_cast<const std::uint8_t*>(utf8.data()), utf8.size());
}

bool has_control_character(std::string_view utf8) {
  const auto* p = reinterpret_cast<const std::uint8_t*>(utf8.data());
  const auto* end = p + utf8.size();
  while (p < end) {
    ucs4_t uc = 0;
    const int n = u8_mbtouc(&uc, p, static_cast<std::size_t>(end - p));
    if (uc < 0x20 || (uc >= 0x7f && uc <= 0x9f)) return true;
    p += n > 0 ? n : 1;
  }
  return false;
}

bool is_affix_char(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u < 0x80 && !(c >= 'a' && c <= 'z') && !(c >= 'A' && c <= 'Z');
}

// The password without leading and trailing ASCII digits, symbols and spaces (scripts/
// build-breached-list.sh strips the same set from breached passwords to build common words).
std::string_view core_of(std::string_view lower) {
  while (!lower.empty() && is_affix_char(lower.front())) lower.remove_prefix(1);
  while (!lower.empty() && is_affix_char(lower.back())) lower.remove_suffix(1);
  return lower;
}

Status check_account_name(std::string_view lower_password, std::string_view account_name) {
  if (account_name.empty()) return ok();
  auto normalized = normalize_password(account_name);
  if (!normalized) return ok();  // not a name anyone can type into the password either
  const SecretBytes account = ascii_lower(text_of(*normalized));
  std::string_view names[2] = {text_of(account), {}};
  if (const auto at = names[0].find('@'); at != std::string_view::npos) {
    names[1] = names[0].substr(0, at);
  }
  for (std::string_view name : names) {
    if (name.empty()) continue;
    const bool hit = code_points(name) >= kMinAccountNameForContains
                         ? lower_password.find(name) != std::string_view::npos
                         : lower_password == name;
    if (hit) {
      return weak("the password contains the account name; choose one that does not");
    }
  }
  return ok();
}

Status check_params(const PasswordParams& params) {
  const PasswordParams floor;
  if (params.ops_limit < floor.ops_limit || params.mem_limit_bytes < floor.mem_limit_bytes) {
    return make_error(ErrorCode::kInvalidArgument,
                      "Argon2id parameters are below the floor of m=19 MiB, t=2; raise them");
  }
  if (params.ops_limit > crypto_pwhash_OPSLIMIT_MAX ||
      params.mem_limit_bytes > crypto_pwhash_MEMLIMIT_MAX) {
    return make_error(ErrorCode::kInvalidArgument,
                      "Argon2id parameters are beyond what libsodium supports; lower them");
  }
  return ok();
}

// The stored hash as a NUL-terminated buffer for libsodium, or nullopt when it cannot be one.
std::optional<std::array<char, crypto_pwhash_STRBYTES>> c_string(std::string_view s) {
  if (s.size() >= crypto_pwhash_STRBYTES || s.find('\0') != std::string_view::npos) {
    return std::nullopt;
  }
  std::array<char, crypto_pwhash_STRBYTES> out{};
  std::copy(s.begin(), s.end(), out.begin());
  return out;
}

// Reads "m=<kib>,t=<ops>," from an "$argon2id$v=19$m=...,t=...,p=..$..." string.
bool parse_argon2id_costs(std::string_view s, std::uint64_t& mem_kib, std::uint64_t& ops) {
  constexpr std::string_view kPrefix = "$argon2id$v=19$m=";
  if (s.substr(0, kPrefix.size()) != kPrefix) return false;
  s.remove_prefix(kPrefix.size());
  auto [p1, e1] = std::from_chars(s.data(), s.data() + s.size(), mem_kib);
  if (e1 != std::errc() || p1 == s.data()) return false;
  s.remove_prefix(static_cast<std::size_t>(p1 - s.data()));
  if (s.substr(0, 3) != ",t=") return false;
  s.remove_prefix(3);
  auto [p2, e2] = std::from_chars(s.data(), s.data() + s.size(), ops);
  return e2 == std::errc() && p2 != s.data();
}

}  // namespace

Result<SecretBytes> normalize_password(std::string_view password) {
  if (password.size() > kMaxPasswordBytes) {
    return make_error(ErrorCode::kWeakPassword,
                      "the password is longer than 128 characters; use at most 128 "
                      "(nothing is ever cut off, so a longer one is refused)");
  }
  const auto* in = reinterpret_cast<const std::uint8_t*>(password.data());
  if (u8_check(in, password.size()) != nullptr) {
    return make_error(ErrorCode::kWeakPassword,
                      "the password is not valid UTF-8 text; type it again in a UTF-8 terminal "
                      "or form");
  }
  if (password.empty()) return SecretBytes{};
  std::size_t length = 0;
  std::uint8_t* out = u8_normalize(UNINORM_NFKC, in, password.size(), nullptr, &length);
  if (out == nullptr) {
    return make_error(ErrorCode::kInternal, "Unicode normalisation of the password failed");
  }
  SecretBytes result(out, length);
  secure_zero(out, length);
  std::free(out);  // NOLINT(cppcoreguidelines-no-malloc): u8_normalize's result is malloc'd
  return result;
}

Status check_password_policy(std::string_view password, std::string_view account_name,
                             std::size_t min_code_points) {
  DSS_TRY(const SecretBytes normalized, normalize_password(password));
  const std::string_view text = text_of(normalized);
  if (has_control_character(text)) {
    return weak(
        "the password contains control characters (such as a tab or a line break); "
        "use letters, digits, spaces and symbols");
  }
  const std::size_t length = code_points(text);
  const std::size_t min_length = std::max(min_code_points, kMinPasswordCodePoints);
  if (length < min_length) {
    return weak("the password has " + std::to_string(length) + " characters; use at least " +
                std::to_string(min_length) + " (several unrelated words make a good one)");
  }
  if (length > kMaxPasswordCodePoints) {
    return weak("the password has " + std::to_string(length) +
                " characters; use at most 128 (nothing is ever cut off, so a longer one is "
                "refused)");
  }
  const SecretBytes lower_bytes = ascii_lower(text);
  const std::string_view lower = text_of(lower_bytes);
  if (detail::in_breached_list(lower)) {
    return weak(
        "this password is on a list of passwords leaked in data breaches, so attackers "
        "try it first; choose another (several unrelated words make a good one)");
  }
  const std::string_view core = core_of(lower);
  if (std::find(kContextWords.begin(), kContextWords.end(), core) != kContextWords.end() ||
      lower.find("defaultsecure") != std::string_view::npos ||
      lower.find("default-secure") != std::string_view::npos ||
      lower.find("default secure") != std::string_view::npos) {
    return weak("the password is built on the name of this service; choose one that is not");
  }
  if (!core.empty() && lower.size() - core.size() <= kMaxAffixAroundCommonWord &&
      detail::in_common_words(core)) {
    return weak(
        "the password is a common word or password with only digits or symbols added, "
        "which attackers try early; choose another (several unrelated words make a good "
        "one)");
  }
  return check_account_name(lower, account_name);
}

Result<std::string> hash_password(std::string_view password, const PasswordParams& params) {
  DSS_TRY_STATUS(check_params(params));
  DSS_TRY(const SecretBytes normalized, normalize_password(password));
  std::array<char, crypto_pwhash_STRBYTES> out{};
  if (crypto_pwhash_str_alg(out.data(), reinterpret_cast<const char*>(normalized.data()),
                            normalized.size(), params.ops_limit, params.mem_limit_bytes,
                            crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return make_error(ErrorCode::kInternal,
                      "Argon2id hashing failed (out of memory?); try again or lower the memory "
                      "cost");
  }
  return std::string(out.data());
}

Result<bool> verify_password(std::string_view password, std::string_view stored_hash) {
  auto hash = c_string(stored_hash);
  // needs_rehash decodes the whole string and returns -1 when it cannot: the only way to tell
  // "malformed" from "wrong password", which crypto_pwhash_str_verify both report as -1.
  if (!hash || crypto_pwhash_str_needs_rehash(hash->data(), crypto_pwhash_OPSLIMIT_MIN,
                                              crypto_pwhash_MEMLIMIT_MIN) == -1) {
    return make_error(ErrorCode::kMalformed,
                      "the stored password hash is not an Argon2 PHC string; reset the password");
  }
  auto normalized = normalize_password(password);
  if (!normalized) return false;  // invalid UTF-8 or oversized: cannot be the stored password
  return crypto_pwhash_str_verify(hash->data(), reinterpret_cast<const char*>(normalized->data()),
                                  normalized->size()) == 0;
}

bool password_needs_rehash(std::string_view stored_hash, const PasswordParams& params) {
  auto hash = c_string(stored_hash);
  if (!hash || crypto_pwhash_str_needs_rehash(hash->data(), crypto_pwhash_OPSLIMIT_MIN,
                                              crypto_pwhash_MEMLIMIT_MIN) == -1) {
    return true;
  }
  std::uint64_t mem_kib = 0;
  std::uint64_t ops = 0;
  if (!parse_argon2id_costs(stored_hash, mem_kib, ops)) return true;  // Argon2i or another version
  return mem_kib < params.mem_limit_bytes / 1024 || ops < params.ops_limit;
}

bool is_breached_password(std::string_view normalized_password) {
  const SecretBytes lower = ascii_lower(normalized_password);
  return detail::in_breached_list(text_of(lower));
}

}  // namespace dss::identity
