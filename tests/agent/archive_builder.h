// Test helpers: release archives built in the test with libarchive's writer (nothing binary is
// checked in), and a fingerprint of a whole folder tree for "byte-for-byte unchanged" checks.
#pragma once

#include <archive.h>
#include <archive_entry.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "crypto/hash.h"
#include "fakes/temp_dir.h"

namespace dss::testing {

struct ArchiveEntry {
  enum class Kind { kFile, kDir, kSymlink, kHardlink, kFifo, kCharDevice };
  std::string path;
  Kind kind = Kind::kFile;
  std::string content;  // file content, or the link target
  unsigned mode = 0644;
};

inline ArchiveEntry file(std::string path, std::string content, unsigned mode = 0644) {
  return {std::move(path), ArchiveEntry::Kind::kFile, std::move(content), mode};
}

// tar compressed with zstd (or uncompressed with `zstd` false), in memory.
inline std::string build_archive(const std::vector<ArchiveEntry>& entries, bool zstd = true) {
  std::string out;
  struct archive* a = archive_write_new();
  archive_write_set_format_pax_restricted(a);
  if (zstd) archive_write_add_filter_zstd(a);
  archive_write_set_bytes_in_last_block(a, 1);
  archive_write_open(
      a, &out, nullptr,
      [](struct archive*, void* user, const void* buf, size_t n) -> la_ssize_t {
        static_cast<std::string*>(user)->append(static_cast<const char*>(buf), n);
        return static_cast<la_ssize_t>(n);
      },
      nullptr);
  for (const auto& e : entries) {
    struct archive_entry* en = archive_entry_new();
    archive_entry_set_pathname(en, e.path.c_str());
    archive_entry_set_perm(en, static_cast<mode_t>(e.mode));
    switch (e.kind) {
      case ArchiveEntry::Kind::kFile:
        archive_entry_set_filetype(en, AE_IFREG);
        archive_entry_set_size(en, static_cast<la_int64_t>(e.content.size()));
        break;
      case ArchiveEntry::Kind::kDir:
        archive_entry_set_filetype(en, AE_IFDIR);
        break;
      case ArchiveEntry::Kind::kSymlink:
        archive_entry_set_filetype(en, AE_IFLNK);
        archive_entry_set_symlink(en, e.content.c_str());
        break;
      case ArchiveEntry::Kind::kHardlink:
        archive_entry_set_filetype(en, AE_IFREG);
        archive_entry_set_hardlink(en, e.content.c_str());
        archive_entry_set_size(en, 0);
        break;
      case ArchiveEntry::Kind::kFifo:
        archive_entry_set_filetype(en, AE_IFIFO);
        break;
      case ArchiveEntry::Kind::kCharDevice:
        archive_entry_set_filetype(en, AE_IFCHR);
        archive_entry_set_rdev(en, makedev(1, 3));
        break;
    }
    archive_write_header(a, en);
    if (e.kind == ArchiveEntry::Kind::kFile && !e.content.empty()) {
      archive_write_data(a, e.content.data(), e.content.size());
    }
    archive_entry_free(en);
  }
  archive_write_close(a);
  archive_write_free(a);
  return out;
}

inline void write_bytes(const std::filesystem::path& p, const std::string& s) {
  std::ofstream(p, std::ios::binary | std::ios::trunc) << s;
}

// Every entry under `root` (type, permission bits, content hash or link target), by path.
inline std::map<std::string, std::string> tree_fingerprint(const std::filesystem::path& root) {
  namespace fs = std::filesystem;
  std::map<std::string, std::string> out;
  std::error_code ec;
  if (!fs::exists(fs::symlink_status(root, ec))) return out;
  for (auto it = fs::recursive_directory_iterator(root, ec);
       it != fs::recursive_directory_iterator(); it.increment(ec)) {
    const fs::path p = it->path();
    struct stat st {};
    ::lstat(p.c_str(), &st);
    std::string v = std::to_string(st.st_mode);
    if (S_ISLNK(st.st_mode)) {
      v += " -> " + fs::read_symlink(p, ec).string();
    } else if (S_ISREG(st.st_mode)) {
      const std::string data = dss::testing::slurp(p);
      v += " " + crypto::sha256_hex(data);
    }
    out[fs::relative(p, root, ec).string()] = v;
  }
  return out;
}

}  // namespace dss::testing
