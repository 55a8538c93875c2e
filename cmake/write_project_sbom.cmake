# Writes DSS's own SBOM: a CycloneDX 1.5 JSON document with the NTIA minimum elements
# (docs/adr/0032-project-sbom.md). Run by the `project-sbom` target (cmake/ProjectSbom.cmake):
#   cmake -DINPUTS=B/sbom/inputs.cmake -DOUT=B/sbom/dss.cdx.json -P cmake/write_project_sbom.cmake
# INPUTS, written when the build is configured, gives DSS's name, version and supplier and, for every direct
# dependency the configuration found, its scope and the files find_* reported. Each file is
# mapped to the Debian package that owns it (dpkg-query -S) after following symlinks, so a
# shared library is listed as the runtime package DSS loads (libssl.so -> libssl.so.3, libssl3)
# and a header-only library as its -dev package; that package's version, architecture and
# source package come from dpkg-query -W. A package found through several files or
# dependencies is listed once.
# Optional: -DDPKG_QUERY=program (default dpkg-query), -DOS_RELEASE=file (default /etc/os-release).
# metadata.timestamp is now in UTC, or SOURCE_DATE_EPOCH when that is set; serialNumber is a
# random UUID (every SBOM gets its own, as CycloneDX asks).
# A file no package owns, a dependency without files, or a machine that is not Debian is an
# error that names the problem and what to do; nothing is written then.
cmake_minimum_required(VERSION 3.25)

foreach(var INPUTS OUT)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "write_project_sbom: -D${var}=... is required "
                        "(build the `project-sbom` target instead of running this by hand)")
  endif()
endforeach()
if(NOT EXISTS "${INPUTS}")
  message(FATAL_ERROR "write_project_sbom: ${INPUTS} does not exist; configure the build first "
                      "(cmake -S . -B build -G Ninja)")
endif()
if(NOT DPKG_QUERY)
  set(DPKG_QUERY dpkg-query)
endif()
if(NOT OS_RELEASE)
  set(OS_RELEASE /etc/os-release)
endif()
include("${INPUTS}")

# --- helpers ---------------------------------------------------------------------------------

# json_string(OUT VALUE): VALUE as a quoted JSON string.
function(json_string out value)
  foreach(code RANGE 1 31)
    if(NOT code EQUAL 9 AND NOT code EQUAL 10 AND NOT code EQUAL 13)
      string(ASCII ${code} ctl)
      string(FIND "${value}" "${ctl}" at)
      if(NOT at EQUAL -1)
        message(FATAL_ERROR "write_project_sbom: control character ${code} in \"${value}\"")
      endif()
    endif()
  endforeach()
  string(REPLACE "\\" "\\\\" value "${value}")
  string(REPLACE "\"" "\\\"" value "${value}")
  string(REPLACE "\n" "\\n" value "${value}")
  string(REPLACE "\r" "\\r" value "${value}")
  string(REPLACE "\t" "\\t" value "${value}")
  set(${out} "\"${value}\"" PARENT_SCOPE)
endfunction()

# purl_encode(OUT VALUE): percent-encoding of a purl component (purl specification, "Character
# encoding"): alphanumerics, '.', '-', '_', '~' and ':' stay; every other octet becomes %XX.
# So a Debian version 1:2.4.47-2+b1 becomes 1:2.4.47-2%2Bb1.
function(purl_encode out value)
  set(result "")
  string(LENGTH "${value}" length)
  set(i 0)
  while(i LESS length)
    string(SUBSTRING "${value}" ${i} 1 c)
    if(c MATCHES "^[A-Za-z0-9._~:-]$")
      string(APPEND result "${c}")
    else()
      string(HEX "${c}" hex)
      string(TOUPPER "${hex}" hex)
      string(APPEND result "%${hex}")
    endif()
    math(EXPR i "${i} + 1")
  endwhile()
  set(${out} "${result}" PARENT_SCOPE)
