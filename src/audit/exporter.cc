#include "audit/exporter.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <ctime>

#include "platform/files.h"

namespace dss::audit {

namespace fs = std::filesystem;
using Ms = std::chrono::milliseconds;

namespace {

constexpr std::size_t kBatch = 256;

tl::unexpected<Error> network_error(std::string message) {
  return make_error(ErrorCode::kNetwork, std::move(message));
}

std::string openssl_error() {
  const unsigned long e = ERR_get_error();
  if (e == 0) return "unknown TLS error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  ERR_clear_error();
  return buf;
}

std::string utc_day(std::int64_t unix_ms) { return format_time_ms(unix_ms).substr(0, 10); }

bool is_ip_address(const std::string& host) {
  in6_addr a6{};
  in_addr a4{};
  return ::inet_pton(AF_INET, host.c_str(), &a4) == 1 ||
         ::inet_pton(AF_INET6, host.c_str(), &a6) == 1;
}

}  // namespace

Result<ExportFormat> export_format_from_name(std::string_view name) {
  if (name == "ocsf") return ExportFormat::kOcsf;
  if (name == "ecs") return ExportFormat::kEcs;
  return make_error(ErrorCode::kInvalidArgument,
                    "unknown export format \"" + std::string(name) + "\"; use ocsf or ecs");
}

std::string format_event(const Event& e, ExportFormat format) {
  return format == ExportFormat::kOcsf ? to_ocsf(e) : to_ecs(e);
}

FileSink::FileSink(fs::path dir, ExportFormat format) : dir_(std::move(dir)), format_(format) {}

std::string FileSink::name() const {
  return (dir_ / (format_ == ExportFormat::kOcsf ? "ocsf-*.jsonl" : "ecs-*.jsonl")).string();
}

Result<std::size_t> FileSink::deliver(std::span<const Event> events) {
  DSS_TRY_STATUS(platform::ensure_private_dir(dir_));
  std::size_t i = 0;
  while (i < events.size()) {
    // One file per UTC day; a batch may cross midnight.
    const std::string day = utc_day(events[i].time_ms);
    std::string text;
    std::size_t j = i;
    for (; j < events.size() && utc_day(events[j].time_ms) == day; ++j) {
      text += format_event(events[j], format_);
      text += '\n';
    }
    const fs::path path =
        dir_ / ((format_ == ExportFormat::kOcsf ? "ocsf-" : "ecs-") + day + ".jsonl");
    platform::Fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600));
    if (fd.get() < 0) return platform::io_error("cannot open", path);
    std::string_view rest = text;
    while (!rest.empty()) {
      const ssize_t n = ::write(fd.get(), rest.data(), rest.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return platform::io_error("cannot write", path);
      rest.remove_prefix(static_cast<std::size_t>(n));
    }
    if (::fdatasync(fd.get()) != 0) return platform::io_error("cannot sync", path);
    i = j;
  }
  return events.size();
}

struct SyslogTlsSink::Connection {
  int fd = -1;
  SSL_CTX* ctx = nullptr;
  SSL* ssl = nullptr;
  Connection() = default;
  Connection(const Connection&) = delete;  // owns fd, ctx and ssl: a copy would free them twice
  Connection& operator=(const Connection&) = delete;
  ~Connection() {
    if (ssl != nullptr) SSL_free(ssl);
    if (ctx != nullptr) SSL_CTX_free(ctx);
    if (fd >= 0) ::close(fd);
  }
};

SyslogTlsSink::SyslogTlsSink(SyslogTlsOptions options) : options_(std::move(options)) {}
SyslogTlsSink::~SyslogTlsSink() = default;

std::string SyslogTlsSink::name() const {
  return "syslog+tls://" + options_.host + ":" + std::to_string(options_.port);
}

void SyslogTlsSink::disconnect() { conn_.reset(); }

