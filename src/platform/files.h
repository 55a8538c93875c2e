// Filesystem edge of DSS: bounded reads, atomic and durable writes, private directories and
// a directory lock. Every write goes to a temporary file in the same directory (named
// ".<name>.tmp-XXXXXX", hidden and never ending in ".json"), is fsynced, renamed over the
// target, and the directory is fsynced: after a crash the old or the new content exists,
// never a mix, and on failure no temporary file is left behind.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "core/bytes.h"
#include "core/result.h"

namespace dss::platform {

enum class FileMode { kPrivate /*0600*/, kPublic /*0644*/ };

// kNotFound if missing; kMalformed if larger than `max_bytes` (nothing beyond the limit is read);
// kIo for other failures.
Result<Bytes> read_file(const std::filesystem::path& path, std::uint64_t max_bytes);
Result<std::string> read_text_file(const std::filesystem::path& path, std::uint64_t max_bytes);

Status write_file_atomic(const std::filesystem::path& path, ByteView data,
                         FileMode mode = FileMode::kPrivate);
Status write_file_atomic(const std::filesystem::path& path, std::string_view data,
                         FileMode mode = FileMode::kPrivate);

// Creates `dir` and missing parents with mode 0700. kIo if it exists and is not a directory.
Status ensure_private_dir(const std::filesystem::path& dir);

// Unlinks `path` and fsyncs its directory; a missing file is fine.
Status remove_file_durable(const std::filesystem::path& path);

// Exclusive advisory lock on `<dir>/.lock`, held for the object's lifetime.
class DirLock {
 public:
  // kFailedPrecondition if another process holds it.
  static Result<DirLock> acquire(const std::filesystem::path& dir);
  DirLock(DirLock&& other) noexcept;
  DirLock& operator=(DirLock&& other) noexcept;
  DirLock(const DirLock&) = delete;
  DirLock& operator=(const DirLock&) = delete;
  ~DirLock();

 private:
  explicit DirLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace dss::platform
