// Release versions: 1 to 4 dot-separated numbers ("1.4.2"), compared part by part, missing parts
// counting as 0 ("1.10" > "1.9", "1.0" == "1.0.0"). One ordering for the agent (never
// downgrade), the repository (channels) and advisories (affected ranges), so they never disagree.
#pragma once

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace dss {

class Version {
 public:
  // kMalformed unless 1-4 parts of 1-9 digits each, separated by dots.
  static Result<Version> parse(std::string_view text);
  [[nodiscard]] const std::string& text() const { return text_; }
  std::strong_ordering operator<=>(const Version& other) const;
  bool operator==(const Version& other) const { return (*this <=> other) == 0; }

 private:
  std::string text_;
  std::vector<std::uint32_t> parts_;
};

}  // namespace dss
