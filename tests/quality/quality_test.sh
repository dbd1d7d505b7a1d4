#!/usr/bin/env bash
# Model quality on the developer corpus: train on ~81% of ../shared/corpus/train and
# evaluate on the ~19% held out from training (tests/quality/holdout_split.sh), with
# the era-artefact groups withheld exactly as the shipped models are. Asserts minimums
# and prints the figures. Exit 77 (skipped) with a message when the corpus is absent.
#   MAILTRIAGE=build/release/src/mailtriage tests/quality/quality_test.sh [CORPUS]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
corpus=${1:-$here/../../../shared/corpus/train}
mailtriage=${MAILTRIAGE:-$here/../../build/release/src/mailtriage}
if [ ! -d "$corpus/ham" ] || [ ! -d "$corpus/spam" ] || [ ! -d "$corpus/phishing" ]; then
  echo "SKIP: no labelled corpus at $corpus (../shared/corpus/train beside the repository)"
  exit 77
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$here/holdout_split.sh" "$corpus" "$work/split"
start=$SECONDS
"$mailtriage" train "$work/split/train" -o "$work/model" --drop auth,mailer --seed 1 2>&1 | grep -v '^  round'
"$mailtriage" eval "$work/model" "$work/split/holdout" --json "$work/eval.json" --html "$work/eval.html" \
  --corpus-manifest "$corpus/../manifest.tsv"
echo "train + eval: $((SECONDS - start)) s; model $(du -sh "$work/model" | cut -f1)"

# Minimums, a little below what the model measures (see the issue notes), so a
# regression fails while run-to-run noise from 2-3 messages does not.
python3 - "$work/eval.json" <<'PY'
import json, sys
e = json.load(open(sys.argv[1]))["evaluation"]["classes"]
want = {
    ("phishing", "roc_auc"): 0.999, ("phishing", "recall_at_fpr_0.1pct"): 0.97,
    ("spam", "roc_auc"): 0.998, ("spam", "recall_at_fpr_1pct"): 0.95,
    ("ham", "precision"): 0.98,
}
failed = 0
for (label, metric), minimum in want.items():
    got = e[label][metric]
    ok = got is not None and got >= minimum
    print(f"{'ok  ' if ok else 'FAIL'} {label:9s} {metric:22s} {got:.5f} (minimum {minimum})")
    failed += not ok
sys.exit(1 if failed else 0)
PY
