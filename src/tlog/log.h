// A durable, append-only, tamper-evident log: entries in segment files (see segment.h), a
// Merkle tree over them (RFC 6962), and signed checkpoints (C2SP tlog-checkpoint).
//
// Layout of a log directory (0700):
//   log.key        the checkpoint signing key (0600; a secret)
//   log.vkey       its verifier key (public)
//   segments/      the entries; rotated by size or age
//   hashes/NN      stored hashes of complete subtrees at level NN (32 bytes each), for proofs
//   offsets        byte offset of each entry in its segment (8 bytes each), for reads
//   state          the last size at which hashes/ and offsets were made durable
//   checkpoint     the latest signed checkpoint; checkpoints/<size>.note keeps every one issued
//
// Durability: append() returns only after the entry's segment write is fdatasync'd. Concurrent
// appenders are batched into one write and one fdatasync (group commit). hashes/ and offsets
// are derived: they are synced at each checkpoint, and on open everything after the last
// durable state is rebuilt from the segments, so a crash at any instant loses no acknowledged
// entry. A torn record at the very end (never acknowledged) is cut off on open.
//
// Failure is sticky: once a write or sync fails, every later append fails (fail closed).
// Thread-safety: every public method may be called from any thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "core/bytes.h"
#include "core/clock.h"
#include "core/result.h"
#include "platform/files.h"
#include "tlog/merkle.h"
#include "tlog/note.h"
#include "tlog/segment.h"

namespace dss::tlog {

struct LogOptions {
  // The checkpoint origin and key name for a new log (kept from the key on later opens).
  std::string origin = "dss.local/audit";
  std::uint64_t segment_max_bytes = 64ULL << 20U;
  std::int64_t segment_max_age_ms = 24LL * 3600 * 1000;
};

class Log {
 public:
  // Opens the log in `dir`, creating it (and its signing key) if it does not exist, and
  // recovering after a crash. kLogEntryCorrupted / kLogReordered if the stored entries no
  // longer chain: the log is then left untouched for `dss audit verify` to examine.
  static Result<std::unique_ptr<Log>> open(const std::filesystem::path& dir, const Clock& clock,
                                           LogOptions options = {});
  // As above, but the checkpoints are signed with `signer` (whose name is the origin), a key
  // the caller keeps elsewhere: no log.key is read or written in `dir` (log.vkey is).
  static Result<std::unique_ptr<Log>> open_with_signer(const std::filesystem::path& dir,
                                                       const Clock& clock, NoteSigner signer,
                                                       LogOptions options = {});
  ~Log();
  Log(const Log&) = delete;
  Log& operator=(const Log&) = delete;

  // Appends one entry; returns its index once it is durable.
  Result<std::uint64_t> append(ByteView entry);
  // Appends entries in order; returns the first index once all are durable.
  Result<std::uint64_t> append_batch(std::span<const ByteView> entries);

  [[nodiscard]] std::uint64_t size() const;  // durable entries
  // Batches written since open (appends / batches = the group-commit batch size).
  [[nodiscard]] std::uint64_t batches() const { return batches_.load(); }
  [[nodiscard]] Result<Hash> root_at(std::uint64_t size) const;
  [[nodiscard]] Result<Bytes> read(std::uint64_t index) const;
  [[nodiscard]] Result<std::vector<Hash>> inclusion_proof(std::uint64_t index,
                                                          std::uint64_t size) const;
  [[nodiscard]] Result<std::vector<Hash>> consistency_proof(std::uint64_t old_size,
                                                            std::uint64_t new_size) const;

  // Makes the derived files durable, signs a checkpoint of the current size, stores it and
  // returns the signed note.
  Result<std::string> checkpoint();
  // The latest stored checkpoint note (kNotFound before the first).
  [[nodiscard]] Result<std::string> latest_checkpoint() const;
  // Issues a checkpoint every `interval` while entries keep arriving (a background thread,
  // stopped by the destructor). A failure to checkpoint is reported through `on_error`.
  void start_periodic_checkpoints(std::chrono::milliseconds interval,
                                  std::function<void(const Error&)> on_error);

  [[nodiscard]] const NoteVerifier& verifier() const { return signer_.verifier(); }
  [[nodiscard]] const std::filesystem::path& dir() const { return dir_; }

 private:
  class Nodes;
  Log(std::filesystem::path dir, const Clock& clock, LogOptions options, NoteSigner signer,
      platform::DirLock lock);
  Status recover();
  Status open_level(unsigned level);
  Status start_segment(std::uint64_t first_index);
  [[nodiscard]] bool segment_full() const;
  // Writes a batch to the page cache (segment and derived files); the caller syncs it.
  Status write_batch(std::span<const ByteView> entries, std::uint64_t first_index);
  Status persist_state_locked();
  Result<int> segment_fd_for(std::uint64_t index) const;

  const std::filesystem::path dir_;
  const Clock& clock_;
  const LogOptions options_;
  const NoteSigner signer_;
  platform::DirLock lock_;
  std::unique_ptr<Nodes> nodes_;

  // Group commit.
  mutable std::mutex mu_;
  std::vector<ByteView> queue_;
  std::uint64_t next_index_ = 0;
  bool writing_ = false;       // a thread is writing a batch (or a checkpoint holds writers)
  std::uint64_t written_ = 0;  // entries written to the page cache
  int syncs_in_flight_ = 0;
  std::uint64_t next_sync_seq_ = 0;  // syncs complete in this order
  std::uint64_t done_sync_seq_ = 0;
  // One fdatasync at a time: appenders that arrive during it form the next batch. Overlapping
  // syncs (2 were tried) made batches smaller on virtual disks, where concurrent fdatasyncs on
  // one file serialise anyway: the control plane's signed check-ins ran ~30% slower.
  static constexpr int kMaxSyncsInFlight = 1;
  std::atomic<std::uint64_t> durable_{0};
  std::atomic<std::uint64_t> batches_{0};
  // Bumped whenever a batch ends. 32 bits: libstdc++ waits on it with a bare futex.
  std::atomic<std::uint32_t> wake_generation_{0};
  std::optional<Error> broken_;

  // Writer state, touched only by the thread that holds writing_.
  CompactRange range_;
  Hash chain_{};
  platform::Fd segment_;
  std::uint64_t segment_first_ = 0;
  std::uint64_t segment_bytes_ = 0;
  std::int64_t segment_created_ms_ = 0;
  std::vector<platform::Fd> levels_;
  platform::Fd offsets_;
  Bytes buffer_;

  // Segments for reads: first index -> path, and open descriptors.
  mutable std::mutex segments_mu_;
  std::map<std::uint64_t, std::filesystem::path> segment_paths_;
  mutable std::map<std::uint64_t, platform::Fd> read_fds_;

  std::mutex checkpoint_mu_;
  std::uint64_t last_checkpoint_size_ = 0;
  std::jthread checkpointer_;
};

}  // namespace dss::tlog
