// The repository's release transparency log: entries appended, the checkpoint and proofs
// published as static files that verify, the log key sealed with the online passphrase and
// vouched for by TUF, withdrawn releases kept, bad input refused without a trace.
#include "repo/transparency.h"

#include <gtest/gtest.h>
#include <sodium.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "crypto/hash.h"
#include "fakes/fast_kdf.h"
#include "fakes/temp_dir.h"
#include "platform/files.h"
#include "repo/key_file.h"
#include "repo/repository.h"
#include "tlog/merkle.h"
#include "tlog/note.h"

namespace dss::repo {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
constexpr UnixSeconds kNow = 1'800'000'000;

std::string random_passphrase() {
  ensure_sodium_initialised();
  std::uint8_t b[16];
  randombytes_buf(b, sizeof b);
  return hex_encode(ByteView(b, sizeof b));
}

using dss::testing::slurp;

tlog::Hash hash_of(const std::string& hex) {
  auto raw = hex_decode(hex);
  tlog::Hash h{};
  if (raw && raw->size() == 32) std::copy(raw->begin(), raw->end(), h.begin());
  return h;
}

std::vector<tlog::Hash> proof_of(const json& a) {
  std::vector<tlog::Hash> out;
  for (const auto& h : a) out.push_back(hash_of(h.get<std::string>()));
  return out;
}

class TransparencyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    offline_ = random_passphrase();
    online_ = random_passphrase();
    InitOptions o;
    o.dir = repo_;
    auto r = init(o, secrets(), kNow);
    ASSERT_TRUE(r) << r.error().to_string();
  }

  Secrets secrets() const {
    Secrets s;
    s.offline = SecretBytes::from_string(offline_);
    s.online = SecretBytes::from_string(online_);
    s.kdf = dss::testing::fast_kdf();
    return s;
  }

  // Publishes `content` as a TUF target and logs it as release `version`.
  std::uint64_t publish(const std::string& version, const std::string& content) {
    const fs::path f = dir_.path() / ("file-" + version);
    std::ofstream(f, std::ios::binary) << content;
    AddTargetOptions o;
    o.dir = repo_;
    o.file = f;
    o.target_path = "app/stable/" + version + "/app.tar.zst";
    auto r = add_target(o, secrets(), kNow);
    EXPECT_TRUE(r) << r.error().to_string();
    auto i = transparency_append(repo_, entry(version, content), secrets(), kNow);
    EXPECT_TRUE(i) << i.error().to_string();
    return i ? *i : ~0ULL;
  }

  static TransparencyEntry entry(const std::string& version, const std::string& content) {
    return {"release", "app", version, "app/stable/" + version + "/app.tar.zst",
            crypto::sha256_hex(content)};
  }

  // The log key as agents learn it: from the TUF target file.
  tlog::NoteVerifier verifier_from_target() {
    for (const auto& e : fs::directory_iterator(repo_ / "targets" / "transparency")) {
      const json j = json::parse(slurp(e.path()));
      auto v = tlog::NoteVerifier::parse(j["verifier_key"].get<std::string>());
      EXPECT_TRUE(v);
      if (v) return *v;
    }
    ADD_FAILURE() << "no transparency/log.json target";
    std::abort();
  }

  tlog::Checkpoint checkpoint() {
    auto c =
        tlog::open_checkpoint(slurp(repo_ / "transparency" / "checkpoint"), verifier_from_target());
    EXPECT_TRUE(c) << c.error().to_string();
    return c ? *c : tlog::Checkpoint{};
  }

  // Verifies entries/<sha>.json against the published checkpoint.
  Status inclusion(const std::string& content) {
    const tlog::Checkpoint c = checkpoint();
    const json j = json::parse(
        slurp(repo_ / "transparency" / "entries" / (crypto::sha256_hex(content) + ".json")));
    EXPECT_EQ(j["tree_size"].get<std::uint64_t>(), c.size);
    const std::string leaf = j["leaf"].get<std::string>();
    return tlog::verify_inclusion(tlog::leaf_hash(as_bytes(leaf)), j["index"].get<std::uint64_t>(),
                                  c.size, proof_of(j["inclusion_proof"]), c.root);
  }

  dss::testing::TempDir dir_{"dss-transparency"};
  fs::path repo_ = dir_.path() / "repo";
  std::string offline_, online_;
};

