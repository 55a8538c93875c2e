// Fuzzes canonical JSON: canonicalising must be idempotent on anything it accepts.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/json.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  // The fast canonical-text scan may only claim what canonicalisation confirms.
  if (dss::json::is_canonical_text(text)) {
    auto c = dss::json::canonicalize(text);
    if (c && *c != text) __builtin_trap();
  }
  auto first = dss::json::canonicalize(text);
  if (!first) return 0;
  auto second = dss::json::canonicalize(dss::json::escape_control_characters(*first));
  if (!second || *second != *first) __builtin_trap();
  return 0;
}
