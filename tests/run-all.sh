#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine: installs the dependencies,
# builds, and runs every test (unit, protocol, miltertest, real Postfix end to end,
# security checks, the fuzz corpora replayed). Then, unless switched off:
#   asan  the same suite again on an ASan + UBSan build (preset asan): any memory error,
#         leak or undefined behaviour fails the test it happens in. Left out there: the
#         model-quality test (trains models: minutes of CPU, no code path the other tests
#         miss) and hostile.clients (it asserts the daemon's peak RSS and throughput, which
#         ASan's shadow memory and quarantine inflate several-fold; its hostile inputs are
#         covered under ASan by the milter fuzz target), and e2e.postfix_faults (10,000
#         messages through Postfix: minutes of mostly Postfix time, several times longer
#         under ASan; the other Postfix tests drive the same daemon paths under ASan).
#   fuzz  each libFuzzer target (preset fuzz: clang, libFuzzer, ASan + UBSan) for
#         FUZZ_SECONDS (60) from its committed corpus; a crash, leak, timeout or
#         out-of-memory fails the run and leaves the input under build/fuzz/artifacts/.
#
# Usage: tests/run-all.sh [--no-asan] [--no-fuzz] [CTEST_ARGS...]
# (CI runs everything; the switches are for quick local runs.)
set -euo pipefail
cd "$(dirname "$0")/.."

run_asan=1 run_fuzz=1
ctest_args=()
for a in "$@"; do
    case "$a" in
        --no-asan) run_asan=0 ;;
        --no-fuzz) run_fuzz=0 ;;
        *) ctest_args+=("$a") ;;
    esac
done

stage() { printf '\n==== %s (%s)\n' "$1" "$(date +%H:%M:%S)"; }

packaging/install-deps.sh
preset="${MAILTRIAGE_PRESET:-release}"
stage "build and test: $preset"
cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset"
# Two at a time (CI has two cores): the training tests start first, beside the Postfix
# tests, which mostly wait; the tests marked RUN_SERIAL (hostile clients' throughput
# and RSS, the package install) still run alone.
ctest --preset "$preset" --parallel 2 "${ctest_args[@]}"

if ((run_asan)); then
    stage "build and test: asan (ASan + UBSan)"
    cmake --preset asan >/dev/null
    cmake --build --preset asan
    # halt_on_error: the first report fails the test; detect_leaks: leaks count too.
    # Third-party leaks that are not ours are suppressed, each with its reason, in
    # tests/sanitizers/lsan.supp.
    ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:abort_on_error=0:strict_string_checks=1:detect_stack_use_after_return=1:check_initialization_order=1" \
    UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1" \
    LSAN_OPTIONS="suppressions=$PWD/tests/sanitizers/lsan.supp:print_suppressions=0" \
        ctest --preset asan -LE "quality|hostile" -E "^e2e\.postfix_faults$" --parallel 2 "${ctest_args[@]}"
fi

if ((run_fuzz)); then
    stage "fuzz: ${FUZZ_SECONDS:-60} s per target"
    cmake --preset fuzz >/dev/null
    cmake --build --preset fuzz
    tests/fuzz/run-fuzzers.sh build/fuzz "${FUZZ_SECONDS:-60}"
fi
stage "all passed"
