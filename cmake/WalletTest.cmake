# wallet_add_test(NAME n SOURCES ... [LIBS ...] [LABELS ...] [ENV ...] [TIMEOUT s] [ARGS ...])
#   One test executable = one ctest entry. Qt tests run offscreen with a fixed locale.
# wallet_add_fuzzer(NAME n SOURCES ... [LIBS ...] CORPUS dir)
#   With WALLET_BUILD_FUZZERS (the fuzz preset, clang): a libFuzzer binary. Always: a replay binary that runs every
#   file of CORPUS through the same entry point, registered as a ctest (label "fuzz-replay"), and the long replay
#   n_long (label slow): the corpus, then WALLET_SLOW_FUZZ_EXECUTIONS mutated inputs (seed printed).
# wallet_require(<value> <what> <how to get it>)
#   For a test that needs a tool or library: without SKEY_REQUIRE_ALL a missing one is a configure warning and the
#   test is not registered; with SKEY_REQUIRE_ALL=1 (CI: .ci/run, scripts/test.sh under CI=true) configuration fails,
#   so the suite can never silently shrink.
#
# Skips: a test that cannot run here exits with code 77 (SKIP_RETURN_CODE), so ctest shows it as *Skipped*, never
# Passed (Qt tests use SKEY_SKIP and SKEY_TEST_MAIN from tests/support/Skip.h). With SKEY_REQUIRE_ALL=1 in the
# environment of configure or of ctest, every would-be skip is a failure instead.
#
# Sanitizers: every test runs with LeakSanitizer on (detect_leaks=1) and tests/lsan.supp, which suppresses known
# third-party leaks only (Qt, fontconfig, dbus, ...), each commented. A leak in project code fails the test.

# SKEY_REQUIRE_ALL: from the environment at configure time (CI), or -DSKEY_REQUIRE_ALL=ON.
if(DEFINED ENV{SKEY_REQUIRE_ALL} AND NOT "$ENV{SKEY_REQUIRE_ALL}" STREQUAL "" AND NOT "$ENV{SKEY_REQUIRE_ALL}" STREQUAL "0")
    set(SKEY_REQUIRE_ALL ON)
endif()
option(SKEY_REQUIRE_ALL "Fail configuration when a test's tool is missing, and fail tests that would skip (CI)" OFF)
set(WALLET_TEST_SKIP_CODE 77)
set(WALLET_LSAN_SUPPRESSIONS "${PROJECT_SOURCE_DIR}/tests/lsan.supp")
# The sanitizer runtime options of every test (and of the tests that add_test() themselves: use this list).
set(WALLET_TEST_SANITIZER_ENV
    "ASAN_OPTIONS=detect_leaks=1:abort_on_error=1"
    "LSAN_OPTIONS=suppressions=${WALLET_LSAN_SUPPRESSIONS}:print_suppressions=0"
    "UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1")
if(SKEY_REQUIRE_ALL)
    list(APPEND WALLET_TEST_SANITIZER_ENV "SKEY_REQUIRE_ALL=1")
endif()

# The slow label (ctest --preset slow): sizes of the long runs.
set(WALLET_SLOW_FUZZ_EXECUTIONS 10000000 CACHE STRING "Mutated inputs per fuzz target in the slow long replays")
set(WALLET_SLOW_FUZZ_SEED 0 CACHE STRING "Seed of the slow long fuzz replays (0 = from the clock, printed)")

function(wallet_require value what hint)
    if(value)
        return()
    endif()
    if(SKEY_REQUIRE_ALL)
        message(FATAL_ERROR "${what} is missing (${hint}). SKEY_REQUIRE_ALL is set (CI), so the test suite may not "
                            "shrink: install it, or configure without SKEY_REQUIRE_ALL to run without that test.")
    else()
        message(WARNING "${what} is missing (${hint}); its test is not registered. CI (SKEY_REQUIRE_ALL=1) would "
                        "fail here.")
    endif()
endfunction()

