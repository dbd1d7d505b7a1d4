#!/usr/bin/env bash
# Runs roundtrip.lua with Debian's miltertest against a real mailtriaged, once
# over TCP (inet:PORT@127.0.0.1) and once over a UNIX socket, and checks each
# time that SIGTERM makes the daemon exit 0. Then checks that an
# inet6:PORT@[::1] listen spec binds [::1] (no traffic: miltertest has no IPv6).
#
# Environment: MAILTRIAGED (binary), E2E_KEEP=1 keeps the work directory.
# Exit 0 pass, 1 fail, 77 skipped (miltertest or the daemon missing). Root is
# not needed.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=SCRIPTDIR/../e2e/lib.sh
source "$here/../e2e/lib.sh"
# The full pipeline with a rule that marks every message X-Triage-Status: seen.
E2E_DAEMON_ARGS="--config $(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/e2e/marker.yaml ${E2E_DAEMON_ARGS:-}"

command -v miltertest >/dev/null 2>&1 || e2e_skip "miltertest not installed (apt-get install miltertest)"
[[ -x "$MAILTRIAGED" ]] || e2e_skip "daemon not built: $MAILTRIAGED"

e2e_init miltertest

# run_script SPEC: one miltertest run against an already listening daemon.
run_script() {
    local spec="$1" out rc
    out="$E2E_DIR/miltertest-${spec%%:*}.log"
    timeout 60 miltertest -D "MILTER=$spec" -s "$here/roundtrip.lua" >"$out" 2>&1
    rc=$?
    sed 's/^/    /' "$out" >&2
    if [[ $rc -ne 0 ]] || ! grep -q '^PASS:' "$out"; then
        e2e_fail "miltertest against $spec exited with status $rc"
    fi
}

E2E_MILTER_PORT=$(e2e_free_port) || e2e_fail "no free port"
e2e_start_daemon "$E2E_MILTER_PORT"
run_script "inet:$E2E_MILTER_PORT@127.0.0.1"
e2e_stop_daemon

sock="$E2E_DIR/mailtriaged.sock"
e2e_start_daemon_listen "unix:$sock"
[[ -S "$sock" ]] || e2e_fail "daemon listening on unix:$sock but no socket there"
run_script "unix:$sock"
e2e_stop_daemon

# inet6: miltertest speaks IPv4 only, so check just that the daemon binds
# [::1]:PORT (no traffic) and stops cleanly. Skipped without IPv6 loopback.
if grep -qE '^0{31}1 .* lo$' /proc/net/if_inet6 2>/dev/null; then
    port6=$(e2e_free_port) || e2e_fail "no free port"
    e2e_start_daemon_listen "inet6:$port6@[::1]"
    ss -Hltn "sport = :$port6" | grep -qF "[::1]:$port6" ||
        e2e_fail "inet6:$port6@[::1]: daemon says listening but nothing is bound to [::1]:$port6"
    e2e_stop_daemon
else
    e2e_log "no IPv6 loopback: inet6 listen check skipped"
fi

e2e_log "PASS: miltertest roundtrip over inet and unix sockets, inet6 listen check"
