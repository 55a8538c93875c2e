# Writes a C++ source defining the word lists from data/ as raw string literals.
# cmake -DBREACHED=... -DCOMMON=... -DOUT=... -P embed_word_lists.cmake
set(delim "dss_list")
function(dss_literal var file)
  file(READ "${file}" content)
  string(FIND "${content}" ")${delim}\"" found)
  if(NOT found EQUAL -1)
    message(FATAL_ERROR "${file} contains the raw-string delimiter; cannot embed it")
  endif()
  set(${var} "${content}" PARENT_SCOPE)
endfunction()
dss_literal(breached "${BREACHED}")
dss_literal(common "${COMMON}")
file(WRITE "${OUT}.tmp"
"// Generated from data/ by src/identity/embed_word_lists.cmake. Do not edit.
#include <string_view>
namespace dss::identity::detail {
extern const std::string_view kBreachedPasswordsText;
extern const std::string_view kCommonWordsText;
const std::string_view kBreachedPasswordsText = R\"${delim}(${breached})${delim}\";
const std::string_view kCommonWordsText = R\"${delim}(${common})${delim}\";
}  // namespace dss::identity::detail
")
file(RENAME "${OUT}.tmp" "${OUT}")
