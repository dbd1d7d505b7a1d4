#!/usr/bin/env bash
# mailtriaged, rspamd and spamass-milter (+ spamd) side by side, in one run, on loopback,
# measured by the same client (`mailtriage bench`) on the same corpus; then Postfix end to
# end (smtp-source -> Postfix -> smtp-sink) with and without mailtriaged, and mailtriaged's
# memory with 1,000 idle milter connections (the Postfix part is postfix-ratio.sh). Results are
# printed as Markdown tables (the
# source of docs/PERFORMANCE.md). Not run in CI: it installs packages and takes minutes.
#
# The floor (tests/bench/milter_floor.cpp: mailtriaged's milter server answering every
# message with a fixed verdict, no engine) is measured beside them, on the same messages
# and in the Postfix phases: what a filter whose engine cost nothing would reach through
# the same milter path, so the report can say which ratios an engine can still move.
#
# Offline by construction: rspamd's DNS goes to a stub on 127.0.0.1 that answers NXDOMAIN
# (with an SOA record, which rspamd needs to accept the answer) to every query; its RBL and
# fuzzy modules are off; SpamAssassin runs with --local (no network tests) and no Bayes.
#
# Usage (as root, from the repository, after a release build):
#   packaging/bench/side-by-side.sh [CORPUS_DIR]        (default ../shared/corpus/train)
# Environment:
#   MAILTRIAGE, MAILTRIAGED   binaries (default build/release/src/...)
#   MILTER_FLOOR              the floor (default build/release/tests/mailtriage_milter_floor;
#                             MILTER_FLOOR= leaves it out)
#   SAMPLE_EVERY=7            rspamd and mailtriaged run on every 7th corpus message
#   SA_EVERY=33               spamass-milter (slow) runs on every 33rd message; so do the
#                             other two, for a like-for-like line
#   CONCURRENCY=8             client connections
#   PIN=1                     client on CPU 0, filters on CPU 1 (taskset), so the client does
#                             not steal the filter's core; PIN=0 lets the scheduler decide
#   POSTFIX_MESSAGES=2000     messages per Postfix end-to-end phase
#   POSTFIX_ROUNDS=2          rounds of both Postfix phases (packaging/bench/postfix-ratio.sh)
#   RATE=500                  offered load (messages/s) of the open-loop latency run
#   SKIP_INSTALL=1            do not apt-get install
#   RSPAMD_DNS_LISTS=1        leave rspamd's RBL and ASN modules on (their queries answered
#                             NXDOMAIN by the stub, so still offline): rspamd's stock
#                             configuration, for comparison; issue 7's runs have them off
#   MT_ENV="VAR=value ..."    environment of mailtriaged (default: the systemd unit's
#                             Environment= lines; MT_ENV= for none)
#   E2E_KEEP=1                keep the work directory
set -uo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
corpus="$(cd "${1:-$repo/../shared/corpus/train}" && pwd)" || { echo "no corpus" >&2; exit 66; }
MAILTRIAGE="${MAILTRIAGE:-$repo/build/release/src/mailtriage}"
export MAILTRIAGED="${MAILTRIAGED:-$repo/build/release/src/mailtriaged}"
MILTER_FLOOR="${MILTER_FLOOR-$repo/build/release/tests/mailtriage_milter_floor}"
sample_every="${SAMPLE_EVERY:-7}"
sa_every="${SA_EVERY:-33}"
concurrency="${CONCURRENCY:-8}"
pin="${PIN:-1}"
postfix_messages="${POSTFIX_MESSAGES:-2000}"
rate="${RATE:-500}"

# shellcheck source=SCRIPTDIR/../../tests/e2e/lib.sh
source "$repo/tests/e2e/lib.sh"
e2e_require_env
[[ -x "$MAILTRIAGE" && -x "$MAILTRIAGED" ]] || e2e_skip "build first: cmake --build --preset release"
[[ -z "$MILTER_FLOOR" || -x "$MILTER_FLOOR" ]] || e2e_fail "not executable: $MILTER_FLOOR (MILTER_FLOOR= leaves the floor out)"

if [[ "${SKIP_INSTALL:-0}" != 1 ]]; then
    # Debian's packages; policy-rc.d-style: the packages' own services are not used.
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends \
        rspamd spamassassin spamd spamc spamass-milter python3 >/dev/null || e2e_fail "apt-get install failed"
fi
e2e_init side_by_side
W="$E2E_DIR"
ulimit -n 8192

