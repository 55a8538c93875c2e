#include "tlog/log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <functional>

namespace dss::tlog {

namespace fs = std::filesystem;

namespace {

constexpr unsigned kMaxLevels = 64;
constexpr std::uint64_t kMaxStateBytes = 4096;

Status write_all(int fd, ByteView data, const fs::path& path) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return platform::io_error("cannot write", path);
    }
    data = data.subspan(static_cast<std::size_t>(n));
  }
  return ok();
}

Status pwrite_all(int fd, ByteView data, std::uint64_t offset, const fs::path& path) {
  while (!data.empty()) {
    const ssize_t n = ::pwrite(fd, data.data(), data.size(), static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      return platform::io_error("cannot write", path);
    }
    data = data.subspan(static_cast<std::size_t>(n));
    offset += static_cast<std::uint64_t>(n);
  }
  return ok();
}

bool pread_exact(int fd, std::uint8_t* out, std::size_t size, std::uint64_t offset) {
  while (size > 0) {
    const ssize_t n = ::pread(fd, out, size, static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    out += n;
    size -= static_cast<std::size_t>(n);
    offset += static_cast<std::uint64_t>(n);
  }
  return true;
}

std::string level_name(unsigned level) {
  return std::string(level < 10 ? "0" : "") + std::to_string(level);
}

struct State {
  std::uint64_t size = 0;
  Hash chain{};
  std::uint64_t segment = 0;
  std::uint64_t offset = 0;
};

std::string encode_state(const State& s) {
  return "dss-tlog-state 1\nsize " + std::to_string(s.size) + "\nchain " + hex_encode(s.chain) +
         "\nsegment " + std::to_string(s.segment) + "\noffset " + std::to_string(s.offset) + "\n";
}

Result<State> decode_state(std::string_view text) {
  State s;
  const auto bad = [] {
    return make_error(ErrorCode::kMalformed, "the log's state file is damaged");
  };
  auto take = [&](std::string_view key) -> std::optional<std::string_view> {
    if (text.substr(0, key.size()) != key) return std::nullopt;
    text.remove_prefix(key.size());
    const std::size_t nl = text.find('\n');
    if (nl == std::string_view::npos) return std::nullopt;
    std::string_view value = text.substr(0, nl);
    text.remove_prefix(nl + 1);
    return value;
  };
  auto number = [](std::string_view v, std::uint64_t& out) {
    const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
    return ec == std::errc() && end == v.data() + v.size();
  };
  if (!take("dss-tlog-state 1").has_value()) return bad();
  auto size = take("size ");
  auto chain = take("chain ");
  auto segment = take("segment ");
  auto offset = take("offset ");
  if (!size || !chain || !segment || !offset || !number(*size, s.size) ||
      !number(*segment, s.segment) || !number(*offset, s.offset)) {
    return bad();
  }
  auto c = hex_decode(*chain);
  if (!c || c->size() != 32) return bad();
  std::memcpy(s.chain.data(), c->data(), 32);
  return s;
}

}  // namespace

// Reads stored subtree hashes for proofs and for rebuilding the right edge.
class Log::Nodes final : public NodeSource {
 public:
  explicit Nodes(const std::vector<platform::Fd>& levels) : levels_(levels) {}
  [[nodiscard]] Result<Hash> node(unsigned level, std::uint64_t index) const override {
    Hash h;
    if (level >= levels_.size() || levels_[level].get() < 0 ||
        !pread_exact(levels_[level].get(), h.data(), h.size(), index * h.size())) {
      return make_error(ErrorCode::kInternal, "the log's stored hash at level " +
                                                  std::to_string(level) + " index " +
                                                  std::to_string(index) + " is missing");
    }
    return h;
  }

 private:
  const std::vector<platform::Fd>& levels_;
};

Log::Log(fs::path dir, const Clock& clock, LogOptions options, NoteSigner signer,
         platform::DirLock lock)
    : dir_(std::move(dir)),
      clock_(clock),
      options_(std::move(options)),
      signer_(std::move(signer)),
      lock_(std::move(lock)),
      levels_(kMaxLevels) {
  nodes_ = std::make_unique<Nodes>(levels_);
}

