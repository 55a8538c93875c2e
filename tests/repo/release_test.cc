// Releases with their SBOMs, advisories and the archive: the SBOM is required and checked, bound
// to the release by hash in signed metadata; a withdrawn release stays archived and verifiable;
// a published version never changes; an incomplete advisory is refused.
#include "repo/release.h"

#include <gtest/gtest.h>
#include <sodium.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "crypto/hash.h"
#include "fakes/fast_kdf.h"
#include "platform/files.h"
#include "repo/transparency.h"

namespace dss::repo {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
constexpr UnixSeconds kNow = 1'800'000'000;

std::string random_hex() {
  ensure_sodium_initialised();
  std::uint8_t b[16];
  randombytes_buf(b, sizeof b);
  return hex_encode(ByteView(b, sizeof b));
}

json sbom_for(const std::string& name, const std::string& version) {
  return {{"bomFormat", "CycloneDX"},
          {"specVersion", "1.6"},
          {"serialNumber", "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79"},
          {"version", 1},
          {"metadata",
           {{"timestamp", "2027-01-15T08:00:00Z"},
            {"authors", {{{"name", "Release team"}}}},
            {"component",
             {{"type", "application"},
              {"bom-ref", "app"},
              {"name", name},
              {"version", version},
              {"supplier", {{"name", "Example Corp"}}},
              {"purl", "pkg:generic/example/" + name + "@" + version}}}}},
          {"components",
           {{{"type", "library"},
             {"bom-ref", "zlib"},
             {"name", "zlib"},
             {"version", "1.2.13"},
             {"supplier", {{"name", "zlib project"}}},
             {"purl", "pkg:deb/debian/zlib1g@1.2.13"}}}},
          {"dependencies", {{{"ref", "app"}, {"dependsOn", {"zlib"}}}}}};
}

json osv_advisory() {
  return {
      {"id", "DSS-2027-0001"},
      {"summary", "Path traversal"},
      {"affected",
       {{{"package", {{"ecosystem", "DSS"}, {"name", "app"}}},
         {"ranges",
          {{{"type", "ECOSYSTEM"}, {"events", {{{"introduced", "1.0"}}, {{"fixed", "1.1"}}}}}}}}}},
      {"severity",
       {{{"type", "CVSS_V3"}, {"score", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}}}},
      {"database_specific", {{"cwe_ids", {"CWE-22"}}}}};
}

class ReleaseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = fs::temp_directory_path() /
          ("dss-release-test-" + std::to_string(::getpid()) + "-" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir);
    fs::create_directories(dir / "files");
    secrets.offline = SecretBytes::from_string(random_hex());
    secrets.online = SecretBytes::from_string(random_hex());
    secrets.kdf = dss::testing::fast_kdf();
    InitOptions o;
    o.dir = repo();
    auto r = init(o, secrets, kNow);
    ASSERT_TRUE(r) << r.error().to_string();
  }
  void TearDown() override { fs::remove_all(dir); }

  fs::path repo() const { return dir / "repo"; }
  fs::path write(const std::string& name, const std::string& content) const {
    const fs::path p = dir / "files" / name;
    std::ofstream(p, std::ios::binary) << content;
    return p;
  }
  PublishReleaseOptions options(const std::string& version, const json& sbom) const {
    PublishReleaseOptions o;
    o.dir = repo();
    o.name = "app";
    o.version = version;
    o.artifact = write("app-" + version + ".tar.zst", "archive bytes of " + version);
    o.unpacked_bytes = 1000;
    o.entries = 3;
    if (!sbom.is_null()) o.sbom = write("sbom-" + version + ".json", sbom.dump());
    return o;
  }
  // The signed top-level targets metadata, as published.
  json targets() const {
    std::ifstream f(repo() / "metadata" / "timestamp.json");
    const json ts = json::parse(f);
    const auto snap_v = ts["signed"]["meta"]["snapshot.json"]["version"].get<int>();
    const json snap = json::parse(
        std::ifstream(repo() / "metadata" / (std::to_string(snap_v) + ".snapshot.json")));
    const auto tv = snap["signed"]["meta"]["targets.json"]["version"].get<int>();
    return json::parse(std::ifstream(repo() / "metadata" /
                                     (std::to_string(tv) + ".targets.json")))["signed"]["targets"];
  }
  std::size_t metadata_files() const {
    std::size_t n = 0;
    for ([[maybe_unused]] const auto& e : fs::directory_iterator(repo() / "metadata")) ++n;
    return n;
  }

  fs::path dir;
  Secrets secrets;
};

