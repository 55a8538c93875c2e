#include "httpd/server.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <chrono>
#include <mutex>
#include <thread>

#include "platform/files.h"

namespace dss::httpd {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

namespace {

constexpr auto kIdleTimeout = std::chrono::seconds(30);

std::string bio_string(BIO* bio) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  return n > 0 ? std::string(data, static_cast<std::size_t>(n)) : std::string();
}

bool add_ext(X509* cert, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (ext == nullptr) return false;
  const bool ok = X509_add_ext(cert, ext, -1) == 1;
  X509_EXTENSION_free(ext);
  return ok;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Percent-decodes a URL path; false on a bad escape or an embedded NUL.
bool percent_decode(std::string_view in, std::string& out) {
  out.clear();
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '%') {
      if (i + 2 >= in.size()) return false;
      const int hi = hex_value(in[i + 1]);
      const int lo = hex_value(in[i + 2]);
      if (hi < 0 || lo < 0) return false;
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else {
      out.push_back(in[i]);
    }
  }
  return out.find('\0') == std::string::npos;
}

}  // namespace

Status generate_self_signed_cert(const std::filesystem::path& cert_pem,
                                 const std::filesystem::path& key_pem, int valid_days) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* cert = X509_new();
  BIO* cert_bio = BIO_new(BIO_s_mem());
  BIO* key_bio = BIO_new(BIO_s_mem());
  bool ok = key != nullptr && cert != nullptr && cert_bio != nullptr && key_bio != nullptr;
  if (ok) {
    ok = X509_set_version(cert, 2) == 1;
    std::uint8_t serial[16] = {};  // read below even when an earlier step failed
    ok = ok && RAND_bytes(serial, sizeof serial) == 1;
    serial[0] &= 0x7f;
    BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
    ok = ok && bn != nullptr && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert)) != nullptr;
    BN_free(bn);
    ok = ok && X509_gmtime_adj(X509_getm_notBefore(cert), -60) != nullptr;
    ok = ok && X509_gmtime_adj(X509_getm_notAfter(cert), long{valid_days} * 24 * 3600) != nullptr;
    X509_NAME* name = X509_get_subject_name(cert);
    ok = ok && X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                          reinterpret_cast<const unsigned char*>("localhost"), -1,
                                          -1, 0) == 1;
    ok = ok && X509_set_issuer_name(cert, name) == 1 && X509_set_pubkey(cert, key) == 1;
    // A leaf, not a CA: trusting it (as a client's CA file) trusts this one certificate, never
    // a key that could issue certificates for other names. OpenSSL accepts a self-signed leaf
    // found in the trust store as its own anchor.
    ok = ok && add_ext(cert, NID_basic_constraints, "critical,CA:FALSE");
    ok = ok && add_ext(cert, NID_key_usage, "critical,digitalSignature");
    ok = ok && add_ext(cert, NID_ext_key_usage, "serverAuth");
    ok = ok && add_ext(cert, NID_subject_key_identifier, "hash");
    ok = ok && add_ext(cert, NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1,IP:::1");
    ok = ok && X509_sign(cert, key, EVP_sha256()) > 0;
    ok = ok && PEM_write_bio_X509(cert_bio, cert) == 1;
    ok = ok && PEM_write_bio_PrivateKey(key_bio, key, nullptr, nullptr, 0, nullptr, nullptr) == 1;
  }
  std::string cert_text = ok ? bio_string(cert_bio) : std::string();
  std::string key_text = ok ? bio_string(key_bio) : std::string();
  BIO_free(cert_bio);
  BIO_free(key_bio);
  X509_free(cert);
  EVP_PKEY_free(key);
  if (!ok) return make_error(ErrorCode::kInternal, "OpenSSL could not create a certificate");
  DSS_TRY_STATUS(platform::write_file_atomic(key_pem, key_text, platform::FileMode::kPrivate));
  OPENSSL_cleanse(key_text.data(), key_text.size());
  return platform::write_file_atomic(cert_pem, cert_text, platform::FileMode::kPublic);
}

