#include "agent/archive.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <set>
#include <string>
#include <system_error>
#include <vector>

#include "agent/fault.h"
#include "platform/files.h"

namespace dss::agent {

namespace fs = std::filesystem;

namespace {

constexpr std::size_t kMaxPathBytes = 4096;
constexpr std::size_t kMaxDepth = 64;

tl::unexpected<Error> refused(const std::string& entry, std::string_view why) {
  return make_error(ErrorCode::kArchiveRefused,
                    "the release archive was refused: entry \"" + entry + "\" " + std::string(why) +
                        "; nothing was installed. Ask the provider for a "
                        "corrected release.");
}

// Splits a relative entry path into its components: "." and empty components are dropped,
// ".." and absolute paths are refused.
Result<std::vector<std::string>> split_entry_path(const std::string& path) {
  if (path.empty()) return refused(path, "has an empty name");
  if (path.size() > kMaxPathBytes)
    return refused(path.substr(0, 64), "has a name that is too long");
  if (path.front() == '/') return refused(path, "has an absolute path");
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    std::string part = path.substr(start, end - start);
    if (part == "..") return refused(path, "climbs out of the install folder with \"..\"");
    if (!part.empty() && part != ".") out.push_back(std::move(part));
    start = end + 1;
  }
  if (out.size() > kMaxDepth) return refused(path, "is nested too deeply");
  return out;
}

std::string join(const std::vector<std::string>& parts, std::size_t n) {
  std::string s;
  for (std::size_t i = 0; i < n; ++i) {
    if (i > 0) s += '/';
    s += parts[i];
  }
  return s;
}

class Extractor {
 public:
  Extractor(struct archive* a, const fs::path& dest, const ArchiveLimits& limits)
      : a_(a), dest_(dest), limits_(limits) {}

