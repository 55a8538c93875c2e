// The official JSON schemas in data/schemas/, embedded by src/sbom/CMakeLists.txt.
#pragma once

#include <string_view>

namespace dss::sbom::detail {
extern const std::string_view kBom15Schema;        // CycloneDX 1.5
extern const std::string_view kBom16Schema;        // CycloneDX 1.6
extern const std::string_view kSpdxLicenseSchema;  // SPDX license ids, referenced by CycloneDX
extern const std::string_view kJsfSchema;          // JSON Signature Format, referenced by CycloneDX
extern const std::string_view kSpdx23Schema;       // SPDX 2.3
}  // namespace dss::sbom::detail