Status SyslogTlsSink::connect() {
  auto c = std::make_unique<Connection>();
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  const std::string port = std::to_string(options_.port);
  if (::getaddrinfo(options_.host.c_str(), port.c_str(), &hints, &res) != 0 || res == nullptr) {
    return network_error("cannot resolve the syslog collector " + options_.host);
  }
  std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> guard(res, ::freeaddrinfo);
  c->fd = ::socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (c->fd < 0)
    return network_error("cannot create a socket: " + std::string(std::strerror(errno)));
  if (::connect(c->fd, res->ai_addr, res->ai_addrlen) != 0 && errno != EINPROGRESS) {
    return network_error("cannot connect to " + name() + ": " + std::strerror(errno));
  }
  pollfd p{c->fd, POLLOUT, 0};
  int err = 0;
  socklen_t len = sizeof err;
  if (::poll(&p, 1, static_cast<int>(options_.timeout.count())) != 1 ||
      ::getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) {
    return network_error("cannot connect to " + name() + ": " +
                         (err != 0 ? std::strerror(err) : "timed out"));
  }
  // Blocking from here on, with timeouts.
  ::fcntl(c->fd, F_SETFL, ::fcntl(c->fd, F_GETFL) & ~O_NONBLOCK);
  timeval tv{static_cast<time_t>(options_.timeout.count() / 1000),
             static_cast<suseconds_t>((options_.timeout.count() % 1000) * 1000)};
  ::setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  const int one = 1;
  ::setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);

  c->ctx = SSL_CTX_new(TLS_client_method());
  if (c->ctx == nullptr) return network_error(openssl_error());
  SSL_CTX_set_min_proto_version(c->ctx, TLS1_2_VERSION);
  // A collector that closes without close_notify (rsyslog on shutdown) is an end of stream;
  // whether our bytes were read is decided below from the TCP close, not from TLS.
  SSL_CTX_set_options(c->ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
  // TLS 1.2 only with forward-secret AEAD suites; TLS 1.3 suites are all AEAD.
  SSL_CTX_set_cipher_list(c->ctx, "ECDHE+AESGCM:ECDHE+CHACHA20");
  SSL_CTX_set_verify(c->ctx, SSL_VERIFY_PEER, nullptr);
  if (SSL_CTX_load_verify_locations(c->ctx, options_.ca_file.c_str(), nullptr) != 1) {
    return make_error(ErrorCode::kInvalidArgument, "cannot load the syslog collector's CA file " +
                                                       options_.ca_file.string() + ": " +
                                                       openssl_error());
  }
  if (!options_.client_cert.empty()) {
    if (SSL_CTX_use_certificate_chain_file(c->ctx, options_.client_cert.c_str()) != 1 ||
        SSL_CTX_use_PrivateKey_file(c->ctx, options_.client_key.c_str(), SSL_FILETYPE_PEM) != 1) {
      return make_error(ErrorCode::kInvalidArgument,
                        "cannot load the client certificate or key for syslog: " + openssl_error());
    }
  }
  c->ssl = SSL_new(c->ctx);
  if (c->ssl == nullptr) return network_error(openssl_error());
  X509_VERIFY_PARAM* param = SSL_get0_param(c->ssl);
  if (is_ip_address(options_.host)) {
    X509_VERIFY_PARAM_set1_ip_asc(param, options_.host.c_str());
  } else {
    SSL_set_tlsext_host_name(c->ssl, options_.host.c_str());
    SSL_set1_host(c->ssl, options_.host.c_str());
  }
  SSL_set_fd(c->ssl, c->fd);
  if (SSL_connect(c->ssl) != 1) {
    const long verify = SSL_get_verify_result(c->ssl);
    return network_error(
        "TLS handshake with " + name() + " failed: " +
        (verify != X509_V_OK ? X509_verify_cert_error_string(verify) : openssl_error()));
  }
  conn_ = std::move(c);
  return ok();
}

