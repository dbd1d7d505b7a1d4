#!/usr/bin/env bash
# Faults during a long smtp-source run through a real Postfix with mailtriaged as
# its milter; at the end every message is accounted for: sent == delivered to
# smtp-sink + left in Postfix's queue (+ tempfailed at SMTP in tempfail mode).
#
# While the stream runs (smtp-source, E2E_FAULT_SESSIONS sessions, E2E_FAULT_MESSAGES
# messages), the faults below happen in turn, E2E_FAULT_GAP seconds apart; after each
# one a small probe batch with its own Subject shows what Postfix and the daemon did:
#
#   kill        kill -9, ~1 s outage, restart (E2E_FAULT_KILLS times in all, the
#               restarts of the other faults included). Postfix applies its
#               milter_default_action while the daemon is away and logs it.
#   corrupt     bytes of the model file (model.path, a copied bundle) overwritten,
#               SIGHUP: one event=reload_refused, the old engine keeps serving.
#   delete      the bundle directory removed, SIGHUP: one event=reload_refused,
#               still serving; then kill -9 and a restart attempt, which must fail
#               with one event=fatal naming the missing file (a configured model
#               is never silently replaced by another): the daemon stays down and
#               Postfix's default action applies to the "nomodel" probe.
#   replace     a good bundle moved into place, the daemon started; then another
#               good bundle swapped in with SIGHUP: one event=reloaded.
#   slow        restart with milter.timeouts.verdict: 1ms and a probe of 4 MB
#               HTML messages (~100 ms to score): each ends in the daemon's
#               on_failure action with one event=fallback_action reason=timeout
#               line and one count in mailtriage_fallbacks_total{reason="timeout"}.
#   disk-full   restart with the daemon's log on a 512 KiB tmpfs, then fill it:
#               the daemon keeps serving with verdicts though no line can be
#               written; once space is back one event=log_lines_dropped counts the
#               lost lines.
#
# Modes (E2E_FAULT_ACTION): accept (default; the shipped milter.on_failure and
# milter_default_action = accept): nothing may be tempfailed, every message is
# delivered, those the daemon could not judge carry X-Triage-Status: skipped;
# reason=... and those Postfix passed while the daemon was away carry no X-Triage
# header. tempfail: both actions tempfail; nothing is delivered without a verdict,
# and sent == delivered + tempfailed.
#
# Metrics: the deadline fault is checked in /metrics (mailtriage_fallbacks_total)
# against the log; the model and disk faults through their log lines only (there is
# no metric for refused reloads or dropped log lines yet).
#
# Environment: MAILTRIAGED, E2E_FAULT_MESSAGES (10000), E2E_FAULT_SESSIONS (10),
# E2E_FAULT_KILLS (6: the fault sequence itself kills 6 times; more are added at
# the end),
# E2E_FAULT_GAP (2 s), E2E_FAULT_ACTION (accept), E2E_PROBE (20), E2E_KEEP=1.
# The issue's full run: E2E_FAULT_MESSAGES=100000 E2E_FAULT_KILLS=10 E2E_FAULT_GAP=10.
# Exit 0 pass, 1 fail, 77 skipped.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
# shellcheck source=SCRIPTDIR/lib.sh
source "$here/lib.sh"

messages="${E2E_FAULT_MESSAGES:-10000}"
sessions="${E2E_FAULT_SESSIONS:-10}"
kills_wanted="${E2E_FAULT_KILLS:-6}"
gap="${E2E_FAULT_GAP:-2}"
action="${E2E_FAULT_ACTION:-accept}"
probe="${E2E_PROBE:-20}"
[[ $action == accept || $action == tempfail ]] || { echo "E2E_FAULT_ACTION must be accept or tempfail" >&2; exit 2; }

e2e_require_env
e2e_init postfix_faults
e2e_start_sink