client_cpu=() filter_cpu=()
if [[ "$pin" == 1 ]]; then client_cpu=(taskset -c 0); filter_cpu=(taskset -c 1); fi

# ------------------------------------------------------------------ corpus samples
sample_dir() {  # sample_dir NAME EVERY: symlinks to every EVERY-th message, labels kept
    local dir="$W/$1" every="$2" i=0 f
    while IFS= read -r f; do
        if ((i++ % every == 0)); then
            mkdir -p "$dir/$(basename "$(dirname "$f")")"
            ln -s "$f" "$dir/$(basename "$(dirname "$f")")/"
        fi
    done < <(find "$corpus" -type f -name '*.eml' | sort)
    echo "$dir"
}
sample="$(sample_dir sample "$sample_every")"
sa_sample="$(sample_dir sa_sample "$sa_every")"
count_files() { find -L "$1" -type f | wc -l; }
e2e_log "corpus $(count_files "$corpus") messages; sample $(count_files "$sample"); SpamAssassin sample $(count_files "$sa_sample")"

# ------------------------------------------------------------------ starting a filter
# launch NAME PORT SECONDS COMMAND...: a filter on the filters' CPU (PIN=1), its output in
# W/NAME.log, waited for until it listens on PORT; its PID in $launched_pid. If it does
# not start, that output and the file in $also_show (if set) go to stderr.
launch() {
    local name="$1" port="$2" seconds="$3"
    shift 3
    "${filter_cpu[@]}" "$@" >"$W/$name.log" 2>&1 &
    launched_pid=$!
    e2e_track_pid "$launched_pid"
    e2e_wait_until "$seconds" "$name on $port" e2e_port_listening "$port" ||
        { cat "$W/$name.log" ${also_show:+"$also_show"} >&2; e2e_fail "$name did not start"; }
}

# ------------------------------------------------------------------ DNS stub
dns_port=$(e2e_free_port)
cat >"$W/dns_stub.py" <<'EOF'
# Answers every DNS query with NXDOMAIN plus an SOA record in the authority section
# (resolvers such as rspamd's drop a bare NXDOMAIN and wait for their timeout).
import socket, struct, sys
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.bind(("127.0.0.1", int(sys.argv[1])))
soa_rdata = b"\x00\x00" + struct.pack(">IIIII", 1, 3600, 600, 86400, 60)
soa = b"\x00" + struct.pack(">HHIH", 6, 1, 60, len(soa_rdata)) + soa_rdata
while True:
    q, peer = sock.recvfrom(4096)
    if len(q) < 12:
        continue
    qid, flags = struct.unpack(">HH", q[:4])
    i = 12
    while i < len(q) and q[i] != 0:
        i += q[i] + 1
    question = q[12:i + 5]
    rflags = 0x8000 | (flags & 0x7900) | 0x0080 | 3  # QR, opcode+RD kept, RA, NXDOMAIN
    sock.sendto(struct.pack(">HHHHHH", qid, rflags, 1, 0, 1, 0) + question + soa, peer)
EOF
python3 "$W/dns_stub.py" "$dns_port" &
e2e_track_pid $!

# ------------------------------------------------------------------ rspamd
rspamd_port=$(e2e_free_port)
R="$W/rspamd"
mkdir -p "$R/override.d" "$R/local.d" "$R/db" "$R/run" "$R/log"
chown -R _rspamd:_rspamd "$R/db" "$R/run" "$R/log"
cat >"$R/override.d/worker-proxy.inc" <<EOF
bind_socket = "127.0.0.1:$rspamd_port";
milter = yes;
timeout = 120s;
upstream "local" { default = yes; self_scan = yes; }
count = 1;
max_retries = 1;
discard_on_reject = false;
quarantine_on_reject = false;
spam_header = "X-Spam";
reject_message = "Spam message rejected";
EOF
# Self-scan: the proxy scans, no normal worker; no controller (statistics over HTTP).
echo 'count = -1;' >"$R/override.d/worker-normal.inc"
echo 'count = -1;' >"$R/override.d/worker-controller.inc"
cat >"$R/override.d/options.inc" <<EOF
dns { nameserver = ["127.0.0.1:$dns_port"]; timeout = 1s; retransmits = 1; sockets = 16; }
EOF
cat >"$R/override.d/logging.inc" <<EOF
type = "file";
filename = "$R/log/rspamd.log";
level = "warning";
EOF
rspamd_off=(rbl fuzzy_check asn)
[[ "${RSPAMD_DNS_LISTS:-0}" == 1 ]] && rspamd_off=(fuzzy_check)
for module in "${rspamd_off[@]}"; do echo 'enabled = false;' >"$R/local.d/$module.conf"; done
e2e_log "rspamd modules off: ${rspamd_off[*]}"
rspamd_start() {
    also_show="$R/log/rspamd.log" launch rspamd "$rspamd_port" 60 rspamd -f -u _rspamd -g _rspamd \
        -c /etc/rspamd/rspamd.conf --var="LOCAL_CONFDIR=$R" --var="DBDIR=$R/db" --var="RUNDIR=$R/run" \
        --var="LOGDIR=$R/log"
    rspamd_pid=$launched_pid
}

