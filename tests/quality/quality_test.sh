#!/usr/bin/env bash
# Model quality on the developer corpus: train on ~81% of ../shared/corpus/train and
# evaluate on the ~19% held out from training (tests/quality/holdout_split.sh, keeping
# near-duplicates on one side as the corpus's own held-out set does), with
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
"$here/near_duplicates.py" "$corpus" > "$work/groups.tsv"
SPLIT_GROUPS=$work/groups.tsv "$here/holdout_split.sh" "$corpus" "$work/split"
start=$SECONDS
# The newsletters among the ham (sub-source hard_ham) train as a class of their own
# (docs/QUALITY.md, "Sub-classes"); the model reports ham, spam and phishing. eta 0.1,
# not train's default 0.05: the same figures on this split (below) in less time, which
# keeps CI under its 30 minutes (at eta 0.05 this test took 458 s of the release
# suite's 618 in CI); cross_validate.sh compares training options.
"$mailtriage" train "$work/split/train" -o "$work/model" --drop auth,mailer --seed 1 --eta 0.1 \
  --corpus-manifest "$corpus/../manifest.tsv" --sub-class hard_ham 2>&1 | grep -v '^  round'
"$mailtriage" eval "$work/model" "$work/split/holdout" --json "$work/eval.json" --html "$work/eval.html" \
  --corpus-manifest "$corpus/../manifest.tsv"
echo "train + eval: $((SECONDS - start)) s; model $(du -sh "$work/model" | cut -f1)"

# Minimums, a little below what the model measures, so a regression fails while a
# difference of a few messages does not. Measured on this split (near-duplicates kept
# together: 751 ham, 281 phishing, 219 spam held out), schema 2 with refitting,
# --sub-class hard_ham, eta 0.1 (this test: 215 rounds kept, 155 s for train + eval
# alone on two cores) / eta 0.05: phishing AUC 0.99984 / 0.99983, recall@0.1% 0.9822
# / 0.9822 (276/281); spam AUC 0.99936 / 0.99935, recall@0.1% 0.9178 / 0.9269,
# recall@1% 0.9817 / 0.9772; ham precision 0.9987 / 0.9987; scored 1 - P(ham): spam
# AUC 0.99962 / 0.99961, recall@0.1% 0.9452 / 0.9406, phishing 0.9929 / 0.9893.
# Without the sub-class (eta 0.05): spam AUC 0.99959, recall@0.1% 0.9178, recall@1%
# 0.9909, ham precision 0.9947, 1 - P(ham) 0.9361 and 0.9822. With 751 ham, "at 0.1%"
# here means "above every ham message": one newsletter moves it by several points;
# pooled five-fold cross-validation (tests/quality/cross_validate.sh) is the figure to
# compare models by.
# Issue targets not yet met: spam recall@0.1% >= 0.98, phishing recall@0.1% >= 0.99.
python3 - "$work/eval.json" <<'PY'
import json, sys
e = json.load(open(sys.argv[1]))["evaluation"]["classes"]
want = {
    ("phishing", "roc_auc"): 0.9995, ("phishing", "recall_at_fpr_0.1pct"): 0.97,
    ("spam", "roc_auc"): 0.999, ("spam", "recall_at_fpr_0.1pct"): 0.90,
    ("spam", "recall_at_fpr_1pct"): 0.97, ("ham", "precision"): 0.985,
    # Scored 1 - P(ham): kept out of the inbox whichever bad class the model names.
    ("spam", "not_negative_roc_auc"): 0.999, ("spam", "not_negative_recall_at_fpr_0.1pct"): 0.90,
    ("phishing", "not_negative_recall_at_fpr_0.1pct"): 0.96,
}
failed = 0
for (label, metric), minimum in want.items():
    got = e[label][metric]
    ok = got is not None and got >= minimum
    print(f"{'ok  ' if ok else 'FAIL'} {label:9s} {metric:34s} {got:.5f} (minimum {minimum})")
    failed += not ok
sys.exit(1 if failed else 0)
PY
