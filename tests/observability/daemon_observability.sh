#!/usr/bin/env bash
# The daemon's operations surface end to end, without Postfix: mailtriaged with JSON
# logs and a pseudonym key file, five messages sent with `mailtriage bench`, then:
#   - /healthz and /readyz answer 200; /metrics moved by exactly five messages
#     (milter messages, verdicts, verdict-stage observations, connections), with no
#     fallback, and names the model;
#   - every log line is a JSON object; each verdict line carries the session id, the
#     queue id and the sender's pseudonym, which must equal HMAC-SHA256(key, address)
#     computed here; no raw address or subject of the test messages appears anywhere;
#   - SIGHUP keeps the counters (cumulative across reloads);
#   - with a milter connection held mid-message, SIGTERM turns /readyz into 503
#     ("draining") while /healthz stays 200, and the daemon exits 0 once the
#     connection closes.
#
# Environment: MAILTRIAGED, MAILTRIAGE (binaries). Exit 0 pass, 1 fail, 77 skipped.
# Root is not needed; only 127.0.0.1 is used; every wait is bounded.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=SCRIPTDIR/../e2e/lib.sh
source "$here/../e2e/lib.sh"
client="$here/ops_client.py"
MAILTRIAGE="${MAILTRIAGE:-}"

command -v python3 >/dev/null 2>&1 || e2e_skip "python3 not installed"
[[ -x "$MAILTRIAGED" ]] || e2e_skip "daemon not built: $MAILTRIAGED"
[[ -x "$MAILTRIAGE" ]] || e2e_skip "CLI not built: $MAILTRIAGE"

e2e_init observability
metric() { python3 "$client" metric "$E2E_HTTP_PORT" "$1"; }
status_of() { python3 "$client" get "$E2E_HTTP_PORT" "$1" | head -n 1; }
body_of() { python3 "$client" get "$E2E_HTTP_PORT" "$1" | tail -n +2; }

# ------------------------------------------------------------------ set-up
key="$E2E_DIR/pseudonym.key"
printf 'observability-test-key-0123456789\n' >"$key"
cat >"$E2E_DIR/ops.yaml" <<YAML
logging:
  format: json
  pseudonym_key_file: $key
YAML
mkdir -p "$E2E_DIR/msgs"
for i in 1 2 3 4 5; do
    printf '%s\r\n' \
        "From: Obs Person <obs.person@private-example.test>" \
        "To: Someone Else <someone.else@private-example.test>" \
        "Subject: XYZZY confidential subject $i" \
        "Date: Tue, 01 Apr 2025 10:00:0$i +0000" \
        "Message-ID: <obs-$i@private-example.test>" \
        "MIME-Version: 1.0" \
        "Content-Type: text/plain; charset=us-ascii" \
        "" \
        "Hello, this is test message number $i about the quarterly numbers." >"$E2E_DIR/msgs/$i.eml"
done

E2E_DAEMON_ARGS="--config $E2E_DIR/ops.yaml"
e2e_start_daemon
[[ -n "${E2E_HTTP_PORT:-}" ]] || e2e_fail "no event http_listening in the log"
log="$E2E_DIR/mailtriaged.log"

# ------------------------------------------------------------------ serving
e2e_check "/healthz" "$(status_of /healthz)" 200
e2e_check "/readyz" "$(status_of /readyz)" 200
e2e_check "mailtriage_ready" "$(metric mailtriage_ready)" 1
e2e_check "model info names the built-in model" \
    "$(body_of /metrics | grep -c '^mailtriage_model_info{role="active",model_id="[0-9a-f]*",labels="ham,spam"} 1$')" 1

before_messages=$(metric mailtriage_milter_messages_total)
before_verdicts=$(metric mailtriage_verdicts_total)
before_stage=$(metric 'mailtriage_engine_stage_seconds_count{stage="verdict"}')
before_conns=$(metric mailtriage_milter_connections_accepted_total)
timeout 60 "$MAILTRIAGE" bench --socket "inet:$E2E_MILTER_PORT@127.0.0.1" "$E2E_DIR/msgs" >"$E2E_DIR/replay.out" 2>&1 ||
    e2e_fail "bench failed: $(cat "$E2E_DIR/replay.out")"