# ------------------------------------------------------------------ spamd + spamass-milter
spamd_port=$(e2e_free_port)
sam_port=$(e2e_free_port)
S="$W/sa"
mkdir -p "$S/site" "$S/home"
chown debian-spamd "$S/home"
cat >"$S/site/local.cf" <<'EOF'
# Offline: no DNS, no network tests, no Bayes (no trained database to use), no auto-learn.
dns_available no
use_bayes 0
bayes_auto_learn 0
skip_rbl_checks 1
EOF
cp /etc/spamassassin/init.pre /etc/spamassassin/v*.pre "$S/site/" 2>/dev/null
spamassassin_start() {
    launch spamd "$spamd_port" 120 spamd --local --max-children 4 --listen "127.0.0.1:$spamd_port" -u debian-spamd \
        --siteconfigpath "$S/site" --helper-home-dir "$S/home" --nouser-config --syslog stderr
    spamd_pid=$launched_pid
    # Foreground (no -f); one spamc process per message, as spamass-milter works.
    launch spamass-milter "$sam_port" 20 spamass-milter -p "inet:$sam_port@127.0.0.1" -- -d 127.0.0.1 -p "$spamd_port"
    sam_pid=$launched_pid
}

# ------------------------------------------------------------------ mailtriaged
mt_port=$(e2e_free_port)
# Started as the packaged systemd unit starts it: with the unit's Environment= lines
# (the allocator setting) unless MT_ENV is given (MT_ENV= for none).
# shellcheck disable=SC2206 # VAR=value words
mt_env=(${MT_ENV-$("$repo/packaging/bench/unit-env.sh")})
# ours NAME BIN PORT: mailtriaged or the floor, with the same environment.
ours() {
    launch "$1" "$3" 30 env "${mt_env[@]}" "$2" --listen "inet:$3@127.0.0.1" --log-level warning
}
# The floor: the same server options (the built-in configuration), no engine.
floor_port=$(e2e_free_port)

# ------------------------------------------------------------------ measuring
results="$W/results.jsonl"
: >"$results"
bench() {  # bench NAME PORT PIDS DIR [bench options...]
    local name="$1" port="$2" pids="$3" dir="$4"
    shift 4
    local cmd=("${client_cpu[@]}" "$MAILTRIAGE" bench --socket "inet:$port@127.0.0.1" --concurrency "$concurrency"
               --daemon-pid "$pids" --json "$@" "$dir")
    e2e_log "$name: ${cmd[*]}"
    local out
    out=$("${cmd[@]}") || e2e_log "$name: some messages failed"
    printf '%s\n' "$out"
    python3 - "$name" "$(basename "$dir")" "$out" >>"$results" <<'EOF'
import json, sys
r = json.loads(sys.argv[3]); r["filter"] = sys.argv[1]; r["corpus"] = sys.argv[2]
print(json.dumps(r))
EOF
}

ours mailtriaged "$MAILTRIAGED" "$mt_port"
mt_pid=$launched_pid
# 1,000 idle connections on the fresh daemon, before any traffic has grown its heap.
cat >"$W/idle.py" <<'EOF'
# Opens N milter connections, negotiates on each, then reports the filter's VmRSS.
import socket, struct, sys
port, n, pid = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
def rss():
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
before = rss()
conns = []
for _ in range(n):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(struct.pack(">IcIII", 13, b"O", 6, 0x1FF, 0x1FFFFF))
    s.recv(4096)
    conns.append(s)
print(f'{{"idle_connections": {len(conns)}, "rss_kib_before": {before}, "rss_kib_idle": {rss()}}}')
for s in conns:
    s.close()
