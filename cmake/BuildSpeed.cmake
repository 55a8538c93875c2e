# Build speed without changing what is built (docs/adr/0034-build-time.md).
# - ccache, when it is installed (scripts/bootstrap.sh installs it), caches compiler output across
#   build directories and clean clones. DSS_CCACHE=OFF turns it off.
option(DSS_CCACHE "Compile through ccache when it is installed" ON)
if(DSS_CCACHE)
  find_program(DSS_CCACHE_PROGRAM ccache)
  if(DSS_CCACHE_PROGRAM)
    set(CMAKE_C_COMPILER_LAUNCHER ${DSS_CCACHE_PROGRAM})
    set(CMAKE_CXX_COMPILER_LAUNCHER ${DSS_CCACHE_PROGRAM})
  endif()
endif()
