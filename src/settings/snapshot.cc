#include "settings/snapshot.h"

#include "settings/chime.h"

namespace dss::settings {

Snapshot::Snapshot(const SettingsState& state)
    : state_(state), effective_(resolve(state)), chime_(chime_header_value(state)) {}

const Effective& Snapshot::find(std::string_view name) const {
  for (const Effective& e : effective_) {
    if (e.declaration->key == name) return e;
  }
  check_failed("a settings key constant names no declared setting", __FILE__, __LINE__);
}

}  // namespace dss::settings
