# cmake -DEDGES_DIR=<dir> -DMODULES=<a,b,...> -P check_link_closure.cmake
# Fails when a module's link closure (EDGES_DIR/<module>.edges, written by CMakeLists.txt here)
# reaches platform, network, curl, TLS, database, archive or thread code, or an item it cannot judge.
cmake_minimum_required(VERSION 3.25)

# Reached through these edges only, a forbidden item is accepted; each has its reason.
set(allowed_edges
  # Debian's simdjson package declares Threads for its parse_many worker, which DSS never calls;
  # dss_core's JSON parsing is single-threaded.
  "simdjson::simdjson -> Threads::Threads"
  # SBOM validation runs on one joined worker thread with a large stack, because libstdc++'s
  # std::regex recurses per character (src/sbom/sbom.cc); the module does no I/O.
  "dss_sbom -> Threads::Threads")
set(forbidden_targets dss_platform dss_net dss_httpd dss_client dss_tlog dss_audit dss_repo
    dss_settings_system dss_server dss_agent CURL::libcurl OpenSSL::SSL SQLite::SQLite3
    PkgConfig::LIBARCHIVE Boost::headers Threads::Threads)
# Leaves (library files and flags) are judged by name.
set(forbidden_leaf "(curl|pthread|sqlite|archive|libssl|boost|asio)")

string(REPLACE "," ";" modules "${MODULES}")
set(failures "")
foreach(module IN LISTS modules)
  set(file ${EDGES_DIR}/${module}.edges)
  if(NOT EXISTS ${file})
    string(APPEND failures "  ${module}: no link closure at ${file}; re-run cmake\n")
    continue()
  endif()
  file(STRINGS ${file} edges)
  foreach(edge IN LISTS edges)
    if(NOT edge MATCHES "^(.+) -> (.+)$")
      string(APPEND failures "  ${module}: unreadable edge '${edge}'\n")
      continue()
    endif()
    set(parent "${CMAKE_MATCH_1}")
    set(child "${CMAKE_MATCH_2}")
    if(edge IN_LIST allowed_edges)
      continue()
    endif()
    if(child MATCHES "\\$<")
      string(APPEND failures
        "  ${module} reaches '${child}' (through ${parent}), a generator expression this check cannot judge\n")
    elseif(child IN_LIST forbidden_targets)
      string(APPEND failures "  ${module} reaches ${child} (through ${parent})\n")
    elseif(NOT child MATCHES "::" AND NOT child MATCHES "^dss_" AND child MATCHES "${forbidden_leaf}")
      string(APPEND failures "  ${module} reaches ${child} (through ${parent})\n")
    endif()
  endforeach()
endforeach()

if(failures)
  message(FATAL_ERROR "Modules declared pure link code they may not (ADR 0040):\n${failures}"
    "Move the I/O to an edge module, or if the dependency is harmless, add the edge to "
    "allowed_edges in tests/modules/check_link_closure.cmake with its reason.")
endif()
list(LENGTH modules n)
message(STATUS "${n} pure modules link no platform, network, curl or thread code")
