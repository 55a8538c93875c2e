#include "core/version.h"

#include <algorithm>

namespace dss {

Result<Version> Version::parse(std::string_view text) {
  const auto bad = [&] {
    return make_error(ErrorCode::kMalformed,
                      "\"" + std::string(text.substr(0, 40)) +
                          "\" is not a release version (1 to 4 dot-separated numbers, e.g. 1.4.2)");
  };
  Version v;
  v.text_ = std::string(text);
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = text.find('.', start);
    const std::size_t end = dot == std::string_view::npos ? text.size() : dot;
    const std::string_view part = text.substr(start, end - start);
    if (part.empty() || part.size() > 9 || v.parts_.size() == 4) return bad();
    std::uint32_t n = 0;
    for (const char c : part) {
      if (c < '0' || c > '9') return bad();
      n = n * 10 + static_cast<std::uint32_t>(c - '0');
    }
    v.parts_.push_back(n);
    if (end == text.size()) return v;
    start = end + 1;
  }
}

std::strong_ordering Version::operator<=>(const Version& other) const {
  const std::size_t n = std::max(parts_.size(), other.parts_.size());
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint32_t a = i < parts_.size() ? parts_[i] : 0;
    const std::uint32_t b = i < other.parts_.size() ? other.parts_[i] : 0;
    if (a != b) return a <=> b;
  }
  return std::strong_ordering::equal;
}

}  // namespace dss
