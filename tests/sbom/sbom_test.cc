// SBOM checks: schema validation and the NTIA minimum elements, for CycloneDX 1.5/1.6 and
// SPDX 2.3. Each refusal must name exactly what is missing.
#include "sbom/sbom.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

namespace dss::sbom {
namespace {

using nlohmann::json;

json cyclonedx() {
  return json::parse(R"({
    "bomFormat": "CycloneDX", "specVersion": "1.6",
    "serialNumber": "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79", "version": 1,
    "metadata": {
      "timestamp": "2026-11-20T10:00:00Z",
      "authors": [{"name": "Example Corp release team"}],
      "component": {"type": "application", "bom-ref": "app", "name": "app", "version": "2.0.0",
                    "supplier": {"name": "Example Corp"}, "purl": "pkg:generic/example/app@2.0.0"}
    },
    "components": [
      {"type": "library", "bom-ref": "zlib", "name": "zlib", "version": "1.2.13",
       "supplier": {"name": "zlib project"}, "purl": "pkg:deb/debian/zlib1g@1.2.13"},
      {"type": "library", "bom-ref": "ssl", "name": "openssl", "version": "3.0.11",
       "supplier": {"name": "OpenSSL project"}, "cpe": "cpe:2.3:a:openssl:openssl:3.0.11:*:*:*:*:*:*:*"}
    ],
    "dependencies": [{"ref": "app", "dependsOn": ["zlib", "ssl"]}, {"ref": "zlib", "dependsOn": []}]
  })");
}

json spdx() {
  return json::parse(R"({
    "spdxVersion": "SPDX-2.3", "dataLicense": "CC0-1.0", "SPDXID": "SPDXRef-DOCUMENT",
    "name": "app-2.0.0", "documentNamespace": "https://example.com/spdx/app-2.0.0",
    "creationInfo": {"created": "2026-11-20T10:00:00Z",
                     "creators": ["Organization: Example Corp", "Tool: exporter-1.0"]},
    "documentDescribes": ["SPDXRef-app"],
    "packages": [
      {"SPDXID": "SPDXRef-app", "name": "app", "versionInfo": "2.0.0",
       "supplier": "Organization: Example Corp", "downloadLocation": "NOASSERTION",
       "externalRefs": [{"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl",
                         "referenceLocator": "pkg:generic/example/app@2.0.0"}]},
      {"SPDXID": "SPDXRef-zlib", "name": "zlib", "versionInfo": "1.2.13",
       "supplier": "Organization: zlib project", "downloadLocation": "NOASSERTION",
       "externalRefs": [{"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl",
                         "referenceLocator": "pkg:deb/debian/zlib1g@1.2.13"}]}
    ],
    "relationships": [
      {"spdxElementId": "SPDXRef-DOCUMENT", "relationshipType": "DESCRIBES", "relatedSpdxElement": "SPDXRef-app"},
      {"spdxElementId": "SPDXRef-app", "relationshipType": "DEPENDS_ON", "relatedSpdxElement": "SPDXRef-zlib"}
    ]
  })");
}

std::string message_of(const json& doc) {
  const auto r = check(doc.dump());
  EXPECT_FALSE(r.has_value()) << doc.dump();
  return r ? std::string() : r.error().message;
}

TEST(SbomCheck, CompleteCycloneDx15And16AreAcceptedWithTheirSubjectAndComponents) {
  for (const std::string spec : {"1.5", "1.6"}) {
    json doc = cyclonedx();
    doc["specVersion"] = spec;
    const auto r = check(doc.dump());
    ASSERT_TRUE(r.has_value()) << r.error().message;
    EXPECT_EQ(r->format, spec == "1.5" ? Format::kCycloneDx15 : Format::kCycloneDx16);
    EXPECT_EQ(r->subject.name, "app");
    EXPECT_EQ(r->subject.version, "2.0.0");
    EXPECT_EQ(r->author, "Example Corp release team");
    EXPECT_EQ(r->timestamp, "2026-11-20T10:00:00Z");
    ASSERT_EQ(r->components.size(), 2u);
    EXPECT_EQ(r->components[1].id, "cpe:2.3:a:openssl:openssl:3.0.11:*:*:*:*:*:*:*");
    EXPECT_EQ(r->relationships, 2u);
  }
}

TEST(SbomCheck, CompleteSpdx23IsAccepted) {
  const auto r = check(spdx().dump());
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(r->format, Format::kSpdx23);
  EXPECT_EQ(r->subject.name, "app");
  EXPECT_EQ(r->subject.supplier, "Example Corp");
  EXPECT_EQ(r->author, "Example Corp");
  ASSERT_EQ(r->components.size(), 1u);
  EXPECT_EQ(r->components[0].id, "pkg:deb/debian/zlib1g@1.2.13");
}

