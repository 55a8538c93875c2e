#include "net/fetcher.h"

#include <curl/curl.h>

#include <iostream>
#include <mutex>

namespace dss::net {

bool Fetcher::announce_length(std::uint64_t length) {
  if (body_ == nullptr) return true;
  if (length > max_length_) {
    too_large_ = true;
    return false;
  }
  // Room for a JSON parser's padding too, so metadata is parsed without another copy.
  body_->reserve(static_cast<std::size_t>(length) + 64);
  return true;
}

Result<Bytes> Fetcher::fetch(std::string_view url, std::uint64_t max_length) {
  ++requests_;
  Bytes body;
  body_ = &body;
  max_length_ = max_length;
  too_large_ = false;
  Status status = fetch_chunks(url, [&](ByteView chunk) {
    if (body.size() + chunk.size() > max_length) {
      too_large_ = true;
      return false;
    }
    body.insert(body.end(), chunk.begin(), chunk.end());
    return true;
  });
  body_ = nullptr;
  if (too_large_) {
    return make_error(ErrorCode::kDownloadTooLarge,
                      std::string(url) + " sent more than the allowed " +
                          std::to_string(max_length) + " bytes (endless-data defence)");
  }
  if (!status) return tl::unexpected(std::move(status).error());
  return body;
}

Status Fetcher::fetch_chunks_from(std::string_view url, std::uint64_t /*offset*/,
                                  const std::function<bool(ByteView)>& sink, bool& resumed) {
  resumed = false;
  return fetch_chunks(url, sink);
}

Status Fetcher::fetch_stream(std::string_view url, std::uint64_t offset, std::uint64_t max_length,
                             const std::function<Status(ByteView)>& sink, bool& resumed) {
  ++requests_;
  resumed = false;
  if (offset >= max_length) offset = 0;  // nothing left to resume within the bound
  std::uint64_t total = 0;
  bool first = true;
  bool too_large = false;
  Status sink_status = ok();
  Status status = fetch_chunks_from(
      url, offset,
      [&](ByteView chunk) {
        if (first) {
          first = false;
          total = resumed ? offset : 0;  // the transport sets `resumed` before the first chunk
        }
        if (total + chunk.size() > max_length) {
          too_large = true;
          return false;
        }
        total += chunk.size();
        sink_status = sink(chunk);
        return static_cast<bool>(sink_status);
      },
      resumed);
  if (too_large) {
    return make_error(ErrorCode::kDownloadTooLarge,
                      std::string(url) + " sent more than the allowed " +
                          std::to_string(max_length) + " bytes (endless-data defence)");
  }
  if (!sink_status) return sink_status;
  return status;
}

namespace {

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct WriteContext {
  const std::function<bool(ByteView)>* sink;
  CURL* easy;
  std::function<bool(std::uint64_t)> announce;
  bool started = false;
  bool aborted = false;
  bool accept_partial = false;  // a Range request was made: 206 carries the body
  bool* partial = nullptr;      // set when the body is a 206 part
};

std::size_t on_write(char* data, std::size_t size, std::size_t nmemb, void* user) {
  auto* ctx = static_cast<WriteContext*>(user);
  const std::size_t n = size * nmemb;
  long status = 0;
  curl_easy_getinfo(ctx->easy, CURLINFO_RESPONSE_CODE, &status);
  const bool is_part = ctx->accept_partial && status == 206;
  if (status != 200 && !is_part) return n;  // an error page is not the file; discard it
  if (!ctx->started) {
    ctx->started = true;
    if (ctx->partial != nullptr) *ctx->partial = is_part;
    curl_off_t length = -1;
    if (curl_easy_getinfo(ctx->easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &length) == CURLE_OK &&
        length >= 0 && !ctx->announce(static_cast<std::uint64_t>(length))) {
      ctx->aborted = true;
      return 0;
    }
  }
  if (!(*ctx->sink)(ByteView(reinterpret_cast<const std::uint8_t*>(data), n))) {
    ctx->aborted = true;
    return 0;  // makes libcurl abort with CURLE_WRITE_ERROR
  }
  return n;
}

// File names are appended verbatim; a space (legal in target names) is sent as %20, as
// Python clients do. Nothing else is re-encoded or normalised.
constexpr unsigned kUrlFlags = CURLU_PATH_AS_IS | CURLU_ALLOW_SPACE | CURLU_URLENCODE;

// Scheme and host checks, before any connection is made.
Status check_url(std::string_view url, const FetchOptions& o, bool& plain_http) {
  CURLU* u = curl_url();
  const std::string s(url);
  std::string scheme, host;
  if (curl_url_set(u, CURLUPART_URL, s.c_str(), kUrlFlags) == CURLUE_OK) {
    char* part = nullptr;
    if (curl_url_get(u, CURLUPART_SCHEME, &part, 0) == CURLUE_OK) scheme = part;
    curl_free(part);
    part = nullptr;
    if (curl_url_get(u, CURLUPART_HOST, &part, 0) == CURLUE_OK) host = part;
    curl_free(part);
  }
  curl_url_cleanup(u);
  if (scheme.empty()) {
    return make_error(ErrorCode::kInvalidArgument, "\"" + s + "\" is not a valid URL");
  }
  plain_http = scheme == "http";
  if (scheme == "https") return ok();
  if (!plain_http) {
    return make_error(ErrorCode::kInvalidArgument,
                      "URL scheme \"" + scheme + "\" is not allowed; use https://");
  }
  const bool loopback =
      host == "127.0.0.1" || host == "[::1]" || host == "::1" || host == "localhost";
  if (!o.unsafe_allow_plain_http_loopback) {
    return make_error(ErrorCode::kInvalidArgument,
                      "plain http:// is refused (" + s +
                          "); use https://. Only for local "
                          "testing, unsafe_allow_plain_http_loopback permits http:// to loopback");
  }
  if (!loopback) {
    return make_error(ErrorCode::kInvalidArgument,
                      "plain http:// is allowed only to loopback, not to \"" + host + "\"");
  }
  return ok();
}

}  // namespace

struct CurlFetcher::Impl {
  CURL* easy = nullptr;
};

CurlFetcher::CurlFetcher(FetchOptions options)
    : options_(std::move(options)), impl_(std::make_unique<Impl>()) {
  global_init();
}

CurlFetcher::~CurlFetcher() {
  if (impl_->easy != nullptr) curl_easy_cleanup(impl_->easy);
}

void CurlFetcher::release_idle() {
  if (impl_->easy != nullptr) curl_easy_cleanup(impl_->easy);
  impl_->easy = nullptr;
}

Status CurlFetcher::fetch_chunks(std::string_view url, const std::function<bool(ByteView)>& sink) {
  bool resumed = false;
  return fetch_chunks_from(url, 0, sink, resumed);
}

Status CurlFetcher::fetch_chunks_from(std::string_view url, std::uint64_t offset,
                                      const std::function<bool(ByteView)>& sink, bool& resumed) {
  resumed = false;
  if (impl_->easy == nullptr) impl_->easy = curl_easy_init();
  CURL* c = impl_->easy;
  if (c == nullptr) return make_error(ErrorCode::kInternal, "libcurl could not be initialised");
  bool plain_http = false;
  DSS_TRY_STATUS(check_url(url, options_, plain_http));
  if (plain_http) {
    std::cerr << "WARNING: unsafe_allow_plain_http_loopback: fetching " << url << " without TLS\n";
  }
  const std::string s(url);
  WriteContext ctx{&sink, c, [this](std::uint64_t n) { return announce_length(n); }};
  ctx.accept_partial = offset > 0;
  ctx.partial = &resumed;
  curl_easy_reset(c);
  CURLU* parsed = curl_url();
  if (parsed == nullptr || curl_url_set(parsed, CURLUPART_URL, s.c_str(), kUrlFlags) != CURLUE_OK) {
    curl_url_cleanup(parsed);
    return make_error(ErrorCode::kInvalidArgument, "\"" + s + "\" is not a valid URL");
  }
  curl_easy_setopt(c, CURLOPT_CURLU, parsed);
  curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, plain_http ? "http" : "https");
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
  curl_easy_setopt(c, CURLOPT_SSLVERSION, CURL_SSLVERSION_TLSv1_2);
  if (!options_.ca_file.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, options_.ca_file.c_str());
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, static_cast<long>(options_.connect_timeout.count()));
  curl_easy_setopt(c, CURLOPT_TIMEOUT, static_cast<long>(options_.total_timeout.count()));
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, options_.low_speed_bytes_per_second);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, static_cast<long>(options_.low_speed_window.count()));
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_write);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &ctx);
  curl_easy_setopt(c, CURLOPT_FAILONERROR, 0L);
  curl_easy_setopt(c, CURLOPT_USERAGENT, "dss-tuf-client/0.1");
  // CURLOPT_RANGE rather than RESUME_FROM: a server that ignores ranges answers 200 with the
  // whole body, which is then taken from byte 0 instead of failing the transfer.
  const std::string range = std::to_string(offset) + "-";
  if (offset > 0) curl_easy_setopt(c, CURLOPT_RANGE, range.c_str());
  const CURLcode rc = curl_easy_perform(c);
  curl_easy_setopt(c, CURLOPT_CURLU, nullptr);
  curl_url_cleanup(parsed);
  if (ctx.aborted) return ok();  // the caller's limit tripped; it reports that
  if (rc == CURLE_OPERATION_TIMEDOUT) {
    return make_error(ErrorCode::kSlowRetrieval,
                      s + ": transfer too slow or stalled (slow-retrieval defence)");
  }
  if (rc != CURLE_OK) {
    return make_error(ErrorCode::kNetwork, s + ": " + curl_easy_strerror(rc));
  }
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  if (status == 404 || status == 403) {
    return make_error(ErrorCode::kNotFound, s + ": HTTP " + std::to_string(status));
  }
  if (status != 200 && !(offset > 0 && status == 206)) {
    return make_error(ErrorCode::kNetwork, s + ": HTTP status " + std::to_string(status));
  }
  return ok();
}

}  // namespace dss::net
