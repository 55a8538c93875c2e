// The on-disk form of log entries, shared by the writer (Log) and the offline verifier.
//
// A segment file `segments/<first index, 20 digits>.seg` starts with a 64-byte header:
//   "DSSTLOG1" | u32 format (1) | u32 zero | u64 first index | i64 created (Unix ms) |
//   chain value before the first entry (32 bytes)
// followed by records:
//   u64 index | u32 length | entry bytes | chain value after this entry (32 bytes)
// All integers little-endian. chain(i) = SHA-256(chain(i-1) || leaf hash(i)), starting from 32
// zero bytes, so the chain runs across segments and pins each entry to its position; the Merkle
// tree over the leaf hashes is what checkpoints sign.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/bytes.h"
#include "core/result.h"
#include "tlog/merkle.h"

namespace dss::tlog {

inline constexpr std::size_t kSegmentHeaderBytes = 64;
inline constexpr std::size_t kRecordOverheadBytes = 8 + 4 + 32;
inline constexpr std::uint32_t kMaxEntryBytes = 1U << 20;

struct SegmentHeader {
  std::uint64_t first_index = 0;
  std::int64_t created_ms = 0;
  Hash chain_before{};
};

struct Record {
  std::uint64_t index = 0;
  ByteView entry;
  Hash chain{};
  std::size_t encoded_size = 0;
};

Hash chain_next(const Hash& chain, const Hash& leaf);

void encode_segment_header(const SegmentHeader& header, Bytes& out);
// kMalformed when the bytes are not a segment header.
Result<SegmentHeader> decode_segment_header(ByteView data);

void encode_record(std::uint64_t index, ByteView entry, const Hash& chain, Bytes& out);
// nullopt when `data` ends before the record does (a torn or truncated tail); kMalformed when
// the length field is impossible.
Result<std::optional<Record>> decode_record(ByteView data);

struct SegmentFile {
  std::uint64_t first_index = 0;
  std::filesystem::path path;
};
std::string segment_file_name(std::uint64_t first_index);
// The segments under `dir`/segments, in order. Files with other names are ignored.
Result<std::vector<SegmentFile>> list_segments(const std::filesystem::path& dir);

}  // namespace dss::tlog
