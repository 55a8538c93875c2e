// The one-method fetcher of the TUF client (STYLE §9): bytes at a URL, bounded.
//
// Fetcher::fetch is non-virtual: it is the single place where the length limit is enforced
// (the endless-data defence), whatever the transport. Implementations only stream chunks.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "core/bytes.h"
#include "core/result.h"

namespace dss::net {

class Fetcher {
 public:
  virtual ~Fetcher() = default;

  // Reads at most `max_length` bytes; more is kDownloadTooLarge. HTTP 404 and 403 are
  // kNotFound; another HTTP status is kNetwork; a stalled or too slow transfer is
  // kSlowRetrieval; connection and TLS failures are kNetwork.
  Result<Bytes> fetch(std::string_view url, std::uint64_t max_length);

  // Streams `url` into `sink` without holding the body in memory, resuming at byte `offset`
  // (an HTTP Range request) when offset > 0. `resumed` tells whether the server honoured the
  // range (it is set before the first chunk reaches `sink`): when false the body starts again
  // at byte 0 and the caller must drop what it had.
  // At most `max_length` bytes in total (offset included when resumed) are accepted; more is
  // kDownloadTooLarge, enforced here whatever the transport. An error from `sink` stops the
  // transfer and is returned. Other errors as fetch(). Counts as one request.
  Status fetch_stream(std::string_view url, std::uint64_t offset, std::uint64_t max_length,
                      const std::function<Status(ByteView)>& sink, bool& resumed);

  // Number of fetch() and fetch_stream() calls so far.
  [[nodiscard]] std::uint64_t requests() const { return requests_; }

  // Drops what is kept between requests to make the next one faster (open connections, TLS
  // sessions, the parsed CA store). A long-running caller calls it before sleeping: an agent
  // polling hourly would never reuse them, and they are most of its idle memory. The next
  // request sets them up again. The default keeps nothing.
  virtual void release_idle() {}

 protected:
  // Streams the body into `sink`; `sink` returns false to abort the transfer, after which the
  // implementation returns promptly (its status is then ignored).
  virtual Status fetch_chunks(std::string_view url, const std::function<bool(ByteView)>& sink) = 0;
  // Like fetch_chunks, asking for the body from byte `offset` on; sets `resumed` when the
  // server sent only that part (HTTP 206). The default ignores ranges: a full body, resumed
  // false.
  virtual Status fetch_chunks_from(std::string_view url, std::uint64_t offset,
                                   const std::function<bool(ByteView)>& sink, bool& resumed);
  // Implementations that learn the body length in advance (Content-Length) report it: a body
  // announced above the limit is refused before it is read (returns false: abort), otherwise
  // the buffer is sized once.
  bool announce_length(std::uint64_t length);

 private:
  std::uint64_t requests_ = 0;
  Bytes* body_ = nullptr;
  std::uint64_t max_length_ = 0;
  bool too_large_ = false;
};

struct FetchOptions {
  std::chrono::seconds connect_timeout{10};
  std::chrono::seconds total_timeout{300};
  // Slow-retrieval defence: abort if the average speed stays below this over the window.
  long low_speed_bytes_per_second = 1024;
  std::chrono::seconds low_speed_window{15};
  std::string ca_file;  // extra CA bundle (PEM) to trust; empty = the system store
  // Plain http:// to 127.0.0.1, ::1 or localhost only. Metadata is still verified, but the
  // transport is then unauthenticated and unencrypted; a warning is printed on every request.
  bool unsafe_allow_plain_http_loopback = false;
};

// HTTPS through libcurl: peer and host verification always on, no redirects, connection reuse.
// Not thread-safe (one easy handle).
class CurlFetcher final : public Fetcher {
 public:
  explicit CurlFetcher(FetchOptions options = {});
  ~CurlFetcher() override;
  CurlFetcher(const CurlFetcher&) = delete;
  CurlFetcher& operator=(const CurlFetcher&) = delete;

  // Closes the connection and frees the easy handle with its TLS state; the next request makes
  // a new one.
  void release_idle() override;

 protected:
  Status fetch_chunks(std::string_view url, const std::function<bool(ByteView)>& sink) override;
  Status fetch_chunks_from(std::string_view url, std::uint64_t offset,
                           const std::function<bool(ByteView)>& sink, bool& resumed) override;

 private:
  struct Impl;
  FetchOptions options_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace dss::net
