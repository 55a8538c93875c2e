#include "identity/word_lists.h"

#include <algorithm>
#include <vector>

#include "core/result.h"

namespace dss::identity::detail {

// Defined in the source CMake generates from data/*.txt (embed_word_lists.cmake).
extern const std::string_view kBreachedPasswordsText;
extern const std::string_view kCommonWordsText;

namespace {

// The lines after the header (which ends at the first empty line), sorted byte-wise.
std::vector<std::string_view> parse(std::string_view text) {
  const std::size_t header_end = text.find("\n\n");
  DSS_CHECK(header_end != std::string_view::npos);
  text.remove_prefix(header_end + 2);
  std::vector<std::string_view> entries;
  while (!text.empty()) {
    const std::size_t nl = text.find('\n');
    const std::string_view line = text.substr(0, nl);
    if (!line.empty()) entries.push_back(line);
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
  // The lists hold tens of thousands of entries; a near-empty or unsorted list means the build
  // embedded the wrong file, and a policy that silently accepts everything must not ship.
  DSS_CHECK(entries.size() >= 1000);
  DSS_CHECK(std::is_sorted(entries.begin(), entries.end()));
  return entries;
}

bool contains(const std::vector<std::string_view>& list, std::string_view word) {
  return std::binary_search(list.begin(), list.end(), word);
}

}  // namespace

bool in_breached_list(std::string_view lowercase) {
  static const std::vector<std::string_view> list = parse(kBreachedPasswordsText);
  return contains(list, lowercase);
}

bool in_common_words(std::string_view lowercase) {
  static const std::vector<std::string_view> list = parse(kCommonWordsText);
  return contains(list, lowercase);
}

}  // namespace dss::identity::detail
