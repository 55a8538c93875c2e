#include "core/bytes.h"

#include <gtest/gtest.h>

#include "core/clock.h"

namespace dss {
namespace {

TEST(Hex, RoundTripsAndRejectsOddOrNonHex) {
  const Bytes b{0x00, 0xab, 0xff};
  EXPECT_EQ(hex_encode(b), "00abff");
  EXPECT_EQ(*hex_decode("00ABff"), b);
  EXPECT_EQ(hex_decode("abc").error().code, ErrorCode::kMalformed);
  EXPECT_EQ(hex_decode("zz").error().code, ErrorCode::kMalformed);
}

TEST(Hex, EmptyIsEmpty) {
  EXPECT_EQ(hex_encode(Bytes{}), "");
  EXPECT_TRUE(hex_decode("")->empty());
  EXPECT_EQ(base64_encode(Bytes{}), "");
}

TEST(Base64, RoundTripsAndRejectsGarbage) {
  const Bytes b{'h', 'i', '!', 0};
  EXPECT_EQ(*base64_decode(base64_encode(b)), b);
  EXPECT_EQ(base64_decode("***").error().code, ErrorCode::kMalformed);
}

TEST(SecretBytes, ComparesInConstantTimeAndClones) {
  auto a = SecretBytes::from_string("correct horse");
  auto b = a.clone();
  EXPECT_TRUE(a.equals(b));
  EXPECT_FALSE(a.equals(SecretBytes::from_string("correct horsf")));
  EXPECT_FALSE(a.equals(SecretBytes::from_string("short")));
  SecretBytes moved = std::move(a);
  EXPECT_EQ(moved.size(), 13u);
}

TEST(UtcTimestamp, ParsesOnlyTheStrictTufFormat) {
  EXPECT_EQ(*parse_utc_timestamp("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(*parse_utc_timestamp("2030-01-01T00:00:00Z"), 1893456000);
  EXPECT_EQ(format_utc_timestamp(1893456000), "2030-01-01T00:00:00Z");
  for (const char* bad : {"2030-01-01 00:00:00Z", "2030-01-01T00:00:00", "2030-13-01T00:00:00Z",
                          "2030-02-30T00:00:00Z", "2030-01-01T00:00:00+01:00", "x"}) {
    EXPECT_EQ(parse_utc_timestamp(bad).error().code, ErrorCode::kMalformed) << bad;
  }
}

}  // namespace
}  // namespace dss
