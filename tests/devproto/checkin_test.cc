// The check-in report's wire format (devproto/checkin.h): what the agent sends is what the server
// reads, and a field outside the protocol's bounds is refused, naming the field.
#include "devproto/checkin.h"

#include <gtest/gtest.h>

#include "crypto/allowed_schemes.h"

namespace dss::devproto {
namespace {

CheckinReport report() {
  CheckinReport r;
  r.installed_version = "1.0";
  r.channel = "stable";
  r.last_update = {"failed", "2.0", "interrupted"};
  return r;
}

// ADR 0038: the install a device keeps failing reaches the server as sent.
TEST(CheckinReport, InterruptedInstallSurvivesTheWireFormat) {
  CheckinReport r = report();
  r.interrupted_install = InterruptedInstallReport{"2.0", 4};
  auto back = checkin_from_json(to_json(r));
  ASSERT_TRUE(back) << back.error().to_string();
  ASSERT_TRUE(back->interrupted_install);
  EXPECT_EQ(back->interrupted_install->version, "2.0");
  EXPECT_EQ(back->interrupted_install->count, 4U);
}

// Absent when there is none, so a server that predates the field still takes the report.
TEST(CheckinReport, NoInterruptedInstallIsLeftOutOfTheReport) {
  const std::string text = to_json(report());
  EXPECT_EQ(text.find("interrupted_install"), std::string::npos) << text;
  auto back = checkin_from_json(text);
  ASSERT_TRUE(back) << back.error().to_string();
  EXPECT_FALSE(back->interrupted_install);
}

TEST(CheckinReport, InterruptedInstallWithoutAVersionOrWithACountOutOfRangeIsRefused) {
  const std::string base = to_json(report());
  const std::string open = base.substr(0, base.size() - 1);  // without the closing brace
  for (const std::string bad :
       {R"("interrupted_install":{"count":3})", R"("interrupted_install":{"version":"","count":3})",
        R"("interrupted_install":{"version":"2.0","count":0})",
        R"("interrupted_install":{"version":"2.0","count":-1})",
        R"("interrupted_install":{"version":"2.0","count":1000001})",
        R"("interrupted_install":{"version":"2.0","count":"3"})",
        R"("interrupted_install":{"version":"2.0"})", R"("interrupted_install":[1])",
        R"("interrupted_install":{"version":"2.0","count":3,"at":1})"}) {
    SCOPED_TRACE(bad);
    auto r = checkin_from_json(open + "," + bad + "}");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(r.error().message.find("interrupted_install"), std::string::npos)
        << r.error().message;
  }
}

// The timestamp has one spelling per second, the one the agent writes: "0" + a valid timestamp
// is not the same header, and is refused before the signature is looked at.
TEST(RequestSignature, TimestampWithALeadingZeroOrASignIsRefused) {
  auto key = crypto::PrivateKey::generate(crypto::KeyScheme::kEd25519);
  ASSERT_TRUE(key);
  const std::int64_t now = 1'800'000'000;
  auto sig = sign_request(*key, "POST", kCheckinPath, "dev-1", now, "{}");
  ASSERT_TRUE(sig);
  const crypto::AllowedSchemes allowed;
  EXPECT_TRUE(
      verify_request(key->public_key(), "POST", kCheckinPath, *sig, "{}", now, 300, allowed));
  for (const std::string& bad : {"0" + sig->timestamp, "+" + sig->timestamp, " " + sig->timestamp,
                                 sig->timestamp + " ", std::string("-1")}) {
    RequestSignature changed = *sig;
    changed.timestamp = bad;
    const Status st =
        verify_request(key->public_key(), "POST", kCheckinPath, changed, "{}", now, 300, allowed);
    ASSERT_FALSE(st) << bad;
    EXPECT_NE(st.error().message.find("DSS-Timestamp"), std::string::npos) << bad;
  }
}

}  // namespace
}  // namespace dss::devproto
