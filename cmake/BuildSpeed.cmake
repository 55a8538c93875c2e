# Build speed without changing what is built or checked (docs/adr/0034-build-time.md).
#
# - ccache, when installed (scripts/bootstrap.sh installs it), caches compiler output across build
#   directories and clean clones. DSS_CCACHE=OFF turns it off.
# - Precompiled headers (DSS_PCH, on by default): the third-party and standard headers that most
#   translation units include (simdjson, nlohmann/json, tl::expected, the containers) are parsed
#   once per build instead of once per file. Only system headers go in, never a header of src/,
#   so a finding of the compiler or of clang-tidy in DSS's own headers is still reported per file.
#   One header is built for the libraries and programs and one, adding GoogleTest, for the tests;
#   every target with the project's flags reuses one of them. A target that defines macros of its
#   own (DSS_VERSION, DSS_FAULT_POINTS, ...) gets a private copy, since a precompiled header is
#   only valid with the definitions it was made with. DSS_PCH=OFF builds without, which also
#   shows an #include that a file forgot.
option(DSS_CCACHE "Compile through ccache when it is installed" ON)
if(DSS_CCACHE)
  find_program(DSS_CCACHE_PROGRAM ccache)
  if(DSS_CCACHE_PROGRAM)
    set(CMAKE_C_COMPILER_LAUNCHER ${DSS_CCACHE_PROGRAM})
    set(CMAKE_CXX_COMPILER_LAUNCHER ${DSS_CCACHE_PROGRAM})
  endif()
endif()

option(DSS_PCH "Precompile the heavy third-party headers (off: GCC 12 reports a false -Warray-bounds in tl::expected with it)" OFF)
set(DSS_PCH_HEADERS
  <algorithm> <array> <atomic> <charconv> <chrono> <cstdint> <cstring> <filesystem> <fstream>
  <functional> <map> <memory> <mutex> <optional> <set> <sstream> <string> <string_view> <thread>
  <utility> <vector>
  <tl/expected.hpp> <simdjson.h> <nlohmann/json.hpp>)
set(DSS_PCH_TEST_HEADERS ${DSS_PCH_HEADERS} <gtest/gtest.h>)

# dss_use_pch(target KIND): called by dss_target_defaults (KIND src) and dss_test (KIND test). The
# choice between reusing the shared header and a private one is made at the end of configuration,
# when every target's definitions are known.
function(dss_use_pch target kind)
  if(DSS_PCH)
    # A deferred call's arguments are expanded when it runs, so the values are spliced in now.
    cmake_language(EVAL CODE
      "cmake_language(DEFER DIRECTORY [[${PROJECT_SOURCE_DIR}]] CALL dss_apply_pch [[${target}]] [[${kind}]])")
  endif()
endfunction()

function(dss_apply_pch target kind)
  if(kind STREQUAL "test")
    set(shared dss_pch_test)
    set(headers ${DSS_PCH_TEST_HEADERS})
  else()
    set(shared dss_pch_src)
    set(headers ${DSS_PCH_HEADERS})
  endif()
  get_target_property(defs ${target} COMPILE_DEFINITIONS)
  if(defs STREQUAL "${DSS_COMPILE_DEFS}")
    target_precompile_headers(${target} REUSE_FROM ${shared})
  else()
    target_precompile_headers(${target} PRIVATE ${headers})
  endif()
endfunction()

# The shared headers are compiled once, in targets of their own with the project's flags.
function(dss_pch_anchor name headers_var)
  add_library(${name} OBJECT ${PROJECT_SOURCE_DIR}/cmake/pch_anchor.cc)
  target_precompile_headers(${name} PRIVATE ${${headers_var}})
  target_link_libraries(${name} PRIVATE tl::expected simdjson::simdjson nlohmann_json::nlohmann_json ${ARGN})
  target_compile_options(${name} PRIVATE ${DSS_COMPILE_FLAGS})
  target_compile_definitions(${name} PRIVATE ${DSS_COMPILE_DEFS})
  set_target_properties(${name} PROPERTIES POSITION_INDEPENDENT_CODE ON)
endfunction()
