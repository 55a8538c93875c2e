// Tamper-evident log benchmarks, each beside a baseline measured in the same run:
//   1. Durable appends per second with 1, 8 and 64 concurrent writers, against a raw
//      write + fdatasync loop writing the same records in batches of 1, 8 and 64.
//   2. `dss audit verify` throughput (the library call) against `sha256sum` of the same bytes.
//   3. Inclusion- and consistency-proof generation on a large log (default 10 million entries).
// Usage: dss_tlog_bench [--entries N] [--seconds S] [--dir DIR]
#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "platform/system_clock.h"
#include "tlog/log.h"
#include "tlog/verify.h"

namespace {

using namespace dss;
using SteadyClock = std::chrono::steady_clock;
namespace fs = std::filesystem;

double seconds_since(SteadyClock::time_point start) {
  return std::chrono::duration<double>(SteadyClock::now() - start).count();
}

[[noreturn]] void die(const std::string& what) {
  std::cerr << "dss_tlog_bench: " << what << "\n";
  std::exit(1);
}

// A typical audit event line, about 300 bytes.
std::string sample_entry(std::uint64_t i) {
  std::string e =
      R"({"time":"2026-11-22T18:00:00.000Z","id":"01a2049e-5a8e-7b7b-b076-4d3bf56553c5",)"
      R"("action":"auth.login","category":"authentication","outcome":"success",)"
      R"("actor":{"kind":"user","id":"user-)" +
      std::to_string(i % 1000) + R"("},"source":"192.0.2.7","request_id":"req-)" +
      std::to_string(i) + R"(","object":"user-42","version":"0.1.0","host":"cp1"})";
  return e;
}

double raw_fdatasync_rate(const fs::path& dir, std::size_t batch, double seconds) {
  const fs::path path = dir / ("raw-" + std::to_string(batch));
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) die("cannot create " + path.string());
  std::string buf;
  for (std::size_t i = 0; i < batch; ++i) buf += sample_entry(i) + std::string(44, 'x');
  std::uint64_t n = 0;
  const auto start = SteadyClock::now();
  while (seconds_since(start) < seconds) {
    if (::write(fd, buf.data(), buf.size()) != static_cast<ssize_t>(buf.size())) die("write");
    if (::fdatasync(fd) != 0) die("fdatasync");
    n += batch;
  }
  const double rate = static_cast<double>(n) / seconds_since(start);
  ::close(fd);
  fs::remove(path);
  return rate;
}

