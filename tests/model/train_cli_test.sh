#!/usr/bin/env bash
# `mailtriage train` as a user runs it, on a small corpus this script writes (ham:
# personal replies and project mail; spam: offers from throwaway domains): the default
# refits the trees on every message and says so in the manifest, --no-refit ships the
# early-stopped ones, two runs with one seed write the same bytes, and the bundle scores
# its own kind of mail as the labels say.
# Usage: train_cli_test.sh MAILTRIAGE_CLI. Exit 0 pass, 1 fail.
set -uo pipefail
cli="$1"
dir="$(mktemp -d /tmp/mailtriage-train-cli.XXXXXX)"
trap 'rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

python3 - "$dir/corpus" <<'PY'
import os, random, sys
root = sys.argv[1]
rnd = random.Random(4)
names = ["anna", "bert", "carla", "dev", "erik", "fatima", "gus", "hana"]
topics = ["the build on arm64", "Thursday's review", "the release notes", "the test flakes",
          "the mirror outage", "patch v3 of the parser", "the meeting minutes", "our backup job"]
offers = ["CHEAP MEDS", "WIN A PRIZE NOW", "Lose 20 pounds", "Hot stock alert", "Your loan is approved",
          "Cheap watches", "Work from home $$$", "Unclaimed reward"]
for label in ("ham", "spam"):
    os.makedirs(os.path.join(root, label))
for i in range(60):
    a, b = rnd.sample(names, 2)
    topic = rnd.choice(topics)
    ham = (f"From: {a.title()} <{a}@project.example>\nTo: {b}@project.example\n"
           f"Subject: Re: {topic}\nDate: Tue, 01 Apr 2025 10:{i % 60:02d}:00 +0000\n"
           f"Message-ID: <{i}.{a}@project.example>\nIn-Reply-To: <{i}.{b}@project.example>\n\n"
           f"Hi {b.title()},\n\nI had another look at {topic}; the log from run {i} is attached to the ticket.\n"
           f"Can we go through it tomorrow?\n\n{a.title()}\n")
    dom = "%s%d.example" % (rnd.choice(["deals", "promo", "bestoffer", "win"]), rnd.randrange(1000))
    offer = rnd.choice(offers)
    spam = (f"From: \"Special Offer\" <promo{i}@{dom}>\nTo: undisclosed-recipients:;\n"
            f"Subject: {offer}!!!\nDate: Tue, 01 Apr 2025 10:{i % 60:02d}:00 +0000\n"
            "MIME-Version: 1.0\nContent-Type: text/html\n\n"
            f"<html><body><h1>{offer}</h1><p>LIMITED TIME!!! Click <a href=\"http://{dom}/x?id={i}\">here</a>"
            " to claim your $$$ bonus. 100% FREE, no risk!</p></body></html>\n")
    open(os.path.join(root, "ham", f"h{i:03d}.eml"), "w").write(ham)
    open(os.path.join(root, "spam", f"s{i:03d}.eml"), "w").write(spam)
PY

"$cli" train "$dir/corpus" -o "$dir/a" --seed 3 --max-rounds 20 >"$dir/a.log" 2>&1 || fail "train: $(cat "$dir/a.log")"
grep -q '^refitting on all 120 messages' "$dir/a.log" || fail "the default does not refit: $(cat "$dir/a.log")"
grep -q '"refit_rounds":' "$dir/a/manifest.json" || fail "the manifest does not record the refit"
"$cli" train "$dir/corpus" -o "$dir/b" --seed 3 --max-rounds 20 >"$dir/b.log" 2>&1 || fail "second train: $(cat "$dir/b.log")"
for f in model.ubj token_evidence.bin; do
  cmp -s "$dir/a/$f" "$dir/b/$f" || fail "two runs with one seed wrote different $f"
done
echo "ok: refitted by default, deterministic"

"$cli" train "$dir/corpus" -o "$dir/c" --seed 3 --max-rounds 20 --no-refit >"$dir/c.log" 2>&1 || fail "train --no-refit: $(cat "$dir/c.log")"
grep -q '^refitting' "$dir/c.log" && fail "--no-refit refitted"
grep -q '"refit_rounds":' "$dir/c/manifest.json" && fail "--no-refit manifest records a refit"
cmp -s "$dir/a/model.ubj" "$dir/c/model.ubj" && fail "--no-refit shipped the refitted trees"
echo "ok: --no-refit ships the early-stopped trees"

"$cli" score --model "$dir/a" --json "$dir"/corpus/ham/h00*.eml "$dir"/corpus/spam/s00*.eml >"$dir/scores.jsonl" ||
  fail "score"
python3 - "$dir/scores.jsonl" <<'PY' || exit 1
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
wrong = [r["file"] for r in rows if r["category"] != ("ham" if "/ham/" in r["file"] else "spam")]
if len(rows) != 20 or wrong:
    print(f"FAIL: {len(rows)} scored, wrong category for {wrong}")
    sys.exit(1)
print("ok: the bundle scores 20 of its messages as labelled")
PY
