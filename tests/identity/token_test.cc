#include "identity/token.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace dss::identity {
namespace {

bool is_base64url(std::string_view s) {
  for (char c : s) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

TEST(Token, CarriesTwoHundredFiftySixBitsOfBase64UrlAfterThePrefix) {
  std::set<std::string> seen;
  for (std::string_view prefix : {kSessionTokenPrefix, kApiTokenPrefix, kEnrolmentTokenPrefix}) {
    for (int i = 0; i < 50; ++i) {
      const std::string token = generate_token(prefix);
      ASSERT_EQ(token.rfind(prefix, 0), 0u);
      const std::string_view body = std::string_view(token).substr(prefix.size());
      EXPECT_EQ(body.size(), 43u);  // 32 bytes, base64url, no padding
      EXPECT_TRUE(is_base64url(body)) << token;
      seen.insert(token);
    }
  }
  EXPECT_EQ(seen.size(), 150u);
}

TEST(Token, StoredHashIsLowercaseHexSha256OfTheWholeToken) {
  EXPECT_EQ(token_hash("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  const std::string token = generate_token(kSessionTokenPrefix);
  const std::string hash = token_hash(token);
  EXPECT_EQ(hash.size(), 64u);
  EXPECT_EQ(hash.find(token), std::string::npos);
  EXPECT_NE(token_hash(token.substr(kSessionTokenPrefix.size())), hash);
}

TEST(Token, ConstantTimeEqualComparesWholeValues) {
  EXPECT_TRUE(constant_time_equal("", ""));
  EXPECT_TRUE(constant_time_equal("dss_s_abc", "dss_s_abc"));
  EXPECT_FALSE(constant_time_equal("dss_s_abc", "dss_s_abd"));
  EXPECT_FALSE(constant_time_equal("dss_s_abc", "dss_s_ab"));
  EXPECT_FALSE(constant_time_equal("", "a"));
}

TEST(SetupCode, HasAtLeastEightyBitsInTypableGroups) {
  std::set<std::string> seen;
  for (int i = 0; i < 50; ++i) {
    const std::string code = generate_setup_code();
    ASSERT_EQ(code.size(), 23u) << code;  // 4 x 5 characters of 5 bits = 100 bits, 3 dashes
    for (std::size_t j = 0; j < code.size(); ++j) {
      if (j % 6 == 5) {
        EXPECT_EQ(code[j], '-');
      } else {
        EXPECT_NE(std::string_view("0123456789abcdefghjkmnpqrstvwxyz").find(code[j]),
                  std::string_view::npos)
            << code;
      }
    }
    EXPECT_EQ(normalize_setup_code(code), code);
    seen.insert(code);
  }
  EXPECT_EQ(seen.size(), 50u);
}

TEST(SetupCode, NormalisesCaseSpacesDashesAndLookalikes) {
  EXPECT_EQ(normalize_setup_code(" 0AB1C DEF23-gh4jk mnPQR "), "0ab1c-def23-gh4jk-mnpqr");
  EXPECT_EQ(normalize_setup_code("OAB1CDEF23GH4JKMNPQR"), "0ab1c-def23-gh4jk-mnpqr");
  EXPECT_EQ(normalize_setup_code("oabic-def23-gh4jk-mnpqr"), "0ab1c-def23-gh4jk-mnpqr");
  EXPECT_EQ(normalize_setup_code("lAB1C-DEF23-GH4JK-MNPQR"), "1ab1c-def23-gh4jk-mnpqr");
}

TEST(SetupCode, RefusesWrongLengthOrCharacters) {
  EXPECT_EQ(normalize_setup_code(""), "");
  EXPECT_EQ(normalize_setup_code("0ab1c-def23-gh4jk-mnpq"), "");
  EXPECT_EQ(normalize_setup_code("0ab1c-def23-gh4jk-mnpqrs"), "");
  EXPECT_EQ(normalize_setup_code("0ab1c-def23-gh4jk-mnpqu"), "");  // u is not in the alphabet
  EXPECT_EQ(normalize_setup_code(std::string(1000, '-') + "0ab1cdef23gh4jkmnpqr"), "");
}

}  // namespace
}  // namespace dss::identity
