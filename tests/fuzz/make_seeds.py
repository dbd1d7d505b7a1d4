#!/usr/bin/env python3
"""Writes the fuzz seed corpus (tests/fuzz/seeds/): small hand-made messages and broken
MIME. Deterministic; re-run after editing. No corpus messages are copied."""
import os

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "seeds")

seeds = {
    "empty": b"",
    "headers_only": b"From: a@b.example\nSubject: hi\n",
    "plain": b"From: A <a@b.example>\nTo: c@d.example\nSubject: hello\nDate: Mon, 3 Mar 2025 10:00:00 +0000\n\nhello 4111 1111 1111 1111\n",
    "crlf": b"From: a@b.example\r\nSubject: crlf\r\n\r\nline\r\nline2 DE89 3704 0044 0532 0130 00\r\n",
    "html_links": b"From: x@y.example\nContent-Type: text/html\n\n<a href='http://1.2.3.4/'>https://bank.example/</a><form><input type=password></form>\n",
    "multipart": b"From: x@y.example\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=z\n\n--z\nContent-Type: text/plain\n\nbody\n--z\nContent-Type: application/zip; name=a.pdf.zip\nContent-Transfer-Encoding: base64\n\nUEsDBAoAAAAAAA==\n--z--\n",
    "no_closing_boundary": b"Content-Type: multipart/alternative; boundary=q\n\n--q\nContent-Type: text/html\n\n<p>open\n--q\nContent-Type: text/plain\n\ntext",
    "missing_boundary": b"Content-Type: multipart/mixed\n\n--x\n\nhi\n--x--\n",
    "bad_base64": b"Content-Type: text/plain\nContent-Transfer-Encoding: base64\n\n!!!!====abc\n",
    "bad_qp": b"Content-Type: text/plain\nContent-Transfer-Encoding: quoted-printable\n\n=ZZ=4\n=\n",
    "encoded_words": b"Subject: =?utf-8?B?8J+YgA==?= =?iso-8859-1?Q?caf=E9?= =?bogus?X?zz?=\nFrom: =?utf-8?q?Bank?= <a@b>\n\nx\n",
    "nested": b"Content-Type: multipart/mixed; boundary=a\n\n--a\nContent-Type: message/rfc822\n\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\ninner\n--b--\n--a--\n",
    "nul_and_8bit": b"Subject: caf\xe9\x00\nFrom: \xff\xfe@x\n\n\x00\x01\x02\xc3\x28 body\n",
    "bare_cr": b"Subject: a\rb\nFrom: c\r\n\r\nx\ry\n",
    "long_header": b"X-Long: " + b"a" * 5000 + b"\nSubject: " + b"=?utf-8?q?" + b"=41" * 500 + b"?=\n\nbody\n",
    "uuencode": b"Subject: uu\n\nbegin 644 a.exe\nM5'&S\n`\nend\n",
    "pii_edge": b"Subject: pii\n\n123-45-6789 000-12-3456 +1 (555) 010-9999 GB82WEST12345698765432 5500-0000-0000-0004 9999999999999999999999\n",
    "dates": b"Date: 31 Dec 1969 23:59:59 -1200\nReceived: x; Thu, 1 Jan 1970 00:00:00 +1400\nDate: garbage\n\nx\n",
    "addresses": b"From: \"a@b.c\" <d@e.f>, g@h, <>\nReply-To: ((nested) comment) <x@y>\nTo: undisclosed-recipients:;\nReturn-Path: <>\n\n",
    "deep_multipart": b"".join(b"Content-Type: multipart/mixed; boundary=b%d\n\n--b%d\n" % (i, i) for i in range(40)) + b"\nleaf\n",
    "urls": b"Content-Type: text/plain\n\nhttp://user@[::1]:8080/x https://xn--80ak6aa92e.com www.bit.ly/abc http://%zz/ http:// https://a..b/\n",
}

os.makedirs(HERE, exist_ok=True)
for name, data in sorted(seeds.items()):
    with open(os.path.join(HERE, name + ".eml"), "wb") as f:
        f.write(data)
print(len(seeds), "seeds written to", HERE)