  Result<ExtractStats> run() {
    if (::mkdir(dest_.c_str(), 0755) != 0) return platform::io_error("cannot create", dest_);
    root_ = platform::Fd(::open(dest_.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (root_.get() < 0) return platform::io_error("cannot open", dest_);
    for (;;) {
      struct archive_entry* entry = nullptr;
      const int r = archive_read_next_header(a_, &entry);
      if (r == ARCHIVE_EOF) break;
      if (r != ARCHIVE_OK) return malformed();
      if (stats_.entries == 0 && archive_filter_code(a_, 0) != ARCHIVE_FILTER_ZSTD) {
        return make_error(ErrorCode::kArchiveRefused,
                          "the release is not a zstd-compressed tar archive; nothing was "
                          "installed");
      }
      if (++stats_.entries > limits_.max_entries) {
        return make_error(ErrorCode::kArchiveTooLarge,
                          "the release archive has more than the " +
                              std::to_string(limits_.max_entries) +
                              " entries its signed metadata declares (archive bomb defence); "
                              "nothing was installed");
      }
      DSS_TRY_STATUS(extract_one(entry));
      DSS_FAULT_POINT("extract_entry");
    }
    if (::syncfs(root_.get()) != 0) return platform::io_error("cannot sync", dest_);
    return stats_;
  }

 private:
  tl::unexpected<Error> malformed() {
    const char* why = archive_error_string(a_);
    return make_error(ErrorCode::kMalformed,
                      std::string("the release archive is corrupt or cut short: ") +
                          (why != nullptr ? why : "unknown error") + "; nothing was installed");
  }

  // Opens (creating as needed) the directory holding the last component, never following a
  // symlink on the way.
  Result<int> parent_dir(const std::vector<std::string>& parts, const std::string& name) {
    const std::string key = join(parts, parts.size() - 1);
    if (parent_fd_.get() >= 0 && key == parent_key_) return parent_fd_.get();
    platform::Fd cur(::dup(root_.get()));
    for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
      if (::mkdirat(cur.get(), parts[i].c_str(), 0755) != 0 && errno != EEXIST) {
        return platform::io_error("cannot create folder for", dest_ / name);
      }
      platform::Fd next(
          ::openat(cur.get(), parts[i].c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (next.get() < 0) {
        if (errno == ELOOP || errno == ENOTDIR) {
          return refused(name, "has a path that goes through a symlink or a file");
        }
        return platform::io_error("cannot open folder for", dest_ / name);
      }
      cur = std::move(next);
    }
    parent_fd_ = std::move(cur);
    parent_key_ = key;
    return parent_fd_.get();
  }

  Status extract_one(struct archive_entry* entry) {
    const char* raw = archive_entry_pathname(entry);
    if (raw == nullptr) return refused("?", "has a name that is not valid text");
    const std::string name(raw);
    DSS_TRY(std::vector<std::string> parts, split_entry_path(name));
    const mode_t perm = archive_entry_perm(entry);
    if ((perm & (S_ISUID | S_ISGID)) != 0) return refused(name, "has the setuid or setgid bit");
    const mode_t mode = static_cast<mode_t>(perm & 0755);
    const char* hardlink = archive_entry_hardlink(entry);
    const mode_t type = archive_entry_filetype(entry);

    if (parts.empty()) {  // "./": the root itself
      if (type == AE_IFDIR && hardlink == nullptr) return ok();
      return refused(name, "names the install folder itself");
    }
    if (hardlink != nullptr) return link_entry(name, parts, hardlink);
    switch (type) {
      case AE_IFDIR: {
        DSS_TRY(int dir, parent_dir(parts, name));
        if (::mkdirat(dir, parts.back().c_str(), 0755) != 0 && errno != EEXIST) {
          return platform::io_error("cannot create", dest_ / name);
        }
        struct stat st {};
        if (::fstatat(dir, parts.back().c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 ||
            !S_ISDIR(st.st_mode)) {
          return refused(name, "is a folder whose name is already used by a file or link");
        }
        return ok();
      }
      case AE_IFLNK:
        return symlink_entry(name, parts, entry);
      case AE_IFREG:
        return file_entry(name, parts, entry, mode);
      case AE_IFCHR:
      case AE_IFBLK:
        return refused(name, "is a device file");
      case AE_IFIFO:
        return refused(name, "is a FIFO");
      case AE_IFSOCK:
        return refused(name, "is a socket");
      default:
        return refused(name, "has an unknown file type");
    }
  }

  Status symlink_entry(const std::string& name, const std::vector<std::string>& parts,
                       struct archive_entry* entry) {
    const char* raw_target = archive_entry_symlink(entry);
    if (raw_target == nullptr || *raw_target == '\0')
      return refused(name, "is a symlink to nothing");
    const std::string target(raw_target);
    if (target.front() == '/') return refused(name, "is a symlink to an absolute path");
    if (target.size() > kMaxPathBytes) return refused(name, "is a symlink with a too long target");
    // Resolved from the link's folder, which is a real folder (paths never go through a
    // symlink). ".." may only lead the target: after a name, which may itself be a symlink,
    // ".." would climb from wherever that link points, which a lexical check cannot see.
    // With leading ".." only, each link stays inside by induction over the links it uses.
    std::size_t depth = parts.size() - 1;
    bool descended = false;
    std::size_t start = 0;
    while (start <= target.size()) {
      std::size_t end = target.find('/', start);
      if (end == std::string::npos) end = target.size();
      const std::string part = target.substr(start, end - start);
      if (part == "..") {
        if (descended) return refused(name, "is a symlink with \"..\" after a name in its target");
        if (depth == 0) return refused(name, "is a symlink pointing outside the install folder");
        --depth;
      } else if (!part.empty() && part != ".") {
        descended = true;
      }
      start = end + 1;
    }
    DSS_TRY(int dir, parent_dir(parts, name));
    if (::symlinkat(target.c_str(), dir, parts.back().c_str()) != 0) {
      if (errno == EEXIST) return refused(name, "appears twice");
      return platform::io_error("cannot create symlink", dest_ / name);
    }
    return ok();
  }

  Status link_entry(const std::string& name, const std::vector<std::string>& parts,
                    const char* raw_target) {
    const std::string target(raw_target);
    auto tparts = split_entry_path(target);
    if (!tparts || tparts->empty()) {
      return refused(name, "is a hard link pointing outside the install folder");
    }
    const std::string key = join(*tparts, tparts->size());
    if (!regular_files_.contains(key)) {
      return refused(name, "is a hard link to something that is not a file extracted earlier");
    }
    // Both ends are opened without following symlinks.
    DSS_TRY(int tdir_shared, parent_dir(*tparts, target));
    platform::Fd tdir(::dup(tdir_shared));
    DSS_TRY(int dir, parent_dir(parts, name));
    if (::linkat(tdir.get(), tparts->back().c_str(), dir, parts.back().c_str(), 0) != 0) {
      if (errno == EEXIST) return refused(name, "appears twice");
      return platform::io_error("cannot create hard link", dest_ / name);
    }
    return ok();
  }

  Status file_entry(const std::string& name, const std::vector<std::string>& parts,
                    struct archive_entry* entry, mode_t mode) {
    if (archive_entry_size_is_set(entry) != 0 &&
        static_cast<std::uint64_t>(archive_entry_size(entry)) > limits_.max_bytes - stats_.bytes) {
      return too_large();
    }
    DSS_TRY(int dir, parent_dir(parts, name));
    platform::Fd fd(::openat(dir, parts.back().c_str(),
                             O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (fd.get() < 0) {
      if (errno == EEXIST) return refused(name, "appears twice");
      return platform::io_error("cannot create", dest_ / name);
    }
    std::uint64_t file_size = 0;
    for (;;) {
      const void* buf = nullptr;
      std::size_t size = 0;
      la_int64_t offset = 0;
      const int r = archive_read_data_block(a_, &buf, &size, &offset);
      if (r == ARCHIVE_EOF) break;
      if (r != ARCHIVE_OK) return malformed();
      if (offset < 0) return malformed();
      const auto end = static_cast<std::uint64_t>(offset) + size;
      if (end > file_size) {
        if (end - file_size > limits_.max_bytes - stats_.bytes) return too_large();
        stats_.bytes += end - file_size;
        file_size = end;
      }
      const auto* p = static_cast<const char*>(buf);
      std::size_t done = 0;
      while (done < size) {
        const ssize_t n = ::pwrite(fd.get(), p + done, size - done,
                                   static_cast<off_t>(offset) + static_cast<off_t>(done));
        if (n < 0) {
          if (errno == EINTR) continue;
          return platform::io_error("cannot write", dest_ / name);
        }
        done += static_cast<std::size_t>(n);
      }
    }
    if (::ftruncate(fd.get(), static_cast<off_t>(file_size)) != 0 ||
        ::fchmod(fd.get(), mode) != 0) {
      return platform::io_error("cannot finish", dest_ / name);
    }
    regular_files_.insert(join(parts, parts.size()));
    return ok();
  }

  tl::unexpected<Error> too_large() {
    return make_error(ErrorCode::kArchiveTooLarge,
                      "the release archive holds more than the " +
                          std::to_string(limits_.max_bytes) +
                          " bytes its signed metadata declares (archive bomb defence); nothing "
                          "was installed");
  }

  struct archive* a_;
  fs::path dest_;
  ArchiveLimits limits_;
  platform::Fd root_;
  platform::Fd parent_fd_;
  std::string parent_key_ = "\n";  // never a real key
  std::set<std::string> regular_files_;
  ExtractStats stats_;
};

struct ArchiveReader {
  struct archive* a = archive_read_new();
  ~ArchiveReader() { archive_read_free(a); }
  ArchiveReader() {
    archive_read_support_filter_zstd(a);
    archive_read_support_format_tar(a);
  }
  ArchiveReader(const ArchiveReader&) = delete;
  ArchiveReader& operator=(const ArchiveReader&) = delete;
};

Result<ExtractStats> extract(struct archive* a, const fs::path& dest, const ArchiveLimits& limits) {
  Extractor x(a, dest, limits);
  auto r = x.run();
  if (!r) {
    std::error_code ec;
    fs::remove_all(dest, ec);  // what was written stays inside dest; remove it all
  }
  return r;
}

}  // namespace

Result<ExtractStats> extract_tar_zst(const fs::path& archive, const fs::path& dest,
                                     const ArchiveLimits& limits) {
  platform::Fd fd(::open(archive.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return platform::io_error("cannot open", archive);
  ArchiveReader reader;
  if (archive_read_open_fd(reader.a, fd.get(), 1 << 20) != ARCHIVE_OK) {
    const char* why = archive_error_string(reader.a);
    return make_error(ErrorCode::kMalformed, std::string("the release archive cannot be read: ") +
                                                 (why != nullptr ? why : "unknown error"));
  }
  return extract(reader.a, dest, limits);
}

Result<ExtractStats> extract_tar_zst_memory(ByteView data, const fs::path& dest,
                                            const ArchiveLimits& limits) {
  ArchiveReader reader;
  if (archive_read_open_memory(reader.a, data.data(), data.size()) != ARCHIVE_OK) {
    const char* why = archive_error_string(reader.a);
    return make_error(ErrorCode::kMalformed, std::string("the release archive cannot be read: ") +
                                                 (why != nullptr ? why : "unknown error"));
  }
  return extract(reader.a, dest, limits);
}

}  // namespace dss::agent