# ------------------------------------------------------------ configuration
model="$E2E_DIR/model"
cp -r "$repo/conf/model/default" "$model"
cp -r "$repo/conf/model/default" "$E2E_DIR/model.good"
write_config() {  # FILE VERDICT_TIMEOUT
    cat >"$1" <<EOF
milter:
  worker_threads: 2
  timeouts:
    verdict: $2
  limits:
    scan_bytes: 4MiB
  on_failure: $action
model:
  path: $model
# Each fault is followed by an explicit SIGHUP, so it gives exactly one reload line;
# the file watcher would add its own (daemon.reload_under_load tests the watcher).
reload:
  watch: false
EOF
}
normal_cfg="$E2E_DIR/normal.yaml" slow_cfg="$E2E_DIR/slow.yaml"
write_config "$normal_cfg" 5s
write_config "$slow_cfg" 1ms

E2E_MILTER_PORT=$(e2e_free_port)
starts=0 kills=0
start_daemon() {  # CONFIG
    E2E_DAEMON_ARGS="--config $1" e2e_start_daemon "$E2E_MILTER_PORT"
    starts=$((starts + 1))
}
kill_daemon() {
    e2e_kill_daemon
    kills=$((kills + 1))
    sleep 1  # an outage Postfix notices
}
# metric_sum PREFIX: the sum of the running daemon's /metrics samples whose line
# starts with PREFIX (E2E_HTTP_PORT is set by e2e_start_daemon).
metric_sum() {
    python3 -c 'import sys, urllib.request
print(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode())' "http://127.0.0.1:$E2E_HTTP_PORT/metrics" |
        awk -v m="$1" 'index($0, m) == 1 { s += $NF } END { printf "%d\n", s }'
}
daemon_log() { cat "$E2E_DIR/mailtriaged.log" "$E2E_DIR"/logdisk-copy.log 2>/dev/null; }
log_count() { daemon_log | grep -c -E -- "$1" || true; }

start_daemon "$normal_cfg"
e2e_start_postfix "$action"

# A 4 MB HTML message, all of it scanned (scan_bytes 4MiB above): about 10 ms to score
# in a release build (the parser's limits bound the work), ten times the slow phase's
# 1 ms verdict deadline. (At 10 ms and 1 MB, one verdict in 20 made it in time.)
python3 - "$E2E_DIR/heavy.eml" <<'EOF'
import random, sys
random.seed(7)
words = ["".join(random.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(random.randint(3, 10))) for _ in range(20000)]
parts = []
size = 0
while size < 4_000_000:
    p = '<p><a href="http://%s.example/%s">%s</a> %s</p>\n' % (
        random.choice(words), random.choice(words), random.choice(words), " ".join(random.choice(words) for _ in range(8)))
    parts.append(p)
    size += len(p)
with open(sys.argv[1], "w") as f:
    f.write("From: sender@example.org\nTo: rcpt@example.net\nSubject: e2e-slow\nMIME-Version: 1.0\n"
            "Content-Type: text/html; charset=us-ascii\n\n<html><body>\n" + "".join(parts) + "</body></html>\n")
EOF

# probe TAG [smtp-source options]: PROBE messages (PROBE_COUNT if set), Subject
# e2e-TAG, in the foreground.
declare -A probe_sent
probe() {
    local tag="$1" count="${PROBE_COUNT:-$probe}"; shift
    timeout 120 smtp-source -A -s 2 -m "$count" -S "e2e-$tag" "$@" -f sender@example.org -t rcpt@example.net \
        "127.0.0.1:$E2E_SMTP_PORT" >"$E2E_DIR/smtp-source-$tag.log" 2>&1 || e2e_fail "smtp-source $tag failed"
    probes="$probes $tag"
    probe_sent[$tag]=$count
}
probes=""
pause() { sleep "$gap"; }

# ------------------------------------------------------------ the stream
t0=$(e2e_now)
timeout 3000 smtp-source -A -s "$sessions" -m "$messages" -S e2e-stream -f sender@example.org -t rcpt@example.net \
    "127.0.0.1:$E2E_SMTP_PORT" >"$E2E_DIR/smtp-source-stream.log" 2>&1 &
stream_pid=$!
e2e_track_pid "$stream_pid"
e2e_wait_until 30 "stream messages at the sink" bash -c "[[ \$(find '$E2E_SINK_DIR' -type f | wc -l) -ge 20 ]]" ||
    e2e_fail "the stream did not start"
probe normal

# kill
pause; kill_daemon; start_daemon "$normal_cfg"; probe after-kill

