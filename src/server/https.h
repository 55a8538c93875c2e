// The control plane's HTTPS transport (Boost.Beast over Asio, OpenSSL).
//
// - TLS as tls/server_context.h sets it, the same policy as `dss repo serve`: TLS 1.3 only by
//   default; TLS 1.2 (AEAD ECDHE suites only) only when tls.min_version is loosened to "1.2".
// - Several network threads; request handlers run on a separate worker pool, so a handler
//   that waits (an Argon2id hash, a durable audit append) never stalls other connections.
//   Handlers marked fast (static repository files) answer on the network thread.
// - Limits: header and body size (413/431 with a clear message), a deadline for the TLS
//   handshake and for each request (slow clients are cut off), an idle keep-alive timeout,
//   and a cap on concurrent connections.
// - The certificate is re-read by reload_certificate() (SIGHUP); a bad new certificate is
//   refused and the old one stays in use. stop() is graceful: no new connections, requests in
//   flight finish, then the threads end.
#pragma once

#include <atomic>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "tls/server_context.h"

namespace dss::server {

namespace http = boost::beast::http;
using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;

struct Peer {
  std::string address;  // the client's IP address
};

struct HttpsOptions {
  std::string bind = "127.0.0.1";
  std::uint16_t port = 8443;  // 0: any free port
  std::filesystem::path cert_pem;
  std::filesystem::path key_pem;
  tls::TlsFloor tls_floor = tls::TlsFloor::kTls13;  // from the setting tls.min_version
  unsigned io_threads = 2;
  unsigned worker_threads = 32;
  std::size_t max_connections = 2048;
  std::uint32_t header_limit = 8 * 1024;
  std::uint64_t body_limit = 64ull * 1024;
  std::chrono::seconds handshake_timeout{10};
  std::chrono::seconds request_timeout{15};  // to read one whole request
  std::chrono::seconds idle_timeout{30};     // keep-alive between requests
  std::chrono::seconds drain_timeout{10};    // stop(): how long requests in flight may take
};

class HttpsServer {
 public:
  // Runs on a worker thread.
  using Handler = std::function<Response(Request& request, const Peer& peer)>;
  // Runs on the network thread; answers cheap requests (static files) or returns nullopt.
  using FastHandler = std::function<std::optional<Response>(const Request& request)>;
  // Builds the answer to a request that broke a limit (413, 431, 400), so it carries the
  // same headers and error format as every other answer.
  using LimitHandler = std::function<Response(http::status status, std::string_view message)>;

  static Result<std::unique_ptr<HttpsServer>> start(HttpsOptions options, Handler handler,
                                                    FastHandler fast, LimitHandler on_limit);
  ~HttpsServer();  // NOLINT(bugprone-exception-escape): see https.cc
  HttpsServer(const HttpsServer&) = delete;
  HttpsServer& operator=(const HttpsServer&) = delete;

  [[nodiscard]] std::uint16_t port() const;
  [[nodiscard]] std::size_t active_connections() const;
  // Re-reads the certificate and key; the new ones serve new connections.
  Status reload_certificate();
  void stop();

  struct Impl;

 private:
  explicit HttpsServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// SHA-256 of the certificate's DER encoding, as colon-separated upper-case hex (the form
// browsers and `openssl x509 -fingerprint -sha256` show).
Result<std::string> certificate_fingerprint(const std::filesystem::path& cert_pem);

// What a server certificate says about itself (the first certificate of a PEM chain).
struct CertificateInfo {
  std::string fingerprint;         // as certificate_fingerprint
  std::int64_t not_after_s = 0;    // Unix seconds
  std::vector<std::string> names;  // subjectAltName DNS names and IP addresses, as written
};
// kNotFound when the file cannot be read, kMalformed when it holds no PEM certificate.
Result<CertificateInfo> read_certificate_info(const std::filesystem::path& cert_pem);

// From this long before a certificate expires, the server warns: at start, in `dss server
// status`, `dss doctor` and GET /api/v1/health.
inline constexpr std::int64_t kCertificateWarnDays = 14;
// The warning for a certificate expiring at `not_after_s`, seen at `now_s` (the wall clock),
// with what to do; "" while it is far from expiry.
std::string certificate_warning(std::int64_t not_after_s, std::int64_t now_s);

}  // namespace dss::server
