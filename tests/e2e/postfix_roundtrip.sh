#!/usr/bin/env bash
# End to end through a real Postfix: smtp-source -> smtpd (smtpd_milters =
# mailtriaged, milter_default_action = tempfail) -> queue -> smtp -> smtp-sink.
#
# Passes when every one of N messages (default 1000) reaches the sink carrying
# exactly one "X-Triage-Status: seen" header, nothing is rejected or left in the
# queue, and mailtriaged exits 0 on SIGTERM afterwards. With tempfail, a daemon
# that is down or misbehaving makes smtpd answer 4xx, so no message can slip
# through unmarked; the header check catches a daemon that accepts without
# adding the header.
#
# A further E2E_HEADER_ONLY (default 20) messages without a body check the
# milter conversation with no BODY command at all, E2E_MANY_HEADERS (default 2)
# messages of 8,000 header fields check that Postfix's end-of-header macros,
# sent again before every header, do not exhaust milter.max_macro_bytes (64 KiB:
# about 5,000 headers when every definition counted), and E2E_PROBE (default 50)
# messages over a single SMTP session measure the time per message, which must
# stay under a limit (E2E_MAX_MS_PER_MSG for every probe; 0 only reports): a Nagle
# stall adds 40 ms to every message, which takes 2-6 ms here otherwise (4-15 under
# ASan, the 40 KB probe the slowest).
#
# Environment: MAILTRIAGED (binary), E2E_MESSAGES (default 1000),
# E2E_SESSIONS (parallel SMTP sessions, default 10), E2E_KEEP=1 keeps the work
# directory. Self-test knobs (see selftest_detects_missing_header.sh):
# E2E_DEFAULT_ACTION (default tempfail), E2E_NO_DAEMON=1 points smtpd_milters
# at a port where nothing listens. Exit 0 pass, 1 fail, 77 skipped (not root, Postfix missing).
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=SCRIPTDIR/lib.sh
source "$here/lib.sh"
# The full pipeline with a rule that marks every message X-Triage-Status: seen.
E2E_DAEMON_ARGS="--config $(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/e2e/marker.yaml ${E2E_DAEMON_ARGS:-}"

messages="${E2E_MESSAGES:-1000}"
sessions="${E2E_SESSIONS:-10}"
header_only="${E2E_HEADER_ONLY:-20}"
many_headers="${E2E_MANY_HEADERS:-2}"
probe="${E2E_PROBE:-50}"
default_action="${E2E_DEFAULT_ACTION:-tempfail}"

e2e_require_env
e2e_init postfix_roundtrip

e2e_start_sink
if [[ "${E2E_NO_DAEMON:-0}" == 1 ]]; then
    E2E_MILTER_PORT=$(e2e_free_port)
    e2e_log "E2E_NO_DAEMON=1: no milter on port $E2E_MILTER_PORT (this run must fail)"
else
    e2e_start_daemon
fi
e2e_start_postfix "$default_action"

# A realistic message. The body has a line that looks like our header (must not
# count: only the header section is inspected) and a leading-dot line
# (exercises SMTP dot-stuffing on both hops and body delivery to the milter).
msg="$E2E_DIR/message.eml"
cat >"$msg" <<'EOF'
Return-Path: <sender@example.org>
From: Sender Example <sender@example.org>
To: Recipient Example <rcpt@example.net>
Subject: mailtriage e2e roundtrip
Date: Tue, 01 Apr 2025 10:00:00 +0000
Message-ID: <e2e-roundtrip@example.org>
MIME-Version: 1.0
Content-Type: text/plain; charset=us-ascii
Content-Transfer-Encoding: 7bit
X-E2E-Marker: roundtrip

Hello,

this message is part of the mailtriage end-to-end test.
X-Triage-Status: this-line-is-body-not-header
.a line starting with a dot
-- 
e2e
EOF

e2e_log "sending $messages messages over $sessions parallel sessions"
t0=$(e2e_now)
# -A: keep going on a non-2xx reply and report it, so rejections are counted
# instead of aborting the whole run.
timeout 120 smtp-source -A -s "$sessions" -m "$messages" -F "$msg" \
    -f sender@example.org -t rcpt@example.net \
    "127.0.0.1:$E2E_SMTP_PORT" >"$E2E_DIR/smtp-source.log" 2>&1
