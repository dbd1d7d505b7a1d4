#!/usr/bin/env bash
# Policy actions end to end through a real Postfix: an SMTP client (python3's
# smtplib) -> smtpd (smtpd_milters = mailtriaged with tests/e2e/policy.yaml,
# milter_default_action = tempfail) -> queue -> smtp -> smtp-sink.
#
# One message per envelope-sender domain of policy.yaml, so every rule fires
# whatever the built-in model thinks of the message:
#   tag.example       X-Triage-Route: tag-rule, Subject "[TAGGED] ..."
#   route.example     both recipients removed, review@review.example added
#   archive.example   archive@archive.example added next to the recipient
#   hold.example      quarantined: Postfix hold queue, nothing at the sink
#   reject.example    550 5.7.1 at end of DATA, nothing queued
#   tempfail.example  451 4.7.1 at end of DATA, nothing queued
#   shadow.example    a shadow rule with reject: delivered normally
#   forged.example    forged X-Triage-* headers: removed, ours added once
#   plain.example     no rule: delivered with the verdict headers only
# Every delivered message must carry exactly one X-Triage-Category, -Score and
# -Verdict, the verdict's sig= must verify with `mailtriage verify-header` (and
# fail once altered), and its queue= must be the Postfix queue id.
#
# Environment: MAILTRIAGED (binary; the CLI `mailtriage` is taken from the same
# directory unless MAILTRIAGE_CLI is set), E2E_MODEL (a model bundle directory
# used instead of the built-in model), E2E_KEEP=1 keeps the work directory.
# Exit 0 pass, 1 fail, 77 skipped (not root, Postfix or python3 missing).
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=SCRIPTDIR/lib.sh
source "$here/lib.sh"

MAILTRIAGE_CLI="${MAILTRIAGE_CLI:-$(dirname "$MAILTRIAGED")/mailtriage}"

e2e_require_env
command -v python3 >/dev/null 2>&1 || e2e_skip "python3 not installed (the SMTP client)"
[[ -x "$MAILTRIAGE_CLI" ]] || e2e_skip "CLI not built: $MAILTRIAGE_CLI"
e2e_init postfix_policy
t_start=$(e2e_now)

# ---------------------------------------------------------------- configuration

key="$E2E_DIR/hmac.key"
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$key"
chmod 600 "$key"
cfg="$E2E_DIR/policy.yaml"
sed "s|@HMAC_KEY_FILE@|$key|" "$here/policy.yaml" >"$cfg"
grep -qF "$key" "$cfg" || e2e_fail "policy.yaml template has no @HMAC_KEY_FILE@"
# E2E_MODEL: a model bundle directory instead of the built-in model.
if [[ -n "${E2E_MODEL:-}" ]]; then
    printf '\nmodel:\n  path: "%s"\n' "$E2E_MODEL" >>"$cfg"
    e2e_log "model: $E2E_MODEL (E2E_MODEL)"
fi
"$MAILTRIAGE_CLI" check-config "$cfg" >"$E2E_DIR/check-config.log" 2>&1 ||
    e2e_fail "mailtriage check-config rejects the test configuration, so mailtriaged cannot start with it: $(cat "$E2E_DIR/check-config.log")"

e2e_start_sink
E2E_DAEMON_ARGS="--config $cfg ${E2E_DAEMON_ARGS:-}"
e2e_start_daemon
e2e_start_postfix tempfail

# ---------------------------------------------------------------- messages

# write_message CASE [EXTRA_HEADER_LINES...]: $E2E_DIR/msg-CASE.eml
write_message() {
    local case="$1"; shift
    local f="$E2E_DIR/msg-$case.eml" line
    {
        printf 'From: Sender <sender@%s.example>\n' "$case"
        printf 'To: Recipient <rcpt@dest.example>\n'
        printf 'Subject: policy e2e %s\n' "$case"
        printf 'Date: Tue, 01 Apr 2025 10:00:00 +0000\n'
        printf 'Message-ID: <e2e-policy-%s@mailtriage.test>\n' "$case"
        printf 'MIME-Version: 1.0\n'
        printf 'Content-Type: text/plain; charset=us-ascii\n'
        printf 'X-E2E-Case: %s\n' "$case"
        for line in "$@"; do printf '%s\n' "$line"; done
        printf '\n'
        printf 'Hello,\n\nthis is the %s message of the mailtriage policy test.\n' "$case"
        printf 'Please find the minutes of the meeting attached.\n\n-- \ne2e\n'
    } >"$f"
}

