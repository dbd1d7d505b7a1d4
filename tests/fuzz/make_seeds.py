#!/usr/bin/env python3
"""Writes the fuzz seed corpora (tests/fuzz/seeds/<corpus>/): small hand-made messages
and broken MIME (mime, shared by the mime and features targets), milter conversations as
Postfix sends them (milter) and configuration files (config). Deterministic; re-run after
editing. Regression inputs of fixed bugs (regress-*) are committed beside them and left
alone here. No corpus messages are copied."""
import os
import struct

ROOT = os.path.dirname(os.path.abspath(__file__))
HERE = os.path.join(ROOT, "seeds", "mime")

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



# ---- milter: MTA → filter byte streams (tests/fuzz/milter_fuzz.cpp input layout) ----

def z(*parts):
    """NUL-terminated strings, as milter string fields are."""
    return b"".join(p + b"\0" for p in parts)


def optneg(version=6, actions=0x1FF, protocol=0x1FFFFF):
    return (b"O", struct.pack(">III", version, actions, protocol))


def conversation(headers, body_chunks, protocol=0x1FFFFF, messages=1, end=b"Q"):
    cmds = [optneg(protocol=protocol),
            (b"D", b"C" + z(b"j", b"mx.example.net", b"{daemon_name}", b"smtpd")),
            (b"C", z(b"client.example.com") + b"4" + struct.pack(">H", 41234) + z(b"192.0.2.7")),
            (b"D", b"H" + z(b"{tls_version}", b"TLSv1.3")),
            (b"H", z(b"client.example.com"))]
    for n in range(messages):
        cmds += [(b"D", b"M" + z(b"i", b"4QX%dZ" % n, b"{auth_authen}", b"alice")),
                 (b"M", z(b"<sender@mail.example.com>", b"SIZE=1234", b"BODY=8BITMIME")),
                 (b"D", b"R" + z(b"{rcpt_addr}", b"bob@example.org")),
                 (b"R", z(b"<bob@example.org>")),
                 (b"R", z(b"<carol@sub.example.org>", b"NOTIFY=NEVER")),
                 (b"T", b"")]
        cmds += [(b"L", z(name, value)) for name, value in headers]
        cmds.append((b"N", b""))
        cmds += [(b"B", chunk) for chunk in body_chunks]
        cmds.append((b"E", b""))
    cmds.append((end, b""))
    return cmds


def raw_stream(cmds, read_size=64):
    out = bytes([((read_size - 1) << 1) & 0xFE])
    for code, payload in cmds:
        out += struct.pack(">I", len(payload) + 1) + code + payload
    return out


def records(cmds, read_size=128):
    out = bytes([(((read_size - 1) << 1) | 1) & 0xFF])
    for code, payload in cmds:
        n = len(payload)
        out += code + (bytes([n]) if n < 0x80 else bytes([0x80 | (n >> 8), n & 0xFF])) + payload
    return out


plain_headers = [(b"From", b" Alice <alice@mail.example.com>"), (b"To", b" bob@example.org"),
                 (b"Subject", b" quarterly figures"), (b"Date", b" Mon, 3 Mar 2025 10:00:00 +0000"),
                 (b"Message-ID", b" <1@mail.example.com>")]
forged = plain_headers + [(b"X-Triage-Score", b" 0.000"), (b"x-triage-category", b" ham"),
                          (b"X-TRIAGE-Verdict", b" category=ham;\n\tscore=0.0"), (b"X-Triage-Score", b" 1")]