endfunction()

# owner_of(OUT FILE DEPENDENCY): the Debian package (as dpkg names it, e.g. libssl3:amd64) that
# installed FILE, or "" if none did. With merged /usr, CMake may report /lib/... for a file dpkg
# lists as /usr/lib/... (or the reverse), so both spellings are asked.
function(owner_of out file dependency)
  set(${out} "" PARENT_SCOPE)
  set(candidates "${file}")
  if(file MATCHES "^/usr(/(lib|lib32|lib64|libx32|bin|sbin)/.*)$")
    list(APPEND candidates "${CMAKE_MATCH_1}")
  elseif(file MATCHES "^/(lib|lib32|lib64|libx32|bin|sbin)/")
    list(APPEND candidates "/usr${file}")
  endif()
  foreach(candidate IN LISTS candidates)
    execute_process(COMMAND "${DPKG_QUERY}" -S "${candidate}"
                    OUTPUT_VARIABLE listing ERROR_QUIET RESULT_VARIABLE rc)
    if(NOT rc EQUAL 0)
      continue()
    endif()
    string(REPLACE "\n" ";" lines "${listing}")
    foreach(line IN LISTS lines)
      # "diversion by ..." lines describe dpkg-divert, not ownership.
      if(line MATCHES "^diversion " OR NOT line MATCHES "^([^ :,]+(:[a-z0-9-]+)?(, [^ :,]+(:[a-z0-9-]+)?)*): (.+)$")
        continue()
      endif()
      set(owners "${CMAKE_MATCH_1}")
      if(NOT CMAKE_MATCH_5 STREQUAL candidate)
        continue()
      endif()
      if(owners MATCHES ",")
        message(FATAL_ERROR "write_project_sbom: ${candidate} (found for ${dependency}) is shipped "
                            "by several packages (${owners}); the SBOM cannot say which one DSS uses. "
                            "Point the find_* call for ${dependency} at a file one package owns.")
      endif()
      set(${out} "${owners}" PARENT_SCOPE)
      return()
    endforeach()
  endforeach()
endfunction()

# control_fields(OUT CONTROL): the fields dpkg-query -W gives below, tab-separated, read from a
# package's DEBIAN/control file (dpkg-deb -e): Package, Version, Architecture, the source package
# and its version ("Source: name (version)", or the binary's own when absent), the summary.
function(control_fields out control)
  file(STRINGS "${control}" lines)
  set(package "")
  set(version "")
  set(arch "")
  set(source "")
  set(summary "")
  foreach(line IN LISTS lines)
    if(line MATCHES "^Package: (.+)$")
      set(package "${CMAKE_MATCH_1}")
    elseif(line MATCHES "^Version: (.+)$")
      set(version "${CMAKE_MATCH_1}")
    elseif(line MATCHES "^Architecture: (.+)$")
      set(arch "${CMAKE_MATCH_1}")
    elseif(line MATCHES "^Source: (.+)$")
      set(source "${CMAKE_MATCH_1}")
    elseif(line MATCHES "^Description: (.+)$")
      set(summary "${CMAKE_MATCH_1}")
    endif()
  endforeach()
  if(NOT package OR NOT version OR NOT arch)
    message(FATAL_ERROR "write_project_sbom: ${control} names no Package, Version and "
                        "Architecture; run scripts/bootstrap.sh again to unpack the package anew")
  endif()
  set(source_version "${version}")
  if(source MATCHES "^([^ ]+) \\((.+)\\)$")
    set(source "${CMAKE_MATCH_1}")
    set(source_version "${CMAKE_MATCH_2}")
  elseif(NOT source)
    set(source "${package}")
  endif()
  set(${out} "${package}\t${version}\t${arch}\t${source}\t${source_version}\t${summary}" PARENT_SCOPE)
endfunction()

# --- where we are ----------------------------------------------------------------------------

