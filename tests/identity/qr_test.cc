#include "identity/qr.h"

#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

namespace dss::identity {
namespace {

const std::string kUri =
    "otpauth://totp/DSS:ingrid%40example.com?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=DSS"
    "&algorithm=SHA1&digits=6&period=30";

// Splits the UTF-8 rendering into rows of cells (each cell one multi-byte or ASCII character).
std::vector<std::vector<std::string>> cells(const std::string& rendering) {
  std::vector<std::vector<std::string>> rows;
  std::istringstream in(rendering);
  for (std::string line; std::getline(in, line);) {
    std::vector<std::string> row;
    for (std::size_t i = 0; i < line.size();) {
      const std::size_t n = (static_cast<unsigned char>(line[i]) & 0x80) ? 3 : 1;
      row.push_back(line.substr(i, n));
      i += n;
    }
    rows.push_back(row);
  }
  return rows;
}

TEST(QrSvg, IsAStandaloneDocumentWithoutScriptOrExternalReference) {
  auto svg = qr_svg(kUri);
  ASSERT_TRUE(svg) << svg.error().to_string();
  EXPECT_EQ(svg->rfind("<?xml", 0), 0u);
  EXPECT_NE(svg->find("<svg xmlns=\"http://www.w3.org/2000/svg\""), std::string::npos);
  for (const char* forbidden :
       {"<script", "href", "<style", "url(", "<image", "<foreignObject", "on", "javascript"}) {
    if (std::string_view(forbidden) == "on") {
      EXPECT_EQ(svg->find(" on"), std::string::npos);  // no event handler attributes
    } else {
      EXPECT_EQ(svg->find(forbidden), std::string::npos) << forbidden;
    }
  }
  EXPECT_EQ(svg->find("JBSWY3DP"), std::string::npos);  // the secret is only in the modules
}

TEST(QrSvg, DrawsTheFinderPatternInsideTheQuietZone) {
  auto svg = qr_svg(kUri);
  ASSERT_TRUE(svg);
  // The top-left finder pattern's first row is a run of 7 dark modules starting at (4,4).
  EXPECT_NE(svg->find("M4 4h7v1h-7z"), std::string::npos);
  // Nothing is drawn in the quiet zone's top rows.
  EXPECT_EQ(svg->find("M0 0h"), std::string::npos);
  EXPECT_EQ(svg->find(" 0h"), std::string::npos);
}

TEST(QrUtf8, IsSquareWithAQuietZoneOfLightModules) {
  auto text = qr_utf8(kUri);
  ASSERT_TRUE(text) << text.error().to_string();
  const auto rows = cells(*text);
  ASSERT_FALSE(rows.empty());
  const std::size_t width = rows[0].size();
  EXPECT_GE(width, 21u + 8u);
  EXPECT_EQ(rows.size(), (width + 1) / 2);  // two module rows per line
  for (const auto& row : rows) EXPECT_EQ(row.size(), width);
  // Rows 0-3 of modules (lines 0-1) are quiet zone: light, so drawn as full blocks.
  for (std::size_t line = 0; line < 2; ++line) {
    for (const std::string& cell : rows[line]) EXPECT_EQ(cell, "\u2588");
  }
  // Line 2 holds module rows 4 and 5 of the top-left finder pattern: row 4 is its dark top
  // edge; row 5 is dark at the pattern's sides (x = 4, 10) and light in between.
  EXPECT_EQ(rows[2][3], "\u2588");
  EXPECT_EQ(rows[2][4], " ");
  for (std::size_t x = 5; x < 10; ++x) EXPECT_EQ(rows[2][x], "\u2584") << x;
  EXPECT_EQ(rows[2][10], " ");
}

TEST(Qr, RefusesEmptyAndOversizedText) {
  EXPECT_EQ(qr_svg("").error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(qr_utf8(std::string(5000, 'a')).error().code, ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace dss::identity
