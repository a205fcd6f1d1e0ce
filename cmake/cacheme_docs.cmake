# The API reference: Doxygen (Debian's `doxygen`) over the public headers only, as target `docs`
# (not part of `all`). Warnings (an undocumented public entity, bad markup) go to
# build/docs/api/warnings.log, which must stay empty: scripts/package_test.sh (CI) fails on any
# line of it, and -DCACHEME_DOCS_STRICT=ON makes any warning fail the target itself too:
#   cmake --build build --target docs      ->  build/docs/api/html/index.html
find_package(Doxygen QUIET)
if(NOT DOXYGEN_FOUND)
  return()
endif()

set(DOXYGEN_PROJECT_NAME cacheme)
set(DOXYGEN_PROJECT_BRIEF "A C++20 cache framework for asynchronous services")
set(DOXYGEN_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/docs/api)
set(DOXYGEN_GENERATE_LATEX NO)
set(DOXYGEN_EXTRACT_ALL NO)  # undocumented public entities are warnings
set(DOXYGEN_WARN_IF_UNDOCUMENTED YES)
set(DOXYGEN_WARN_NO_PARAMDOC NO)  # the docs describe parameters in prose, not with @param
set(DOXYGEN_WARN_LOGFILE ${PROJECT_BINARY_DIR}/docs/api/warnings.log)  # in both modes, for CI
option(CACHEME_DOCS_STRICT "Fail the docs target on any Doxygen warning" OFF)
if(CACHEME_DOCS_STRICT)
  set(DOXYGEN_WARN_AS_ERROR FAIL_ON_WARNINGS)  # finishes the run (full log), then fails
endif()
set(DOXYGEN_QUIET YES)
set(DOXYGEN_JAVADOC_AUTOBRIEF YES)
set(DOXYGEN_DISTRIBUTE_GROUP_DOC YES)  # one comment over a ///@{ group documents its members
set(DOXYGEN_MARKDOWN_SUPPORT YES)
set(DOXYGEN_FULL_PATH_NAMES YES)
set(DOXYGEN_STRIP_FROM_PATH ${PROJECT_SOURCE_DIR})
# Internals are not API: detail namespaces, private headers beside the sources.
# Specializations of std:: and nlohmann:: templates are not cacheme's API.
set(DOXYGEN_EXCLUDE_SYMBOLS "detail" "*::detail::*" "std::*" "nlohmann::*")
set(DOXYGEN_EXCLUDE_PATTERNS "*/detail/*")
set(DOXYGEN_PREDEFINED "ASIO_STANDALONE")
set(DOXYGEN_USE_MDFILE_AS_MAINPAGE ${PROJECT_SOURCE_DIR}/docs/api.md)

file(GLOB cacheme_public_includes LIST_DIRECTORIES true ${PROJECT_SOURCE_DIR}/core/include
     ${PROJECT_SOURCE_DIR}/drivers/include ${PROJECT_SOURCE_DIR}/drivers/*/include ${PROJECT_SOURCE_DIR}/adapters/*/include)
doxygen_add_docs(docs ${PROJECT_SOURCE_DIR}/docs/api.md ${cacheme_public_includes}
                 COMMENT "API reference (Doxygen) -> ${DOXYGEN_OUTPUT_DIRECTORY}/html/index.html")