Result<std::unique_ptr<Log>> Log::open(const fs::path& dir, const Clock& clock,
                                       LogOptions options) {
  DSS_TRY_STATUS(platform::ensure_private_dir(dir));
  auto lock = platform::DirLock::acquire(dir);
  if (!lock) return tl::unexpected(lock.error());
  for (const char* sub : {"segments", "hashes", "checkpoints"}) {
    DSS_TRY_STATUS(platform::ensure_private_dir(dir / sub));
  }
  const fs::path key_path = dir / "log.key";
  std::optional<NoteSigner> signer;
  auto key_bytes = platform::read_file(key_path, 4096);
  if (key_bytes) {
    struct stat st {};
    if (::stat(key_path.c_str(), &st) == 0 && (st.st_mode & 077) != 0) {
      return make_error(ErrorCode::kPermissionDenied,
                        key_path.string() + " is readable by other users; run chmod 600 on it");
    }
    SecretBytes text(key_bytes->data(), key_bytes->size());
    secure_zero(key_bytes->data(), key_bytes->size());
    auto parsed = NoteSigner::parse(text);
    if (!parsed) return tl::unexpected(parsed.error());
    signer.emplace(std::move(*parsed));
  } else if (key_bytes.error().code == ErrorCode::kNotFound) {
    auto generated = NoteSigner::generate(options.origin);
    if (!generated) return tl::unexpected(generated.error());
    auto text = generated->key_text();
    if (!text) return tl::unexpected(text.error());
    DSS_TRY_STATUS(platform::write_file_atomic(key_path, text->view()));
    DSS_TRY_STATUS(platform::write_file_atomic(
        dir / "log.vkey", generated->verifier().to_string() + "\n", platform::FileMode::kPublic));
    signer.emplace(std::move(*generated));
  } else {
    return tl::unexpected(key_bytes.error());
  }
  std::unique_ptr<Log> log(
      new Log(dir, clock, std::move(options), std::move(*signer), std::move(*lock)));
  DSS_TRY_STATUS(log->recover());
  return log;
}

Result<std::unique_ptr<Log>> Log::open_with_signer(const fs::path& dir, const Clock& clock,
                                                   NoteSigner signer, LogOptions options) {
  DSS_TRY_STATUS(platform::ensure_private_dir(dir));
  auto lock = platform::DirLock::acquire(dir);
  if (!lock) return tl::unexpected(lock.error());
  for (const char* sub : {"segments", "hashes", "checkpoints"}) {
    DSS_TRY_STATUS(platform::ensure_private_dir(dir / sub));
  }
  DSS_TRY_STATUS(platform::write_file_atomic(dir / "log.vkey", signer.verifier().to_string() + "\n",
                                             platform::FileMode::kPublic));
  options.origin = signer.verifier().name();
  std::unique_ptr<Log> log(
      new Log(dir, clock, std::move(options), std::move(signer), std::move(*lock)));
  DSS_TRY_STATUS(log->recover());
  return log;
}

Log::~Log() {
  if (checkpointer_.joinable()) {
    checkpointer_.request_stop();
    checkpointer_.join();
  }
  std::lock_guard l(mu_);
  if (!broken_) (void)persist_state_locked();
}

Status Log::open_level(unsigned level) {
  if (level >= kMaxLevels) return make_error(ErrorCode::kInternal, "the log is too large");
  if (levels_[level].get() >= 0) return ok();
  const fs::path path = dir_ / "hashes" / level_name(level);
  platform::Fd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (fd.get() < 0) return platform::io_error("cannot open", path);
  levels_[level] = std::move(fd);
  return ok();
}

