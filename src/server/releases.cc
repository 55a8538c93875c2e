#include "server/releases.h"

#include <charconv>
#include <optional>

#include "crypto/hash.h"
#include "platform/files.h"
#include "repo/repository.h"

namespace dss::server {

Result<std::vector<ReleaseInfo>> read_targets(const std::filesystem::path& repo_dir,
                                              UnixSeconds now,
                                              const crypto::AllowedSchemes& allowed) {
  // The client's verified path (repo::read_published_targets: TrustedSet and the delegation
  // search), so the server lists exactly what a device would trust, delegated releases
  // included, and an unsigned, truncated or hostile file is an error rather than a list.
  DSS_TRY(const std::vector<repo::PublishedTarget> published,
          repo::read_published_targets(repo_dir, now, allowed));
  std::vector<ReleaseInfo> out;
  out.reserve(published.size());
  for (const repo::PublishedTarget& t : published) {
    ReleaseInfo r;
    r.path = t.path;
    r.length = t.file.length;
    if (const auto sha = t.file.hashes.find("sha256"); sha != t.file.hashes.end()) {
      r.sha256 = sha->second;
    }
    if (!t.file.custom.empty()) {
      // Canonical JSON the trusted set already parsed; an object or nothing.
      auto custom = nlohmann::json::parse(t.file.custom, nullptr, false);
      if (custom.is_object()) r.custom = std::move(custom);
    }
    const nlohmann::json& custom = r.custom;
    const auto dss_it = custom.find("dss");
    const nlohmann::json dss =
        dss_it != custom.end() && dss_it->is_object() ? *dss_it : nlohmann::json::object();
    const auto text = [&](const char* key) -> std::optional<std::string> {
      const auto it = dss.find(key);
      if (it == dss.end() || !it->is_string()) return std::nullopt;
      return it->get<std::string>();
    };
    r.name = text("name").value_or(t.path.substr(0, t.path.find('/')));
    r.version = text("version").value_or("");
    // "<name>/<channel>/<file>" (repo/release.h), unless the metadata names the channel.
    const auto first = t.path.find('/');
    const auto second =
        first == std::string::npos ? std::string::npos : t.path.find('/', first + 1);
    r.channel = text("channel").value_or(
        second != std::string::npos ? t.path.substr(first + 1, second - first - 1) : "stable");
    out.push_back(std::move(r));
  }
  return out;
}

Result<std::vector<ReleaseInfo>> read_releases(const std::filesystem::path& repo_dir,
                                               UnixSeconds now,
                                               const crypto::AllowedSchemes& allowed) {
  DSS_TRY(auto all, read_targets(repo_dir, now, allowed));
  std::erase_if(all, [](const ReleaseInfo& r) { return r.version.empty(); });
  return all;
}

Result<std::string> read_target_file(const std::filesystem::path& repo_dir, const ReleaseInfo& t,
                                     std::uint64_t max_bytes) {
  const std::filesystem::path rel(t.path);
  const auto file =
      repo_dir / "targets" / rel.parent_path() / (t.sha256 + "." + rel.filename().string());
  DSS_TRY(std::string text, platform::read_text_file(file, max_bytes));
  const Bytes digest =
      crypto::sha256(ByteView(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
  if (hex_encode(digest) != t.sha256) {
    return make_error(ErrorCode::kLengthOrHashMismatch,
                      t.path + " in the repository no longer matches its signed hash");
  }
  return text;
}

nlohmann::json release_json(const ReleaseInfo& r) {
  return {{"path", r.path},       {"name", r.name},     {"version", r.version},
          {"channel", r.channel}, {"length", r.length}, {"sha256", r.sha256},
          {"custom", r.custom}};
}

int compare_versions(std::string_view a, std::string_view b) {
  while (!a.empty() || !b.empty()) {
    const auto da = a.find_first_of(".-+");
    const auto db = b.find_first_of(".-+");
    const std::string_view pa = a.substr(0, da);
    const std::string_view pb = b.substr(0, db);
    std::uint64_t na = 0;
    std::uint64_t nb = 0;
    const bool numa = !pa.empty() && std::from_chars(pa.data(), pa.data() + pa.size(), na).ptr ==
                                         pa.data() + pa.size();
    const bool numb = !pb.empty() && std::from_chars(pb.data(), pb.data() + pb.size(), nb).ptr ==
                                         pb.data() + pb.size();
    if (numa && numb) {
      if (na != nb) return na < nb ? -1 : 1;
    } else if (pa != pb) {
      return pa < pb ? -1 : 1;
    }
    a = da == std::string_view::npos ? std::string_view() : a.substr(da + 1);
    b = db == std::string_view::npos ? std::string_view() : b.substr(db + 1);
  }
  return 0;
}

bool is_newest_for_channel(const std::vector<ReleaseInfo>& releases, std::string_view channel,
                           std::string_view installed) {
  std::string newest;
  for (const auto& r : releases) {
    if (r.version.empty() || (!channel.empty() && r.channel != channel)) continue;
    if (newest.empty() || compare_versions(r.version, newest) > 0) newest = r.version;
  }
  return newest.empty() || (!installed.empty() && compare_versions(installed, newest) >= 0);
}

}  // namespace dss::server
