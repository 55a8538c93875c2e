// MetadataStore in memory, with a write log so tests can assert what was (not) stored.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "client/metadata_store.h"

namespace dss::testing {

class MemoryMetadataStore final : public client::MetadataStore {
 public:
  Result<std::optional<std::string>> load(std::string_view role, std::uint64_t) override {
    const auto it = files.find(std::string(role));
    if (it == files.end()) return std::optional<std::string>();
    return std::optional<std::string>(it->second);
  }
  Status store(std::string_view role, std::string_view bytes) override {
    files[std::string(role)] = std::string(bytes);
    writes.emplace_back(role);
    return ok();
  }
  std::map<std::string, std::string> files;
  std::vector<std::string> writes;
};

}  // namespace dss::testing
