#!/usr/bin/env bash
# Splits a labelled corpus (CORPUS/<label>/<file>) into OUT/train and OUT/holdout with
# symlinks. A file goes to holdout when a fixed hash of its name (a polynomial rolling
# hash, computed in awk) modulo 16 is below HOLDOUT_SIXTEENTHS (default 3, about 19%).
# Deterministic. With FOLDS=K and FOLD=i set instead, a file goes to holdout when that
# hash modulo K is i: the K folds of a cross-validation.
# SPLIT_GROUPS=TSV (label, file, group; near_duplicates.py writes it) hashes each listed file's
# group instead of its name, so near-duplicates (one campaign's template, one thread's
# copies) land on the same side: a test that sees a template's sibling in training
# measures memory, not generalisation.
#   [SPLIT_GROUPS=groups.tsv] tests/quality/holdout_split.sh CORPUS OUT
set -euo pipefail
corpus=$(cd "$1" && pwd) out=$2
cut=${HOLDOUT_SIXTEENTHS:-3} folds=${FOLDS:-0} fold=${FOLD:-0} groups=${SPLIT_GROUPS:-/dev/null}
rm -rf "$out"
for dir in "$corpus"/*/; do
  label=$(basename "$dir")
  mkdir -p "$out/train/$label" "$out/holdout/$label"
  (cd "$dir" && find . -maxdepth 1 -type f -printf '%f\n') | LC_ALL=C sort | awk -v cut="$cut" -v folds="$folds" -v fold="$fold" -v label="$label" -v groups="$groups" '
    function fnv(s,    h, i) {
      h = 7
      for (i = 1; i <= length(s); i++) h = (h * 31 + index(chars, substr(s, i, 1)) + 31) % 1000003
      return h
    }
    BEGIN { chars = " !\"#$%&'"'"'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~"
            while ((getline line < groups) > 0) { split(line, g, "\t"); if (g[1] == label) group[g[2]] = g[3] } }
    { h = fnv($0 in group ? group[$0] : $0); out = folds > 0 ? h % folds == fold : h % 16 < cut
      print (out ? "holdout" : "train") "\t" $0 }' |
  while IFS=$'\t' read -r side name; do
    ln -s "$dir$name" "$out/$side/$label/$name"
  done
done
for side in train holdout; do
  printf '%s:' "$side"; for d in "$out/$side"/*/; do printf ' %s=%s' "$(basename "$d")" "$(find "$d" -maxdepth 1 -type l | wc -l)"; done; echo
done
