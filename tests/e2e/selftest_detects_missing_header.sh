#!/usr/bin/env bash
# Guards the guard: postfix_roundtrip.sh must FAIL when mail passes without the
# daemon's header. smtpd_milters points at a port where nothing listens and
# milter_default_action = accept, so Postfix delivers every message unmarked.
# Passes only if the roundtrip test exits 1 naming the missing header.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out=$(E2E_NO_DAEMON=1 E2E_DEFAULT_ACTION=accept E2E_MESSAGES="${E2E_MESSAGES:-50}" \
    "$here/postfix_roundtrip.sh" 2>&1)
rc=$?
if [[ $rc -eq 77 ]]; then
    echo "$out" | tail -n 3
    exit 77
fi
if [[ $rc -eq 1 ]] && grep -q 'arrived without X-Triage-Status: seen' <<<"$out"; then
    echo "OK: roundtrip test failed as it must: $(grep -m1 'FAIL:' <<<"$out")"
    exit 0
fi
echo "$out" | tail -n 40
echo "selftest FAILED: roundtrip exited $rc without reporting the missing header"
exit 1