forged_verdict='category=ham; score=0.001; model=forged; queue=FORGED; sig=00000000000000000000000000000000000000000000000000000000deadbeef'
write_message tag 'X-Triage-Route: forged-route'
write_message route
write_message archive
write_message hold
write_message reject
write_message tempfail
write_message shadow
write_message plain
# Forged verdict headers in several spellings and positions, one after the body
# marker-free header lines, so deletions by index are exercised (two of one name).
write_message forged \
    'X-Triage-Category: ham' \
    "X-Triage-Verdict: $forged_verdict" \
    'x-triage-score: 0.001' \
    'X-Triage-Reasons: forged +9.99' \
    'X-Triage-Category: ham'

# Sender, recipients per case (the route case has two recipients, both removed).
declare -A rcpts=(
    [tag]=rcpt@dest.example
    [route]="rcpt@dest.example other@dest.example"
    [archive]=rcpt@dest.example
    [hold]=rcpt@dest.example
    [reject]=rcpt@dest.example
    [tempfail]=rcpt@dest.example
    [shadow]=rcpt@dest.example
    [plain]=rcpt@dest.example
    [forged]=rcpt@dest.example
)
cases=(tag route archive hold reject tempfail shadow plain forged)

# One SMTP session per message; prints "CASE CODE TEXT" for the end-of-DATA reply.
cat >"$E2E_DIR/send.py" <<'EOF'
import smtplib, sys
port = int(sys.argv[1])
for spec in sys.argv[2:]:
    case, sender, rcpts, path = spec.split("|")
    with open(path, "rb") as f:
        data = f.read().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    try:
        s = smtplib.SMTP("127.0.0.1", port, local_hostname="client.e2e.test", timeout=60)
        s.ehlo()
        code, text = s.mail(sender)
        if code != 250:
            raise RuntimeError("MAIL FROM: %d %s" % (code, text))
        for r in rcpts.split():
            code, text = s.rcpt(r)
            if code != 250:
                raise RuntimeError("RCPT TO %s: %d %s" % (r, code, text))
        code, text = s.data(data)
        print(case, code, text.decode(errors="replace").replace("\n", " "), flush=True)
        s.quit()
    except Exception as e:  # reported, the shell decides
        print(case, "ERROR", repr(e), flush=True)
EOF

args=()
for c in "${cases[@]}"; do
    args+=("$c|sender@$c.example|${rcpts[$c]}|$E2E_DIR/msg-$c.eml")
done
e2e_log "sending ${#cases[@]} messages: ${cases[*]}"
t0=$(e2e_now)
timeout 120 python3 "$E2E_DIR/send.py" "$E2E_SMTP_PORT" "${args[@]}" >"$E2E_DIR/smtp-client.log" 2>&1 &
client_pid=$!
e2e_track_pid "$client_pid"
wait "$client_pid"
client_rc=$?
t_sent=$(e2e_now)
cat "$E2E_DIR/smtp-client.log" >&2
[[ $client_rc -eq 0 ]] || e2e_fail "SMTP client exited with status $client_rc"

# reply CASE: "CODE TEXT" the client got at end of DATA.
reply() { awk -v c="$1" '$1 == c { $1 = ""; sub(/^ /, ""); print; exit }' "$E2E_DIR/smtp-client.log"; }

# Wait for everything but the hold queue to drain, and for the sink to settle.
queue_busy_count() {
    find "$E2E_DIR/queue/maildrop" "$E2E_DIR/queue/incoming" "$E2E_DIR/queue/active" \
        "$E2E_DIR/queue/deferred" -type f 2>/dev/null | wc -l
}
queue_drained() { [[ $(queue_busy_count) -eq 0 ]]; }
e2e_wait_until 60 "queue (except hold) to drain" queue_drained ||
    { timeout 10 postqueue -c "$E2E_PF" -p >&2; e2e_fail "queue did not drain"; }
e2e_sink_settle 10 || e2e_fail "sink did not settle"
t_done=$(e2e_now)

# ---------------------------------------------------------------- helpers

