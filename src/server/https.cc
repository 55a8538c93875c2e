#include "server/https.h"

#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <array>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <condition_variable>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <thread>
#include <vector>

#include "tls/server_context.h"

namespace dss::server {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

namespace {

Result<std::shared_ptr<ssl::context>> make_tls_context(const HttpsOptions& o) {
  return tls::make_server_context(o.tls_floor, o.cert_pem, o.key_pem);
}

}  // namespace

struct HttpsServer::Impl {
  HttpsOptions options;
  Handler handler;
  FastHandler fast;
  LimitHandler on_limit;
  // Declared before the io_context: sessions still queued in it touch these when destroyed.
  std::atomic<std::size_t> connections{0};
  std::atomic<std::size_t> busy{0};  // requests being answered
  std::atomic<bool> stopping{false};
  std::mutex tls_mutex;
  std::shared_ptr<ssl::context> tls;
  asio::io_context ioc;
  asio::thread_pool workers;
  tcp::acceptor acceptor{ioc};
  std::vector<std::thread> threads;
  std::uint16_t port = 0;
  bool stopped = false;

  explicit Impl(HttpsOptions o)
      : options(std::move(o)),
        ioc(static_cast<int>(options.io_threads)),
        workers(options.worker_threads) {}

  std::shared_ptr<ssl::context> current_tls() {
    const std::lock_guard<std::mutex> lock(tls_mutex);
    return tls;
  }
};

namespace {

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, HttpsServer::Impl& server, std::shared_ptr<ssl::context> tls)
      : tls_(std::move(tls)), stream_(std::move(socket), *tls_), server_(server) {
    beast::error_code ec;
    const auto endpoint = beast::get_lowest_layer(stream_).socket().remote_endpoint(ec);
    if (!ec) peer_.address = endpoint.address().to_string();
    ++server_.connections;
  }
  ~Session() {
    done();
    --server_.connections;
  }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  void run() {
    beast::get_lowest_layer(stream_).expires_after(server_.options.handshake_timeout);
    stream_.async_handshake(ssl::stream_base::server,
                            [self = shared_from_this()](beast::error_code ec) {
                              if (ec) return self->abort();
                              self->read(true);
                            });
  }

 private:
  void read(bool first) {
    if (server_.stopping) return close();
    parser_.emplace();
    parser_->header_limit(server_.options.header_limit);
    parser_->body_limit(server_.options.body_limit);
    // Between requests the idle timeout applies; once bytes arrive, the whole request must
    // come within the request deadline (a slow client cannot hold the connection).
    beast::get_lowest_layer(stream_).expires_after(first ? server_.options.request_timeout
                                                         : server_.options.idle_timeout);
    http::async_read_header(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_header(ec); });
  }

  void on_header(beast::error_code ec) {
    if (ec) return on_read_error(ec);
    beast::get_lowest_layer(stream_).expires_after(server_.options.request_timeout);
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec2, std::size_t) {
                       if (ec2) return self->on_read_error(ec2);
                       self->dispatch();
                     });
  }

  void on_read_error(beast::error_code ec) {
    if (ec == http::error::body_limit) {
      return reply_limit(http::status::payload_too_large,
                         "the request body is larger than the " +
                             std::to_string(server_.options.body_limit) +
                             "-byte limit; send less data");
    }
    if (ec == http::error::header_limit) {
      return reply_limit(http::status::request_header_fields_too_large,
                         "the request headers are larger than the " +
                             std::to_string(server_.options.header_limit) +
                             "-byte limit; send fewer or shorter headers");
    }
    if (ec == http::error::end_of_stream || ec == asio::error::eof || ec == beast::error::timeout ||
        ec == asio::ssl::error::stream_truncated) {
      return close();
    }
    // Anything else is not HTTP/1.1 as we speak it.
    return reply_limit(http::status::bad_request,
                       "the request is not valid HTTP/1.1 (" + ec.message() + ")");
  }

  void reply_limit(http::status status, const std::string& message) {
    Response res = server_.on_limit(status, message);
    res.keep_alive(false);
    response_ = std::move(res);
    response_.prepare_payload();
    beast::get_lowest_layer(stream_).expires_after(server_.options.request_timeout);
    http::async_write(stream_, response_,
                      [self = shared_from_this()](beast::error_code ec, std::size_t) {
                        if (ec) return self->abort();
                        self->drain(0);
                      });
  }

  // After refusing a request whose rest is still arriving (an oversized body, say), read and
  // discard it for a bounded time and amount before closing: closing a socket with unread
  // data sends a reset, which can destroy the refusal before the client reads it.
  void drain(std::size_t drained) {
    constexpr std::size_t kMaxDrain = std::size_t{1024} * 1024;
    if (drained == 0) beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(2));
    if (drained > kMaxDrain) return abort();
    stream_.async_read_some(asio::buffer(scratch_), [self = shared_from_this(), drained](
                                                        beast::error_code ec, std::size_t n) {
      if (ec) return self->abort();
      self->drain(drained + n);
    });
  }

  void dispatch() {
    request_ = parser_->release();
    ++server_.busy;
    busy_ = true;
    if (server_.fast) {
      if (auto res = server_.fast(request_)) {
        const bool keep = request_.keep_alive() && !server_.stopping;
        res->keep_alive(keep);
        return write(std::move(*res), keep);
      }
    }
    // The work guard keeps the network threads running while the handler works, even when
    // stop() has closed the acceptor and this request is the only thing left to do.
    asio::post(server_.workers,
               [self = shared_from_this(), work = asio::make_work_guard(stream_.get_executor())] {
                 Response res;
                 try {
                   res = self->server_.handler(self->request_, self->peer_);
                 } catch (const std::exception&) {
                   res = self->server_.on_limit(http::status::internal_server_error,
                                                "the server could not complete the request");
                 }
                 asio::post(self->stream_.get_executor(), [self, res = std::move(res)]() mutable {
                   const bool keep = self->request_.keep_alive() && !self->server_.stopping;
                   res.keep_alive(keep);
                   self->write(std::move(res), keep);
                 });
               });
  }

  void write(Response res, bool keep_alive) {
    response_ = std::move(res);
    response_.prepare_payload();
    beast::get_lowest_layer(stream_).expires_after(server_.options.request_timeout);
    http::async_write(stream_, response_,
                      [self = shared_from_this(), keep_alive](beast::error_code ec, std::size_t) {
                        self->done();
                        if (ec) return self->abort();
                        if (!keep_alive) return self->close();
                        self->read(false);
                      });
  }

  void done() {
    if (busy_) --server_.busy;
    busy_ = false;
  }

  void close() {
    beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(2));
    stream_.async_shutdown([self = shared_from_this()](beast::error_code) { self->abort(); });
  }

  void abort() {
    beast::error_code ignored;
    beast::get_lowest_layer(stream_).socket().shutdown(tcp::socket::shutdown_both, ignored);
    beast::get_lowest_layer(stream_).socket().close(ignored);
  }

  std::shared_ptr<ssl::context> tls_;
  beast::ssl_stream<beast::tcp_stream> stream_;
  HttpsServer::Impl& server_;
  Peer peer_;
  beast::flat_buffer buffer_;
  std::array<char, std::size_t{16} * 1024> scratch_{};
  std::optional<http::request_parser<http::string_body>> parser_;
  Request request_;
  Response response_;
  bool busy_ = false;
};

