#include "identity/totp.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace dss::identity {
namespace {

// RFC 6238 Appendix B / RFC 4226 Appendix D: the ASCII key "12345678901234567890".
const std::string kRfcKey = "12345678901234567890";
ByteView rfc_key() { return as_bytes(kRfcKey); }

ErrorCode verify_code(ByteView secret, std::string_view code, std::int64_t now,
                      std::int64_t last_used) {
  auto r = verify_totp(secret, code, now, last_used);
  return r ? ErrorCode::kOk : r.error().code;
}

TEST(Totp, MatchesRfc6238AppendixBSha1Vectors) {
  // The RFC lists 8-digit codes; a 6-digit code is the same value mod 10^6, i.e. the last six.
  const std::pair<std::int64_t, std::string> vectors[] = {
      {59, "94287082"},         {1111111109, "07081804"}, {1111111111, "14050471"},
      {1234567890, "89005924"}, {2000000000, "69279037"}, {20000000000, "65353130"}};
  for (const auto& [t, code8] : vectors) {
    EXPECT_EQ(totp_code(rfc_key(), t), code8.substr(2)) << "T=" << t;
  }
}

TEST(Totp, MatchesRfc4226AppendixDHotpVectors) {
  const char* expected[] = {"755224", "287082", "359152", "969429", "338314",
                            "254676", "287922", "162583", "399871", "520489"};
  for (std::int64_t counter = 0; counter < 10; ++counter) {
    EXPECT_EQ(totp_code(rfc_key(), counter * 30), expected[counter]) << counter;
  }
}

TEST(Totp, AcceptsOneStepOfDriftEitherWay) {
  const SecretBytes secret = generate_totp_secret();
  const std::int64_t now = 1'900'000'015;
  const std::int64_t step = totp_step(now);
  for (std::int64_t d : {-1, 0, 1}) {
    auto r = verify_totp(secret.view(), totp_code(secret.view(), now + d * 30), now, -1);
    ASSERT_TRUE(r) << d;
    EXPECT_EQ(*r, step + d);
  }
}

TEST(Totp, RefusesTwoStepsOfDrift) {
  const SecretBytes secret = generate_totp_secret();
  const std::int64_t now = 1'900'000'015;
  EXPECT_EQ(verify_code(secret.view(), totp_code(secret.view(), now - 60), now, -1),
            ErrorCode::kMfaInvalid);
  EXPECT_EQ(verify_code(secret.view(), totp_code(secret.view(), now + 60), now, -1),
            ErrorCode::kMfaInvalid);
}

TEST(Totp, RefusesReplayedCode) {
  const SecretBytes secret = generate_totp_secret();
  const std::int64_t now = 1'900'000'015;
  const std::string code = totp_code(secret.view(), now);
  auto first = verify_totp(secret.view(), code, now, -1);
  ASSERT_TRUE(first);
  EXPECT_EQ(verify_code(secret.view(), code, now, *first), ErrorCode::kMfaReplay);
  EXPECT_EQ(verify_code(secret.view(), code, now + 20, *first), ErrorCode::kMfaReplay);
  // An older, still-in-window code is refused too once a newer one was used.
  EXPECT_EQ(verify_code(secret.view(), totp_code(secret.view(), now - 30), now, *first),
            ErrorCode::kMfaReplay);
  // The next step's code still works.
  EXPECT_EQ(verify_code(secret.view(), totp_code(secret.view(), now + 30), now + 30, *first),
            ErrorCode::kOk);
}

TEST(Totp, RefusesWrongCode) {
  const std::int64_t now = 59;  // code 287082 (RFC vector)
  EXPECT_EQ(verify_code(rfc_key(), "287083", now, -1), ErrorCode::kMfaInvalid);
  EXPECT_EQ(verify_code(rfc_key(), "287082", now, -1), ErrorCode::kOk);
}

TEST(Totp, RefusesCodeThatIsNotSixAsciiDigits) {
  for (const std::string_view code : {"", "28708", "2870822", "28708a", " 287082", "287 082",
                                      "\uff12\uff18\uff17\uff10\uff18\uff12"}) {
    EXPECT_EQ(verify_code(rfc_key(), code, 59, -1), ErrorCode::kMalformed) << code;
  }
}

TEST(Totp, RefusesEmptySecret) {
  EXPECT_EQ(verify_code({}, "123456", 59, -1), ErrorCode::kInvalidArgument);
}

TEST(Totp, StepsFloorBeforeTheEpoch) {
  EXPECT_EQ(totp_step(0), 0);
  EXPECT_EQ(totp_step(29), 0);
  EXPECT_EQ(totp_step(30), 1);
  EXPECT_EQ(totp_step(-1), -1);
  EXPECT_EQ(totp_step(-30), -1);
  EXPECT_EQ(totp_step(-31), -2);
}

TEST(Totp, SecretsAreTwentyRandomBytes) {
  std::set<std::string> seen;
  for (int i = 0; i < 20; ++i) {
    const SecretBytes s = generate_totp_secret();
    EXPECT_EQ(s.size(), 20u);
    seen.insert(base32_encode(s.view()));
  }
  EXPECT_EQ(seen.size(), 20u);
}

TEST(Base32, MatchesRfc4648Vectors) {
  const std::pair<std::string, std::string> vectors[] = {{"", ""},
                                                         {"f", "MY"},
                                                         {"fo", "MZXQ"},
                                                         {"foo", "MZXW6"},
                                                         {"foob", "MZXW6YQ"},
                                                         {"fooba", "MZXW6YTB"},
                                                         {"foobar", "MZXW6YTBOI"}};
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(base32_encode(as_bytes(plain)), encoded);
    auto back = base32_decode(encoded);
    ASSERT_TRUE(back) << encoded;
    EXPECT_EQ(as_chars(back->view()), plain);
  }
}

TEST(Base32, AcceptsLowercaseSpacesHyphensAndPadding) {
  auto a = base32_decode("mzxw 6ytb-oi======");
  ASSERT_TRUE(a);
  EXPECT_EQ(as_chars(a->view()), "foobar");
}

TEST(Base32, RefusesCharactersOutsideTheAlphabetAndImpossibleLengths) {
  for (const std::string_view text :
       {"MZXW6YT1", "MZXW6YT8", "MZ=XW", "M", "MZX", "MZXW6Y", "M\xc3\xa9"}) {
    auto r = base32_decode(text);
    ASSERT_FALSE(r) << text;
    EXPECT_EQ(r.error().code, ErrorCode::kMalformed);
  }
}

TEST(TotpUri, PercentEncodesIssuerAndAccount) {
  EXPECT_EQ(totp_uri("DSS Corp", "ingrid@example.com", as_bytes("foobar")),
            "otpauth://totp/DSS%20Corp:ingrid%40example.com?secret=MZXW6YTBOI&issuer=DSS%20Corp"
            "&algorithm=SHA1&digits=6&period=30");
  const std::string hostile = totp_uri("a&b=c", "x?y#z", as_bytes("f"));
  EXPECT_EQ(hostile.find('#'), std::string::npos);
  EXPECT_NE(hostile.find("issuer=a%26b%3Dc&"), std::string::npos) << hostile;
}

}  // namespace
}  // namespace dss::identity
