// Advisories: an advisory is accepted only with affected ranges, a fixed version, a CVSS
// severity and a CWE; CSAF 2.0 imports to the same model; ranges decide which devices update.
#include "advisory/advisory.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace dss::advisory {
namespace {

using nlohmann::json;

json osv() {
  return json::parse(R"({
    "schema_version": "1.6.0", "id": "DSS-2026-0001", "aliases": ["CVE-2026-1234"],
    "summary": "Path traversal in the upload handler", "details": "...",
    "published": "2026-11-20T10:00:00Z", "modified": "2026-11-20T10:00:00Z",
    "affected": [{"package": {"ecosystem": "DSS", "name": "app"},
                  "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "1.0"}, {"fixed": "1.2.4"}]}]}],
    "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
    "database_specific": {"cwe_ids": ["CWE-22"]}
  })");
}

json csaf() {
  return json::parse(R"({
    "document": {"csaf_version": "2.0", "category": "csaf_security_advisory", "title": "Path traversal in app",
                 "publisher": {"category": "vendor", "name": "Example Corp", "namespace": "https://example.com"},
                 "tracking": {"id": "EXA-2026-007", "initial_release_date": "2026-11-20T10:00:00Z",
                              "current_release_date": "2026-11-21T10:00:00Z", "status": "final", "version": "1",
                              "revision_history": []}},
    "product_tree": {"branches": [{"category": "vendor", "name": "Example Corp", "branches": [
      {"category": "product_name", "name": "app", "branches": [
        {"category": "product_version_range", "name": "vers:generic/>=1.0|<1.2.4",
         "product": {"product_id": "APP-OLD", "name": "app < 1.2.4"}},
        {"category": "product_version", "name": "1.2.4", "product": {"product_id": "APP-124", "name": "app 1.2.4"}}]}]}]},
    "vulnerabilities": [{"cve": "CVE-2026-1234", "cwe": {"id": "CWE-22", "name": "Path Traversal"},
      "scores": [{"products": ["APP-OLD"], "cvss_v3": {"version": "3.1",
                  "vectorString": "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:H/I:H/A:H", "baseScore": 9.9,
                  "baseSeverity": "CRITICAL"}}],
      "product_status": {"known_affected": ["APP-OLD"], "fixed": ["APP-124"]}}]
  })");
}

std::string refusal(const json& doc) {
  const auto r = parse(doc.dump());
  EXPECT_FALSE(r.has_value()) << doc.dump();
  if (r) return std::string();
  EXPECT_EQ(r.error().code, ErrorCode::kAdvisoryInvalid) << r.error().message;
  return r.error().message;
}

TEST(Advisory, CompleteOsvIsAcceptedWithComputedSeverity) {
  const auto a = parse(osv().dump());
  ASSERT_TRUE(a.has_value()) << a.error().message;
  EXPECT_EQ(a->id, "DSS-2026-0001");
  ASSERT_EQ(a->affected.size(), 1u);
  EXPECT_EQ(a->affected[0].ranges[0].introduced, "1.0");
  EXPECT_EQ(a->affected[0].ranges[0].fixed, "1.2.4");
  ASSERT_TRUE(a->cvss_score.has_value());
  EXPECT_DOUBLE_EQ(*a->cvss_score, 9.8);
  EXPECT_EQ(a->severity, "critical");
  EXPECT_EQ(a->cwes, std::vector<std::string>{"CWE-22"});
}

TEST(Advisory, WithoutCweIsRefused) {
  json doc = osv();
  doc.erase("database_specific");
  EXPECT_NE(refusal(doc).find("no CWE id"), std::string::npos);
}

TEST(Advisory, EveryMissingPartIsNamed) {
  json doc = osv();
  doc["affected"][0]["ranges"][0]["events"] = json::array({{{"introduced", "1.0"}}});
  doc.erase("severity");
  doc["database_specific"]["cwe_ids"] = json::array({"XSS"});
  const std::string m = refusal(doc);
  EXPECT_NE(m.find("a range has no fixed version"), std::string::npos) << m;
  EXPECT_NE(m.find("no severity with a CVSS"), std::string::npos) << m;
  EXPECT_NE(m.find("\"XSS\" is not a CWE id"), std::string::npos) << m;
}

TEST(Advisory, IncompleteOrUnknownCvssVectorIsRefused) {
  for (const char* v : {"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H", "CVSS:2.0/AV:N", "AV:N/AC:L",
                        "CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
                        "CVSS:3.1/AV:N/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}) {
    json doc = osv();
    doc["severity"][0]["score"] = v;
    EXPECT_NE(refusal(doc).find("is not a complete CVSS"), std::string::npos) << v;
  }
}

TEST(Advisory, CvssV4VectorIsAcceptedWithTheDeclaredSeverity) {
  json doc = osv();
  doc["severity"] =
      json::array({{{"type", "CVSS_V4"},
                    {"score", "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"}}});
  doc["database_specific"]["severity"] = "HIGH";
  const auto a = parse(doc.dump());
  ASSERT_TRUE(a.has_value()) << a.error().message;
  EXPECT_FALSE(a->cvss_score.has_value());
  EXPECT_EQ(a->severity, "high");
}

TEST(Advisory, GitRangesAndNonReleaseVersionsAreRefused) {
  json doc = osv();
  doc["affected"][0]["ranges"][0]["type"] = "GIT";
  EXPECT_NE(refusal(doc).find("has no version order"), std::string::npos);
  doc = osv();
  doc["affected"][0]["ranges"][0]["events"][1]["fixed"] = "1.2.x";
  EXPECT_NE(refusal(doc).find("is not a release version"), std::string::npos);
}

TEST(Advisory, Cvss31BaseScoresMatchTheSpecificationExamples) {
  EXPECT_DOUBLE_EQ(*cvss3_base_score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"), 9.8);
  EXPECT_DOUBLE_EQ(*cvss3_base_score("CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:H/I:H/A:H"), 9.9);
  EXPECT_DOUBLE_EQ(*cvss3_base_score("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N"), 6.1);
  EXPECT_DOUBLE_EQ(*cvss3_base_score("CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N"), 5.5);
  EXPECT_DOUBLE_EQ(*cvss3_base_score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N"), 0.0);
  EXPECT_FALSE(cvss3_base_score("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"));
}

TEST(Advisory, CsafIsImportedToTheSameModel) {
  const auto a = parse(csaf().dump());
  ASSERT_TRUE(a.has_value()) << a.error().message;
  EXPECT_EQ(a->id, "EXA-2026-007");
  EXPECT_EQ(a->aliases, std::vector<std::string>{"CVE-2026-1234"});
  EXPECT_EQ(a->cwes, std::vector<std::string>{"CWE-22"});
  ASSERT_EQ(a->affected.size(), 1u);
  EXPECT_EQ(a->affected[0].package, "app");
  ASSERT_EQ(a->affected[0].ranges.size(), 1u);
  EXPECT_EQ(a->affected[0].ranges[0].introduced, "1.0");
  EXPECT_EQ(a->affected[0].ranges[0].fixed, "1.2.4");
  EXPECT_EQ(a->severity, "critical");
}

TEST(Advisory, CsafWithoutCweIsRefused) {
  json doc = csaf();
  doc["vulnerabilities"][0].erase("cwe");
  EXPECT_NE(refusal(doc).find("vulnerabilities[].cwe: no CWE id"), std::string::npos);
}

TEST(Advisory, AffectingRangeDecidesWhichInstalledVersionsMustUpdate) {
  const auto a = parse(osv().dump());
  ASSERT_TRUE(a.has_value());
  const auto v = [](const char* s) { return *Version::parse(s); };
  EXPECT_FALSE(affecting_range(*a, "app", v("0.9")));
  ASSERT_TRUE(affecting_range(*a, "app", v("1.0")));
  EXPECT_EQ(affecting_range(*a, "app", v("1.2.3"))->fixed, "1.2.4");
  EXPECT_FALSE(affecting_range(*a, "app", v("1.2.4")));
  EXPECT_FALSE(affecting_range(*a, "other", v("1.1")));
}

TEST(Advisory, PublishedOsvRoundTrips) {
  const auto a = parse(csaf().dump());
  ASSERT_TRUE(a.has_value());
  const auto again = parse_osv(to_osv(*a));
  ASSERT_TRUE(again.has_value()) << again.error().message;
  EXPECT_EQ(again->id, a->id);
  EXPECT_EQ(again->cvss_vector, a->cvss_vector);
  EXPECT_EQ(again->affected[0].ranges[0].fixed, "1.2.4");
  EXPECT_EQ(to_osv(*again), to_osv(*a));
}

TEST(Advisory, NotJsonOrDeeplyNestedIsMalformed) {
  EXPECT_EQ(parse("{").error().code, ErrorCode::kMalformed);
  EXPECT_EQ(parse(std::string(10000, '[')).error().code, ErrorCode::kMalformed);
}

}  // namespace
}  // namespace dss::advisory
