#!/usr/bin/env bash
# Postfix end to end with and without milters, alternated in one run, with the CPU each
# process group used: where does the time go when Postfix talks to mailtriaged?
#
# One private Postfix instance (tests/e2e/lib.sh) relaying to smtp-sink; smtp-source sends
# the same corpus ham message N times over 20 parallel sessions (one SMTP session per
# message, as side-by-side.sh does). Each round runs every phase once, in order:
#   none          smtpd_milters empty
#   NAME          smtpd_milters = the daemon started from MAILTRIAGED_<NAME>
# Per phase: messages/s (smtp-source start until every message is at the sink), the
# machine's busy fraction over the phase (both cores, from /proc/stat), and CPU seconds
# per 1,000 messages of smtp-source, smtp-sink, mailtriaged and each Postfix program
# (from /proc/PID/stat; Postfix's processes are kept alive through the run by
# max_use/max_idle, and what exited anyway is counted under "postfix (exited)").
#
# Why tmpfs and alternation: Postfix creates (and deletes) one queue file per message and
# smtp-sink one dump file. On a journal-less ext4 (as / is on the CI-like VMs) each new
# inode's allocation skips every inode deleted in the last minutes (ext4 recently_deleted),
# so creating files gets dearer phase after phase: perf showed cleanup and smtp-sink
# spending up to a third of their CPU there, 40% more in a second phase than in the first,
# milter or not. A fixed "none, then milter" order thus charged that growth to the milter.
# Rounds therefore alternate the phase order, and the queue lives on tmpfs by default.
#
# Usage (as root, from the repository, after a release build):
#   flock /tmp/mailtriage-e2e.lock packaging/bench/postfix-ratio.sh [CORPUS_DIR]
# Environment:
#   MAILTRIAGED                 the daemon (default build/release/src/mailtriaged), phase "mailtriaged"
#   DAEMONS="a=BIN b=BIN"       instead: several daemons, one phase each (e.g. before/after);
#                               a name ending in "-unix" listens on a unix socket in the work
#                               directory (its configuration must allow the postfix user in,
#                               e.g. milter.socket_mode "0666"), the others on loopback TCP;
#                               floor=build/release/tests/mailtriage_milter_floor is a milter
#                               with no engine: what a filter that cost nothing would reach
#   DAEMON_ARGS                 extra mailtriaged arguments for every daemon (e.g. --config FILE)
#   DAEMON_ENV                  VAR=value words for every daemon's environment (default: the
#                               systemd unit's Environment= lines, unit-env.sh; DAEMON_ENV= for none)
#   ROUNDS=3                    rounds of all phases
#   POSTFIX_MESSAGES=2000       messages per phase
#   MESSAGE=FILE                the message to send (default: the 100th ham of the corpus)
#   SESSIONS=20                 smtp-source parallel sessions
#   MILTER_EXTRA="k=v;k=v"      extra main.cf settings for the milter phases (postconf -e)
#   PIN=0                       1: smtp-source on CPU 0, daemons on CPU 1
#   TMPFS=1                     queue and sink directories on a private tmpfs (0: /tmp's own
#                               file system; see below)
#   PERF_DIR=DIR                perf record -a (cpu-clock) over each measured phase into
#                               DIR/PHASE-ROUNDN.data (perf report --sort comm,dso,sym)
#   PCAP_DIR=DIR                tcpdump of each milter phase's conversations (loopback TCP
#                               daemons only) into DIR/PHASE-ROUNDN.pcap, summarised by
#                               milter-pcap.py into DIR/PHASE-ROUNDN.txt (segments, bare ACKs
#                               and durations per conversation); costs CPU, so throughput
#                               figures of such a run are not comparable with others
#   E2E_KEEP=1                  keep the work directory
set -uo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
corpus="$(cd "${1:-$repo/../shared/corpus/train}" && pwd)" || { echo "no corpus" >&2; exit 66; }
export MAILTRIAGED="${MAILTRIAGED:-$repo/build/release/src/mailtriaged}"
daemons="${DAEMONS:-mailtriaged=$MAILTRIAGED}"
rounds="${ROUNDS:-3}"
messages="${POSTFIX_MESSAGES:-2000}"
sessions="${SESSIONS:-20}"
pin="${PIN:-0}"