struct StaticHttpsServer::Impl {
  Options options;
  std::filesystem::path canonical_root;
  asio::io_context ioc{1};
  std::shared_ptr<ssl::context> tls;
  tcp::acceptor acceptor{ioc};
  std::thread thread;
  std::atomic<std::uint64_t> served{0};
  mutable std::mutex log_mutex;
  std::vector<std::string> log;
  std::uint16_t port = 0;
  bool stopped = false;

  void record(std::string target) {
    ++served;
    const std::lock_guard<std::mutex> lock(log_mutex);
    log.push_back(std::move(target));
  }

  http::message_generator respond(const http::request<http::string_body>& req) {
    const auto simple = [&](http::status status, std::string_view text) {
      http::response<http::string_body> res{status, req.version()};
      res.set(http::field::content_type, "text/plain");
      res.keep_alive(req.keep_alive());
      res.body() = std::string(text) + "\n";
      res.prepare_payload();
      return http::message_generator(std::move(res));
    };
    if (req.method() != http::verb::get && req.method() != http::verb::head) {
      return simple(http::status::method_not_allowed, "only GET and HEAD are served");
    }
    std::string_view target(req.target().data(), req.target().size());
    if (const auto q = target.find('?'); q != std::string_view::npos) target = target.substr(0, q);
    std::string decoded;
    if (target.empty() || target.front() != '/' || !percent_decode(target.substr(1), decoded)) {
      return simple(http::status::bad_request, "bad request path");
    }
    if (!options.only_under.empty()) {
      const bool listed = std::any_of(
          options.only_under.begin(), options.only_under.end(), [&](const std::string& p) {
            return decoded == p || (decoded.size() > p.size() && decoded.starts_with(p) &&
                                    decoded[p.size()] == '/');
          });
      if (!listed) {
        return simple(http::status::not_found, "not found");
      }
    }
    std::filesystem::path rel;
    std::size_t start = 0;
    while (start <= decoded.size()) {
      const std::size_t slash = decoded.find('/', start);
      const std::string seg =
          decoded.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
      if (seg == "." || seg == ".." || seg.empty()) {
        return simple(http::status::not_found, "not found");
      }
      rel /= seg;
      if (slash == std::string::npos) break;
      start = slash + 1;
    }
    std::error_code ec;
    const std::filesystem::path full = std::filesystem::canonical(canonical_root / rel, ec);
    if (ec || !std::filesystem::is_regular_file(full, ec)) {
      return simple(http::status::not_found, "not found");
    }
    const std::string full_s = full.string();
    const std::string root_s = canonical_root.string() + "/";
    if (full_s.compare(0, root_s.size(), root_s) != 0) {
      return simple(http::status::not_found, "not found");
    }
    http::file_body::value_type body;
    beast::error_code bec;
    body.open(full_s.c_str(), beast::file_mode::scan, bec);
    if (bec) return simple(http::status::not_found, "not found");
    const std::uint64_t size = body.size();
    const char* type =
        full.extension() == ".json" ? "application/json" : "application/octet-stream";
    if (req.method() == http::verb::head) {
      http::response<http::empty_body> res{http::status::ok, req.version()};
      res.set(http::field::content_type, type);
      res.content_length(size);
      res.keep_alive(req.keep_alive());
      return http::message_generator(std::move(res));
    }
    http::response<http::file_body> res{std::piecewise_construct, std::make_tuple(std::move(body)),
                                        std::make_tuple(http::status::ok, req.version())};
    res.set(http::field::content_type, type);
    res.content_length(size);
    res.keep_alive(req.keep_alive());
    return http::message_generator(std::move(res));
  }
};

