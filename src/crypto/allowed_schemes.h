// Which signature schemes DSS accepts: the setting crypto.allowed_signature_algorithms, parsed
// once into a value that every verifying component takes (the TUF trusted set, the agent,
// policy bundles through TUF, transparency checkpoints, device check-ins).
//
// The setting's words map to TUF scheme names here, and only here:
//   ed25519     ed25519
//   ecdsa-p256  ecdsa-sha2-nistp256
//   rsa-pss     rsassa-pss-sha256
//
// A default-constructed value is the secure default (ecdsa-p256 and ed25519), so a component
// that is not told otherwise refuses RSA. Immutable; thread-safe.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include "core/result.h"
#include "crypto/keys.h"

namespace dss::crypto {

inline constexpr std::string_view kAllowedSchemesSetting = "crypto.allowed_signature_algorithms";

// The setting's word for a scheme ("ed25519", "ecdsa-p256", "rsa-pss").
std::string_view scheme_setting_word(KeyScheme scheme);
// kInvalidValue for a word the setting does not know.
Result<KeyScheme> scheme_from_setting_word(std::string_view word);

class AllowedSchemes {
 public:
  // The secure default: ecdsa-p256 and ed25519.
  AllowedSchemes();
  // Every scheme DSS implements. For tools that check a repository's own signatures, never
  // for a device that accepts software.
  static AllowedSchemes every_supported();
  // The setting's members (its words). kInvalidValue for an unknown word or an empty set.
  static Result<AllowedSchemes> from_words(const std::set<std::string, std::less<>>& words);
  // The setting's value as settings::Snapshot gives it (key::kCryptoAllowedSignatureAlgorithms).
  // Its declaration admits only the words above, so from_words fails only on an empty set or
  // a declaration out of step with this file: then the secure default (fail closed).
  static AllowedSchemes from_setting(const std::set<std::string, std::less<>>& words);

  [[nodiscard]] bool allows(KeyScheme scheme) const;
  // A usable key whose scheme is allowed. An unusable key (unknown scheme) is never allowed.
  [[nodiscard]] bool allows(const PublicKey& key) const;
  // kUnsupported naming the setting and how to loosen it, when `key` is not allowed. `what`
  // says whose key it is ("the device key", "the log's checkpoint key").
  [[nodiscard]] Status check(const PublicKey& key, std::string_view what) const;
  // The setting's text form, words sorted ("ecdsa-p256,ed25519").
  [[nodiscard]] std::string to_string() const;
  friend bool operator==(const AllowedSchemes&, const AllowedSchemes&) = default;

 private:
  explicit AllowedSchemes(std::uint8_t bits) : bits_(bits) {}
  std::uint8_t bits_;
};

// The sentence that tells a user how to accept `scheme` (used in refusals).
std::string how_to_allow(KeyScheme scheme);

}  // namespace dss::crypto
