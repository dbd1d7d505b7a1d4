#!/usr/bin/env bash
# Hot reload under load: mailtriaged serves continuous milter traffic from
# `mailtriage bench` while it is reloaded 20 times, alternating a file change (seen by
# the inotify watcher: in-place rewrite, rename-over, Kubernetes `..data` symlink swap,
# model files replaced, re-signed) and SIGHUP. Six of the reloads meet a bad
# configuration, a tampered model or an unsigned model (model.public_key_file is set)
# and must be refused while the previous snapshot keeps serving.
#
# Asserts: no failed session (bench), no fallback decision (every message carries the
# X-Triage-Config header of some configuration version, and the daemon logged no
# fallback_action), 14 reloads and 6 refusals exactly, each refusal naming what is
# wrong, every good configuration version seen by the client, and restart-only
# settings reported with reload_partial, and the reload metrics on GET /metrics
# (mailtriage_reloads_total by result, the last success timestamp). Needs no root, Postfix or corpus: the
# messages are generated here. About 15 s (20 reloads, then 2 s on the last configuration).
#
# Usage: reload_under_load.sh  (MAILTRIAGED, MAILTRIAGE and MODEL_DIR from ctest)
set -uo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../e2e/lib.sh
source "$HERE/../e2e/lib.sh"

MAILTRIAGE="${MAILTRIAGE:?path of the mailtriage CLI}"
OPS_CLIENT="$HERE/../observability/ops_client.py"
MODEL_DIR="${MODEL_DIR:?a model bundle to serve (conf/model/default)}"
# Traffic runs until SIGINT after the last reload (bench then finishes the messages in
# flight and reports); the duration is only a bound, for a script killed midway.
DURATION=600
AFTER_LAST_RELOAD=2  # seconds of traffic on the last configuration

[[ -x "$MAILTRIAGED" ]] || e2e_skip "daemon not built: $MAILTRIAGED"
[[ -x "$MAILTRIAGE" ]] || e2e_skip "CLI not built: $MAILTRIAGE"
[[ -f "$MODEL_DIR/manifest.json" ]] || e2e_skip "no model bundle in $MODEL_DIR"

e2e_init reload_under_load
D="$E2E_DIR"
LOG="$D/mailtriaged.log"

# ---------------------------------------------------------------- fixtures

mkdir -p "$D/corpus"
for i in $(seq 1 12); do
    if ((i % 2)); then
        subject="Minutes of the planning meeting $i"
        body="Hi team,\n\nattached are the notes from today's meeting. Item $i: budget review next week.\n\nRegards,\nAlice"
    else
        subject="WIN a FREE prize now!!! $i"
        body="Congratulations! You have been selected. Click http://prize-$i.example.com/claim now to claim your \$1000 reward!!!"
    fi
    printf 'From: sender%d@example.org\nTo: rcpt@example.net\nSubject: %s\nDate: Mon, 24 Nov 2026 10:%02d:00 +0000\nMessage-ID: <reload-%d@example.org>\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\n%b\n' \
        "$i" "$subject" "$i" "$i" "$body" >"$D/corpus/msg$i.eml"
done

"$MAILTRIAGE" keygen --out "$D/signer" >/dev/null || e2e_fail "keygen failed"
cp -r "$MODEL_DIR" "$D/model"
rm -f "$D/model/manifest.sig"
"$MAILTRIAGE" sign --key "$D/signer.key" "$D/model" >/dev/null || e2e_fail "sign failed"
cp "$D/model/model.ubj" "$D/good-model.ubj"

# The configuration as a Kubernetes ConfigMap volume mounts it: etc/mailtriage.yaml ->
# ..data/mailtriage.yaml, ..data -> ..<timestamp>/.
# config_text VERSION [EXTRA_MILTER_LINES]
config_text() {
    cat <<EOF
milter:
  worker_threads: 2
  on_failure: accept
${2:-}
model:
  path: $D/model
  public_key_file: $D/signer.pub
reload:
  watch: true
  debounce: 200ms
policy:
  rules:
    - name: stamp-$1
      match: {}
      actions:
        - add_header: {name: X-Triage-Config, value: $1}
EOF
}
mkdir -p "$D/etc/..v1"
config_text v1 >"$D/etc/..v1/mailtriage.yaml"
ln -s ..v1 "$D/etc/..data"
ln -s ..data/mailtriage.yaml "$D/etc/mailtriage.yaml"
CONF="$D/etc/mailtriage.yaml"
CURRENT_VERSION_DIR="..v1"

