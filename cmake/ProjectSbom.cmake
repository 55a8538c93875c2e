# DSS's own SBOM (docs/adr/0032-project-sbom.md).
#   cmake --build B --target project-sbom     writes B/sbom/dss.cdx.json (CycloneDX 1.5)
# Included by the top-level CMakeLists.txt after its find_* calls for DSS's libraries. Records,
# for each direct dependency the configuration found, the files that find_* reported; at build
# time cmake/write_project_sbom.cmake maps each file to its Debian package and version.
#
# A new find_package/pkg_check_modules/find_library in CMakeLists.txt needs a line here, and
# docs/sbom/dss.cdx.json regenerated (ProjectSbom.CheckedInSbomIsNotStale says how).

set(DSS_SBOM_SUPPLIER "The DSS project")  # supplier of DSS and author of its SBOM
set(DSS_SBOM_INPUTS ${CMAKE_BINARY_DIR}/sbom/inputs.cmake)
set(DSS_SBOM_OUTPUT ${CMAKE_BINARY_DIR}/sbom/dss.cdx.json)
set(DSS_SBOM_SCRIPT ${PROJECT_SOURCE_DIR}/cmake/write_project_sbom.cmake)

# GoogleTest is listed whether or not this build compiles the tests (DSS_TESTS), so the SBOM is
# the same for every configuration of one source tree.
if(NOT GTest_FOUND)
  find_package(GTest QUIET)
endif()

set(dss_sbom_inputs "# Written by cmake/ProjectSbom.cmake at configure time; read by cmake/write_project_sbom.cmake.\n")
string(APPEND dss_sbom_inputs "set(SBOM_NAME [==[${PROJECT_NAME}]==])\n")
string(APPEND dss_sbom_inputs "set(SBOM_VERSION [==[${PROJECT_VERSION}]==])\n")
string(APPEND dss_sbom_inputs "set(SBOM_DESCRIPTION [==[${PROJECT_DESCRIPTION}]==])\n")
string(APPEND dss_sbom_inputs "set(SBOM_SUPPLIER [==[${DSS_SBOM_SUPPLIER}]==])\n")
set(dss_sbom_names "")

# dss_sbom_dependency(NAME SCOPE FILE...): NAME as CMake knows it; SCOPE "required" (linked into
# or compiled into DSS) or "excluded" (only builds and runs the tests; CycloneDX's term); the
# files its find_* call reported. Unset or NOTFOUND files are dropped; a dependency left with
# none makes the SBOM target fail with a message saying so.
macro(dss_sbom_dependency name scope)
  set(dss_sbom_files "")
  foreach(dss_sbom_file IN ITEMS ${ARGN})
    if(dss_sbom_file AND NOT dss_sbom_file MATCHES "-NOTFOUND$")
      list(APPEND dss_sbom_files "${dss_sbom_file}")
    endif()
  endforeach()
  list(APPEND dss_sbom_names "${name}")
  string(APPEND dss_sbom_inputs "set(SBOM_DEP_${name}_SCOPE ${scope})\n")
  string(APPEND dss_sbom_inputs "set(SBOM_DEP_${name}_FILES [==[${dss_sbom_files}]==])\n")
endmacro()

# Shared libraries: the file the link uses (its symlink is followed at build time to the runtime
# package, e.g. libssl.so -> libssl.so.3 in libssl3). Header-only packages: the CMake config
# file find_package loaded or, without one, the header find_path looked for. Static libraries
# (GoogleTest): the archive linked.
dss_sbom_dependency(OpenSSL required ${OPENSSL_SSL_LIBRARY} ${OPENSSL_CRYPTO_LIBRARY})
dss_sbom_dependency(libsodium required ${SODIUM_LINK_LIBRARIES})
dss_sbom_dependency(libqrencode required ${QRENCODE_LINK_LIBRARIES})
dss_sbom_dependency(libarchive required ${LIBARCHIVE_LINK_LIBRARIES})
dss_sbom_dependency(libunistring required ${UNISTRING_LIBRARY})
dss_sbom_dependency(CURL required ${CURL_LIBRARIES})
dss_sbom_dependency(SQLite3 required ${SQLite3_LIBRARY})
dss_sbom_dependency(simdjson required $<TARGET_FILE:simdjson::simdjson>)
dss_sbom_dependency(tl-expected required ${tl-expected_CONFIG})
dss_sbom_dependency(CLI11 required ${CLI11_CONFIG})
dss_sbom_dependency(nlohmann_json required ${nlohmann_json_CONFIG})
dss_sbom_dependency(Boost required ${Boost_CONFIG})
dss_sbom_dependency(valijson required ${VALIJSON_INCLUDE_DIR}/valijson/validator.hpp)
if(TARGET GTest::gtest AND TARGET GTest::gtest_main)
  dss_sbom_dependency(GTest excluded $<TARGET_FILE:GTest::gtest> $<TARGET_FILE:GTest::gtest_main>)
else()
  dss_sbom_dependency(GTest excluded)
endif()

string(APPEND dss_sbom_inputs "set(SBOM_DEPENDENCIES [==[${dss_sbom_names}]==])\n")

# Packages found by find_package anywhere in the configuration that have no line above and no
# reason here go into the inputs, and this test fails until they are listed:
#   ProjectSbom.ListsEveryDependencyTheConfigurationFoundAtItsInstalledDebianVersion
# (pkg_check_modules, find_library and find_path leave no such record: their lines above must
# be kept by hand.)
set(DSS_SBOM_NOT_LISTED
  PkgConfig       # a build tool; the libraries it finds are listed
  Threads         # the C library's threads: toolchain, like glibc and libstdc++
  boost_headers   # found by Boost's own config file; listed as Boost
  benchmark)      # looked up by CMakeLists.txt, but no target links it
function(dss_sbom_write_inputs)
  get_property(found GLOBAL PROPERTY PACKAGES_FOUND)
  set(unlisted "")
  foreach(package IN LISTS found)
    if(NOT package IN_LIST dss_sbom_names AND NOT package IN_LIST DSS_SBOM_NOT_LISTED)
      list(APPEND unlisted "${package}")
    endif()
  endforeach()
  if(unlisted)
    message(WARNING "find_package found ${unlisted}, which cmake/ProjectSbom.cmake does not list: "
                    "the project SBOM is incomplete until it does")
  endif()
  # Written at generate time, so that $<TARGET_FILE:...> of imported targets is resolved.
  file(GENERATE OUTPUT ${DSS_SBOM_INPUTS}
       CONTENT "${dss_sbom_inputs}set(SBOM_UNLISTED_PACKAGES [==[${unlisted}]==])\n")
endfunction()
# After the whole configuration (tests, benchmarks, fuzzers) has run its find_package calls.
cmake_language(DEFER DIRECTORY ${PROJECT_SOURCE_DIR} CALL dss_sbom_write_inputs)

add_custom_target(project-sbom
  COMMAND ${CMAKE_COMMAND} -DINPUTS=${DSS_SBOM_INPUTS} -DOUT=${DSS_SBOM_OUTPUT} -P ${DSS_SBOM_SCRIPT}
  BYPRODUCTS ${DSS_SBOM_OUTPUT}
  COMMENT "Writing DSS's SBOM to ${DSS_SBOM_OUTPUT}"
  VERBATIM)