EOF
idle=$(python3 "$W/idle.py" "$mt_port" 1000 "$mt_pid") || e2e_fail "idle connections"
e2e_log "idle: $idle"

# CPU ticks used so far by a process and all its descendants.
tree_ticks() {
    python3 - "$1" <<'EOF2'
import os, sys
stats = {}
for p in os.listdir("/proc"):
    if p.isdigit():
        try:
            f = open(f"/proc/{p}/stat").read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        stats[int(p)] = (int(f[1]), int(f[11]) + int(f[12]))  # ppid, utime + stime
root = int(sys.argv[1]); tree = {root}
for _ in range(8):
    tree |= {p for p, (pp, _) in stats.items() if pp in tree}
print(sum(stats[p][1] for p in tree if p in stats))
EOF2
}
# A freshly started rspamd compiles its Hyperscan databases in a helper process (seconds
# of CPU, measured here ending 6 s after the proxy listened) and scans without them
# until then; both would be charged to its first measured messages. Wait until the
# whole process tree has used less than 2 ticks (20 ms) in a second.
tree_idle() {
    local before after
    before=$(tree_ticks "$1"); sleep 1; after=$(tree_ticks "$1")
    ((after - before < 2))
}

if [[ -n "$MILTER_FLOOR" ]]; then ours floor "$MILTER_FLOOR" "$floor_port"; floor_pid=$launched_pid; fi
rspamd_start
e2e_wait_until 300 "rspamd idle (Hyperscan compiled)" tree_idle "$rspamd_pid" || e2e_fail "rspamd never went idle"
spamassassin_start
e2e_log "up: mailtriaged $mt_pid :$mt_port, rspamd $rspamd_pid :$rspamd_port, spamd $spamd_pid :$spamd_port, spamass-milter $sam_pid :$sam_port, DNS stub :$dns_port"

# Warm-up (lazy maps, first compilation of rules), not measured.
"$MAILTRIAGE" bench --socket "inet:$mt_port@127.0.0.1" --limit 50 "$sample" >/dev/null
"$MAILTRIAGE" bench --socket "inet:$rspamd_port@127.0.0.1" --limit 50 "$sample" >/dev/null
"$MAILTRIAGE" bench --socket "inet:$sam_port@127.0.0.1" --limit 5 "$sa_sample" >/dev/null

[[ -n "$MILTER_FLOOR" ]] && "$MAILTRIAGE" bench --socket "inet:$floor_port@127.0.0.1" --limit 50 "$sample" >/dev/null

bench mailtriaged "$mt_port" "$mt_pid" "$corpus"
bench mailtriaged "$mt_port" "$mt_pid" "$sample"
[[ -n "$MILTER_FLOOR" ]] && bench floor "$floor_port" "$floor_pid" "$sample"
bench rspamd "$rspamd_port" "$rspamd_pid" "$sample"
bench mailtriaged "$mt_port" "$mt_pid" "$sa_sample"
[[ -n "$MILTER_FLOOR" ]] && bench floor "$floor_port" "$floor_pid" "$sa_sample"
bench rspamd "$rspamd_port" "$rspamd_pid" "$sa_sample"
bench spamass-milter "$sam_port" "$spamd_pid,$sam_pid" "$sa_sample"
# The other filters are done: stopped before the latency run, so that work they do after
# answering (spamd's children learning and syncing) does not share mailtriaged's CPU.
kill "$sam_pid" "$spamd_pid" "$rspamd_pid" 2>/dev/null
stopped() {  # every PID gone or a zombie
    local p
    for p in "$@"; do  # the state follows the command name's closing parenthesis
        [[ -e /proc/$p ]] && [[ $(sed 's/.*) //' "/proc/$p/stat" 2>/dev/null | cut -d' ' -f1) != Z ]] && return 1
    done
    return 0
}
e2e_wait_until 20 "rspamd and SpamAssassin stopped" stopped "$sam_pid" "$spamd_pid" "$rspamd_pid" ||
    e2e_log "warning: rspamd or SpamAssassin still running during the latency run"
# Latency at a fixed offered rate (open loop), 20 s.
bench mailtriaged "$mt_port" "$mt_pid" "$corpus" --rate "$rate" --duration 20 --concurrency 64