void accept_loop(HttpsServer::Impl& server) {
  server.acceptor.async_accept(
      asio::make_strand(server.ioc), [&server](beast::error_code ec, tcp::socket socket) {
        if (ec == asio::error::operation_aborted || server.stopping) return;
        if (!ec) {
          if (server.connections.load() >= server.options.max_connections) {
            beast::error_code ignored;
            socket.close(ignored);  // over the cap: refuse at once rather than queue
          } else {
            std::make_shared<Session>(std::move(socket), server, server.current_tls())->run();
          }
        }
        accept_loop(server);
      });
}

}  // namespace

HttpsServer::HttpsServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Result<std::unique_ptr<HttpsServer>> HttpsServer::start(HttpsOptions options, Handler handler,
                                                        FastHandler fast, LimitHandler on_limit) {
  if (options.io_threads == 0) options.io_threads = 1;
  if (options.worker_threads == 0) options.worker_threads = 1;
  auto impl = std::make_unique<Impl>(std::move(options));
  impl->handler = std::move(handler);
  impl->fast = std::move(fast);
  impl->on_limit = std::move(on_limit);
  DSS_TRY(impl->tls, make_tls_context(impl->options));
  try {
    const tcp::endpoint endpoint(asio::ip::make_address(impl->options.bind), impl->options.port);
    impl->acceptor.open(endpoint.protocol());
    impl->acceptor.set_option(asio::socket_base::reuse_address(true));
    impl->acceptor.bind(endpoint);
    impl->acceptor.listen(asio::socket_base::max_listen_connections);
    impl->port = impl->acceptor.local_endpoint().port();
  } catch (const std::exception& e) {
    return make_error(ErrorCode::kNetwork, "cannot listen on " + impl->options.bind + ":" +
                                               std::to_string(impl->options.port) + ": " +
                                               e.what() +
                                               "; choose another --port or stop what is using it");
  }
  accept_loop(*impl);
  Impl* raw = impl.get();
  for (unsigned i = 0; i < impl->options.io_threads; ++i) {
    impl->threads.emplace_back([raw] {
      for (;;) {
        try {
          raw->ioc.run();
          return;
        } catch (const std::exception&) {
          // A handler threw on a network thread: that connection is gone; keep serving.
        }
      }
    });
  }
  return std::unique_ptr<HttpsServer>(new HttpsServer(std::move(impl)));
}

