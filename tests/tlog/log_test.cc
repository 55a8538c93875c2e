// The durable log: appends, proofs, recovery, and detection of every kind of tampering.
#include "tlog/log.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <future>
#include <set>
#include <thread>

#include "fakes/fake_clock.h"
#include "fakes/temp_dir.h"
#include "platform/files.h"
#include "tlog/verify.h"

namespace dss::tlog {
namespace {

namespace fs = std::filesystem;

std::string entry_text(std::uint64_t i) { return "{\"event\":" + std::to_string(i) + "}"; }

class LogTest : public ::testing::Test {
 protected:
  std::unique_ptr<Log> open_log(LogOptions options = {}) {
    auto log = Log::open(dir.path() / "log", clock, std::move(options));
    EXPECT_TRUE(log.has_value()) << log.error().message;
    return log ? std::move(*log) : nullptr;
  }
  void fill(Log& log, std::uint64_t n) {
    for (std::uint64_t i = log.size(); i < n; ++i) {
      const std::string e = entry_text(i);
      ASSERT_EQ(*log.append(as_bytes(e)), i);
    }
  }
  NoteVerifier verifier() {
    auto text = platform::read_text_file(dir.path() / "log" / "log.vkey", 4096);
    EXPECT_TRUE(text.has_value());
    auto v = NoteVerifier::parse(text->substr(0, text->size() - 1));
    EXPECT_TRUE(v.has_value());
    return *v;
  }
  Result<VerifyReport> verify(const std::optional<SavedCheckpoint>& saved = std::nullopt) {
    return verify_log(dir.path() / "log", verifier(), saved);
  }
  fs::path only_segment() {
    auto segs = list_segments(dir.path() / "log");
    EXPECT_TRUE(segs.has_value());
    return segs->front().path;
  }
  // Byte offset of entry `i` in a single-segment log of entry_text entries.
  static std::uint64_t offset_of(std::uint64_t i) {
    std::uint64_t off = kSegmentHeaderBytes;
    for (std::uint64_t k = 0; k < i; ++k) off += kRecordOverheadBytes + entry_text(k).size();
    return off;
  }
  static void patch(const fs::path& file, std::uint64_t offset, std::string_view bytes) {
    std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(offset));
    f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }

  testing::TempDir dir{"dss-tlog"};
  testing::FakeClock clock;
};

TEST_F(LogTest, AppendedEntriesReadBackWithVerifiableProofs) {
  auto log = open_log();
  fill(*log, 100);
  auto root = log->root_at(100);
  ASSERT_TRUE(root.has_value());
  for (std::uint64_t i : {0U, 1U, 37U, 64U, 99U}) {
    auto e = log->read(i);
    ASSERT_TRUE(e.has_value());
    EXPECT_EQ(std::string(as_chars(*e)), entry_text(i));
    auto proof = log->inclusion_proof(i, 100);
    ASSERT_TRUE(proof.has_value());
    EXPECT_TRUE(verify_inclusion(leaf_hash(*e), i, 100, *proof, *root).has_value());
  }
  auto old_root = log->root_at(42);
  auto proof = log->consistency_proof(42, 100);
  ASSERT_TRUE(old_root && proof);
  EXPECT_TRUE(verify_consistency(42, 100, *old_root, *root, *proof).has_value());
  EXPECT_FALSE(log->inclusion_proof(5, 101).has_value());
}

TEST_F(LogTest, CheckpointIsASignedC2spNoteOfTheCurrentTree) {
  auto log = open_log();
  fill(*log, 10);
  auto note = log->checkpoint();
  ASSERT_TRUE(note.has_value());
  auto c = open_checkpoint(*note, log->verifier());
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->origin, "dss.local/audit");
  EXPECT_EQ(c->size, 10U);
  EXPECT_EQ(c->root, *log->root_at(10));
  EXPECT_EQ(*log->latest_checkpoint(), *note);
}

TEST_F(LogTest, ReopenedLogContinuesTheSameTree) {
  Hash root{};
  {
    auto log = open_log();
    fill(*log, 20);
    ASSERT_TRUE(log->checkpoint().has_value());
    fill(*log, 33);  // after the last durable state: rebuilt from the segment on open
    root = *log->root_at(33);
  }
  auto log = open_log();
  EXPECT_EQ(log->size(), 33U);
  EXPECT_EQ(*log->root_at(33), root);
  fill(*log, 40);
  log.reset();
  auto report = verify();
  EXPECT_TRUE(report.has_value()) << report.error().message;
}