# shellcheck source=SCRIPTDIR/../../tests/e2e/lib.sh
source "$repo/tests/e2e/lib.sh"
e2e_require_env
e2e_init postfix_ratio
W="$E2E_DIR"
if [[ "${TMPFS:-1}" == 1 ]]; then
    mount -t tmpfs -o size=2g,mode=755 mailtriage-bench "$W" || e2e_fail "cannot mount tmpfs on $W"
    E2E_MOUNTS="$E2E_MOUNTS $W"
fi
ulimit -n 8192
if [[ -n "${PCAP_DIR:-}" ]]; then
    command -v tcpdump >/dev/null || e2e_fail "PCAP_DIR needs tcpdump (apt-get install tcpdump)"
fi
client_cpu=() filter_cpu=()
if [[ "$pin" == 1 ]]; then client_cpu=(taskset -c 0); filter_cpu=(taskset -c 1); fi

declare -A daemon_milter daemon_pid daemon_port
daemon_env=${DAEMON_ENV-$("$repo/packaging/bench/unit-env.sh")}
phases=(none)
for spec in $daemons; do
    name="${spec%%=*}" bin="${spec#*=}"
    [[ -x "$bin" ]] || e2e_fail "not executable: $bin"
    if [[ "$name" == *-unix ]]; then
        listen="unix:$W/$name.sock" milter="unix:$W/$name.sock" up=(test -S "$W/$name.sock")
    else
        port=$(e2e_free_port)
        listen="inet:$port@127.0.0.1" milter="inet:127.0.0.1:$port" up=(e2e_port_listening "$port")
        daemon_port[$name]=$port
    fi
    # shellcheck disable=SC2086 # DAEMON_ENV and DAEMON_ARGS are word lists on purpose
    "${filter_cpu[@]}" env ${daemon_env} "$bin" --listen "$listen" --http-listen 127.0.0.1:0 --log-level warning ${DAEMON_ARGS:-} \
        >"$W/$name.log" 2>&1 &
    daemon_pid[$name]=$!
    daemon_milter[$name]=$milter
    e2e_track_pid "${daemon_pid[$name]}"
    e2e_wait_until 30 "$name on $listen" "${up[@]}" ||
        { cat "$W/$name.log" >&2; e2e_fail "$name did not start"; }
    phases+=("$name")
done

msg_file="${MESSAGE:-$(find "$corpus" -path '*/ham/*' -name '*.eml' | sort | sed -n 100p)}"
e2e_log "message $(basename "$msg_file"), $(wc -c <"$msg_file") bytes"
e2e_start_sink
e2e_start_postfix tempfail
# Long-lived Postfix processes, so their CPU can be read from /proc at the end of a phase.
postconf -c "$E2E_PF" -e "max_use = 1000000" "max_idle = 3600s" >/dev/null
master_pid() { tr -d ' ' <"$W/queue/pid/master.pid"; }

cat >"$W/snap.py" <<'EOF'
# snap.py MASTER_PID NAME=PID...: CPU ticks (utime+stime) per process group as JSON.
# Postfix's children are grouped by program; master's cutime+cstime (children it has
# reaped) is "postfix (exited)". Plus /proc/stat busy and total ticks.
import json, os, sys
def stat(pid):
    with open(f"/proc/{pid}/stat") as f:
        s = f.read()
    comm = s[s.index("(") + 1:s.rindex(")")]
    fields = s[s.rindex(")") + 2:].split()
    return comm, int(fields[1]), fields  # ppid
out = {}
master = sys.argv[1]
_, _, mf = stat(master)
out["postfix (exited)"] = int(mf[13]) + int(mf[14])
out["postfix master"] = int(mf[11]) + int(mf[12])
children = {}
for p in os.listdir("/proc"):
    if not p.isdigit():
        continue
    try:
        comm, ppid, f = stat(p)
    except (OSError, ValueError):
        continue
    if str(ppid) == master:
        key = f"postfix {comm}"
        out[key] = out.get(key, 0) + int(f[11]) + int(f[12])
        out[f"{key} #"] = out.get(f"{key} #", 0) + 1
