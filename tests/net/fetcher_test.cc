// The HTTPS fetcher against a real loopback HTTPS server (port 0), and the transport attacks:
// endless data, slow retrieval, downgrade to plain HTTP, untrusted certificates, traversal.
#include "net/fetcher.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include "httpd/server.h"
#include "platform/files.h"

namespace dss::net {
namespace {

namespace fs = std::filesystem;

class HttpsFetchTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = fs::temp_directory_path() / ("dss-net-test-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "www" / "sub");
    ASSERT_TRUE(httpd::generate_self_signed_cert(dir_ / "cert.pem", dir_ / "key.pem"));
    ASSERT_TRUE(platform::write_file_atomic(dir_ / "www" / "hello.json", "{\"hi\":1}",
                                            platform::FileMode::kPublic));
    ASSERT_TRUE(platform::write_file_atomic(dir_ / "www" / "sub" / "a b.txt", "spaced",
                                            platform::FileMode::kPublic));
    ASSERT_TRUE(platform::write_file_atomic(dir_ / "secret.txt", "outside the root",
                                            platform::FileMode::kPublic));
    httpd::StaticHttpsServer::Options o;
    o.root = dir_ / "www";
    o.cert_pem = dir_ / "cert.pem";
    o.key_pem = dir_ / "key.pem";
    auto server = httpd::StaticHttpsServer::start(o);
    ASSERT_TRUE(server) << server.error().to_string();
    server_ = std::move(*server).release();
  }
  static void TearDownTestSuite() {
    delete server_;
    fs::remove_all(dir_);
  }
  static std::string url(const std::string& path) {
    return "https://127.0.0.1:" + std::to_string(server_->port()) + path;
  }
  static FetchOptions trusting() {
    FetchOptions o;
    o.ca_file = (dir_ / "cert.pem").string();
    return o;
  }
  static ErrorCode fetch_error(Fetcher& f, const std::string& u, std::uint64_t max = 1 << 20) {
    auto r = f.fetch(u, max);
    return r ? ErrorCode::kOk : r.error().code;
  }