set(os_id "")
set(os_codename "")
if(EXISTS "${OS_RELEASE}")
  file(STRINGS "${OS_RELEASE}" os_lines)
  foreach(line IN LISTS os_lines)
    if(line MATCHES "^ID=\"?([^\"]*)\"?$")
      set(os_id "${CMAKE_MATCH_1}")
    elseif(line MATCHES "^VERSION_CODENAME=\"?([^\"]*)\"?$")
      set(os_codename "${CMAKE_MATCH_1}")
    endif()
  endforeach()
endif()
if(NOT os_id STREQUAL "debian")
  message(FATAL_ERROR "write_project_sbom: the SBOM names Debian packages (pkg:deb/debian/...), "
                      "but ${OS_RELEASE} says ID=\"${os_id}\". Generate it on Debian 12, where "
                      "scripts/bootstrap.sh installs every dependency.")
endif()
set(purl_qualifier_distro "")
if(os_codename)
  set(purl_qualifier_distro "&distro=${os_codename}")
endif()

# --- the dependencies, as Debian packages ------------------------------------------------------

set(packages "")
foreach(dep IN LISTS SBOM_DEPENDENCIES)
  set(scope "${SBOM_DEP_${dep}_SCOPE}")
  if(NOT scope MATCHES "^(required|excluded)$")
    message(FATAL_ERROR "write_project_sbom: ${dep} has scope \"${scope}\"; "
                        "cmake/ProjectSbom.cmake must say required or excluded")
  endif()
  if(NOT SBOM_DEP_${dep}_FILES)
    message(FATAL_ERROR "write_project_sbom: the configuration found no file for ${dep}; install "
                        "it with scripts/bootstrap.sh and reconfigure")
  endif()
  foreach(file IN LISTS SBOM_DEP_${dep}_FILES)
    # A shared library's link name (libssl.so, in the -dev package) is a symlink to the file
    # DSS loads at run time (libssl.so.3, in libssl3): the package of the target is listed.
    file(REAL_PATH "${file}" real)
    set(owner "")
    # A package the bootstrap downloaded and unpacked into .deps/<package>/ (not installed, so
    # dpkg does not know it; ADR 0039) is described by the control file unpacked beside it.
    # (Two if()s: ${CMAKE_MATCH_1} is expanded before the condition is evaluated.)
    if(real MATCHES "^(.*/\\.deps/[a-z0-9][a-z0-9.+-]*)/")
      set(deps_dir "${CMAKE_MATCH_1}")
      if(EXISTS "${deps_dir}/DEBIAN/control")
        set(owner "unpacked=${deps_dir}")
      endif()
    endif()
    if(NOT owner)
      owner_of(owner "${real}" "${dep}")
    endif()
    if(NOT owner)
      owner_of(owner "${file}" "${dep}")
    endif()
    if(NOT owner)
      message(FATAL_ERROR "write_project_sbom: no installed Debian package owns ${file}, which the "
                          "configuration found for ${dep} (`${DPKG_QUERY} -S ${file}` fails). "
                          "Install ${dep} from Debian 12 (scripts/bootstrap.sh) instead of from "
                          "source or another package manager, and reconfigure.")
    endif()
    string(MAKE_C_IDENTIFIER "${owner}" key)
    if(NOT owner IN_LIST packages)
      list(APPEND packages "${owner}")
      set(pkg_${key}_scope "${scope}")
      set(pkg_${key}_deps "")
      set(pkg_${key}_files "")
      set(pkg_${key}_resolved "")
    endif()
    if(scope STREQUAL "required")
      set(pkg_${key}_scope required)  # needed at run time by one dependency: required
    endif()
    if(NOT dep IN_LIST pkg_${key}_deps)
      list(APPEND pkg_${key}_deps "${dep}")
    endif()
    list(APPEND pkg_${key}_files "${file}")
    if(NOT real STREQUAL file)
      list(APPEND pkg_${key}_resolved "${real}")
    endif()
  endforeach()