TEST_F(LogTest, SegmentsRotateBySizeAndAgeAndStayVerifiable) {
  LogOptions options;
  options.segment_max_bytes = 1000;
  options.segment_max_age_ms = 60'000;
  {
    auto log = open_log(options);
    fill(*log, 60);
    clock.advance(120);  // older than the age limit: the next append starts a new segment
    fill(*log, 61);
    ASSERT_TRUE(log->checkpoint().has_value());
  }
  auto segs = list_segments(dir.path() / "log");
  ASSERT_TRUE(segs.has_value());
  EXPECT_GE(segs->size(), 5U);
  EXPECT_EQ(segs->back().first_index, 60U);
  auto report = verify();
  ASSERT_TRUE(report.has_value()) << report.error().message;
  EXPECT_EQ(report->entries, 61U);
  auto log = open_log(options);
  for (std::uint64_t i : {0U, 17U, 59U, 60U}) {
    EXPECT_EQ(std::string(as_chars(*log->read(i))), entry_text(i));
  }
}

TEST_F(LogTest, TamperedEntryIsReportedAsTheFirstCorruptedEntry) {
  {
    auto log = open_log();
    fill(*log, 50);
    ASSERT_TRUE(log->checkpoint().has_value());
  }
  patch(only_segment(), offset_of(17) + 12 + 2, "X");
  auto r = verify();
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::kLogEntryCorrupted);
  EXPECT_NE(r.error().message.find("entry 17 "), std::string::npos) << r.error().message;
}

TEST_F(LogTest, WriterRefusesToReopenOverAnEntryTamperedAfterItsLastState) {
  {
    auto log = open_log();
    fill(*log, 50);
    ASSERT_TRUE(log->checkpoint().has_value());
    fs::copy_file(dir.path() / "log" / "state", dir.path() / "state-at-50");
    fill(*log, 60);
  }
  // As after a crash: the last durable state is the one from size 50, so entries 50..59 are
  // replayed from the segment on open, and the replay checks their chain.
  fs::copy_file(dir.path() / "state-at-50", dir.path() / "log" / "state",
                fs::copy_options::overwrite_existing);
  patch(only_segment(), offset_of(55) + 12 + 2, "X");
  auto log = Log::open(dir.path() / "log", clock);
  ASSERT_FALSE(log.has_value());
  EXPECT_EQ(log.error().code, ErrorCode::kLogEntryCorrupted);
}

TEST_F(LogTest, TruncatedLogIsReportedAsTruncated) {
  {
    auto log = open_log();
    fill(*log, 50);
    ASSERT_TRUE(log->checkpoint().has_value());
  }
  const fs::path seg = only_segment();
  // Whole entries removed at the end: the checkpoint covers more than the log holds.
  fs::resize_file(seg, offset_of(45));
  auto r = verify();
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::kLogTruncated);
  // Cut inside a record.
  fs::resize_file(seg, offset_of(40) + 7);
  EXPECT_EQ(verify().error().code, ErrorCode::kLogTruncated);
}

TEST_F(LogTest, ReorderedEntriesAreReportedAsReordered) {
  {
    auto log = open_log();
    fill(*log, 12);  // entries 2 and 3 have the same length: swap them byte for byte
    ASSERT_TRUE(log->checkpoint().has_value());
  }
  const fs::path seg = only_segment();
  auto bytes = platform::read_file(seg, 1 << 20);
  ASSERT_TRUE(bytes.has_value());
  const std::uint64_t a = offset_of(2);
  const std::uint64_t b = offset_of(3);
  const std::uint64_t len = b - a;
  ASSERT_EQ(offset_of(4) - b, len);
  std::string s(as_chars(*bytes));
  const std::string ra = s.substr(a, len);
  const std::string rb = s.substr(b, len);
  patch(seg, a, rb);
  patch(seg, b, ra);
  auto r = verify();
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::kLogReordered);
}

TEST_F(LogTest, TwoCheckpointsOfTheSameSizeWithDifferentRootsAreAFork) {
  auto signer_text = [&] {
    auto log = open_log();
    fill(*log, 8);
    EXPECT_TRUE(log->checkpoint().has_value());
    return platform::read_file(dir.path() / "log" / "log.key", 4096);
  }();
  ASSERT_TRUE(signer_text.has_value());
  // The same key signs another tree of 8 entries (a split view shown to someone else).
  auto signer = NoteSigner::parse(SecretBytes(signer_text->data(), signer_text->size()));
  ASSERT_TRUE(signer.has_value());
  Checkpoint other;
  other.origin = signer->verifier().name();
  other.size = 8;
  other.root[0] = 1;
  auto note = signer->sign(other.to_text());
  ASSERT_TRUE(note.has_value());
  auto r = verify(SavedCheckpoint{*note, "the saved checkpoint"});
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::kLogForked);
}

