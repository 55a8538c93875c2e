#include "server/releases.h"

#include <charconv>

#include "crypto/hash.h"
#include "platform/files.h"

namespace dss::server {

namespace {

constexpr std::uint64_t kMaxMetadata = 32ull * 1024 * 1024;

Result<nlohmann::json> read_json(const std::filesystem::path& file) {
  DSS_TRY(const std::string text, platform::read_text_file(file, kMaxMetadata));
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return make_error(ErrorCode::kMalformed, file.string() + " is not a JSON object");
  }
  return j;
}

Result<std::int64_t> meta_version(const nlohmann::json& doc, const char* role) {
  const auto& meta = doc["signed"]["meta"];
  if (!meta.is_object() || !meta.contains(role) || !meta[role]["version"].is_number_integer()) {
    return make_error(ErrorCode::kMalformed, std::string("no version of ") + role + " listed");
  }
  return meta[role]["version"].get<std::int64_t>();
}

}  // namespace

Result<std::vector<ReleaseInfo>> read_targets(const std::filesystem::path& repo_dir) {
  const std::filesystem::path meta = repo_dir / "metadata";
  DSS_TRY(const auto timestamp, read_json(meta / "timestamp.json"));
  DSS_TRY(const auto snap_v, meta_version(timestamp, "snapshot.json"));
  DSS_TRY(const auto snapshot, read_json(meta / (std::to_string(snap_v) + ".snapshot.json")));
  DSS_TRY(const auto targets_v, meta_version(snapshot, "targets.json"));
  DSS_TRY(const auto targets, read_json(meta / (std::to_string(targets_v) + ".targets.json")));
  std::vector<ReleaseInfo> out;
  const auto& list = targets["signed"]["targets"];
  if (!list.is_object()) return out;
  for (const auto& [path, t] : list.items()) {
    ReleaseInfo r;
    r.path = path;
    if (t["length"].is_number_unsigned()) r.length = t["length"].get<std::uint64_t>();
    if (t["hashes"]["sha256"].is_string()) r.sha256 = t["hashes"]["sha256"].get<std::string>();
    if (t.contains("custom") && t["custom"].is_object()) r.custom = t["custom"];
    const auto& dss = r.custom.contains("dss") ? r.custom["dss"] : nlohmann::json::object();
    r.name = dss.contains("name") && dss["name"].is_string() ? dss["name"].get<std::string>()
                                                             : path.substr(0, path.find('/'));
    if (dss.contains("version") && dss["version"].is_string()) {
      r.version = dss["version"].get<std::string>();
    }
    // "<name>/<channel>/<file>" (repo/release.h), unless the metadata names the channel.
    const auto first = path.find('/');
    const auto second = first == std::string::npos ? std::string::npos : path.find('/', first + 1);
    r.channel = dss.contains("channel") && dss["channel"].is_string()
                    ? dss["channel"].get<std::string>()
                : second != std::string::npos ? path.substr(first + 1, second - first - 1)
                                              : "stable";
    out.push_back(std::move(r));
  }
  return out;
}

Result<std::vector<ReleaseInfo>> read_releases(const std::filesystem::path& repo_dir) {
  DSS_TRY(auto all, read_targets(repo_dir));
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
