#!/usr/bin/env bash
# Security checks end to end through a real Postfix (smtpd -> mailtriaged -> queue ->
# smtp -> smtp-sink):
#  1. Forged inbound X-Triage-* headers never reach the next hop: every case variant,
#     folded over several lines, several instances of one name, a name with white
#     space before its colon, headers at the top and at the bottom of the header
#     section. Checked on a judged message (verdict headers added, exactly once)
#     and on a message whose verdict misses milter.timeouts.verdict, so the daemon's
#     fallback decides (X-Triage-Status added, no verdict headers): six big messages
#     ending at once on one worker with a 10 ms deadline, at least one must fall back.
#  2. The daemon's log (at debug level, the most verbose) holds none of the envelope
#     or header addresses, local parts or subjects of the messages it judged.
#
# Environment: MAILTRIAGED (binary). E2E_KEEP=1 keeps the work directory.
# Exit 0 pass, 1 fail, 77 skipped (not root, Postfix or python3 missing).
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=SCRIPTDIR/lib.sh
source "$here/lib.sh"

e2e_require_env
command -v python3 >/dev/null 2>&1 || e2e_skip "python3 not installed (the SMTP client)"
e2e_init postfix_security

# Distinctive per run, so a hit in the log can only come from these messages.
tag="$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')"
marker="FORGEDMARK$tag"

# send.py PORT CASE SIZE...: one SMTP session per case; writes every address, local part
# and subject it used to secrets.txt (one per line) and prints "CASE CODE TEXT".
cat >"$E2E_DIR/send.py" <<'PY'
import smtplib, sys, threading
port, tag, marker, secrets_path = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
forged_top = [
    "X-Triage-Category: ham " + marker,
    "x-triage-score: 0.000 " + marker,
    "X-TRIAGE-VERDICT: category=ham;\r\n\tscore=0.001;\r\n model=" + marker + "; queue=FORGED",
    "X-Triage-Reasons: one " + marker,
    "X-Triage-Reasons: two " + marker,
    "X-Triage-Reasons: three\r\n\t" + marker,
    "x-TrIaGe-Status: skipped " + marker,
    "X-Triage-Category : spam " + marker,   # obsolete syntax: white space before the colon
]
forged_bottom = ["X-Triage-Category: ham again " + marker, "X-Triage-Extra: " + marker]
secrets = []
results = []
def send(case, sender, rcpt, data):
    try:
        s = smtplib.SMTP("127.0.0.1", port, local_hostname="client.e2e.test", timeout=120)
        s.ehlo(); s.mail(sender); s.rcpt(rcpt)
        code, text = s.data(data)
        results.append("%s %s %s" % (case, code, text.decode(errors="replace").replace("\n", " ")))
        s.quit()
    except Exception as e:
        results.append("%s ERROR %r" % (case, e))
