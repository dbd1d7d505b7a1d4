#!/usr/bin/env bash
# near_duplicates.py groups one template's copies and nothing else, and holdout_split.sh
# with SPLIT_GROUPS keeps every group on one side of every fold. Generated messages only.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/corpus/spam" "$work/corpus/ham"

message() {  # file message-id body
  printf 'From: a@example.org\nTo: b@example.net\nSubject: s\nMessage-ID: <%s>\n\n%s\n' "$2" "$3" > "$1"
}
offer='Dear customer, your parcel is waiting at the depot. Confirm the delivery fee at the link below'
# One campaign: same text, other links, amounts, names and tracking IDs.
for i in 1 2 3 4 5 6; do
  message "$work/corpus/spam/campaign$i.eml" "c$i@x" "$offer http://host$i.example/p?id=$i$i$i and pay $((i * 3)).99 EUR to ref AB${i}X9Q7Z, user$i@mail.example"
done
# Another text entirely, and one that reuses a campaign message's Message-ID (a kit's
# forged ID) with a different text.
message "$work/corpus/spam/other.eml" "o@x" 'Meet singles in your area tonight, no sign-up needed, photos inside, just reply'
message "$work/corpus/spam/same_id.eml" "c3@x" 'Cheap watches, every brand, delivered in two days with tracking, order today now'
# Short bodies say nothing about a template: never grouped by text.
message "$work/corpus/ham/short1.eml" "h1@y" 'thanks'
message "$work/corpus/ham/short2.eml" "h2@y" 'thanks'
for i in $(seq 1 20); do
  message "$work/corpus/ham/note$i.eml" "n$i@y" "Minutes of meeting number $i: we discussed item $((i * 7)) of the agenda and the release plan, topic $(printf '%s' "$i" | sha256sum | cut -c1-12)"
done

"$here/near_duplicates.py" "$work/corpus" > "$work/groups.tsv" 2> "$work/summary"
group() { awk -F'\t' -v l="$1" -v f="$2" '$1 == l && $2 == f { print $3 }' "$work/groups.tsv"; }
fail=0
check() { if [ "$2" = "$3" ]; then echo "ok   $1"; else echo "FAIL $1: got '$2', want '$3'"; fail=1; fi; }

check "every message listed" "$(wc -l < "$work/groups.tsv")" 30
check "campaign copies in one group" "$(for i in 1 2 3 4 5 6; do group spam campaign$i.eml; done | sort -u)" campaign1.eml
check "same Message-ID joins the group" "$(group spam same_id.eml)" campaign1.eml
check "a different text is alone" "$(group spam other.eml)" other.eml
check "short bodies are not grouped" "$(group ham short1.eml) $(group ham short2.eml)" "short1.eml short2.eml"
check "meeting notes (same words, different topic IDs) grouped" "$(for i in $(seq 1 20); do group ham note$i.eml; done | sort -u | wc -l)" 1
grep -q '2 groups of two or more holding 27' "$work/summary" && echo "ok   summary" || { echo "FAIL summary: $(cat "$work/summary")"; fail=1; }

# Every fold keeps each group on one side.
for fold in 0 1 2 3 4; do
  SPLIT_GROUPS=$work/groups.tsv FOLDS=5 FOLD=$fold "$here/holdout_split.sh" "$work/corpus" "$work/split" > /dev/null
  sides=$(for i in 1 2 3 4 5 6; do [ -e "$work/split/holdout/spam/campaign$i.eml" ] && echo holdout || echo train; done
          [ -e "$work/split/holdout/spam/same_id.eml" ] && echo holdout || echo train)
  check "fold $fold: the campaign on one side" "$(echo "$sides" | sort -u | wc -l)" 1
done
exit $fail