TEST(SbomCheck, EveryMissingNtiaElementIsNamedInOneError) {
  json doc = cyclonedx();
  doc["metadata"].erase("authors");
  doc["metadata"].erase("timestamp");
  doc["components"][0].erase("supplier");
  doc["components"][0].erase("purl");
  doc["components"][1].erase("version");
  doc["dependencies"] = json::array({{{"ref", "app"}, {"dependsOn", {"zlib"}}}});
  const std::string m = message_of(doc);
  EXPECT_NE(m.find("metadata.authors: no author"), std::string::npos) << m;
  EXPECT_NE(m.find("metadata.timestamp: missing"), std::string::npos) << m;
  EXPECT_NE(m.find("components[0] (zlib): no supplier"), std::string::npos) << m;
  EXPECT_NE(m.find("components[0] (zlib): no purl or cpe"), std::string::npos) << m;
  EXPECT_NE(m.find("components[1] (openssl): no version"), std::string::npos) << m;
  EXPECT_NE(m.find("components[1] (openssl): \"ssl\" appears in no dependency"), std::string::npos)
      << m;
  EXPECT_EQ(check(doc.dump()).error().code, ErrorCode::kSbomInvalid);
}

TEST(SbomCheck, SubjectWithoutDependencyEntryIsRefused) {
  json doc = cyclonedx();
  doc["dependencies"] = json::array({{{"ref", "zlib"}, {"dependsOn", {"ssl"}}}});
  const std::string m = message_of(doc);
  EXPECT_NE(m.find("no entry for the described component \"app\""), std::string::npos) << m;
}

TEST(SbomCheck, SchemaViolationsAreReportedWithTheirPlace) {
  json doc = cyclonedx();
  doc["components"][0]["type"] = "librar";
  doc["serialNumber"] = "not-a-urn";
  const std::string m = message_of(doc);
  EXPECT_NE(m.find("schema <root>[components][0][type]"), std::string::npos) << m;
  EXPECT_NE(m.find("schema <root>[serialNumber]"), std::string::npos) << m;
}

TEST(SbomCheck, SpdxWithoutAuthorSupplierOrIdentifierIsRefused) {
  json doc = spdx();
  doc["creationInfo"]["creators"] = json::array({"Tool: exporter-1.0"});
  doc["packages"][1]["supplier"] = "NOASSERTION";
  doc["packages"][1].erase("externalRefs");
  doc["relationships"].erase(1);
  const std::string m = message_of(doc);
  EXPECT_NE(m.find("creationInfo.creators"), std::string::npos) << m;
  EXPECT_NE(m.find("packages[1] (zlib): no supplier"), std::string::npos) << m;
  EXPECT_NE(m.find("packages[1] (zlib): no purl or cpe"), std::string::npos) << m;
  EXPECT_NE(m.find("packages[1] (zlib): appears in no relationship"), std::string::npos) << m;
}

TEST(SbomCheck, OtherFormatsAndVersionsAreRefusedWithWhatToExport) {
  json old = cyclonedx();
  old["specVersion"] = "1.4";
  EXPECT_NE(message_of(old).find("export CycloneDX 1.5 or 1.6"), std::string::npos);
  json spdx22 = spdx();
  spdx22["spdxVersion"] = "SPDX-2.2";
  EXPECT_NE(message_of(spdx22).find("export SPDX 2.3 JSON"), std::string::npos);
  EXPECT_NE(message_of(json{{"hello", "world"}}).find("neither CycloneDX"), std::string::npos);
  const auto not_json = check("{\"bomFormat\": ");
  ASSERT_FALSE(not_json.has_value());
  EXPECT_EQ(not_json.error().code, ErrorCode::kMalformed);
}

TEST(SbomCheck, RegexStackExhaustionByHugeStringsIsRefusedUpFront) {
  // std::regex recurses per character: a 1 MB serial number would overflow the stack.
  json doc = cyclonedx();
  doc["serialNumber"] = "urn:uuid:" + std::string(1 << 20, 'a');
  const auto r = check(doc.dump());
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message.find("holds a string longer than"), std::string::npos);
}

TEST(SbomCheck, DeepNestingIsRefusedBeforeParsing) {
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  const auto r = check(deep);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message.find("nests deeper"), std::string::npos);
}

TEST(SbomCheck, LongStringJustUnderTheBoundValidatesWithoutCrashing) {
  json doc = cyclonedx();
  doc["serialNumber"] = "urn:uuid:" + std::string(kMaxStringBytes - 64, 'a');
  EXPECT_NE(message_of(doc).find("schema <root>[serialNumber]"), std::string::npos);
}

}  // namespace
}  // namespace dss::sbom
