#include "tlog/verify.h"

#include <algorithm>
#include <map>
#include <thread>
#include <vector>

#include "platform/files.h"
#include "tlog/segment.h"

namespace dss::tlog {

namespace fs = std::filesystem;

namespace {

struct KnownCheckpoint {
  Hash root{};
  std::string source;
};

Status add_checkpoint(std::map<std::uint64_t, KnownCheckpoint>& known, std::string_view note,
                      const std::string& source, const NoteVerifier& verifier,
                      std::optional<Checkpoint>& latest) {
  auto c = open_checkpoint(note, verifier);
  if (!c) {
    return make_error(c.error().code == ErrorCode::kMalformed ? ErrorCode::kBadCheckpointSignature
                                                              : c.error().code,
                      source + ": " + c.error().message);
  }
  auto [it, inserted] = known.try_emplace(c->size, KnownCheckpoint{c->root, source});
  if (!inserted && it->second.root != c->root) {
    return make_error(ErrorCode::kLogForked,
                      "two signed checkpoints of " + std::to_string(c->size) +
                          " entries have different roots (" + it->second.source + " and " + source +
                          "): the log has been forked");
  }
  if (!latest || c->size > latest->size) latest = *c;
  return ok();
}

// Leaf hashes of `records`, computed on two threads (the hashing dominates verification).
std::vector<Hash> hash_leaves(const std::vector<Record>& records) {
  std::vector<Hash> out(records.size());
  const std::size_t half = records.size() / 2;
  auto work = [&](std::size_t from, std::size_t to) {
    for (std::size_t i = from; i < to; ++i) out[i] = leaf_hash(records[i].entry);
  };
  if (records.size() < 256) {
    work(0, records.size());
    return out;
  }
  std::thread helper(work, half, records.size());
  work(0, half);
  helper.join();
  return out;
}

}  // namespace

Result<VerifyReport> verify_log(const fs::path& dir, const NoteVerifier& verifier,
                                const std::optional<SavedCheckpoint>& saved) {
  VerifyReport report;
  std::map<std::uint64_t, KnownCheckpoint> known;
  if (auto note = platform::read_text_file(dir / "checkpoint", 1 << 20)) {
    DSS_TRY_STATUS(
        add_checkpoint(known, *note, (dir / "checkpoint").string(), verifier, report.latest));
  }
  std::error_code ec;
  for (fs::directory_iterator it(dir / "checkpoints", ec), end; !ec && it != end;
       it.increment(ec)) {
    const fs::directory_entry& e = *it;
    if (e.path().extension() != ".note") continue;
    auto note = platform::read_text_file(e.path(), 1 << 20);
    if (!note) return tl::unexpected(note.error());
    DSS_TRY_STATUS(add_checkpoint(known, *note, e.path().string(), verifier, report.latest));
  }
  // No checkpoints/ is a log that kept none; one that cannot be listed could hide a fork.
  if (ec && ec != std::errc::no_such_file_or_directory) {
    return make_error(ErrorCode::kIo,
                      (dir / "checkpoints").string() + " cannot be read: " + ec.message());
  }
  if (saved) {
    DSS_TRY_STATUS(add_checkpoint(known, saved->note, saved->source, verifier, report.latest));
  }
  report.checkpoints = known.size();

  auto segments = list_segments(dir);
  if (!segments) return tl::unexpected(segments.error());
  report.segments = segments->size();

  CompactRange range;
  Hash chain{};
  auto next_checkpoint = known.begin();
  auto check_root = [&]() -> Status {
    while (next_checkpoint != known.end() && next_checkpoint->first == range.size()) {
      if (range.root() != next_checkpoint->second.root) {
        return make_error(ErrorCode::kLogForked, "the first " + std::to_string(range.size()) +
                                                     " entries no longer match the checkpoint in " +
                                                     next_checkpoint->second.source +
                                                     ": the log's history was rewritten or forked");
      }
      ++next_checkpoint;
    }
    return ok();
  };
  DSS_TRY_STATUS(check_root());

  for (std::size_t s = 0; s < segments->size(); ++s) {
    const SegmentFile& seg = (*segments)[s];
    auto map = platform::MappedFile::open(seg.path);
    if (!map) return tl::unexpected(map.error());
    const ByteView data = map->view();
    report.bytes += data.size();
    auto header = decode_segment_header(data);
    if (!header) {
      if (s + 1 == segments->size() && data.size() < kSegmentHeaderBytes) {
        return make_error(ErrorCode::kLogTruncated,
                          seg.path.string() + " is cut short inside its header");
      }
      return make_error(header.error().code, seg.path.string() + ": " + header.error().message);
    }
    if (header->first_index > range.size()) {
      return make_error(ErrorCode::kLogTruncated,
                        "entries " + std::to_string(range.size()) + " to " +
                            std::to_string(header->first_index - 1) +
                            " are missing (a segment was removed) before " + seg.path.string());
    }
    if (header->first_index < range.size()) {
      return make_error(ErrorCode::kLogReordered, seg.path.string() + " starts at entry " +
                                                      std::to_string(header->first_index) +
                                                      " but entry " + std::to_string(range.size()) +
                                                      " was expected");
    }
    if (header->chain_before != chain) {
      return make_error(ErrorCode::kLogEntryCorrupted,
                        seg.path.string() +
                            " does not continue the hash chain of the segment "
                            "before it (entry " +
                            std::to_string(range.size()) + ")");
    }
    // Frame every record first, then hash in parallel, then walk the chain and the tree.
    std::vector<Record> records;
    std::size_t offset = kSegmentHeaderBytes;
    while (offset < data.size()) {
      auto rec = decode_record(data.subspan(offset));
      const std::uint64_t index = range.size() + records.size();
      if (!rec) {
        return make_error(ErrorCode::kLogEntryCorrupted, "entry " + std::to_string(index) + " in " +
                                                             seg.path.string() +
                                                             " is damaged: " + rec.error().message);
      }
      if (!rec->has_value()) {
        return make_error(ErrorCode::kLogTruncated,
                          "the log ends in the middle of entry " + std::to_string(index) + " in " +
                              seg.path.string() + " (a torn or truncated write)");
      }
      records.push_back(**rec);
      offset += (*rec)->encoded_size;
    }
    const std::vector<Hash> leaves = hash_leaves(records);
    for (std::size_t i = 0; i < records.size(); ++i) {
      const std::uint64_t index = range.size();
      if (records[i].index != index) {
        return make_error(ErrorCode::kLogReordered,
                          "the entry at position " + std::to_string(index) + " in " +
                              seg.path.string() + " was written as entry " +
                              std::to_string(records[i].index) + ": entries were reordered");
      }
      chain = chain_next(chain, leaves[i]);
      if (chain != records[i].chain) {
        return make_error(ErrorCode::kLogEntryCorrupted,
                          "entry " + std::to_string(index) + " in " + seg.path.string() +
                              " was altered: it no longer matches the hash chain (the first "
                              "corrupted entry)");
      }
      range.push(leaves[i]);
      DSS_TRY_STATUS(check_root());
    }
  }
  if (next_checkpoint != known.end()) {
    return make_error(ErrorCode::kLogTruncated,
                      "the checkpoint in " + next_checkpoint->second.source + " covers " +
                          std::to_string(next_checkpoint->first) + " entries, but the log holds " +
                          "only " + std::to_string(range.size()) + ": entries were removed");
  }
  report.entries = range.size();
  report.root = range.root();
  return report;
}

}  // namespace dss::tlog
