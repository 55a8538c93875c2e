# Hardened build flags (OpenSSF "Compiler Options Hardening Guide for C and C++", GCC 12).
# Every flag is probed, so the same list works with clang for the fuzz build.
include(CheckCXXCompilerFlag)

set(DSS_HARDEN_COMPILE
  -fstack-protector-strong -fstack-clash-protection -fcf-protection=full
  -ftrivial-auto-var-init=zero -fPIE)
set(DSS_WARNINGS
  -Wall -Wextra -Wformat=2 -Wconversion -Wsign-conversion -Wimplicit-fallthrough
  -Wshadow -Wnon-virtual-dtor -Woverloaded-virtual
  -Werror=format-security -Wbidi-chars=any)
# -Wnull-dereference with clang only (the ASan+UBSan and fuzz build, an error there). GCC 12's
# version runs after inlining and reports null paths inside Boost.Asio 1.81 (scheduler.ipp,
# any_executor_base::equal_ex: chriskohlhoff/asio #847, #1616), CLI11's split() and
# libstdc++'s vector<string> relocation, none of them ours; clang-tidy's
# clang-analyzer-core.NullDereference (lint, CI step 5) is the path-sensitive check of our code.
if(CMAKE_CXX_COMPILER_ID MATCHES "Clang")
  list(APPEND DSS_WARNINGS -Wnull-dereference)
endif()

function(dss_add_supported_flags out_var)
  set(result "")
  foreach(flag IN LISTS ARGN)
    string(MAKE_C_IDENTIFIER "HAVE_FLAG${flag}" var)
    check_cxx_compiler_flag("${flag}" ${var})
    if(${var})
      list(APPEND result "${flag}")
    endif()
  endforeach()
  set(${out_var} "${result}" PARENT_SCOPE)
endfunction()

dss_add_supported_flags(DSS_COMPILE_FLAGS ${DSS_HARDEN_COMPILE} ${DSS_WARNINGS})
if(DSS_WERROR)
  list(APPEND DSS_COMPILE_FLAGS -Werror)
endif()

# _FORTIFY_SOURCE needs optimisation and conflicts with the sanitizers' interceptors.
set(DSS_COMPILE_DEFS _GLIBCXX_ASSERTIONS)
if(NOT DSS_SANITIZE)
  list(APPEND DSS_COMPILE_FLAGS -O2)
  list(APPEND DSS_COMPILE_DEFS _FORTIFY_SOURCE=3)
endif()

set(DSS_LINK_FLAGS -pie -Wl,-z,relro,-z,now,-z,noexecstack)

if(DSS_SANITIZE)
  list(APPEND DSS_COMPILE_FLAGS -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all -O1 -g)
  list(APPEND DSS_LINK_FLAGS -fsanitize=address,undefined)
endif()

if(DSS_FUZZ)
  # Coverage instrumentation for every library the fuzz targets link.
  list(APPEND DSS_COMPILE_FLAGS -fsanitize=fuzzer-no-link)
endif()

# dss_target_defaults(target): apply the project's hardening and warnings to one of our targets.
function(dss_target_defaults target)
  target_compile_options(${target} PRIVATE ${DSS_COMPILE_FLAGS})
  target_compile_definitions(${target} PRIVATE ${DSS_COMPILE_DEFS})
  target_link_options(${target} PRIVATE ${DSS_LINK_FLAGS})
  set_target_properties(${target} PROPERTIES POSITION_INDEPENDENT_CODE ON)
  get_target_property(kind ${target} DSS_PCH_KIND)
  if(NOT kind)
    dss_use_pch(${target} src)
  endif()
endfunction()
