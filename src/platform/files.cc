#include "platform/files.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>

#include "platform/system_clock.h"

namespace dss::platform {

namespace {

std::string random_suffix() {
  ensure_sodium_initialised();
  std::uint8_t b[6];
  randombytes_buf(b, sizeof b);
  return hex_encode(ByteView(b, sizeof b));
}

}  // namespace

UnixSeconds SystemClock::now() const { return static_cast<UnixSeconds>(::time(nullptr)); }

std::int64_t SystemClock::now_ms() const {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1'000'000;
}

tl::unexpected<Error> io_error(std::string_view what, const std::filesystem::path& path) {
  return make_error(ErrorCode::kIo,
                    std::string(what) + " " + path.string() + ": " + std::strerror(errno));
}

Fd::~Fd() {
  if (fd_ >= 0) ::close(fd_);
}
Fd& Fd::operator=(Fd&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

Status fsync_dir(const std::filesystem::path& dir) {
  Fd fd(::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) return io_error("cannot open directory", dir);
  if (::fsync(fd.get()) != 0) return io_error("cannot fsync directory", dir);
  return ok();
}

namespace {
// Opens `path` for reading and stats it: kNotFound if missing.
Status open_for_reading(const std::filesystem::path& path, Fd& fd, struct stat& st) {
  fd = Fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno == ENOENT) return make_error(ErrorCode::kNotFound, path.string() + " does not exist");
    return io_error("cannot open", path);
  }
  if (::fstat(fd.get(), &st) != 0) return io_error("cannot stat", path);
  return ok();
}
}  // namespace

Result<MappedFile> MappedFile::open(const std::filesystem::path& path) {
  Fd fd;
  struct stat st {};
  DSS_TRY_STATUS(open_for_reading(path, fd, st));
  MappedFile m;
  m.size_ = static_cast<std::size_t>(st.st_size);
  if (m.size_ == 0) return m;
  void* p = ::mmap(nullptr, m.size_, PROT_READ, MAP_PRIVATE, fd.get(), 0);
  if (p == MAP_FAILED) return io_error("cannot map", path);
  ::madvise(p, m.size_, MADV_SEQUENTIAL);
  m.data_ = static_cast<std::uint8_t*>(p);
  return m;
}
MappedFile::~MappedFile() {
  if (data_ != nullptr) ::munmap(data_, size_);
}
MappedFile::MappedFile(MappedFile&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}
MappedFile& MappedFile::operator=(MappedFile&& other) noexcept {
  if (this != &other) {
    if (data_ != nullptr) ::munmap(data_, size_);
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

Result<Bytes> read_file(const std::filesystem::path& path, std::uint64_t max_bytes) {
  Fd fd;
  struct stat st {};
  DSS_TRY_STATUS(open_for_reading(path, fd, st));
  if (!S_ISREG(st.st_mode)) {
    return make_error(ErrorCode::kIo, path.string() + " is not a regular file");
  }
  Bytes out;
  out.reserve(static_cast<std::size_t>(
      std::min<std::uint64_t>(static_cast<std::uint64_t>(st.st_size), max_bytes)));
  std::uint8_t buf[65536];
  while (true) {
    const ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return io_error("cannot read", path);
    }
    if (n == 0) break;
    if (out.size() + static_cast<std::size_t>(n) > max_bytes) {
      return make_error(ErrorCode::kMalformed, path.string() + " is larger than the limit of " +
                                                   std::to_string(max_bytes) + " bytes");
    }
    out.insert(out.end(), buf, buf + n);
  }
  return out;
}

Result<std::string> read_text_file(const std::filesystem::path& path, std::uint64_t max_bytes) {
  DSS_TRY(Bytes bytes, read_file(path, max_bytes));
  return std::string(as_chars(bytes));
}

Status write_file_atomic(const std::filesystem::path& path, std::string_view data, FileMode mode) {
  return write_file_atomic(path, as_bytes(data), mode);
}

Status write_file_atomic(const std::filesystem::path& path, ByteView data, FileMode mode) {
  const std::filesystem::path dir = path.parent_path();
  const std::filesystem::path tmp =
      dir / ("." + path.filename().string() + ".tmp-" + random_suffix());
  const mode_t perms = mode == FileMode::kPrivate ? 0600 : 0644;
  Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, perms));
  if (fd.get() < 0) return io_error("cannot create", tmp);
  const auto fail = [&](std::string_view what, const std::filesystem::path& p) {
    auto err = io_error(what, p);
    ::unlink(tmp.c_str());
    return err;
  };
  if (::fchmod(fd.get(), perms) != 0) return fail("cannot set mode of", tmp);
  std::size_t written = 0;
  while (written < data.size()) {
    const ssize_t n = ::write(fd.get(), data.data() + written, data.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail("cannot write", tmp);
    }
    written += static_cast<std::size_t>(n);
  }
  if (::fsync(fd.get()) != 0) return fail("cannot fsync", tmp);
  if (::close(fd.release()) != 0) return fail("cannot close", tmp);
  if (::rename(tmp.c_str(), path.c_str()) != 0) return fail("cannot rename onto", path);
  return fsync_dir(dir);
}

// NOLINTNEXTLINE(misc-no-recursion): one level per component of a path the caller names
Status ensure_private_dir(const std::filesystem::path& dir) {
  std::error_code ec;
  if (std::filesystem::exists(dir, ec)) {
    if (!std::filesystem::is_directory(dir, ec)) {
      return make_error(ErrorCode::kIo, dir.string() + " exists and is not a directory");
    }
    return ok();
  }
  if (dir.has_parent_path() && dir.parent_path() != dir) {
    DSS_TRY_STATUS(ensure_private_dir(dir.parent_path()));
  }
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) return io_error("cannot create", dir);
  return ok();
}

Status remove_file_durable(const std::filesystem::path& path) {
  if (::unlink(path.c_str()) != 0) {
    if (errno == ENOENT) return ok();
    return io_error("cannot remove", path);
  }
  return fsync_dir(path.parent_path());
}

Result<DirLock> DirLock::acquire(const std::filesystem::path& dir) {
  const std::filesystem::path lock = dir / ".lock";
  Fd fd(::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (fd.get() < 0) return io_error("cannot open lock file", lock);
  if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) {
      return make_error(
          ErrorCode::kFailedPrecondition,
          "another dss process is using " + dir.string() + "; wait for it to finish and try again");
    }
    return io_error("cannot lock", lock);
  }
  return DirLock(fd.release());
}

DirLock::DirLock(DirLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
DirLock& DirLock::operator=(DirLock&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}
DirLock::~DirLock() {
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace dss::platform
