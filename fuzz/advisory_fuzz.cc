// Fuzzes advisory parsing (OSV and CSAF 2.0) with arbitrary bytes. Contracts beyond "no crash":
// an accepted advisory has an id, a CWE, a CVSS vector and, in every range, parseable versions
// with introduced < fixed; its published OSV form parses back to the same document.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "advisory/advisory.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  const auto a = dss::advisory::parse(in);
  if (!a) return 0;
  if (a->id.empty() || a->cwes.empty() || a->cvss_vector.empty() || a->affected.empty())
    std::abort();
  for (const auto& af : a->affected) {
    for (const auto& r : af.ranges) {
      const auto i = dss::Version::parse(r.introduced);
      const auto f = dss::Version::parse(r.fixed);
      if (!i || !f || !(*i < *f)) std::abort();
    }
  }
  const std::string osv = dss::advisory::to_osv(*a);
  const auto again = dss::advisory::parse_osv(osv);
  if (!again || dss::advisory::to_osv(*again) != osv) std::abort();
  return 0;
}