namespace {

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, StaticHttpsServer::Impl& server)
      : tls_(server.tls), stream_(std::move(socket), *tls_), server_(server) {}

  void run() {
    beast::get_lowest_layer(stream_).expires_after(kIdleTimeout);
    stream_.async_handshake(ssl::stream_base::server,
                            [self = shared_from_this()](beast::error_code ec) {
                              if (!ec) self->read();
                            });
  }

 private:
  void read() {
    parser_.emplace();
    parser_->header_limit(16 * 1024);
    parser_->body_limit(4096);  // GET and HEAD carry no body; others only get a 405
    beast::get_lowest_layer(stream_).expires_after(kIdleTimeout);
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, std::size_t) {
                       if (ec) return self->close();
                       self->respond();
                     });
  }

  void respond() {
    const http::request<http::string_body> req = parser_->release();
    server_.record(std::string(req.target()));
    const bool keep_alive = req.keep_alive();
    beast::async_write(stream_, server_.respond(req),
                       [self = shared_from_this(), keep_alive](beast::error_code ec, std::size_t) {
                         if (ec || !keep_alive) return self->close();
                         self->read();
                       });
  }

  void close() {
    beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(5));
    stream_.async_shutdown([self = shared_from_this()](beast::error_code) {
      beast::error_code ignored;
      beast::get_lowest_layer(self->stream_).socket().close(ignored);
    });
  }

  std::shared_ptr<ssl::context> tls_;
  beast::ssl_stream<beast::tcp_stream> stream_;
  StaticHttpsServer::Impl& server_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
};

void accept_loop(StaticHttpsServer::Impl& server) {
  server.acceptor.async_accept(asio::make_strand(server.ioc),
                               [&server](beast::error_code ec, tcp::socket socket) {
                                 if (ec) {
                                   if (ec == asio::error::operation_aborted) return;
                                 } else {
                                   std::make_shared<Session>(std::move(socket), server)->run();
                                 }
                                 accept_loop(server);
                               });
}

}  // namespace

StaticHttpsServer::StaticHttpsServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Result<std::unique_ptr<StaticHttpsServer>> StaticHttpsServer::start(Options options) {
  auto impl = std::make_unique<Impl>();
  std::error_code fec;
  impl->canonical_root = std::filesystem::canonical(options.root, fec);
  if (fec) {
    return make_error(ErrorCode::kNotFound,
                      "cannot serve " + options.root.string() + ": " + fec.message());
  }
  DSS_TRY(impl->tls,
          tls::make_server_context(options.tls_floor, options.cert_pem, options.key_pem));
  try {
    const tcp::endpoint endpoint(asio::ip::make_address(options.bind), options.port);
    impl->acceptor.open(endpoint.protocol());
    impl->acceptor.set_option(asio::socket_base::reuse_address(true));
    impl->acceptor.bind(endpoint);
    impl->acceptor.listen(asio::socket_base::max_listen_connections);
    impl->port = impl->acceptor.local_endpoint().port();
  } catch (const std::exception& e) {
    return make_error(ErrorCode::kNetwork, "cannot start the HTTPS server on " + options.bind +
                                               ":" + std::to_string(options.port) + ": " +
                                               e.what());
  }
  impl->options = std::move(options);
  accept_loop(*impl);
  Impl* raw = impl.get();
  impl->thread = std::thread([raw] {
    try {
      raw->ioc.run();
    } catch (const std::exception&) {
      // A handler threw: stop serving; stop() still joins cleanly.
    }
  });
  return std::unique_ptr<StaticHttpsServer>(new StaticHttpsServer(std::move(impl)));
}

// stop() throws only when memory runs out or the network thread cannot be joined, both broken
// invariants: std::terminate is the crash we want. NOLINTNEXTLINE(bugprone-exception-escape)
StaticHttpsServer::~StaticHttpsServer() { stop(); }

void StaticHttpsServer::stop() {
  if (!impl_ || impl_->stopped) return;
  impl_->stopped = true;
  asio::post(impl_->ioc, [impl = impl_.get()] {
    beast::error_code ec;
    impl->acceptor.close(ec);
  });
  impl_->ioc.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

std::uint16_t StaticHttpsServer::port() const { return impl_->port; }
std::uint64_t StaticHttpsServer::requests_served() const { return impl_->served.load(); }
std::vector<std::string> StaticHttpsServer::request_log() const {
  const std::lock_guard<std::mutex> lock(impl_->log_mutex);
  return impl_->log;
}

}  // namespace dss::httpd
