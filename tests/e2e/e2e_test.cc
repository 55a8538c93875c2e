// End to end: `dss repo` (the real binary) builds a repository, a real HTTPS server serves it on
// loopback, and both `dss-tuf-client` and the library updater fetch and verify it. Then the
// repository is tampered with in several ways; each tamper is refused with the right error and
// leaves the client's trusted state byte-for-byte as it was.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <set>

#include "client/updater.h"
#include "core/url.h"
#include "fakes/fake_clock.h"
#include "fakes/temp_dir.h"
#include "httpd/server.h"
#include "net/fetcher.h"
#include "platform/system_clock.h"

extern char** environ;

namespace dss {
namespace {

namespace fs = std::filesystem;

using dss::testing::slurp;
void write_all(const fs::path& p, const std::string& s) {
  std::ofstream(p, std::ios::binary | std::ios::trunc) << s;
}
std::map<std::string, std::string> snapshot_dir(const fs::path& d) {
  std::map<std::string, std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(d, ec))
    out[e.path().filename().string()] = slurp(e.path());
  return out;
}

// Runs a command with its standard output in `out`; returns its exit status (or -1).
int run_capturing(std::vector<std::string> args, const fs::path& out) {
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return -1;
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// Runs a command with its standard output discarded; returns its exit status (or -1).
int run(std::vector<std::string> args) { return run_capturing(std::move(args), "/dev/null"); }

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kAddressSanitizer = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kAddressSanitizer = true;
#else
constexpr bool kAddressSanitizer = false;
#endif
#else
constexpr bool kAddressSanitizer = false;
#endif

class EndToEnd : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = fs::temp_directory_path() / ("dss-e2e-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "files");
    // Fresh passphrases; the fast Argon2 profile is not needed: the real defaults are used.
    ::setenv("DSS_OFFLINE_PASSPHRASE", ("off-" + std::to_string(::getpid()) + "-x7Q").c_str(), 1);
    ::setenv("DSS_ONLINE_PASSPHRASE", ("on-" + std::to_string(::getpid()) + "-k2W").c_str(), 1);
    const std::string dss = std::string(DSS_CLI_DIR) + "/dss";
    repo_ = dir_ / "repo";
    ASSERT_EQ(run({dss, "repo", "init", repo_.string()}), 0);
    old_timestamp_ = slurp(repo_ / "metadata" / "timestamp.json");
    write_all(dir_ / "files" / "hello", "hello, world\n");
    write_all(dir_ / "files" / "tool", std::string(100000, 't'));
    ASSERT_EQ(run({dss, "repo", "add-target", repo_.string(), (dir_ / "files" / "hello").string(),
                   "--as", "app/hello world.txt"}),
              0);
    ASSERT_EQ(
        run({dss, "repo", "delegate", repo_.string(), "--name", "team?x", "--path", "team/*"}), 0);
    ASSERT_EQ(run({dss, "repo", "add-target", repo_.string(), (dir_ / "files" / "tool").string(),
                   "--as", "team/tool.bin", "--role", "team?x"}),
              0);
    ASSERT_EQ(run({dss, "repo", "verify", repo_.string()}), 0);

    ASSERT_TRUE(httpd::generate_self_signed_cert(dir_ / "cert.pem", dir_ / "key.pem"));
    httpd::StaticHttpsServer::Options o;
    o.root = repo_;
    o.only_under = {"metadata", "targets"};
    o.cert_pem = dir_ / "cert.pem";
    o.key_pem = dir_ / "key.pem";
    auto server = httpd::StaticHttpsServer::start(o);
    ASSERT_TRUE(server) << server.error().to_string();
    server_ = std::move(*server).release();
    base_ = "https://127.0.0.1:" + std::to_string(server_->port());
    ::setenv("DSS_CA_FILE", (dir_ / "cert.pem").c_str(), 1);
  }
  static void TearDownTestSuite() {
    delete server_;
    fs::remove_all(dir_);
  }

  static std::string client() { return std::string(DSS_CLI_DIR) + "/dss-tuf-client"; }
  static fs::path md(const std::string& name) { return repo_ / "metadata" / name; }

  // A client directory that trusts root v1 and has refreshed once.
  fs::path refreshed_client(const std::string& name) {
    const fs::path d = dir_ / name;
    fs::remove_all(d);
    EXPECT_EQ(run({client(), "--metadata-dir", d.string(), "init", md("1.root.json").string()}), 0);
    EXPECT_EQ(refresh_cli(d), 0);
    return d;
  }
  int refresh_cli(const fs::path& d) {
    return run({client(), "--metadata-url", base_ + "/metadata/", "--metadata-dir", d.string(),
                "refresh"});
  }
  int download_cli(const fs::path& d, const fs::path& td, const std::string& target) {
    return run({client(), "--metadata-url", base_ + "/metadata/", "--metadata-dir", d.string(),
                "--target-name", target, "--target-dir", td.string(), "--target-base-url",
                base_ + "/targets/", "download"});
  }
  ErrorCode library_download(const fs::path& d, const fs::path& td, const std::string& target,
                             UnixSeconds shift = 0) {
    net::FetchOptions fo;
    fo.ca_file = (dir_ / "cert.pem").string();
    net::CurlFetcher fetcher(fo);
    auto store = client::DirectoryMetadataStore::open(d);
    EXPECT_TRUE(store);
    testing::FakeClock clock(platform::SystemClock().now() + shift);
    client::UpdaterConfig config;
    config.metadata_base_url = base_ + "/metadata/";
    config.target_base_url = base_ + "/targets/";
    client::Updater updater(config, fetcher, *store, clock);
    auto info = updater.get_target_info(target);
    if (!info) return info.error().code;
    fs::create_directories(td);
    auto r = updater.download_target(*info, td / percent_encode(target));
    return r ? ErrorCode::kOk : r.error().code;
  }

  // Applies `tamper` to a repository file, checks that CLI and library both refuse with
  // `expected` and leave the trusted state as it was, then restores the file.
  void expect_refused(const fs::path& file, const std::function<std::string(std::string)>& tamper,
                      ErrorCode expected, const std::string& target = "app/hello world.txt") {
    const bool existed = fs::exists(file);
    const std::string original = existed ? slurp(file) : "";
    fs::remove_all(dir_ / "tamper-td");
    fs::remove_all(dir_ / "tamper-td2");
    const fs::path d = refreshed_client("tamper-client");
    const auto before = snapshot_dir(d);
    write_all(file, tamper(original));
    EXPECT_EQ(download_cli(d, dir_ / "tamper-td", target), 1);
    EXPECT_EQ(snapshot_dir(d), before);
    EXPECT_EQ(library_download(d, dir_ / "tamper-td2", target), expected);
    EXPECT_EQ(snapshot_dir(d), before);
    EXPECT_FALSE(fs::exists(dir_ / "tamper-td" / percent_encode(target)));
    EXPECT_FALSE(fs::exists(dir_ / "tamper-td2" / percent_encode(target)));
    if (existed) {
      write_all(file, original);
    } else {
      fs::remove(file);
    }
  }

  static inline fs::path dir_, repo_;
  static inline std::string base_, old_timestamp_;
  static inline httpd::StaticHttpsServer* server_ = nullptr;
};

TEST_F(EndToEnd, CliClientRefreshesAndDownloadsTargetsIncludingDelegated) {
  const fs::path d = refreshed_client("cli");
  const fs::path td = dir_ / "cli-targets";
  ASSERT_EQ(
      run({client(), "--metadata-url", base_ + "/metadata/", "--metadata-dir", d.string(),
           "--target-name", "app/hello world.txt", "--target-name", "team/tool.bin", "--target-dir",
           td.string(), "--target-base-url", base_ + "/targets/", "download"}),
      0);
  EXPECT_EQ(slurp(td / "app%2Fhello%20world.txt"), "hello, world\n");
  EXPECT_TRUE(slurp(td / "team%2Ftool.bin") == std::string(100000, 't'));
  // Only trusted metadata, unversioned names, nothing else.
  std::set<std::string> names;
  for (const auto& e : fs::directory_iterator(d)) names.insert(e.path().filename().string());
  EXPECT_EQ(names, (std::set<std::string>{"root.json", "timestamp.json", "snapshot.json",
                                          "targets.json", "team%3Fx.json"}));
  std::set<std::string> targets;
  for (const auto& e : fs::directory_iterator(td)) targets.insert(e.path().filename().string());
  EXPECT_EQ(targets.size(), 2u);
}

TEST_F(EndToEnd, CliExitsOneOnAnyFailure) {
  const fs::path d = refreshed_client("cli-fail");
  EXPECT_EQ(download_cli(d, dir_ / "x", "no/such/target"), 1);
  EXPECT_EQ(run({client(), "--metadata-dir", d.string(), "bogus-command"}), 1);
  EXPECT_EQ(run({client(), "--metadata-dir", (dir_ / "empty").string(), "refresh"}), 1);
  EXPECT_EQ(run({client(), "--metadata-dir", d.string(), "init", "/nonexistent/root.json"}), 1);
}

TEST_F(EndToEnd, LibraryUpdaterFetchesAndVerifies) {
  const fs::path d = dir_ / "lib";
  fs::remove_all(d);
  ASSERT_EQ(run({client(), "--metadata-dir", d.string(), "init", md("1.root.json").string()}), 0);
  EXPECT_EQ(library_download(d, dir_ / "lib-td", "team/tool.bin"), ErrorCode::kOk);
  EXPECT_TRUE(slurp(dir_ / "lib-td" / "team%2Ftool.bin") == std::string(100000, 't'));
}

TEST_F(EndToEnd, TamperedTargetFileIsRefused) {
  // Clients fetch the SHA-256-prefixed copy.
  int tampered = 0;
  for (const auto& e : fs::recursive_directory_iterator(repo_ / "targets" / "app")) {
    if (!e.is_regular_file() || e.path().filename().string().size() != 64 + 1 + 15) continue;
    expect_refused(
        e.path(),
        [](std::string s) {
          s[0] ^= 1;
          return s;
        },
        ErrorCode::kLengthOrHashMismatch);
    ++tampered;
  }
  EXPECT_EQ(tampered, 1);
}

TEST_F(EndToEnd, TamperedTimestampSignatureIsRefused) {
  expect_refused(
      md("timestamp.json"),
      [](std::string s) {
        const auto pos = s.find("\"sig\":\"") + 7;
        s[pos] = s[pos] == 'a' ? 'b' : 'a';
        return s;
      },
      ErrorCode::kUnsigned);
}

TEST_F(EndToEnd, TamperedSnapshotIsRefused) {
  // The client already holds this snapshot version; a fresh client is what fetches it.
  const fs::path file = md("4.snapshot.json");
  ASSERT_TRUE(fs::exists(file));
  const std::string original = slurp(file);
  std::string evil = original;
  evil[evil.find("\"version\":")] = ' ';  // break the signed content
  write_all(file, evil);
  const fs::path d = dir_ / "fresh-snap";
  fs::remove_all(d);
  ASSERT_EQ(run({client(), "--metadata-dir", d.string(), "init", md("1.root.json").string()}), 0);
  const auto before = snapshot_dir(d);
  EXPECT_EQ(refresh_cli(d), 1);
  EXPECT_EQ(library_download(d, dir_ / "fresh-snap-td", "app/hello world.txt"),
            ErrorCode::kLengthOrHashMismatch);
  const auto after = snapshot_dir(d);
  EXPECT_FALSE(after.contains("snapshot.json"));
  EXPECT_EQ(after.at("root.json"), before.at("root.json"));
  write_all(file, original);
}

TEST_F(EndToEnd, TamperedDelegatedMetadataIsRefused) {
  const fs::path d = dir_ / "fresh-del";
  fs::remove_all(d);
  ASSERT_EQ(run({client(), "--metadata-dir", d.string(), "init", md("1.root.json").string()}), 0);
  const fs::path file = md("2.team?x.json");
  ASSERT_TRUE(fs::exists(file));
  const std::string original = slurp(file);
  std::string evil = original;
  evil[evil.find("\"length\":100000") + 9] = '2';
  write_all(file, evil);
  EXPECT_EQ(library_download(d, dir_ / "fresh-del-td", "team/tool.bin"),
            ErrorCode::kLengthOrHashMismatch);
  EXPECT_FALSE(fs::exists(d / "team%3Fx.json"));
  write_all(file, original);
}

TEST_F(EndToEnd, TimestampRollbackIsRefused) {
  expect_refused(
      md("timestamp.json"), [](const std::string&) { return old_timestamp_; },
      ErrorCode::kBadVersion);
}

TEST_F(EndToEnd, MalformedNextRootIsRefused) {
  expect_refused(
      md("2.root.json"), [](const std::string&) { return std::string("{\"signed\":"); },
      ErrorCode::kMalformed);
}

TEST_F(EndToEnd, EndlessNextRootIsCut) {
  expect_refused(
      md("2.root.json"), [](const std::string&) { return std::string(2 * 1024 * 1024, ' '); },
      ErrorCode::kDownloadTooLarge);
}

TEST_F(EndToEnd, FreezeAttackTimestampExpiresUnderFaketime) {
  const fs::path d = refreshed_client("frozen");
  const auto before = snapshot_dir(d);
  // The library, with its clock two days ahead: the one-day timestamp has expired.
  EXPECT_EQ(library_download(d, dir_ / "frozen-td", "app/hello world.txt", 2 * 86400),
            ErrorCode::kExpired);
  EXPECT_EQ(snapshot_dir(d), before);
  if (run({"faketime", "-f", "+0", "true"}) != 0) GTEST_SKIP() << "faketime is not installed";
  if (kAddressSanitizer) {
    // libfaketime's clock_gettime recurses into itself while AddressSanitizer starts the
    // preloaded process, and the client hangs. The release build runs this half.
    GTEST_SKIP() << "faketime cannot preload into an AddressSanitizer binary";
  }
  // The CLI reads time through libc, so faketime shifts it.
  EXPECT_EQ(run({"faketime", "-f", "+2d", client(), "--metadata-url", base_ + "/metadata/",
                 "--metadata-dir", d.string(), "refresh"}),
            1);
  EXPECT_EQ(refresh_cli(d), 0);
  EXPECT_EQ(snapshot_dir(d), before);
}

TEST(AuditCli, VerifyExitsWithTheCodeOfTheDamageFound) {
  const std::string dss = std::string(DSS_CLI_DIR) + "/dss";
  const fs::path dir = fs::temp_directory_path() / ("dss-audit-cli-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  ASSERT_EQ(run({dss, "audit", "checkpoint", dir.string()}), 0);
  ASSERT_EQ(run({dss, "audit", "query", dir.string(), "--action", "log."}), 0);
  ASSERT_EQ(run({dss, "audit", "export", dir.string()}), 0);
  EXPECT_FALSE(fs::is_empty(dir / "export"));
  const std::string key = slurp(dir / "log.vkey");
  write_all(dir / "vkey.copy", key);
  ASSERT_EQ(run({dss, "audit", "verify", dir.string(), "--key", (dir / "vkey.copy").string()}), 0);
  // Alter one byte of the first entry: exit status 50 (log_entry_corrupted).
  const fs::path seg = dir / "segments" / "00000000000000000000.seg";
  std::string bytes = slurp(seg);
  bytes[64 + 12 + 3] ^= 1;
  write_all(seg, bytes);
  EXPECT_EQ(run({dss, "audit", "verify", dir.string(), "--key", (dir / "vkey.copy").string()}),
            static_cast<int>(ErrorCode::kLogEntryCorrupted));
  EXPECT_EQ(run({dss, "audit", "query", dir.string(), "--from", "yesterday"}), 1);
  fs::remove_all(dir);
}

// The server's certificate expired silently: from 14 days before, `dss server status` and
// `dss doctor` say so (ADR 0036).
TEST(ServerCli, StatusAndDoctorWarnWhenTheCertificateExpiresWithinFourteenDays) {
  const std::string dss = std::string(DSS_CLI_DIR) + "/dss";
  const fs::path dir = fs::temp_directory_path() / ("dss-cert-cli-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const fs::path state = dir / "state";
  write_all(dir / "pw", "a garden of quiet lanterns " + std::to_string(::getpid()));
  ASSERT_EQ(run({dss, "--state", state.string(), "server", "init", "--username", "olive",
                 "--password-file", (dir / "pw").string()}),
            0);
  fs::create_directories(state / "tls");
  ASSERT_TRUE(
      httpd::generate_self_signed_cert(state / "tls" / "cert.pem", state / "tls" / "key.pem", 10));
  ASSERT_EQ(run_capturing({dss, "--state", state.string(), "server", "status"}, dir / "status"), 0);
  EXPECT_NE(slurp(dir / "status").find("WARNING: the TLS certificate expires in"),
            std::string::npos)
      << slurp(dir / "status");
  run_capturing({dss, "--state", state.string(), "doctor"}, dir / "doctor");  // FAILs as root
  EXPECT_NE(slurp(dir / "doctor").find("WARN     tls.certificate: the TLS certificate expires"),
            std::string::npos)
      << slurp(dir / "doctor");
  // Far from expiry: no warning.
  ASSERT_TRUE(
      httpd::generate_self_signed_cert(state / "tls" / "cert.pem", state / "tls" / "key.pem", 90));
  ASSERT_EQ(run_capturing({dss, "--state", state.string(), "server", "status"}, dir / "status"), 0);
  EXPECT_EQ(slurp(dir / "status").find("WARNING"), std::string::npos);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace dss
