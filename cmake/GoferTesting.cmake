# gofer_test(NAME <target> LABEL <unit|service|integration|e2e> SOURCES ... LIBS ...)
#
# Builds one Catch2 v2 test binary (linked with the prebuilt Catch2WithMain, which keeps the
# 20 s CATCH_CONFIG_MAIN translation unit out of the build) and registers each TEST_CASE as
# its own CTest test carrying LABEL. Labels say what a test needs:
#   unit         nothing but the process
#   service      in-process gRPC servers on loopback
#   integration  real Postgres / Redis / dockerd started by scripts/test
#   e2e          the built binaries as processes
#   chaos        the built binaries, killed and starved on purpose (tests/chaos)
function(gofer_test)
  cmake_parse_arguments(T "" "NAME;LABEL;TIMEOUT" "SOURCES;LIBS" ${ARGN})
  if(NOT T_LABEL MATCHES "^(unit|service|integration|e2e|chaos|docker)$")
    message(FATAL_ERROR "gofer_test(${T_NAME}): LABEL must be unit|service|integration|e2e|chaos|docker")
  endif()
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 120)
  endif()
  add_executable(${T_NAME} ${T_SOURCES})
  target_link_libraries(${T_NAME} PRIVATE ${T_LIBS} gofer_warnings Catch2::Catch2WithMain)
  catch_discover_tests(${T_NAME}
    TEST_PREFIX "${T_NAME}: "
    PROPERTIES LABELS ${T_LABEL} TIMEOUT ${T_TIMEOUT})
endfunction()