TEST_F(LogTest, RewrittenHistoryNoLongerExtendsASavedCheckpoint) {
  std::string saved;
  {
    auto log = open_log();
    fill(*log, 30);
    saved = *log->checkpoint();
  }
  // An attacker with write access (and the online key) rewrites the log from entry 0 with a
  // consistent chain and removes the stored checkpoints. Only a checkpoint saved elsewhere can
  // tell.
  auto key_text = platform::read_file(dir.path() / "log" / "log.key", 4096);
  auto vkey_text = platform::read_file(dir.path() / "log" / "log.vkey", 4096);
  ASSERT_TRUE(key_text && vkey_text);
  fs::remove_all(dir.path() / "log");
  ASSERT_TRUE(platform::ensure_private_dir(dir.path() / "log").has_value());
  ASSERT_TRUE(platform::write_file_atomic(dir.path() / "log" / "log.key", *key_text).has_value());
  ASSERT_TRUE(platform::write_file_atomic(dir.path() / "log" / "log.vkey", *vkey_text,
                                          platform::FileMode::kPublic)
                  .has_value());
  {
    auto log = open_log();
    for (std::uint64_t i = 0; i < 30; ++i) {
      const std::string e = i == 4 ? "{\"event\":\"hidden\"}" : entry_text(i);
      ASSERT_TRUE(log->append(as_bytes(e)).has_value());
    }
  }
  ASSERT_TRUE(verify().has_value());  // self-consistent on its own...
  auto r = verify(SavedCheckpoint{saved, "the saved checkpoint"});
  ASSERT_FALSE(r.has_value());  // ...but not with what was seen before
  EXPECT_EQ(r.error().code, ErrorCode::kLogForked);
}

TEST_F(LogTest, CheckpointSignedByAnotherKeyIsReported) {
  {
    auto log = open_log();
    fill(*log, 5);
    ASSERT_TRUE(log->checkpoint().has_value());
  }
  auto other = NoteSigner::generate("dss.local/audit");
  ASSERT_TRUE(other.has_value());
  Checkpoint c;
  c.origin = "dss.local/audit";
  c.size = 5;
  auto note = other->sign(c.to_text());
  ASSERT_TRUE(platform::write_file_atomic(dir.path() / "log" / "checkpoint", *note).has_value());
  EXPECT_EQ(verify().error().code, ErrorCode::kBadCheckpointSignature);
}

TEST_F(LogTest, ConcurrentAppendersAreGroupCommittedWithUniqueIndexes) {
  auto log = open_log();
  constexpr int kThreads = 16;
  constexpr int kEach = 200;
  std::vector<std::thread> threads;
  std::vector<std::vector<std::uint64_t>> got(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        const std::string e = "t" + std::to_string(t) + "-" + std::to_string(i);
        auto idx = log->append(as_bytes(e));
        ASSERT_TRUE(idx.has_value());
        got[static_cast<std::size_t>(t)].push_back(*idx);
      }
    });
  }
  for (auto& th : threads) th.join();
  std::set<std::uint64_t> all;
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kEach; ++i) {
      const std::uint64_t idx = got[static_cast<std::size_t>(t)][static_cast<std::size_t>(i)];
      all.insert(idx);
      EXPECT_EQ(std::string(as_chars(*log->read(idx))),
                "t" + std::to_string(t) + "-" + std::to_string(i));
    }
  }
  EXPECT_EQ(all.size(), static_cast<std::size_t>(kThreads * kEach));
  EXPECT_EQ(*all.rbegin(), static_cast<std::uint64_t>(kThreads * kEach - 1));
  ASSERT_TRUE(log->checkpoint().has_value());
  log.reset();
  EXPECT_TRUE(verify().has_value());
}

TEST_F(LogTest, KillDashNineDuringConcurrentAppendsLosesNoAcknowledgedEntry) {
  for (int round = 0; round < 3; ++round) {
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      ::close(fds[0]);
      auto log = Log::open(dir.path() / "log", clock);
      if (!log) ::_exit(3);
      (*log)->start_periodic_checkpoints(std::chrono::milliseconds(5), nullptr);
      std::vector<std::thread> threads;
      for (int t = 0; t < 8; ++t) {
        threads.emplace_back([&, t] {
          for (int i = 0;; ++i) {
            const std::string e =
                "r" + std::to_string(round) + "t" + std::to_string(t) + "-" + std::to_string(i);
            auto idx = (*log)->append(as_bytes(e));
            if (!idx) ::_exit(4);
            const std::string line = std::to_string(*idx) + " " + e + "\n";
            if (::write(fds[1], line.data(), line.size()) < 0) ::_exit(5);
          }
        });
      }
      for (auto& th : threads) th.join();
      ::_exit(0);
    }
    ::close(fds[1]);
    ::usleep(static_cast<useconds_t>(150'000 + round * 70'000));
    ::kill(child, SIGKILL);
    int status = 0;
    ::waitpid(child, &status, 0);
    ASSERT_TRUE(WIFSIGNALED(status)) << "the writer exited with " << WEXITSTATUS(status);
    std::string acked;
    char buf[65536];
    for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) {
      acked.append(buf, static_cast<std::size_t>(n));
    }
    ::close(fds[0]);
    auto log = open_log();
    ASSERT_TRUE(log);
    std::size_t checked = 0;
    std::size_t pos = 0;
    while (true) {
      const std::size_t nl = acked.find('\n', pos);
      if (nl == std::string::npos) break;  // a partial last line was never fully reported
      const std::string line = acked.substr(pos, nl - pos);
      pos = nl + 1;
      const std::size_t space = line.find(' ');
      const std::uint64_t idx = std::stoull(line.substr(0, space));
      auto e = log->read(idx);
      ASSERT_TRUE(e.has_value()) << "acknowledged entry " << idx << " was lost";
      EXPECT_EQ(std::string(as_chars(*e)), line.substr(space + 1));
      ++checked;
    }
    EXPECT_GT(checked, 0U);
    ASSERT_TRUE(log->checkpoint().has_value());
    log.reset();
    auto report = verify();
    ASSERT_TRUE(report.has_value()) << report.error().message;
  }
}

