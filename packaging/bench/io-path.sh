#!/bin/bash
# Exact, repeatable cost of the milter I/O path (docs/PERFORMANCE.md, second round):
# one daemon under strace (system calls per message), callgrind (instructions per
# message, counted only once it listens) or plain (CPU seconds via --daemon-pid).
#   packaging/bench/io-path.sh BUILD_DIR strace|callgrind|cpu SOCKET CORPUS [daemon args...]
# SOCKET: inet:PORT@127.0.0.1 or unix:/path. REPEAT (default 1) sends the corpus that
# many times in cpu mode. WRITE_BUFFER (default 4096, as Postfix) is the client's
# --write-buffer; 0 writes every frame at once, as the bench did before the sixth round
# (docs/PERFORMANCE.md). Output files go to OUT (default /tmp/mailtriage-io-path).
# DAEMON (default BUILD_DIR/src/mailtriaged) is the binary measured: with
# BUILD_DIR/tests/mailtriage_milter_floor it is the same path without the engine
# (docs/PERFORMANCE.md, "The floor"). The daemon runs with the systemd unit's Environment=
# settings (unit-env.sh) unless MT_ENV gives others (MT_ENV= for none).
set -eu
build=$1 mode=$2 socket=$3 corpus=$4
shift 4
daemon=${DAEMON:-$build/src/mailtriaged} cli=$build/src/mailtriage
out=${OUT:-/tmp/mailtriage-io-path}
# shellcheck disable=SC2206 # VAR=value words
daemon_env=(${MT_ENV-$("$(dirname "$0")/unit-env.sh")})
mkdir -p "$out"
case $mode in
  strace) env "${daemon_env[@]}" strace -f -c -o "$out/strace.txt" "$daemon" --listen "$socket" --log-level warning "$@" & ;;
  callgrind) env "${daemon_env[@]}" valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$out/callgrind.out" \
               "$daemon" --listen "$socket" --log-level warning "$@" 2>"$out/valgrind.log" & ;;
  cpu) env "${daemon_env[@]}" "$daemon" --listen "$socket" --log-level warning "$@" & ;;
  *) echo "unknown mode $mode" >&2; exit 64 ;;
esac
launcher=$!
pid=$launcher
if [ "$mode" = strace ]; then sleep 0.5; pid=$(pgrep -P "$launcher"); fi
listening() {
  case $socket in
    unix:*) [ -S "${socket#unix:}" ] ;;
    inet:*) local p=${socket#inet:}; (echo >"/dev/tcp/127.0.0.1/${p%@*}") 2>/dev/null ;;
  esac
}
for _ in $(seq 600); do listening && break; sleep 0.1; done
[ "$mode" = callgrind ] && callgrind_control -i on "$pid" >/dev/null
if [ "$mode" = cpu ]; then
  "$cli" bench --socket "$socket" --concurrency 8 --threads 2 --write-buffer "${WRITE_BUFFER:-4096}" \
    --repeat "${REPEAT:-1}" --daemon-pid "$pid" "$corpus"
else
  "$cli" bench --socket "$socket" --concurrency 8 --threads 2 --write-buffer "${WRITE_BUFFER:-4096}" "$corpus"
fi
kill -TERM "$pid"
wait "$launcher" || true
case $mode in
  strace) cat "$out/strace.txt" ;;
  callgrind) callgrind_annotate --inclusive=yes "$out/callgrind.out" 2>/dev/null | head -40 ;;
esac
