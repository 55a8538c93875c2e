#include "crypto/keys.h"

#include <gtest/gtest.h>

#include "crypto/hash.h"

namespace dss::crypto {
namespace {

class KeySchemes : public ::testing::TestWithParam<KeyScheme> {};

TEST_P(KeySchemes, SignatureVerifiesAndSecretRoundTrips) {
  auto key = PrivateKey::generate(GetParam());
  ASSERT_TRUE(key) << key.error().to_string();
  const std::string msg = R"({"_type":"root"})";
  auto sig = key->sign(as_bytes(msg));
  ASSERT_TRUE(sig);
  EXPECT_TRUE(key->public_key().verify(as_bytes(msg), *sig));

  auto secret = key->secret();
  ASSERT_TRUE(secret);
  auto again = PrivateKey::from_secret(GetParam(), *secret);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->public_key().keyid(), key->public_key().keyid());
  EXPECT_TRUE(again->public_key().verify(as_bytes(msg), *key->sign(as_bytes(msg))));
}

TEST_P(KeySchemes, RejectsSignatureOverAnotherMessage) {
  auto key = PrivateKey::generate(GetParam());
  ASSERT_TRUE(key);
  auto sig = key->sign(as_bytes("original"));
  ASSERT_TRUE(sig);
  EXPECT_EQ(key->public_key().verify(as_bytes("tampered"), *sig).error().code,
            ErrorCode::kUnsigned);
}

TEST_P(KeySchemes, RejectsSignatureByAnotherKey) {
  auto a = PrivateKey::generate(GetParam());
  auto b = PrivateKey::generate(GetParam());
  ASSERT_TRUE(a && b);
  auto sig = b->sign(as_bytes("m"));
  EXPECT_EQ(a->public_key().verify(as_bytes("m"), *sig).error().code, ErrorCode::kUnsigned);
}

TEST_P(KeySchemes, RejectsTruncatedAndEmptySignatures) {
  auto key = PrivateKey::generate(GetParam());
  ASSERT_TRUE(key);
  auto sig = *key->sign(as_bytes("m"));
  sig.pop_back();
  EXPECT_FALSE(key->public_key().verify(as_bytes("m"), sig));
  EXPECT_FALSE(key->public_key().verify(as_bytes("m"), Bytes{}));
}

INSTANTIATE_TEST_SUITE_P(AllSchemes, KeySchemes,
                         ::testing::Values(KeyScheme::kEd25519, KeyScheme::kEcdsaP256,
                                           KeyScheme::kRsaPssSha256));

TEST(Ed25519, RejectsNonCanonicalSignature) {
  // Adding the group order L to S yields a signature that lax verifiers accept (malleability).
  auto key = PrivateKey::generate(KeyScheme::kEd25519);
  ASSERT_TRUE(key);
  auto sig = *key->sign(as_bytes("m"));
  static const std::uint8_t kL[32] = {0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58,
                                      0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
                                      0,    0,    0,    0,    0,    0,    0,    0,
                                      0,    0,    0,    0,    0,    0,    0,    0x10};
  unsigned carry = 0;
  for (std::size_t i = 0; i < 32; ++i) {
    const unsigned sum = sig[32 + i] + kL[i] + carry;
    sig[32 + i] = static_cast<std::uint8_t>(sum & 0xff);
    carry = sum >> 8;
  }
  EXPECT_EQ(key->public_key().verify(as_bytes("m"), sig).error().code, ErrorCode::kUnsigned);
}

TEST(KeyId, IsSha256OfCanonicalKeyJson) {
  auto key = PublicKey::create(KeyScheme::kEd25519, std::string(64, 'a'));
  ASSERT_TRUE(key);
  const std::string expected_json = R"({"keytype":"ed25519","keyval":{"public":")" +
                                    std::string(64, 'a') + R"("},"scheme":"ed25519"})";
  EXPECT_EQ(key->canonical_json(), expected_json);
  EXPECT_EQ(key->keyid(), sha256_hex(expected_json));
}

TEST(KeyParsing, UnknownSchemeIsKeptButUnusable) {
  json::JsonParser p;
  auto e = p.parse_copy(
      R"({"keytype":"sphincs","scheme":"sphincs-shake","keyval":{"public":"00"},"x-extra":1})");
  ASSERT_TRUE(e);
  auto key = PublicKey::from_json(*e);
  ASSERT_TRUE(key);
  EXPECT_FALSE(key->usable());
  EXPECT_NE(key->canonical_json().find("x-extra"), std::string::npos);
  EXPECT_EQ(key->verify(as_bytes("m"), Bytes(64)).error().code, ErrorCode::kUnsupported);
}

TEST(KeyParsing, KeytypeMustMatchScheme) {
  json::JsonParser p;
  auto e = p.parse_copy(R"({"keytype":"rsa","scheme":"ed25519","keyval":{"public":")" +
                        std::string(64, 'a') + "\"}}");
  ASSERT_TRUE(e);
  auto key = PublicKey::from_json(*e);
  ASSERT_TRUE(key);
  EXPECT_FALSE(key->usable());
}

TEST(KeyParsing, MissingFieldsAreMalformed) {
  json::JsonParser p;
  for (const char* doc :
       {R"({"keytype":"ed25519","scheme":"ed25519"})",
        R"({"keytype":"ed25519","scheme":"ed25519","keyval":{}})",
        R"({"keytype":1,"scheme":"ed25519","keyval":{"public":"aa"}})", R"([])"}) {
    auto e = p.parse_copy(doc);
    ASSERT_TRUE(e);
    EXPECT_EQ(PublicKey::from_json(*e).error().code, ErrorCode::kMalformed) << doc;
  }
}

TEST(KeyParsing, EcdsaKeyOnWrongCurveIsUnusable) {
  // A P-384 key presented as ecdsa-sha2-nistp256.
  const char* p384 =
      "-----BEGIN PUBLIC KEY-----\n"
      "MHYwEAYHKoZIzj0CAQYFK4EEACIDYgAEsqb7mLHwTdqZLeySYHnQp7rD0Zm6rsSg\n"
      "3hcqfcuu7kqTXlzm0vXvWvHJYKD0Ra5LPKCz7MTKLHTqlqM2OXPJgdrlWb1cuQyr\n"
      "Q2DKc1l1OLn6kHjD8YFQw7Sy7D4mUl8P\n"
      "-----END PUBLIC KEY-----\n";
  EXPECT_FALSE(PublicKey::create(KeyScheme::kEcdsaP256, p384));
}

}  // namespace
}  // namespace dss::crypto