e2e_check "milter messages +5" $(($(metric mailtriage_milter_messages_total) - before_messages)) 5
e2e_check "verdicts +5" $(($(metric mailtriage_verdicts_total) - before_verdicts)) 5
e2e_check "verdict stage observations +5" \
    $(($(metric 'mailtriage_engine_stage_seconds_count{stage="verdict"}') - before_stage)) 5
e2e_check "milter message latency observations" "$(metric mailtriage_milter_message_seconds_count)" 5
e2e_check "connections accepted +5" $(($(metric mailtriage_milter_connections_accepted_total) - before_conns)) 5
e2e_check "no fallback" "$(metric mailtriage_fallbacks_total)" 0
e2e_check "no connection left open" "$(metric mailtriage_milter_connections_active)" 0

# ------------------------------------------------------------------ logs
e2e_check "every log line is JSON" "$(python3 "$client" check-json "$log")" "$(wc -l <"$log")"
e2e_check "five verdict lines" "$(grep -c '"event":"verdict"' "$log")" 5
want_sender=$(python3 "$client" pseudonym "$key" "<sender@example.org>")
e2e_check "verdict lines carry session, queue id and the keyed sender pseudonym" \
    "$(grep '"event":"verdict"' "$log" | grep '"session":"c[0-9a-f]*"' | grep '"queue_id":"4ABCDEF123"' |
        grep -c "\"sender\":\"$want_sender\"")" 5
for secret in sender@example.org rcpt@example.net obs.person someone.else private-example XYZZY confidential; do
    e2e_check "log never contains '$secret'" "$(grep -c -F "$secret" "$log")" 0
done

# ------------------------------------------------------------------ reload keeps counters
kill -HUP "$E2E_PID_DAEMON"
e2e_wait_until 15 "reloaded" grep -q '"event":"reloaded"' "$log" || e2e_fail "no reload"
e2e_check "verdicts survive a reload" $(($(metric mailtriage_verdicts_total) - before_verdicts)) 5

# ------------------------------------------------------------------ drain
mkfifo "$E2E_DIR/hold.in"
python3 "$client" hold "$E2E_MILTER_PORT" "$E2E_DIR/held" <"$E2E_DIR/hold.in" >"$E2E_DIR/hold.log" 2>&1 &
hold_pid=$!
e2e_track_pid "$hold_pid"
exec 7>"$E2E_DIR/hold.in"
e2e_wait_until 10 "the held connection" test -s "$E2E_DIR/held" || e2e_fail "could not hold a connection: $(cat "$E2E_DIR/hold.log")"
e2e_check "one connection active" "$(metric mailtriage_milter_connections_active)" 1
kill -TERM "$E2E_PID_DAEMON"
e2e_wait_until 10 "draining" grep -q '"event":"draining"' "$log" || e2e_fail "no drain"
e2e_check "/readyz while draining" "$(status_of /readyz)" 503
e2e_check "/readyz says why" "$(body_of /readyz)" "not ready: draining"
e2e_check "/healthz while draining" "$(status_of /healthz)" 200
e2e_check "mailtriage_ready while draining" "$(metric mailtriage_ready)" 0
kill -0 "$E2E_PID_DAEMON" 2>/dev/null || e2e_fail "the daemon did not wait for the message in flight"
exec 7>&-  # the held connection closes: the drain completes
wait "$hold_pid" 2>/dev/null
# The drain ends the daemon by itself; a second SIGTERM (e2e_stop_daemon) could land
# after its signal handlers are gone (an ASan build spends a second in its leak check
# at exit) and kill it with status 143.
daemon_gone() { ! kill -0 "$E2E_PID_DAEMON" 2>/dev/null; }
e2e_wait_until 15 "the daemon to exit after the drain" daemon_gone || e2e_fail "the daemon did not exit after the drain"
wait "$E2E_PID_DAEMON"
rc=$?
E2E_PID_DAEMON=""
[[ $rc -eq 0 ]] || e2e_fail "mailtriaged exited with status $rc after the drain (want 0)"

e2e_checks_passed
e2e_log "PASS: metrics, readiness, drain and pseudonymised JSON logs"