Status Log::recover() {
  State state;
  auto text = platform::read_text_file(dir_ / "state", kMaxStateBytes);
  if (text) {
    auto s = decode_state(*text);
    if (!s) return tl::unexpected(s.error());
    state = *s;
  } else if (text.error().code != ErrorCode::kNotFound) {
    return tl::unexpected(text.error());
  }

  // Derived files: keep exactly what the durable state covers.
  for (unsigned level = 0; level < kMaxLevels; ++level) {
    const fs::path path = dir_ / "hashes" / level_name(level);
    const std::uint64_t want = (state.size >> level) * sizeof(Hash);
    std::error_code ec;
    const bool present = fs::exists(path, ec);
    if (ec) return make_error(ErrorCode::kIo, "cannot stat " + path.string() + ": " + ec.message());
    if (want == 0 && !present) continue;
    DSS_TRY_STATUS(open_level(level));
    if (::ftruncate(levels_[level].get(), static_cast<off_t>(want)) != 0) {
      return platform::io_error("cannot truncate", path);
    }
  }
  const fs::path offsets_path = dir_ / "offsets";
  offsets_ = platform::Fd(::open(offsets_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (offsets_.get() < 0) return platform::io_error("cannot open", offsets_path);
  if (::ftruncate(offsets_.get(), static_cast<off_t>(state.size * 8)) != 0) {
    return platform::io_error("cannot truncate", offsets_path);
  }
  auto range = CompactRange::load(*nodes_, state.size);
  if (!range) return tl::unexpected(range.error());
  range_ = std::move(*range);
  chain_ = state.chain;

  auto segments = list_segments(dir_);
  if (!segments) return tl::unexpected(segments.error());
  // A segment file cut short before its header was synced was never used: drop it.
  while (!segments->empty()) {
    std::error_code ec;
    const auto bytes = fs::file_size(segments->back().path, ec);
    if (ec || bytes >= kSegmentHeaderBytes) break;
    DSS_TRY_STATUS(platform::remove_file_durable(segments->back().path));
    segments->pop_back();
  }
  if (segments->empty()) {
    if (state.size != 0) {
      return make_error(ErrorCode::kLogTruncated,
                        "the log's segments are gone, but " + std::to_string(state.size) +
                            " entries were recorded; run dss audit verify");
    }
    next_index_ = 0;
    written_ = 0;
    durable_ = 0;
    return start_segment(0);
  }
  for (const auto& s : *segments) segment_paths_[s.first_index] = s.path;

  // Replay everything after the durable state.
  std::size_t first = 0;
  while (first + 1 < segments->size() && (*segments)[first + 1].first_index <= state.size) ++first;
  std::uint64_t index = state.size;
  for (std::size_t i = first; i < segments->size(); ++i) {
    const SegmentFile& seg = (*segments)[i];
    const bool last = i + 1 == segments->size();
    auto map = platform::MappedFile::open(seg.path);
    if (!map) return tl::unexpected(map.error());
    const ByteView data = map->view();
    auto header = decode_segment_header(data);
    if (!header) return tl::unexpected(header.error());
    std::uint64_t offset = kSegmentHeaderBytes;
    if (i == first && seg.first_index == state.segment && state.offset >= kSegmentHeaderBytes) {
      offset = state.offset;
    } else if (header->first_index != index || header->chain_before != chain_) {
      return make_error(ErrorCode::kLogEntryCorrupted,
                        seg.path.string() + " does not continue the log at entry " +
                            std::to_string(index) + "; run dss audit verify");
    }
    Bytes offsets;
    while (offset < data.size()) {
      auto rec = decode_record(data.subspan(offset));
      if (!rec) return tl::unexpected(rec.error());
      if (!rec->has_value()) {
        if (!last) {
          return make_error(ErrorCode::kLogTruncated,
                            seg.path.string() + " ends inside entry " + std::to_string(index));
        }
        // A torn tail: the write was never acknowledged. Cut it off.
        platform::Fd fd(::open(seg.path.c_str(), O_WRONLY | O_CLOEXEC));
        if (fd.get() < 0 || ::ftruncate(fd.get(), static_cast<off_t>(offset)) != 0 ||
            ::fdatasync(fd.get()) != 0) {
          return platform::io_error("cannot cut the torn tail of", seg.path);
        }
        break;
      }
      const Record& r = **rec;
      if (r.index != index) {
        return make_error(ErrorCode::kLogReordered, "entry " + std::to_string(index) + " in " +
                                                        seg.path.string() + " carries index " +
                                                        std::to_string(r.index));
      }
      const Hash leaf = leaf_hash(r.entry);
      const Hash chain = chain_next(chain_, leaf);
      if (chain != r.chain) {
        return make_error(ErrorCode::kLogEntryCorrupted,
                          "entry " + std::to_string(index) + " no longer matches the hash chain");
      }
      chain_ = chain;
      for (std::size_t b = 0; b < 8; ++b) {
        offsets.push_back(static_cast<std::uint8_t>(offset >> (8 * b)));
      }
      Status st = ok();
      range_.push(leaf, [&](unsigned level, std::uint64_t idx, const Hash& h) {
        if (!st) return;
        st = open_level(level);
        if (st) {
          st = pwrite_all(levels_[level].get(), h, idx * sizeof(Hash),
                          dir_ / "hashes" / level_name(level));
        }
      });
      DSS_TRY_STATUS(st);
      offset += r.encoded_size;
      ++index;
    }
    const std::uint64_t first_replayed = index - offsets.size() / 8;
    DSS_TRY_STATUS(pwrite_all(offsets_.get(), offsets, first_replayed * 8, offsets_path));
    if (last) {
      segment_ = platform::Fd(::open(seg.path.c_str(), O_WRONLY | O_CLOEXEC));
      if (segment_.get() < 0) return platform::io_error("cannot open", seg.path);
      segment_first_ = seg.first_index;
      segment_bytes_ = std::min<std::uint64_t>(offset, data.size());
      segment_created_ms_ = header->created_ms;
    }
  }
  next_index_ = index;
  written_ = index;
  durable_ = index;
  return ok();
}

Status Log::start_segment(std::uint64_t first_index) {
  const fs::path path = dir_ / "segments" / segment_file_name(first_index);
  platform::Fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (fd.get() < 0) return platform::io_error("cannot create", path);
  const std::int64_t now = clock_.now_ms();
  Bytes header;
  encode_segment_header({first_index, now, chain_}, header);
  DSS_TRY_STATUS(write_all(fd.get(), header, path));
  if (::fdatasync(fd.get()) != 0) return platform::io_error("cannot sync", path);
  DSS_TRY_STATUS(platform::fsync_dir(path.parent_path()));
  segment_ = std::move(fd);
  segment_first_ = first_index;
  segment_bytes_ = kSegmentHeaderBytes;
  segment_created_ms_ = now;
  std::lock_guard l(segments_mu_);
  segment_paths_[first_index] = path;
  return ok();
}

bool Log::segment_full() const {
  return segment_bytes_ > kSegmentHeaderBytes &&
         (segment_bytes_ >= options_.segment_max_bytes ||
          clock_.now_ms() - segment_created_ms_ >= options_.segment_max_age_ms);
}

Status Log::write_batch(std::span<const ByteView> entries, std::uint64_t first_index) {
  if (segment_full()) DSS_TRY_STATUS(start_segment(first_index));
  buffer_.clear();
  Bytes offsets;
  offsets.reserve(entries.size() * 8);
  // Per level: the first index written in this batch and the hashes, to write in one call.
  std::vector<std::pair<std::uint64_t, Bytes>> derived(kMaxLevels);
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const Hash leaf = leaf_hash(entries[i]);
    chain_ = chain_next(chain_, leaf);
    const std::uint64_t offset = segment_bytes_ + buffer_.size();
    for (std::size_t b = 0; b < 8; ++b)
      offsets.push_back(static_cast<std::uint8_t>(offset >> (8 * b)));
    encode_record(first_index + i, entries[i], chain_, buffer_);
    range_.push(leaf, [&](unsigned level, std::uint64_t idx, const Hash& h) {
      auto& [start, bytes] = derived[level];
      if (bytes.empty()) start = idx;
      bytes.insert(bytes.end(), h.begin(), h.end());
    });
  }
  const fs::path seg_path = dir_ / "segments" / segment_file_name(segment_first_);
  DSS_TRY_STATUS(pwrite_all(segment_.get(), buffer_, segment_bytes_, seg_path));
  segment_bytes_ += buffer_.size();
  for (unsigned level = 0; level < kMaxLevels; ++level) {
    const auto& [start, bytes] = derived[level];
    if (bytes.empty()) continue;
    DSS_TRY_STATUS(open_level(level));
    DSS_TRY_STATUS(pwrite_all(levels_[level].get(), bytes, start * sizeof(Hash),
                              dir_ / "hashes" / level_name(level)));
  }
  return pwrite_all(offsets_.get(), offsets, first_index * 8, dir_ / "offsets");
}

Result<std::uint64_t> Log::append(ByteView entry) {
  return append_batch(std::span<const ByteView>(&entry, 1));
}

Result<std::uint64_t> Log::append_batch(std::span<const ByteView> entries) {
  for (const ByteView e : entries) {
    if (e.size() > kMaxEntryBytes) {
      return make_error(ErrorCode::kInvalidArgument, "a log entry of " + std::to_string(e.size()) +
                                                         " bytes is above the 1 MiB limit");
    }
  }
  std::unique_lock l(mu_);
  if (broken_) return tl::unexpected(*broken_);
  const std::uint64_t first = next_index_;
  next_index_ += entries.size();
  queue_.insert(queue_.end(), entries.begin(), entries.end());
  const std::uint64_t end = first + entries.size();
  // Sleeps until the next batch ends (or the log breaks), without the lock.
  auto wait_for_batch = [&] {
    const std::uint32_t generation = wake_generation_.load();
    l.unlock();
    wake_generation_.wait(generation);
    l.lock();
  };
  auto wake_all = [&] {
    wake_generation_.fetch_add(1);
    wake_generation_.notify_all();
  };
  while (durable_.load() < end && !broken_) {
    if (writing_ || queue_.empty() || syncs_in_flight_ >= kMaxSyncsInFlight ||
        (syncs_in_flight_ > 0 && segment_full())) {
      // Our entries are queued behind a batch being written, or written and being synced.
      // With dozens of appenders, waking them all through the mutex would cost more than the
      // fdatasync: they wait on a counter and leave without the lock when they are durable.
      const std::uint32_t generation = wake_generation_.load();
      l.unlock();
      wake_generation_.wait(generation);
      if (durable_.load() >= end) {
        return first;
      }
      l.lock();
      continue;
    }
    // Lead the next batch: everything queued while the previous sync ran. (A short spin to
    // gather appenders "on their way" was tried; with one sync in flight the batch forms during
    // that sync anyway, and the spin cost more CPU than it saved.)
    writing_ = true;
    std::vector<ByteView> batch;
    batch.swap(queue_);
    const std::uint64_t batch_first = written_;
    l.unlock();
    // Write to the page cache (one batch at a time, in index order)...
    Status s = write_batch(batch, batch_first);
    l.lock();
    writing_ = false;
    if (!s) {
      broken_ = Error{s.error().code, s.error().message + " (the log refuses further entries)"};
      wake_all();
      break;
    }
    written_ = batch_first + batch.size();
    const std::uint64_t seq = next_sync_seq_++;
    ++syncs_in_flight_;
    const int fd = segment_.get();
    const fs::path seg_path = dir_ / "segments" / segment_file_name(segment_first_);
    wake_all();  // the next batch may be written while this one syncs
    l.unlock();
    // ...then make it durable. fdatasync covers every page written to the file before it, so
    // syncs overlap with the next batch's write; they complete strictly in order.
    const bool synced = ::fdatasync(fd) == 0;
    const int sync_errno = errno;
    l.lock();
    while (done_sync_seq_ != seq) wait_for_batch();
    if (!synced && !broken_) {
      errno = sync_errno;
      const Error e = platform::io_error("cannot sync", seg_path).value();
      broken_ = Error{e.code, e.message + " (the log refuses further entries)"};
    }
    if (!broken_) durable_.store(batch_first + batch.size());
    batches_.fetch_add(1, std::memory_order_relaxed);
    done_sync_seq_ = seq + 1;
    --syncs_in_flight_;
    wake_all();
  }
  if (durable_.load() < end) return tl::unexpected(*broken_);
  return first;
}

std::uint64_t Log::size() const { return durable_.load(); }

Result<Hash> Log::root_at(std::uint64_t size) const {
  if (size > this->size()) {
    return make_error(ErrorCode::kInvalidArgument,
                      "the log has fewer than " + std::to_string(size) + " entries");
  }
  return subtree_hash(*nodes_, 0, size);
}

Result<std::vector<Hash>> Log::inclusion_proof(std::uint64_t index, std::uint64_t size) const {
  if (size > this->size()) {
    return make_error(ErrorCode::kInvalidArgument,
                      "the log has fewer than " + std::to_string(size) + " entries");
  }
  return tlog::inclusion_proof(*nodes_, index, size);
}

Result<std::vector<Hash>> Log::consistency_proof(std::uint64_t old_size,
                                                 std::uint64_t new_size) const {
  if (new_size > this->size()) {
    return make_error(ErrorCode::kInvalidArgument,
                      "the log has fewer than " + std::to_string(new_size) + " entries");
  }
  return tlog::consistency_proof(*nodes_, old_size, new_size);
}

Result<int> Log::segment_fd_for(std::uint64_t index) const {
  std::lock_guard l(segments_mu_);
  auto it = segment_paths_.upper_bound(index);
  if (it == segment_paths_.begin()) {
    return make_error(ErrorCode::kNotFound, "no segment holds entry " + std::to_string(index));
  }
  --it;
  auto& fd = read_fds_[it->first];
  if (fd.get() < 0) {
    fd = platform::Fd(::open(it->second.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0) return platform::io_error("cannot open", it->second);
  }
  return fd.get();
}

Result<Bytes> Log::read(std::uint64_t index) const {
  if (index >= size()) {
    return make_error(ErrorCode::kNotFound, "the log has no entry " + std::to_string(index));
  }
  std::uint8_t raw[12];
  if (!pread_exact(offsets_.get(), raw, 8, index * 8)) {
    return make_error(ErrorCode::kIo, "cannot read the offset of entry " + std::to_string(index));
  }
  std::uint64_t offset = 0;
  for (std::size_t b = 0; b < 8; ++b) offset |= std::uint64_t{raw[b]} << (8 * b);
  auto fd = segment_fd_for(index);
  if (!fd) return tl::unexpected(fd.error());
  if (!pread_exact(*fd, raw, 12, offset)) {
    return make_error(ErrorCode::kIo, "cannot read entry " + std::to_string(index));
  }
  std::uint64_t stored_index = 0;
  for (std::size_t b = 0; b < 8; ++b) stored_index |= std::uint64_t{raw[b]} << (8 * b);
  std::uint32_t length = 0;
  for (std::size_t b = 0; b < 4; ++b) length |= std::uint32_t{raw[8 + b]} << (8 * b);
  if (stored_index != index || length > kMaxEntryBytes) {
    return make_error(ErrorCode::kLogEntryCorrupted,
                      "entry " + std::to_string(index) + " is damaged; run dss audit verify");
  }
  Bytes out(length);
  if (!pread_exact(*fd, out.data(), length, offset + 12)) {
    return make_error(ErrorCode::kIo, "cannot read entry " + std::to_string(index));
  }
  return out;
}

Status Log::persist_state_locked() {
  for (const auto& fd : levels_) {
    if (fd.get() >= 0 && ::fdatasync(fd.get()) != 0) {
      return platform::io_error("cannot sync", dir_ / "hashes");
    }
  }
  if (::fdatasync(offsets_.get()) != 0) return platform::io_error("cannot sync", dir_ / "offsets");
  const State s{durable_.load(), chain_, segment_first_, segment_bytes_};
  return platform::write_file_atomic(dir_ / "state", encode_state(s));
}

Result<std::string> Log::checkpoint() {
  std::lock_guard cl(checkpoint_mu_);
  std::unique_lock l(mu_);
  while (writing_ || syncs_in_flight_ > 0) {
    l.unlock();
    std::this_thread::sleep_for(std::chrono::microseconds(50));
    l.lock();
  }
  if (broken_) return tl::unexpected(*broken_);
  writing_ = true;  // hold writers while the state is made durable
  const std::uint64_t size = durable_.load();
  const Hash root = range_.root();
  l.unlock();
  Status s = persist_state_locked();
  l.lock();
  writing_ = false;
  l.unlock();
  // Appenders that queued meanwhile are waiting: wake them so one of them leads.
  wake_generation_.fetch_add(1);
  wake_generation_.notify_all();
  DSS_TRY_STATUS(s);

  Checkpoint c;
  c.origin = signer_.verifier().name();
  c.size = size;
  c.root = root;
  auto note = signer_.sign(c.to_text());
  if (!note) return note;
  const fs::path kept = dir_ / "checkpoints" / (std::to_string(size) + ".note");
  std::error_code ec;
  const bool kept_exists = fs::exists(kept, ec);
  if (ec) return make_error(ErrorCode::kIo, "cannot stat " + kept.string() + ": " + ec.message());
  if (!kept_exists) {
    DSS_TRY_STATUS(platform::write_file_atomic(kept, *note, platform::FileMode::kPublic));
  }
  DSS_TRY_STATUS(
      platform::write_file_atomic(dir_ / "checkpoint", *note, platform::FileMode::kPublic));
  last_checkpoint_size_ = size;
  return note;
}

Result<std::string> Log::latest_checkpoint() const {
  return platform::read_text_file(dir_ / "checkpoint", 1 << 20);
}

void Log::start_periodic_checkpoints(std::chrono::milliseconds interval,
                                     std::function<void(const Error&)> on_error) {
  checkpointer_ =
      std::jthread([this, interval, on_error = std::move(on_error)](const std::stop_token& stop) {
        std::mutex m;
        std::condition_variable_any cv;
        // cppcheck-suppress localMutex ; m exists only for cv: the wait is a sleep that stop ends
        std::unique_lock l(m);
        // wait_for returns the predicate's value (always false here), including when stop is
        // requested, so the loop must test the stop token itself.
        for (;;) {
          cv.wait_for(l, stop, interval, [] { return false; });
          if (stop.stop_requested()) return;
          std::uint64_t last = 0;
          {
            std::lock_guard cl(checkpoint_mu_);
            last = last_checkpoint_size_;
          }
          if (size() == last) continue;
          auto note = checkpoint();
          if (!note && on_error) on_error(note.error());
        }
      });
}

}  // namespace dss::tlog
