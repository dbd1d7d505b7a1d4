#!/usr/bin/env bash
# Runs every libFuzzer target of a `fuzz` preset build for SECONDS each, two at a time
# (CI has two cores), starting from the committed corpus (read only; new inputs go to a
# scratch directory). Any crash, leak, UB report, timeout (-timeout=20 s per input) or
# RSS above 2 GiB fails the run; the input is kept in BUILD_DIR/artifacts/ and the
# fuzzer's output is printed.
#
# Usage: tests/fuzz/run-fuzzers.sh BUILD_DIR [SECONDS]
#   A finding becomes a regression input: copy it to tests/fuzz/seeds/<corpus>/regress-*,
#   fix the bug, and the corpus replay test (fuzz.<target>_corpus) keeps it fixed.
set -uo pipefail
build="$(cd "$1" && pwd)"
seconds="${2:-60}"
here="$(cd "$(dirname "$0")" && pwd)"
scratch="$(mktemp -d /tmp/mailtriage-fuzz.XXXXXX)"
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$build/artifacts"

corpus_of() { case "$1" in features) echo mime ;; *) echo "$1" ;; esac; }

run_one() {  # run_one TARGET: exit status of the fuzzer
    local t="$1" c
    c=$(corpus_of "$t")
    mkdir -p "$scratch/$t"
    "$build/tests/mailtriage_${t}_fuzz" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=20 \
        -max_len=65536 -print_final_stats=1 -dict="$here/dict/$c.dict" \
        -artifact_prefix="$build/artifacts/${t}-" "$scratch/$t" "$here/seeds/$c" >"$scratch/$t.log" 2>&1
}

failed=0
targets=(milter features mime config)
for ((i = 0; i < ${#targets[@]}; i += 2)); do
    pids=()
    for t in "${targets[@]:i:2}"; do
        run_one "$t" &
        pids+=("$!:$t")
    done
    for p in "${pids[@]}"; do
        if wait "${p%%:*}"; then
            t=${p#*:}
            printf '%-9s ok: %s\n' "$t" "$(grep -a -E '^#[0-9]+.*(pulse|NEW|REDUCE|DONE)' "$scratch/$t.log" | tail -1 | cut -d' ' -f1-9) $(grep -a 'stat::number_of_executed_units' "$scratch/$t.log" | awk '{print "runs=" $2}')"
        else
            t=${p#*:}
            echo "$t FAILED; output:"
            grep -a -v -E '^#[0-9]+' "$scratch/$t.log" | tail -80
            failed=1
        fi
    done
done
exit $failed
