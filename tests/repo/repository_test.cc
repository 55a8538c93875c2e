// `dss repo` operations: key storage at rest, transactional edits, rotation, threshold
// signing, status warnings and offline verification.
#include "repo/repository.h"

#include <gtest/gtest.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "fakes/fast_kdf.h"
#include "fakes/temp_dir.h"
#include "platform/files.h"
#include "tuf/trusted_set.h"

namespace dss::repo {
namespace {

namespace fs = std::filesystem;
constexpr UnixSeconds kNow = 1'800'000'000;
constexpr UnixSeconds kDay = 86400;

std::string random_passphrase() {
  ensure_sodium_initialised();
  std::uint8_t b[16];
  randombytes_buf(b, sizeof b);
  return hex_encode(ByteView(b, sizeof b));
}

class RepoTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = fs::temp_directory_path() /
          ("dss-repo-test-" + std::to_string(::getpid()) + "-" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir);
    offline_pass = random_passphrase();
    online_pass = random_passphrase();
  }
  void TearDown() override { fs::remove_all(dir); }

  Secrets secrets(std::string offline = "", std::string online = "") const {
    Secrets s;
    s.offline = SecretBytes::from_string(offline.empty() ? offline_pass : offline);
    s.online = SecretBytes::from_string(online.empty() ? online_pass : online);
    s.kdf = dss::testing::fast_kdf();
    return s;
  }
  void init_repo(InitOptions o = {}) {
    o.dir = dir / "repo";
    auto r = init(o, secrets(), kNow);
    ASSERT_TRUE(r) << r.error().to_string();
  }
  fs::path write_file(const std::string& name, const std::string& content) {
    fs::create_directories(dir / "files");
    const fs::path p = dir / "files" / name;
    std::ofstream(p, std::ios::binary) << content;
    return p;
  }
  ErrorCode add(const std::string& target, const std::string& content,
                const std::string& role = "targets") {
    AddTargetOptions o;
    o.dir = dir / "repo";
    o.file = write_file("f" + std::to_string(counter++), content);
    o.target_path = target;
    o.role = role;
    auto r = add_target(o, secrets(), kNow);
    return r ? ErrorCode::kOk : r.error().code;
  }
  std::vector<std::string> problems(UnixSeconds now = kNow) {
    auto r = verify(dir / "repo", now);
    EXPECT_TRUE(r) << (r ? "" : r.error().to_string());
    return r ? *r : std::vector<std::string>{"verify failed"};
  }
  std::map<std::string, std::string> metadata_files() {
    std::map<std::string, std::string> out;
    for (const auto& e : fs::directory_iterator(dir / "repo" / "metadata")) {
      out[e.path().filename().string()] = testing::slurp(e.path());
    }
    return out;
  }
  static unsigned mode_of(const fs::path& p) {
    struct stat st {};
    ::stat(p.c_str(), &st);
    return st.st_mode & 0777;
  }

  fs::path dir;
  std::string offline_pass, online_pass;
  int counter = 0;
};

TEST_F(RepoTest, InitCreatesAVerifiableRepository) {
  init_repo();
  EXPECT_TRUE(problems().empty());
  EXPECT_TRUE(fs::exists(dir / "repo" / "metadata" / "1.root.json"));
  EXPECT_TRUE(fs::exists(dir / "repo" / "metadata" / "timestamp.json"));
}

TEST_F(RepoTest, InitRefusesToOverwriteAnExistingRepository) {
  init_repo();
  const auto before = metadata_files();
  InitOptions o;
  o.dir = dir / "repo";
  EXPECT_EQ(init(o, secrets(), kNow).error().code, ErrorCode::kAlreadyExists);
  EXPECT_EQ(metadata_files(), before);
}

TEST_F(RepoTest, NoDefaultPasswordsEmptyPassphraseIsRefused) {
  InitOptions o;
  o.dir = dir / "repo";
  Secrets s = secrets();
  s.offline = SecretBytes();
  EXPECT_EQ(init(o, s, kNow).error().code, ErrorCode::kInvalidArgument);
  EXPECT_FALSE(fs::exists(dir / "repo" / "metadata"));
}

