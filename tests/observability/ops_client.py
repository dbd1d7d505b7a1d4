#!/usr/bin/env python3
"""Helpers for daemon_observability.sh (loopback only, every wait bounded).

  ops_client.py get PORT PATH            prints the HTTP status, then the body
  ops_client.py metric PORT NAME[{...}]  prints the sample's value (0 when absent);
                                         NAME without labels sums every series
  ops_client.py hold MILTER_PORT FILE    opens a milter connection, negotiates,
                                         sends CONNECT and MAIL FROM (a message in
                                         flight), writes "held" to FILE, then keeps
                                         the connection until stdin closes
  ops_client.py check-json LOG           every line is one JSON object with ts,
                                         level and event
  ops_client.py pseudonym KEYFILE ADDR   the pseudonym the daemon must log
"""
import hashlib
import hmac
import json
import socket
import struct
import sys
import urllib.request
import urllib.error


def get(port, path):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def metric(port, name):
    status, body = get(port, "/metrics")
    if status != 200:
        sys.exit(f"/metrics answered {status}")
    total = 0.0
    for line in body.splitlines():
        if line.startswith("#") or not line:
            continue
        series, value = line.rsplit(" ", 1)
        if series == name or ("{" not in name and series.split("{")[0] == name):
            total += float(value)
    return total


def frame(cmd, data=b""):
    return struct.pack(">I", len(data) + 1) + cmd + data


def read_frame(s):
    head = b""
    while len(head) < 4:
        chunk = s.recv(4 - len(head))
        if not chunk:
            raise SystemExit("milter closed the connection")
        head += chunk
    (n,) = struct.unpack(">I", head)
    body = b""
    while len(body) < n:
        chunk = s.recv(n - len(body))
        if not chunk:
            raise SystemExit("milter closed the connection")
        body += chunk
    return body


def hold(port, flag_file):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    # Version 6, every action, no protocol steps left out: the filter answers each one.
    s.sendall(frame(b"O", struct.pack(">III", 6, 0x1FF, 0)))
    if read_frame(s)[:1] != b"O":
        raise SystemExit("no negotiation reply")
    s.sendall(frame(b"C", b"client.example\0" + b"4" + struct.pack(">H", 40000) + b"127.0.0.1\0"))
    read_frame(s)
    s.sendall(frame(b"M", b"<held@example.org>\0"))
    read_frame(s)
    with open(flag_file, "w") as f:
        f.write("held\n")
    sys.stdin.read()  # until the test closes our stdin
    s.close()


def check_json(path):
    n = 0
    with open(path, encoding="utf-8") as f:
        for line in f:
            obj = json.loads(line)
            for key in ("ts", "level", "event"):
                if key not in obj:
                    raise SystemExit(f"line without {key}: {line}")
            n += 1
    print(n)


def main():
    cmd = sys.argv[1]
    if cmd == "get":
        status, body = get(int(sys.argv[2]), sys.argv[3])
        print(status)
        sys.stdout.write(body)
    elif cmd == "metric":
        v = metric(int(sys.argv[2]), sys.argv[3])
        print(int(v) if v == int(v) else v)
    elif cmd == "hold":
        hold(int(sys.argv[2]), sys.argv[3])
    elif cmd == "check-json":
        check_json(sys.argv[2])
    elif cmd == "pseudonym":
        key = open(sys.argv[2], "rb").read().rstrip(b"\r\n")
        addr = sys.argv[3].strip("<>").lower().encode()
        print("ps:" + hmac.new(key, addr, hashlib.sha256).hexdigest()[:16])
    else:
        sys.exit(f"unknown command {cmd}")


if __name__ == "__main__":
    main()