TEST_F(TransparencyTest, AppendsGetIndexesAndEveryInclusionProofVerifies) {
  EXPECT_EQ(publish("1.0", "one"), 0U);
  EXPECT_EQ(publish("1.1", "two"), 1U);
  EXPECT_EQ(publish("2.0", "three"), 2U);
  EXPECT_EQ(checkpoint().size, 3U);
  for (const char* c : {"one", "two", "three"}) EXPECT_TRUE(inclusion(c)) << c;
  auto problems = transparency_verify(repo_);
  ASSERT_TRUE(problems) << problems.error().to_string();
  EXPECT_TRUE(problems->empty()) << (*problems)[0];
  auto st = transparency_status(repo_);
  ASSERT_TRUE(st);
  EXPECT_TRUE(st->exists);
  EXPECT_EQ(st->size, 3U);
  EXPECT_TRUE(st->origin.starts_with("dss-release-transparency/"));
}

TEST_F(TransparencyTest, ConsistencyFromEveryEarlierCheckpointVerifiesAcrossAppends) {
  std::vector<tlog::Checkpoint> seen;
  for (int i = 0; i < 6; ++i) {
    publish("1." + std::to_string(i), "release " + std::to_string(i));
    seen.push_back(checkpoint());
  }
  const tlog::Checkpoint now = seen.back();
  for (std::size_t i = 0; i + 1 < seen.size(); ++i) {
    const tlog::Checkpoint& old = seen[i];
    const json j = json::parse(
        slurp(repo_ / "transparency" / "consistency" / (std::to_string(old.size) + ".json")));
    EXPECT_EQ(j["new_size"].get<std::uint64_t>(), now.size);
    EXPECT_TRUE(
        tlog::verify_consistency(old.size, now.size, old.root, now.root, proof_of(j["proof"])))
        << "from size " << old.size;
    // A root other than the one seen (a fork) fails the same proof.
    tlog::Hash forged = old.root;
    forged[0] ^= 1U;
    EXPECT_FALSE(
        tlog::verify_consistency(old.size, now.size, forged, now.root, proof_of(j["proof"])));
  }
}

TEST_F(TransparencyTest, WithdrawnReleaseStaysInTheLogAndItsProofStillVerifies) {
  publish("1.0", "first");
  publish("1.1", "second");
  auto r = remove_target(repo_, "targets", "app/stable/1.0/app.tar.zst", secrets(), kNow);
  ASSERT_TRUE(r) << r.error().to_string();
  publish("1.2", "third");
  EXPECT_TRUE(inclusion("first"));
  auto problems = transparency_verify(repo_);
  ASSERT_TRUE(problems);
  EXPECT_TRUE(problems->empty()) << (*problems)[0];
  const json j = json::parse(
      slurp(repo_ / "transparency" / "entries" / (crypto::sha256_hex("first") + ".json")));
  EXPECT_EQ(j["index"].get<std::uint64_t>(), 0U);
}

TEST_F(TransparencyTest, LogKeyIsSealedWithTheOnlinePassphraseAndVouchedForByTuf) {
  publish("1.0", "x");
  fs::path key_file;
  for (const auto& e : fs::directory_iterator(repo_ / "keys" / "online")) {
    if (e.path().filename().string().starts_with("transparency-log-")) key_file = e.path();
  }
  ASSERT_FALSE(key_file.empty());
  const std::string sealed = slurp(key_file);
  EXPECT_EQ(open_key(sealed, SecretBytes::from_string(offline_)).error().code,
            ErrorCode::kDecryptFailed);
  auto key = open_key(sealed, SecretBytes::from_string(online_));
  ASSERT_TRUE(key);
  const tlog::NoteVerifier published = verifier_from_target();
  auto signer = tlog::NoteSigner::from_key(published.name(), *key);
  ASSERT_TRUE(signer);
  EXPECT_EQ(signer->verifier().to_string(), published.to_string());
  // No plaintext key in the log directory; the TUF repository (with the log target) verifies.
  EXPECT_FALSE(fs::exists(repo_ / "transparency" / "log" / "log.key"));
  auto problems = verify(repo_, kNow);
  ASSERT_TRUE(problems);
  EXPECT_TRUE(problems->empty()) << (*problems)[0];
  // The same key signs later checkpoints: one key file only.
  publish("1.1", "y");
  int keys = 0;
  for (const auto& e : fs::directory_iterator(repo_ / "keys" / "online")) {
    keys += e.path().filename().string().starts_with("transparency-log-") ? 1 : 0;
  }
  EXPECT_EQ(keys, 1);
}

