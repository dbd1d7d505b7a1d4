#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine: installs the dependencies,
# builds, and runs every test (unit, protocol, miltertest, real Postfix end to end).
set -euo pipefail
cd "$(dirname "$0")/.."
packaging/install-deps.sh
preset="${MAILTRIAGE_PRESET:-release}"
cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset"
ctest --preset "$preset" "$@"