# corrupt
pause
refused_before=$(log_count 'event=reload_refused')
printf 'corrupted' | dd of="$model/model.ubj" bs=1 seek=4096 conv=notrunc status=none
kill -HUP "$E2E_PID_DAEMON"
e2e_wait_until 10 "reload_refused (corrupt)" bash -c "[[ \$(cat '$E2E_DIR/mailtriaged.log' | grep -c event=reload_refused) -gt $refused_before ]]" ||
    e2e_fail "corrupt model: no event=reload_refused"
probe corrupt

# delete
pause
rm -rf "$model"
kill -HUP "$E2E_PID_DAEMON"
e2e_wait_until 10 "reload_refused (deleted)" bash -c "[[ \$(cat '$E2E_DIR/mailtriaged.log' | grep -c event=reload_refused) -gt $((refused_before + 1)) ]]" ||
    e2e_fail "deleted model: no second event=reload_refused"
probe deleted
kill_daemon
fatal_before=$(log_count 'event=fatal')
"$MAILTRIAGED" --config "$normal_cfg" --listen "inet:$E2E_MILTER_PORT@127.0.0.1" --http-listen 127.0.0.1:0 >>"$E2E_DIR/mailtriaged.log" 2>&1 &
nomodel_pid=$!
e2e_wait_until 15 "the daemon refusing to start without its model" bash -c "! kill -0 $nomodel_pid 2>/dev/null" ||
    { kill -KILL "$nomodel_pid"; e2e_fail "the daemon started without its model"; }
wait "$nomodel_pid"
nomodel_status=$?
[[ $nomodel_status -eq 78 ]] || e2e_fail "missing model: exit status $nomodel_status, want 78 (EX_CONFIG)"
[[ $(log_count 'event=fatal .*manifest.json: cannot read') -eq $((fatal_before + 1)) ]] ||
    e2e_fail "missing model: want exactly one event=fatal naming the missing manifest"
probe nomodel  # nothing listens: Postfix's milter_default_action

# replace
pause
cp -r "$E2E_DIR/model.good" "$model.new" && mv "$model.new" "$model"
start_daemon "$normal_cfg"
probe replaced
reloaded_before=$(log_count 'event=reloaded')
cp -r "$E2E_DIR/model.good" "$model.next" && mv "$model" "$model.old" && mv "$model.next" "$model" && rm -rf "$model.old"
kill -HUP "$E2E_PID_DAEMON"
e2e_wait_until 10 "reloaded" bash -c "[[ \$(grep -c event=reloaded '$E2E_DIR/mailtriaged.log') -gt $reloaded_before ]]" ||
    e2e_fail "good model: no event=reloaded"
probe reloaded

# slow
pause; kill_daemon; start_daemon "$slow_cfg"
timeout_before=$(log_count 'event=fallback_action .*reason=timeout')
probe slow -F "$E2E_DIR/heavy.eml"
slow_fallbacks=$(($(log_count 'event=fallback_action .*reason=timeout') - timeout_before))
# The same count from the daemon's /metrics (this daemon started with the slow config).
slow_metric=$(metric_sum 'mailtriage_fallbacks_total{reason="timeout"')
# At least every logged fallback is counted: the background stream keeps timing out
# between reading the log and scraping /metrics, so the metric may be ahead.
[[ $slow_metric -ge $slow_fallbacks ]] ||
    e2e_fail "slow: mailtriage_fallbacks_total{reason=\"timeout\"} is $slow_metric, the log has $slow_fallbacks lines"
kill_daemon; start_daemon "$normal_cfg"

