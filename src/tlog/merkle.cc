#include "tlog/merkle.h"

#include <bit>

namespace dss::tlog {

namespace {

constexpr std::uint8_t kLeafPrefix = 0x00;
constexpr std::uint8_t kNodePrefix = 0x01;

tl::unexpected<Error> bad_proof(std::string message) {
  return make_error(ErrorCode::kBadProof, std::move(message));
}

// The largest power of two strictly below n (n >= 2).
std::uint64_t split_point(std::uint64_t n) { return std::bit_floor(n - 1); }

// NOLINTNEXTLINE(misc-no-recursion): depth is log2 of the tree size, at most 64
Status add_path(const NodeSource& nodes, std::uint64_t index, std::uint64_t start,
                std::uint64_t size, std::vector<Hash>& out) {
  if (size == 1) return {};
  const std::uint64_t k = split_point(size);
  if (index < k) {
    if (auto s = add_path(nodes, index, start, k, out); !s) return s;
    auto right = subtree_hash(nodes, start + k, size - k);
    if (!right) return tl::unexpected(right.error());
    out.push_back(*right);
  } else {
    if (auto s = add_path(nodes, index - k, start + k, size - k, out); !s) return s;
    auto left = subtree_hash(nodes, start, k);
    if (!left) return tl::unexpected(left.error());
    out.push_back(*left);
  }
  return {};
}

// NOLINTNEXTLINE(misc-no-recursion): depth is log2 of the tree size, at most 64
Status add_subproof(const NodeSource& nodes, std::uint64_t m, std::uint64_t start, std::uint64_t n,
                    bool complete, std::vector<Hash>& out) {
  if (m == n) {
    if (complete) return {};
    auto h = subtree_hash(nodes, start, n);
    if (!h) return tl::unexpected(h.error());
    out.push_back(*h);
    return {};
  }
  const std::uint64_t k = split_point(n);
  if (m <= k) {
    if (auto s = add_subproof(nodes, m, start, k, complete, out); !s) return s;
    auto right = subtree_hash(nodes, start + k, n - k);
    if (!right) return tl::unexpected(right.error());
    out.push_back(*right);
  } else {
    if (auto s = add_subproof(nodes, m - k, start + k, n - k, false, out); !s) return s;
    auto left = subtree_hash(nodes, start, k);
    if (!left) return tl::unexpected(left.error());
    out.push_back(*left);
  }
  return {};
}

bool lsb(std::uint64_t x) { return (x & 1U) != 0; }

}  // namespace

Hash leaf_hash(ByteView entry) {
  Hash out;
  crypto::sha256_concat({ByteView(&kLeafPrefix, 1), entry}, out);
  return out;
}

Hash node_hash(const Hash& left, const Hash& right) {
  Hash out;
  crypto::sha256_concat({ByteView(&kNodePrefix, 1), left, right}, out);
  return out;
}

Hash empty_tree_hash() {
  Hash out;
  crypto::sha256_concat({}, out);
  return out;
}

// NOLINTNEXTLINE(misc-no-recursion): depth is log2 of the tree size, at most 64
Result<Hash> subtree_hash(const NodeSource& nodes, std::uint64_t start, std::uint64_t size) {
  if (size == 0) return empty_tree_hash();
  if (std::has_single_bit(size) && start % size == 0) {
    return nodes.node(static_cast<unsigned>(std::countr_zero(size)), start / size);
  }
  const std::uint64_t k = split_point(size);
  auto left = subtree_hash(nodes, start, k);
  if (!left) return left;
  auto right = subtree_hash(nodes, start + k, size - k);
  if (!right) return right;
  return node_hash(*left, *right);
}

Result<std::vector<Hash>> inclusion_proof(const NodeSource& nodes, std::uint64_t index,
                                          std::uint64_t size) {
  if (index >= size) {
    return make_error(ErrorCode::kInvalidArgument, "entry " + std::to_string(index) +
                                                       " is not in a tree of " +
                                                       std::to_string(size) + " entries");
  }
  std::vector<Hash> out;
  out.reserve(64);
  if (auto s = add_path(nodes, index, 0, size, out); !s) return tl::unexpected(s.error());
  return out;
}

Result<std::vector<Hash>> consistency_proof(const NodeSource& nodes, std::uint64_t old_size,
                                            std::uint64_t new_size) {
  if (old_size > new_size) {
    return make_error(ErrorCode::kInvalidArgument, "a tree of " + std::to_string(old_size) +
                                                       " entries cannot be a prefix of one of " +
                                                       std::to_string(new_size));
  }
  std::vector<Hash> out;
  if (old_size == 0 || old_size == new_size) return out;
  if (auto s = add_subproof(nodes, old_size, 0, new_size, true, out); !s) {
    return tl::unexpected(s.error());
  }
  return out;
}

Status verify_inclusion(const Hash& leaf, std::uint64_t index, std::uint64_t size,
                        std::span<const Hash> proof, const Hash& root) {
  if (index >= size) return bad_proof("the entry index is outside the tree");
  std::uint64_t fn = index;
  std::uint64_t sn = size - 1;
  Hash r = leaf;
  for (const Hash& p : proof) {
    if (sn == 0) return bad_proof("the inclusion proof is longer than the tree is deep");
    if (lsb(fn) || fn == sn) {
      r = node_hash(p, r);
      while (!lsb(fn) && fn != 0) {
        fn >>= 1U;
        sn >>= 1U;
      }
    } else {
      r = node_hash(r, p);
    }
    fn >>= 1U;
    sn >>= 1U;
  }
  if (sn != 0) return bad_proof("the inclusion proof is too short for the tree");
  if (r != root) return bad_proof("the inclusion proof does not lead to the tree's root");
  return {};
}

Status verify_consistency(std::uint64_t old_size, std::uint64_t new_size, const Hash& old_root,
                          const Hash& new_root, std::span<const Hash> proof) {
  if (old_size > new_size) return bad_proof("the old tree is larger than the new one");
  if (old_size == new_size) {
    if (!proof.empty()) return bad_proof("equal tree sizes need an empty consistency proof");
    if (old_root != new_root) return bad_proof("two trees of the same size have different roots");
    return {};
  }
  if (old_size == 0) {
    if (!proof.empty()) return bad_proof("an empty tree needs an empty consistency proof");
    return {};
  }
  if (proof.empty()) return bad_proof("the consistency proof is empty");
  std::vector<Hash> path;
  path.reserve(proof.size() + 1);
  if (std::has_single_bit(old_size)) path.push_back(old_root);
  path.insert(path.end(), proof.begin(), proof.end());
  std::uint64_t fn = old_size - 1;
  std::uint64_t sn = new_size - 1;
  while (lsb(fn)) {
    fn >>= 1U;
    sn >>= 1U;
  }
  Hash fr = path[0];
  Hash sr = path[0];
  for (std::size_t i = 1; i < path.size(); ++i) {
    const Hash& c = path[i];
    if (sn == 0) return bad_proof("the consistency proof is longer than the tree is deep");
    if (lsb(fn) || fn == sn) {
      fr = node_hash(c, fr);
      sr = node_hash(c, sr);
      while (!lsb(fn) && fn != 0) {
        fn >>= 1U;
        sn >>= 1U;
      }
    } else {
      sr = node_hash(sr, c);
    }
    fn >>= 1U;
    sn >>= 1U;
  }
  if (sn != 0) return bad_proof("the consistency proof is too short for the trees");
  if (fr != old_root) return bad_proof("the consistency proof does not lead to the old root");
  if (sr != new_root) return bad_proof("the consistency proof does not lead to the new root");
  return {};
}

Result<CompactRange> CompactRange::load(const NodeSource& nodes, std::uint64_t size) {
  CompactRange range;
  range.size_ = size;
  const auto width_bits = static_cast<int>(std::bit_width(size));
  range.edge_.resize(static_cast<std::size_t>(width_bits));
  // The complete subtrees of the right edge, largest (leftmost) first.
  std::uint64_t start = 0;
  for (int level = width_bits - 1; level >= 0; --level) {
    const std::uint64_t width = std::uint64_t{1} << static_cast<unsigned>(level);
    if ((size & width) == 0) continue;
    auto h = nodes.node(static_cast<unsigned>(level), start >> static_cast<unsigned>(level));
    if (!h) return tl::unexpected(h.error());
    range.edge_[static_cast<std::size_t>(level)] = *h;
    start += width;
  }
  return range;
}

Hash CompactRange::root() const {
  if (size_ == 0) return empty_tree_hash();
  bool have = false;
  Hash root{};
  for (std::size_t level = 0; level < edge_.size(); ++level) {
    if ((size_ & (std::uint64_t{1} << level)) == 0) continue;
    root = have ? node_hash(edge_[level], root) : edge_[level];
    have = true;
  }
  return root;
}

}  // namespace dss::tlog