TEST_F(ReleaseTest, MissingSbomIsRefusedAndNothingIsPublished) {
  const std::size_t before = metadata_files();
  const auto r = publish_release(options("1.0", json()), secrets, kNow);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kSbomInvalid);
  EXPECT_NE(r.error().message.find("release.require_sbom"), std::string::npos);
  EXPECT_EQ(metadata_files(), before);
  EXPECT_TRUE(list_releases(repo())->empty());
}

TEST_F(ReleaseTest, InvalidSbomIsRefusedNamingTheMissingFields) {
  json sbom = sbom_for("app", "1.0");
  sbom["metadata"].erase("authors");
  sbom["components"][0].erase("supplier");
  const std::size_t before = metadata_files();
  const auto r = publish_release(options("1.0", sbom), secrets, kNow);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kSbomInvalid);
  EXPECT_NE(r.error().message.find("metadata.authors"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("components[0] (zlib): no supplier"), std::string::npos)
      << r.error().message;
  EXPECT_EQ(metadata_files(), before);
}

TEST_F(ReleaseTest, SbomOfAnotherVersionIsRefused) {
  const auto r = publish_release(options("1.0", sbom_for("app", "0.9")), secrets, kNow);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("has version \"0.9\", not \"1.0\""), std::string::npos)
      << r.error().message;
}

TEST_F(ReleaseTest, ReleaseIsBoundToItsSbomByHashInSignedMetadata) {
  const auto o = options("1.0", sbom_for("app", "1.0"));
  const auto r = publish_release(o, secrets, kNow);
  ASSERT_TRUE(r) << r.error().to_string();
  const json t = targets();
  const json& rel = t["app/stable/app-1.0.tar.zst"];
  const auto sbom_bytes = *platform::read_file(*o.sbom, 1 << 20);
  const std::string sbom_sha = hex_encode(crypto::sha256(sbom_bytes));
  EXPECT_EQ(rel["custom"]["dss"]["sbom"]["sha256"], sbom_sha);
  EXPECT_EQ(rel["custom"]["dss"]["sbom"]["format"], "CycloneDX 1.6");
  EXPECT_EQ(rel["custom"]["dss"]["version"], "1.0");
  EXPECT_EQ(t["app/sbom/app-1.0.sbom.json"]["hashes"]["sha256"], sbom_sha);
  EXPECT_EQ(*read_sbom(repo(), "app", "1.0"), sbom_for("app", "1.0").dump());
}

TEST_F(ReleaseTest, WithdrawnReleaseStaysInTheArchiveAndVerifiable) {
  ASSERT_TRUE(publish_release(options("1.0", sbom_for("app", "1.0")), secrets, kNow));
  const auto rec = *find_release(repo(), "app", "1.0");
  ASSERT_TRUE(withdraw_release(repo(), "app", "1.0", secrets, kNow + 10));
  EXPECT_FALSE(targets().contains("app/stable/app-1.0.tar.zst"));  // gone from the channel
  const auto after = *find_release(repo(), "app", "1.0");
  ASSERT_TRUE(after.withdrawn.has_value());
  // Still in the archive, under its hash, with the same bytes; its SBOM still checks out.
  const auto archived = platform::read_file(
      repo() / "targets" / "app" / "stable" / (rec.sha256 + ".app-1.0.tar.zst"), 1 << 20);
  ASSERT_TRUE(archived);
  EXPECT_EQ(hex_encode(crypto::sha256(*archived)), rec.sha256);
  EXPECT_TRUE(read_sbom(repo(), "app", "1.0"));
  const auto problems = verify(repo(), kNow + 20);
  ASSERT_TRUE(problems);
  EXPECT_TRUE(problems->empty());
  // And it cannot come back under the same version.
  EXPECT_EQ(
      publish_release(options("1.0", sbom_for("app", "1.0")), secrets, kNow + 30).error().code,
      ErrorCode::kFailedPrecondition);
}

TEST_F(ReleaseTest, PublishedVersionNeverChangesContent) {
  ASSERT_TRUE(publish_release(options("1.0", sbom_for("app", "1.0")), secrets, kNow));
  auto o = options("1.0", sbom_for("app", "1.0"));
  o.artifact = write("other.tar.zst", "different bytes");
  const auto r = publish_release(o, secrets, kNow + 1);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kAlreadyExists);
}

