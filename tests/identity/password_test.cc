#include "identity/password.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace dss::identity {
namespace {

// Random letters and digits that start and end with a letter, so the whole string is the
// password's "core" and no rule but length can apply (a random 12-letter dictionary word is
// not a risk worth a flaky test).
std::string random_password(std::size_t length) {
  static const std::string kLetters = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ";
  static const std::string kAll = kLetters + "23456789";
  std::random_device rd;
  std::string out;
  for (std::size_t i = 0; i < length; ++i) {
    const std::string& set = (i == 0 || i + 1 == length) ? kLetters : kAll;
    out.push_back(set[rd() % set.size()]);
  }
  return out;
}

std::string repeat(std::string_view unit, std::size_t n) {
  std::string out;
  for (std::size_t i = 0; i < n; ++i) out += unit;
  return out;
}

ErrorCode policy_code(std::string_view password, std::string_view account = {}) {
  auto st = check_password_policy(password, account);
  return st ? ErrorCode::kOk : st.error().code;
}

TEST(PasswordPolicy, AcceptsRandomTwelveCharacterPassword) {
  EXPECT_EQ(policy_code(random_password(12)), ErrorCode::kOk);
}

TEST(PasswordPolicy, RefusesElevenCodePoints) {
  EXPECT_EQ(policy_code(random_password(11)), ErrorCode::kWeakPassword);
}

TEST(PasswordPolicy, CountsCodePointsNotBytes) {
  // 11 two-byte characters (22 bytes) are still 11 characters; 12 pass.
  EXPECT_EQ(policy_code(repeat("\u00e4", 5) + repeat("\u00f6", 6)), ErrorCode::kWeakPassword);
  EXPECT_EQ(policy_code("\u00e4\u00f6\u00fc\u00df\u00e9\u00e8\u00e7\u00f1\u00f8\u00e5\u00e6\u0153"),
            ErrorCode::kOk);
}

TEST(PasswordPolicy, AcceptsExactly128CodePoints) {
  EXPECT_EQ(policy_code(random_password(128)), ErrorCode::kOk);
}

TEST(PasswordPolicy, RefusesMoreThan128CodePointsInsteadOfTruncating) {
  EXPECT_EQ(policy_code(random_password(129)), ErrorCode::kWeakPassword);
  EXPECT_EQ(policy_code(random_password(100000)), ErrorCode::kWeakPassword);
}

TEST(PasswordPolicy, RefusesBreachedPasswordCaseInsensitively) {
  ASSERT_TRUE(is_breached_password("password1234"));
  EXPECT_EQ(policy_code("password1234"), ErrorCode::kWeakPassword);
  EXPECT_EQ(policy_code("PassWord1234"), ErrorCode::kWeakPassword);
  EXPECT_EQ(policy_code("qwerty123456"), ErrorCode::kWeakPassword);
}

TEST(PasswordPolicy, RefusesBreachedPasswordTypedInFullwidthForm) {
  // NFKC turns fullwidth letters and digits into ASCII before the lookup.
  EXPECT_EQ(policy_code("\uff50\uff41\uff53\uff53\uff57\uff4f\uff52\uff44\uff11\uff12\uff13\uff14"),
            ErrorCode::kWeakPassword);
}

TEST(PasswordPolicy, RefusesCommonWordWithDigitsOrSymbolsAdded) {
  ASSERT_FALSE(is_breached_password("elephant2024!"));
  EXPECT_EQ(policy_code("Elephant2024!"), ErrorCode::kWeakPassword);
  EXPECT_EQ(policy_code("!!1990Elephant"), ErrorCode::kWeakPassword);
  // Two words are not one common word: a passphrase passes.
  EXPECT_EQ(policy_code("elephant kites orbit"), ErrorCode::kOk);
}

TEST(PasswordPolicy, RefusesSingleLongDictionaryWord) {
  EXPECT_EQ(policy_code("Counterintelligence"), ErrorCode::kWeakPassword);
}

TEST(PasswordPolicy, RefusesPasswordContainingAccountName) {
  const std::string password = "Zq7mK2vLw9Rt-Ingrid";
  EXPECT_EQ(policy_code(password), ErrorCode::kOk);
  EXPECT_EQ(policy_code(password, "ingrid"), ErrorCode::kWeakPassword);
  EXPECT_EQ(policy_code(password, "Ingrid@example.com"), ErrorCode::kWeakPassword);
  EXPECT_EQ(policy_code("ingrid@example.com", "ingrid@example.com"), ErrorCode::kWeakPassword);
  // A two-letter name only counts when it is the whole password (it would refuse too much).
  EXPECT_EQ(policy_code(password, "zq"), ErrorCode::kOk);
}

TEST(PasswordPolicy, RefusesPasswordBuiltOnServiceName) {
  EXPECT_EQ(policy_code("dss123456789!"), ErrorCode::kWeakPassword);
  EXPECT_EQ(policy_code("Our-DefaultSecure#9x"), ErrorCode::kWeakPassword);
}

TEST(PasswordPolicy, RefusesInvalidUtf8Cleanly) {
  EXPECT_EQ(policy_code("correct horse\xff battery"), ErrorCode::kWeakPassword);
  EXPECT_EQ(policy_code(std::string("\xc3\x28 twelve chars here")), ErrorCode::kWeakPassword);
  EXPECT_EQ(policy_code(std::string("\xed\xa0\x80 surrogate half")), ErrorCode::kWeakPassword);
}

TEST(PasswordPolicy, RefusesControlCharacters) {
  EXPECT_EQ(policy_code("Zq7mK2vL\tw9Rtx"), ErrorCode::kWeakPassword);
  EXPECT_EQ(policy_code(std::string("Zq7mK2vL\0w9Rtx", 14)), ErrorCode::kWeakPassword);
}

TEST(PasswordPolicy, MessagesNeverContainThePassword) {
  for (const std::string& password :
       {std::string("password1234"), std::string("Elephant2024!"), random_password(11),
        random_password(129), std::string("Zq7mK2vLw9Rt-Ingrid")}) {
    auto st = check_password_policy(password, "ingrid");
    ASSERT_FALSE(st);
    EXPECT_EQ(st.error().message.find(password), std::string::npos) << st.error().message;
    EXPECT_FALSE(st.error().message.empty());
  }
}

TEST(PasswordHash, IsArgon2idAtTheFloorAndVerifies) {
  const std::string password = random_password(16);
  auto hash = hash_password(password);
  ASSERT_TRUE(hash) << hash.error().to_string();
  EXPECT_EQ(hash->rfind("$argon2id$v=19$m=19456,t=2,p=1$", 0), 0u) << *hash;
  EXPECT_EQ(hash->find(password), std::string::npos);
  auto good = verify_password(password, *hash);
  ASSERT_TRUE(good);
  EXPECT_TRUE(*good);
  auto bad = verify_password(password + "x", *hash);
  ASSERT_TRUE(bad);
  EXPECT_FALSE(*bad);
  auto invalid = verify_password("\xff\xfe", *hash);
  ASSERT_TRUE(invalid);
  EXPECT_FALSE(*invalid);
}

TEST(PasswordHash, NeverTruncates) {
  const std::string password = random_password(128);
  auto hash = hash_password(password);
  ASSERT_TRUE(hash);
  auto prefix = verify_password(password.substr(0, 127), *hash);
  ASSERT_TRUE(prefix);
  EXPECT_FALSE(*prefix);
}

TEST(PasswordHash, VerifiesAcrossNfkcEquivalentForms) {
  // Fullwidth "Caf" + composed e-acute vs ASCII "Caf" + e and a combining acute accent.
  const std::string fullwidth = "\uff23\uff41\uff46\u00e9 \uff4f\uff52\uff42\uff49\uff54 42";
  const std::string decomposed = "Cafe\u0301 orbit 42";
  auto hash = hash_password(fullwidth);
  ASSERT_TRUE(hash);
  auto ok = verify_password(decomposed, *hash);
  ASSERT_TRUE(ok);
  EXPECT_TRUE(*ok);
}

TEST(PasswordHash, RefusesParametersBelowTheFloor) {
  EXPECT_EQ(hash_password("whatever long enough", {1, 19u * 1024 * 1024}).error().code,
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(hash_password("whatever long enough", {2, 8u * 1024 * 1024}).error().code,
            ErrorCode::kInvalidArgument);
}

TEST(PasswordHash, MalformedStoredHashIsAnErrorNotAMismatch) {
  EXPECT_EQ(verify_password("x", "").error().code, ErrorCode::kMalformed);
  EXPECT_EQ(verify_password("x", "$argon2id$v=19$m=19456").error().code, ErrorCode::kMalformed);
  EXPECT_EQ(verify_password("x", "$2b$12$abcdefghijklmnopqrstuv").error().code,
            ErrorCode::kMalformed);
  EXPECT_EQ(verify_password("x", std::string(500, 'a')).error().code, ErrorCode::kMalformed);
}

TEST(PasswordHash, NeedsRehashWhenParametersAreRaised) {
  auto floor = hash_password(random_password(14));
  ASSERT_TRUE(floor);
  EXPECT_FALSE(password_needs_rehash(*floor));
  EXPECT_TRUE(password_needs_rehash(*floor, {3, 19u * 1024 * 1024}));
  EXPECT_TRUE(password_needs_rehash(*floor, {2, 32u * 1024 * 1024}));
}

TEST(PasswordHash, StrongerHashIsNeverDowngraded) {
  auto strong = hash_password(random_password(14), {3, 20u * 1024 * 1024});
  ASSERT_TRUE(strong);
  EXPECT_FALSE(password_needs_rehash(*strong));
  EXPECT_TRUE(password_needs_rehash("not a hash"));
}

}  // namespace
}  // namespace dss::identity