TEST_F(TransparencyTest, MalformedEntryIsRefusedAndWritesNothing) {
  auto bad = entry("1.0", "x");
  bad.sha256 = "not-a-hash";
  auto r = transparency_append(repo_, bad, secrets(), kNow);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(r.error().message.find("sha256"), std::string::npos);
  EXPECT_FALSE(fs::exists(repo_ / "transparency"));
  bad = entry("1.0", "x");
  bad.kind = "binary";
  EXPECT_EQ(transparency_append(repo_, bad, secrets(), kNow).error().code,
            ErrorCode::kInvalidArgument);
  EXPECT_FALSE(fs::exists(repo_ / "transparency"));
  // A repository that never logged anything has nothing to report.
  auto st = transparency_status(repo_);
  ASSERT_TRUE(st);
  EXPECT_FALSE(st->exists);
  auto problems = transparency_verify(repo_);
  ASSERT_TRUE(problems);
  EXPECT_TRUE(problems->empty());
}

TEST_F(TransparencyTest, TamperedPublishedProofIsReportedByVerify) {
  publish("1.0", "a");
  publish("1.1", "b");
  const fs::path f = repo_ / "transparency" / "entries" / (crypto::sha256_hex("a") + ".json");
  json j = json::parse(slurp(f));
  std::string h = j["inclusion_proof"][0].get<std::string>();
  h[0] = h[0] == '0' ? '1' : '0';
  j["inclusion_proof"][0] = h;
  std::ofstream(f, std::ios::binary | std::ios::trunc) << j.dump();
  EXPECT_FALSE(inclusion("a"));
  auto problems = transparency_verify(repo_);
  ASSERT_TRUE(problems);
  ASSERT_EQ(problems->size(), 1U);
  EXPECT_NE((*problems)[0].find("inclusion proof"), std::string::npos);
}

TEST_F(TransparencyTest, EntryFileWithMissingOrMistypedFieldsIsReportedNotACrash) {
  publish("1.0", "a");
  const fs::path f = repo_ / "transparency" / "entries" / (crypto::sha256_hex("a") + ".json");
  for (const char* text :
       {R"({"inclusion_proof":[]})",
        R"({"index":"0","tree_size":1,"leaf":"x","inclusion_proof":[]})", "[]", "not json"}) {
    std::ofstream(f, std::ios::binary | std::ios::trunc) << text;
    auto problems = transparency_verify(repo_);
    ASSERT_TRUE(problems) << text;
    ASSERT_EQ(problems->size(), 1U) << text;
    EXPECT_NE((*problems)[0].find("malformed"), std::string::npos) << (*problems)[0];
    EXPECT_TRUE(transparency_status(repo_)) << text;
  }
  // A well-formed entry whose leaf is not an object, or names its hash as a number.
  for (const char* leaf : {"1", R"({"sha256":1})"}) {
    const json entry = {
        {"index", 0}, {"tree_size", 1}, {"leaf", leaf}, {"inclusion_proof", json::array()}};
    std::ofstream(f, std::ios::binary | std::ios::trunc) << entry.dump();
    auto problems = transparency_verify(repo_);
    ASSERT_TRUE(problems) << leaf;
    ASSERT_EQ(problems->size(), 1U) << leaf;
    EXPECT_NE((*problems)[0].find("does not verify"), std::string::npos) << (*problems)[0];
  }
}

}  // namespace
}  // namespace dss::repo
