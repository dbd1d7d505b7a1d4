#!/usr/bin/env bash
# Crash and restart of mailtriaged under a live mail stream, through a real
# Postfix. Two phases, each with the same shape:
#
#   stream  : smtp-source in the background, 4 sessions, one message per
#             session per second, a new SMTP session per message, running
#             across the whole phase
#   held    : 2 more background SMTP sessions kept open (-d), one message per
#             second each, so the kill hits live milter connections
#   before  : a batch of messages sent while the daemon is up
#   kill -9 : the daemon dies with connections open (no drain)
#   outage  : a batch sent while nothing listens on the milter port
#   restart : after ~2 s the daemon is started again on the same port
#   after   : a batch sent once it logs event=listening again
#
# Phase 1, milter_default_action = accept: nothing may be lost (delivered ==
# sent for every batch and the stream), "before" and "after" messages carry
# X-Triage-Status: seen (mail flows through the milter again after the
# restart), "outage" messages arrive without it (Postfix applied the default
# action), "held" messages after the kill arrive without it too (Postfix does
# not reconnect to a milter within an SMTP session), and the maillog shows
# Postfix both losing live milter connections and being refused new ones.
#
# Phase 2, milter_default_action = tempfail: smtpd answers 4xx while the
# daemon is down. smtp-source does not retry, so it reports each 4xx
# ("... rejected: 451 ...") and we account for every message: delivered +
# tempfailed == sent, per batch and for the stream; the whole "outage" batch
# is tempfailed; and no message without the header is ever delivered (a
# message in flight when the daemon dies is tempfailed, never passed unmarked).
# The real MTA-side guarantee (the client retries a 4xx) is the SMTP client's
# job and is out of scope: here "not lost" means "not accepted by Postfix and
# then dropped".
#
# Environment: MAILTRIAGED, E2E_BATCH (default 100), E2E_STREAM (default 120),
# E2E_HELD (default 40), E2E_KEEP=1. Exit 0 pass, 1 fail, 77 skipped.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=SCRIPTDIR/lib.sh
source "$here/lib.sh"
# The full pipeline with a rule that marks every message X-Triage-Status: seen.
E2E_DAEMON_ARGS="--config $(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/e2e/marker.yaml ${E2E_DAEMON_ARGS:-}"

batch="${E2E_BATCH:-100}"
stream="${E2E_STREAM:-120}"
held="${E2E_HELD:-40}"
outage_seconds=2

e2e_require_env
e2e_init postfix_kill_restart
e2e_start_sink
e2e_start_daemon

# send_batch TAG COUNT SESSIONS [extra smtp-source options]: foreground run.
# Messages carry "Subject: e2e-TAG". Log in $E2E_DIR/smtp-source-TAG.log.
send_batch() {
    local tag="$1" count="$2" sessions="$3"; shift 3
    timeout 100 smtp-source -A -s "$sessions" -m "$count" "$@" -S "e2e-$tag" \
        -f sender@example.org -t rcpt@example.net \
        "127.0.0.1:$E2E_SMTP_PORT" >"$E2E_DIR/smtp-source-$tag.log" 2>&1
}

# start_batch: the same in the background; BG_PID is timeout(1)'s pid, which
# passes a SIGTERM on to smtp-source. Tracked for cleanup on early exit.
start_batch() {
    local tag="$1" count="$2" sessions="$3"; shift 3
    timeout 100 smtp-source -A -s "$sessions" -m "$count" "$@" -S "e2e-$tag" \
        -f sender@example.org -t rcpt@example.net \
        "127.0.0.1:$E2E_SMTP_PORT" >"$E2E_DIR/smtp-source-$tag.log" 2>&1 &
    BG_PID=$!
    e2e_track_pid "$BG_PID"
}

# Replies that smtp-source reported as non-2xx, by class.
tempfailed() { grep -cE 'rejected: 4[0-9][0-9] ' "$E2E_DIR/smtp-source-$1.log" || true; }
hardfailed() { grep -cE 'rejected: 5[0-9][0-9] |fatal' "$E2E_DIR/smtp-source-$1.log" || true; }

