// Security advisories: what a provider publishes when a release has a vulnerability, and what
// drives agents to update with no action on the user's side.
//
// Input is OSV JSON (https://ossf.github.io/osv-schema/) or CSAF 2.0 JSON (imported). Whatever
// the input, an advisory is accepted only if it carries:
//   - affected version ranges (OSV "ranges" of type ECOSYSTEM or SEMVER, versions as in
//     core/version.h) for a named package,
//   - the fixed version ("fixed" event),
//   - a severity with a CVSS v3.x or v4.0 vector (syntax and base metrics checked),
//   - at least one CWE id ("CWE-79"; OSV: database_specific.cwe_ids, CSAF: vulnerabilities[].cwe).
// Otherwise the error (kAdvisoryInvalid) names every missing part. The advisory is then
// published as a normalised OSV document (to_osv). Pure: no I/O, no clock.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "core/version.h"

namespace dss::advisory {

struct Range {
  std::string introduced = "0";  // first affected version ("0": every version before fixed)
  std::string fixed;             // first version with the fix
};

struct Affected {
  std::string package;  // the release name, as in `dss repo release publish NAME ...`
  std::vector<Range> ranges;
};

struct Advisory {
  std::string id;                    // "DSS-2026-0001", "GHSA-...", a CSAF tracking id
  std::vector<std::string> aliases;  // CVE ids
  std::string summary;
  std::string details;
  std::string published;  // RFC 3339, as given
  std::string modified;
  std::vector<Affected> affected;
  std::string cvss_vector;           // "CVSS:3.1/AV:N/..." or "CVSS:4.0/..."
  std::optional<double> cvss_score;  // the CVSS 3.x base score, computed from the vector
  std::string severity;              // "critical", "high", "medium", "low", "none" or "unrated"
  std::vector<std::string> cwes;     // "CWE-79"
};

inline constexpr std::size_t kMaxAdvisoryBytes = 4u << 20;

// Detects the format (CSAF has document.csaf_version) and parses it.
Result<Advisory> parse(std::string_view document);
Result<Advisory> parse_osv(std::string_view document);
Result<Advisory> import_csaf(std::string_view document);

// The advisory as the OSV document DSS publishes (deterministic key order).
std::string to_osv(const Advisory& advisory);

// The range of `package` that holds `installed`, if any: its fixed version is the update that
// resolves the advisory for that device.
std::optional<Range> affecting_range(const Advisory& advisory, std::string_view package,
                                     const Version& installed);

// The CVSS 3.x base score of a vector, or nullopt for v4.0 or a malformed vector.
std::optional<double> cvss3_base_score(std::string_view vector);

}  // namespace dss::advisory
