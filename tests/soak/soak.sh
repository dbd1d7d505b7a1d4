#!/usr/bin/env bash
# Soak test for mailtriaged (not run in CI): a steady offered load for hours while
# the daemon's resident memory, descriptors, threads and latency are sampled once per
# window into a CSV; at the end (or on Ctrl-C) the drift between the first and the
# last window is printed, with the least-squares RSS slope over all windows.
#
# Load: each window is one `mailtriage bench --rate RATE --duration WINDOW` run over
# the corpus (open loop: message i is due at i/RATE s and its latency counts from then),
# CONC connections at a time, one message per connection as Postfix sends them; the
# window's percentiles are bench's own. The corpus is read again before each window
# (about a second without load between windows). Every RELOAD minutes the daemon gets
# a SIGHUP (engine rebuilt and swapped), so a leak on the reload path shows as drift.
#
# usage: tests/soak/soak.sh [--duration 4h] [--rate 100] [--concurrency 2]
#          [--window 60] [--reload 10] [--corpus DIR] [--config FILE] [--out DIR]
#          [--daemon PATH] [--cli PATH]
# Durations: plain seconds or with s/m/h. Output: OUT/soak.csv, OUT/mailtriaged.log,
# OUT/summary.txt. Only 127.0.0.1 is used; the daemon started here is stopped on exit.
set -uo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
duration=4h rate=100 conc=2 window=60 reload=10
corpus="$root/../shared/corpus"
[[ -d $corpus ]] || corpus=/work/shared/corpus
config="" out="" daemon="$root/build/release/src/mailtriaged" cli="$root/build/release/src/mailtriage"

die() { echo "soak: $*" >&2; exit 1; }
seconds_of() {
    case "$1" in
        *h) echo $((${1%h} * 3600)) ;; *m) echo $((${1%m} * 60)) ;; *s) echo "${1%s}" ;;
        *[!0-9]*|"") die "bad duration '$1'" ;; *) echo "$1" ;;
    esac
}
while (($#)); do
    case "$1" in
        --duration) duration="$2" ;; --rate) rate="$2" ;; --concurrency) conc="$2" ;;
        --window) window="$2" ;; --reload) reload="$2" ;; --corpus) corpus="$2" ;;
        --config) config="$2" ;; --out) out="$2" ;; --daemon) daemon="$2" ;; --cli) cli="$2" ;;
        -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
        *) die "unknown option '$1' (see --help)" ;;
    esac
    shift 2 || die "$1 needs a value"
done
total_s=$(seconds_of "$duration") window_s=$(seconds_of "$window")
[[ -x $daemon ]] || die "no daemon at $daemon (build mailtriaged or pass --daemon)"
[[ -x $cli ]] || die "no CLI at $cli (build mailtriage_cli or pass --cli)"
[[ -d $corpus ]] || die "no corpus at $corpus (pass --corpus DIR)"
out="${out:-$(mktemp -d /tmp/mailtriage-soak.XXXXXX)}"
mkdir -p "$out"
csv="$out/soak.csv" log="$out/mailtriaged.log"

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
args=(--listen "inet:$port@127.0.0.1" --http-listen none)
[[ -n $config ]] && args+=(--config "$config")
"$daemon" "${args[@]}" >>"$log" 2>&1 &
pid=$!
stop_daemon() {
    kill -TERM "$pid" 2>/dev/null
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
}
for _ in $(seq 150); do grep -q 'event=listening' "$log" && break; kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
grep -q 'event=listening' "$log" || { stop_daemon; die "daemon did not start; see $log"; }

status_kib() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$pid/status"; }
cpu_seconds() { awk -v hz="$(getconf CLK_TCK)" '{ sub(/.*\) /, ""); print ($12 + $13) / hz }' "/proc/$pid/stat"; }

echo "window,elapsed_s,sent,answered,failed,throughput,p50_ms,p95_ms,p99_ms,max_ms,rss_kib,hwm_kib,fds,threads,cpu_s,reloads" >"$csv"
echo "soak: daemon pid $pid on 127.0.0.1:$port, $rate msg/s x ${total_s}s, corpus $corpus, output $out" >&2

summarise() {
    # First and last full windows, and the RSS slope (KiB per hour) over all windows
    # but the first (allocator and cache warm-up).
    awk -F, 'NR == 1 { next }
        { n++; if (n > 1) { m++; x = $2 / 3600; y = $11; sx += x; sy += y; sxx += x * x; sxy += x * y }
          if (n == 1) { f50 = $7; f99 = $9; frss = $11; ffd = $13 }
          if (n > 1 && (minrss == "" || $11 < minrss)) minrss = $11
          if (n > 1 && $11 > maxrss) maxrss = $11
          l50 = $7; l99 = $9; lrss = $11; lfd = $13; lhwm = $12; sent += $3; failed += $5; el = $2 }
        END {
          if (n == 0) { print "no complete window"; exit }
          slope = (m > 1 && m * sxx - sx * sx > 0) ? (m * sxy - sx * sy) / (m * sxx - sx * sx) : 0
          printf "windows %d over %.0f s, %d messages sent, %d failed\n", n, el, sent, failed
          printf "rss_kib first %d last %d drift %+d (%+.1f%%), slope %+.0f KiB/h, peak (VmHWM) %d\n",
                 frss, lrss, lrss - frss, frss ? 100 * (lrss - frss) / frss : 0, slope, lhwm
          printf "rss_kib range after the first window %d-%d (a SIGHUP builds a new engine beside the old one)\n", minrss, maxrss
          printf "p50_ms  first %.3f last %.3f drift %+.3f\n", f50, l50, l50 - f50
          printf "p99_ms  first %.3f last %.3f drift %+.3f\n", f99, l99, l99 - f99
          printf "fds     first %d last %d\n", ffd, lfd }' "$csv" | tee "$out/summary.txt"
}
finish() { stop_daemon; summarise; echo "soak: CSV $csv" >&2; }
trap finish EXIT
trap 'exit 130' INT TERM

start=$(date +%s)
w=0 reloads=0 next_reload=$((reload * 60))
while (($(date +%s) - start < total_s)); do
    kill -0 "$pid" 2>/dev/null || die "daemon died; see $log"
    stats=$("$cli" bench --socket "inet:$port@127.0.0.1" --rate "$rate" --duration "$window_s" \
        --concurrency "$conc" "$corpus" 2>&1 |
        awk '/^messages/ { s = $2; a = $4; f = $6 } /^throughput/ { t = $2 }
             /^latency ms/ { p50 = $4; p95 = $6; p99 = $8; mx = $10 }
             END { printf "%d,%d,%d,%.1f,%.3f,%.3f,%.3f,%.3f", s, a, f, t, p50, p95, p99, mx }')
    w=$((w + 1))
    elapsed=$(($(date +%s) - start))
    fds=$(find "/proc/$pid/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)
    echo "$w,$elapsed,$stats,$(status_kib VmRSS),$(status_kib VmHWM),$fds,$(status_kib Threads),$(cpu_seconds),$reloads" >>"$csv"
    tail -n 1 "$csv" >&2
    if ((reload > 0 && elapsed >= next_reload)); then
        kill -HUP "$pid" && reloads=$((reloads + 1))
        next_reload=$((next_reload + reload * 60))
    fi
done