endforeach()
list(SORT packages)

# Text is accumulated with string(APPEND), never in CMake lists, which would split it at ";".
set(components "")
set(refs "")
set(sep "")
foreach(owner IN LISTS packages)
  string(MAKE_C_IDENTIFIER "${owner}" key)
  set(unpacked "")
  set(rc 0)
  set(err "")
  if(owner MATCHES "^unpacked=(.*)$")
    set(unpacked "${CMAKE_MATCH_1}")
    control_fields(fields "${unpacked}/DEBIAN/control")
  else()
    execute_process(
      COMMAND "${DPKG_QUERY}" -W
              "-f=\${Package}\t\${Version}\t\${Architecture}\t\${source:Package}\t\${source:Version}\t\${binary:Summary}\n"
              "${owner}"
      OUTPUT_VARIABLE fields OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE rc ERROR_VARIABLE err)
  endif()
  if(NOT rc EQUAL 0 OR NOT fields MATCHES "^([^\t]+)\t([^\t]+)\t([^\t]+)\t([^\t]+)\t([^\t]+)\t([^\n]*)$")
    message(FATAL_ERROR "write_project_sbom: `${DPKG_QUERY} -W ${owner}` did not give the "
                        "package's version: ${err}")
  endif()
  set(name "${CMAKE_MATCH_1}")
  set(version "${CMAKE_MATCH_2}")
  set(arch "${CMAKE_MATCH_3}")
  set(source "${CMAKE_MATCH_4}")
  set(source_version "${CMAKE_MATCH_5}")
  set(summary "${CMAKE_MATCH_6}")
  # Debian package names are lowercase already; the deb purl type requires it.
  string(TOLOWER "${name}" name)
  string(TOLOWER "${source}" source)
  purl_encode(enc_version "${version}")
  purl_encode(enc_source_version "${source_version}")
  purl_encode(enc_arch "${arch}")
  set(purl "pkg:deb/debian/${name}@${enc_version}?arch=${enc_arch}${purl_qualifier_distro}")
  set(source_purl "pkg:deb/debian/${source}@${enc_source_version}?arch=source${purl_qualifier_distro}")

  json_string(j_purl "${purl}")
  json_string(j_name "${name}")
  json_string(j_version "${version}")
  json_string(j_summary "${summary}")
  json_string(j_source "${source}")
  json_string(j_source_version "${source_version}")
  json_string(j_source_purl "${source_purl}")
  set(props "")
  set(prop_sep "")
  foreach(dep IN LISTS pkg_${key}_deps)
    json_string(j "${dep}")
    string(APPEND props "${prop_sep}        { \"name\": \"dss:cmake:package\", \"value\": ${j} }")
    set(prop_sep ",\n")
  endforeach()
  if(unpacked)
    string(APPEND props "${prop_sep}        { \"name\": \"dss:deb:unpacked\", \"value\": \"apt-get download, dpkg-deb -x (scripts/bootstrap.sh)\" }")
    set(prop_sep ",\n")
  endif()
  foreach(file IN LISTS pkg_${key}_files)
    json_string(j "${file}")
    string(APPEND props "${prop_sep}        { \"name\": \"dss:cmake:found\", \"value\": ${j} }")
  endforeach()
  foreach(file IN LISTS pkg_${key}_resolved)
    json_string(j "${file}")
    string(APPEND props "${prop_sep}        { \"name\": \"dss:cmake:found:resolved\", \"value\": ${j} }")
  endforeach()
  string(APPEND components "${sep}    {
      \"type\": \"library\",
      \"bom-ref\": ${j_purl},
      \"supplier\": { \"name\": \"Debian\", \"url\": [ \"https://www.debian.org/\" ] },
      \"name\": ${j_name},
      \"version\": ${j_version},
      \"description\": ${j_summary},
      \"scope\": \"${pkg_${key}_scope}\",
      \"purl\": ${j_purl},
      \"pedigree\": {
        \"ancestors\": [
          { \"type\": \"library\", \"name\": ${j_source}, \"version\": ${j_source_version}, \"purl\": ${j_source_purl} }
        ]
      },
      \"properties\": [
