#include "crypto/allowed_schemes.h"

#include <array>

namespace dss::crypto {

namespace {

struct Word {
  KeyScheme scheme;
  std::string_view word;
};
// Sorted by word, so to_string() lists them in the settings' (sorted set) order.
constexpr std::array<Word, 3> kWords{{{KeyScheme::kEcdsaP256, "ecdsa-p256"},
                                      {KeyScheme::kEd25519, "ed25519"},
                                      {KeyScheme::kRsaPssSha256, "rsa-pss"}}};

constexpr std::uint8_t bit(KeyScheme s) {
  return static_cast<std::uint8_t>(1U << static_cast<unsigned>(s));
}

constexpr std::uint8_t kSecureDefault = bit(KeyScheme::kEcdsaP256) | bit(KeyScheme::kEd25519);

}  // namespace

std::string_view scheme_setting_word(KeyScheme scheme) {
  for (const Word& w : kWords) {
    if (w.scheme == scheme) return w.word;
  }
  return "unknown";
}

Result<KeyScheme> scheme_from_setting_word(std::string_view word) {
  for (const Word& w : kWords) {
    if (w.word == word) return w.scheme;
  }
  return make_error(ErrorCode::kInvalidValue,
                    std::string(kAllowedSchemesSetting) + ": unknown signature algorithm \"" +
                        std::string(word) + "\"; allowed: ed25519, ecdsa-p256, rsa-pss");
}

AllowedSchemes::AllowedSchemes() : bits_(kSecureDefault) {}

AllowedSchemes AllowedSchemes::every_supported() {
  std::uint8_t bits = 0;
  for (const Word& w : kWords) bits = static_cast<std::uint8_t>(bits | bit(w.scheme));
  return AllowedSchemes(bits);
}

Result<AllowedSchemes> AllowedSchemes::from_words(const std::set<std::string, std::less<>>& words) {
  std::uint8_t bits = 0;
  for (const std::string& word : words) {
    DSS_TRY(const KeyScheme s, scheme_from_setting_word(word));
    bits = static_cast<std::uint8_t>(bits | bit(s));
  }
  if (bits == 0) {
    return make_error(ErrorCode::kInvalidValue, std::string(kAllowedSchemesSetting) +
                                                    ": at least one signature algorithm is "
                                                    "needed; allowed: ed25519, ecdsa-p256, "
                                                    "rsa-pss");
  }
  return AllowedSchemes(bits);
}

AllowedSchemes AllowedSchemes::from_setting(const std::set<std::string, std::less<>>& words) {
  auto parsed = from_words(words);
  return parsed ? *parsed : AllowedSchemes{};
}

bool AllowedSchemes::allows(KeyScheme scheme) const { return (bits_ & bit(scheme)) != 0; }

bool AllowedSchemes::allows(const PublicKey& key) const {
  return key.usable() && allows(key.scheme());
}

Status AllowedSchemes::check(const PublicKey& key, std::string_view what) const {
  if (allows(key)) return ok();
  if (!key.usable()) {
    return make_error(ErrorCode::kUnsupported, std::string(what) + " has an unsupported scheme \"" +
                                                   key.scheme_name() + "\"");
  }
  return make_error(ErrorCode::kUnsupported,
                    std::string(what) + " is a " + std::string(key_scheme_name(key.scheme())) +
                        " key, and " + std::string(kAllowedSchemesSetting) + " is " + to_string() +
                        ". " + how_to_allow(key.scheme()));
}

std::string AllowedSchemes::to_string() const {
  std::string out;
  for (const Word& w : kWords) {
    if (!allows(w.scheme)) continue;
    if (!out.empty()) out += ",";
    out += w.word;
  }
  return out;
}

std::string how_to_allow(KeyScheme scheme) {
  return "To accept " + std::string(key_scheme_name(scheme)) + " signatures, add \"" +
         std::string(scheme_setting_word(scheme)) + "\" to " + std::string(kAllowedSchemesSetting) +
         " (`dss settings set " + std::string(kAllowedSchemesSetting) +
         " ...`; a loosening you must acknowledge)";
}

}  // namespace dss::crypto
