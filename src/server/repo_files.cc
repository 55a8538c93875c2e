#include "server/repo_files.h"

#include <sys/stat.h>

#include "crypto/hash.h"
#include "platform/files.h"

namespace dss::server {

namespace {

constexpr std::uint64_t kMaxCachedFile = 16ull * 1024 * 1024;
constexpr std::size_t kMaxCachedFiles = 4096;

bool is_transparency_file(std::string_view rel) {
  return rel == "transparency/checkpoint" || rel.starts_with("transparency/entries/") ||
         rel.starts_with("transparency/consistency/");
}

// Only metadata/, targets/ and the published transparency files; plain names of
// [A-Za-z0-9._+-], no empty, dot or hidden segments.
bool servable_name(std::string_view rel) {
  if (rel.size() >= 1024) return false;
  if (!rel.starts_with("metadata/") && !rel.starts_with("targets/") && !is_transparency_file(rel)) {
    return false;
  }
  std::size_t start = 0;
  while (start <= rel.size()) {
    const std::size_t slash = rel.find('/', start);
    const std::string_view seg =
        rel.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (seg.empty() || seg.front() == '.') return false;  // also "." and ".."
    for (const char c : seg) {
      const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '.' || c == '-' || c == '_' || c == '+';
      if (!ok) return false;
    }
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return true;
}

}  // namespace

RepoFiles::RepoFiles(const std::filesystem::path& repo_dir) : dir_(repo_dir) {
  std::error_code ec;
  if (!dir_.empty()) root_ = std::filesystem::canonical(dir_, ec);
  if (ec) root_.clear();
}

tl::expected<Response, RepoFiles::Refusal> RepoFiles::serve(const Request& req,
                                                            std::string_view rel) {
  if (dir_.empty()) {
    return tl::unexpected(Refusal{http::status::not_found, "this server serves no repository"});
  }
  const Refusal missing{http::status::not_found, "no such repository file"};
  if (!servable_name(rel)) return tl::unexpected(missing);
  auto file = cached_file(dir_ / std::string(rel));
  if (!file) return tl::unexpected(missing);
  Response res{http::status::ok, req.version()};
  res.set(http::field::content_type,
          rel.ends_with(".json") ? "application/json" : "application/octet-stream");
  // timestamp.json changes every few minutes and the transparency files at every append;
  // versioned files (consistent snapshots, targets by hash) never change.
  const bool mutable_name = rel == "metadata/timestamp.json" || rel == "metadata/root.json" ||
                            rel == "metadata/snapshot.json" || rel == "metadata/targets.json" ||
                            is_transparency_file(rel);
  res.set(http::field::cache_control, mutable_name ? "public, max-age=60, must-revalidate"
                                                   : "public, max-age=31536000, immutable");
  res.set(http::field::etag, file->etag);
  if (const auto inm = req.find(http::field::if_none_match);
      inm != req.end() && inm->value() == file->etag) {
    res.result(http::status::not_modified);
    return res;
  }
  if (req.method() == http::verb::head) {
    res.content_length(file->size);
    return res;
  }
  res.body() = file->body;
  return res;
}

std::shared_ptr<const RepoFiles::CachedFile> RepoFiles::cached_file(
    const std::filesystem::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode) ||
      static_cast<std::uint64_t>(st.st_size) > kMaxCachedFile) {
    return nullptr;
  }
  const std::int64_t mtime_ns =
      static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    const auto it = cache_.find(path.string());
    if (it != cache_.end() && it->second->mtime_ns == mtime_ns &&
        it->second->size == static_cast<std::uint64_t>(st.st_size) &&
        it->second->inode == st.st_ino) {
      return it->second;  // the very file that passed the check below when it was cached
    }
  }
  // No symlinks out of the served part: the canonical path must stay under the repository's
  // metadata/, targets/ or published transparency files (its keys/ directory, say, is never
  // served).
  std::error_code ec;
  const std::string canon = std::filesystem::canonical(path, ec).string();
  const std::string root = root_.string();
  if (ec || root_.empty() || !canon.starts_with(root + "/") ||
      !servable_name(std::string_view(canon).substr(root.size() + 1))) {
    return nullptr;
  }
  auto text = platform::read_text_file(canon, kMaxCachedFile);
  if (!text) return nullptr;
  auto entry = std::make_shared<CachedFile>();
  entry->body = std::move(*text);
  entry->mtime_ns = mtime_ns;
  entry->size = entry->body.size();
  entry->inode = st.st_ino;
  // A strong validator from the content alone: the same bytes give the same tag after a copy
  // or a restore, and the tag reveals no inode or modification time.
  entry->etag = "\"" + crypto::sha256_hex(entry->body) + "\"";
  const std::lock_guard<std::mutex> lock(mutex_);
  if (cache_.size() > kMaxCachedFiles) cache_.clear();
  cache_[path.string()] = entry;
  return entry;
}

}  // namespace dss::server
