#include "identity/recovery.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace dss::identity {
namespace {

const std::string kSalt = "per-user-salt-0123456789abcdef";

ErrorCode match_code(std::string_view input, std::string_view salt,
                     const std::vector<std::string>& hashes) {
  auto r = match_recovery_code(input, salt, hashes);
  return r ? ErrorCode::kOk : r.error().code;
}

TEST(RecoveryCodes, GeneratesTenDistinctCodesShownInGroupsOfFive) {
  const RecoveryCodes codes = generate_recovery_codes(kSalt);
  ASSERT_EQ(codes.plain.size(), 10u);
  ASSERT_EQ(codes.hashes.size(), 10u);
  const std::set<std::string> distinct(codes.plain.begin(), codes.plain.end());
  EXPECT_EQ(distinct.size(), 10u);
  for (std::size_t i = 0; i < codes.plain.size(); ++i) {
    const std::string& code = codes.plain[i];
    ASSERT_EQ(code.size(), 11u) << code;
    EXPECT_EQ(code[5], '-');
    EXPECT_EQ(codes.hashes[i].size(), 64u);
    EXPECT_EQ(codes.hashes[i].find(code.substr(0, 5)), std::string::npos);
  }
}

TEST(RecoveryCodes, EachCodeWorksOnce) {
  const RecoveryCodes codes = generate_recovery_codes(kSalt);
  std::vector<std::string> stored = codes.hashes;
  auto index = match_recovery_code(codes.plain[3], kSalt, stored);
  ASSERT_TRUE(index);
  EXPECT_EQ(*index, 3u);
  stored[*index].clear();  // what the server does in the login transaction
  EXPECT_EQ(match_code(codes.plain[3], kSalt, stored), ErrorCode::kMfaInvalid);
  EXPECT_EQ(match_code(codes.plain[4], kSalt, stored), ErrorCode::kOk);
}

TEST(RecoveryCodes, AcceptsCodeTypedWithOtherCaseSpacesAndNoDash) {
  const RecoveryCodes codes = generate_recovery_codes(kSalt, 1);
  std::string typed;
  for (char c : codes.plain[0]) {
    if (c == '-') continue;
    typed.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
    typed.push_back(' ');
  }
  EXPECT_EQ(match_code(typed, kSalt, codes.hashes), ErrorCode::kOk);
}

TEST(RecoveryCodes, RefusesCodeOfAnotherUser) {
  const RecoveryCodes mine = generate_recovery_codes(kSalt);
  const RecoveryCodes theirs = generate_recovery_codes("another-users-salt");
  EXPECT_EQ(match_code(theirs.plain[0], kSalt, mine.hashes), ErrorCode::kMfaInvalid);
  // The same code under another salt hashes differently.
  EXPECT_NE(recovery_code_hash(mine.plain[0], kSalt),
            recovery_code_hash(mine.plain[0], "another-users-salt"));
}

TEST(RecoveryCodes, RefusesMalformedInputAndEmptyList) {
  const RecoveryCodes codes = generate_recovery_codes(kSalt);
  for (const std::string_view input : {"", "abcde", "abcde-fghjkm", "abcde-fghj!", "\xff\xfe"}) {
    EXPECT_EQ(match_code(input, kSalt, codes.hashes), ErrorCode::kMfaInvalid) << input;
  }
  EXPECT_EQ(match_code(codes.plain[0], kSalt, {}), ErrorCode::kMfaInvalid);
  EXPECT_EQ(match_code(codes.plain[0], kSalt, {"", "", ""}), ErrorCode::kMfaInvalid);
}

TEST(IdentityErrorCodes, HaveFixedValuesAndNames) {
  // These numbers reach API clients and logs; they must never change.
  EXPECT_EQ(static_cast<int>(ErrorCode::kWeakPassword), 90);
  EXPECT_EQ(static_cast<int>(ErrorCode::kMfaInvalid), 91);
  EXPECT_EQ(static_cast<int>(ErrorCode::kMfaReplay), 92);
  EXPECT_EQ(static_cast<int>(ErrorCode::kMfaRequired), 93);
  EXPECT_EQ(static_cast<int>(ErrorCode::kLockedOut), 94);
  EXPECT_EQ(error_code_name(ErrorCode::kWeakPassword), "weak_password");
  EXPECT_EQ(error_code_name(ErrorCode::kMfaInvalid), "mfa_invalid");
  EXPECT_EQ(error_code_name(ErrorCode::kMfaReplay), "mfa_replay");
  EXPECT_EQ(error_code_name(ErrorCode::kMfaRequired), "mfa_required");
  EXPECT_EQ(error_code_name(ErrorCode::kLockedOut), "locked_out");
}

}  // namespace
}  // namespace dss::identity
