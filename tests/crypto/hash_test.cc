#include "crypto/hash.h"

#include <gtest/gtest.h>

namespace dss::crypto {
namespace {

TEST(Hash, KnownAnswers) {
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(hex_encode(digest(HashAlgorithm::kSha512, as_bytes("abc"))).substr(0, 16),
            "ddaf35a193617aba");
}

TEST(Hash, IncrementalMatchesOneShot) {
  Hasher h(HashAlgorithm::kSha256);
  h.update(as_bytes("a"));
  h.update(as_bytes("bc"));
  EXPECT_EQ(hex_encode(h.finish()), sha256_hex("abc"));
}

TEST(Hash, UnknownAlgorithmIsRejected) {
  EXPECT_EQ(hash_algorithm_from_name("md5").error().code, ErrorCode::kUnsupported);
  EXPECT_EQ(hash_algorithm_from_name("SHA256").error().code, ErrorCode::kUnsupported);
  EXPECT_TRUE(hash_algorithm_from_name("sha512"));
}

}  // namespace
}  // namespace dss::crypto