# What the kubelet does: a new directory, a temporary link to it renamed over ..data,
# the old directory removed.
k8s_swap() {
    local version="$1" new="..$1"
    mkdir "$D/etc/$new"
    config_text "$version" "${2:-}" >"$D/etc/$new/mailtriage.yaml"
    ln -s "$new" "$D/etc/..data_tmp"
    mv -T "$D/etc/..data_tmp" "$D/etc/..data"
    rm -rf "${D:?}/etc/$CURRENT_VERSION_DIR"
    CURRENT_VERSION_DIR="$new"
}

# The daemon logs one verdict line per message: show the reload story on failure.
e2e_dump_diagnostics() {
    echo "----- reload events in $LOG" >&2
    grep -vE 'event=verdict ' "$LOG" | tail -n 80 >&2
    [[ -s "$D/bench.out" ]] && { echo "----- bench" >&2; cat "$D/bench.out" >&2; }
}

# ---------------------------------------------------------------- run

E2E_DAEMON_ARGS="--config $CONF"
e2e_start_daemon
DAEMON_PID=$E2E_PID_DAEMON

"$MAILTRIAGE" bench --socket "inet:$E2E_MILTER_PORT@127.0.0.1" --concurrency 4 --duration "$DURATION" \
    --count-header X-Triage-Config "$D/corpus" >"$D/bench.out" 2>&1 &
BENCH_PID=$!
e2e_track_pid "$BENCH_PID"
sleep 1

outcomes() { grep -cE 'event=(reloaded|reload_refused)' "$LOG"; }
STEP=0
# step KIND EXPECTED ACTION...: runs ACTION (a file change, or SIGHUP), waits for the
# next reload outcome and checks it is EXPECTED (reloaded | reload_refused).
step() {
    local kind="$1" expected="$2"; shift 2
    local before
    before=$(outcomes)
    STEP=$((STEP + 1))
    "$@"
    e2e_wait_until 15 "reload $STEP ($kind: $*)" bash -c "(( \$(grep -cE 'event=(reloaded|reload_refused)' '$LOG') > $before ))" ||
        e2e_fail "reload $STEP ($kind) never happened"
    local line
    line=$(grep -E 'event=(reloaded|reload_refused)' "$LOG" | sed -n "$((before + 1))p")
    [[ "$line" == *"event=$expected "* ]] || e2e_fail "reload $STEP ($kind: $*): expected $expected, got: $line"
    e2e_log "reload $STEP ($kind) -> $expected"
    # Let the debounce pass, so one change is one reload.
    sleep 0.3
}
hup() { kill -HUP "$DAEMON_PID"; }
rewrite_in_place() { config_text "$1" >"$D/etc/$CURRENT_VERSION_DIR/mailtriage.yaml"; }
rename_over() {
    config_text "$1" >"$D/etc/$CURRENT_VERSION_DIR/.mailtriage.yaml.new"
    mv -T "$D/etc/$CURRENT_VERSION_DIR/.mailtriage.yaml.new" "$D/etc/$CURRENT_VERSION_DIR/mailtriage.yaml"
}
break_config() { printf 'policy:\n  rules: [\n' >"$D/etc/$CURRENT_VERSION_DIR/mailtriage.yaml"; }
tamper_model() { printf '\x7f' | dd of="$D/model/model.ubj" bs=1 seek=100 conv=notrunc status=none; }
restore_model() { cp "$D/good-model.ubj" "$D/model/model.ubj"; }
unsign_model() { rm "$D/model/manifest.sig"; }
sign_model() { "$MAILTRIAGE" sign --key "$D/signer.key" "$D/model" >/dev/null; }

step SIGHUP reloaded hup
step file reloaded rewrite_in_place v2
step SIGHUP reloaded hup
step file reloaded k8s_swap v3
step SIGHUP reloaded hup
step file reload_refused break_config
step SIGHUP reload_refused hup
step file reloaded rename_over v4
step SIGHUP reloaded hup
step file reload_refused tamper_model
step SIGHUP reload_refused hup
step file reloaded restore_model
step SIGHUP reloaded hup
step file reload_refused unsign_model
step SIGHUP reload_refused hup
step file reloaded sign_model
step SIGHUP reloaded hup
step file reloaded k8s_swap v5 "  max_connections: 500"
step SIGHUP reloaded hup
step file reloaded k8s_swap v6

