// Byte helpers, hex and base64 (backed by libsodium's constant-time codecs), and SecretBytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace dss {

using Bytes = std::vector<std::uint8_t>;
using ByteView = std::span<const std::uint8_t>;

inline ByteView as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}
inline std::string_view as_chars(ByteView b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

std::string hex_encode(ByteView data);
// Accepts lowercase or uppercase hex of even length; anything else is kMalformed.
Result<Bytes> hex_decode(std::string_view hex);

std::string base64_encode(ByteView data);  // standard alphabet, padded
Result<Bytes> base64_decode(std::string_view b64);

// Key material and passphrases. Zeroed on destruction, never printed, compared only in
// constant time. Move-only so that copies do not linger in memory.
class SecretBytes {
 public:
  SecretBytes() = default;
  explicit SecretBytes(std::size_t size);
  SecretBytes(const std::uint8_t* data, std::size_t size);
  static SecretBytes from_string(std::string_view s);
  ~SecretBytes();
  SecretBytes(SecretBytes&& other) noexcept;
  SecretBytes& operator=(SecretBytes&& other) noexcept;
  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;

  [[nodiscard]] std::uint8_t* data() { return data_.data(); }
  [[nodiscard]] const std::uint8_t* data() const { return data_.data(); }
  [[nodiscard]] std::size_t size() const { return data_.size(); }
  [[nodiscard]] bool empty() const { return data_.empty(); }
  [[nodiscard]] ByteView view() const { return {data_.data(), data_.size()}; }
  [[nodiscard]] SecretBytes clone() const { return SecretBytes(data_.data(), data_.size()); }

  // Constant-time equality; false when sizes differ.
  [[nodiscard]] bool equals(const SecretBytes& other) const;

 private:
  void wipe();
  std::vector<std::uint8_t> data_;
};

// Overwrites memory with zeros in a way the compiler may not elide (for temporary copies of
// secrets that cannot live in SecretBytes).
void secure_zero(void* data, std::size_t size);

// libsodium must be initialised once before use; safe to call repeatedly and from any thread.
void ensure_sodium_initialised();

}  // namespace dss
