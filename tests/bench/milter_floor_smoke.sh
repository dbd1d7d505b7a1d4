#!/usr/bin/env bash
# The floor (mailtriage_milter_floor, docs/PERFORMANCE.md) still does what side-by-side.sh
# and postfix-ratio.sh report it as: started with mailtriaged's arguments (--http-listen
# included), it answers every message with accept and four added headers, through the
# same client the benchmarks use, and exits 0 on SIGTERM; an unknown argument is refused.
#
# Environment: MILTER_FLOOR, MAILTRIAGE (binaries).
# Exit 0 pass, 1 fail, 77 skipped. Only 127.0.0.1 is used; every wait is bounded.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=SCRIPTDIR/../e2e/lib.sh
source "$here/../e2e/lib.sh"
command -v python3 >/dev/null 2>&1 || e2e_skip "python3 not installed"
[[ -x "${MILTER_FLOOR:-}" && -x "${MAILTRIAGE:-}" ]] || e2e_skip "floor or CLI not built"

e2e_init milter_floor_smoke

"$MILTER_FLOOR" --no-such-option >/dev/null 2>&1
e2e_check "unknown argument refused" "$?" 64

port=$(e2e_free_port) || e2e_fail "no free port"
"$MILTER_FLOOR" --listen "inet:$port@127.0.0.1" --http-listen 127.0.0.1:0 --log-level warning \
    >"$E2E_DIR/floor.log" 2>&1 &
floor_pid=$!
e2e_track_pid "$floor_pid"
listening_or_gone() { ! kill -0 "$floor_pid" 2>/dev/null || e2e_port_listening "$port"; }
e2e_wait_until 30 "the floor on $port" listening_or_gone && kill -0 "$floor_pid" 2>/dev/null ||
    { cat "$E2E_DIR/floor.log" >&2; e2e_fail "the floor did not start"; }

# Six small messages of our own, one with a body larger than a milter body chunk.
messages=6
mkdir -p "$E2E_DIR/mail/ham"
for ((i = 1; i <= messages; i++)); do
    {
        printf 'From: Sender %d <sender%d@example.org>\r\nTo: rcpt@example.net\r\n' "$i" "$i"
        printf 'Subject: floor smoke %d\r\nMessage-ID: <%d.floor@example.org>\r\n\r\n' "$i" "$i"
        for ((line = 0; line < (i == messages ? 2000 : 3); line++)); do
            printf 'Line %d of a test message for the floor.\r\n' "$line"
        done
    } >"$E2E_DIR/mail/ham/$i.eml"
done
"$MAILTRIAGE" bench --socket "inet:$port@127.0.0.1" --concurrency 2 --repeat 3 --json "$E2E_DIR/mail" \
    >"$E2E_DIR/bench.json" || e2e_fail "mailtriage bench failed: $(cat "$E2E_DIR/bench.json")"
field() { python3 -c 'import json, sys
r = json.load(open(sys.argv[1]))
v = r
for k in sys.argv[2].split("."):
    v = v.get(k, 0) if isinstance(v, dict) else 0
print(v)' "$E2E_DIR/bench.json" "$1"; }
sent=$((3 * messages))
e2e_check "messages answered" "$(field answered)" "$sent"
e2e_check "messages failed" "$(field failed)" 0
e2e_check "final replies: accept" "$(field final_replies.accept)" "$sent"
e2e_check "headers added, four per message" "$(field modifications.add_header)" "$((4 * sent))"

kill -TERM "$floor_pid"
wait "$floor_pid"
e2e_check "exit status after SIGTERM" "$?" 0

e2e_checks_passed
e2e_log "passed"
