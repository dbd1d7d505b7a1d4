#!/usr/bin/env python3
"""Writes the attachment-heavy messages of docs/PERFORMANCE.md's twelfth round.

    packaging/bench/make-attachment-mail.py OUT_DIR

OUT_DIR/pdf/ham/pdf.eml   420 KB: a short text and a 300 KB "PDF" (a %PDF- header and
                          random bytes), as business mail carries invoices
OUT_DIR/big/ham/big.eml   5.7 MB: a 4 MiB attachment of random bytes, beyond the
                          daemon's default scan_bytes (1 MiB)

The bytes are the same on every run (seeded), so a figure measured with them can be
reproduced; each directory is a corpus for `mailtriage bench ... DIR` or `MESSAGE=` of
postfix-ratio.sh. Generated rather than taken from real mail, which may not be
committed or shared.
"""
import base64
import pathlib
import random
import sys


def message(subject, text, filename, content_type, payload):
    attachment = base64.encodebytes(payload).decode().rstrip("\n")
    lines = [
        "From: Accounts <accounts@example.org>",
        "To: Bob <bob@example.net>",
        f"Subject: {subject}",
        "Date: Mon, 7 Dec 2026 10:00:00 +0000",
        f"Message-ID: <{filename}@example.org>",
        "MIME-Version: 1.0",
        'Content-Type: multipart/mixed; boundary="b1"',
        "",
        "--b1",
        "Content-Type: text/plain; charset=utf-8",
        "",
        text,
        "",
        "--b1",
        f'Content-Type: {content_type}; name="{filename}"',
        "Content-Transfer-Encoding: base64",
        f'Content-Disposition: attachment; filename="{filename}"',
        "",
        attachment,
        "--b1--",
        "",
    ]
    return "\r\n".join(lines).encode()


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__.strip().splitlines()[2].strip())
    out = pathlib.Path(sys.argv[1])
    rng = random.Random(20261207)
    words = ["invoice", "attached", "please", "find", "regards", "the", "for", "march", "quarter", "report"]
    text = " ".join(rng.choice(words) for _ in range(150))
    pdf = b"%PDF-1.5\n" + rng.randbytes(300 * 1024)
    blob = rng.randbytes(4 * 1024 * 1024)
    for name, data in (("pdf", message("Invoice 2026-118", text, "invoice.pdf", "application/pdf", pdf)),
                       ("big", message("quarterly figures", "Hello Bob, the figures are attached.",
                                       "figures.bin", "application/octet-stream", blob))):
        d = out / name / "ham"
        d.mkdir(parents=True, exist_ok=True)
        (d / f"{name}.eml").write_bytes(data)
        print(f"{d / (name + '.eml')}: {len(data)} bytes")


if __name__ == "__main__":
    main()
