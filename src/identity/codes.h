// Internal: human-typable codes from Crockford's base32 alphabet (no i, l, o, u), shared by
// recovery codes and the setup code. Not part of the library's interface.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace dss::identity::detail {

// `length` characters, each uniformly random (5 bits).
std::string random_code(std::size_t length);

// Drops spaces and dashes, lowercases, reads o as 0 and i, l as 1; nullopt unless exactly
// `length` alphabet characters remain (bounded: input longer than 4 * length is refused).
std::optional<std::string> normalize_code(std::string_view input, std::size_t length);

// "abcdefghij" -> "abcde-fghij" for group == 5.
std::string group_code(std::string_view code, std::size_t group);

}  // namespace dss::identity::detail
