// Software bills of materials for releases: a CycloneDX 1.5/1.6 JSON or SPDX 2.3 JSON document
// is validated against its official JSON schema (data/schemas/, embedded at build time) and
// checked for the NTIA minimum elements:
//   supplier, name and version of every component; a unique identifier per component (a purl
//   or a CPE); dependency relationships that reach every component; the SBOM's author; its
//   timestamp.
// No I/O, no clock, no network: the caller passes the document's bytes.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace dss::sbom {

enum class Format { kCycloneDx15, kCycloneDx16, kSpdx23 };

// "CycloneDX 1.5", "CycloneDX 1.6", "SPDX 2.3".
std::string_view format_name(Format format);

struct Component {
  std::string name;
  std::string version;
  std::string supplier;
  std::string id;  // the purl, or else the CPE
};

struct Summary {
  Format format = Format::kCycloneDx16;
  Component subject;                  // the software the SBOM describes
  std::string author;                 // who wrote the SBOM data
  std::string timestamp;              // when, as written in the document
  std::string serial;                 // CycloneDX serialNumber or SPDX documentNamespace
  std::vector<Component> components;  // everything the subject contains or depends on
  std::size_t relationships = 0;      // dependency edges
};

// The largest SBOM accepted, and the longest string inside one. The string bound keeps the
// schema's regular expressions (std::regex backtracks recursively) within a bounded stack.
inline constexpr std::size_t kMaxDocumentBytes = 32u << 20;
inline constexpr std::size_t kMaxStringBytes = 64u << 10;
inline constexpr std::size_t kMaxDepth = 64;

// Validates `document` and returns what it says. On any problem the error (kSbomInvalid, or
// kMalformed for bytes that are not JSON) lists every problem found, one per line, each naming
// the place in the document and what is missing or wrong, so that all of them can be fixed at
// once.
Result<Summary> check(std::string_view document);

}  // namespace dss::sbom
