// Fuzzes the two untrusted settings inputs: the settings file and the policy bundle. Anything
// either parser accepts must serialise and parse back to the same thing, and resolving an
// accepted settings file must not crash.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "settings/chime.h"
#include "settings/state.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto s = dss::settings::parse_settings(text)) {
    const std::string once = dss::settings::serialize_settings(*s);
    auto again = dss::settings::parse_settings(once);
    if (!again || dss::settings::serialize_settings(*again) != once) __builtin_trap();
    (void)dss::settings::chime_header_value(*s);
  }
  if (auto b = dss::settings::parse_policy_bundle(text)) {
    const std::string once = dss::settings::serialize_policy_bundle(*b);
    auto again = dss::settings::parse_policy_bundle(once);
    if (!again || dss::settings::serialize_policy_bundle(*again) != once) __builtin_trap();
  }
  return 0;
}
