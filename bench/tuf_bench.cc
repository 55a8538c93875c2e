// DSS trust-engine benchmarks. Every figure is reported beside a baseline measured in the
// same run, on the same bytes:
//   1. A repository with 100,000 targets served over loopback HTTPS: cold refresh and
//      no-change refresh (child process `dss-tuf-client`, CPU time and peak RSS from wait4),
//      against a plain simdjson parse plus a SHA-256 of the same targets.json.
//   2. Signature verification rate per key type, DSS's PublicKey::verify against the raw
//      libsodium / OpenSSL call with a pre-parsed key.
// Usage: dss_bench [--targets N] [--dss PATH_TO_dss-tuf-client] [--keep DIR]
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <simdjson.h>
#include <sodium.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "client/updater.h"
#include "core/json.h"
#include "crypto/hash.h"
#include "crypto/keys.h"
#include "httpd/server.h"
#include "net/fetcher.h"
#include "platform/files.h"
#include "platform/system_clock.h"
#include "tuf/metadata.h"

namespace {

using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;
using namespace dss;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

crypto::PrivateKey must_generate(crypto::KeyScheme scheme) {
  auto k = crypto::PrivateKey::generate(scheme);
  if (!k) {
    std::cerr << k.error().to_string() << "\n";
    std::exit(1);
  }
  return std::move(*k);
}

std::string sign_envelope(const crypto::PrivateKey& key, const std::string& signed_json) {
  auto sig = key.sign(as_bytes(signed_json));
  return tuf::to_envelope_json(signed_json, {tuf::Signature{key.public_key().keyid(), *sig}});
}

void write(const fs::path& p, const std::string& bytes) {
  if (auto r = platform::write_file_atomic(p, bytes, platform::FileMode::kPublic); !r) {
    std::cerr << r.error().to_string() << "\n";
    std::exit(1);
  }
}

tuf::MetaFile meta_of(const std::string& bytes, std::int64_t version) {
  tuf::MetaFile m;
  m.version = version;
  m.length = bytes.size();
  m.hashes["sha256"] = crypto::sha256_hex(bytes);
  return m;
}

struct ChildResult {
  int status = -1;
  double cpu_seconds = 0;
  double wall_seconds = 0;
  long max_rss_kib = 0;
};

ChildResult run_child(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  const auto start = Clock::now();
  const pid_t pid = fork();
  if (pid == 0) {
    execv(argv[0], argv.data());
    _exit(127);
  }
  ChildResult r;
  rusage usage{};
  wait4(pid, &r.status, 0, &usage);
  r.wall_seconds = seconds_since(start);
  r.cpu_seconds = static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
                  static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
  r.max_rss_kib = usage.ru_maxrss;
  return r;
}

ChildResult run_true() { return run_child({"/bin/true"}); }

void refresh_benchmark(int n_targets, const std::string& client, const std::string& keep) {
  // --keep DIR leaves the generated repository in DIR for profiling by hand.
  const fs::path dir = keep.empty()
                           ? fs::temp_directory_path() / ("dss-bench-" + std::to_string(getpid()))
                           : fs::path(keep);
  fs::remove_all(dir);
  fs::create_directories(dir / "repo" / "metadata");
  const fs::path metadata_dir = dir / "repo" / "metadata";
  const UnixSeconds expires = 2'000'000'000;
  auto key = must_generate(crypto::KeyScheme::kEd25519);

  tuf::Root root;
  root.expires = expires;
  root.keys.emplace(key.public_key().keyid(), key.public_key());
  for (const char* role : {"root", "timestamp", "snapshot", "targets"}) {
    root.roles[role] = tuf::RoleKeys{{key.public_key().keyid()}, 1, {}};
  }
  const std::string root_bytes = sign_envelope(key, tuf::to_signed_json(root));
  write(metadata_dir / "1.root.json", root_bytes);
  write(dir / "trusted-root.json", root_bytes);

  tuf::Targets targets;
  targets.expires = expires;
  for (int i = 0; i < n_targets; ++i) {
    char name[96];
    std::snprintf(name, sizeof name, "packages/pkg-%06d/pkg-%06d-1.2.%d.tar.gz", i, i, i % 10);
    tuf::TargetFile tf;
    tf.length = static_cast<std::uint64_t>(1000 + i);
    tf.hashes["sha256"] = crypto::sha256_hex(name);
    tf.hashes["sha512"] =
        hex_encode(crypto::digest(crypto::HashAlgorithm::kSha512, as_bytes(name)));
    targets.targets.emplace(name, std::move(tf));
  }
  const std::string targets_bytes = sign_envelope(key, tuf::to_signed_json(targets));
  write(metadata_dir / "1.targets.json", targets_bytes);
  tuf::Snapshot snapshot;
  snapshot.expires = expires;
  snapshot.meta["targets.json"] = meta_of(targets_bytes, 1);
  const std::string snapshot_bytes = sign_envelope(key, tuf::to_signed_json(snapshot));
  write(metadata_dir / "1.snapshot.json", snapshot_bytes);
  tuf::Timestamp timestamp;
  timestamp.expires = expires;
  timestamp.snapshot_meta = meta_of(snapshot_bytes, 1);
  write(metadata_dir / "timestamp.json", sign_envelope(key, tuf::to_signed_json(timestamp)));

  // Baseline on the same bytes: simdjson DOM parse + SHA-256.
  double baseline = 1e9;
  for (int i = 0; i < 5; ++i) {
    simdjson::dom::parser parser;
    const auto start = Clock::now();
    simdjson::padded_string padded(targets_bytes);
    auto doc = parser.parse(padded);
    if (doc.error()) std::exit(1);
    const Bytes digest = crypto::sha256(as_bytes(targets_bytes));
    baseline = std::min(baseline, seconds_since(start));
    (void)digest;
  }

  // Where a cold refresh spends its CPU, stage by stage, on the same bytes.
  {
    const auto t0 = Clock::now();
    json::JsonParser jp;
    std::string copy = targets_bytes;
    auto doc = jp.parse(copy);
    const double t_parse = seconds_since(t0);
    const auto t1 = Clock::now();
    std::string canonical;
    canonical.reserve(copy.size());
    if (!doc || !json::append_canonical(canonical, *doc)) std::exit(1);
    const double t_canon = seconds_since(t1);
    const auto t2 = Clock::now();
    tuf::MetadataParser mp;
    auto md = mp.targets(targets_bytes);
    if (!md) std::exit(1);
    const double t_full = seconds_since(t2);
    const auto t3 = Clock::now();
    if (!key.public_key().verify(as_bytes(md->signed_canonical), md->signatures[0].sig))
      std::exit(1);
    const double t_verify = seconds_since(t3);
    const auto t4 = Clock::now();
    (void)crypto::sha256(as_bytes(targets_bytes));
    const double t_sha = seconds_since(t4);
    std::printf(
        "DOM path (dss repo, non-canonical files): parse %.1f ms, canonical %.1f ms, "
        "parse+canonical+model %.1f ms, "
        "ed25519 verify %.1f ms, sha256 %.1f ms\n",
        t_parse * 1e3, t_canon * 1e3, t_full * 1e3, t_verify * 1e3, t_sha * 1e3);
  }
  const fs::path cert = dir / "cert.pem";
  const fs::path cert_key = dir / "key.pem";
  if (auto r = httpd::generate_self_signed_cert(cert, cert_key); !r) {
    std::cerr << r.error().to_string() << "\n";
    std::exit(1);
  }
  httpd::StaticHttpsServer::Options opts;
  opts.root = dir / "repo";
  opts.cert_pem = cert;
  opts.key_pem = cert_key;
  auto server = httpd::StaticHttpsServer::start(opts);
  if (!server) {
    std::cerr << server.error().to_string() << "\n";
    std::exit(1);
  }
  const std::string murl = "https://127.0.0.1:" + std::to_string((*server)->port()) + "/metadata/";
  const fs::path client_dir = dir / "client";

  const ChildResult empty = run_true();
  double cold_best = 1e9, cold_cpu = 0, nochange_cpu_best = 1e9;
  long rss = 0;
  for (int i = 0; i < 3; ++i) {
    fs::remove_all(client_dir);
    if (run_child({client, "--metadata-dir", client_dir.string(), "init",
                   (dir / "trusted-root.json").string()})
            .status != 0) {
      std::cerr << "init failed\n";
      std::exit(1);
    }
    // Peak RSS through GNU time: a child forked from this (large) process would inherit its
    // high-water mark, so the client is started from the small `time` process instead.
    const fs::path rss_file = dir / "rss.txt";
    const ChildResult cold = run_child({"/usr/bin/time", "-f", "%M", "-o", rss_file.string(),
                                        client, "--ca-file", cert.string(), "--metadata-url", murl,
                                        "--metadata-dir", client_dir.string(), "refresh"});
    if (cold.status != 0) {
      std::cerr << "cold refresh failed\n";
      std::exit(1);
    }
    if (cold.wall_seconds < cold_best) {
      cold_best = cold.wall_seconds;
      cold_cpu = cold.cpu_seconds;
    }
    {
      std::ifstream in(rss_file);
      long kib = 0;
      in >> kib;
      rss = std::max(rss, kib);
    }
    const std::uint64_t before = (*server)->requests_served();
    const ChildResult warm = run_child({client, "--ca-file", cert.string(), "--metadata-url", murl,
                                        "--metadata-dir", client_dir.string(), "refresh"});
    if (warm.status != 0) std::exit(1);
    nochange_cpu_best = std::min(nochange_cpu_best, warm.cpu_seconds);
    const std::uint64_t requests = (*server)->requests_served() - before;
    if (i == 0) {
      std::printf("no-change refresh requests: %llu (2.root.json probe + timestamp.json)\n",
                  static_cast<unsigned long long>(requests));
    }
  }
  // In-process cold refresh: CPU of the calling thread (user + system), to separate the
  // client's own work from process start-up.
  double cold_inproc_best = 1e9;
  {
    net::FetchOptions fo;
    fo.ca_file = cert.string();
    platform::SystemClock clock;
    client::UpdaterConfig config;
    config.metadata_base_url = murl;
    for (int i = 0; i < 7; ++i) {  // best of 7: the figure is the client's cost, not the noise
      const fs::path d = dir / "inproc-cold";
      fs::remove_all(d);
      auto store = client::DirectoryMetadataStore::open(d);
      if (!store || !store->store("root", root_bytes)) std::exit(1);
      net::CurlFetcher fetcher(fo);
      client::Updater updater(config, fetcher, *store, clock);
      timespec a{}, b{};
      clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a);
      if (!updater.refresh()) std::exit(1);
      clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b);
      cold_inproc_best =
          std::min(cold_inproc_best, static_cast<double>(b.tv_sec - a.tv_sec) +
                                         static_cast<double>(b.tv_nsec - a.tv_nsec) / 1e9);
    }
  }
  // In-process no-change refresh: CPU of the calling thread only (the server runs on another).
  double inproc_best = 1e9;
  std::uint64_t inproc_requests = 0;
  {
    net::FetchOptions fo;
    fo.ca_file = cert.string();
    net::CurlFetcher fetcher(fo);
    auto store = client::DirectoryMetadataStore::open(client_dir);
    platform::SystemClock clock;
    client::UpdaterConfig config;
    config.metadata_base_url = murl;
    for (int i = 0; i < 20; ++i) {
      client::Updater updater(config, fetcher, *store, clock);
      timespec a{}, b{};
      clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a);
      const std::uint64_t before = fetcher.requests();
      if (!updater.refresh()) std::exit(1);
      clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b);
      inproc_requests = fetcher.requests() - before;
      inproc_best = std::min(inproc_best, static_cast<double>(b.tv_sec - a.tv_sec) +
                                              static_cast<double>(b.tv_nsec - a.tv_nsec) / 1e9);
    }
  }
  const double mib = static_cast<double>(targets_bytes.size()) / (1024.0 * 1024.0);
  std::printf("targets.json: %d targets, %.1f MiB\n", n_targets, mib);
  std::printf("baseline simdjson parse + sha256:      %8.1f ms\n", baseline * 1e3);
  std::printf("cold refresh (wall, process):          %8.1f ms  = %.2fx baseline (goal <= 4x)\n",
              cold_best * 1e3, cold_best / baseline);
  std::printf("cold refresh CPU (process):            %8.1f ms\n", cold_cpu * 1e3);
  std::printf("cold refresh CPU (in-process thread):  %8.1f ms  = %.2fx baseline\n",
              cold_inproc_best * 1e3, cold_inproc_best / baseline);
  std::printf(
      "no-change refresh CPU (process):       %8.2f ms  (empty process: %.2f ms; goal < 5 ms)\n",
      nochange_cpu_best * 1e3, empty.cpu_seconds * 1e3);
  std::printf("no-change refresh CPU (in-process):    %8.2f ms  (%llu requests; goal < 5 ms)\n",
              inproc_best * 1e3, static_cast<unsigned long long>(inproc_requests));
  std::printf("cold refresh peak RSS:                 %8.1f MiB = %.2fx file size (goal <= 3x)\n",
              static_cast<double>(rss) / 1024.0, static_cast<double>(rss) / 1024.0 / mib);
  (*server)->stop();
  if (keep.empty()) fs::remove_all(dir);
}