# Sink messages of batch TAG: all / with the header once / without it.
at_sink()        { e2e_sink_count_matching "^Subject: e2e-$1\$"; }
at_sink_marked() { e2e_sink_with_header_exactly_once X-Triage-Status seen "^Subject: e2e-$1\$"; }
at_sink_plain()  { e2e_sink_without_header X-Triage-Status seen "^Subject: e2e-$1\$"; }

# run_phase PREFIX: the stream/before/kill/outage/restart/after sequence.
run_phase() {
    local p="$1" stream_pid held_pid
    start_batch "$p-stream" "$stream" 4 -w 1
    stream_pid=$BG_PID
    # Two SMTP sessions held open (-d) across the kill: Postfix keeps one
    # milter connection per SMTP session, so these die mid-session.
    start_batch "$p-held" "$held" 2 -d -w 1
    held_pid=$BG_PID

    send_batch "$p-before" "$batch" 5 || e2e_fail "smtp-source $p-before failed"
    # Make sure the stream is really flowing through the milter before the kill.
    e2e_wait_until 20 "stream messages at the sink" \
        bash -c "[[ \$(find '$E2E_SINK_DIR' -type f -print0 | xargs -0 -r grep -l '^Subject: e2e-$p-stream\$' | wc -l) -ge 8 ]]" ||
        e2e_fail "$p: the stream did not start"

    e2e_kill_daemon
    local t_kill=$SECONDS
    send_batch "$p-outage" "$batch" 5 || e2e_fail "smtp-source $p-outage failed"
    local left=$((outage_seconds - (SECONDS - t_kill)))
    ((left > 0)) && sleep "$left"
    e2e_start_daemon "$E2E_MILTER_PORT"
    e2e_log "$p: daemon was down for $((SECONDS - t_kill))s"

    send_batch "$p-after" "$batch" 5 || e2e_fail "smtp-source $p-after failed"
    local deadline=$((SECONDS + 90))
    while kill -0 "$stream_pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.2; done
    wait "$stream_pid" || e2e_fail "$p-stream: smtp-source failed"
    while kill -0 "$held_pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.2; done
    wait "$held_pid" || e2e_fail "$p-held: smtp-source failed"
    e2e_wait_queue_empty 60 || e2e_fail "$p: queue did not drain"
    e2e_sink_settle 10 || e2e_fail "$p: sink did not settle"
}

# report TAG SENT: prints and exports the figures of one batch.
report() {
    local tag="$1" sent="$2"
    DELIVERED=$(at_sink "$tag")
    MARKED=$(at_sink_marked "$tag")
    PLAIN=$(at_sink_plain "$tag")
    TEMPFAILED=$(tempfailed "$tag")
    HARD=$(hardfailed "$tag")
    printf 'FIGURES %-18s sent=%-4d delivered=%-4d with_header=%-4d without_header=%-4d tempfailed=%-4d other_errors=%d\n' \
        "$tag" "$sent" "$DELIVERED" "$MARKED" "$PLAIN" "$TEMPFAILED" "$HARD"
    [[ $HARD -eq 0 ]] || e2e_fail "$tag: smtp-source reported hard errors: $(grep -m3 -E 'rejected: 5|fatal' "$E2E_DIR/smtp-source-$tag.log")"
    [[ $((MARKED + PLAIN)) -eq $DELIVERED ]] || e2e_fail "$tag: some messages carry the header more than once"
}

t0=$(e2e_now)

# ------------------------------------------------------------ phase 1: accept
e2e_start_postfix accept
run_phase accept
refused_log=$(e2e_maillog_count 'connect to Milter service .*: Connection refused')
lost_conn_log=$(e2e_maillog_count "warning: milter inet:127\\.0\\.0\\.1:$E2E_MILTER_PORT: can't (read|send)")

report accept-before "$batch"
[[ $DELIVERED -eq $batch && $MARKED -eq $batch ]] ||
    e2e_fail "accept-before: $DELIVERED delivered, $MARKED with header, want $batch and $batch"
report accept-outage "$batch"
[[ $DELIVERED -eq $batch ]] || e2e_fail "accept-outage: lost messages: delivered $DELIVERED of $batch"
[[ $PLAIN -eq $batch ]] ||
    e2e_fail "accept-outage: $MARKED messages carry the header while the daemon was dead"
