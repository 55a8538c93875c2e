// The read-only repository under /repo/: metadata/, targets/ and the published transparency
// files (checkpoint, entries/, consistency/) of the repository directory, and nothing else of
// it — never keys/, settings or the log's private store. Names are plain (no dot segments, no
// escapes), symlinks may not lead out of the served part, and files are cached by content with
// an ETag from their SHA-256. Thread-safe; answered on the network thread.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/result.h"
#include "server/https.h"

namespace dss::server {

class RepoFiles {
 public:
  // An empty directory: serves nothing (every request is refused with 404).
  explicit RepoFiles(const std::filesystem::path& repo_dir);

  struct Refusal {
    http::status status;
    std::string message;  // what was wrong, for the error body
  };
  // The answer to GET or HEAD /repo/<rel>, with caching headers but without the security
  // headers (the caller adds those to every answer).
  tl::expected<Response, Refusal> serve(const Request& req, std::string_view rel);

 private:
  struct CachedFile {
    std::string body;
    std::int64_t mtime_ns = 0;  // with size and inode: whether the cached copy is current
    std::uint64_t size = 0;
    std::uint64_t inode = 0;
    std::string etag;  // from the content's SHA-256: reveals nothing about the file system
  };
  std::shared_ptr<const CachedFile> cached_file(const std::filesystem::path& path);

  std::filesystem::path dir_;   // as configured
  std::filesystem::path root_;  // its canonical form, resolved once (empty: none)
  std::mutex mutex_;
  std::unordered_map<std::string, std::shared_ptr<const CachedFile>> cache_;
};

}  // namespace dss::server
