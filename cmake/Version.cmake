# Version and git revision, recorded in every result JSON.
execute_process(COMMAND git rev-parse --short=12 HEAD
                WORKING_DIRECTORY "${CMAKE_SOURCE_DIR}"
                OUTPUT_VARIABLE HC_GIT_SHA OUTPUT_STRIP_TRAILING_WHITESPACE
                ERROR_QUIET)
if(NOT HC_GIT_SHA)
  set(HC_GIT_SHA "unknown")
endif()
configure_file("${CMAKE_SOURCE_DIR}/cmake/version.cpp.in"
               "${CMAKE_BINARY_DIR}/generated/version.cpp" @ONLY)
