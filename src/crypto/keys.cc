#include "crypto/keys.h"

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <sodium.h>

#include "crypto/hash.h"

namespace dss::crypto {

namespace {

struct EvpPkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct EvpMdCtxFree {
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
};
struct BioFree {
  void operator()(BIO* p) const { BIO_free(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, EvpPkeyFree>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, EvpMdCtxFree>;
using BioPtr = std::unique_ptr<BIO, BioFree>;

constexpr int kMinRsaBits = 2048;

tl::unexpected<Error> bad_signature(std::string_view why) {
  return make_error(ErrorCode::kUnsigned, "signature is not valid: " + std::string(why));
}

std::string bio_to_string(BIO* bio) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  return n > 0 ? std::string(data, static_cast<std::size_t>(n)) : std::string();
}

// Parses a PEM public key and checks it is the kind the scheme requires.
Result<PkeyPtr> parse_pem_public(KeyScheme scheme, std::string_view pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return make_error(ErrorCode::kInternal, "out of memory");
  PkeyPtr key(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
  if (!key)
    return make_error(ErrorCode::kMalformed, "public key is not a PEM SubjectPublicKeyInfo");
  if (scheme == KeyScheme::kEcdsaP256) {
    char group[64] = {};
    std::size_t len = 0;
    if (!EVP_PKEY_is_a(key.get(), "EC") ||
        EVP_PKEY_get_utf8_string_param(key.get(), OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
                                       &len) != 1 ||
        std::string_view(group, len) != "prime256v1") {
      return make_error(ErrorCode::kUnsupported, "ecdsa-sha2-nistp256 key is not on curve P-256");
    }
  } else {
    if (!EVP_PKEY_is_a(key.get(), "RSA")) {
      return make_error(ErrorCode::kUnsupported, "rsassa-pss-sha256 key is not an RSA key");
    }
    if (EVP_PKEY_get_bits(key.get()) < kMinRsaBits) {
      return make_error(ErrorCode::kUnsupported, "RSA key is shorter than 2048 bits");
    }
  }
  return key;
}

std::string spki_der(EVP_PKEY* key) {
  unsigned char* der = nullptr;
  const int n = i2d_PUBKEY(key, &der);
  std::string out = n > 0 ? std::string(reinterpret_cast<char*>(der), static_cast<std::size_t>(n))
                          : std::string();
  OPENSSL_free(der);
  return out;
}

std::string pem_public(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PUBKEY(bio.get(), key) != 1) return {};
  return bio_to_string(bio.get());
}

// Sets RSA-PSS padding on a digest context; verify accepts any salt length (as securesystemslib).
bool configure_pss(EVP_PKEY_CTX* pctx, bool signing) {
  return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
         EVP_PKEY_CTX_set_rsa_pss_saltlen(
             pctx, signing ? RSA_PSS_SALTLEN_DIGEST : RSA_PSS_SALTLEN_AUTO) == 1;
}

}  // namespace

struct PublicKey::Material {
  Bytes ed25519;  // 32 bytes
  PkeyPtr pkey;   // ECDSA / RSA
};

struct PrivateKey::Material {
  SecretBytes ed25519_sk;  // libsodium 64-byte secret key (seed || public)
  PkeyPtr pkey;
};

Result<KeyScheme> key_scheme_from_name(std::string_view scheme) {
  if (scheme == "ed25519") return KeyScheme::kEd25519;
  if (scheme == "ecdsa-sha2-nistp256") return KeyScheme::kEcdsaP256;
  if (scheme == "rsassa-pss-sha256") return KeyScheme::kRsaPssSha256;
  return make_error(ErrorCode::kUnsupported, "unsupported signature scheme \"" +
                                                 std::string(scheme) +
                                                 "\" (supported: ed25519, ecdsa-sha2-nistp256, "
                                                 "rsassa-pss-sha256)");
}

std::string_view key_scheme_name(KeyScheme scheme) {
  switch (scheme) {
    case KeyScheme::kEd25519:
      return "ed25519";
    case KeyScheme::kEcdsaP256:
      return "ecdsa-sha2-nistp256";
    case KeyScheme::kRsaPssSha256:
      return "rsassa-pss-sha256";
  }
  return "unknown";
}

namespace {

std::string_view default_keytype(KeyScheme scheme) {
  switch (scheme) {
    case KeyScheme::kEd25519:
      return "ed25519";
    case KeyScheme::kEcdsaP256:
      return "ecdsa";
    case KeyScheme::kRsaPssSha256:
      return "rsa";
  }
  return "unknown";
}

bool keytype_matches(KeyScheme scheme, std::string_view keytype) {
  switch (scheme) {
    case KeyScheme::kEd25519:
      return keytype == "ed25519";
    case KeyScheme::kEcdsaP256:
      return keytype == "ecdsa" || keytype == "ecdsa-sha2-nistp256";
    case KeyScheme::kRsaPssSha256:
      return keytype == "rsa";
  }
  return false;
}

}  // namespace

Result<PublicKey> PublicKey::from_json(json::Element key) {
  DSS_TRY(json::Object obj, json::get_object(key, "key"));
  DSS_TRY(json::Element keytype, json::field(obj, "keytype", "key"));
  DSS_TRY(json::Element scheme, json::field(obj, "scheme", "key"));
  DSS_TRY(json::Element keyval_el, json::field(obj, "keyval", "key"));
  DSS_TRY(json::Object keyval, json::get_object(keyval_el, "key.keyval"));
  DSS_TRY(json::Element pub_el, json::field(keyval, "public", "key.keyval"));

  DSS_TRY(std::string_view keytype_s, json::get_string(keytype, "key.keytype"));
  DSS_TRY(std::string_view scheme_s, json::get_string(scheme, "key.scheme"));
  DSS_TRY(std::string_view pub_s, json::get_string(pub_el, "key.keyval.public"));
  DSS_TRY(std::string canonical, json::canonical(key));
  return from_parts(keytype_s, scheme_s, pub_s, std::move(canonical));
}

PublicKey PublicKey::from_parts(std::string_view keytype, std::string_view scheme,
                                std::string_view public_value, std::string canonical) {
  PublicKey out;
  out.canonical_ = std::move(canonical);
  out.keytype_ = keytype;
  out.scheme_name_ = scheme;
  out.public_value_ = public_value;
  out.fingerprint_ = out.scheme_name_ + ":" + out.public_value_;

  auto parsed_scheme = key_scheme_from_name(scheme);
  if (!parsed_scheme || !keytype_matches(*parsed_scheme, keytype)) return out;  // unusable
  out.scheme_ = *parsed_scheme;
  auto material = std::make_shared<Material>();
  if (out.scheme_ == KeyScheme::kEd25519) {
    auto raw = hex_decode(public_value);
    if (!raw || raw->size() != crypto_sign_PUBLICKEYBYTES) return out;
    material->ed25519 = std::move(*raw);
    out.fingerprint_ = "ed25519:" + hex_encode(material->ed25519);
  } else {
    auto pkey = parse_pem_public(out.scheme_, public_value);
    if (!pkey) return out;
    material->pkey = std::move(*pkey);
    out.fingerprint_ = std::string(key_scheme_name(out.scheme_)) + ":" +
                       hex_encode(as_bytes(spki_der(material->pkey.get())));
  }
  out.material_ = std::move(material);
  return out;
}

Result<PublicKey> PublicKey::create(KeyScheme scheme, std::string_view public_value) {
  json::ObjectBuilder keyval;
  keyval.str("public", public_value);
  json::ObjectBuilder b;
  b.str("keytype", default_keytype(scheme)).str("scheme", key_scheme_name(scheme));
  b.raw("keyval", keyval.finish());
  PublicKey key =
      from_parts(default_keytype(scheme), key_scheme_name(scheme), public_value, b.finish());
  if (!key.usable()) {
    return make_error(ErrorCode::kMalformed, "public key material does not decode for scheme " +
                                                 std::string(key_scheme_name(scheme)));
  }
  return key;
}

std::string PublicKey::keyid() const { return sha256_hex(canonical_); }

Status PublicKey::verify(ByteView message, ByteView signature) const {
  if (!material_) {
    return make_error(ErrorCode::kUnsupported,
                      "key uses the unsupported or undecodable scheme \"" + scheme_name_ + "\"");
  }
  if (scheme_ == KeyScheme::kEd25519) {
    if (signature.size() != crypto_sign_BYTES) return bad_signature("ed25519 signature length");
    // libsodium rejects non-canonical S and small-order points (strict verification).
    if (crypto_sign_verify_detached(signature.data(), message.data(), message.size(),
                                    material_->ed25519.data()) != 0) {
      return bad_signature("ed25519 verification failed");
    }
    return ok();
  }
  MdCtxPtr ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  if (!ctx ||
      EVP_DigestVerifyInit(ctx.get(), &pctx, EVP_sha256(), nullptr, material_->pkey.get()) != 1) {
    return make_error(ErrorCode::kInternal, "OpenSSL could not start verification");
  }
  if (scheme_ == KeyScheme::kRsaPssSha256 && !configure_pss(pctx, false)) {
    return make_error(ErrorCode::kInternal, "OpenSSL could not configure RSA-PSS");
  }
  if (EVP_DigestVerify(ctx.get(), signature.data(), signature.size(), message.data(),
                       message.size()) != 1) {
    return bad_signature(scheme_ == KeyScheme::kEcdsaP256 ? "ecdsa verification failed"
                                                          : "rsa-pss verification failed");
  }
  return ok();
}

Result<PrivateKey> PrivateKey::generate(KeyScheme scheme) {
  ensure_sodium_initialised();
  if (scheme == KeyScheme::kEd25519) {
    SecretBytes seed(crypto_sign_SEEDBYTES);
    randombytes_buf(seed.data(), seed.size());
    return from_secret(scheme, seed);
  }
  PkeyPtr key(scheme == KeyScheme::kEcdsaP256
                  ? EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256")
                  : EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<std::size_t>(3072)));
  if (!key) return make_error(ErrorCode::kInternal, "OpenSSL key generation failed");
  PrivateKey out;
  DSS_TRY(out.public_, PublicKey::create(scheme, pem_public(key.get())));
  auto material = std::make_shared<Material>();
  material->pkey = std::move(key);
  out.material_ = std::move(material);
  return out;
}

Result<PrivateKey> PrivateKey::from_secret(KeyScheme scheme, const SecretBytes& secret) {
  ensure_sodium_initialised();
  auto material = std::make_shared<Material>();
  PrivateKey out;
  if (scheme == KeyScheme::kEd25519) {
    if (secret.size() != crypto_sign_SEEDBYTES) {
      return make_error(ErrorCode::kMalformed, "ed25519 secret key must be a 32-byte seed");
    }
    Bytes pk(crypto_sign_PUBLICKEYBYTES);
    material->ed25519_sk = SecretBytes(crypto_sign_SECRETKEYBYTES);
    crypto_sign_seed_keypair(pk.data(), material->ed25519_sk.data(), secret.data());
    DSS_TRY(out.public_, PublicKey::create(scheme, hex_encode(pk)));
  } else {
    const unsigned char* p = secret.data();
    PkeyPtr key(d2i_AutoPrivateKey(nullptr, &p, static_cast<long>(secret.size())));
    if (!key) return make_error(ErrorCode::kMalformed, "secret key is not PKCS#8 DER");
    DSS_TRY(out.public_, PublicKey::create(scheme, pem_public(key.get())));
    material->pkey = std::move(key);
  }
  out.material_ = std::move(material);
  return out;
}

Result<SecretBytes> PrivateKey::secret() const {
  if (public_.scheme() == KeyScheme::kEd25519) {
    return SecretBytes(material_->ed25519_sk.data(), crypto_sign_SEEDBYTES);
  }
  const int n = i2d_PrivateKey(material_->pkey.get(), nullptr);
  if (n <= 0) return make_error(ErrorCode::kInternal, "OpenSSL could not encode the private key");
  SecretBytes out(static_cast<std::size_t>(n));
  unsigned char* p = out.data();
  if (i2d_PrivateKey(material_->pkey.get(), &p) != n) {
    return make_error(ErrorCode::kInternal, "OpenSSL could not encode the private key");
  }
  return out;
}

Result<Bytes> PrivateKey::sign(ByteView message) const {
  if (public_.scheme() == KeyScheme::kEd25519) {
    Bytes sig(crypto_sign_BYTES);
    crypto_sign_detached(sig.data(), nullptr, message.data(), message.size(),
                         material_->ed25519_sk.data());
    return sig;
  }
  MdCtxPtr ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  if (!ctx ||
      EVP_DigestSignInit(ctx.get(), &pctx, EVP_sha256(), nullptr, material_->pkey.get()) != 1 ||
      (public_.scheme() == KeyScheme::kRsaPssSha256 && !configure_pss(pctx, true))) {
    return make_error(ErrorCode::kInternal, "OpenSSL could not start signing");
  }
  std::size_t len = 0;
  if (EVP_DigestSign(ctx.get(), nullptr, &len, message.data(), message.size()) != 1) {
    return make_error(ErrorCode::kInternal, "OpenSSL signing failed");
  }
  Bytes sig(len);
  if (EVP_DigestSign(ctx.get(), sig.data(), &len, message.data(), message.size()) != 1) {
    return make_error(ErrorCode::kInternal, "OpenSSL signing failed");
  }
  sig.resize(len);
  return sig;
}

}  // namespace dss::crypto
