// Strict decimal integers for untrusted text (URL path ids, query parameters, headers).
//
// Contract: the whole text must be one canonical decimal number, -?(0|[1-9][0-9]*), inside
// [min, max]. Nothing is skipped or ignored: no sign '+', no white space, no leading zeros, no
// "-0", no exponent, no trailing bytes. So parse(text) == v implies std::to_string(v) == text,
// and "7abc" or "1e3" can never be read as 7 or 1 (std::stoll keeps such a prefix).
#pragma once

#include <cstdint>
#include <limits>
#include <string_view>

#include "core/result.h"

namespace dss {

// kMalformed when `text` is not canonical decimal or lies outside [min, max].
Result<std::int64_t> parse_int64(std::string_view text,
                                 std::int64_t min = std::numeric_limits<std::int64_t>::min(),
                                 std::int64_t max = std::numeric_limits<std::int64_t>::max());

}  // namespace dss
