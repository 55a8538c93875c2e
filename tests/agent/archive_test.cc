// Archive extraction refuses every hostile entry as a whole, writes nothing outside the
// destination, and enforces the signed size and entry bounds on what is actually written.
#include "agent/archive.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "agent/archive_builder.h"
#include "fakes/temp_dir.h"

namespace dss::agent {
namespace {

namespace fs = std::filesystem;
using dss::testing::ArchiveEntry;
using dss::testing::build_archive;
using dss::testing::file;
using K = ArchiveEntry::Kind;

class ArchiveTest : public ::testing::Test {
 protected:
  ErrorCode extract(const std::vector<ArchiveEntry>& entries, ArchiveLimits limits = {1 << 20, 100},
                    bool zstd = true) {
    const std::string bytes = build_archive(entries, zstd);
    const fs::path archive = dir.path() / "a.tar.zst";
    dss::testing::write_bytes(archive, bytes);
    fs::remove_all(dest);
    auto r = extract_tar_zst(archive, dest, limits);
    if (!r) {
      EXPECT_FALSE(fs::exists(dest)) << "a refused archive must leave nothing behind";
    }
    return r ? ErrorCode::kOk : r.error().code;
  }
  // Nothing was created next to the destination.
  void expect_nothing_outside() {
    for (const auto& e : fs::directory_iterator(dir.path())) {
      const std::string n = e.path().filename().string();
      EXPECT_TRUE(n == "a.tar.zst" || n == "dest") << "unexpected " << n;
    }
  }
  dss::testing::TempDir dir{"dss-archive"};
  fs::path dest = dir.path() / "dest";
};

TEST_F(ArchiveTest, ExtractsFilesFoldersLinksAndModes) {
  ASSERT_EQ(extract({{"bin", K::kDir, "", 0755},
                     file("bin/app", "#!/bin/sh\necho hi\n", 0755),
                     file("share/doc/readme.txt", "hello"),
                     {"share/link", K::kSymlink, "doc/readme.txt"},
                     {"bin/up", K::kSymlink, "../share/doc"},
                     {"share/hard", K::kHardlink, "share/doc/readme.txt"}}),
            ErrorCode::kOk);
  struct stat st {};
  ASSERT_EQ(::stat((dest / "bin/app").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0755U);
  EXPECT_EQ(fs::read_symlink(dest / "share/link"), "doc/readme.txt");
  EXPECT_EQ(fs::file_size(dest / "share/hard"), 5U);
}

TEST_F(ArchiveTest, RefusesPathTraversal) {
  EXPECT_EQ(extract({file("ok", "x"), file("../evil", "x")}), ErrorCode::kArchiveRefused);
  EXPECT_EQ(extract({file("a/../../evil", "x")}), ErrorCode::kArchiveRefused);
  expect_nothing_outside();
}

TEST_F(ArchiveTest, RefusesAbsolutePaths) {
  EXPECT_EQ(extract({file("/tmp/dss-evil-absolute", "x")}), ErrorCode::kArchiveRefused);
  EXPECT_FALSE(fs::exists("/tmp/dss-evil-absolute"));
}

TEST_F(ArchiveTest, RefusesSymlinksEscapingTheRoot) {
  EXPECT_EQ(extract({{"l", K::kSymlink, "/etc/passwd"}}), ErrorCode::kArchiveRefused);
  EXPECT_EQ(extract({{"a/l", K::kSymlink, "../../outside"}}), ErrorCode::kArchiveRefused);
  // "s" points at the root itself, so "s/.." would be the root's parent.
  EXPECT_EQ(extract({{"s", K::kSymlink, "."}, {"l", K::kSymlink, "s/.."}}),
            ErrorCode::kArchiveRefused);
  expect_nothing_outside();
}

TEST_F(ArchiveTest, RefusesWritingThroughASymlink) {
  // A link inside the root, then a file "through" it: refused rather than followed.
  EXPECT_EQ(extract({{"d", K::kDir, "", 0755}, {"l", K::kSymlink, "d"}, file("l/x", "x")}),
            ErrorCode::kArchiveRefused);
}

TEST_F(ArchiveTest, RefusesHardLinksToAnythingButAnEarlierFile) {
  EXPECT_EQ(extract({{"h", K::kHardlink, "/etc/passwd"}}), ErrorCode::kArchiveRefused);
  EXPECT_EQ(extract({{"h", K::kHardlink, "../outside"}}), ErrorCode::kArchiveRefused);
  EXPECT_EQ(extract({{"h", K::kHardlink, "later"}, file("later", "x")}),
            ErrorCode::kArchiveRefused);
}

TEST_F(ArchiveTest, RefusesDevicesAndFifos) {
  EXPECT_EQ(extract({{"null", K::kCharDevice, ""}}), ErrorCode::kArchiveRefused);
  EXPECT_EQ(extract({{"pipe", K::kFifo, ""}}), ErrorCode::kArchiveRefused);
}

TEST_F(ArchiveTest, RefusesSetuidAndSetgid) {
  EXPECT_EQ(extract({file("su", "x", 04755)}), ErrorCode::kArchiveRefused);
  EXPECT_EQ(extract({file("sg", "x", 02755)}), ErrorCode::kArchiveRefused);
}

TEST_F(ArchiveTest, RefusesDuplicateEntries) {
  EXPECT_EQ(extract({file("a", "x"), file("a", "y")}), ErrorCode::kArchiveRefused);
}

TEST_F(ArchiveTest, ArchiveBombBeyondDeclaredSizeIsRefused) {
  const std::string big(100000, 'z');  // compresses to almost nothing
  EXPECT_EQ(extract({file("a", big)}, {99999, 10}), ErrorCode::kArchiveTooLarge);
  EXPECT_EQ(extract({file("a", big)}, {100000, 10}), ErrorCode::kOk);
}

TEST_F(ArchiveTest, MoreEntriesThanDeclaredIsRefused) {
  EXPECT_EQ(extract({file("a", "1"), file("b", "2"), file("c", "3")}, {100, 2}),
            ErrorCode::kArchiveTooLarge);
}

TEST_F(ArchiveTest, RefusesArchivesThatAreNotZstd) {
  EXPECT_EQ(extract({file("a", "1")}, {100, 10}, /*zstd=*/false), ErrorCode::kArchiveRefused);
}

TEST_F(ArchiveTest, CorruptStreamIsMalformedAndLeavesNothing) {
  std::string bytes = build_archive({file("a", std::string(5000, 'q')), file("b", "x")});
  bytes.resize(bytes.size() / 2);
  const fs::path archive = dir.path() / "a.tar.zst";
  dss::testing::write_bytes(archive, bytes);
  auto r = extract_tar_zst(archive, dest, {1 << 20, 10});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kMalformed);
  EXPECT_FALSE(fs::exists(dest));
}

}  // namespace
}  // namespace dss::agent