failures=0
passed=0
declare -A result
check() {  # check CASE DESCRIPTION CMD...: one assertion, counted, never exits
    local case="$1" what="$2"; shift 2
    if "$@"; then
        passed=$((passed + 1))
    else
        failures=$((failures + 1))
        result[$case]="FAIL"
        e2e_log "FAIL [$case] $what"
    fi
}
is() { [[ "$1" == "$2" ]] || { e2e_log "  got '$1', want '$2'"; return 1; }; }
matches() { [[ "$1" =~ $2 ]] || { e2e_log "  '$1' does not match /$2/"; return 1; }; }

# sink_file CASE: the dump file of that case's message (empty if none).
sink_files() { find "$E2E_SINK_DIR" -type f -print0 | xargs -0 -r grep -l -x -F "X-E2E-Case: $1" 2>/dev/null; }
sink_count() { sink_files "$1" | wc -l; }

# header_values FILE NAME: the values of header NAME (case-insensitive, unfolded,
# leading white space removed) in the header section, one per line.
header_values() {
    # shellcheck disable=SC2016 # awk program
    tr -d '\r' <"$1" | awk -v want="$(tr '[:upper:]' '[:lower:]' <<<"$2")" '
        function flush() { if (cur != "") { print cur; cur = "" } }
        /^$/ { flush(); exit }
        /^[ \t]/ { if (cur != "") cur = cur " " substr($0, 2); next }
        { flush(); i = index($0, ":"); if (i == 0) next
          name = tolower(substr($0, 1, i - 1))
          if (name == want) { cur = substr($0, i + 1); sub(/^[ \t]+/, "", cur); if (cur == "") cur = " " } }
        END { flush() }'
}
header_count() { header_values "$1" "$2" | wc -l; }

# rcpt_args FILE: the envelope recipients the sink got, sorted, space-separated.
rcpt_args() { tr -d '\r' <"$1" | sed -n 's/^X-Rcpt-Args: <\([^>]*\)>.*/\1/p' | sort | paste -sd' ' -; }

# queue_id CASE: the Postfix queue id of the message (cleanup logs its Message-ID).
queue_id() {
    sed -n "s/.*postfix-e2e\/cleanup\[[0-9]*\]: \([0-9A-F]*\): message-id=<e2e-policy-$1@mailtriage.test>.*/\1/p" \
        "$E2E_DIR/maillog" | head -n 1
}

verify() { "$MAILTRIAGE_CLI" verify-header --key-file "$key" "$1" >/dev/null 2>&1; }
not_verify() { ! verify "$1"; }

# common_verdict CASE FILE: our headers present exactly once, signed, for this queue id.
common_verdict() {
    local case="$1" f="$2" cat score verdict qid altered
    check "$case" "exactly one X-Triage-Category" is "$(header_count "$f" X-Triage-Category)" 1
    check "$case" "exactly one X-Triage-Score" is "$(header_count "$f" X-Triage-Score)" 1
    check "$case" "exactly one X-Triage-Verdict" is "$(header_count "$f" X-Triage-Verdict)" 1
    check "$case" "at most one X-Triage-Reasons" test "$(header_count "$f" X-Triage-Reasons)" -le 1
    check "$case" "no X-Triage-Status (no fallback)" is "$(header_count "$f" X-Triage-Status)" 0
    cat=$(header_values "$f" X-Triage-Category | head -n 1)
    score=$(header_values "$f" X-Triage-Score | head -n 1)
    verdict=$(header_values "$f" X-Triage-Verdict | head -n 1)
    qid=$(queue_id "$case")
    check "$case" "category is ham or spam" matches "$cat" '^(ham|spam)$'
    check "$case" "score has three decimals" matches "$score" '^[01]\.[0-9]{3}$'
    check "$case" "verdict header format" matches "$verdict" \
        "^category=$cat; score=$score; model=[^;]+; queue=$qid; sig=[0-9a-f]{64}\$"
    check "$case" "queue id found in maillog" test -n "$qid"
    check "$case" "verdict signature verifies" verify "$verdict"
    check "$case" "verdict with the header name verifies" verify "X-Triage-Verdict: $verdict"
    if [[ $cat == ham ]]; then altered=${verdict/category=ham/category=spam}; else altered=${verdict/category=spam/category=ham}; fi
    check "$case" "altered category fails verification" not_verify "$altered"
    altered=$(sed -E 's/score=[0-9.]+/score=0.000/' <<<"$verdict")
    [[ $score == 0.000 ]] && altered=$(sed -E 's/score=[0-9.]+/score=0.999/' <<<"$verdict")
    check "$case" "altered score fails verification" not_verify "$altered"
    check "$case" "altered queue fails verification" not_verify "${verdict/queue=$qid/queue=X$qid}"
    check "$case" "forged signature fails verification" not_verify "$forged_verdict"
    e2e_log "[$case] queue=$qid category=$cat score=$score reasons='$(header_values "$f" X-Triage-Reasons)'"
}