// ---- signature verification rates ----------------------------------------------------------

template <typename F>
double rate(F&& f, double min_seconds = 0.5) {
  long n = 0;
  const auto start = Clock::now();
  double elapsed = 0;
  while (elapsed < min_seconds) {
    for (int i = 0; i < 64; ++i) f();
    n += 64;
    elapsed = seconds_since(start);
  }
  return static_cast<double>(n) / elapsed;
}

EVP_PKEY* parse_pem(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  EVP_PKEY* k = PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  return k;
}

void verify_benchmark() {
  const std::string msg(1024, 'm');
  for (auto scheme : {crypto::KeyScheme::kEd25519, crypto::KeyScheme::kEcdsaP256,
                      crypto::KeyScheme::kRsaPssSha256}) {
    auto key = must_generate(scheme);
    const Bytes sig = *key.sign(as_bytes(msg));
    const crypto::PublicKey& pub = key.public_key();
    volatile bool sink = false;
    // Interleave rounds so drift in machine load affects both sides alike.
    double dss_rate = 0, raw_rate = 0;
    for (int round = 0; round < 3; ++round) {
      dss_rate = std::max(dss_rate,
                          rate([&] { sink = static_cast<bool>(pub.verify(as_bytes(msg), sig)); }));
      if (scheme == crypto::KeyScheme::kEd25519) {
        const Bytes raw_pk = *hex_decode(pub.public_value());
        raw_rate =
            std::max(raw_rate, rate([&] {
                       sink = crypto_sign_verify_detached(
                                  sig.data(), reinterpret_cast<const unsigned char*>(msg.data()),
                                  msg.size(), raw_pk.data()) == 0;
                     }));
      } else {
        EVP_PKEY* pk = parse_pem(pub.public_value());
        raw_rate =
            std::max(raw_rate, rate([&] {
                       EVP_MD_CTX* ctx = EVP_MD_CTX_new();
                       EVP_PKEY_CTX* pctx = nullptr;
                       EVP_DigestVerifyInit(ctx, &pctx, EVP_sha256(), nullptr, pk);
                       if (scheme == crypto::KeyScheme::kRsaPssSha256) {
                         EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING);
                         EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_AUTO);
                       }
                       sink = EVP_DigestVerify(ctx, sig.data(), sig.size(),
                                               reinterpret_cast<const unsigned char*>(msg.data()),
                                               msg.size()) == 1;
                       EVP_MD_CTX_free(ctx);
                     }));
        EVP_PKEY_free(pk);
      }
    }
    std::printf("verify %-20s dss %9.0f/s  raw %9.0f/s  = %5.1f%% (goal >= 90%%)\n",
                std::string(crypto::key_scheme_name(scheme)).c_str(), dss_rate, raw_rate,
                100.0 * dss_rate / raw_rate);
    (void)sink;
  }
  // The claim: libsodium ed25519 vs OpenSSL ed25519, same machine, same run.
  unsigned char pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
  crypto_sign_keypair(pk, sk);
  unsigned char sig[crypto_sign_BYTES];
  crypto_sign_detached(sig, nullptr, reinterpret_cast<const unsigned char*>(msg.data()), msg.size(),
                       sk);
  EVP_PKEY* ossl = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, pk, sizeof pk);
  volatile bool sink = false;
  const double sodium = rate([&] {
    sink = crypto_sign_verify_detached(sig, reinterpret_cast<const unsigned char*>(msg.data()),
                                       msg.size(), pk) == 0;
  });
  const double openssl = rate([&] {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    EVP_DigestVerifyInit(ctx, nullptr, nullptr, nullptr, ossl);
    sink = EVP_DigestVerify(ctx, sig, sizeof sig,
                            reinterpret_cast<const unsigned char*>(msg.data()), msg.size()) == 1;
    EVP_MD_CTX_free(ctx);
  });
  EVP_PKEY_free(ossl);
  std::printf("ed25519 libsodium %9.0f/s vs OpenSSL %9.0f/s = %.2fx\n", sodium, openssl,
              sodium / openssl);
  (void)sink;
}

}  // namespace

int main(int argc, char** argv) {
  int n_targets = 100000;
  std::string client;
  std::string keep;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--targets") == 0) n_targets = std::atoi(argv[i + 1]);
    if (std::strcmp(argv[i], "--dss") == 0) client = argv[i + 1];
    if (std::strcmp(argv[i], "--keep") == 0) keep = argv[i + 1];
  }
  if (client.empty()) {
    client =
        (fs::path(argv[0]).parent_path().parent_path() / "src" / "cli" / "dss-tuf-client").string();
  }
  if (sodium_init() < 0) return 1;
  verify_benchmark();
  refresh_benchmark(n_targets, client, keep);
  return 0;
}
