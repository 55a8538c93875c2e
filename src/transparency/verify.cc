#include "transparency/verify.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <vector>

#include "core/bytes.h"
#include "tlog/merkle.h"

namespace dss::transparency {

using nlohmann::json;

namespace {

constexpr std::size_t kMaxProofHashes = 64;  // a tree of 2^64 leaves needs fewer

// Hex hashes -> digests; nullopt when any is malformed or there are too many.
std::optional<std::vector<tlog::Hash>> parse_proof(const json& a) {
  if (!a.is_array() || a.size() > kMaxProofHashes) return std::nullopt;
  std::vector<tlog::Hash> out;
  for (const json& h : a) {
    if (!h.is_string()) return std::nullopt;
    auto raw = hex_decode(h.get<std::string>());
    if (!raw || raw->size() != 32) return std::nullopt;
    tlog::Hash x{};
    std::copy(raw->begin(), raw->end(), x.begin());
    out.push_back(x);
  }
  return out;
}

// The unsigned integer field `name` of object `j`, or nullopt when absent or of another type.
std::optional<std::uint64_t> unsigned_field(const json& j, const char* name) {
  const auto it = j.find(name);
  if (it == j.end() || !it->is_number_unsigned()) return std::nullopt;
  return it->get<std::uint64_t>();
}

// The string field `name` of object `j`, or "" when absent or of another type (value() would
// throw on another type; the fuzzer found that with {"format":8}).
std::string string_field(const json& j, const char* name) {
  const auto it = j.find(name);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string hex_of(const tlog::Hash& h) { return hex_encode(ByteView(h.data(), h.size())); }

}  // namespace

Result<LogKey> parse_log_target(std::string_view text) {
  const json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object() ||
      string_field(j, "format") != "dss-transparency-log-v1" || !j.contains("origin") ||
      !j["origin"].is_string() || !j.contains("verifier_key") || !j["verifier_key"].is_string()) {
    return make_error(ErrorCode::kMalformed,
                      "the signed target transparency/log.json is not a dss-transparency-log-v1 "
                      "document with origin and verifier_key");
  }
  DSS_TRY(tlog::NoteVerifier v, tlog::NoteVerifier::parse(j["verifier_key"].get<std::string>()));
  const std::string origin = j["origin"].get<std::string>();
  if (v.name() != origin) {
    return make_error(ErrorCode::kMalformed, "transparency/log.json names origin " + origin +
                                                 " but its key is for " + v.name());
  }
  return LogKey{origin, std::move(v)};
}

Result<tlog::Checkpoint> open_log_checkpoint(std::string_view note, const LogKey& key,
                                             const crypto::AllowedSchemes& allowed) {
  DSS_TRY_STATUS(
      allowed.check(key.verifier.public_key(), "the key of the transparency log " + key.origin));
  auto c = tlog::open_checkpoint(note, key.verifier);
  if (!c) {
    return make_error(ErrorCode::kBadCheckpointSignature,
                      "the transparency checkpoint is not a checkpoint of " + key.origin +
                          " signed by its key: " + c.error().message);
  }
  return c;
}

Status check_extends(const tlog::Checkpoint& saved, const tlog::Checkpoint& next,
                     const std::optional<std::string>& consistency_json) {
  if (next.size < saved.size) {
    return make_error(ErrorCode::kTransparencyRolledBack,
                      "the transparency log shrank from " + std::to_string(saved.size) + " to " +
                          std::to_string(next.size) +
                          " entries since this device last saw it: the server shows an older or "
                          "another history");
  }
  if (next.size == saved.size) {
    if (next.root == saved.root) return ok();
    return make_error(ErrorCode::kLogForked,
                      "the transparency log is forked: two checkpoints of size " +
                          std::to_string(next.size) + " have different roots (" +
                          hex_of(saved.root) + " seen before, " + hex_of(next.root) + " now)");
  }
  if (saved.size == 0) return ok();  // the empty tree is a prefix of every tree
  const std::string what = "the transparency log of " + std::to_string(next.size) +
                           " entries is not proven to extend the one of " +
                           std::to_string(saved.size) + " entries this device saw: ";
  if (!consistency_json) {
    return make_error(ErrorCode::kLogForked, what + "no consistency proof is published");
  }
  const json j = json::parse(*consistency_json, nullptr, false);
  // (Every field is looked up with find: operator[] on a missing key of a const json is
  // undefined behaviour, which the fuzzer found here.)
  if (j.is_discarded() || !j.is_object() || !j.contains("proof") ||
      unsigned_field(j, "old_size") != saved.size || unsigned_field(j, "new_size") != next.size) {
    return make_error(ErrorCode::kLogForked,
                      what + "the consistency proof file is malformed or for other sizes");
  }
  const auto proof = parse_proof(j["proof"]);
  if (!proof || !tlog::verify_consistency(saved.size, next.size, saved.root, next.root, *proof)) {
    return make_error(ErrorCode::kLogForked, what + "the consistency proof fails (a fork)");
  }
  return ok();
}

Status check_inclusion(const tlog::Checkpoint& checkpoint, std::string_view entry_json,
                       std::string_view kind, std::string_view sha256, std::uint64_t* stale_size) {
  const json j = json::parse(entry_json, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("index") ||
      !j["index"].is_number_unsigned() || !j.contains("tree_size") ||
      !j["tree_size"].is_number_unsigned() || !j.contains("leaf") || !j["leaf"].is_string() ||
      !j.contains("inclusion_proof")) {
    return make_error(ErrorCode::kMalformed, "the transparency entry file is malformed");
  }
  const std::string leaf = j["leaf"].get<std::string>();
  const json l = json::parse(leaf, nullptr, false);
  if (l.is_discarded() || !l.is_object() || string_field(l, "kind") != kind ||
      string_field(l, "sha256") != sha256) {
    return make_error(ErrorCode::kNotInTransparencyLog,
                      "the transparency log holds no " + std::string(kind) +
                          " entry for the file with SHA-256 " + std::string(sha256));
  }
  const auto size = j["tree_size"].get<std::uint64_t>();
  if (size != checkpoint.size) {
    if (stale_size != nullptr) *stale_size = size;
    return make_error(ErrorCode::kBadProof,
                      "the inclusion proof is for a log of " + std::to_string(size) +
                          " entries, the checkpoint for " + std::to_string(checkpoint.size));
  }
  const auto index = j["index"].get<std::uint64_t>();
  const auto proof = parse_proof(j["inclusion_proof"]);
  if (!proof || !tlog::verify_inclusion(tlog::leaf_hash(as_bytes(leaf)), index, size, *proof,
                                        checkpoint.root)) {
    return make_error(ErrorCode::kBadProof, "the inclusion proof of the " + std::string(kind) +
                                                " (entry " + std::to_string(index) +
                                                ") does not lead to the signed checkpoint's root");
  }
  return ok();
}

}  // namespace dss::transparency
