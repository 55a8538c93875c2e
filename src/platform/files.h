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
#include <utility>

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

// An owned file descriptor, closed on destruction.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd();
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&& other) noexcept;
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  [[nodiscard]] int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_ = -1;
};

// kIo naming `what`, `path` and errno's text.
tl::unexpected<Error> io_error(std::string_view what, const std::filesystem::path& path);
// Makes a directory's entries (new, renamed or removed files) durable.
Status fsync_dir(const std::filesystem::path& dir);

// A read-only private mapping of a whole file (empty files map to an empty view).
class MappedFile {
 public:
  static Result<MappedFile> open(const std::filesystem::path& path);
  MappedFile() = default;
  ~MappedFile();
  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  [[nodiscard]] ByteView view() const { return {data_, size_}; }

 private:
  std::uint8_t* data_ = nullptr;  // mapped read-only (PROT_READ); non-const for munmap
  std::size_t size_ = 0;
};

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