body = [b"Hello Bob,\r\nthe figures are attached.\r\n", b"http://192.0.2.1/login card 4111 1111 1111 1111\r\n"]
milter_seeds = {
    "plain_raw": raw_stream(conversation(plain_headers, body)),
    "plain_records": records(conversation(plain_headers, body)),
    "forged_headers_records": records(conversation(forged, body)),
    "two_messages_records": records(conversation(plain_headers, body, messages=2, end=b"K")),
    "tiny_reads_raw": raw_stream(conversation(plain_headers[:2], body[:1]), read_size=1),
    "mds_1m_records": records(conversation(plain_headers, [b"x" * 3000], protocol=0x201FFFFF)),
    "no_nr_flags_records": records(conversation(plain_headers, body, protocol=0)),
    "v2_records": records([optneg(version=2, protocol=0), (b"C", z(b"h") + b"U"), (b"H", z(b"h")),
                           (b"M", z(b"<>")), (b"R", z(b"<x@y>")), (b"L", z(b"Subject", b"x")),
                           (b"N", b""), (b"E", b"tail"), (b"Q", b"")]),
    "abort_midway_records": records(conversation(plain_headers, body)[:9] + [(b"A", b""), (b"U", z(b"XYZZY")),
                                                                           (b"M", z(b"<a@b>")), (b"Q", b"")]),
    "unix_connect_records": records([optneg(), (b"C", z(b"localhost") + b"L" + struct.pack(">H", 0) + z(b"/run/x")),
                                     (b"C", z(b"again") + b"6" + struct.pack(">H", 25) + z(b"::1")), (b"Q", b"")]),
    "many_headers_records": records(conversation([(b"X-H%d" % i, b" v") for i in range(40)], body)),
}


# ---- config: YAML texts for config::load_text ---------------------------------------

with open(os.path.join(ROOT, "..", "..", "conf", "mailtriage.yaml"), "rb") as f:
    shipped = f.read()
config_seeds = {
    "shipped": shipped,
    "empty": b"",
    "rules": b"""milter:
  listen: unix:/run/mailtriage/mailtriaged.sock
  socket_mode: "0600"
  timeouts: {idle: 5m, verdict: 1500ms}
  limits: {scan_bytes: 2MiB, max_data_size: 1MiB}
  on_failure: tempfail
model: {reasons: 3}
policy:
  headers: {prefix: X-Spam-, category: X-Spam-Class, score: X-Spam-Prob, reasons: "",
            verdict: X-Spam-Verdict, status: X-Spam-Status, max_reasons: 2}
  rules:
    - name: hold
      match: {flagged: [phishing, spam], min_score: 0.9, pii: [any]}
      actions:
        - quarantine: "held {score} by {rule}"
        - add_header: {name: X-Spam-Rule, value: "{rule} {queue_id}"}
      stop: true
    - name: route
      match: {sender_domain: [example.com], recipient_domain: example.org, authenticated: false,
              min_size: 1KiB, max_size: 10MiB, max_score: 0.5}
      actions: [{subject_prefix: "[ext] "}, {add_recipient: a@b.example}, {remove_recipients: true}]
      shadow: true
    - name: no
      match: {category: spam}
      actions: [{reject: "550 5.7.1 no {category}"}, {tempfail: "451 4.7.1 later"}, {discard: true}, {accept: true}]
logging: {level: debug}
""",
    "errors": b"milter:\n  listen: inet:99999@localhost\n  socket_mode: 0999\n  bogus: 1\npolicy:\n  rules: [{actions: [{reject: 250 ok}]}]\n",
    "yaml_features": b"%YAML 1.2\n---\nmilter: &m {max_connections: !!int 10, io_threads: 0x2}\nmodel: *m\n? [a, b]\n: c\n...\n",
    "nesting": b"policy: {rules: [[[[[{}]]]]]}\n" + b"x: " + b"[" * 64 + b"]" * 64 + b"\n",
    "durations": b"milter:\n  timeouts: {idle: 18446744073709551615h, frame: -1s, write: 1.5s, verdict: 0ms, drain: 9e9m}\n",
}

corpora = {"mime": ({k + ".eml": v for k, v in seeds.items()}),
           "milter": ({k + ".bin": v for k, v in milter_seeds.items()}),
           "config": ({k + ".yaml": v for k, v in config_seeds.items()})}
for corpus, files in corpora.items():
    d = os.path.join(ROOT, "seeds", corpus)
    os.makedirs(d, exist_ok=True)
    for name, data in sorted(files.items()):
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)
    print(len(files), "seeds written to", d)