# Applies the common properties to a test registered with add_test(): labels, timeout, skip code, environment.
function(wallet_test_properties name)
    cmake_parse_arguments(P "" "TIMEOUT" "LABELS;ENV" ${ARGN})
    if(NOT P_LABELS)
        set(P_LABELS unit)
    endif()
    if(NOT P_TIMEOUT)
        set(P_TIMEOUT 300)
    endif()
    set(_sim_env "")
    if(TARGET skey-sim)
        # The app finds skey-sim on $SKEY_SIM_PATH, beside itself or on PATH (no compiled-in build path).
        set(_sim_env "SKEY_SIM_PATH=$<TARGET_FILE:skey-sim>;")
    endif()
    if(TARGET skey-bank AND TARGET bankctl)
        string(APPEND _sim_env "SKEY_BANK_PATH=$<TARGET_FILE:skey-bank>;SKEY_BANKCTL_PATH=$<TARGET_FILE:bankctl>;")
    endif()
    # Without a bank-client.json the wallet starts its own local bank host (core/bank/LocalBankHost). Tests written
    # before that keep the in-process demo issuer (test-only); a test of the default sets SKEY_WALLET_LOCAL_ISSUER=0
    # in its ENV (later entries win).
    string(APPEND _sim_env "SKEY_WALLET_LOCAL_ISSUER=1;")
    set_tests_properties(${name} PROPERTIES LABELS "${P_LABELS}" TIMEOUT ${P_TIMEOUT}
        SKIP_RETURN_CODE ${WALLET_TEST_SKIP_CODE}
        ENVIRONMENT "${_sim_env}QT_QPA_PLATFORM=offscreen;LC_ALL=C.UTF-8;LANG=C.UTF-8;SKEY_SOURCE_DIR=${PROJECT_SOURCE_DIR};SKEY_SHARED_DIR=${WALLET_SHARED_DIR};${WALLET_TEST_SANITIZER_ENV};${P_ENV}")
    if(SKEY_REQUIRE_ALL)
        # Also a plain QSKIP (Qt Test prints "SKIP   : Class::function()") fails under SKEY_REQUIRE_ALL.
        set_tests_properties(${name} PROPERTIES FAIL_REGULAR_EXPRESSION "SKIP   : [A-Za-z_0-9]+::")
    endif()
endfunction()
function(wallet_add_test)
    cmake_parse_arguments(T "" "NAME;TIMEOUT" "SOURCES;LIBS;LABELS;ENV;ARGS" ${ARGN})
    add_executable(${T_NAME} ${T_SOURCES})
    target_link_libraries(${T_NAME} PRIVATE ${T_LIBS})
    target_include_directories(${T_NAME} PRIVATE ${PROJECT_SOURCE_DIR} ${PROJECT_SOURCE_DIR}/tests)
    wallet_set_warnings(${T_NAME})
    add_test(NAME ${T_NAME} COMMAND ${T_NAME} ${T_ARGS})
    wallet_test_properties(${T_NAME} LABELS ${T_LABELS} TIMEOUT ${T_TIMEOUT} ENV ${T_ENV})
endfunction()

function(wallet_add_fuzzer)
    cmake_parse_arguments(F "" "NAME;CORPUS" "SOURCES;LIBS" ${ARGN})
    add_executable(${F_NAME}_replay ${F_SOURCES} ${PROJECT_SOURCE_DIR}/tests/support/FuzzReplayMain.cpp)
    target_link_libraries(${F_NAME}_replay PRIVATE ${F_LIBS})
    target_include_directories(${F_NAME}_replay PRIVATE ${PROJECT_SOURCE_DIR} ${PROJECT_SOURCE_DIR}/tests)
    add_test(NAME ${F_NAME}_replay COMMAND ${F_NAME}_replay ${F_CORPUS})
    wallet_test_properties(${F_NAME}_replay LABELS fuzz-replay)
    add_test(NAME ${F_NAME}_long COMMAND ${F_NAME}_replay --executions ${WALLET_SLOW_FUZZ_EXECUTIONS}
                                        --seed ${WALLET_SLOW_FUZZ_SEED} ${F_CORPUS})
    wallet_test_properties(${F_NAME}_long LABELS slow TIMEOUT 86400)
    if(WALLET_BUILD_FUZZERS)
        add_executable(${F_NAME} ${F_SOURCES})
        target_link_libraries(${F_NAME} PRIVATE ${F_LIBS})
        target_include_directories(${F_NAME} PRIVATE ${PROJECT_SOURCE_DIR} ${PROJECT_SOURCE_DIR}/tests)
        target_compile_options(${F_NAME} PRIVATE -fsanitize=fuzzer)
        target_link_options(${F_NAME} PRIVATE -fsanitize=fuzzer)
    endif()
endfunction()