src_rc=$?
t_sent=$(e2e_now)
[[ $src_rc -eq 0 ]] || e2e_fail "smtp-source exited with status $src_rc"
rejected=$(grep -c 'rejected' "$E2E_DIR/smtp-source.log" || true)
[[ $rejected -eq 0 ]] || e2e_fail "Postfix rejected $rejected messages: $(grep -m3 rejected "$E2E_DIR/smtp-source.log")"

e2e_wait_queue_empty 60 || e2e_fail "queue did not drain"
e2e_sink_settle 10 || e2e_fail "sink did not settle"
t1=$(e2e_now)

# Header-only messages: no body at all, so Postfix sends the milter no BODY
# command between EOH and end of message (miltertest cannot produce this).
hdr_only="$E2E_DIR/header-only.eml"
cat >"$hdr_only" <<'EOF'
From: Sender Example <sender@example.org>
To: Recipient Example <rcpt@example.net>
Subject: mailtriage e2e header-only
Date: Tue, 01 Apr 2025 10:00:00 +0000
Message-ID: <e2e-header-only@example.org>
X-E2E-Marker: header-only
EOF
timeout 60 smtp-source -A -s 2 -m "$header_only" -F "$hdr_only" \
    -f sender@example.org -t rcpt@example.net \
    "127.0.0.1:$E2E_SMTP_PORT" >"$E2E_DIR/smtp-source-header-only.log" 2>&1 ||
    e2e_fail "smtp-source (header-only) failed"
rejected=$(grep -c 'rejected' "$E2E_DIR/smtp-source-header-only.log" || true)
[[ $rejected -eq 0 ]] || e2e_fail "Postfix rejected $rejected header-only messages"

e2e_wait_queue_empty 60 || e2e_fail "queue did not drain (header-only)"
e2e_sink_settle 10 || e2e_fail "sink did not settle"

# Many header fields: Postfix's cleanup sends SMFIC_MACRO with the end-of-header
# macros ({i}, the queue id) before each of them.
many="$E2E_DIR/many-headers.eml"
{
    printf 'From: Sender Example <sender@example.org>\nTo: Recipient Example <rcpt@example.net>\n'
    printf 'Subject: mailtriage e2e many headers\nX-E2E-Marker: many-headers\n'
    for ((i = 0; i < 8000; i++)); do printf 'X-Many: %d\n' "$i"; done
    printf '\nA body after 8,000 header fields.\n'
} >"$many"
timeout 60 smtp-source -A -s 1 -m "$many_headers" -F "$many" \
    -f sender@example.org -t rcpt@example.net \
    "127.0.0.1:$E2E_SMTP_PORT" >"$E2E_DIR/smtp-source-many-headers.log" 2>&1 ||
    e2e_fail "smtp-source (many headers) failed"
rejected=$(grep -c 'rejected' "$E2E_DIR/smtp-source-many-headers.log" || true)
[[ $rejected -eq 0 ]] || e2e_fail "Postfix rejected $rejected many-header messages: $(grep -m1 rejected "$E2E_DIR/smtp-source-many-headers.log")"
e2e_wait_queue_empty 60 || e2e_fail "queue did not drain (many headers)"
e2e_sink_settle 10 || e2e_fail "sink did not settle"