for spec in sys.argv[2:]:
    name, pid = spec.split("=")
    try:
        _, _, f = stat(pid)
        out[name] = int(f[11]) + int(f[12]) + int(f[13]) + int(f[14])
    except OSError:
        pass
with open("/proc/stat") as f:
    cpu = [int(x) for x in f.readline().split()[1:]]
# Busy without nice time: a niced background job would otherwise fill every idle tick.
out["machine busy"] = sum(cpu) - cpu[1] - cpu[3] - cpu[4]
out["machine total"] = sum(cpu)
print(json.dumps(out))
EOF

results="$W/results.jsonl"
: >"$results"
phase() {  # phase NAME
    local name="$1" milters="" extra=()
    if [[ "$name" != none ]]; then
        milters="${daemon_milter[$name]}"
        IFS=';' read -r -a extra <<<"${MILTER_EXTRA:-}"
    fi
    cp "$W/main.cf.base" "$E2E_PF/main.cf"
    postconf -c "$E2E_PF" -e "smtpd_milters = $milters" "${extra[@]}" >/dev/null
    postfix -c "$E2E_PF" reload >/dev/null 2>&1
    sleep 2
    rm -f "$E2E_SINK_DIR"/*
    # A short warm-up: new smtpd/cleanup/smtp processes start now, not in the measurement.
    smtp-source -s "$sessions" -m 100 -F "$msg_file" -f sender@example.org -t rcpt@example.net \
        "127.0.0.1:$E2E_SMTP_PORT" || e2e_fail "smtp-source (warm-up) failed"
    e2e_wait_until 60 "warm-up at the sink" bash -c "[[ \$(find '$E2E_SINK_DIR' -type f | wc -l) -ge 100 ]]" ||
        e2e_fail "$name: warm-up did not reach the sink"
    rm -f "$E2E_SINK_DIR"/*
    local pids=("smtp-sink=$E2E_PIDS_SINK") d
    for d in "${!daemon_pid[@]}"; do pids+=("mailtriaged $d=${daemon_pid[$d]}"); done
    local before after t0 t1 perf_pid=""
    if [[ -n "${PERF_DIR:-}" ]]; then
        mkdir -p "$PERF_DIR"
        perf record -q -a -e cpu-clock -o "$PERF_DIR/$name-round$round.data" 2>/dev/null &
        perf_pid=$!
        sleep 0.5
    fi
    local pcap="" pcap_pid=""
    if [[ -n "${PCAP_DIR:-}" && -n "${daemon_port[$name]:-}" ]]; then
        mkdir -p "$PCAP_DIR"
        pcap="$PCAP_DIR/$name-round$round"
        tcpdump -i lo -s 96 -w "$pcap.pcap" "tcp port ${daemon_port[$name]}" 2>"$pcap.tcpdump.log" &
        pcap_pid=$!
        e2e_wait_until 10 "tcpdump listening" grep -q listening "$pcap.tcpdump.log" ||
            e2e_fail "tcpdump did not start: $(cat "$pcap.tcpdump.log")"
    fi
    before=$(python3 "$W/snap.py" "$(master_pid)" "${pids[@]}")
    t0=$(e2e_now)
    # bash's time keyword: smtp-source's user+system CPU (it exits before the sink has all).
    local TIMEFORMAT='%U %S' src_cpu
    src_cpu=$( { time "${client_cpu[@]}" smtp-source -s "$sessions" -m "$messages" -F "$msg_file" \
        -f sender@example.org -t rcpt@example.net "127.0.0.1:$E2E_SMTP_PORT" >/dev/null; } 2>&1 | tail -n 1 ) ||
        e2e_fail "smtp-source failed"
    e2e_wait_until 300 "$messages messages at the sink" \
        bash -c "[[ \$(find '$E2E_SINK_DIR' -type f | wc -l) -ge $messages ]]" ||
        e2e_fail "$name: not every message reached the sink"
    t1=$(e2e_now)
    after=$(python3 "$W/snap.py" "$(master_pid)" "${pids[@]}")
    if [[ -n "$perf_pid" ]]; then kill -INT "$perf_pid"; wait "$perf_pid"; fi
    if [[ -n "$pcap_pid" ]]; then
        kill -INT "$pcap_pid"; wait "$pcap_pid"
        "$repo/packaging/bench/milter-pcap.py" "$pcap.pcap" "${daemon_port[$name]}" >"$pcap.txt" ||
            e2e_fail "milter-pcap.py failed on $pcap.pcap"
        e2e_log "$name: conversations on the wire"$'\n'"$(cat "$pcap.txt")"
    fi
    python3 - "$name" "$messages" "$t0" "$t1" "$before" "$after" "$src_cpu" >>"$results" <<'EOF'
import json, os, sys
name, n, t0, t1 = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
b, a = json.loads(sys.argv[5]), json.loads(sys.argv[6])
hz = os.sysconf("SC_CLK_TCK")
cpu = {"smtp-source": round(1000 * sum(float(x) for x in sys.argv[7].split()) / n, 3)}
for k, v in a.items():
    if k.endswith(" #") or k.startswith("machine"):
        continue
    d = (v - b.get(k, 0)) / hz
    if d > 0:
        cpu[k] = round(1000 * d / n, 3)  # CPU seconds per 1,000 messages
busy = (a["machine busy"] - b["machine busy"]) / max(1, a["machine total"] - b["machine total"])
print(json.dumps({"phase": name, "messages": n, "seconds": t1 - t0, "messages_per_second": n / (t1 - t0),
                  "machine_busy": busy, "cpu_s_per_1000": cpu}))
EOF
    e2e_log "$name: $(tail -1 "$results")"
}
cp "$E2E_PF/main.cf" "$W/main.cf.base"

# Odd rounds run the phases in order, even rounds in reverse.
for ((round = 1; round <= rounds; round++)); do
    order=("${phases[@]}")
    if ((round % 2 == 0)); then
        order=()
        for ((i = ${#phases[@]} - 1; i >= 0; i--)); do order+=("${phases[$i]}"); done
    fi
    for p in "${order[@]}"; do phase "$p"; done
done
e2e_stop_postfix

python3 - "$results" "$(nproc)" <<'EOF'
import json, sys, statistics
rows = [json.loads(l) for l in open(sys.argv[1])]
print(f"\n{sys.argv[2]} cores; msg/s per round (machine busy without nice time, %; even rounds ran in reverse order):\n")
phases = list(dict.fromkeys(r["phase"] for r in rows))
print("| phase | " + " | ".join(f"round {i+1}" for i in range(len(rows) // len(phases))) + " | median | vs none |")
print("|---|" + "---|" * (len(rows) // len(phases) + 2))
med = {p: statistics.median(r["messages_per_second"] for r in rows if r["phase"] == p) for p in phases}
for p in phases:
    cells = [f"{r['messages_per_second']:.0f} ({100 * r['machine_busy']:.0f}%)" for r in rows if r["phase"] == p]
    print(f"| {p} | " + " | ".join(cells) + f" | {med[p]:.0f} | {100 * med[p] / med['none']:.0f}% |")
print("\nCPU seconds per 1,000 messages (mean over rounds):\n")
keys = sorted({k for r in rows for k in r["cpu_s_per_1000"]})
print("| process | " + " | ".join(phases) + " |")
print("|---|" + "---|" * len(phases))
for k in keys:
    cells = []
    for p in phases:
        v = [r["cpu_s_per_1000"].get(k, 0) for r in rows if r["phase"] == p]
        cells.append(f"{statistics.mean(v):.3f}")
    print(f"| {k} | " + " | ".join(cells) + " |")
tot = [statistics.mean(sum(r["cpu_s_per_1000"].values()) for r in rows if r["phase"] == p) for p in phases]
print("| **total** | " + " | ".join(f"{t:.3f}" for t in tot) + " |")
EOF
cp "$results" "${RESULTS_OUT:-/tmp/postfix-ratio-results.jsonl}"