TEST_F(RepoTest, KeyFilesArePrivateAndOnlineKeysAreSeparate) {
  init_repo();
  const fs::path offline = dir / "repo" / "keys" / "offline";
  const fs::path online = dir / "repo" / "keys" / "online";
  EXPECT_EQ(mode_of(offline), 0700u);
  EXPECT_EQ(mode_of(online), 0700u);
  int offline_count = 0, online_count = 0;
  for (const auto& e : fs::directory_iterator(offline)) {
    EXPECT_EQ(mode_of(e.path()), 0600u);
    ++offline_count;
    const std::string text = testing::slurp(e.path());
    EXPECT_EQ(text.find(offline_pass), std::string::npos);
  }
  for (const auto& e : fs::directory_iterator(online)) {
    EXPECT_EQ(mode_of(e.path()), 0600u);
    ++online_count;
  }
  EXPECT_EQ(offline_count, 2);  // root, targets
  EXPECT_EQ(online_count, 2);   // snapshot, timestamp
}

TEST_F(RepoTest, WrongPassphraseFailsAndChangesNothing) {
  init_repo();
  const auto before = metadata_files();
  AddTargetOptions o;
  o.dir = dir / "repo";
  o.file = write_file("a", "payload");
  o.target_path = "a.txt";
  EXPECT_EQ(add_target(o, secrets("not-the-passphrase"), kNow).error().code,
            ErrorCode::kDecryptFailed);
  EXPECT_EQ(metadata_files(), before);
}

TEST_F(RepoTest, TamperedKeyFileDoesNotDecrypt) {
  init_repo();
  for (const auto& e : fs::directory_iterator(dir / "repo" / "keys" / "offline")) {
    std::string text = testing::slurp(e.path());
    const auto pos = text.find("\"ciphertext\":\"") + 14;
    text[pos] = text[pos] == '0' ? '1' : '0';
    std::ofstream(e.path()) << text;
  }
  EXPECT_EQ(add("a.txt", "x"), ErrorCode::kDecryptFailed);
}

TEST_F(RepoTest, AddAndRemoveTargetsRoundTrip) {
  init_repo();
  ASSERT_EQ(add("app/1.0/app.bin", "release one"), ErrorCode::kOk);
  ASSERT_EQ(add("app/2.0/app.bin", "release two"), ErrorCode::kOk);
  EXPECT_TRUE(problems().empty());
  auto r = remove_target(dir / "repo", "targets", "app/1.0/app.bin", secrets(), kNow);
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_TRUE(problems().empty());
  EXPECT_EQ(remove_target(dir / "repo", "targets", "nope", secrets(), kNow).error().code,
            ErrorCode::kNotFound);
}