# ------------------------------------------------------------------ Postfix end to end
# postfix-ratio.sh: its own private instance (queue on tmpfs), the same message N times
# over 20 sessions, no milter and mailtriaged alternated over POSTFIX_ROUNDS rounds
# (a fixed order charged the file system's growing cost to the second phase); the
# medians go into the report.
kill "$mt_pid" 2>/dev/null
[[ -n "$MILTER_FLOOR" ]] && kill "$floor_pid" 2>/dev/null
pf_daemons="mailtriaged=$MAILTRIAGED${MILTER_FLOOR:+ floor=$MILTER_FLOOR}"
DAEMONS="$pf_daemons" POSTFIX_MESSAGES="$postfix_messages" ROUNDS="${POSTFIX_ROUNDS:-2}" PIN="$pin" RESULTS_OUT="$W/postfix.jsonl" \
    DAEMON_ENV="${mt_env[*]}" "$repo/packaging/bench/postfix-ratio.sh" "$corpus" >&2 || e2e_fail "postfix-ratio.sh failed"
python3 - "$W/postfix.jsonl" >>"$results" <<'EOF'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
for name in dict.fromkeys(r["phase"] for r in rows):
    mine = [r for r in rows if r["phase"] == name]
    rate = statistics.median(r["messages_per_second"] for r in mine)
    # CPU ms per message (mean over rounds): all processes, and Postfix's two milter clients.
    cpu = {k: statistics.mean(r["cpu_s_per_1000"].get(k, 0) for r in mine)
           for k in ("postfix smtpd", "postfix cleanup")}
    cpu["all"] = statistics.mean(sum(r["cpu_s_per_1000"].values()) for r in mine)
    print(json.dumps({"postfix": name, "messages": rows[0]["messages"], "messages_per_second": rate,
                      "cpu_ms_per_message": cpu}))
EOF

# ------------------------------------------------------------------ report
python3 - "$results" "$idle" "$(nproc)" "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)" <<'EOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
idle = json.loads(sys.argv[2])
print(f"\nmachine: {sys.argv[3]} cores,{sys.argv[4]}\n")
print("| filter | corpus | messages | msg/s | filter CPU s | msg per CPU-s | p50 ms | p99 ms | max ms | failed | final replies |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
per_cpu = {}
for r in rows:
    if "filter" not in r:
        continue
    mode = f" @{r['offered_rate']:.0f}/s" if r["offered_rate"] else ""
    l = r["latency_ms"]
    finals = ", ".join(f"{k} {v}" for k, v in r["final_replies"].items())
    print(f"| {r['filter']}{mode} | {r['corpus']} | {r['answered']} | {r['messages_per_second']:.0f} | "
          f"{r.get('filter_cpu_seconds', 0):.2f} | {r.get('messages_per_cpu_second', 0):.0f} | {l['p50']:.2f} | "
          f"{l['p99']:.2f} | {l['max']:.2f} | {r['failed']} | {finals} |")
    if not mode:
        per_cpu[(r["filter"], r["corpus"])] = r.get("messages_per_cpu_second", 0)
print()
for corpus, other in (("sample", "rspamd"), ("sa_sample", "rspamd"), ("sa_sample", "spamass-milter")):
    b = per_cpu.get((other, corpus))
    for mine in ("mailtriaged", "floor"):
        a = per_cpu.get((mine, corpus))
        if a and b:
            print(f"- {corpus}: {mine} / {other} messages per CPU-second = {a / b:.1f}x")
pf = {r["postfix"]: r for r in rows if "postfix" in r}
for mine in ("mailtriaged", "floor"):
    if "none" in pf and mine in pf:
        print(f"- Postfix end to end: no milter {pf['none']['messages_per_second']:.0f} msg/s, with {mine} "
              f"{pf[mine]['messages_per_second']:.0f} msg/s "
              f"({100 * pf[mine]['messages_per_second'] / pf['none']['messages_per_second']:.0f}%)")
if pf:
    print("- Postfix, CPU ms per message (all processes / smtpd / cleanup): " + "; ".join(
        f"{name} {r['cpu_ms_per_message']['all']:.3f} / {r['cpu_ms_per_message']['postfix smtpd']:.3f} / "
        f"{r['cpu_ms_per_message']['postfix cleanup']:.3f}" for name, r in pf.items()))
print(f"- mailtriaged RSS: {idle['rss_kib_before'] / 1024:.1f} MiB before, "
      f"{idle['rss_kib_idle'] / 1024:.1f} MiB with {idle['idle_connections']} idle connections")
EOF
cp "$results" "${RESULTS_OUT:-/tmp/side-by-side-results.jsonl}"
