#include "core/bytes.h"

#include <sodium.h>

namespace dss {

void ensure_sodium_initialised() {
  // sodium_init is thread-safe and idempotent; a failure means no usable RNG: fail closed.
  static const int rc = sodium_init();
  DSS_CHECK(rc >= 0);
}

std::string hex_encode(ByteView data) {
  if (data.empty()) return {};
  std::string out(data.size() * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), data.data(), data.size());
  out.pop_back();
  return out;
}

Result<Bytes> hex_decode(std::string_view hex) {
  if (hex.size() % 2 != 0) {
    return make_error(ErrorCode::kMalformed, "hex string has an odd number of characters");
  }
  if (hex.empty()) return Bytes{};
  Bytes out(hex.size() / 2);
  std::size_t written = 0;
  const char* end = nullptr;
  if (sodium_hex2bin(out.data(), out.size(), hex.data(), hex.size(), nullptr, &written, &end) !=
          0 ||
      written != out.size() || end != hex.data() + hex.size()) {
    return make_error(ErrorCode::kMalformed, "not a valid hex string");
  }
  return out;
}

std::string base64_encode(ByteView data) {
  if (data.empty()) return {};
  const std::size_t len = sodium_base64_ENCODED_LEN(data.size(), sodium_base64_VARIANT_ORIGINAL);
  std::string out(len, '\0');
  sodium_bin2base64(out.data(), len, data.data(), data.size(), sodium_base64_VARIANT_ORIGINAL);
  out.resize(len - 1);
  return out;
}

Result<Bytes> base64_decode(std::string_view b64) {
  Bytes out(b64.size() / 4 * 3 + 3);
  std::size_t written = 0;
  const char* end = nullptr;
  if (sodium_base642bin(out.data(), out.size(), b64.data(), b64.size(), nullptr, &written, &end,
                        sodium_base64_VARIANT_ORIGINAL) != 0 ||
      end != b64.data() + b64.size()) {
    return make_error(ErrorCode::kMalformed, "not valid base64");
  }
  out.resize(written);
  return out;
}

SecretBytes::SecretBytes(std::size_t size) : data_(size, 0) {}
SecretBytes::SecretBytes(const std::uint8_t* data, std::size_t size) : data_(data, data + size) {}
SecretBytes SecretBytes::from_string(std::string_view s) {
  return SecretBytes(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
}
SecretBytes::~SecretBytes() { wipe(); }
SecretBytes::SecretBytes(SecretBytes&& other) noexcept : data_(std::move(other.data_)) {
  other.data_.clear();
}
SecretBytes& SecretBytes::operator=(SecretBytes&& other) noexcept {
  if (this != &other) {
    wipe();
    data_ = std::move(other.data_);
    other.data_.clear();
  }
  return *this;
}
void secure_zero(void* data, std::size_t size) {
  if (size != 0) sodium_memzero(data, size);
}

void SecretBytes::wipe() {
  if (!data_.empty()) sodium_memzero(data_.data(), data_.size());
}
bool SecretBytes::equals(const SecretBytes& other) const {
  if (data_.size() != other.data_.size()) return false;
  if (data_.empty()) return true;
  return sodium_memcmp(data_.data(), other.data_.data(), data_.size()) == 0;
}

}  // namespace dss
