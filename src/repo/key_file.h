// Private keys at rest. A key file is JSON:
//   {"format":"dss-key-v1","role":R,"keyid":K,"public":<TUF key object>,
//    "kdf":{"alg":"argon2id13","opslimit":N,"memlimit":N,"salt":hex},
//    "cipher":"xchacha20poly1305-ietf","nonce":hex,"ciphertext":hex}
// The secret (ed25519 seed or PKCS#8 DER) is encrypted with XChaCha20-Poly1305 under a key
// derived from the passphrase with Argon2id. The associated data binds the role and the public
// key, so a file whose fields were swapped or edited does not decrypt. Files are 0600.
#pragma once

#include <string>
#include <string_view>

#include "core/bytes.h"
#include "crypto/keys.h"

namespace dss::repo {

struct KdfLimits {
  unsigned long long opslimit;
  std::size_t memlimit;
  static KdfLimits moderate();     // the default: ~0.7 s and 256 MiB per unlock
  static KdfLimits interactive();  // for tests only
};

struct KeyFileInfo {
  std::string role;
  std::string keyid;
  crypto::PublicKey public_key;
};

// kInvalidArgument for an empty passphrase: there are no default passwords.
Result<std::string> seal_key(const crypto::PrivateKey& key, std::string_view role,
                             const SecretBytes& passphrase, KdfLimits limits);
// Reads the public part without the passphrase. kMalformed if the file is not a key file.
Result<KeyFileInfo> peek_key_file(std::string_view text);
// kDecryptFailed for a wrong passphrase or a tampered file.
Result<crypto::PrivateKey> open_key(std::string_view text, const SecretBytes& passphrase);

}  // namespace dss::repo
