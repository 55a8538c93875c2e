// Releases, SBOMs and advisories through the API (issue 8): the SBOM a release's signed
// metadata binds is served, and each advisory shows how many devices it reached and how many
// have been fixed since.
#include <unistd.h>

#include <fstream>

#include "core/bytes.h"
#include "crypto/keys.h"
#include "devproto/checkin.h"
#include "fakes/fast_kdf.h"
#include "repo/release.h"
#include "server/server_fixture.h"

namespace dss::server {
namespace {

using nlohmann::json;

TEST_F(ServerTest, AdvisoryShowsAffectedAndFixedDevicesAndReleaseSbomIsServed) {
  // A repository with release app 1.1 (with its SBOM) and an advisory: 1.0 affected, 1.1 fixes.
  const auto repo_dir = dir_.path() / "repo";
  repo::Secrets secrets;
  secrets.offline = SecretBytes::from_string("offline " + std::to_string(::getpid()) + " pass");
  secrets.online = SecretBytes::from_string("online " + std::to_string(::getpid()) + " pass");
  secrets.kdf = dss::testing::fast_kdf();
  repo::InitOptions init;
  init.dir = repo_dir;
  ASSERT_TRUE(repo::init(init, secrets, clock_.now()));
  const auto write = [&](const std::string& name, const std::string& text) {
    const auto p = dir_.path() / name;
    std::ofstream(p) << text;
    return p;
  };
  const json sbom = {{"bomFormat", "CycloneDX"},
                     {"specVersion", "1.5"},
                     {"version", 1},
                     {"metadata",
                      {{"timestamp", "2027-01-01T00:00:00Z"},
                       {"authors", {{{"name", "Release team"}}}},
                       {"component",
                        {{"type", "application"},
                         {"bom-ref", "app"},
                         {"name", "app"},
                         {"version", "1.1"},
                         {"supplier", {{"name", "Example"}}},
                         {"purl", "pkg:generic/app@1.1"}}}}},
                     {"dependencies", {{{"ref", "app"}, {"dependsOn", json::array()}}}}};
  repo::PublishReleaseOptions rel;
  rel.dir = repo_dir;
  rel.name = "app";
  rel.version = "1.1";
  rel.artifact = write("app.tar.zst", "archive");
  rel.sbom = write("sbom.json", sbom.dump());
  auto published = repo::publish_release(rel, secrets, clock_.now());
  ASSERT_TRUE(published) << published.error().to_string();
  const json osv = {
      {"id", "DSS-2027-0001"},
      {"affected",
       {{{"package", {{"name", "app"}}},
         {"ranges",
          {{{"type", "ECOSYSTEM"}, {"events", {{{"introduced", "0"}}, {{"fixed", "1.1"}}}}}}}}}},
      {"severity",
       {{{"type", "CVSS_V3"}, {"score", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}}}},
      {"database_specific", {{"cwe_ids", {"CWE-22"}}}}};
  ASSERT_TRUE(
      repo::publish_advisory(repo_dir, write("adv.json", osv.dump()), secrets, clock_.now()));
  service_->stop();
  service_.reset();
  start(repo_dir);

  auto op = client();
  owner_signed_in(op);
  const auto served = op.get("/api/v1/releases/app/1.1/sbom");
  ASSERT_EQ(served.status, 200) << served.body;
  EXPECT_EQ(served.json()["format"], "CycloneDX 1.5");
  EXPECT_EQ(served.json()["sbom"], sbom);
  EXPECT_EQ(op.get("/api/v1/releases/app/9.9/sbom").status, 404);

  // A device on 1.0 reports the advisory, then updates to 1.1 and stops reporting it.
  auto device = enrol_device(op, "kiosk-1");
  ASSERT_TRUE(device);
  const auto check_in_with = [&](const std::string& version, std::vector<std::string> advisories) {
    devproto::CheckinReport report;
    report.installed_version = version;
    report.channel = "stable";
    report.advisories = std::move(advisories);
    return check_in(*device, report).status;
  };
  const auto exposure = [&] {
    const auto r = op.get("/api/v1/advisories");
    EXPECT_EQ(r.status, 200) << r.body;
    const json list = r.json()["advisories"];
    EXPECT_EQ(list.size(), 1u);
    return list.empty() ? json() : list[0];
  };
  ASSERT_EQ(check_in_with("1.0", {"DSS-2027-0001"}), 200);
  json a = exposure();
  EXPECT_EQ(a["id"], "DSS-2027-0001");
  EXPECT_EQ(a["severity"], "critical");
  EXPECT_EQ(a["devices_affected"], 1);
  EXPECT_EQ(a["devices_fixed"], 0);
  ASSERT_EQ(check_in_with("1.1", {}), 200);
  a = exposure();
  EXPECT_EQ(a["devices_affected"], 1);
  EXPECT_EQ(a["devices_fixed"], 1);
  EXPECT_EQ(a["devices_still_affected"], 0);
}

}  // namespace
}  // namespace dss::server