Result<std::size_t> SyslogTlsSink::deliver(std::span<const Event> events) {
  if (!conn_) DSS_TRY_STATUS(connect());
  std::string frames;
  for (const Event& e : events) {
    const std::string msg = to_syslog(e, options_.app_name);
    frames += std::to_string(msg.size());
    frames += ' ';
    frames += msg;
  }
  std::size_t sent = 0;
  while (sent < frames.size()) {
    const int chunk = static_cast<int>(std::min<std::size_t>(frames.size() - sent, 1 << 20));
    const int n = SSL_write(conn_->ssl, frames.data() + sent, chunk);
    if (n <= 0) {
      disconnect();
      return network_error("the syslog collector " + name() + " stopped accepting data");
    }
    sent += static_cast<std::size_t>(n);
  }
  // Confirm: the collector's TCP stack acknowledged every byte...
  const auto deadline = std::chrono::steady_clock::now() + options_.timeout;
  while (true) {
    int pending = 0;
    if (::ioctl(conn_->fd, SIOCOUTQ, &pending) != 0 || pending == 0) break;
    if (std::chrono::steady_clock::now() > deadline) {
      disconnect();
      return network_error("the syslog collector " + name() + " did not acknowledge in time");
    }
    ::usleep(200);
  }
  // ...and did not close the connection without reading them: a close with unread data is a
  // reset, a close after reading everything is a clean end of stream.
  pollfd p{conn_->fd, POLLIN | POLLRDHUP, 0};
  if (::poll(&p, 1, static_cast<int>(options_.settle.count())) == 0) return events.size();
  char byte = 0;
  errno = 0;
  const int n = SSL_read(conn_->ssl, &byte, 1);
  if (n > 0) return events.size();  // the collector said something; syslog has no replies
  const int read_errno = errno;
  const int ssl_err = SSL_get_error(conn_->ssl, n);
  bool reset = read_errno == ECONNRESET || read_errno == EPIPE;
  if (ssl_err == SSL_ERROR_ZERO_RETURN && !reset) {
    // The collector ended the stream. If it had left our bytes unread, its kernel answers
    // with a reset right behind the end of stream: wait for one before believing the close.
    ::poll(&p, 1, static_cast<int>(options_.settle.count()));
    const ssize_t peek = ::recv(conn_->fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    reset = peek < 0 && errno == ECONNRESET;
    if (!reset) {
      disconnect();
      return events.size();
    }
  }
  disconnect();
  return network_error("the syslog collector " + name() +
                       " closed the connection before reading every event; they will be resent");
}

Exporter::Exporter(AuditLog& audit, std::unique_ptr<Sink> sink, fs::path cursor_file)
    : audit_(audit), sink_(std::move(sink)), cursor_file_(std::move(cursor_file)) {
  auto text = platform::read_text_file(cursor_file_, 64);
  std::uint64_t c = 0;
  if (text) {
    const std::string_view v = *text;
    const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), c);
    if (ec != std::errc()) c = 0;
    (void)end;
  }
  cursor_ = std::min(c, audit_.log().size());
}

Exporter::~Exporter() {
  if (thread_.joinable()) {
    thread_.request_stop();
    thread_.join();
  }
}

std::string Exporter::last_error() const {
  std::lock_guard l(error_mu_);
  return last_error_;
}

Result<std::uint64_t> Exporter::run_once() {
  std::lock_guard run(run_mu_);
  const std::uint64_t size = audit_.log().size();
  std::uint64_t delivered = 0;
  while (cursor_ < size) {
    std::vector<Event> events;
    for (std::uint64_t i = cursor_; i < size && events.size() < kBatch; ++i) {
      auto bytes = audit_.log().read(i);
      if (!bytes) return tl::unexpected(bytes.error());
      auto e = from_json(as_chars(*bytes));
      if (!e) return tl::unexpected(e.error());
      events.push_back(std::move(*e));
    }
    auto n = sink_->deliver(events);
    if (!n) {
      std::lock_guard l(error_mu_);
      last_error_ = n.error().message;
      return tl::unexpected(n.error());
    }
    cursor_ += *n;
    delivered += *n;
    DSS_TRY_STATUS(
        platform::write_file_atomic(cursor_file_, std::to_string(cursor_.load()) + "\n"));
    if (*n < events.size()) break;
  }
  return delivered;
}

void Exporter::start(Ms poll, Ms max_backoff) {
  thread_ = std::jthread([this, poll, max_backoff](const std::stop_token& stop) {
    std::mutex m;
    std::condition_variable_any cv;
    // cppcheck-suppress localMutex ; m exists only for cv: the wait is a sleep that stop ends
    std::unique_lock l(m);
    Ms wait = poll;
    bool failing = false;
    while (!stop.stop_requested()) {
      auto r = run_once();
      if (r) {
        wait = poll;
        failing = false;
      } else {
        if (!failing) {
          Event e;
          e.action = "log.failure";
          e.outcome = Outcome::kFailure;
          e.object = sink_->name();
          e.reason = r.error().message;
          (void)audit_.record(std::move(e));
        }
        failing = true;
        wait = std::min(max_backoff, failing ? wait * 2 : poll);
      }
      cv.wait_for(l, stop, wait, [] { return false; });
    }
  });
}

}  // namespace dss::audit