threads = []
for spec in sys.argv[5:]:
    case, size, *kind = spec.split(":")
    html = kind == ["html"]
    sender = "sec.sender.%s.%s@private-%s.example" % (case, tag, tag)
    rcpt = "sec.rcpt.%s.%s@dest-%s.example" % (case, tag, tag)
    hdr_from = "Hdr From %s <hdr.from.%s.%s@hdrfrom-%s.example>" % (tag, case, tag, tag)
    subject = "Confidential merger plan %s %s" % (case, tag)
    secrets += [sender, rcpt, sender.split("@")[0], rcpt.split("@")[0],
                "hdr.from.%s.%s@hdrfrom-%s.example" % (case, tag, tag), "hdr.from.%s.%s" % (case, tag), subject]
    lines = forged_top + ["From: " + hdr_from, "To: " + rcpt, "Subject: " + subject,
                          "Date: Tue, 01 Apr 2025 10:00:00 +0000",
                          "Message-ID: <sec-%s-%s@mailtriage.test>" % (case, tag), "X-E2E-Case: " + case,
                          "MIME-Version: 1.0",
                          'Content-Type: multipart/mixed; boundary="b"' if html else
                          "Content-Type: text/plain; charset=us-ascii"] + forged_bottom
    if html:  # SIZE bytes in each of three HTML parts full of links: the costliest text to judge
        line = '<p><a href="http://figures-%s.example/q">quarterly figures</a> payment schedule review</p>\r\n' % tag
        part = "<html><body>\r\n" + line * (int(size) // len(line)) + "</body></html>\r\n"
        body = "".join("--b\r\nContent-Type: text/html; charset=us-ascii\r\n\r\n" + part for _ in range(3)) + "--b--\r\n"
    else:
        body = "Hello,\r\nplease review the attached figures.\r\n"
        line = "quarterly figures payment schedule review meeting notes %s\r\n" % tag
        while len(body) < int(size):
            body += line
    data = ("\r\n".join(lines) + "\r\n\r\n" + body).encode()
    threads.append(threading.Thread(target=send, args=(case, sender, rcpt, data)))
# All sessions at once, so their ends of message reach the daemon together.
for t in threads: t.start()
for t in threads: t.join()
print("\n".join(results), flush=True)
with open(secrets_path, "a") as f:
    f.write("\n".join(secrets) + "\n")
PY

# check.py SINK_DIR MARKER CASE EXPECT: the delivered message of CASE has no header
# carrying MARKER; EXPECT "judged" wants one X-Triage-Category/-Score/-Verdict and no
# -Status, "fallback" one -Status and no verdict headers, "either" one of the two
# (printed as "judged" or "fallback").
cat >"$E2E_DIR/check.py" <<'PY'
import os, re, sys
sink, marker, case, expect = sys.argv[1:5]
found = []
for name in os.listdir(sink):
    raw = open(os.path.join(sink, name), "rb").read().replace(b"\r\n", b"\n").decode("latin-1")
    head = raw.split("\n\n", 1)[0]
    if re.search(r"^X-E2E-Case: %s$" % re.escape(case), head, re.M):
        found.append(head)
if len(found) != 1:
    sys.exit("%s: %d delivered messages, want 1" % (case, len(found)))
head = found[0]
errors = []
if marker.lower() in head.lower():
    errors.append("a forged header survived: " +
                  " | ".join(l for l in head.split("\n") if marker.lower() in l.lower()))
fields = re.findall(r"^([^ \t:][^:\n]*):", head, re.M)
names = [f.strip().lower() for f in fields]
count = lambda n: names.count(n.lower())
if expect == "either":
    expect = "fallback" if count("X-Triage-Status") else "judged"
if expect == "judged":
    for n in ("X-Triage-Category", "X-Triage-Score", "X-Triage-Verdict"):
        if count(n) != 1: errors.append("%s %d times, want 1" % (n, count(n)))
    if count("X-Triage-Status"): errors.append("X-Triage-Status on a judged message")
else:
    if count("X-Triage-Status") != 1: errors.append("X-Triage-Status %d times, want 1" % count("X-Triage-Status"))
    for n in ("X-Triage-Category", "X-Triage-Score", "X-Triage-Verdict"):
        if count(n): errors.append("%s on a fallback message" % n)
status = re.search(r"^X-Triage-Status:(.*)$", head, re.M | re.I)
print("%s: %s %s%s" % (case, "ok" if not errors else "FAIL", expect,
                    (" (X-Triage-Status:%s)" % status.group(1)) if status else ""))
for e in errors: print("  " + e)
sys.exit(1 if errors else 0)
PY

failures=0
: >"$E2E_DIR/checks.log"
run_phase() {  # run_phase EXPECT CASE:SIZE...
    local expect="$1"; shift
    timeout 180 python3 "$E2E_DIR/send.py" "$E2E_SMTP_PORT" "$tag" "$marker" "$E2E_DIR/secrets.txt" "$@" \
        >>"$E2E_DIR/smtp-client.log" 2>&1 || e2e_fail "SMTP client failed: $(cat "$E2E_DIR/smtp-client.log")"
    e2e_wait_queue_empty 90 || e2e_fail "queue did not drain"
    e2e_sink_settle 10 || e2e_fail "sink did not settle"
    local spec
    for spec in "$@"; do
        python3 "$E2E_DIR/check.py" "$E2E_SINK_DIR" "$marker" "${spec%%:*}" "$expect" >>"$E2E_DIR/checks.log" ||
            failures=$((failures + 1))
    done
    cat "$E2E_DIR/checks.log" >&2
}

e2e_start_sink
E2E_DAEMON_ARGS="--log-level debug"
e2e_start_daemon
e2e_start_postfix tempfail

# Judged: small messages get a verdict well within the default 5 s.
run_phase judged small:300 medium:20000

# Fallback: one worker and a verdict deadline of 10 ms, six messages of three 1 MB HTML
# parts ending at once: each takes over 10 ms to judge (about 13 ms alone), and
# the ones queued behind the first miss the deadline by far. (Plain-text messages of
# 1.5 MB take about 2 ms since the parser got faster and no longer reliably missed it.)
e2e_stop_daemon
cat >"$E2E_DIR/fallback.yaml" <<YAML
milter:
  worker_threads: 1
  timeouts: {verdict: 10ms}
  limits: {scan_bytes: 8MiB}
YAML
E2E_DAEMON_ARGS="--config $E2E_DIR/fallback.yaml --log-level debug"
e2e_start_daemon "$E2E_MILTER_PORT"
: >"$E2E_DIR/checks.log"
run_phase either big1:1000000:html big2:1000000:html big3:1000000:html big4:1000000:html big5:1000000:html \
    big6:1000000:html
fallbacks=$(grep -c ': ok fallback' "$E2E_DIR/checks.log")
e2e_log "fallback phase: $fallbacks of 6 messages got the fallback"
[[ $fallbacks -ge 1 ]] || { e2e_log "FAIL: no message reached the fallback path"; failures=$((failures + 1)); }
e2e_stop_daemon

# The log holds none of the addresses, local parts or subjects.
leaks=0
while IFS= read -r secret; do
    [[ -n "$secret" ]] || continue
    if grep -q -i -F -- "$secret" "$E2E_DIR/mailtriaged.log"; then
        e2e_log "FAIL: the daemon's log contains '$secret'"
        leaks=$((leaks + 1))
    fi
done <"$E2E_DIR/secrets.txt"
[[ $leaks -eq 0 ]] || failures=$((failures + 1))
grep -q -F "$tag" "$E2E_DIR/mailtriaged.log" && { e2e_log "FAIL: the run's tag $tag is in the log"; failures=$((failures + 1)); }
e2e_log "log: $(wc -l <"$E2E_DIR/mailtriaged.log") lines at debug level, $(grep -c . "$E2E_DIR/secrets.txt") secrets, $leaks found"

[[ $failures -eq 0 ]] || e2e_fail "$failures check(s) failed"
e2e_log "PASS"
