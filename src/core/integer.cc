#include "core/integer.h"

#include <charconv>
#include <string>

namespace dss {

Result<std::int64_t> parse_int64(std::string_view text, std::int64_t min, std::int64_t max) {
  const std::string_view digits = text.starts_with('-') ? text.substr(1) : text;
  // from_chars alone would accept leading zeros and "-0"; the canonical form refuses both.
  const bool canonical = !digits.empty() && (digits.size() == 1 || digits.front() != '0') &&
                         text != "-0" &&
                         digits.find_first_not_of("0123456789") == std::string_view::npos;
  std::int64_t value = 0;
  if (canonical) {
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec == std::errc() && end == text.data() + text.size() && value >= min && value <= max) {
      return value;
    }
  }
  return make_error(ErrorCode::kMalformed,
                    "expected a whole decimal number from " + std::to_string(min) + " to " +
                        std::to_string(max) +
                        ", with no sign '+', leading zeros or other characters");
}

}  // namespace dss
