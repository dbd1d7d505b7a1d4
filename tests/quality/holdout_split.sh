#!/usr/bin/env bash
# Splits a labelled corpus (CORPUS/<label>/<file>) into OUT/train and OUT/holdout with
# symlinks: a file goes to holdout when the first hex digit of its name's SHA-256 is
# below HOLDOUT_SIXTEENTHS (default 3, about 19%). Deterministic, no randomness, and
# the developer corpus's near-duplicate groups were already kept on one side by its
# makers, so names split independently.
#   tests/quality/holdout_split.sh CORPUS OUT
set -euo pipefail
corpus=$1 out=$2
cut=${HOLDOUT_SIXTEENTHS:-3}
rm -rf "$out"
for dir in "$corpus"/*/; do
  label=$(basename "$dir")
  mkdir -p "$out/train/$label" "$out/holdout/$label"
  for f in "$dir"*; do
    [ -f "$f" ] || continue
    name=$(basename "$f")
    digit=$(printf '%s' "$name" | sha256sum | cut -c1)
    if [ $((16#$digit)) -lt "$cut" ]; then side=holdout; else side=train; fi
    ln -s "$(readlink -f "$f")" "$out/$side/$label/$name"
  done
done
for side in train holdout; do
  printf '%s:' "$side"; for d in "$out/$side"/*/; do printf ' %s=%s' "$(basename "$d")" "$(ls "$d" | wc -l)"; done; echo
done