// stop() throws only when memory runs out or a thread cannot be joined, both broken
// invariants: std::terminate is the crash we want. NOLINTNEXTLINE(bugprone-exception-escape)
HttpsServer::~HttpsServer() { stop(); }

std::uint16_t HttpsServer::port() const { return impl_->port; }
std::size_t HttpsServer::active_connections() const { return impl_->connections.load(); }

Status HttpsServer::reload_certificate() {
  DSS_TRY(auto ctx, make_tls_context(impl_->options));
  const std::lock_guard<std::mutex> lock(impl_->tls_mutex);
  impl_->tls = std::move(ctx);
  return ok();
}

void HttpsServer::stop() {
  if (!impl_ || impl_->stopped) return;
  impl_->stopped = true;
  impl_->stopping = true;
  asio::post(impl_->ioc, [impl = impl_.get()] {
    beast::error_code ec;
    impl->acceptor.close(ec);
  });
  // Graceful: requests in flight are answered (with Connection: close) before the network
  // threads stop; idle keep-alive connections are simply closed. Waits up to drain_timeout.
  const auto deadline = std::chrono::steady_clock::now() + impl_->options.drain_timeout;
  while (impl_->busy.load() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  impl_->ioc.stop();
  for (auto& t : impl_->threads) {
    if (t.joinable()) t.join();
  }
  impl_->workers.join();
}

Result<CertificateInfo> read_certificate_info(const std::filesystem::path& cert_pem) {
  FILE* f = std::fopen(cert_pem.c_str(), "r");
  if (f == nullptr) {
    return make_error(ErrorCode::kNotFound, "cannot read the certificate " + cert_pem.string());
  }
  X509* cert = PEM_read_X509(f, nullptr, nullptr, nullptr);
  static_cast<void>(std::fclose(f));  // read only: nothing is lost if closing fails
  if (cert == nullptr) {
    return make_error(ErrorCode::kMalformed, cert_pem.string() + " is not a PEM certificate");
  }
  CertificateInfo info;
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  const bool hashed = X509_digest(cert, EVP_sha256(), md, &n) == 1;
  struct tm not_after {};
  const bool dated = ASN1_TIME_to_tm(X509_get0_notAfter(cert), &not_after) == 1;
  auto* sans =
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  for (int i = 0; sans != nullptr && i < sk_GENERAL_NAME_num(sans); ++i) {
    const GENERAL_NAME* gn = sk_GENERAL_NAME_value(sans, i);
    if (gn->type == GEN_DNS) {
      // NOLINTNEXTLINE(cppcoreguidelines-pro-type-union-access): OpenSSL's C union, tagged by type
      const ASN1_STRING* dns = gn->d.dNSName;
      info.names.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(dns)),
                              static_cast<std::size_t>(ASN1_STRING_length(dns)));
    } else if (gn->type == GEN_IPADD) {
      // NOLINTNEXTLINE(cppcoreguidelines-pro-type-union-access): OpenSSL's C union, tagged by type
      const ASN1_OCTET_STRING* ip = gn->d.iPAddress;
      const unsigned char* bytes = ASN1_STRING_get0_data(ip);
      if (ASN1_STRING_length(ip) == 4) {
        asio::ip::address_v4::bytes_type b{};
        std::copy(bytes, bytes + b.size(), b.begin());
        info.names.push_back(asio::ip::address_v4(b).to_string());
      } else if (ASN1_STRING_length(ip) == 16) {
        asio::ip::address_v6::bytes_type b{};
        std::copy(bytes, bytes + b.size(), b.begin());
        info.names.push_back(asio::ip::address_v6(b).to_string());
      }
    }
  }
  GENERAL_NAMES_free(sans);
  X509_free(cert);
  if (!hashed || !dated) {
    return make_error(ErrorCode::kMalformed, "cannot read the certificate " + cert_pem.string());
  }
  info.not_after_s = static_cast<std::int64_t>(timegm(&not_after));
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (unsigned int i = 0; i < n; ++i) {
    if (i != 0) info.fingerprint += ':';
    info.fingerprint += kHex[md[i] >> 4];
    info.fingerprint += kHex[md[i] & 0xf];
  }
  return info;
}

std::string certificate_warning(std::int64_t not_after_s, std::int64_t now_s) {
  const std::int64_t left_s = not_after_s - now_s;
  if (left_s <= 0) {
    return "the TLS certificate has expired; every client will refuse this server until it is "
           "replaced (give a new one with --cert and --key, then send SIGHUP)";
  }
  if (left_s > kCertificateWarnDays * 86400) return {};
  return "the TLS certificate expires in " + std::to_string(left_s / 86400) +
         " days; renew it (give a new one with --cert and --key, then send SIGHUP)";
}

Result<std::string> certificate_fingerprint(const std::filesystem::path& cert_pem) {
  DSS_TRY(CertificateInfo info, read_certificate_info(cert_pem));
  return std::move(info.fingerprint);
}

}  // namespace dss::server