# disk-full
pause
logdisk="$E2E_DIR/logdisk"
mkdir -p "$logdisk"
diskfull="skipped (cannot mount a tmpfs)"
if mount -t tmpfs -o size=512k mailtriage-e2e-logs "$logdisk" 2>/dev/null; then
    E2E_MOUNTS="$E2E_MOUNTS $logdisk"
    kill_daemon
    E2E_DAEMON_LOG="$logdisk/mailtriaged.log" start_daemon "$normal_cfg"
    cat /dev/zero >"$logdisk/filler" 2>/dev/null  # until ENOSPC
    [[ $(df --output=avail -k "$logdisk" | tail -n 1 | tr -d ' ') -eq 0 ]] || e2e_fail "log disk not full"
    # Enough verdict lines (~180 bytes each) to overflow the slack in the log
    # file's last page even when the stream has already ended.
    PROBE_COUNT=$((probe * 5)) probe diskfull
    kill -0 "$E2E_PID_DAEMON" || e2e_fail "the daemon died with its log disk full"
    rm -f "$logdisk/filler"
    probe diskfull-after
    dropped_line=$(grep -m1 'event=log_lines_dropped' "$logdisk/mailtriaged.log")
    [[ -n $dropped_line ]] || e2e_fail "no event=log_lines_dropped after the log disk had room again"
    cp "$logdisk/mailtriaged.log" "$E2E_DIR/logdisk-copy.log"
    diskfull="${dropped_line##*event=}"
    kill_daemon; start_daemon "$normal_cfg"
    umount "$logdisk" && E2E_MOUNTS="${E2E_MOUNTS% "$logdisk"}"
fi

# the remaining kills
while ((kills < kills_wanted)); do
    pause; kill_daemon; start_daemon "$normal_cfg"
done
probe final

# ------------------------------------------------------------ accounting
deadline=$((SECONDS + 3000))
while kill -0 "$stream_pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 1; done
wait "$stream_pid" || e2e_fail "smtp-source stream failed (see smtp-source-stream.log)"
t1=$(e2e_now)
e2e_wait_queue_empty 120 || e2e_log "queue not empty; counted below"
e2e_sink_settle 20 || e2e_fail "sink did not settle"

# One pass over the sink: per message its subject tag, whether it has a verdict
# (X-Triage-Category) and its X-Triage-Status (skipped; reason=...).
# shellcheck disable=SC2016 # awk program, not shell
find "$E2E_SINK_DIR" -type f -print0 | xargs -0 -r awk '
    FNR == 1 { if (f) print tag "\t" v "\t" st; f = 1; tag = "-"; v = 0; st = "-"; hdr = 1 }
    hdr && /^$/ { hdr = 0 }
    hdr && /^Subject: e2e-/ { tag = substr($2, 5) }
    hdr && /^X-Triage-Category: / { v = 1 }
    hdr && /^X-Triage-Status: / { st = $0; sub(/^X-Triage-Status: /, "", st); gsub(/ /, "", st) }
    END { if (f) print tag "\t" v "\t" st }' >"$E2E_DIR/sink-index.tsv"
delivered() { awk -F'\t' -v t="$1" '$1 == t' "$E2E_DIR/sink-index.tsv" | wc -l; }
judged()    { awk -F'\t' -v t="$1" '$1 == t && $2 == 1' "$E2E_DIR/sink-index.tsv" | wc -l; }
unjudged()  { awk -F'\t' -v t="$1" '$1 == t && $2 == 0 && $3 == "-"' "$E2E_DIR/sink-index.tsv" | wc -l; }
skipped()   { awk -F'\t' -v t="$1" -v r="$2" '$1 == t && $3 == "skipped;reason=" r' "$E2E_DIR/sink-index.tsv" | wc -l; }
tempfailed() { grep -cE 'rejected: 4[0-9][0-9] ' "$E2E_DIR/smtp-source-$1.log" || true; }
hardfailed() { grep -cE 'rejected: 5[0-9][0-9] |fatal' "$E2E_DIR/smtp-source-$1.log" || true; }
queued=$(e2e_queue_count)

printf 'FIGURES %-15s %7s %9s %7s %9s %10s %10s\n' tag sent delivered judged unjudged timeout tempfailed
report() {  # TAG SENT
    printf 'FIGURES %-15s %7d %9d %7d %9d %10d %10d\n' "$1" "$2" "$(delivered "$1")" "$(judged "$1")" \
        "$(unjudged "$1")" "$(skipped "$1" timeout)" "$(tempfailed "$1")"
    [[ $(hardfailed "$1") -eq 0 ]] || e2e_fail "$1: smtp-source reported hard errors"
}
report stream "$messages"
for p in $probes; do report "$p" "${probe_sent[$p]}"; done

