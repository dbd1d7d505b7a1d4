#!/usr/bin/env bash
# The committed default model (conf/model/default) is what this code and the command in
# packaging/reproduce-default-model.sh produce from the SpamAssassin messages of the
# developer corpus: the same booster, token evidence and manifest, byte for byte. A change
# to the extractor or to training that alters the model without retraining it fails
# here (the schema fingerprint catches only the feature layout). Skipped without
# ../shared/corpus. Usage: default_model_test.sh (MAILTRIAGE = the built CLI).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$here/../..
corpus=${1:-$top/../shared/corpus/train}
if [ ! -d "$corpus/ham" ]; then
  echo "SKIP: no labelled corpus at $corpus (../shared/corpus/train beside the repository)"
  exit 77
fi
work=$(mktemp -d /tmp/mailtriage-default-model.XXXXXX)
trap 'rm -rf "$work"' EXIT
"$top/packaging/reproduce-default-model.sh" --from-corpus "$corpus" "$work/model" >"$work/log" 2>&1 ||
  { tail -20 "$work/log"; echo "FAIL: reproduce-default-model.sh"; exit 1; }
failed=0
for f in model.ubj token_evidence.bin manifest.json; do
  if cmp -s "$work/model/$f" "$top/conf/model/default/$f"; then
    echo "ok   $f identical"
  else
    echo "FAIL $f differs from conf/model/default/$f: retrain the default model with"
    echo "     packaging/reproduce-default-model.sh and commit it with the change"
    failed=1
  fi
done
exit $failed
