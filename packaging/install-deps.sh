#!/usr/bin/env bash
# Installs every build and test dependency from Debian 12's packages.
# Non-interactive and idempotent: a second run installs nothing.
#   packaging/install-deps.sh               build + test (CI, developers)
#   packaging/install-deps.sh --build-only  what building and packaging need (the
#                                           Dockerfile's build stage)
set -euo pipefail

build_packages=(
  build-essential cmake pkg-config
  libboost-dev libboost-system-dev      # Boost.Asio / Beast (header-only in 1.74)
  libmilter-dev                         # mfdef.h only: the protocol constants
  libxgboost-dev libssl-dev libyaml-cpp-dev libsystemd-dev
  file                                  # cpack's DEB generator finds the ELF files to give dpkg-shlibdeps
)
test_packages=(
  libgtest-dev libgmock-dev libbenchmark-dev
  postfix                               # smtpd, smtp-source, smtp-sink for end-to-end tests
  miltertest                            # an independent milter protocol client
  procps psmisc                         # ps/pkill used by the test scripts
  man-db groff-base                     # man -l checks of the man pages
  python3                               # SMTP client and JSON checks in the e2e and quality tests
  clang-14 libclang-rt-14-dev llvm-14   # libFuzzer targets (preset fuzz) and llvm-symbolizer for reports
  passwd                                # useradd/groupadd: the privilege-drop test's throwaway user
  python3-yaml                          # Kubernetes manifest checks
  systemd                               # systemd-analyze verify/security of the unit (not as init)
  strace                                # the unit's sandbox checked against the daemon's system calls
)

packages=("${build_packages[@]}")
case "${1:-}" in
  --build-only) ;;
  "") packages+=("${test_packages[@]}") ;;
  *) echo "usage: $0 [--build-only]" >&2; exit 64 ;;
esac

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
# Postfix asks how to configure itself; the test instances bring their own main.cf.
echo "postfix postfix/main_mailer_type select No configuration" | $SUDO debconf-set-selections
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
