#!/usr/bin/env python3
"""packaging/bench/milter-pcap.py on a capture written here, packet by packet.

Two conversations from the same client port (the port reused, as over a long run),
shaped like Postfix's with the eleventh round's negotiation, plus unrelated traffic
and an unfinished conversation that must be left out. Checks every count and time
the tool prints, in both pcap byte orders and with Linux cooked framing.
"""
import pathlib
import struct
import subprocess
import sys
import tempfile

TOOL = pathlib.Path(__file__).resolve().parents[2] / "packaging/bench/milter-pcap.py"
FILTER, CLIENT, OTHER = 18897, 40000, 25
FIN, SYN, PSH, ACK = 0x01, 0x02, 0x08, 0x10


def frame(command, payload_len):
    """A milter frame: 4-byte length, the command letter, filler."""
    return struct.pack("!I", payload_len + 1) + command + b"x" * payload_len


def tcp_packet(src, dst, flags, payload, cooked):
    tcp = struct.pack("!HHIIBBHHH", src, dst, 0, 0, 5 << 4, flags, 65535, 0, 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 0, 0, 64, 6, 0,
                     bytes([127, 0, 0, 1]), bytes([127, 0, 0, 1])) + tcp
    if cooked:
        return struct.pack("!HHH8sH", 0, 772, 6, b"\0" * 8, 0x0800) + ip
    return b"\0" * 12 + struct.pack("!H", 0x0800) + ip


def conversation(t0, client):
    """(time, src, dst, flags, payload) of one message, as in docs/PERFORMANCE.md."""
    up, down = (client, FILTER), (FILTER, client)
    return [
        (t0 + 0.000000, *up, SYN, b""),
        (t0 + 0.000010, *down, SYN | ACK, b""),
        (t0 + 0.000020, *up, ACK, b""),
        (t0 + 0.000100, *up, PSH | ACK, frame(b"O", 12)),
        (t0 + 0.000200, *down, PSH | ACK, frame(b"O", 269)),
        (t0 + 0.000210, *up, ACK, b""),
        (t0 + 0.000500, *up, PSH | ACK, frame(b"D", 353)),
        (t0 + 0.000510, *down, ACK, b""),
        (t0 + 0.001000, *up, PSH | ACK, frame(b"D", 4331)),
        (t0 + 0.001010, *down, ACK, b""),
        (t0 + 0.001250, *down, PSH | ACK, frame(b"h", 275)),  # 0.25 ms after the content
        (t0 + 0.001400, *up, PSH | ACK, frame(b"A", 10)),
        (t0 + 0.001500, *up, FIN | ACK, b""),
        (t0 + 0.001600, *down, FIN | ACK, b""),
        (t0 + 0.001700, *up, ACK, b""),
    ]


def write_pcap(path, packets, endian, cooked):
    with open(path, "wb") as f:
        f.write(struct.pack(endian + "IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 113 if cooked else 1))
        for t, src, dst, flags, payload in packets:
            data = tcp_packet(src, dst, flags, payload, cooked)
            sec = int(t)
            f.write(struct.pack(endian + "IIII", sec, round((t - sec) * 1e6), len(data), len(data)))
            f.write(data)


def check(endian, cooked):
    packets = conversation(100.0, CLIENT) + conversation(100.5, CLIENT)
    packets.append((100.2, OTHER, 50000, PSH | ACK, b"EHLO x\r\n"))  # not the filter's port
    packets.append((101.0, CLIENT + 1, FILTER, SYN, b""))  # never finished: left out
    packets.sort()
    with tempfile.TemporaryDirectory() as work:
        pcap = pathlib.Path(work) / "c.pcap"
        write_pcap(pcap, packets, endian, cooked)
        out = subprocess.run([sys.executable, str(TOOL), str(pcap), str(FILTER), "--show", "1"],
                             check=True, capture_output=True, text=True).stdout
    rows = {}
    for line in out.splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if line.startswith("| ") and len(cells) == 6 and cells[1] != "median":
            rows[cells[0]] = cells[1:]
    expect = {
        "MTA data segments": "4", "filter data segments": "2", "bare ACKs from the MTA": "3",
        "bare ACKs from the filter": "2", "all packets": "15", "SYN to FIN, ms": "1.5",
        "end of message to last reply, ms": "0.25",
    }
    failures = []
    if not out.startswith("2 complete conversations"):
        failures.append(f"conversation count: {out.splitlines()[0]!r}")
    for name, value in expect.items():
        got = rows.get(name)
        if got is None or any(v != value for v in got):  # median, mean, p90, p99, max alike
            failures.append(f"{name}: expected {value} everywhere, got {got}")
    shown = [line.split() for line in out.splitlines()[-15:]]
    if len(shown) != 15 or shown[3][1:] != [">", "17", "PA", "O"] or shown[10][1:] != ["<", "280", "PA", "h"]:
        failures.append("--show 1 does not list the second conversation packet by packet:\n" + out)
    return failures


def main():
    failures = []
    for endian, cooked in (("<", False), (">", False), ("<", True)):
        failures += [f"{'big' if endian == '>' else 'little'}-endian, {'cooked' if cooked else 'ethernet'}: {f}"
                     for f in check(endian, cooked)]
    if failures:
        print("\n".join(failures))
        return 1
    print("milter-pcap.py: counts and times as written, three framings")
    return 0


if __name__ == "__main__":
    sys.exit(main())
