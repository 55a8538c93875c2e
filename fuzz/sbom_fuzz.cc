// Fuzzes SBOM checking (schema validation with the vendored schemas, NTIA checks) with arbitrary
// bytes. Contract checked beyond "no crash": an accepted SBOM has a subject with a name, a
// version, a supplier and an identifier, an author and a timestamp, and every component has
// all four NTIA fields.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "sbom/sbom.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  const auto r = dss::sbom::check(in);
  if (!r) return 0;
  const auto complete = [](const dss::sbom::Component& c) {
    return !c.name.empty() && !c.version.empty() && !c.supplier.empty() && !c.id.empty();
  };
  if (!complete(r->subject) || r->author.empty() || r->timestamp.empty()) std::abort();
  for (const auto& c : r->components) {
    if (!complete(c)) std::abort();
  }
  return 0;
}
