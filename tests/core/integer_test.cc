#include "core/integer.h"

#include <gtest/gtest.h>

#include <limits>
#include <string>

namespace dss {
namespace {

TEST(ParseInt64, CanonicalDecimalsParseAcrossTheWholeRange) {
  EXPECT_EQ(*parse_int64("0"), 0);
  EXPECT_EQ(*parse_int64("7"), 7);
  EXPECT_EQ(*parse_int64("-42"), -42);
  EXPECT_EQ(*parse_int64("9223372036854775807"), std::numeric_limits<std::int64_t>::max());
  EXPECT_EQ(*parse_int64("-9223372036854775808"), std::numeric_limits<std::int64_t>::min());
}

// The attack of issue 16: std::stoll read "7abc" as 7 and "1e3" as 1, so DELETE /tokens/7abc
// revoked token 7.
TEST(ParseInt64, RejectsTrailingJunkPrefixesAndNonCanonicalForms) {
  for (const char* bad : {"", "-", "7abc", "1e3", "1.0", " 7", "7 ", "+7", "07", "-0", "00", "0x7",
                          "9223372036854775808", "-9223372036854775809", "1\n", "٣"}) {
    const auto r = parse_int64(bad);
    ASSERT_FALSE(r.has_value()) << bad;
    EXPECT_EQ(r.error().code, ErrorCode::kMalformed) << bad;
  }
}

TEST(ParseInt64, RejectsValuesOutsideTheGivenBounds) {
  EXPECT_EQ(*parse_int64("1", 1, 1000), 1);
  EXPECT_EQ(*parse_int64("1000", 1, 1000), 1000);
  EXPECT_EQ(parse_int64("0", 1, 1000).error().code, ErrorCode::kMalformed);
  EXPECT_EQ(parse_int64("1001", 1, 1000).error().code, ErrorCode::kMalformed);
}

TEST(ParseInt64, AcceptedTextIsExactlyTheValuePrintedBack) {
  for (const char* good : {"0", "1", "-1", "123456789", "-9223372036854775808"}) {
    const auto r = parse_int64(good);
    ASSERT_TRUE(r.has_value()) << good;
    EXPECT_EQ(std::to_string(*r), good);
  }
}

}  // namespace
}  // namespace dss
