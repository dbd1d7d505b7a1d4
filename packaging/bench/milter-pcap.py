#!/usr/bin/env python3
"""What an MTA's milter conversations look like on the wire, from a packet capture.

    tcpdump -i lo -s 200 -w FILE.pcap 'tcp port PORT'     # while mail flows
    packaging/bench/milter-pcap.py FILE.pcap PORT [--show N]

PORT is the filter's listening port. Per milter connection (Postfix opens one per SMTP
session) it counts the segments carrying data from the MTA and from the filter, the bare
ACKs, and times the conversation from the MTA's SYN to its FIN, and the end of the
message (the MTA's segment holding SMFIC_BODYEOB) to the filter's last reply. It prints
medians, means, the 90th and 99th percentiles and the maximum; --show N prints the Nth complete conversation
packet by packet, with the first milter command letter of each data segment.

Why: a filter that leaves the MTA waiting shows here as a gap, and one that costs extra
round trips as extra segments, deterministically, where throughput through Postfix moves
by 20-40% between runs on a shared machine (docs/PERFORMANCE.md, "Eleventh round").
Reads classic pcap with Ethernet (tcpdump -i lo) or Linux cooked (-i any) framing, IPv4
and IPv6; standard library only.
"""
import argparse
import collections
import statistics
import struct
import sys

LINKTYPE_ETHERNET, LINKTYPE_LINUX_SLL = 1, 113
FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10
SMFIC_BODYEOB = ord("E")


def packets(path):
    """Yields (time, src port, dst port, flags, payload length, first payload bytes)."""
    with open(path, "rb") as f:
        header = f.read(24)
        if len(header) < 24:
            sys.exit(f"{path}: not a pcap file")
        magic = struct.unpack("<I", header[:4])[0]
        if magic in (0xA1B2C3D4, 0xA1B23C4D):
            endian = "<"
        elif magic in (0xD4C3B2A1, 0x4D3CB2A1):
            endian = ">"
        else:
            sys.exit(f"{path}: not a classic pcap file (pcapng? write it with tcpdump -w)")
        fraction = 1e-9 if magic in (0xA1B23C4D, 0x4D3CB2A1) else 1e-6
        linktype = struct.unpack(endian + "I", header[20:24])[0] & 0xFFFF
        if linktype == LINKTYPE_ETHERNET:
            link_len, ethertype_at = 14, 12
        elif linktype == LINKTYPE_LINUX_SLL:
            link_len, ethertype_at = 16, 14
        else:
            sys.exit(f"{path}: link type {linktype}; capture with tcpdump -i lo or -i any")
        while True:
            record = f.read(16)
            if len(record) < 16:
                return
            sec, frac, captured, _ = struct.unpack(endian + "IIII", record)
            frame = f.read(captured)
            ethertype = struct.unpack("!H", frame[ethertype_at:ethertype_at + 2])[0]
            ip = frame[link_len:]
            if ethertype == 0x0800 and len(ip) >= 20 and ip[9] == 6:
                ip_header = (ip[0] & 0x0F) * 4
                ip_payload = struct.unpack("!H", ip[2:4])[0] - ip_header
            elif ethertype == 0x86DD and len(ip) >= 40 and ip[6] == 6:
                ip_header = 40
                ip_payload = struct.unpack("!H", ip[4:6])[0]
            else:
                continue  # not TCP (or IPv6 with extension headers, which loopback never sends)
            tcp = ip[ip_header:]
            if len(tcp) < 20:
                continue
            sport, dport = struct.unpack("!HH", tcp[:4])
            tcp_header = (tcp[12] >> 4) * 4
            length = ip_payload - tcp_header
            yield sec + frac * fraction, sport, dport, tcp[13], length, tcp[tcp_header:tcp_header + 5]


def conversations(path, port):
    """Per client port: the list of (time, direction, flags, length, command letter)."""
    flows = collections.defaultdict(list)
    current = {}  # client port -> its conversation's key (ports are reused over a long run)
    for t, sport, dport, flags, length, head in packets(path):
        if dport == port:
            client, direction = sport, ">"
        elif sport == port:
            client, direction = dport, "<"
        else:
            continue
        if direction == ">" and flags & SYN and not flags & ACK:
            current[client] = (client, t)
        key = current.setdefault(client, (client, t))
        # The first frame of a segment: 4-byte length, then the command (or reply) letter.
        # Later frames in the same segment are not looked at; that is enough to label it.
        letter = chr(head[4]) if length >= 5 and len(head) >= 5 else ""
        flows[key].append((t, direction, flags, length, letter))
    return [f for f in flows.values() if f[0][2] & SYN and any(e[2] & FIN for e in f)]


def summary(flows):
    def per_flow(fn):
        return [fn(f) for f in flows]

    def eom_to_reply(f):
        # BODYEOB comes last in the MTA's data before its reply: the last MTA data segment
        # before the filter's last data segment ends the message.
        replies = [i for i, e in enumerate(f) if e[1] == "<" and e[3] > 0]
        if not replies:
            return None
        last = replies[-1]
        sends = [i for i, e in enumerate(f[:last]) if e[1] == ">" and e[3] > 0]
        return 1000 * (f[last][0] - f[sends[-1]][0]) if sends else None

    columns = {
        "MTA data segments": per_flow(lambda f: sum(e[1] == ">" and e[3] > 0 for e in f)),
        "filter data segments": per_flow(lambda f: sum(e[1] == "<" and e[3] > 0 for e in f)),
        "bare ACKs from the MTA": per_flow(lambda f: sum(e[1] == ">" and e[3] == 0 and e[2] == ACK for e in f)),
        "bare ACKs from the filter": per_flow(lambda f: sum(e[1] == "<" and e[3] == 0 and e[2] == ACK for e in f)),
        "all packets": per_flow(len),
        "SYN to FIN, ms": per_flow(lambda f: 1000 * (next(e[0] for e in f if e[2] & FIN) - f[0][0])),
        "end of message to last reply, ms": [v for v in per_flow(eom_to_reply) if v is not None],
    }
    print(f"{len(flows)} complete conversations\n")
    print("| per conversation | median | mean | p90 | p99 | max |")
    print("|---|---|---|---|---|---|")
    for name, values in columns.items():
        values = sorted(values)
        if not values:
            continue

        def quantile(q):
            return values[min(len(values) - 1, int(q * len(values)))]

        print(f"| {name} | {statistics.median(values):.3g} | {statistics.mean(values):.3g} "
              f"| {quantile(0.9):.3g} | {quantile(0.99):.3g} | {values[-1]:.3g} |")


def show(flow):
    t0 = flow[0][0]
    names = [(FIN, "F"), (SYN, "S"), (RST, "R"), (PSH, "P"), (ACK, "A")]
    print("\n    ms  dir  bytes flags command")
    for t, direction, flags, length, letter in flow:
        marks = "".join(c for bit, c in names if flags & bit)
        print(f"{1000 * (t - t0):7.3f}  {direction:3s} {length:6d} {marks:5s} {letter}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("pcap")
    parser.add_argument("port", type=int, help="the filter's listening TCP port")
    parser.add_argument("--show", type=int, metavar="N", help="print the Nth conversation packet by packet")
    args = parser.parse_args()
    flows = conversations(args.pcap, args.port)
    if not flows:
        sys.exit(f"no complete conversation with port {args.port} in {args.pcap}")
    summary(flows)
    if args.show is not None:
        show(flows[min(args.show, len(flows) - 1)])


if __name__ == "__main__":
    main()
