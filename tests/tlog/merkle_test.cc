// RFC 6962 / 9162 hashing and proofs, checked against published Certificate Transparency roots
// and against a deliberately naive implementation written from the RFC's definitions.
#include "tlog/merkle.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace dss::tlog {
namespace {

// MTH, PATH and PROOF exactly as RFC 6962 §2.1 writes them, over the leaves themselves.
Hash naive_mth(const std::vector<std::string>& d, std::size_t lo, std::size_t hi) {
  if (hi - lo == 0) return empty_tree_hash();
  if (hi - lo == 1) return leaf_hash(as_bytes(d[lo]));
  std::size_t k = 1;
  while (k * 2 < hi - lo) k *= 2;
  return node_hash(naive_mth(d, lo, lo + k), naive_mth(d, lo + k, hi));
}
std::vector<Hash> naive_path(const std::vector<std::string>& d, std::size_t m, std::size_t lo,
                             std::size_t hi) {
  if (hi - lo <= 1) return {};
  std::size_t k = 1;
  while (k * 2 < hi - lo) k *= 2;
  std::vector<Hash> out;
  if (m < k) {
    out = naive_path(d, m, lo, lo + k);
    out.push_back(naive_mth(d, lo + k, hi));
  } else {
    out = naive_path(d, m - k, lo + k, hi);
    out.push_back(naive_mth(d, lo, lo + k));
  }
  return out;
}
std::vector<Hash> naive_subproof(const std::vector<std::string>& d, std::size_t m, std::size_t lo,
                                 std::size_t hi, bool b) {
  const std::size_t n = hi - lo;
  if (m == n) return b ? std::vector<Hash>{} : std::vector<Hash>{naive_mth(d, lo, hi)};
  std::size_t k = 1;
  while (k * 2 < n) k *= 2;
  std::vector<Hash> out;
  if (m <= k) {
    out = naive_subproof(d, m, lo, lo + k, b);
    out.push_back(naive_mth(d, lo + k, hi));
  } else {
    out = naive_subproof(d, m - k, lo + k, hi, false);
    out.push_back(naive_mth(d, lo, lo + k));
  }
  return out;
}

// A NodeSource over leaves held in memory, computing each stored node naively.
class MemoryNodes final : public NodeSource {
 public:
  explicit MemoryNodes(const std::vector<std::string>& d) : d_(d) {}
  [[nodiscard]] Result<Hash> node(unsigned level, std::uint64_t index) const override {
    const std::size_t lo = static_cast<std::size_t>(index << level);
    const std::size_t hi = lo + (std::size_t{1} << level);
    if (hi > d_.size()) return make_error(ErrorCode::kNotFound, "beyond the tree");
    ++reads;
    return naive_mth(d_, lo, hi);
  }
  mutable std::size_t reads = 0;

