#!/bin/bash
# Prints the packaged systemd unit's Environment= settings as VAR=value words, so that
# every benchmark starts mailtriaged as the unit does (today the allocator setting,
# GLIBC_TUNABLES; docs/PERFORMANCE.md "The allocator"). One place for the three scripts
# here: io-path.sh, postfix-ratio.sh and side-by-side.sh.
set -eu
sed -n 's/^Environment=//p' "$(dirname "$0")/../../systemd/mailtriaged.service.in"