# delivered_once CASE: exactly one dump at the sink; sets F.
delivered_once() {
    local case="$1"
    F=$(sink_files "$case" | head -n 1)
    check "$case" "delivered exactly once to the sink" is "$(sink_count "$case")" 1
    [[ -n "$F" ]]
}

maillog_for() { grep -E "postfix-e2e/[a-z]+\[[0-9]+\]: $1: " "$E2E_DIR/maillog" 2>/dev/null; }

for c in "${cases[@]}"; do result[$c]=PASS; done

# ---------------------------------------------------------------- assertions

# tag: route header and subject prefix, forged X-Triage-Route replaced.
if delivered_once tag; then
    common_verdict tag "$F"
    check tag "client got 250" matches "$(reply tag)" '^250 '
    check tag "one X-Triage-Route: tag-rule" is "$(header_values "$F" X-Triage-Route | paste -sd'|' -)" tag-rule
    check tag "subject prefixed" is "$(header_values "$F" Subject)" "[TAGGED] policy e2e tag"
    check tag "recipient unchanged" is "$(rcpt_args "$F")" rcpt@dest.example
fi

# route: only the review mailbox.
if delivered_once route; then
    common_verdict route "$F"
    check route "client got 250" matches "$(reply route)" '^250 '
    check route "sink RCPT is only review@review.example" is "$(rcpt_args "$F")" review@review.example
    check route "no X-Triage-Route" is "$(header_count "$F" X-Triage-Route)" 0
    qid=$(queue_id route)
    check route "maillog: sent to review@" test -n "$(maillog_for "$qid" | grep 'to=<review@review.example>.*status=sent')"
    check route "maillog: nothing to rcpt@" test -z "$(maillog_for "$qid" | grep -E 'to=<(rcpt|other)@dest.example>')"
fi

# archive: original and archive copy.
if delivered_once archive; then
    common_verdict archive "$F"
    check archive "client got 250" matches "$(reply archive)" '^250 '
    check archive "sink RCPT is archive@ and rcpt@" is "$(rcpt_args "$F")" "archive@archive.example rcpt@dest.example"
    qid=$(queue_id archive)
    check archive "maillog: sent to both" is \
        "$(maillog_for "$qid" | grep -c -E 'to=<(archive@archive.example|rcpt@dest.example)>.*status=sent')" 2
fi

# hold: not at the sink, in the hold queue, logged as milter-hold with our reason.
check hold "client got 250" matches "$(reply hold)" '^250 '
check hold "not at the sink" is "$(sink_count hold)" 0
qid_hold=$(queue_id hold)
check hold "queue id found in maillog" test -n "$qid_hold"
check hold "in the hold queue (postqueue -j)" test -n \
    "$(timeout 10 postqueue -c "$E2E_PF" -j 2>/dev/null | grep "\"queue_id\": *\"$qid_hold\"" | grep '"queue_name": *"hold"')"
check hold "postqueue -p shows it on hold (!)" test -n \
    "$(timeout 10 postqueue -c "$E2E_PF" -p 2>/dev/null | grep -E "^$qid_hold!")"
check hold "hold queue file exists" test -f "$E2E_DIR/queue/hold/$qid_hold"
# Postfix does not log the SMFIR_QUARANTINE reason text (milter8 drops it); the
# expanded "held {category}" is checked in tests/engine/engine_milter_test.cpp.
check hold "maillog: milter-hold" test -n \
    "$(maillog_for "$qid_hold" | grep -E 'milter-hold: END-OF-MESSAGE .*: milter triggers HOLD action; from=<sender@hold\.example>')"
check hold "daemon log: rules=hold" test -n \
    "$(grep 'event=verdict' "$E2E_DIR/mailtriaged.log" | grep "queue_id=$qid_hold " | grep 'rules=hold ')"

# reject: 550 5.7.1 at end of DATA, nothing delivered or queued.
check reject "client got 550 5.7.1 Refused by policy" is "$(reply reject)" "550 5.7.1 Refused by policy"
check reject "not at the sink" is "$(sink_count reject)" 0
check reject "maillog: milter-reject" test -n \
    "$(grep -E 'milter-reject: END-OF-MESSAGE .*: 5\.7\.1 Refused by policy;.*from=<sender@reject\.example>' "$E2E_DIR/maillog")"

