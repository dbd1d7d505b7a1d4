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

# The defaults the usage text states are the ones training uses (they live in
# model::train_params; the text is written by hand): a run with no tuning options
# records them in its manifest.
"$cli" train --help >"$dir/help.txt" 2>&1
"$cli" train "$dir/corpus" -o "$dir/d" --seed 3 >"$dir/d.log" 2>&1 || fail "train with defaults: $(cat "$dir/d.log")"
python3 - "$dir/help.txt" "$dir/d/manifest.json" <<'PY' || exit 1
import json, re, sys
text = open(sys.argv[1]).read()
params = json.load(open(sys.argv[2]))["params"]
stated = {
    "max_rounds": r"--max-rounds N\s+boosting rounds at most \((\d+)\)",
    "early_stopping_rounds": r"--early-stopping N \((\d+)\)",
    "max_depth": r"--max-depth N \((\d+)\)",
    "eta": r"--eta F \(([\d.]+)\)",
    "subsample": r"--subsample F \(([\d.]+)\)",
    "colsample_bytree": r"--colsample F \(([\d.]+)\)",
    "threads": r"--threads N \((\d+)\)",
}
bad = []
for key, pattern in stated.items():
    m = re.search(pattern, text)
    if not m:
        bad.append(f"{key}: not in the usage text")
    elif float(m.group(1)) != float(params[key]):
        bad.append(f"{key}: usage says {m.group(1)}, training used {params[key]}")
if bad:
    print("FAIL: " + "; ".join(bad))
    sys.exit(1)
print("ok: the usage text states the defaults training uses")
PY

# --sub-class: newsletters inside ham (a manifest marks them) train as a class of their
# own, and the bundle still reports only the corpus's labels, with the classes' sums.
python3 - "$dir/corpus" "$dir/manifest.tsv" <<'PY'
import os, random, sys
root, manifest = sys.argv[1], sys.argv[2]
rnd = random.Random(5)
shops = ["gardenshop", "bookclub", "citytheatre", "runnersweekly", "cheesemonger"]
for i in range(30):
    shop = rnd.choice(shops)
    news = (f"From: {shop.title()} News <news@{shop}.example>\nTo: reader{i}@project.example\n"
            f"Subject: This week at {shop.title()}: {rnd.choice(['new arrivals', 'members save 10%', 'events'])}\n"
            f"Date: Tue, 01 Apr 2025 11:{i % 60:02d}:00 +0000\nMessage-ID: <n{i}@mail.{shop}.example>\n"
            f"List-Unsubscribe: <https://{shop}.example/unsub?u={i}>\nMIME-Version: 1.0\nContent-Type: text/html\n\n"
            f"<html><body><h2>{shop.title()} weekly</h2><p>Dear reader{i}, this week: "
            f"<a href=\"https://{shop}.example/week\">see what is new</a>.</p>"
            f"<p>You receive this because you subscribed at {shop}.example. "
            f"<a href=\"https://{shop}.example/unsub?u={i}\">Unsubscribe</a></p></body></html>\n")
    open(os.path.join(root, "ham", f"n{i:03d}.eml"), "w").write(news)
with open(manifest, "w") as out:
    out.write("path\tlabel\tsource\tsubsource\n")
    for label in ("ham", "spam"):
        for name in sorted(os.listdir(os.path.join(root, label))):
            sub = "news" if name.startswith("n") else "personal" if label == "ham" else "offers"
            out.write(f"{label}/{name}\t{label}\ttest\t{sub}\n")
PY
"$cli" train "$dir/corpus" -o "$dir/sub" --seed 3 --max-rounds 20 --sub-class news >"$dir/sub0.log" 2>&1 &&
  fail "--sub-class without --corpus-manifest was accepted"
grep -q -- '--sub-class needs --corpus-manifest' "$dir/sub0.log" || fail "no clear error: $(cat "$dir/sub0.log")"
"$cli" train "$dir/corpus" -o "$dir/sub" --seed 3 --max-rounds 20 --corpus-manifest "$dir/manifest.tsv" \
  --sub-class typo >"$dir/sub1.log" 2>&1 && fail "an unknown --sub-class was accepted"
grep -q 'no message of the corpus has that sub-source' "$dir/sub1.log" || fail "no clear error: $(cat "$dir/sub1.log")"
"$cli" train "$dir/corpus" -o "$dir/sub" --seed 3 --max-rounds 20 --corpus-manifest "$dir/manifest.tsv" \
  --sub-class news >"$dir/sub.log" 2>&1 || fail "train --sub-class: $(cat "$dir/sub.log")"
grep -q '(2 labels, 3 classes)' "$dir/sub.log" || fail "not trained as 3 classes: $(cat "$dir/sub.log")"
"$cli" score --model "$dir/sub" --json --reasons 40 "$dir"/corpus/ham/n00*.eml "$dir"/corpus/ham/h00*.eml \
  "$dir"/corpus/spam/s00*.eml >"$dir/sub.jsonl" || fail "score with sub-classes"
python3 - "$dir/sub/manifest.json" "$dir/sub.jsonl" <<'PY' || exit 1
import json, sys
m = json.load(open(sys.argv[1]))
rows = [json.loads(l) for l in open(sys.argv[2])]
bad = []
if m["labels"] != ["ham", "spam"]: bad.append(f"labels {m['labels']}")
if m.get("classes") != [{"name": "ham", "label": "ham"}, {"name": "spam", "label": "spam"},
                        {"name": "ham/news", "label": "ham"}]:
    bad.append(f"classes {m.get('classes')}")
if m["params"]["objective"] != "multi:softprob" or m["params"].get("sub_classes") != ["news"]:
    bad.append(f"params {m['params']}")
if m["training_data"]["counts"].get("ham/news", {}).get("train", 0) + m["training_data"]["counts"].get("ham/news", {}).get("validation", 0) != 30:
    bad.append(f"counts {m['training_data']['counts']}")
for r in rows:
    want = "spam" if "/spam/" in r["file"] else "ham"
    p = r["probabilities"]
    if set(p) != {"ham", "spam"} or abs(sum(p.values()) - 1) > 1e-4: bad.append(f"{r['file']}: probabilities {p}")
    if r["category"] != want: bad.append(f"{r['file']}: {r['category']}")
    if abs(r["score"] - p[r["category"]]) > 1e-6: bad.append(f"{r['file']}: score {r['score']} is not P({r['category']})")
if any(not r["reasons"] for r in rows): bad.append("a message without reasons")
if len(rows) != 30: bad.append(f"{len(rows)} scored")
if bad:
    print("FAIL: " + "; ".join(bad)); sys.exit(1)
print("ok: --sub-class trains 3 classes and reports 2 labels, each the sum of its classes")
PY
"$cli" explain --model "$dir/sub" "$dir/corpus/ham/n000.eml" >"$dir/explain.txt" 2>&1 || fail "explain: $(cat "$dir/explain.txt")"
head -1 "$dir/explain.txt" | grep -q ': ham ' || fail "explain with sub-classes: $(head -3 "$dir/explain.txt")"
echo "ok: explain reports the label of a sub-class model"
