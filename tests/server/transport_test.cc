// The HTTPS transport's limits, against a real listener on loopback: slow clients are cut off,
// connections beyond the cap are refused, and stop() lets a request in flight finish.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <future>
#include <string>
#include <thread>

#include "fakes/temp_dir.h"
#include "httpd/server.h"
#include "server/https.h"

namespace dss::server {
namespace {

// One raw TLS connection, verifying the server's certificate, with a receive deadline so a
// test can never hang: a read that hits the deadline reports kDeadline, not a close.
class RawTls {
 public:
  enum class Read { kData, kClosed, kDeadline };

  RawTls(std::uint16_t port, const std::string& ca_file) {
    ctx_ = SSL_CTX_new(TLS_client_method());
    SSL_CTX_load_verify_locations(ctx_, ca_file.c_str(), nullptr);
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    timeval tv{10, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return;
    ssl_ = SSL_new(ctx_);
    SSL_set_fd(ssl_, fd_);
    SSL_set_tlsext_host_name(ssl_, "localhost");
    handshake_ok_ = SSL_connect(ssl_) == 1;
  }
  ~RawTls() {
    if (ssl_ != nullptr) SSL_free(ssl_);
    if (fd_ >= 0) ::close(fd_);
    SSL_CTX_free(ctx_);
  }
  RawTls(const RawTls&) = delete;
  RawTls& operator=(const RawTls&) = delete;

  [[nodiscard]] bool handshake_ok() const { return handshake_ok_; }
  bool send(const std::string& data) {
    return SSL_write(ssl_, data.data(), static_cast<int>(data.size())) ==
           static_cast<int>(data.size());
  }
  Read read(std::string& out) {
    char buf[4096];
    const int n = SSL_read(ssl_, buf, sizeof buf);
    if (n > 0) {
      out.append(buf, static_cast<std::size_t>(n));
      return Read::kData;
    }
    const int err = SSL_get_error(ssl_, n);
    if (err == SSL_ERROR_SYSCALL && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      return Read::kDeadline;
    }
    return Read::kClosed;
  }
  // Reads until the peer closes (or the deadline passes); what was read goes to `out`.
  Read read_to_end(std::string& out) {
    for (;;) {
      const Read r = read(out);
      if (r != Read::kData) return r;
    }
  }

 private:
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  int fd_ = -1;
  bool handshake_ok_ = false;
};

class TransportTest : public ::testing::Test {
 protected:
  // Writing to a connection the server has cut must fail, not kill the test with SIGPIPE.
  void SetUp() override { std::signal(SIGPIPE, SIG_IGN); }

  void start(HttpsOptions o, HttpsServer::Handler handler = nullptr) {
    cert_ = dir_.path() / "cert.pem";
    const auto key = dir_.path() / "key.pem";
    ASSERT_TRUE(httpd::generate_self_signed_cert(cert_, key));
    o.port = 0;
    o.cert_pem = cert_;
    o.key_pem = key;
    if (!handler) {
      handler = [](Request& req, const Peer&) {
        Response res{http::status::ok, req.version()};
        res.body() = "ok";
        res.prepare_payload();
        return res;
      };
    }
    auto s = HttpsServer::start(
        o, std::move(handler), [](const Request&) { return std::optional<Response>(); },
        [](http::status status, std::string_view message) {
          Response res{status, 11};
          res.body() = std::string(message);
          res.prepare_payload();
          return res;
        });
    ASSERT_TRUE(s) << s.error().to_string();
    server_ = std::move(*s);
  }

  testing::TempDir dir_{"dss-transport"};
  std::filesystem::path cert_;
  std::unique_ptr<HttpsServer> server_;
};

TEST_F(TransportTest, SlowClientSendingHeadersForeverIsCutOff) {
  HttpsOptions o;
  o.request_timeout = std::chrono::seconds(1);
  start(o);
  RawTls c(server_->port(), cert_.string());
  ASSERT_TRUE(c.handshake_ok());
  // Slowloris: a request line and one header, then nothing more.
  ASSERT_TRUE(c.send("GET / HTTP/1.1\r\nHost: localhost\r\n"));
  std::string got;
  EXPECT_NE(c.read_to_end(got), RawTls::Read::kDeadline)
      << "the server kept a connection open for a client that never finished its request";
  EXPECT_EQ(got.find("200 OK"), std::string::npos);
}

TEST_F(TransportTest, IdleHandshakeIsCutOff) {
  HttpsOptions o;
  o.handshake_timeout = std::chrono::seconds(1);
  start(o);
  // A TCP connection that never starts TLS.
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  timeval tv{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(server_->port());
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  char b = 0;
  const ssize_t n = ::recv(fd, &b, 1, 0);
  const int err = errno;
  ::close(fd);
  EXPECT_FALSE(n < 0 && (err == EAGAIN || err == EWOULDBLOCK))
      << "a connection that never began its TLS handshake was kept open";
  EXPECT_LE(n, 0);
}

TEST_F(TransportTest, ConnectionsBeyondTheCapAreRefusedAndFreedSlotsAreReused) {
  HttpsOptions o;
  o.max_connections = 2;
  start(o);
  auto a = std::make_unique<RawTls>(server_->port(), cert_.string());
  RawTls b(server_->port(), cert_.string());
  ASSERT_TRUE(a->handshake_ok());
  ASSERT_TRUE(b.handshake_ok());
  {
    RawTls over(server_->port(), cert_.string());
    std::string got;
    const bool served = over.handshake_ok() && over.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n") &&
                        over.read(got) == RawTls::Read::kData;
    EXPECT_FALSE(served) << "a third connection was served with a cap of two";
  }
  a.reset();  // frees a slot
  bool served = false;
  for (int attempt = 0; attempt < 50 && !served; ++attempt) {
    RawTls again(server_->port(), cert_.string());
    std::string got;
    served = again.handshake_ok() && again.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n") &&
             again.read(got) == RawTls::Read::kData && got.find("200 OK") != std::string::npos;
    if (!served) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_TRUE(served) << "a slot freed by a closed connection was not reused";
}

TEST_F(TransportTest, GracefulStopFinishesTheRequestInFlight) {
  std::promise<void> entered;
  auto entered_future = entered.get_future();
  start(HttpsOptions{}, [&entered](Request& req, const Peer&) {
    entered.set_value();
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    Response res{http::status::ok, req.version()};
    res.body() = "finished";
    res.prepare_payload();
    return res;
  });
  RawTls c(server_->port(), cert_.string());
  ASSERT_TRUE(c.handshake_ok());
  ASSERT_TRUE(c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  entered_future.wait();
  server_->stop();  // while the handler is still working
  std::string got;
  c.read_to_end(got);
  EXPECT_NE(got.find("200 OK"), std::string::npos);
  EXPECT_NE(got.find("finished"), std::string::npos);
  // And nothing new is accepted after stop().
  RawTls late(server_->port(), cert_.string());
  EXPECT_FALSE(late.handshake_ok());
}

}  // namespace
}  // namespace dss::server