TEST_F(ReleaseTest, PublishingWithoutSbomOnlyWhenTheSettingIsLoosenedAndSaysSo) {
  auto o = options("1.0", json());
  o.sbom_optional = true;
  const auto r = publish_release(o, secrets, kNow);
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_NE(r->lines.front().find("WARNING: published without an SBOM"), std::string::npos);
  EXPECT_FALSE(targets()["app/stable/app-1.0.tar.zst"]["custom"]["dss"].contains("sbom"));
}

TEST_F(ReleaseTest, AdvisoryWithoutCweIsRefusedAndNothingIsPublished) {
  json a = osv_advisory();
  a.erase("database_specific");
  const std::size_t before = metadata_files();
  const auto r = publish_advisory(repo(), write("adv.json", a.dump()), secrets, kNow);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kAdvisoryInvalid);
  EXPECT_NE(r.error().message.find("no CWE id"), std::string::npos);
  EXPECT_EQ(metadata_files(), before);
  EXPECT_TRUE(list_advisories(repo())->empty());
}

TEST_F(ReleaseTest, AdvisoryIsPublishedAsASignedOsvTarget) {
  const auto r = publish_advisory(repo(), write("adv.json", osv_advisory().dump()), secrets, kNow);
  ASSERT_TRUE(r) << r.error().to_string();
  const json t = targets();
  ASSERT_TRUE(t.contains("advisories/DSS-2027-0001.json"));
  EXPECT_EQ(t["advisories/DSS-2027-0001.json"]["custom"]["dss_advisory"]["severity"], "critical");
  ASSERT_EQ(list_advisories(repo())->size(), 1u);
}

TEST_F(ReleaseTest, BadNamesAndVersionsAreRefused) {
  auto o = options("1.0", sbom_for("app", "1.0"));
  o.name = "../etc";
  EXPECT_EQ(publish_release(o, secrets, kNow).error().code, ErrorCode::kInvalidArgument);
  o = options("1.0-rc1", sbom_for("app", "1.0"));
  EXPECT_EQ(publish_release(o, secrets, kNow).error().code, ErrorCode::kMalformed);
  o = options("1.0", sbom_for("app", "1.0"));
  o.channel = "sbom";
  EXPECT_EQ(publish_release(o, secrets, kNow).error().code, ErrorCode::kInvalidArgument);
}

TEST_F(ReleaseTest, PolicyBundleIsPublishedSignedAndLoggedAndOnlyEverNewer) {
  const std::string bundle =
      R"({"type":"dss-policy-bundle","bundle_version":3,"floors":{"tls.min_version":"1.3"}})";
  const auto r = publish_policy(repo(), write("policy.json", bundle), secrets, kNow);
  ASSERT_TRUE(r) << r.error().to_string();
  const json t = targets();
  ASSERT_TRUE(t.contains("policy/bundle.json"));
  EXPECT_EQ(t["policy/bundle.json"]["custom"]["dss_policy"]["bundle_version"], 3);
  auto log = transparency_status(repo());
  ASSERT_TRUE(log) << log.error().to_string();
  EXPECT_EQ(log->size, 1u);

  // The same or a lower bundle_version is refused, and nothing changes.
  const std::size_t before = metadata_files();
  const auto again = publish_policy(repo(), write("policy2.json", bundle), secrets, kNow + 60);
  ASSERT_FALSE(again);
  EXPECT_NE(again.error().message.find("not higher"), std::string::npos);
  EXPECT_EQ(metadata_files(), before);
  EXPECT_EQ(transparency_status(repo())->size, 1u);
}

TEST_F(ReleaseTest, MalformedPolicyBundleIsRefusedAndNothingIsPublished) {
  const std::size_t before = metadata_files();
  const auto r = publish_policy(
      repo(),
      write("bad.json",
            R"({"type":"dss-policy-bundle","bundle_version":1,"floors":{"no.such":1}})"),
      secrets, kNow);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("Nothing was published"), std::string::npos);
  EXPECT_EQ(metadata_files(), before);
  EXPECT_FALSE(targets().contains("policy/bundle.json"));
}

}  // namespace
}  // namespace dss::repo
