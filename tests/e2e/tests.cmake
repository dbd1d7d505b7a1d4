# End-to-end and miltertest registrations, include()d from tests/CMakeLists.txt:
#   include(${CMAKE_CURRENT_SOURCE_DIR}/e2e/tests.cmake)
# Needs the mailtriaged target defined before the include.
#
# Exit status 77 = skipped (not root, Postfix or miltertest missing). The
# Postfix tests edit alternate_config_directories in /etc/postfix/main.cf and
# start a private Postfix instance: RESOURCE_LOCK postfix keeps them from running
# beside each other; they run as root only. They spend most of their time waiting
# (fixed sending rates, Postfix's timers), so under `ctest --parallel 2` another
# test may run beside them: the quality tests' training first (COST, see
# tests/CMakeLists.txt), which is what keeps CI's release stage short.
#   ctest --preset release -L e2e          # Postfix end to end
#   ctest --preset release -L miltertest   # protocol round trip
#   ctest --preset release -LE 'e2e|miltertest'   # everything else

set(_mailtriage_e2e_dir ${CMAKE_CURRENT_LIST_DIR})
set(_mailtriage_miltertest_dir ${CMAKE_CURRENT_LIST_DIR}/../miltertest)

add_test(NAME e2e.postfix_roundtrip
         COMMAND ${_mailtriage_e2e_dir}/postfix_roundtrip.sh)
add_test(NAME e2e.postfix_roundtrip_detects_missing_header
         COMMAND ${_mailtriage_e2e_dir}/selftest_detects_missing_header.sh)
add_test(NAME e2e.postfix_kill_restart
         COMMAND ${_mailtriage_e2e_dir}/postfix_kill_restart.sh)
add_test(NAME e2e.postfix_policy
         COMMAND ${_mailtriage_e2e_dir}/postfix_policy.sh)
add_test(NAME e2e.postfix_tempfail_retry
         COMMAND ${_mailtriage_e2e_dir}/postfix_tempfail_retry.sh)
# Forged X-Triage-* headers (judged and fallback) never reach the next hop; the
# debug-level log holds none of the run's addresses or subjects.
add_test(NAME e2e.postfix_security
         COMMAND ${_mailtriage_e2e_dir}/postfix_security.sh)
# 10,000 messages through kill -9/restarts, model corruption/deletion/replacement, a
# verdict deadline and a full log disk; the issue's full run (100,000 messages, 10
# kills) is the same script with E2E_FAULT_MESSAGES=100000 E2E_FAULT_KILLS=10.
add_test(NAME e2e.postfix_faults
         COMMAND ${_mailtriage_e2e_dir}/postfix_faults.sh)
set_tests_properties(
    e2e.postfix_roundtrip
    e2e.postfix_roundtrip_detects_missing_header
    e2e.postfix_kill_restart
    e2e.postfix_policy
    e2e.postfix_tempfail_retry
    e2e.postfix_security
    e2e.postfix_faults
    PROPERTIES
        ENVIRONMENT "MAILTRIAGED=$<TARGET_FILE:mailtriaged>"
        SKIP_RETURN_CODE 77
        TIMEOUT 600
        LABELS e2e
        RESOURCE_LOCK postfix
        COST 500)

add_test(NAME miltertest.roundtrip
         COMMAND ${_mailtriage_miltertest_dir}/run.sh)
set_tests_properties(
    miltertest.roundtrip
    PROPERTIES
        ENVIRONMENT "MAILTRIAGED=$<TARGET_FILE:mailtriaged>"
        SKIP_RETURN_CODE 77
        TIMEOUT 120
        LABELS miltertest)
