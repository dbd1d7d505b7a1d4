#!/usr/bin/env bash
# Would mailtriaged survive its unit's sandbox? systemd applies SystemCallFilter=,
# MemoryDenyWriteExecute= and RestrictAddressFamilies= only under systemd, which CI does
# not run as init; so the daemon runs here under strace through a real workload, once on
# a unix socket and once on TCP: miltertest's protocol round trip, the MIME fixtures
# (HTML, charsets, attachments) replayed by `mailtriage bench` four connections at a
# time, a SIGHUP reload and a SIGTERM drain. check_syscalls.py then checks every system
# call, executable mapping, socket family and file opened against the unit
# (systemd/mailtriaged.service.in).
#
# Environment: MAILTRIAGED, MAILTRIAGE (the CLI). Exit 0 pass, 1 fail, 77 skipped
# (strace, miltertest or python3 missing, or ptrace not permitted here).
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
# shellcheck source=SCRIPTDIR/../e2e/lib.sh
source "$root/tests/e2e/lib.sh"
MAILTRIAGE="${MAILTRIAGE:?MAILTRIAGE (the mailtriage CLI) not set}"
unit="$root/systemd/mailtriaged.service.in"

for tool in strace miltertest python3; do
    command -v "$tool" >/dev/null 2>&1 || e2e_skip "$tool not installed"
done
[[ -x "$MAILTRIAGED" ]] || e2e_skip "daemon not built: $MAILTRIAGED"
strace -qq -o /dev/null true 2>/dev/null || e2e_skip "strace cannot trace here (ptrace not permitted)"

e2e_init sandbox
TRACE_PID=""
stop_trace() { [[ -n "$TRACE_PID" ]] && kill -KILL "$TRACE_PID" 2>/dev/null; TRACE_PID=""; }
trap 'stop_trace; e2e_cleanup' EXIT

# traced_run NAME SPEC: the daemon on SPEC under strace, the workload, reload, drain;
# then the sandbox check of what it did.
traced_run() {
    local name="$1" spec="$2" trace="$E2E_DIR/$1.strace" log="$E2E_DIR/$1.log" pid rc
    strace -f -qq -o "$trace" "$MAILTRIAGED" --config "$root/tests/e2e/marker.yaml" --listen "$spec" \
        >"$log" 2>&1 &
    TRACE_PID=$!
    e2e_wait_until 15 "$name: event=listening" grep -q 'event=listening' "$log" ||
        { cat "$log" >&2; e2e_fail "$name: daemon under strace did not listen"; }
    pid=$(pgrep -P "$TRACE_PID" -x mailtriaged) || e2e_fail "$name: no mailtriaged under strace pid $TRACE_PID"

    timeout 60 miltertest -D "MILTER=$spec" -s "$root/tests/miltertest/roundtrip.lua" >"$E2E_DIR/$name.mt" 2>&1 ||
        { cat "$E2E_DIR/$name.mt" >&2; e2e_fail "$name: miltertest round trip failed"; }
    timeout 120 "$MAILTRIAGE" bench --socket "$spec" --concurrency 4 --repeat 2 "$root/tests/fixtures/mime" \
        >"$E2E_DIR/$name.replay" 2>&1 ||
        { cat "$E2E_DIR/$name.replay" >&2; e2e_fail "$name: mailtriage bench failed"; }
    kill -HUP "$pid"
    e2e_wait_until 15 "$name: event=reloaded" grep -q 'event=reloaded' "$log" || e2e_fail "$name: no reload"
    kill -TERM "$pid"
    local deadline=$((SECONDS + 20))
    while kill -0 "$TRACE_PID" 2>/dev/null; do
        ((SECONDS < deadline)) || e2e_fail "$name: daemon did not drain within 20s of SIGTERM"
        sleep 0.1
    done
    wait "$TRACE_PID"; rc=$?   # strace exits with the traced daemon's status
    TRACE_PID=""
    [[ $rc -eq 0 ]] || { cat "$log" >&2; e2e_fail "$name: daemon exited with status $rc"; }
    e2e_log "$name: $(grep -c . "$trace") traced calls; checking them against the unit's sandbox"
    python3 "$here/check_syscalls.py" "$unit" "$trace" >&2 || e2e_fail "$name: the unit's sandbox would break the daemon"
}

traced_run unix "unix:$E2E_DIR/mailtriaged.sock"
traced_run inet "inet:$(e2e_free_port)@127.0.0.1"
e2e_log "PASS: every system call, mapping and socket family is allowed by the unit"