TEST_F(RepoTest, BadTargetPathIsRefusedAndChangesNothing) {
  init_repo();
  const auto before = metadata_files();
  for (const std::string bad : {"", "/abs", "a/../b", "a//b", "a\\b", "./a"}) {
    EXPECT_EQ(add(bad, "x"), ErrorCode::kInvalidArgument) << bad;
  }
  AddTargetOptions o;
  o.dir = dir / "repo";
  o.file = dir / "does-not-exist";
  o.target_path = "a";
  EXPECT_EQ(add_target(o, secrets(), kNow).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(metadata_files(), before);
}

// Every edit that names a targets role refuses one the repository does not have, with
// kNotFound, and writes nothing (targets_role used to hand back another role on failure).
TEST_F(RepoTest, EditOfAnUnknownTargetsRoleIsRefusedAndChangesNothing) {
  init_repo();
  const auto before = metadata_files();
  EXPECT_EQ(add("app/1.0/app.bin", "x", "no-such-role"), ErrorCode::kNotFound);
  EXPECT_EQ(remove_target(dir / "repo", "no-such-role", "app", secrets(), kNow).error().code,
            ErrorCode::kNotFound);
  DelegateOptions d;
  d.dir = dir / "repo";
  d.delegator = "no-such-role";
  d.name = "team";
  d.paths = {"team/*"};
  EXPECT_EQ(delegate(d, secrets(), kNow).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(metadata_files(), before);
  EXPECT_TRUE(problems().empty());
}

TEST_F(RepoTest, VerifyDetectsATamperedTargetFile) {
  init_repo();
  ASSERT_EQ(add("a.bin", "genuine"), ErrorCode::kOk);
  for (const auto& e : fs::directory_iterator(dir / "repo" / "targets")) {
    std::ofstream(e.path(), std::ios::binary) << "evil!!!";
  }
  EXPECT_FALSE(problems().empty());
}

TEST_F(RepoTest, VerifyDetectsTamperedMetadataAndRemovedSignatures) {
  init_repo();
  ASSERT_EQ(add("a.bin", "genuine"), ErrorCode::kOk);
  const fs::path targets = dir / "repo" / "metadata" / "2.targets.json";
  const std::string original = testing::slurp(targets);
  std::string changed = original;
  changed[changed.find("\"length\":7") + 9] = '8';
  std::ofstream(targets) << changed;
  EXPECT_FALSE(problems().empty());
  std::ofstream(targets) << original;
  EXPECT_TRUE(problems().empty());
  const fs::path ts = dir / "repo" / "metadata" / "timestamp.json";
  std::string ts_text = testing::slurp(ts);
  const auto start = ts_text.find("\"signatures\":[") + 14;
  ts_text.erase(start, ts_text.find(']', start) - start);
  std::ofstream(ts) << ts_text;
  EXPECT_FALSE(problems().empty());
}

TEST_F(RepoTest, VerifyReportsExpiredTimestamp) {
  init_repo();
  EXPECT_TRUE(problems().empty());
  EXPECT_FALSE(problems(kNow + 2 * kDay).empty());
  auto r = refresh(dir / "repo", {}, secrets(), kNow + 2 * kDay);
  ASSERT_TRUE(r);
  EXPECT_TRUE(problems(kNow + 2 * kDay).empty());
}

TEST_F(RepoTest, RootKeyRotationChainVerifiesFromTheFirstRoot) {
  init_repo();
  auto st = status(dir / "repo", kNow);
  ASSERT_TRUE(st);
  const std::string old_root = st->roles[0].keyids[0];
  RotateOptions o;
  o.dir = dir / "repo";
  o.role = "root";
  o.remove_keyids = {old_root.substr(0, 12)};
  auto r = rotate_key(o, secrets(), kNow);
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_TRUE(fs::exists(dir / "repo" / "metadata" / "2.root.json"));
  EXPECT_TRUE(problems().empty());
  st = status(dir / "repo", kNow);
  EXPECT_NE(st->roles[0].keyids[0], old_root);
  EXPECT_TRUE(fs::exists(dir / "repo" / "keys" / "retired"));
}

TEST_F(RepoTest, TimestampAndTargetsKeyRotation) {
  init_repo();
  for (const std::string role : {"timestamp", "targets", "snapshot"}) {
    auto st = status(dir / "repo", kNow);
    std::string old;
    for (const auto& r : st->roles)
      if (r.role == role) old = r.keyids[0];
    RotateOptions o;
    o.dir = dir / "repo";
    o.role = role;
    o.remove_keyids = {old};
    auto r = rotate_key(o, secrets(), kNow);
    ASSERT_TRUE(r) << role << ": " << r.error().to_string();
    EXPECT_TRUE(problems().empty()) << role;
  }
}

TEST_F(RepoTest, RotationToAnImpossibleThresholdIsRefused) {
  init_repo();
  const auto before = metadata_files();
  RotateOptions o;
  o.dir = dir / "repo";
  o.role = "targets";
  o.add_keys = 0;
  o.threshold = 2;
  EXPECT_EQ(rotate_key(o, secrets(), kNow).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(metadata_files(), before);
}

TEST_F(RepoTest, DelegatedRoleIsCreatedSignedAndVerified) {
  init_repo();
  DelegateOptions d;
  d.dir = dir / "repo";
  d.name = "team a?b";
  d.paths = {"team/*"};
  auto r = delegate(d, secrets(), kNow);
  ASSERT_TRUE(r) << r.error().to_string();
  ASSERT_EQ(add("team/tool.bin", "delegated", "team a?b"), ErrorCode::kOk);
  EXPECT_TRUE(problems().empty());
  // On disk under the name a static server maps the client's quoted request to.
  EXPECT_TRUE(fs::exists(dir / "repo" / "metadata" / "2.team a?b.json"));
  for (const std::string bad : {"snapshot", "../x", "a/b", ""}) {
    d.name = bad;
    EXPECT_EQ(delegate(d, secrets(), kNow).error().code, ErrorCode::kInvalidArgument) << bad;
  }
}

TEST_F(RepoTest, ThresholdSigningWithSignAndMerge) {
  InitOptions o;
  o.root_keys = 3;
  o.root_threshold = 2;
  init_repo(o);
  // Two of the three root key holders take their keys away.
  fs::create_directories(dir / "holders");
  std::vector<fs::path> held;
  for (const auto& e : fs::directory_iterator(dir / "repo" / "keys" / "offline")) {
    if (e.path().filename().string().starts_with("root-") && held.size() < 2) {
      held.push_back(dir / "holders" / e.path().filename());
      fs::rename(e.path(), held.back());
    }
  }
  ASSERT_EQ(held.size(), 2u);
  // Renewing root now needs a second signature: it is staged, not published.
  auto staged = refresh(dir / "repo", {"root"}, secrets(), kNow);
  ASSERT_TRUE(staged) << staged.error().to_string();
  EXPECT_TRUE(fs::exists(dir / "repo" / "pending" / "root.json"));
  EXPECT_FALSE(fs::exists(dir / "repo" / "metadata" / "2.root.json"));
  auto st = status(dir / "repo", kNow);
  ASSERT_EQ(st->pending.size(), 1u);
  // One holder signs; merge publishes.
  auto sig = sign(dir / "repo", "root", held[0], SecretBytes::from_string(offline_pass));
  ASSERT_TRUE(sig) << sig.error().to_string();
  const fs::path sig_file = dir / "holders" / "sig.json";
  std::ofstream(sig_file) << *sig;
  auto merged = merge(dir / "repo", {sig_file}, secrets(), kNow);
  ASSERT_TRUE(merged) << merged.error().to_string();
  EXPECT_TRUE(fs::exists(dir / "repo" / "metadata" / "2.root.json"));
  EXPECT_FALSE(fs::exists(dir / "repo" / "pending" / "root.json"));
  EXPECT_TRUE(problems().empty());
}

// Spec §4.2: a key id appears once in "signatures". Merging the same detached signature
// twice (or one for a key that already signed) replaces it instead of repeating the key id,
// which clients refuse as malformed.
TEST_F(RepoTest, MergingASignatureTwiceKeepsOneSignaturePerKey) {
  InitOptions o;
  o.root_keys = 3;
  o.root_threshold = 2;
  init_repo(o);
  fs::create_directories(dir / "holders");
  std::vector<fs::path> held;
  for (const auto& e : fs::directory_iterator(dir / "repo" / "keys" / "offline")) {
    if (e.path().filename().string().starts_with("root-") && held.size() < 2) {
      held.push_back(dir / "holders" / e.path().filename());
      fs::rename(e.path(), held.back());
    }
  }
  ASSERT_EQ(held.size(), 2u);
  ASSERT_TRUE(refresh(dir / "repo", {"root"}, secrets(), kNow));
  auto sig = sign(dir / "repo", "root", held[0], SecretBytes::from_string(offline_pass));
  ASSERT_TRUE(sig) << sig.error().to_string();
  const fs::path sig_file = dir / "holders" / "sig.json";
  std::ofstream(sig_file) << *sig;
  auto merged = merge(dir / "repo", {sig_file, sig_file}, secrets(), kNow);
  ASSERT_TRUE(merged) << merged.error().to_string();
  const std::string published = testing::slurp(dir / "repo" / "metadata" / "2.root.json");
  tuf::MetadataParser parser;
  auto root = parser.root(published);
  ASSERT_TRUE(root) << root.error().to_string();
  EXPECT_EQ(root->signatures.size(), 2u);
  EXPECT_TRUE(problems().empty());
}

TEST_F(RepoTest, SignatureForDifferentMetadataIsRefusedByMerge) {
  InitOptions o;
  o.root_keys = 2;
  o.root_threshold = 2;
  init_repo(o);
  fs::path held;
  for (const auto& e : fs::directory_iterator(dir / "repo" / "keys" / "offline")) {
    if (e.path().filename().string().starts_with("root-")) held = e.path();
  }
  fs::create_directories(dir / "holders");
  fs::rename(held, dir / "holders" / held.filename());
  held = dir / "holders" / held.filename();
  ASSERT_TRUE(refresh(dir / "repo", {"root"}, secrets(), kNow));
  auto sig = sign(dir / "repo", "root", held, SecretBytes::from_string(offline_pass));
  ASSERT_TRUE(sig);
  ASSERT_TRUE(refresh(dir / "repo", {"root"}, secrets(), kNow + 10));  // pending changes
  std::ofstream(dir / "holders" / "sig.json") << *sig;
  EXPECT_EQ(merge(dir / "repo", {dir / "holders" / "sig.json"}, secrets(), kNow).error().code,
            ErrorCode::kFailedPrecondition);
}

TEST_F(RepoTest, HostileSignatureFilesAreRefusedAndChangeNothing) {
  init_repo();
  const auto before = metadata_files();
  const std::vector<std::string> hostile{"", "{", "[]", "{\"format\":\"dss-signature-v1\"}",
                                         std::string(100000, '{')};
  for (const std::string& bad : hostile) {
    const fs::path f = write_file("sig.json", bad);
    auto r = merge(dir / "repo", {f}, secrets(), kNow);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::kMalformed);
  }
  EXPECT_EQ(metadata_files(), before);
}

TEST_F(RepoTest, CorruptSettingsFileIsReportedClearly) {
  init_repo();
  std::ofstream(dir / "repo" / "repository.json") << "{\"format\":1}";
  auto r = status(dir / "repo", kNow);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kMalformed);
}

TEST_F(RepoTest, StatusWarnsLoudlyBeforeRootExpires) {
  init_repo();
  auto fine = status(dir / "repo", kNow);
  ASSERT_TRUE(fine);
  EXPECT_TRUE(fine->warnings.empty());
  auto soon = status(dir / "repo", kNow + 320 * kDay);  // root: 45 days left
  ASSERT_TRUE(soon);
  bool root_warning = false;
  for (const auto& w : soon->warnings) root_warning |= w.starts_with("WARNING: root");
  EXPECT_TRUE(root_warning);
  auto critical = status(dir / "repo", kNow + 360 * kDay);
  bool root_critical = false;
  for (const auto& w : critical->warnings) root_critical |= w.starts_with("CRITICAL: root");
  EXPECT_TRUE(root_critical);
}

TEST_F(RepoTest, ConcurrentEditIsRefused) {
  init_repo();
  auto held = platform::DirLock::acquire(dir / "repo");
  ASSERT_TRUE(held);
  EXPECT_EQ(add("a", "x"), ErrorCode::kFailedPrecondition);
}

TEST_F(RepoTest, OperationsOnAMissingRepositorySayWhatToDo) {
  auto r = status(dir / "nothing-here", kNow);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_NE(r.error().message.find("dss repo init"), std::string::npos);
}

TEST_F(RepoTest, EcdsaAndRsaRepositoriesVerify) {
  for (auto scheme : {crypto::KeyScheme::kEcdsaP256, crypto::KeyScheme::kRsaPssSha256}) {
    fs::remove_all(dir / "repo");
    InitOptions o;
    o.settings.scheme = scheme;
    init_repo(o);
    ASSERT_EQ(add("a.bin", "x"), ErrorCode::kOk);
    EXPECT_TRUE(problems().empty());
  }
}

}  // namespace
}  // namespace dss::repo
