// Signature keys as TUF names them, and strict verification.
//
//   keytype               scheme                 keyval.public        signature ("sig")
//   ed25519               ed25519                64 hex chars         hex, 64 bytes (libsodium)
//   ecdsa | ecdsa-sha2-nistp256  ecdsa-sha2-nistp256  PEM SubjectPublicKeyInfo (P-256 only)  hex
//   DER rsa                   rsassa-pss-sha256      PEM SubjectPublicKeyInfo (>= 2048 bits)   hex
//
// Key material is parsed once, when the key is loaded, so verify() is only the signature math.
// A key id is the hex SHA-256 of the canonical JSON of the key object (TUF 1.0 §4.2).
// Thread-safety: PublicKey and PrivateKey are immutable after construction; verify() and
// sign() may be called from any thread.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "core/bytes.h"
#include "core/json.h"

namespace dss::crypto {

enum class KeyScheme { kEd25519, kEcdsaP256, kRsaPssSha256 };

// "ed25519" | "ecdsa-sha2-nistp256" | "rsassa-pss-sha256"; anything else is kUnsupported.
Result<KeyScheme> key_scheme_from_name(std::string_view scheme);
std::string_view key_scheme_name(KeyScheme scheme);

class PublicKey {
 public:
  // Parses a TUF key object. Unknown members (e.g. "keyid_hash_algorithms") are kept so the
  // key's canonical form, and hence its id, is what the repository signed. A well-formed key
  // of an unknown scheme, or whose material does not decode, is accepted but unusable: its
  // signatures never count (as in python-tuf, so one odd key cannot break a whole root).
  // A key object missing "keytype", "scheme" or "keyval.public" is kMalformed.
  static Result<PublicKey> from_json(json::Element key);
  // Builds the standard key object for `public_value` (hex for ed25519, PEM otherwise).
  static Result<PublicKey> create(KeyScheme scheme, std::string_view public_value);

  // kUnsigned when `signature` is not a valid signature of `message` by this key, including
  // malformed, truncated and non-canonical signatures.
  [[nodiscard]] Status verify(ByteView message, ByteView signature) const;

  [[nodiscard]] bool usable() const { return material_ != nullptr; }
  [[nodiscard]] KeyScheme scheme() const { return scheme_; }
  [[nodiscard]] const std::string& scheme_name() const { return scheme_name_; }
  [[nodiscard]] const std::string& keytype() const { return keytype_; }
  [[nodiscard]] const std::string& public_value() const { return public_value_; }
  // Canonical JSON of the key object, exactly as listed in metadata.
  [[nodiscard]] const std::string& canonical_json() const { return canonical_; }
  // Identity of the key material itself (scheme + raw public key), for "distinct keys".
  [[nodiscard]] const std::string& fingerprint() const { return fingerprint_; }
  [[nodiscard]] std::string keyid() const;

 private:
  static PublicKey from_parts(std::string_view keytype, std::string_view scheme,
                              std::string_view public_value, std::string canonical);
  struct Material;
  KeyScheme scheme_ = KeyScheme::kEd25519;
  std::string keytype_;
  std::string scheme_name_;
  std::string public_value_;
  std::string canonical_;
  std::string fingerprint_;
  std::shared_ptr<const Material> material_;
};

class PrivateKey {
 public:
  static Result<PrivateKey> generate(KeyScheme scheme);
  // Secret form: the 32-byte seed for ed25519, PKCS#8 DER otherwise.
  static Result<PrivateKey> from_secret(KeyScheme scheme, const SecretBytes& secret);
  [[nodiscard]] Result<SecretBytes> secret() const;

  [[nodiscard]] Result<Bytes> sign(ByteView message) const;
  [[nodiscard]] const PublicKey& public_key() const { return public_; }

 private:
  struct Material;
  PublicKey public_;
  std::shared_ptr<const Material> material_;
};

}  // namespace dss::crypto
