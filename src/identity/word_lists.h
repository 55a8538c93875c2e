// Internal: the word lists compiled into the library from data/ (see docs/adr/0013). Built once,
// on first use; a list that is empty or unsorted is a broken build and aborts (fail closed).
#pragma once

#include <string_view>

namespace dss::identity::detail {

// `lowercase` must already be NFKC and lowercased.
bool in_breached_list(std::string_view lowercase);
bool in_common_words(std::string_view lowercase);

}  // namespace dss::identity::detail