TEST_F(LogTest, AppendThatCannotBeWrittenFailsAndTheLogStaysClosed) {
  auto log = open_log();
  fill(*log, 3);
  // Make the next write fail for real: cap the file size this process may write.
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  struct sigaction old_action {};
  ::sigaction(SIGXFSZ, &ignore, &old_action);
  rlimit old_limit{};
  ::getrlimit(RLIMIT_FSIZE, &old_limit);
  rlimit small = old_limit;
  small.rlim_cur = static_cast<rlim_t>(offset_of(3));
  ::setrlimit(RLIMIT_FSIZE, &small);
  auto failed = log->append(as_bytes(entry_text(3)));
  ::setrlimit(RLIMIT_FSIZE, &old_limit);
  ::sigaction(SIGXFSZ, &old_action, nullptr);
  ASSERT_FALSE(failed.has_value());
  EXPECT_EQ(failed.error().code, ErrorCode::kIo);
  // Fail closed: nothing more is accepted, even now that writing would work again.
  EXPECT_FALSE(log->append(as_bytes(entry_text(3))).has_value());
  EXPECT_EQ(log->size(), 3U);
}

// A file the filesystem cannot stat (here a symbolic link to itself: ELOOP, which even root
// gets) is an Error from Log::open, not a std::filesystem_error thrown through a Result.
TEST_F(LogTest, DerivedFileThatCannotBeStattedIsAnErrorNotAnException) {
  open_log().reset();
  fs::create_symlink("07", dir.path() / "log" / "hashes" / "07");
  Result<std::unique_ptr<Log>> log = make_error(ErrorCode::kInternal, "not opened");
  EXPECT_NO_THROW(log = Log::open(dir.path() / "log", clock));
  ASSERT_FALSE(log.has_value());
  EXPECT_EQ(log.error().code, ErrorCode::kIo);
}

TEST_F(LogTest, CheckpointOverAKeptNoteThatCannotBeStattedIsAnErrorNotAnException) {
  auto log = open_log();
  fill(*log, 2);
  fs::create_symlink("2.note", dir.path() / "log" / "checkpoints" / "2.note");
  Result<std::string> note = make_error(ErrorCode::kInternal, "not signed");
  EXPECT_NO_THROW(note = log->checkpoint());
  ASSERT_FALSE(note.has_value());
  EXPECT_EQ(note.error().code, ErrorCode::kIo);
}

TEST_F(LogTest, OversizedEntryIsRefusedAndChangesNothing) {
  auto log = open_log();
  fill(*log, 2);
  const std::string big(kMaxEntryBytes + 1, 'x');
  EXPECT_EQ(log->append(as_bytes(big)).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(log->size(), 2U);
  fill(*log, 3);
}

}  // namespace
}  // namespace dss::tlog

namespace dss::tlog {
namespace {

// Regression: the checkpointer's wait returned false on a stop request as on a timeout, so
// closing a log with periodic checkpoints spun forever instead of returning.
TEST(LogLifecycleTest, ClosingALogStopsItsPeriodicCheckpointer) {
  testing::TempDir dir;
  testing::FakeClock clock;
  auto log = Log::open(dir.path() / "log", clock);
  ASSERT_TRUE(log);
  (*log)->start_periodic_checkpoints(std::chrono::hours(1), nullptr);
  auto closed = std::async(std::launch::async, [&] { log->reset(); });
  // Generous: closing takes microseconds; a hang is what this catches.
  EXPECT_EQ(closed.wait_for(std::chrono::seconds(30)), std::future_status::ready);
  if (closed.wait_for(std::chrono::seconds(0)) != std::future_status::ready) std::abort();
}

}  // namespace
}  // namespace dss::tlog