# tempfail: 451 4.7.1, nothing delivered or queued.
check tempfail "client got 451 4.7.1 Try later" is "$(reply tempfail)" "451 4.7.1 Try later"
check tempfail "not at the sink" is "$(sink_count tempfail)" 0
check tempfail "maillog: milter-reject 4.7.1" test -n \
    "$(grep -E 'milter-reject: END-OF-MESSAGE .*: 4\.7\.1 Try later;.*from=<sender@tempfail\.example>' "$E2E_DIR/maillog")"

# shadow: delivered normally, logged as a shadow match.
if delivered_once shadow; then
    common_verdict shadow "$F"
    check shadow "client got 250" matches "$(reply shadow)" '^250 '
    check shadow "recipient unchanged" is "$(rcpt_args "$F")" rcpt@dest.example
    check shadow "subject unchanged" is "$(header_values "$F" Subject)" "policy e2e shadow"
    check shadow "daemon log: shadow_rules=shadow-reject, action accept" test -n \
        "$(grep 'event=verdict' "$E2E_DIR/mailtriaged.log" | grep "queue_id=$(queue_id shadow)" | grep 'shadow_rules=shadow-reject' | grep 'action=accept')"
fi

# plain: no rule, verdict headers only.
if delivered_once plain; then
    common_verdict plain "$F"
    check plain "client got 250" matches "$(reply plain)" '^250 '
    check plain "subject unchanged" is "$(header_values "$F" Subject)" "policy e2e plain"
    check plain "no X-Triage-Route" is "$(header_count "$F" X-Triage-Route)" 0
fi

# forged: inbound X-Triage-* gone, ours exactly once.
if delivered_once forged; then
    common_verdict forged "$F"
    check forged "client got 250" matches "$(reply forged)" '^250 '
    check forged "forged verdict value gone" test -z "$(grep -F 'model=forged' "$F")"
    check forged "forged reasons value gone" test -z "$(grep -F 'forged +9.99' "$F")"
    check forged "category matches our verdict" matches "$(header_values "$F" X-Triage-Verdict)" \
        "^category=$(header_values "$F" X-Triage-Category);"
    check forged "score matches our verdict" matches "$(header_values "$F" X-Triage-Verdict)" \
        "; score=$(header_values "$F" X-Triage-Score);"
    check forged "our headers after the message's own" test -n \
        "$(tr -d '\r' <"$F" | awk '/^$/ { exit } /^X-E2E-Case:/ { seen = 1 } seen && /^X-Triage-Verdict:/ { print }')"
fi

# Nothing else: sink total, queue holds only the held message, no fallback, no
# milter trouble.
check all "sink total = 6 (tag route archive shadow plain forged)" is "$(e2e_sink_count)" 6
check all "queue holds exactly the held message" is "$(e2e_queue_count)" 1
check all "no fallback in the daemon log" is "$(grep -c 'fallback_action' "$E2E_DIR/mailtriaged.log")" 0
check all "9 verdicts logged (one per message)" is \
    "$(grep -c 'event=verdict' "$E2E_DIR/mailtriaged.log")" 9
check all "no milter warnings in maillog" test -z "$(grep -E 'warning: .*milter' "$E2E_DIR/maillog")"

# ---------------------------------------------------------------- summary

e2e_stop_postfix
e2e_stop_daemon
t_end=$(e2e_now)
awk -v a="$t_start" -v b="$t0" -v c="$t_sent" -v d="$t_done" -v e="$t_end" 'BEGIN {
    printf "FIGURES policy setup_seconds=%.2f send_seconds=%.2f deliver_seconds=%.2f total_seconds=%.2f\n",
        b - a, c - b, d - c, e - a }'
echo "SUMMARY postfix_policy"
for c in "${cases[@]}"; do
    printf '  %-9s %-5s client: %s\n' "$c" "${result[$c]}" "$(reply "$c")"
done
printf '  %-9s %s\n' all "${result[all]:-PASS}"
echo "  assertions: $passed passed, $failures failed"
if ((failures > 0)); then
    e2e_dump_diagnostics
    e2e_log "FAIL: $failures assertions failed"
    exit 1
fi
e2e_log "PASS: $passed assertions over ${#cases[@]} messages"
