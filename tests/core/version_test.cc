#include "core/version.h"

#include <gtest/gtest.h>

namespace dss {
namespace {

Version v(const char* s) { return *Version::parse(s); }

TEST(Version, NumericPartsOrderNumericallyAndMissingPartsAreZero) {
  EXPECT_LT(v("1.9"), v("1.10"));
  EXPECT_EQ(v("1.0"), v("1.0.0"));
  EXPECT_LT(v("1.2.3"), v("1.2.3.1"));
  EXPECT_GT(v("2"), v("1.999999999"));
}

TEST(Version, AnythingButOneToFourNumbersIsRefused) {
  for (const char* bad :
       {"", "1.", ".1", "1..2", "1.2.3.4.5", "v1", "1.2-rc1", "1234567890", "1.-2"}) {
    const auto r = Version::parse(bad);
    ASSERT_FALSE(r.has_value()) << bad;
    EXPECT_EQ(r.error().code, ErrorCode::kMalformed);
  }
}

}  // namespace
}  // namespace dss
