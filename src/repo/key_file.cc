#include "repo/key_file.h"

#include <sodium.h>

#include "core/json.h"

namespace dss::repo {

namespace {

constexpr std::string_view kFormat = "dss-key-v1";

std::string associated_data(std::string_view role, const crypto::PublicKey& key) {
  return std::string(kFormat) + "\n" + std::string(role) + "\n" + key.canonical_json();
}

Result<std::string_view> string_field(json::Object o, std::string_view key) {
  DSS_TRY(json::Element e, json::field(o, key, "key file"));
  return json::get_string(e, "key file field " + std::string(key));
}

struct Parsed {
  KeyFileInfo info;
  std::int64_t opslimit = 0;
  std::int64_t memlimit = 0;
  Bytes salt, nonce, ciphertext;
};

Result<Parsed> parse(std::string_view text) {
  json::JsonParser parser;
  DSS_TRY(json::Element doc, parser.parse_copy(text));
  DSS_TRY(json::Object o, json::get_object(doc, "key file"));
  DSS_TRY(std::string_view format, string_field(o, "format"));
  if (format != kFormat) {
    return make_error(ErrorCode::kMalformed,
                      "not a DSS key file (format \"" + std::string(format) + "\")");
  }
  Parsed p;
  DSS_TRY(std::string_view role, string_field(o, "role"));
  p.info.role = role;
  DSS_TRY(json::Element pub, json::field(o, "public", "key file"));
  DSS_TRY(p.info.public_key, crypto::PublicKey::from_json(pub));
  p.info.keyid = p.info.public_key.keyid();
  DSS_TRY(json::Element kdf_el, json::field(o, "kdf", "key file"));
  DSS_TRY(json::Object kdf, json::get_object(kdf_el, "key file kdf"));
  DSS_TRY(std::string_view alg, string_field(kdf, "alg"));
  if (alg != "argon2id13") {
    return make_error(ErrorCode::kUnsupported, "key file uses unknown KDF " + std::string(alg));
  }
  DSS_TRY(json::Element ops, json::field(kdf, "opslimit", "key file kdf"));
  DSS_TRY(p.opslimit, json::get_int(ops, "kdf.opslimit"));
  DSS_TRY(json::Element mem, json::field(kdf, "memlimit", "key file kdf"));
  DSS_TRY(p.memlimit, json::get_int(mem, "kdf.memlimit"));
  DSS_TRY(std::string_view salt, string_field(kdf, "salt"));
  DSS_TRY(p.salt, hex_decode(salt));
  DSS_TRY(std::string_view cipher, string_field(o, "cipher"));
  if (cipher != "xchacha20poly1305-ietf") {
    return make_error(ErrorCode::kUnsupported,
                      "key file uses unknown cipher " + std::string(cipher));
  }
  DSS_TRY(std::string_view nonce, string_field(o, "nonce"));
  DSS_TRY(p.nonce, hex_decode(nonce));
  DSS_TRY(std::string_view ct, string_field(o, "ciphertext"));
  DSS_TRY(p.ciphertext, hex_decode(ct));
  if (p.salt.size() != crypto_pwhash_SALTBYTES ||
      p.nonce.size() != crypto_aead_xchacha20poly1305_ietf_NPUBBYTES ||
      p.ciphertext.size() < crypto_aead_xchacha20poly1305_ietf_ABYTES ||
      p.opslimit < static_cast<std::int64_t>(crypto_pwhash_OPSLIMIT_MIN) ||
      p.memlimit < static_cast<std::int64_t>(crypto_pwhash_MEMLIMIT_MIN) ||
      p.memlimit > (std::int64_t{1} << 32)) {
    return make_error(ErrorCode::kMalformed, "key file has invalid KDF or cipher parameters");
  }
  return p;
}

Result<SecretBytes> derive(const SecretBytes& passphrase, ByteView salt, unsigned long long ops,
                           std::size_t mem) {
  if (passphrase.empty()) {
    return make_error(ErrorCode::kInvalidArgument,
                      "an empty passphrase is not allowed; choose a strong passphrase");
  }
  SecretBytes key(crypto_aead_xchacha20poly1305_ietf_KEYBYTES);
  if (crypto_pwhash(key.data(), key.size(), reinterpret_cast<const char*>(passphrase.data()),
                    passphrase.size(), salt.data(), ops, mem, crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return make_error(ErrorCode::kInternal, "Argon2id ran out of memory");
  }
  return key;
}

}  // namespace

KdfLimits KdfLimits::moderate() {
  return {crypto_pwhash_OPSLIMIT_MODERATE, crypto_pwhash_MEMLIMIT_MODERATE};
}
KdfLimits KdfLimits::interactive() {
  return {crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE};
}

Result<std::string> seal_key(const crypto::PrivateKey& key, std::string_view role,
                             const SecretBytes& passphrase, KdfLimits limits) {
  ensure_sodium_initialised();
  Bytes salt(crypto_pwhash_SALTBYTES);
  randombytes_buf(salt.data(), salt.size());
  Bytes nonce(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
  randombytes_buf(nonce.data(), nonce.size());
  DSS_TRY(SecretBytes k, derive(passphrase, salt, limits.opslimit, limits.memlimit));
  DSS_TRY(SecretBytes secret, key.secret());
  const std::string ad = associated_data(role, key.public_key());
  Bytes ct(secret.size() + crypto_aead_xchacha20poly1305_ietf_ABYTES);
  unsigned long long ct_len = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(ct.data(), &ct_len, secret.data(), secret.size(),
                                             reinterpret_cast<const unsigned char*>(ad.data()),
                                             ad.size(), nullptr, nonce.data(), k.data());
  ct.resize(static_cast<std::size_t>(ct_len));
  json::ObjectBuilder kdf;
  kdf.str("alg", "argon2id13")
      .integer("opslimit", static_cast<std::int64_t>(limits.opslimit))
      .integer("memlimit", static_cast<std::int64_t>(limits.memlimit))
      .str("salt", hex_encode(salt));
  json::ObjectBuilder b;
  b.str("format", kFormat).str("role", role).str("keyid", key.public_key().keyid());
  b.raw("public", key.public_key().canonical_json()).raw("kdf", kdf.finish());
  b.str("cipher", "xchacha20poly1305-ietf").str("nonce", hex_encode(nonce));
  b.str("ciphertext", hex_encode(ct));
  return json::escape_control_characters(b.finish()) + "\n";
}

Result<KeyFileInfo> peek_key_file(std::string_view text) {
  DSS_TRY(Parsed p, parse(text));
  return p.info;
}

Result<crypto::PrivateKey> open_key(std::string_view text, const SecretBytes& passphrase) {
  DSS_TRY(Parsed p, parse(text));
  DSS_TRY(SecretBytes k, derive(passphrase, p.salt, static_cast<unsigned long long>(p.opslimit),
                                static_cast<std::size_t>(p.memlimit)));
  const std::string ad = associated_data(p.info.role, p.info.public_key);
  SecretBytes secret(p.ciphertext.size() - crypto_aead_xchacha20poly1305_ietf_ABYTES);
  unsigned long long len = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(secret.data(), &len, nullptr, p.ciphertext.data(),
                                                 p.ciphertext.size(),
                                                 reinterpret_cast<const unsigned char*>(ad.data()),
                                                 ad.size(), p.nonce.data(), k.data()) != 0) {
    return make_error(ErrorCode::kDecryptFailed,
                      "cannot unlock the " + p.info.role + " key " + p.info.keyid.substr(0, 16) +
                          ": wrong passphrase, or the key file was modified");
  }
  DSS_TRY(crypto::PrivateKey key,
          crypto::PrivateKey::from_secret(p.info.public_key.scheme(), secret));
  if (key.public_key().fingerprint() != p.info.public_key.fingerprint()) {
    return make_error(ErrorCode::kDecryptFailed, "key file's secret does not match its public key");
  }
  return key;
}

}  // namespace dss::repo