report accept-after "$batch"
[[ $DELIVERED -eq $batch && $MARKED -eq $batch ]] ||
    e2e_fail "accept-after: $DELIVERED delivered, $MARKED with header, want $batch and $batch (mail did not flow through the restarted daemon)"
report accept-stream "$stream"
[[ $DELIVERED -eq $stream && $TEMPFAILED -eq 0 ]] ||
    e2e_fail "accept-stream: $DELIVERED delivered, $TEMPFAILED tempfailed, sent $stream"
[[ $MARKED -gt 0 ]] || e2e_fail "accept-stream: no message went through the milter"
report accept-held "$held"
[[ $DELIVERED -eq $held && $TEMPFAILED -eq 0 ]] ||
    e2e_fail "accept-held: $DELIVERED delivered, $TEMPFAILED tempfailed, sent $held"
# Postfix does not reconnect to a milter within an SMTP session: after the
# kill the held sessions' messages pass unmarked (default action accept).
[[ $MARKED -gt 0 && $PLAIN -gt 0 ]] ||
    e2e_fail "accept-held: $MARKED marked, $PLAIN unmarked; want both > 0 (kill during open sessions)"
e2e_log "accept: maillog lines about the refused milter connection: $refused_log, about the lost connection: $lost_conn_log"
[[ $refused_log -gt 0 ]] || e2e_fail "accept: maillog does not show Postfix failing to reach the milter"
[[ $lost_conn_log -gt 0 ]] || e2e_fail "accept: maillog does not show Postfix losing a live milter connection"

# ---------------------------------------------------------- phase 2: tempfail
# Fresh Postfix configuration (same queue, now empty) with tempfail.
e2e_stop_postfix
e2e_start_postfix tempfail
run_phase tempfail

report tempfail-before "$batch"
[[ $DELIVERED -eq $batch && $MARKED -eq $batch ]] ||
    e2e_fail "tempfail-before: $DELIVERED delivered, $MARKED with header, want $batch"
report tempfail-outage "$batch"
[[ $TEMPFAILED -eq $batch && $DELIVERED -eq 0 ]] ||
    e2e_fail "tempfail-outage: $TEMPFAILED tempfailed and $DELIVERED delivered, want $batch and 0"
report tempfail-after "$batch"
[[ $DELIVERED -eq $batch && $MARKED -eq $batch ]] ||
    e2e_fail "tempfail-after: $DELIVERED delivered, $MARKED with header, want $batch"
report tempfail-stream "$stream"
[[ $((DELIVERED + TEMPFAILED)) -eq $stream ]] ||
    e2e_fail "tempfail-stream: delivered $DELIVERED + tempfailed $TEMPFAILED != sent $stream (lost messages)"
[[ $PLAIN -eq 0 ]] || e2e_fail "tempfail-stream: $PLAIN messages delivered without the header"
report tempfail-held "$held"
[[ $((DELIVERED + TEMPFAILED)) -eq $held ]] ||
    e2e_fail "tempfail-held: delivered $DELIVERED + tempfailed $TEMPFAILED != sent $held (lost messages)"
[[ $PLAIN -eq 0 ]] || e2e_fail "tempfail-held: $PLAIN messages delivered without the header"
[[ $TEMPFAILED -gt 0 ]] || e2e_fail "tempfail-held: nothing tempfailed although the milter died mid-session"

# ------------------------------------------------------------------ totals
t1=$(e2e_now)
total_sent=$((2 * (3 * batch + stream + held)))
total_delivered=$(e2e_sink_count)
total_tempfailed=$(cat "$E2E_DIR"/smtp-source-*.log | grep -cE 'rejected: 4[0-9][0-9] ' || true)
awk -v s="$total_sent" -v d="$total_delivered" -v f="$total_tempfailed" -v t0="$t0" -v t1="$t1" 'BEGIN {
    printf "FIGURES total sent=%d delivered=%d tempfailed=%d seconds=%.1f\n", s, d, f, t1 - t0 }'
[[ $((total_delivered + total_tempfailed)) -eq $total_sent ]] ||
    e2e_fail "total: delivered $total_delivered + tempfailed $total_tempfailed != sent $total_sent"
[[ $(e2e_queue_count) -eq 0 ]] || e2e_fail "messages left in the queue"

e2e_stop_postfix
e2e_stop_daemon
e2e_log "PASS: no message lost across two kill -9/restart cycles"
