// Seals the few secrets the server must be able to read back (TOTP seeds) with a key kept
// outside the database: <state>/secret.key, 32 random bytes, 0600, created on first use.
// XChaCha20-Poly1305 (libsodium) with the owner of the secret as associated data, so a sealed
// seed copied to another account's row does not open. A stolen database (or backup) alone
// reveals no seed; restoring a backup on another machine needs this key file too.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "core/bytes.h"
#include "core/result.h"

namespace dss::server {

class SecretBox {
 public:
  static Result<SecretBox> open_or_create(const std::filesystem::path& key_file);
  // base64(nonce || ciphertext)
  [[nodiscard]] Result<std::string> seal(ByteView secret, std::string_view context) const;
  [[nodiscard]] Result<SecretBytes> open(std::string_view sealed, std::string_view context) const;

 private:
  explicit SecretBox(SecretBytes key) : key_(std::move(key)) {}
  SecretBytes key_;
};

}  // namespace dss::server
