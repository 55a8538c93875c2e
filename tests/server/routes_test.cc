// The route table's commit policy (Commit, src/server/app_internal.h): stated per route, not
// derived from the audit action's text ("auth." prefixes decided it before issue 16).
#include <gtest/gtest.h>

#include <string>

#include "server/app_internal.h"

namespace dss::server {
namespace {

std::vector<Route> every_route() {
  std::vector<Route> all = auth_routes();
  for (auto& r : admin_routes()) all.push_back(std::move(r));
  for (auto& r : device_routes()) all.push_back(std::move(r));
  return all;
}

bool changes(http::verb v) {
  return v != http::verb::get && v != http::verb::head && v != http::verb::options;
}

std::string name(const Route& r) {
  return std::string(http::to_string(r.method)) + " " + std::string(r.pattern);
}

// Fail closed: every change a signed-in person makes commits only together with its audit
// event. The one exception is re-authentication, a sign-in step (Argon2id must not run while
// holding the store), whose answer is withheld when its audit fails.
TEST(RouteTable, EveryChangeByASignedInPersonCommitsAtomicallyWithItsAudit) {
  int atomic = 0;
  for (const Route& r : every_route()) {
    const bool person_changes = changes(r.method) && r.access == Access::kActive;
    if (person_changes && r.pattern != "/api/v1/auth/reauth") {
      EXPECT_EQ(r.commit, Commit::kAtomic) << name(r);
      ++atomic;
    }
  }
  EXPECT_GT(atomic, 10);
}

// Reads, sign-in steps and device reports are not wrapped in a transaction: nothing to roll
// back, or they must not hold the store (Argon2id; fleet load).
TEST(RouteTable, ReadsSignInStepsAndDeviceReportsAreNotHeldInATransaction) {
  for (const Route& r : every_route()) {
    if (!changes(r.method) || r.access != Access::kActive || r.pattern == "/api/v1/auth/reauth") {
      EXPECT_EQ(r.commit, Commit::kAuditAfter) << name(r);
    }
  }
}

}  // namespace
}  // namespace dss::server
