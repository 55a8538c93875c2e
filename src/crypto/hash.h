// SHA-256 / SHA-512 through OpenSSL's EVP interface, one-shot and incremental.
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>

#include "core/bytes.h"

namespace dss::crypto {

enum class HashAlgorithm { kSha256, kSha512 };

// "sha256" / "sha512"; any other name is kUnsupported (TUF: unknown algorithms are rejected).
Result<HashAlgorithm> hash_algorithm_from_name(std::string_view name);
std::string_view hash_algorithm_name(HashAlgorithm alg);

Bytes digest(HashAlgorithm alg, ByteView data);
inline Bytes sha256(ByteView data) { return digest(HashAlgorithm::kSha256, data); }
inline std::string sha256_hex(std::string_view data) { return hex_encode(sha256(as_bytes(data))); }

// SHA-256 of the concatenation of `parts`, written to `out`, without allocating. Reuses a
// per-thread context: this is the hot path of the transparency log (a hash per leaf and node).
using Sha256Digest = std::array<std::uint8_t, 32>;
void sha256_concat(std::initializer_list<ByteView> parts, Sha256Digest& out);

class Hasher {
 public:
  explicit Hasher(HashAlgorithm alg);
  ~Hasher();
  Hasher(const Hasher&) = delete;
  Hasher& operator=(const Hasher&) = delete;
  void update(ByteView data);
  Bytes finish();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace dss::crypto
