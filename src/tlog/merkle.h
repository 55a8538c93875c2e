// RFC 6962 / RFC 9162 Merkle trees: hashing, proofs, and their verification.
//
// leaf hash = SHA-256(0x00 || entry); node hash = SHA-256(0x01 || left || right). A tree of n
// leaves splits at the largest power of two below n. Proof generation reads stored hashes of
// complete subtrees through NodeSource, so it costs O(log^2 n) reads at most and never rehashes
// the log. Nothing here touches files or the clock.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/bytes.h"
#include "core/result.h"
#include "crypto/hash.h"

namespace dss::tlog {

using Hash = crypto::Sha256Digest;

Hash leaf_hash(ByteView entry);
Hash node_hash(const Hash& left, const Hash& right);
Hash empty_tree_hash();  // SHA-256 of nothing: the root of the empty tree

// Stored hashes of complete subtrees: node(level, index) covers the leaves
// [index * 2^level, (index + 1) * 2^level).
class NodeSource {
 public:
  virtual ~NodeSource() = default;
  [[nodiscard]] virtual Result<Hash> node(unsigned level, std::uint64_t index) const = 0;
};

// MTH(D[start : start + size]) for a range that starts on a multiple of the smallest power of
// two >= size (every range the proof algorithms ask for does).
Result<Hash> subtree_hash(const NodeSource& nodes, std::uint64_t start, std::uint64_t size);
// RFC 6962 §2.1.1 PATH(index, D[size]), deepest sibling first.
Result<std::vector<Hash>> inclusion_proof(const NodeSource& nodes, std::uint64_t index,
                                          std::uint64_t size);
// RFC 6962 §2.1.2 PROOF(old_size, D[new_size]).
Result<std::vector<Hash>> consistency_proof(const NodeSource& nodes, std::uint64_t old_size,
                                            std::uint64_t new_size);

// RFC 9162 §2.1.3.2. kBadProof when the proof does not lead from `leaf` to `root`.
Status verify_inclusion(const Hash& leaf, std::uint64_t index, std::uint64_t size,
                        std::span<const Hash> proof, const Hash& root);
// RFC 9162 §2.1.4.2. kBadProof when the new tree does not extend the old one.
Status verify_consistency(std::uint64_t old_size, std::uint64_t new_size, const Hash& old_root,
                          const Hash& new_root, std::span<const Hash> proof);

// The right edge of a growing tree: one hash per set bit of the size. Appending a leaf yields
// the leaf and every subtree it completes, which is what a log stores for later proofs.
class CompactRange {
 public:
  // Rebuilds the right edge of a tree of `size` leaves from stored nodes (log2(size) reads).
  static Result<CompactRange> load(const NodeSource& nodes, std::uint64_t size);

  // `store(level, index, hash)` is called for the leaf (level 0) and each completed parent.
  template <typename Store>
  void push(const Hash& leaf, Store&& store) {
    std::uint64_t index = size_;
    unsigned level = 0;
    Hash h = leaf;
    store(0U, index, h);
    while ((index & 1U) != 0) {
      h = node_hash(edge_[level], h);
      index >>= 1U;
      ++level;
      store(level, index, h);
    }
    if (edge_.size() <= level) edge_.resize(level + 1);
    edge_[level] = h;
    ++size_;
  }
  void push(const Hash& leaf) {
    push(leaf, [](unsigned, std::uint64_t, const Hash&) {});
  }

  [[nodiscard]] std::uint64_t size() const { return size_; }
  [[nodiscard]] Hash root() const;

 private:
  std::uint64_t size_ = 0;
  std::vector<Hash> edge_;  // edge_[level] is meaningful when bit `level` of size_ is set
};

}  // namespace dss::tlog
