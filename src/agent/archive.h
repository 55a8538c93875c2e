// Safe extraction of release archives (tar compressed with zstd, read with libarchive).
//
// Guarantees: the archive is extracted into a new directory `dest`, and nothing is ever
// written outside it. An archive is refused as a whole (kArchiveRefused), and `dest` removed,
// when any entry
//   - has an absolute path, a ".." component, or a path through a symlink;
//   - is a symlink whose target is absolute, leaves `dest`, or has ".." after a name (".."
//     only leads, so the check on the text is the check on the real path);
//   - is a hard link to anything but a regular file extracted earlier from the same archive;
//   - is a device, FIFO or socket, or carries the setuid or setgid bit;
//   - names a file that already exists (duplicate entries);
// or when the stream is not zstd-compressed tar. More file bytes or entries than `limits`
// allow is kArchiveTooLarge; the limit is checked on the bytes actually written, not on the
// sizes the headers claim. File modes keep only 0755 (no group/other write, no sticky bit);
// owners and times are not restored. On success every file is on disk (syncfs) before return.
#pragma once

#include <cstdint>
#include <filesystem>

#include "core/bytes.h"
#include "core/result.h"

namespace dss::agent {

struct ArchiveLimits {
  std::uint64_t max_bytes = 0;    // total bytes of regular files
  std::uint64_t max_entries = 0;  // headers of every kind
};

struct ExtractStats {
  std::uint64_t bytes = 0;
  std::uint64_t entries = 0;
};

// `dest` must not exist; its parent must. Errors: kArchiveRefused, kArchiveTooLarge,
// kMalformed (a corrupt or truncated stream), kIo.
Result<ExtractStats> extract_tar_zst(const std::filesystem::path& archive,
                                     const std::filesystem::path& dest,
                                     const ArchiveLimits& limits);
// The same from memory (the fuzz target uses it).
Result<ExtractStats> extract_tar_zst_memory(ByteView data, const std::filesystem::path& dest,
                                            const ArchiveLimits& limits);

}  // namespace dss::agent
