#!/usr/bin/env bash
# A corpus run's log holds no raw e-mail address and no subject: mailtriaged at
# --log-level debug (its most verbose) judges generated messages with distinctive
# addresses and subjects and, when ../shared/corpus (or MAILTRIAGE_CORPUS) is present,
# a sample of real messages, replayed through the milter protocol by `mailtriage
# bench`. Every address in From/To/Cc/Reply-To/Sender/Return-Path, every local part
# of 4+ characters, and every subject of 12+ characters (long enough not to match log
# vocabulary by chance) is then searched for in the log.
#
# Usage: log_privacy_corpus.sh MAILTRIAGED MAILTRIAGE_CLI. MAILTRIAGE_CORPUS_SAMPLE
# (default 300) bounds the corpus messages used. Exit 0 pass, 1 fail.
set -uo pipefail
daemon="$1" cli="$2"
here="$(cd "$(dirname "$0")" && pwd)"
corpus="${MAILTRIAGE_CORPUS:-$here/../../../shared/corpus}"
sample="${MAILTRIAGE_CORPUS_SAMPLE:-300}"
dir="$(mktemp -d /tmp/mailtriage-logpriv.XXXXXX)"
pid=""
cleanup() {
    if [[ -n "$pid" ]]; then kill -TERM "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; fi
    rm -rf "$dir"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }

mkdir -p "$dir/msgs"
# Generated messages, and the corpus sample (every k-th file, so all labels appear).
python3 - "$dir/msgs" "$corpus" "$sample" <<'PY'
import os, random, sys
out, corpus, sample = sys.argv[1], sys.argv[2], int(sys.argv[3])
rnd = random.Random(8)
for i in range(40):
    tag = "%08x" % rnd.getrandbits(32)
    addr = "priv.%s.user%d@secret-%s.example" % (tag, i, tag)
    subj = ["Invoice overdue for account %s", "=?utf-8?B?%s?=", "Re: salary review %s please"][i % 3]
    if "?B?" in subj:
        import base64
        subj = subj % base64.b64encode(("Gehaltsabrechnung März %s" % tag).encode()).decode()
    else:
        subj = subj % tag
    msg = ("From: Person %d <%s>\r\nTo: other.%s@dest-%s.example\r\nCc: \"Quoted, Name\" <cc.%s@cc.example>\r\n"
           "Reply-To: reply.%s@reply.example\r\nSubject: %s\r\nDate: Tue, 01 Apr 2025 10:00:00 +0000\r\n"
           "Message-ID: <%s@gen.example>\r\n\r\nHello %s, body text %s.\r\n") % (
        i, addr, tag, tag, tag, tag, subj, tag, addr, tag)
    open(os.path.join(out, "gen-%02d.eml" % i), "w").write(msg)
files = []
for root, _, names in os.walk(os.path.join(corpus, "train")):
    files += [os.path.join(root, n) for n in names if n.endswith(".eml")]
files.sort()
if files:
    step = max(1, len(files) // sample)
    for f in files[::step][:sample]:
        os.symlink(f, os.path.join(out, "corpus-" + os.path.basename(f)))
print("%d generated, %d corpus messages%s" % (40, min(len(files), sample) if files else 0,
      "" if files else " (no corpus at %s)" % corpus))
PY

# The secrets to look for, decoded as a reader would see them.
python3 - "$dir/msgs" >"$dir/secrets.txt" <<'PY'
import email, email.policy, email.utils, os, sys
d = sys.argv[1]
out = set()
for n in sorted(os.listdir(d)):
    try:
        m = email.message_from_binary_file(open(os.path.join(d, n), "rb"), policy=email.policy.compat32)
    except Exception:
        continue
    for h in ("From", "To", "Cc", "Reply-To", "Sender", "Return-Path"):
        for v in m.get_all(h, []):
            try:
                pairs = email.utils.getaddresses([str(v)])
            except Exception:
                continue
            for _, a in pairs:
                a = a.strip()
                if "@" in a and len(a) >= 6 and "\n" not in a:
                    out.add(a)
                    local = a.split("@")[0]
                    if len(local) >= 4:
                        out.add(local + "@")  # a local part as it would precede a domain
    s = m.get("Subject")
    if s:
        try:
            s = str(email.header.make_header(email.header.decode_header(str(s))))
        except Exception:
            s = str(s)
        s = " ".join(s.split())
        if len(s) >= 12:
            out.add(s)
for s in sorted(out):
    print(s)
PY
echo "$(ls "$dir/msgs" | wc -l) messages, $(wc -l <"$dir/secrets.txt") addresses and subjects to look for"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
: >"$dir/daemon.log"
"$daemon" --listen "inet:$port@127.0.0.1" --log-level debug >"$dir/daemon.log" 2>&1 &
pid=$!
for ((i = 0; i < 300; i++)); do
    grep -q 'event=listening' "$dir/daemon.log" && break
    kill -0 "$pid" 2>/dev/null || fail "mailtriaged exited: $(cat "$dir/daemon.log")"
    sleep 0.05
done
timeout 300 "$cli" bench --socket "inet:$port@127.0.0.1" --concurrency 2 "$dir/msgs" >"$dir/replay.log" 2>&1 ||
    fail "mailtriage bench failed: $(cat "$dir/replay.log")"
kill -TERM "$pid"; wait "$pid"; pid=""
judged=$(grep -c 'event=verdict' "$dir/daemon.log")
echo "replayed: $(grep -m1 -i 'messages' "$dir/replay.log"); $judged verdict lines; log $(wc -l <"$dir/daemon.log") lines"
[[ $judged -ge $(ls "$dir/msgs" | wc -l) ]] || fail "only $judged verdicts for $(ls "$dir/msgs" | wc -l) messages"

leaks=0
while IFS= read -r secret; do
    if grep -q -i -F -- "$secret" "$dir/daemon.log"; then
        echo "FAIL: the log contains '$secret': $(grep -i -F -m1 -- "$secret" "$dir/daemon.log" | cut -c1-200)"
        leaks=$((leaks + 1))
    fi
done <"$dir/secrets.txt"
[[ $leaks -eq 0 ]] || fail "$leaks addresses or subjects in the log"
echo PASS
