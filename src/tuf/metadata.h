// TUF 1.0.x metadata model: root, timestamp, snapshot, targets and delegated targets.
//
// Parsing takes untrusted bytes and either yields a fully typed object or an Error naming the
// field that was wrong; it never verifies signatures (the TrustedSet does that, over the
// canonical form of the received "signed" object, which Envelope keeps). Members this model
// does not know are kept as canonical JSON fragments, so a read-modify-write in the repository
// tool preserves them (spec §4: implementations must not drop unrecognised fields).
//
// No I/O, no clock: expiry is compared with a reference time the caller passes in.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/json.h"
#include "crypto/hash.h"
#include "crypto/keys.h"

namespace dss::tuf {

enum class RoleType { kRoot, kTimestamp, kSnapshot, kTargets };
std::string_view role_type_name(RoleType type);

inline constexpr std::string_view kSupportedSpecVersion = "1.0.31";

// Unrecognised members of an object: name -> canonical JSON fragment.
using UnknownFields = std::map<std::string, std::string>;

// Hash algorithm name -> lowercase hex digest, as listed. Unknown algorithm names are kept;
// verification refuses them (kUnsupported).
using Hashes = std::map<std::string, std::string>;

// Checks `data` against a listed length and every listed hash.
// kLengthOrHashMismatch on a difference; kUnsupported if any listed algorithm is unknown.
Status verify_length_and_hashes(ByteView data, std::optional<std::uint64_t> length,
                                const Hashes& hashes, std::string_view what);

struct Signature {
  std::string keyid;
  Bytes sig;
};

struct RoleKeys {
  std::vector<std::string> keyids;  // unique
  std::int64_t threshold = 1;       // >= 1
  UnknownFields unknown;
};

// Fields every role's "signed" object has.
struct Common {
  std::int64_t version = 1;  // >= 1
  UnixSeconds expires = 0;
  std::string spec_version{kSupportedSpecVersion};
  UnknownFields unknown;

  [[nodiscard]] bool is_expired(UnixSeconds reference_time) const {
    return reference_time >= expires;
  }
};

struct Root : Common {
  bool consistent_snapshot = true;
  std::map<std::string, crypto::PublicKey> keys;  // keyid -> key
  std::map<std::string, RoleKeys> roles;          // exactly root, timestamp, snapshot, targets
};

struct MetaFile {
  std::int64_t version = 1;
  std::optional<std::uint64_t> length;
  Hashes hashes;  // may be empty
  UnknownFields unknown;
};

struct Timestamp : Common {
  MetaFile snapshot_meta;  // meta["snapshot.json"]
};

struct Snapshot : Common {
  std::map<std::string, MetaFile> meta;  // "targets.json", "<role>.json"
};

struct TargetFile {
  std::uint64_t length = 0;
  Hashes hashes;       // at least one
  std::string custom;  // canonical JSON of "custom", empty when absent
  UnknownFields unknown;
};

struct DelegatedRole {
  std::string name;
  std::vector<std::string> keyids;
  std::int64_t threshold = 1;
  bool terminating = false;
  // Exactly one of these is set.
  std::optional<std::vector<std::string>> paths;
  std::optional<std::vector<std::string>> path_hash_prefixes;
  UnknownFields unknown;

  // Whether this role is trusted for `target_path` (spec §4.5, "paths" / "path_hash_prefixes").
  [[nodiscard]] bool is_delegated_path(std::string_view target_path) const;
};

struct Delegations {
  std::map<std::string, crypto::PublicKey> keys;
  std::vector<DelegatedRole> roles;  // in priority order; names unique
  UnknownFields unknown;
};

struct Targets : Common {
  std::map<std::string, TargetFile> targets;
  std::optional<Delegations> delegations;
};

// Shell-style match of one target path against one delegation pattern, segment by segment:
// both are split on "/", must have as many segments, and each segment must match with
// `*` (any run of characters), `?` (one character) and `[...]`/`[!...]` classes.
// Case-sensitive, like python-tuf on POSIX.
bool path_matches_pattern(std::string_view target_path, std::string_view pattern);

// A received metadata file: the typed "signed" object, the canonical bytes its signatures
// must sign, and the signatures (each key id at most once: the parsers reject a repeated key
// id as kMalformed, spec §4.2; the verifier still counts distinct keys, not key ids).
template <typename T>
struct Metadata {
  T signed_;
  std::string signed_canonical;
  std::vector<Signature> signatures;
  // Set by the in-place parsers when the file's "signed" part already is canonical JSON: the
  // bytes to verify are then source[raw_offset, raw_offset + raw_length) and signed_canonical
  // is left empty (no copy of a large file).
  bool message_in_source = false;
  std::size_t raw_offset = 0;
  std::size_t raw_length = 0;

  [[nodiscard]] std::string_view message(std::string_view source) const {
    return message_in_source ? source.substr(raw_offset, raw_length)
                             : std::string_view(signed_canonical);
  }
};

// Parses untrusted metadata bytes. A "_type" other than the requested role is kWrongType;
// anything malformed is kMalformed naming the field. Keeps no reference into `bytes`.
// Not thread-safe (owns reusable parse buffers); use one per thread.
class MetadataParser {
 public:
  Result<Metadata<Root>> root(std::string_view bytes);
  Result<Metadata<Timestamp>> timestamp(std::string_view bytes);
  Result<Metadata<Snapshot>> snapshot(std::string_view bytes);
  Result<Metadata<Targets>> targets(std::string_view bytes);
  // For large targets metadata: parses `bytes` in place, checks every target entry as
  // strictly as targets() but does not store them (signed_.targets stays empty; look targets
  // up with find_target), and does not copy the signed bytes when they are already canonical.
  Result<Metadata<Targets>> targets_lean(Bytes& bytes);
  // Looks one target up in targets metadata `bytes` (parsed in place). nullopt if not listed.
  Result<std::optional<TargetFile>> find_target(Bytes& bytes, std::string_view path);

 private:
  // Parses the envelope and returns the "signed" object, filling everything but signed_.
  // With `in_place`, parses that buffer (which holds `bytes`) without copying it.
  template <typename T>
  Result<json::Object> envelope(std::string_view bytes, RoleType expected, Metadata<T>& out,
                                Bytes* in_place = nullptr);
  Result<Metadata<Targets>> targets_impl(std::string_view bytes, Bytes* in_place);
  json::JsonParser parser_;
  std::string buffer_;
  bool lean_ = false;
};

// Serialisers produce the canonical JSON of a "signed" object, unknown fields included.
std::string to_signed_json(const Root& root);
std::string to_signed_json(const Timestamp& ts);
std::string to_signed_json(const Snapshot& snap);
std::string to_signed_json(const Targets& targets);
// {"signatures":[...],"signed":<signed_json>}, canonical.
std::string to_envelope_json(std::string_view signed_json, const std::vector<Signature>& sigs);

}  // namespace dss::tuf