  static inline fs::path dir_;
  static inline httpd::StaticHttpsServer* server_ = nullptr;
};

TEST_F(HttpsFetchTest, FetchesFileOverVerifiedTls) {
  CurlFetcher f(trusting());
  auto body = f.fetch(url("/hello.json"), 1024);
  ASSERT_TRUE(body) << body.error().to_string();
  EXPECT_EQ(as_chars(*body), "{\"hi\":1}");
  EXPECT_EQ(f.requests(), 1u);
}

TEST_F(HttpsFetchTest, IdleReleaseRebuildsTheConnectionWithTheSameVerification) {
  CurlFetcher f(trusting());
  ASSERT_TRUE(f.fetch(url("/hello.json"), 1024));
  f.release_idle();  // what the agent does before it sleeps
  f.release_idle();  // twice is harmless
  auto body = f.fetch(url("/hello.json"), 1024);
  ASSERT_TRUE(body) << body.error().to_string();
  EXPECT_EQ(as_chars(*body), "{\"hi\":1}");
  // A fresh handle still verifies the peer: without the test CA the server is refused.
  CurlFetcher untrusting;
  untrusting.release_idle();
  EXPECT_EQ(fetch_error(untrusting, url("/hello.json")), ErrorCode::kNetwork);
}

TEST_F(HttpsFetchTest, MissingFileIsNotFound) {
  CurlFetcher f(trusting());
  EXPECT_EQ(fetch_error(f, url("/nope.json")), ErrorCode::kNotFound);
}

TEST_F(HttpsFetchTest, PercentEncodedNamesAreDecodedByTheServer) {
  CurlFetcher f(trusting());
  auto body = f.fetch(url("/sub/a%20b.txt"), 1024);
  ASSERT_TRUE(body);
  EXPECT_EQ(as_chars(*body), "spaced");
}

TEST_F(HttpsFetchTest, EndlessDataIsCutAtTheLimit) {
  CurlFetcher f(trusting());
  EXPECT_EQ(fetch_error(f, url("/hello.json"), 3), ErrorCode::kDownloadTooLarge);
}

TEST_F(HttpsFetchTest, UntrustedCertificateIsRefused) {
  CurlFetcher f;  // system store only: the self-signed certificate is not trusted
  EXPECT_EQ(fetch_error(f, url("/hello.json")), ErrorCode::kNetwork);
}

TEST_F(HttpsFetchTest, PathTraversalIsRefusedByTheServer) {
  CurlFetcher f(trusting());
  EXPECT_EQ(fetch_error(f, url("/../secret.txt")), ErrorCode::kNotFound);
  EXPECT_EQ(fetch_error(f, url("/%2e%2e/secret.txt")), ErrorCode::kNotFound);
  EXPECT_EQ(fetch_error(f, url("/sub/%2e%2e/%2e%2e/secret.txt")), ErrorCode::kNotFound);
}

TEST_F(HttpsFetchTest, ServerLogsRequestsInOrder) {
  CurlFetcher f(trusting());
  const auto before = server_->request_log().size();
  ASSERT_TRUE(f.fetch(url("/hello.json"), 1024));
  ASSERT_FALSE(f.fetch(url("/x.json"), 1024));
  const auto log = server_->request_log();
  ASSERT_EQ(log.size(), before + 2);
  EXPECT_EQ(log[before], "/hello.json");
  EXPECT_EQ(log[before + 1], "/x.json");
}

// Raw libcurl request to the test server, for what the fetcher never sends.
long raw_status(const std::string& url, const std::string& ca, bool post,
                const std::string& header = "") {
  CURL* c = curl_easy_init();
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_CAINFO, ca.c_str());
  curl_easy_setopt(
      c, CURLOPT_WRITEFUNCTION, +[](char*, std::size_t s, std::size_t n, void*) { return s * n; });
  if (post) curl_easy_setopt(c, CURLOPT_POSTFIELDS, "x=1");
  curl_slist* headers = nullptr;
  if (!header.empty()) {
    headers = curl_slist_append(headers, header.c_str());
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
  }
  long status = 0;
  if (curl_easy_perform(c) == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  curl_slist_free_all(headers);
  curl_easy_cleanup(c);
  return status;
}

TEST_F(HttpsFetchTest, ServerRefusesMethodsOtherThanGetAndHead) {
  EXPECT_EQ(raw_status(url("/hello.json"), (dir_ / "cert.pem").string(), true), 405);
  EXPECT_EQ(raw_status(url("/hello.json"), (dir_ / "cert.pem").string(), false), 200);
}

TEST_F(HttpsFetchTest, ServerRefusesOversizedHeaders) {
  // 64 KiB of header: the server closes the connection instead of buffering it.
  const long status = raw_status(url("/hello.json"), (dir_ / "cert.pem").string(), false,
                                 "X-Big: " + std::string(64 * 1024, 'a'));
  EXPECT_NE(status, 200);
  // And it still serves the next client.
  CurlFetcher f(trusting());
  EXPECT_TRUE(f.fetch(url("/hello.json"), 1024));
}

TEST(PlainHttp, RefusedWithoutTheUnsafeOption) {
  CurlFetcher f;
  EXPECT_EQ(f.fetch("http://127.0.0.1:1/x", 10).error().code, ErrorCode::kInvalidArgument);
}

TEST(PlainHttp, RefusedToNonLoopbackEvenWithTheUnsafeOption) {
  FetchOptions o;
  o.unsafe_allow_plain_http_loopback = true;
  CurlFetcher f(o);
  EXPECT_EQ(f.fetch("http://example.com/x", 10).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(f.fetch("http://127.0.0.1.example.com/x", 10).error().code,
            ErrorCode::kInvalidArgument);
}

TEST(PlainHttp, OtherSchemesAreRefused) {
  CurlFetcher f;
  EXPECT_EQ(f.fetch("file:///etc/passwd", 10).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(f.fetch("ftp://127.0.0.1/x", 10).error().code, ErrorCode::kInvalidArgument);
}

// A plain-HTTP loopback peer that sends headers, then one byte per second, forever.
class TricklingServer {
 public:
  TricklingServer() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::listen(fd_, 4);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] {
      const int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      const char head[] = "HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n";
      (void)!::send(c, head, sizeof head - 1, MSG_NOSIGNAL);
      while (!stop_) {
        if (::send(c, "x", 1, MSG_NOSIGNAL) < 0) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
      }
      ::close(c);
    });
  }
  ~TricklingServer() {
    stop_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
  }
  [[nodiscard]] int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

TEST(SlowRetrieval, TricklingServerIsAbandoned) {
  TricklingServer server;
  FetchOptions o;
  o.unsafe_allow_plain_http_loopback = true;  // the trickle needs no TLS to make its point
  o.low_speed_bytes_per_second = 100;
  o.low_speed_window = std::chrono::seconds(2);
  CurlFetcher f(o);
  auto r = f.fetch("http://127.0.0.1:" + std::to_string(server.port()) + "/slow", 1 << 20);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kSlowRetrieval);
}

}  // namespace
}  // namespace dss::net
