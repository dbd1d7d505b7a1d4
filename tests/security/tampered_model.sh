#!/usr/bin/env bash
# A model bundle altered after training is refused: a copy of the default bundle
# (conf/model/default) loads; the same copy with one byte of model.ubj flipped, or of
# token_evidence.bin, fails the manifest's SHA-256 check in `mailtriage check-config`,
# `mailtriaged --check-config` and at daemon start (exit 78, EX_CONFIG, mailtriaged(8)
# EXIT STATUS: a configuration error, so systemd does not restart it) with a message naming the
# file and the SHA-256 mismatch, and the daemon never listens.
#
# Usage: tampered_model.sh MAILTRIAGED MAILTRIAGE_CLI BUNDLE_DIR. Exit 0 pass, 1 fail.
set -uo pipefail
daemon="$1" cli="$2" bundle="$3"
dir="$(mktemp -d /tmp/mailtriage-tamper.XXXXXX)"
pid=""
cleanup() {
    if [[ -n "$pid" ]]; then kill -KILL "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; fi
    rm -rf "$dir"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
config_for() {  # config_for BUNDLE -> yaml path
    printf 'milter:\n  listen: inet:%s@127.0.0.1\nmodel:\n  path: "%s"\n' "$port" "$1" >"$dir/cfg.yaml"
    echo "$dir/cfg.yaml"
}
flip_byte() {  # flip_byte FILE OFFSET: xor one byte with 0x01 in place
    python3 - "$1" "$2" <<'PY'
import sys
path, off = sys.argv[1], int(sys.argv[2])
with open(path, "r+b") as f:
    f.seek(off); b = f.read(1); f.seek(off); f.write(bytes([b[0] ^ 1]))
PY
}

cp -r "$bundle" "$dir/good"
cfg=$(config_for "$dir/good")
"$cli" check-config "$cfg" >"$dir/out" 2>&1 || fail "the intact copy is refused: $(cat "$dir/out")"
"$daemon" --config "$cfg" --check-config >"$dir/out" 2>&1 || fail "mailtriaged refuses the intact copy: $(cat "$dir/out")"
echo "ok: intact copy accepted"

for file in model.ubj token_evidence.bin; do
    rm -rf "$dir/bad"; cp -r "$bundle" "$dir/bad"
    size=$(stat -c %s "$dir/bad/$file")
    flip_byte "$dir/bad/$file" $((size / 2))
    cfg=$(config_for "$dir/bad")
    want="$dir/bad/$file: SHA-256 .* does not match the manifest"

    "$cli" check-config "$cfg" >"$dir/out" 2>&1; rc=$?
    [[ $rc -ne 0 ]] || fail "mailtriage check-config accepts a tampered $file"
    grep -q -- "$want" "$dir/out" || fail "check-config message for $file: $(cat "$dir/out")"

    "$daemon" --config "$cfg" --check-config >"$dir/out" 2>&1; rc=$?
    [[ $rc -eq 78 ]] || fail "mailtriaged --check-config with a tampered $file: status $rc, want 78"
    grep -q -- "$want" "$dir/out" || fail "mailtriaged --check-config message for $file: $(cat "$dir/out")"

    # At start: refused before the socket is bound, within the time a start takes.
    "$daemon" --config "$cfg" >"$dir/out" 2>&1 &
    pid=$!
    for ((i = 0; i < 200; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
    kill -0 "$pid" 2>/dev/null && fail "mailtriaged still running with a tampered $file"
    wait "$pid"; rc=$?; pid=""
    [[ $rc -eq 78 ]] || fail "mailtriaged with a tampered $file: status $rc, want 78"
    grep -q -- "$want" "$dir/out" || fail "mailtriaged start message for $file: $(cat "$dir/out")"
    grep -q 'event=listening' "$dir/out" && fail "mailtriaged listened with a tampered $file"
    echo "ok: tampered $file refused: $(grep -o 'SHA-256 [0-9a-f]\{8\}.*' "$dir/out" | head -1 | cut -c1-60)..."
done
echo PASS
