#include "client/metadata_store.h"

#include "core/url.h"
#include "platform/files.h"

namespace dss::client {

Result<DirectoryMetadataStore> DirectoryMetadataStore::open(std::filesystem::path dir) {
  DSS_TRY_STATUS(platform::ensure_private_dir(dir));
  return DirectoryMetadataStore(std::move(dir));
}

std::filesystem::path DirectoryMetadataStore::path_for(std::string_view role) const {
  return dir_ / (percent_encode(role) + ".json");
}

Result<std::optional<std::string>> DirectoryMetadataStore::load(std::string_view role,
                                                                std::uint64_t max_bytes) {
  auto text = platform::read_text_file(path_for(role), max_bytes);
  if (!text) {
    if (text.error().code == ErrorCode::kNotFound) return std::optional<std::string>();
    return tl::unexpected(std::move(text).error());
  }
  return std::optional<std::string>(std::move(*text));
}

Status DirectoryMetadataStore::store(std::string_view role, std::string_view bytes) {
  return platform::write_file_atomic(path_for(role), bytes, platform::FileMode::kPrivate);
}

}  // namespace dss::client