expect() {  # DESCRIPTION ACTUAL WANT
    [[ $2 -eq $3 ]] || e2e_fail "$1: $2, want $3"
}
total_sent=$messages
for p in $probes; do total_sent=$((total_sent + probe_sent[$p])); done
total_delivered=$(wc -l <"$E2E_DIR/sink-index.tsv")
total_tempfailed=$(cat "$E2E_DIR"/smtp-source-*.log | grep -cE 'rejected: 4[0-9][0-9] ' || true)
lost=$((total_sent - total_delivered - queued - total_tempfailed))

for p in normal after-kill corrupt deleted replaced reloaded final; do
    expect "$p: messages with a verdict" "$(judged "$p")" "$probe"
done
if [[ $diskfull != skipped* ]]; then
    expect "diskfull: messages with a verdict while no log line could be written" "$(judged diskfull)" "${probe_sent[diskfull]}"
    expect "diskfull-after: messages with a verdict" "$(judged diskfull-after)" "$probe"
fi
# At least one per heavy message (small stream messages may miss 10 ms too).
((slow_fallbacks >= probe)) || e2e_fail "slow: $slow_fallbacks event=fallback_action reason=timeout lines, want >= $probe"
if [[ $action == accept ]]; then
    expect "nomodel: delivered without any X-Triage header (Postfix's default action)" "$(unjudged nomodel)" "$probe"
    expect "slow: delivered with X-Triage-Status: skipped; reason=timeout" "$(skipped slow timeout)" "$probe"
    expect "tempfailed at SMTP" "$total_tempfailed" 0
    # Every default action the daemon took left one log line, and each one its header.
    expect "event=fallback_action reason=timeout lines vs messages marked reason=timeout" \
        "$(log_count 'event=fallback_action .*reason=timeout')" "$(awk -F'\t' '$3 == "skipped;reason=timeout"' "$E2E_DIR/sink-index.tsv" | wc -l)"
else
    expect "nomodel: tempfailed by Postfix" "$(tempfailed nomodel)" "$probe"
    expect "slow: tempfailed by the daemon" "$(tempfailed slow)" "$probe"
    expect "messages delivered without a verdict" \
        "$(awk -F'\t' '$2 == 0' "$E2E_DIR/sink-index.tsv" | wc -l)" 0
fi
expect "daemon starts (event=listening)" "$(log_count 'event=listening')" "$starts"
expect "event=reload_refused lines (corrupt, deleted)" "$(log_count 'event=reload_refused')" 2
expect "event=reloaded lines (replaced)" "$(log_count 'event=reloaded')" 1
expect "event=fatal lines (start without the model)" "$(log_count 'event=fatal')" 1

awk -v s="$total_sent" -v d="$total_delivered" -v q="$queued" -v f="$total_tempfailed" -v l="$lost" \
    -v k="$kills" -v st="$starts" -v t0="$t0" -v t1="$t1" -v a="$action" 'BEGIN {
    printf "FIGURES total action=%s sent=%d delivered=%d queued=%d tempfailed=%d lost=%d kills=%d starts=%d stream_seconds=%.1f stream_rate=%.0f/s\n",
        a, s, d, q, f, l, k, st, t1 - t0, s / (t1 - t0) }'
printf 'FIGURES slow-phase fallback_action_timeout_lines=%d metric_fallbacks_timeout=%d\n' "$slow_fallbacks" "$slow_metric"
printf 'FIGURES faults reload_refused=%d fatal=%d reloaded=%d fallback_timeout=%d fallback_total=%d disk_full=%s postfix_milter_unreachable=%d\n' \
    "$(log_count 'event=reload_refused')" "$(log_count 'event=fatal')" "$(log_count 'event=reloaded')" \
    "$(log_count 'event=fallback_action .*reason=timeout')" "$(log_count 'event=fallback_action')" "$diskfull" \
    "$(e2e_maillog_count 'connect to Milter service|milter .*: can.t (read|send)')"
expect "messages lost" "$lost" 0
((kills >= kills_wanted)) || e2e_fail "only $kills kills"

e2e_stop_postfix
e2e_stop_daemon
e2e_log "PASS: $total_sent messages, 0 lost, through $kills kills and the model, deadline and disk faults"
