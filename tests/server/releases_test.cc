// The server reads releases through the client's verified path (issue 16): a hostile,
// truncated or unsigned repository file is an error, never a list, and delegated releases
// are listed as a device would find them.
#include "server/releases.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "fakes/fast_kdf.h"
#include "fakes/temp_dir.h"
#include "repo/repository.h"

namespace dss::server {
namespace {

constexpr UnixSeconds kNow = 1'800'000'000;

class ReleasesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    secrets_.offline = SecretBytes::from_string("offline " + std::to_string(::getpid()) + " rel");
    secrets_.online = SecretBytes::from_string("online " + std::to_string(::getpid()) + " rel");
    secrets_.kdf = dss::testing::fast_kdf();
    repo::InitOptions init;
    init.dir = repo_dir();
    ASSERT_TRUE(repo::init(init, secrets_, kNow));
  }
  std::filesystem::path repo_dir() const { return dir_.path() / "repo"; }
  void add(const std::string& role, const std::string& path, const std::string& version) {
    const auto file = dir_.path() / "artifact";
    std::ofstream(file) << "bytes of " << path;
    repo::AddTargetOptions o;
    o.dir = repo_dir();
    o.file = file;
    o.target_path = path;
    o.role = role;
    o.custom_json = R"({"dss":{"version":")" + version + R"("}})";
    auto r = repo::add_target(o, secrets_, kNow);
    ASSERT_TRUE(r) << r.error().to_string();
  }
  void overwrite(const std::string& name, const std::string& text) {
    std::ofstream(repo_dir() / "metadata" / name, std::ios::trunc) << text;
  }
  ErrorCode listing_error() {
    auto r = read_releases(repo_dir(), kNow, crypto::AllowedSchemes{});
    return r ? ErrorCode::kOk : r.error().code;
  }

  testing::TempDir dir_;
  repo::Secrets secrets_;
};

TEST_F(ReleasesTest, DelegatedReleaseIsListed) {
  add("targets", "app/stable/app-1.0.tar.zst", "1.0");
  repo::DelegateOptions d;
  d.dir = repo_dir();
  d.name = "team";
  d.paths = {"tool/*/*"};
  ASSERT_TRUE(repo::delegate(d, secrets_, kNow));
  add("team", "tool/stable/tool-2.0.tar.zst", "2.0");
  auto releases = read_releases(repo_dir(), kNow, crypto::AllowedSchemes{});
  ASSERT_TRUE(releases) << releases.error().to_string();
  ASSERT_EQ(releases->size(), 2u);
  EXPECT_EQ((*releases)[1].path, "tool/stable/tool-2.0.tar.zst");
  EXPECT_EQ((*releases)[1].version, "2.0");
  EXPECT_EQ((*releases)[1].channel, "stable");
}

TEST_F(ReleasesTest, UnsignedTimestampIsAnErrorNotAList) {
  add("targets", "app/stable/app-1.0.tar.zst", "1.0");
  std::string ts = testing::slurp(repo_dir() / "metadata" / "timestamp.json");
  const auto sigs = ts.find("\"signatures\":[");
  const auto end = ts.find("],\"signed\"");
  ASSERT_NE(sigs, std::string::npos);
  ASSERT_NE(end, std::string::npos);
  ts.replace(sigs, end - sigs + 1, "\"signatures\":[]");
  overwrite("timestamp.json", ts);
  EXPECT_EQ(listing_error(), ErrorCode::kUnsigned);
}

TEST_F(ReleasesTest, TruncatedOrHostileTimestampIsAnErrorNotACrash) {
  add("targets", "app/stable/app-1.0.tar.zst", "1.0");
  for (const std::string& hostile :
       {std::string(R"({"signatures":[],"signed":{"_type":"timestamp")"), std::string("[]"),
        std::string(R"({"signed":5})"),
        std::string(R"({"signatures":[],"signed":{"meta":{"snapshot.json":{"version":1}}}})")}) {
    overwrite("timestamp.json", hostile);
    EXPECT_EQ(listing_error(), ErrorCode::kMalformed) << hostile;
  }
}

TEST_F(ReleasesTest, TamperedTargetsMetadataIsAnError) {
  add("targets", "app/stable/app-1.0.tar.zst", "1.0");
  overwrite("2.targets.json", "{}");
  EXPECT_NE(listing_error(), ErrorCode::kOk);
}

}  // namespace
}  // namespace dss::server