${props}
      ]
    }")
  string(APPEND refs "${sep}        ${j_purl}")
  set(sep ",\n")
endforeach()

# --- the document ------------------------------------------------------------------------------

file(READ /proc/sys/kernel/random/uuid uuid LIMIT 36)  # LIMIT: /proc files report size 0
string(STRIP "${uuid}" uuid)
string(REPEAT "[0-9a-f]" 4 x4)  # CMake regular expressions have no {n}
if(NOT uuid MATCHES "^${x4}${x4}-${x4}-4[0-9a-f][0-9a-f][0-9a-f]-[89ab][0-9a-f][0-9a-f][0-9a-f]-${x4}${x4}${x4}$")
  message(FATAL_ERROR "write_project_sbom: /proc/sys/kernel/random/uuid gave no random UUID")
endif()
string(TIMESTAMP timestamp "%Y-%m-%dT%H:%M:%SZ" UTC)
purl_encode(enc_self_version "${SBOM_VERSION}")
set(self_purl "pkg:generic/${SBOM_NAME}@${enc_self_version}")
json_string(j_self_purl "${self_purl}")
json_string(j_self_name "${SBOM_NAME}")
json_string(j_self_version "${SBOM_VERSION}")
json_string(j_self_description "${SBOM_DESCRIPTION}")
json_string(j_supplier "${SBOM_SUPPLIER}")
json_string(j_cmake_version "${CMAKE_VERSION}")

set(document "{
  \"bomFormat\": \"CycloneDX\",
  \"specVersion\": \"1.5\",
  \"serialNumber\": \"urn:uuid:${uuid}\",
  \"version\": 1,
  \"metadata\": {
    \"timestamp\": \"${timestamp}\",
    \"lifecycles\": [ { \"phase\": \"build\" } ],
    \"tools\": {
      \"components\": [
        { \"type\": \"application\", \"name\": \"cmake\", \"version\": ${j_cmake_version},
          \"description\": \"cmake/write_project_sbom.cmake, run by the project-sbom build target\" }
      ]
    },
    \"authors\": [ { \"name\": ${j_supplier} } ],
    \"component\": {
      \"type\": \"application\",
      \"bom-ref\": ${j_self_purl},
      \"supplier\": { \"name\": ${j_supplier} },
      \"name\": ${j_self_name},
      \"version\": ${j_self_version},
      \"description\": ${j_self_description},
      \"purl\": ${j_self_purl}
    },
    \"supplier\": { \"name\": ${j_supplier} }
  },
  \"components\": [
${components}
  ],
  \"dependencies\": [
    {
      \"ref\": ${j_self_purl},
      \"dependsOn\": [
${refs}
      ]
    }
  ],
  \"compositions\": [
    { \"aggregate\": \"incomplete_first_party_only\", \"dependencies\": [ ${j_self_purl} ] }
  ]
}
")

# A broken document is this script's defect: refuse to write it.
string(JSON kind ERROR_VARIABLE json_error TYPE "${document}")
if(json_error)
  message(FATAL_ERROR "write_project_sbom: produced invalid JSON (${json_error}); this is a bug")
endif()
get_filename_component(out_dir "${OUT}" DIRECTORY)
file(MAKE_DIRECTORY "${out_dir}")
file(WRITE "${OUT}.tmp" "${document}")
file(RENAME "${OUT}.tmp" "${OUT}")
list(LENGTH packages count)
message(STATUS "write_project_sbom: ${OUT}: ${SBOM_NAME} ${SBOM_VERSION} and ${count} Debian packages")