 private:
  const std::vector<std::string>& d_;
};

std::vector<std::string> ct_leaves() {
  return {"",
          std::string("\x00", 1),
          "\x10",
          "\x20\x21",
          "\x30\x31",
          "\x40\x41\x42\x43",
          "\x50\x51\x52\x53\x54\x55\x56\x57",
          "\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f"};
}

TEST(MerkleRfc6962, RootsMatchCertificateTransparencyTestVectors) {
  const auto d = ct_leaves();
  EXPECT_EQ(hex_encode(empty_tree_hash()),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(hex_encode(naive_mth(d, 0, 1)),
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d");
  EXPECT_EQ(hex_encode(naive_mth(d, 0, 8)),
            "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328");
  CompactRange range;
  for (std::size_t i = 0; i < d.size(); ++i) {
    range.push(leaf_hash(as_bytes(d[i])));
    EXPECT_EQ(range.root(), naive_mth(d, 0, i + 1)) << "size " << i + 1;
  }
}

TEST(MerkleRfc6962, LeafAndNodeHashesAreDomainSeparated) {
  // A leaf whose bytes are two child hashes must not hash like their parent node.
  const Hash a = leaf_hash(as_bytes("a"));
  const Hash b = leaf_hash(as_bytes("b"));
  std::string both(a.begin(), a.end());
  both.append(b.begin(), b.end());
  EXPECT_NE(leaf_hash(as_bytes(both)), node_hash(a, b));
}

TEST(MerkleRfc6962, ProofsMatchTheNaiveDefinitionAndVerifyForEverySize) {
  std::vector<std::string> d;
  for (int i = 0; i < 70; ++i) d.push_back("entry " + std::to_string(i));
  const MemoryNodes nodes(d);
  for (std::size_t n = 1; n <= d.size(); ++n) {
    const Hash root = naive_mth(d, 0, n);
    auto stored_root = subtree_hash(nodes, 0, n);
    ASSERT_TRUE(stored_root.has_value());
    EXPECT_EQ(*stored_root, root);
    for (std::size_t m = 0; m < n; ++m) {
      auto proof = inclusion_proof(nodes, m, n);
      ASSERT_TRUE(proof.has_value());
      EXPECT_EQ(*proof, naive_path(d, m, 0, n)) << m << " in " << n;
      EXPECT_TRUE(verify_inclusion(leaf_hash(as_bytes(d[m])), m, n, *proof, root).has_value());
    }
    for (std::size_t m = 1; m <= n; ++m) {
      auto proof = consistency_proof(nodes, m, n);
      ASSERT_TRUE(proof.has_value());
      if (m < n) {
        EXPECT_EQ(*proof, naive_subproof(d, m, 0, n, true)) << m << " to " << n;
      }
      EXPECT_TRUE(verify_consistency(m, n, naive_mth(d, 0, m), root, *proof).has_value())
          << m << " to " << n;
    }
  }
}

TEST(MerkleRfc6962, TamperedInclusionProofIsRejected) {
  std::vector<std::string> d;
  for (int i = 0; i < 13; ++i) d.push_back(std::to_string(i));
  const MemoryNodes nodes(d);
  const Hash root = naive_mth(d, 0, 13);
  auto proof = inclusion_proof(nodes, 5, 13);
  ASSERT_TRUE(proof.has_value());
  auto flipped = *proof;
  flipped[1][0] ^= 1U;
  EXPECT_EQ(verify_inclusion(leaf_hash(as_bytes(d[5])), 5, 13, flipped, root).error().code,
            ErrorCode::kBadProof);
  // The right proof for the wrong entry, a wrong index, a short or a long proof: all refused.
  EXPECT_FALSE(verify_inclusion(leaf_hash(as_bytes(d[6])), 5, 13, *proof, root).has_value());
  EXPECT_FALSE(verify_inclusion(leaf_hash(as_bytes(d[5])), 4, 13, *proof, root).has_value());
  auto shorter = *proof;
  shorter.pop_back();
  EXPECT_FALSE(verify_inclusion(leaf_hash(as_bytes(d[5])), 5, 13, shorter, root).has_value());
  auto longer = *proof;
  longer.push_back(root);
  EXPECT_FALSE(verify_inclusion(leaf_hash(as_bytes(d[5])), 5, 13, longer, root).has_value());
  EXPECT_FALSE(verify_inclusion(leaf_hash(as_bytes(d[5])), 13, 13, *proof, root).has_value());
}

TEST(MerkleRfc6962, ConsistencyProofAgainstAForkedHistoryIsRejected) {
  std::vector<std::string> d;
  for (int i = 0; i < 21; ++i) d.push_back(std::to_string(i));
  const MemoryNodes nodes(d);
  auto forked = d;
  forked[3] = "rewritten";
  const Hash old_root_of_fork = naive_mth(forked, 0, 7);
  auto proof = consistency_proof(nodes, 7, 21);
  ASSERT_TRUE(proof.has_value());
  EXPECT_EQ(verify_consistency(7, 21, old_root_of_fork, naive_mth(d, 0, 21), *proof).error().code,
            ErrorCode::kBadProof);
  EXPECT_EQ(verify_consistency(8, 8, naive_mth(d, 0, 8), naive_mth(forked, 0, 8), {}).error().code,
            ErrorCode::kBadProof);
  EXPECT_FALSE(verify_consistency(7, 21, naive_mth(d, 0, 7), naive_mth(d, 0, 21), {}).has_value());
}

TEST(MerkleRfc6962, ProofGenerationReadsStoredSubtreesNotEveryLeaf) {
  std::vector<std::string> d;
  for (int i = 0; i < 1000; ++i) d.push_back(std::to_string(i));
  const MemoryNodes nodes(d);
  ASSERT_TRUE(inclusion_proof(nodes, 517, 1000).has_value());
  EXPECT_LT(nodes.reads, 64U);  // O(log^2 n) stored reads, never the 1000 leaves
}

}  // namespace
}  // namespace dss::tlog
