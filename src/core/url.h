// URL-safe names. TUF clients name delegated-role and target files by percent-encoding,
// exactly like Python's urllib.parse.quote(name, safe=""): every byte except ASCII letters,
// digits and "_.-~" becomes %XX (uppercase hex).
#pragma once

#include <string>
#include <string_view>

namespace dss {

std::string percent_encode(std::string_view s);

}  // namespace dss