double log_append_rate(const fs::path& dir, int writers, double seconds, double& mean_batch) {
  platform::SystemClock clock;
  const fs::path path = dir / ("log-" + std::to_string(writers));
  auto log = tlog::Log::open(path, clock);
  if (!log) die(log.error().message);
  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> total{0};
  std::vector<std::thread> threads;
  const auto start = SteadyClock::now();
  for (int t = 0; t < writers; ++t) {
    threads.emplace_back([&, t] {
      std::uint64_t n = 0;
      while (!stop.load(std::memory_order_relaxed)) {
        const std::string e = sample_entry(n * 64 + static_cast<std::uint64_t>(t));
        if (!(*log)->append(as_bytes(e))) die("append failed");
        ++n;
      }
      total += n;
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& th : threads) th.join();
  const double rate = static_cast<double>(total.load()) / seconds_since(start);
  mean_batch = static_cast<double>(total.load()) / static_cast<double>((*log)->batches());
  log->reset();
  fs::remove_all(path);
  return rate;
}

double time_command(const std::string& command) {
  const auto start = SteadyClock::now();
  if (std::system(command.c_str()) != 0) die("failed: " + command);
  return seconds_since(start);
}

}  // namespace

int main(int argc, char** argv) {
  std::uint64_t entries = 10'000'000;
  double seconds = 3.0;
  fs::path dir = fs::temp_directory_path() / ("dss-tlog-bench-" + std::to_string(::getpid()));
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--entries")
      entries = std::stoull(argv[i + 1]);
    else if (flag == "--seconds")
      seconds = std::stod(argv[i + 1]);
    else if (flag == "--dir")
      dir = argv[i + 1];
    else
      die("unknown flag " + flag);
  }
  fs::create_directories(dir);

  std::printf("== durable appends (entries of ~%zu bytes) ==\n", sample_entry(0).size());
  const int writer_counts[] = {1, 8, 64};
  for (const int writers : writer_counts) {
    const double raw = raw_fdatasync_rate(dir, static_cast<std::size_t>(writers), seconds);
    double batch = 0;
    const double ours = log_append_rate(dir, writers, seconds, batch);
    std::printf(
        "%3d writers: %10.0f appends/s (mean batch %4.1f)   raw write+fdatasync in "
        "batches of %2d: %10.0f/s   ratio %.0f%%\n",
        writers, ours, batch, writers, raw, 100.0 * ours / raw);
  }

  std::printf("== building a log of %llu entries ==\n", static_cast<unsigned long long>(entries));
  platform::SystemClock clock;
  const fs::path big = dir / "big";
  auto build_start = SteadyClock::now();
  {
    auto log = tlog::Log::open(big, clock);
    if (!log) die(log.error().message);
    std::vector<std::string> batch(4096);
    std::vector<ByteView> views(batch.size());
    for (std::uint64_t i = 0; i < entries; i += batch.size()) {
      const std::size_t n =
          static_cast<std::size_t>(std::min<std::uint64_t>(batch.size(), entries - i));
      for (std::size_t k = 0; k < n; ++k) {
        batch[k] = sample_entry(i + k);
        views[k] = as_bytes(batch[k]);
      }
      if (!(*log)->append_batch(std::span<const ByteView>(views.data(), n))) die("append failed");
    }
    if (!(*log)->checkpoint()) die("checkpoint failed");
  }
  std::printf("built in %.1f s\n", seconds_since(build_start));

  std::printf("== verify vs sha256sum ==\n");
  auto vkey = platform::read_text_file(big / "log.vkey", 4096);
  auto verifier = tlog::NoteVerifier::parse(vkey->substr(0, vkey->size() - 1));
  if (!verifier) die(verifier.error().message);
  // Warm the page cache for both.
  time_command("cat " + (big / "segments").string() + "/*.seg > /dev/null");
  auto verify_start = SteadyClock::now();
  auto report = tlog::verify_log(big, *verifier);
  const double verify_s = seconds_since(verify_start);
  if (!report) die(report.error().message);
  const double sha_s =
      time_command("sha256sum " + (big / "segments").string() + "/*.seg > /dev/null");
  const double mib = static_cast<double>(report->bytes) / (1 << 20);
  std::printf(
      "verify: %.0f MiB/s (%.2f s for %.0f MiB, %llu entries)   sha256sum: %.0f MiB/s"
      "   ratio %.0f%%\n",
      mib / verify_s, verify_s, mib, static_cast<unsigned long long>(report->entries), mib / sha_s,
      100.0 * sha_s / verify_s);

  std::printf("== proofs on %llu entries ==\n", static_cast<unsigned long long>(entries));
  auto log = tlog::Log::open(big, clock);
  if (!log) die(log.error().message);
  const std::uint64_t size = (*log)->size();
  std::mt19937_64 rng(42);
  const int kProofs = 2000;
  double worst_inclusion = 0;
  auto start = SteadyClock::now();
  for (int i = 0; i < kProofs; ++i) {
    const auto t0 = SteadyClock::now();
    if (!(*log)->inclusion_proof(rng() % size, size)) die("inclusion proof failed");
    worst_inclusion = std::max(worst_inclusion, seconds_since(t0));
  }
  const double inclusion_us = seconds_since(start) / kProofs * 1e6;
  double worst_consistency = 0;
  start = SteadyClock::now();
  for (int i = 0; i < kProofs; ++i) {
    const auto t0 = SteadyClock::now();
    if (!(*log)->consistency_proof(1 + rng() % (size - 1), size)) die("consistency proof failed");
    worst_consistency = std::max(worst_consistency, seconds_since(t0));
  }
  const double consistency_us = seconds_since(start) / kProofs * 1e6;
  std::printf(
      "inclusion proof: %.1f us mean, %.1f us worst   consistency proof: %.1f us mean, "
      "%.1f us worst   (goal: under 1000 us)\n",
      inclusion_us, worst_inclusion * 1e6, consistency_us, worst_consistency * 1e6);
  log->reset();
  fs::remove_all(dir);
  return 0;
}
