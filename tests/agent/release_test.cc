// Release metadata: versions order numerically; the schema is strict, so an agent never acts on
// a release it half understands.
#include "agent/release.h"

#include <gtest/gtest.h>

namespace dss::agent {
namespace {

Version v(const char* s) { return *Version::parse(s); }

TEST(Version, ComparesNumericallyPartByPart) {
  EXPECT_LT(v("1.9"), v("1.10"));
  EXPECT_EQ(v("1.0"), v("1.0.0"));
  EXPECT_GT(v("2"), v("1.99.99"));
}

TEST(Version, RefusesAnythingButDottedNumbers) {
  for (const char* bad : {"", "1..2", "1.a", "../1", "1.2.3.4.5", "-1", "1.2 ", "1234567890"}) {
    EXPECT_FALSE(Version::parse(bad)) << bad;
  }
}

TEST(Release, ParsesHooksAndHealth) {
  auto r = parse_release(
      "app/stable/1/a.tar.zst",
      R"({"dss":{"entries":3,"health":{"command":["bin/h","x"],"tries":4,"within_s":9},)"
      R"("hooks":{"pre_install":{"command":["/bin/true"],"timeout_s":5}},"size":10,"version":"1.2"}})");
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ(r->version.text(), "1.2");
  ASSERT_TRUE(r->health);
  EXPECT_EQ(r->health->tries, 4);
  EXPECT_EQ(r->health->argv, (std::vector<std::string>{"bin/h", "x"}));
  ASSERT_TRUE(r->pre_install);
  EXPECT_EQ(r->pre_install->timeout_s, 5);
  EXPECT_FALSE(r->post_install);
}

TEST(Release, RefusesUnknownKeysMissingBoundsAndEscapingCommands) {
  const char* cases[] = {
      R"({"dss":{"version":"1","size":1,"entries":1,"surprise":1}})",
      R"({"dss":{"version":"1","entries":1}})",
      R"({"dss":{"version":"1","size":1,"entries":0}})",
      R"({"dss":{"version":"1","size":1,"entries":1,"health":{"command":["../../bin/sh"]}}})",
      R"({"dss":{"version":"1","size":1,"entries":1,"health":{"command":[]}}})",
      R"({"dss":{"version":"1","size":1,"entries":1,"health":{"command":["h"],"tries":0}}})",
      R"({"dss":{"version":"x","size":1,"entries":1}})",
      R"({"other":{}})",
      R"(not json)",
  };
  for (const char* c : cases) {
    auto r = parse_release("t", c);
    ASSERT_FALSE(r) << c;
    EXPECT_EQ(r.error().code, ErrorCode::kMalformed) << c;
  }
}

}  // namespace
}  // namespace dss::agent
