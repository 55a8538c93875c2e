#include "agent/transparency_client.h"

#include <optional>
#include <utility>

#include "agent/transparency_state.h"
#include "core/bytes.h"
#include "platform/files.h"

namespace dss::agent {

namespace fs = std::filesystem;

namespace {

constexpr std::uint64_t kMaxLogFileBytes = 64ull * 1024;
constexpr std::string_view kLogTarget = "transparency/log.json";

}  // namespace

TransparencyClient::TransparencyClient(fs::path agent_dir, const std::string& repo_url,
                                       net::Fetcher& fetcher)
    : agent_dir_(std::move(agent_dir)),
      base_url_(repo_url + (repo_url.ends_with("/") ? "" : "/") + "transparency/"),
      fetcher_(&fetcher) {}

fs::path TransparencyClient::kept_checkpoint_path() const {
  return agent_dir_ / "transparency-checkpoint";
}

Result<std::string> TransparencyClient::fetch(const std::string& rel) {
  DSS_TRY(Bytes b, fetcher_->fetch(base_url_ + rel, kMaxLogFileBytes));
  return std::string(as_chars(ByteView(b.data(), b.size())));
}

Status TransparencyClient::check(client::Updater& updater, const std::string& kind,
                                 const std::string& sha256, std::string& note) {
  auto kept = platform::read_text_file(kept_checkpoint_path(), kMaxLogFileBytes);
  if (!kept && kept.error().code != ErrorCode::kNotFound) return tl::unexpected(kept.error());
  // The same signature schemes as the TUF metadata (crypto.allowed_signature_algorithms).
  TransparencyState state(kept ? std::optional<std::string>(std::move(*kept)) : std::nullopt,
                          updater.allowed_schemes());
  auto info = updater.get_target_info(std::string(kLogTarget));
  if (!info) {
    if (info.error().code != ErrorCode::kTargetNotFound) return tl::unexpected(info.error());
    DSS_TRY_STATUS(state.accept_no_log());
    note += "; WARNING: the repository publishes no transparency log, so the " + kind +
            " was not checked against one";
    return ok();
  }
  if (info->file.length > kMaxLogFileBytes) {
    return make_error(ErrorCode::kDownloadTooLarge, "transparency/log.json is too large");
  }
  const fs::path key_file = agent_dir_ / "transparency-log.json";
  DSS_TRY_STATUS(updater.download_target(*info, key_file));
  DSS_TRY(std::string key_text, platform::read_text_file(key_file, kMaxLogFileBytes));
  DSS_TRY_STATUS(state.trust_log(key_text));
  DSS_TRY_STATUS(TransparencyState::require_hash(kind, sha256));
  // A publisher appending between our reads makes the entry newer than the checkpoint: read
  // the checkpoint once more then.
  for (int attempt = 0;; ++attempt) {
    auto checkpoint = fetch("checkpoint");
    if (!checkpoint) {
      if (checkpoint.error().code == ErrorCode::kNotFound) {
        return make_error(ErrorCode::kTransparencyLogMissing,
                          "the repository names a transparency log but serves no checkpoint");
      }
      return tl::unexpected(checkpoint.error());
    }
    DSS_TRY(std::optional<std::uint64_t> from, state.consistency_needed(*checkpoint));
    std::optional<std::string> proof;
    if (from) {
      auto p = fetch("consistency/" + std::to_string(*from) + ".json");
      if (p) {
        proof = std::move(*p);
      } else if (p.error().code != ErrorCode::kNotFound) {
        return tl::unexpected(p.error());
      }
    }
    DSS_TRY_STATUS(state.update_checkpoint(*checkpoint, proof));
    // The new checkpoint extends what we knew: keep it, so a later fork is caught against it.
    DSS_TRY_STATUS(platform::write_file_atomic(kept_checkpoint_path(), *checkpoint,
                                               platform::FileMode::kPrivate));
    auto entry = fetch("entries/" + sha256 + ".json");
    if (!entry) {
      if (entry.error().code == ErrorCode::kNotFound) {
        return make_error(ErrorCode::kNotInTransparencyLog,
                          "the " + kind + " (SHA-256 " + sha256 +
                              ") is not in the repository's transparency log");
      }
      return tl::unexpected(entry.error());
    }
    std::uint64_t newer = 0;
    auto included = state.check_entry(*entry, kind, sha256, &newer);
    if (!included && newer > 0 && attempt == 0) continue;
    if (included) {
      note +=
          "; in transparency log " + state.origin() + " at size " + std::to_string(state.size());
    }
    return included;
  }
}

}  // namespace dss::agent
