// Where the client keeps trusted metadata. Only bytes the TrustedSet accepted are stored, and
// they are stored exactly as received. Roles are named "root", "timestamp", "snapshot",
// "targets" or a delegated role name; the directory store names files
// `<percent-encoded role>.json`, so every role maps to exactly one file directly in the
// directory and no name can escape it.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"

namespace dss::client {

class MetadataStore {
 public:
  virtual ~MetadataStore() = default;
  // std::nullopt when nothing is stored for `role`.
  virtual Result<std::optional<std::string>> load(std::string_view role,
                                                  std::uint64_t max_bytes) = 0;
  // Atomic and durable: after a crash the old bytes or the new bytes are stored, never a mix.
  virtual Status store(std::string_view role, std::string_view bytes) = 0;
};

class DirectoryMetadataStore final : public MetadataStore {
 public:
  // Creates `dir` (0700) if missing.
  static Result<DirectoryMetadataStore> open(std::filesystem::path dir);
  Result<std::optional<std::string>> load(std::string_view role, std::uint64_t max_bytes) override;
  Status store(std::string_view role, std::string_view bytes) override;
  [[nodiscard]] std::filesystem::path path_for(std::string_view role) const;

 private:
  explicit DirectoryMetadataStore(std::filesystem::path dir) : dir_(std::move(dir)) {}
  std::filesystem::path dir_;
};

}  // namespace dss::client