# Latency probe: one SMTP session, messages strictly one after the other, so
# the time per message is Postfix's plus the milter conversation's. A stall
# of ~40 ms per message here is the Nagle/delayed-ACK pattern: Postfix does
# not set TCP_NODELAY on milter sockets, and the milter leaves the last
# smtpd-side step unanswered (SMFIP_NR_DATA), so cleanup's first write waits for
# the milter host's delayed ACK unless the daemon acknowledges DATA at once
# (TCP_QUICKACK, step::acknowledge_now): without that, 44-47 ms per message.
# Run twice: one SMTP session (and milter connection) per message, then all
# messages over one SMTP session (-d), where the milter connection carries them
# all and every DATA after the first arrives on a long-lived socket.
latency_probe() {  # latency_probe NAME LIMIT_MS [smtp-source options...]
    local name="$1" limit="${E2E_MAX_MS_PER_MSG:-$2}" t_probe0 t_probe1 rejected ms_per_msg
    shift 2
    t_probe0=$(e2e_now)
    timeout 60 smtp-source -A -s 1 "$@" -m "$probe" -S e2e-latency-probe \
        -f sender@example.org -t rcpt@example.net \
        "127.0.0.1:$E2E_SMTP_PORT" >"$E2E_DIR/smtp-source-probe-$name.log" 2>&1 ||
        e2e_fail "smtp-source (latency probe, $name) failed"
    t_probe1=$(e2e_now)
    rejected=$(grep -c 'rejected' "$E2E_DIR/smtp-source-probe-$name.log" || true)
    [[ $rejected -eq 0 ]] || e2e_fail "Postfix rejected $rejected latency-probe messages ($name)"
    ms_per_msg=$(awk -v a="$t_probe0" -v b="$t_probe1" -v n="$probe" 'BEGIN { printf "%.1f", (b - a) * 1000 / n }')
    echo "FIGURES latency_probe_$name messages=$probe sessions=1 ms_per_message=$ms_per_msg"
    if awk -v m="$ms_per_msg" 'BEGIN { exit !(m > 25) }'; then
        e2e_log "WARNING: $ms_per_msg ms per message ($name; > 25 ms: look for a Nagle/delayed-ACK stall: is DATA still acknowledged at once?)"
    fi
    if awk -v m="$ms_per_msg" -v max="$limit" 'BEGIN { exit !(max > 0 && m > max) }'; then
        e2e_fail "latency probe ($name): $ms_per_msg ms per message > $limit (a Nagle/delayed-ACK stall?)"
    fi
}
latency_probe connection_per_message 30
latency_probe one_session 30 -d
# 40 KB messages: Postfix writes them to the milter in ten 4096-byte writes without
# waiting for an answer (body chunks are not answered, SMFIP_NR_BODY), so every write
# after the first may wait for the ACK of the one before.
latency_probe one_session_40k 40 -d -l 40000
e2e_wait_queue_empty 60 || e2e_fail "queue did not drain (latency probe)"
e2e_sink_settle 10 || e2e_fail "sink did not settle"

total=$((messages + header_only + many_headers + 3 * probe))
delivered=$(e2e_sink_count)
ours=$(e2e_sink_count_matching '^X-E2E-Marker: roundtrip$')
ours_hdr_only=$(e2e_sink_count_matching '^X-E2E-Marker: header-only$')
ours_many=$(e2e_sink_count_matching '^X-E2E-Marker: many-headers$')
marked=$(e2e_sink_with_header_exactly_once X-Triage-Status seen)
unmarked=$(e2e_sink_without_header X-Triage-Status seen)
sent_log=$(e2e_maillog_count 'relay=127\.0\.0\.1\[127\.0\.0\.1\]:[0-9]+,.* status=sent')
queued=$(e2e_queue_count)

awk -v n="$messages" -v t0="$t0" -v ts="$t_sent" -v t1="$t1" 'BEGIN {
    printf "FIGURES messages=%d submit_seconds=%.2f total_seconds=%.2f msg_per_s=%.1f\n",
        n, ts - t0, t1 - t0, n / (t1 - t0) }'
e2e_log "sink: delivered=$delivered (roundtrip=$ours header-only=$ours_hdr_only) with_header_once=$marked without_header=$unmarked; maillog status=sent: $sent_log; queue: $queued"

[[ $delivered -eq $total ]] || e2e_fail "sink received $delivered messages, sent $total"
[[ $ours -eq $messages ]] || e2e_fail "sink has $ours of the $messages roundtrip messages"
[[ $ours_hdr_only -eq $header_only ]] || e2e_fail "sink has $ours_hdr_only of the $header_only header-only messages"
[[ $ours_many -eq $many_headers ]] || e2e_fail "sink has $ours_many of the $many_headers many-header messages"
[[ $unmarked -eq 0 ]] || e2e_fail "$unmarked messages arrived without X-Triage-Status: seen"
[[ $marked -eq $total ]] || e2e_fail "$marked of $total messages carry X-Triage-Status: seen exactly once"
[[ $sent_log -eq $total ]] || e2e_fail "maillog shows $sent_log deliveries, want $total"
[[ $queued -eq 0 ]] || e2e_fail "$queued messages left in the queue"
if grep -qE 'warning: milter|milter-reject|451 4\.7\.1' "$E2E_DIR/maillog"; then
    e2e_fail "milter warnings in maillog: $(grep -m3 -E 'warning: milter|milter-reject|451 4\.7\.1' "$E2E_DIR/maillog")"
fi

e2e_stop_postfix
e2e_stop_daemon
e2e_log "PASS: $total/$total delivered ($messages roundtrip + $header_only header-only + $many_headers many-header + 3x$probe latency probe) with X-Triage-Status: seen"