kill -0 "$BENCH_PID" 2>/dev/null || e2e_fail "traffic ended before the last reload"
sleep "$AFTER_LAST_RELOAD"
kill -INT "$BENCH_PID"
wait "$BENCH_PID"
BENCH_RC=$?
E2E_BG_PIDS=""
cat "$D/bench.out" >&2
# The reload metrics, read while the daemon still runs (e2e_start_daemon gave it a free
# HTTP port).
[[ -n "${E2E_HTTP_PORT:-}" ]] || e2e_fail "the daemon logged no http_listening port"
metric() { python3 "$OPS_CLIENT" metric "$E2E_HTTP_PORT" "$1"; }
applied_metric=$(metric 'mailtriage_reloads_total{result="applied"}') || e2e_fail "GET /metrics failed"
refused_metric=$(metric 'mailtriage_reloads_total{result="refused"}')
last_success=$(metric mailtriage_last_reload_success_timestamp_seconds)
now=$(date +%s)
e2e_stop_daemon_quietly

# ---------------------------------------------------------------- checks

[[ $BENCH_RC -eq 0 ]] || e2e_fail "bench reported failed sessions (exit $BENCH_RC)"
grep -qE '^messages .* 0 failed$' "$D/bench.out" || e2e_fail "bench: failures counted"
answered=$(sed -nE 's/^messages +[0-9]+ sent, ([0-9]+) answered.*/\1/p' "$D/bench.out")
((answered >= 200)) || e2e_fail "only $answered messages answered: not a load test"
header_line=$(grep '^header X-Triage-Config' "$D/bench.out")
[[ "$header_line" != *" -="* ]] || e2e_fail "messages without X-Triage-Config (fallback decisions): $header_line"
for v in v1 v2 v3 v4 v5 v6; do
    [[ "$header_line" == *" $v="* ]] || e2e_fail "configuration $v never reached the client: $header_line"
done
! grep -q 'event=fallback_action' "$LOG" || e2e_fail "the daemon fell back during reloads"
! grep -q 'event=verdict_failed' "$LOG" || e2e_fail "a verdict failed during reloads"

ok=$(grep -c 'event=reloaded ' "$LOG")
refused=$(grep -c 'event=reload_refused ' "$LOG")
[[ $ok -eq 14 && $refused -eq 6 ]] || e2e_fail "expected 14 reloads and 6 refusals, got $ok and $refused"
grep -q 'event=stopped .*reloads=14 reloads_refused=6' "$LOG" || e2e_fail "reload_stats disagree with the log"
[[ "$applied_metric" == 14 && "$refused_metric" == 6 ]] ||
    e2e_fail "mailtriage_reloads_total: applied=$applied_metric refused=$refused_metric, expected 14 and 6"
python3 -c 'import sys; t, now = map(float, sys.argv[1:]); sys.exit(not now - 60 <= t <= now + 1)' "$last_success" "$now" ||
    e2e_fail "mailtriage_last_reload_success_timestamp_seconds=$last_success, now $now"
grep 'event=reload_refused' "$LOG" | grep -q 'mailtriage.yaml:' || e2e_fail "bad YAML refusal does not name the file"
grep 'event=reload_refused' "$LOG" | grep -q 'model.ubj: SHA-256' || e2e_fail "tampered model refusal unclear"
grep 'event=reload_refused' "$LOG" | grep -q 'manifest.sig: missing' || e2e_fail "unsigned model refusal unclear"
grep -q 'event=reload_partial restart_needed=milter.max_connections' "$LOG" ||
    e2e_fail "a restart-only setting change was not reported"
grep -q 'event=reloaded trigger=SIGHUP' "$LOG" || e2e_fail "no SIGHUP reload logged"
grep -q "event=reloaded trigger=$D/etc/..data" "$LOG" || e2e_fail "the ..data swap was not what triggered"
e2e_log "PASS: $answered messages, 20 reloads (14 applied, 6 refused), no failed session"
