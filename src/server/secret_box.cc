#include "server/secret_box.h"

#include <sodium.h>

#include "platform/files.h"

namespace dss::server {

namespace {
constexpr std::size_t kKeyBytes = crypto_aead_xchacha20poly1305_ietf_KEYBYTES;
constexpr std::size_t kNonceBytes = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
constexpr std::size_t kTagBytes = crypto_aead_xchacha20poly1305_ietf_ABYTES;
}  // namespace

Result<SecretBox> SecretBox::open_or_create(const std::filesystem::path& key_file) {
  std::error_code ec;
  if (!std::filesystem::exists(key_file, ec)) {
    SecretBytes key(kKeyBytes);
    randombytes_buf(key.data(), key.size());
    DSS_TRY_STATUS(platform::write_file_atomic(key_file, key.view(), platform::FileMode::kPrivate));
    return SecretBox(std::move(key));
  }
  DSS_TRY(Bytes raw, platform::read_file(key_file, kKeyBytes + 1));
  if (raw.size() != kKeyBytes) {
    secure_zero(raw.data(), raw.size());
    return make_error(ErrorCode::kMalformed,
                      key_file.string() +
                          " is not a 32-byte key; restore it from your backup "
                          "(without it, sign-in codes cannot be checked)");
  }
  SecretBox box(SecretBytes(raw.data(), raw.size()));
  secure_zero(raw.data(), raw.size());
  return box;
}

Result<std::string> SecretBox::seal(ByteView secret, std::string_view context) const {
  Bytes out(kNonceBytes + secret.size() + kTagBytes);
  randombytes_buf(out.data(), kNonceBytes);
  unsigned long long n = 0;
  if (crypto_aead_xchacha20poly1305_ietf_encrypt(
          out.data() + kNonceBytes, &n, secret.data(), secret.size(),
          reinterpret_cast<const unsigned char*>(context.data()), context.size(), nullptr,
          out.data(), key_.data()) != 0) {
    return make_error(ErrorCode::kInternal, "cannot seal a secret");
  }
  return base64_encode(out);
}

Result<SecretBytes> SecretBox::open(std::string_view sealed, std::string_view context) const {
  auto raw = base64_decode(sealed);
  if (!raw || raw->size() < kNonceBytes + kTagBytes) {
    return make_error(ErrorCode::kMalformed, "a sealed secret in the database is damaged");
  }
  SecretBytes out(raw->size() - kNonceBytes - kTagBytes);
  unsigned long long n = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          out.data(), &n, nullptr, raw->data() + kNonceBytes, raw->size() - kNonceBytes,
          reinterpret_cast<const unsigned char*>(context.data()), context.size(), raw->data(),
          key_.data()) != 0) {
    return make_error(ErrorCode::kDecryptFailed,
                      "a sealed secret does not open with this server's secret.key (a different "
                      "key, or a tampered database)");
  }
  return out;
}

}  // namespace dss::server
