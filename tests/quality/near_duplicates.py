#!/usr/bin/env python3
"""Near-duplicate groups of a labelled corpus (CORPUS/<label>/<file>), for splits that
keep a campaign's copies together (holdout_split.sh's SPLIT_GROUPS).

Two messages are in one group when their visible text is the same after masking HTML
tags, URLs, addresses, digits and ID-like tokens (one template sent with different
links and names), or when they carry the same Message-ID (a phishing kit reuses its
forged one). This is the rule the developer corpus's makers used to keep every group
on one side of their held-out split; inside the developer corpus the groups remain
(a third of the phishing), so a split by file name puts a template's siblings on both
sides and measures recall on messages the model has all but seen.

Writes `label<TAB>file<TAB>group` for every message, the group being the smallest file
name in it; prints a summary to stderr.
    tests/quality/near_duplicates.py CORPUS > groups.tsv
"""
import collections
import email
import hashlib
import multiprocessing
import os
import re
import sys

TAG = re.compile(r"<[^>]*>")
URL = re.compile(r"(?:https?://|www\.)\S+", re.I)
# Anchored at the start of a non-space run: the same matches as \S+@\S+ (which can
# only match from a run's first character), without retrying every position of a long
# run that has no @ (quadratic: two thirds of the running time before).
ADDRESS = re.compile(r"(?<!\S)\S+@\S+")
ID_LIKE = re.compile(r"\b(?=\w*\d)\w{6,}\b")
DIGITS = re.compile(r"\d+")
SPACE = re.compile(r"\s+")
# Shorter masked texts ("see attached", an empty body) say nothing about a template.
MIN_TEXT = 40


def visible_text(message):
    parts = []
    for part in message.walk():
        if part.get_content_maintype() != "text":
            continue
        try:
            payload = part.get_payload(decode=True) or b""
        except Exception:  # a broken transfer encoding: the part adds no text
            continue
        charset = part.get_content_charset() or "latin-1"
        try:
            parts.append(payload.decode(charset, "replace"))
        except LookupError:
            parts.append(payload.decode("latin-1", "replace"))
    return "\n".join(parts)


def keys(path):
    with open(path, "rb") as f:
        message = email.message_from_binary_file(f)
    text = visible_text(message)
    for pattern, mask in ((TAG, " "), (URL, " U "), (ADDRESS, " A "), (ID_LIKE, " I "), (DIGITS, "0")):
        text = pattern.sub(mask, text)
    text = SPACE.sub(" ", text).strip().lower()
    body = hashlib.sha256(text.encode()).hexdigest() if len(text) > MIN_TEXT else None
    message_id = (message.get("Message-ID") or "").strip() or None
    return body, message_id


def main():
    corpus = sys.argv[1]
    files = [(label, name) for label in sorted(os.listdir(corpus)) if os.path.isdir(os.path.join(corpus, label))
             for name in sorted(os.listdir(os.path.join(corpus, label)))]
    with multiprocessing.Pool() as pool:
        found = pool.map(keys, [os.path.join(corpus, label, name) for label, name in files], chunksize=64)

    parent = list(range(len(files)))

    def root(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first = {}
    for i, (body, message_id) in enumerate(found):
        for key in (("body", body), ("message-id", message_id)):
            if key[1] is None:
                continue
            if key in first:
                parent[root(i)] = root(first[key])
            else:
                first[key] = i
    members = collections.defaultdict(list)
    for i in range(len(files)):
        members[root(i)].append(i)
    shared = [m for m in members.values() if len(m) > 1]
    for m in members.values():
        group = min(files[i][1] for i in m)
        for i in m:
            print(f"{files[i][0]}\t{files[i][1]}\t{group}")
    per_label = collections.Counter(files[i][0] for m in shared for i in m)
    print(f"near_duplicates: {len(files)} messages, {len(shared)} groups of two or more holding "
          f"{sum(map(len, shared))} ({', '.join(f'{l} {n}' for l, n in sorted(per_label.items()))})", file=sys.stderr)


if __name__ == "__main__":
    main()
