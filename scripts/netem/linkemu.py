#!/usr/bin/env python3
"""A user-space point-to-point IP link between two network namespaces, for kernels
without the netem qdisc. Python standard library only; Linux; needs root.

    linkemu.py run --ns-a A --ns-b B [--delay-ms 50] [--loss 0.01] [--rate 1000000]
                   [--queue-ms 250] [--cut AT:SECONDS]... [--log FILE] [--control FIFO]
    linkemu.py report LOG [--from MARK] [--to MARK] [--rtt-ms N]

`run` opens one TUN device inside each namespace (the process enters the namespace with
setns(2) before opening /dev/net/tun, so the device is created there), gives the two
devices the two ends of a point-to-point /32 pair (198.18.0.1 in A, 198.18.0.2 in B by
default: RFC 2544's benchmarking range, which exists only inside these namespaces) and
forwards every IPv4 packet that one side's kernel routes into its device to the other
side's device. Nothing else is forwarded (the devices have no IPv6) and nothing ever
leaves the two namespaces: the emulator only reads and writes the two TUN file
descriptors.

Each direction is its own link, applied in this order to each packet at the moment it
enters (is read from the sender's device):
  1. cut: during a blackout every packet is dropped ("cut");
  2. rate: the link sends one packet after another at --rate bits/s (a packet leaves after
     its last bit); a packet that would find more than --queue-ms worth of bytes (at least
     8 KiB) waiting ahead of it is dropped at the tail ("qdrop");
  3. loss: with probability --loss the packet is lost on the line ("loss"), independently
     for every packet (the link time it used is still used);
  4. delay: it reaches the other side --delay-ms after it left (one way; the round-trip
     time is twice that), in the order it was sent.

Blackouts come from --cut AT:SECONDS (AT seconds after the start) or from the control
FIFO. The control FIFO (--control) takes one command a line:
    mark LABEL        writes a marker into the log (to cut it into measured parts)
    cut SECONDS       drops everything from now for SECONDS
    loss P | delay MS | rate BITS   changes a parameter from now on (rate 0 = unlimited)
    stop              exits

The log (--log) has one line per packet, tab-separated:
    time  dir  bytes  fate  kind  arrival
time in seconds since the start when the packet entered the link (monotonic clock), dir
"ab" (A to B) or "ba", bytes the size of the IP packet (headers included), fate one of
ok/loss/cut/qdrop/full, kind "L" for a QUIC long-header packet (the handshake: Initial,
Handshake, 0-RTT), "S" for a short-header (1-RTT) one, "-" for anything not UDP, arrival
when it reaches the other side ("-" if it does not). Markers
are lines "#mark<TAB>time<TAB>LABEL". On exit `run` prints its totals as one JSON line:
packets and bytes per direction and fate, and how many delivered packets the receiving
kernel did not take ("not_taken", its device queue full; 0 in every run so far).

`report` reads a log (between two markers) and prints one JSON document: packets and
bytes per direction and fate, the handshake's share, and the round trips counted as
described in its docstring (`count_round_trips`).
"""

import argparse
import ctypes
import errno
import fcntl
import heapq
import json
import os
import random
import select
import signal
import struct
import subprocess
import sys
import time

TUNSETIFF = 0x400454CA
IFF_TUN = 0x0001
IFF_NO_PI = 0x1000
CLONE_NEWNET = 0x40000000
MIN_QUEUE_BYTES = 8192


def setns(fd):
    if hasattr(os, "setns"):  # Python 3.12+
        os.setns(fd, CLONE_NEWNET)
        return
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.setns(fd, CLONE_NEWNET) != 0:
        e = ctypes.get_errno()
        raise OSError(e, "setns: " + os.strerror(e))


def open_tun_in(ns, dev):
    """Opens a TUN device named `dev` inside network namespace `ns` (a name under
    /run/netns). The calling process returns to its own namespace afterwards; the file
    descriptor keeps working from there."""
    home = os.open("/proc/self/ns/net", os.O_RDONLY | os.O_CLOEXEC)
    target = os.open(os.path.join("/run/netns", ns), os.O_RDONLY | os.O_CLOEXEC)
    try:
        setns(target)
        try:
            fd = os.open("/dev/net/tun", os.O_RDWR | os.O_NONBLOCK | os.O_CLOEXEC)
            fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH22x", dev.encode(), IFF_TUN | IFF_NO_PI))
        finally:
            setns(home)
    finally:
        os.close(target)
        os.close(home)
    return fd


def ip(*args):
    subprocess.run(["ip", *args], check=True, stdout=subprocess.DEVNULL)


def kind_of(pkt):
    """"L" for a QUIC long-header packet in UDP over IPv4, "S" for a short-header one,
    "-" otherwise."""
    if len(pkt) < 29 or pkt[0] >> 4 != 4 or pkt[9] != 17:
        return "-"
    ihl = (pkt[0] & 0x0F) * 4
    if len(pkt) <= ihl + 8:
        return "-"
    return "L" if pkt[ihl + 8] & 0x80 else "S"


class Direction:
    def __init__(self, name, out_fd):
        self.name = name
        self.out_fd = out_fd
        self.free_at = 0.0  # when the line finishes sending what it holds
        self.stats = {}

    def count(self, fate, size):
        s = self.stats.setdefault(fate, [0, 0])
        s[0] += 1
        s[1] += size


def run(args):
    if args.exit_with_parent:
        # PR_SET_PDEATHSIG: a SIGTERM when the process that started this one dies.
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM, 0, 0, 0)
    rng = random.Random(args.seed)
    params = {"delay": args.delay_ms / 1000.0, "loss": args.loss, "rate": float(args.rate)}
    t0 = time.monotonic()
    cuts = []  # (start, end) in seconds since t0
    for c in args.cut:
        at, dur = c.split(":")
        cuts.append((float(at), float(at) + float(dur)))

    fd_a = open_tun_in(args.ns_a, args.dev)
    fd_b = open_tun_in(args.ns_b, args.dev)
    for ns, mine, peer in ((args.ns_a, args.addr_a, args.addr_b), (args.ns_b, args.addr_b, args.addr_a)):
        ip("-n", ns, "link", "set", args.dev, "mtu", str(args.mtu), "up")
        ip("-n", ns, "addr", "add", mine + "/32", "peer", peer + "/32", "dev", args.dev)

    dirs = {fd_a: Direction("ab", fd_b), fd_b: Direction("ba", fd_a)}
    log = open(args.log, "w", buffering=1 << 16) if args.log else None
    ctl = None
    if args.control:
        if not os.path.exists(args.control):
            os.mkfifo(args.control, 0o600)
        # Read-write, so the FIFO never reports end-of-file between writers.
        ctl = os.open(args.control, os.O_RDWR | os.O_NONBLOCK | os.O_CLOEXEC)

    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(1))
    signal.signal(signal.SIGINT, lambda *_: stopping.append(1))

    ep = select.epoll()
    ep.register(fd_a, select.EPOLLIN)
    ep.register(fd_b, select.EPOLLIN)
    if ctl is not None:
        ep.register(ctl, select.EPOLLIN)
    pending = []  # heap of (deliver_at, seq, out_fd, packet)
    egress_drops = [0]
    seq = 0
    ctl_buf = b""

    if args.ready:
        with open(args.ready, "w") as f:
            f.write("ready\n")
    else:
        print("ready", flush=True)

    def now():
        return time.monotonic() - t0

    def command(line):
        parts = line.split(None, 1)
        if not parts:
            return
        op, arg = parts[0], (parts[1] if len(parts) > 1 else "")
        t = now()
        if op == "mark":
            if log:
                log.write(f"#mark\t{t:.6f}\t{arg}\n")
                log.flush()
        elif op == "cut":
            cuts.append((t, t + float(arg)))
            if log:
                log.write(f"#cut\t{t:.6f}\t{arg}\n")
        elif op == "loss":
            params["loss"] = float(arg)
        elif op == "delay":
            params["delay"] = float(arg) / 1000.0
        elif op == "rate":
            params["rate"] = float(arg)
        elif op == "stop":
            stopping.append(1)
        else:
            print(f"linkemu: unknown command {line!r}", file=sys.stderr)

    while not stopping:
        t = now()
        if args.max_seconds and t > args.max_seconds:
            print(f"linkemu: stopping after {args.max_seconds} s (--max-seconds)", file=sys.stderr)
            break
        while pending and pending[0][0] <= t:
            _, _, out_fd, pkt = heapq.heappop(pending)
            try:
                os.write(out_fd, pkt)
            except OSError as e:
                if e.errno not in (errno.EAGAIN, errno.EIO, errno.EINVAL):
                    raise
                # The receiving kernel did not take it (its device queue is full).
                egress_drops[0] += 1
        timeout = max(0.0, pending[0][0] - now()) if pending else 0.5
        try:
            events = ep.poll(timeout)
        except InterruptedError:
            continue
        for fd, _ in events:
            if fd == ctl:
                try:
                    ctl_buf += os.read(ctl, 4096)
                except BlockingIOError:
                    pass
                while b"\n" in ctl_buf:
                    line, ctl_buf = ctl_buf.split(b"\n", 1)
                    command(line.decode(errors="replace").strip())
                continue
            d = dirs[fd]
            for _ in range(64):
                try:
                    pkt = os.read(fd, 65536)
                except BlockingIOError:
                    break
                t = now()
                size = len(pkt)
                kind = kind_of(pkt)
                if not pkt or pkt[0] >> 4 != 4:
                    continue  # not IPv4 (the devices have no IPv6): not forwarded, not counted
                rate = params["rate"]
                if any(a <= t < b for a, b in cuts):
                    fate = "cut"
                else:
                    start = max(t, d.free_at)
                    limit = max(MIN_QUEUE_BYTES, rate * args.queue_ms / 8000.0) if rate > 0 else None
                    backlog = (start - t) * rate / 8.0 if rate > 0 else 0.0
                    if limit is not None and backlog + size > limit:
                        fate = "qdrop"
                    else:
                        leaves = start + (size * 8.0 / rate if rate > 0 else 0.0)
                        d.free_at = leaves
                        if rng.random() < params["loss"]:
                            fate = "loss"
                        elif len(pending) >= 100000:
                            fate = "full"
                        else:
                            fate = "ok"
                            seq += 1
                            heapq.heappush(pending, (leaves + params["delay"], seq, d.out_fd, pkt))
                d.count(fate, size)
                if log:
                    at = f"{leaves + params['delay']:.6f}" if fate == "ok" else "-"
                    log.write(f"{t:.6f}\t{d.name}\t{size}\t{fate}\t{kind}\t{at}\n")

    if log:
        log.close()
    totals = {d.name: d.stats for d in dirs.values()}
    print(json.dumps({"elapsed": round(now(), 3), "totals": totals, "not_taken": egress_drops[0]}), flush=True)
    os.close(fd_a)
    os.close(fd_b)


def read_log(path, start_mark=None, end_mark=None):
    """The packets of a log between two markers (or the whole log)."""
    packets = []
    inside = start_mark is None
    marks = {}
    with open(path) as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if parts[0] == "#mark":
                marks[parts[2]] = float(parts[1])
                if parts[2] == start_mark:
                    inside = True
                elif parts[2] == end_mark:
                    inside = False
                continue
            if parts[0].startswith("#") or not inside:
                continue
            t, d, size, fate, kind, at = parts
            packets.append((float(t), d, int(size), fate, kind, None if at == "-" else float(at)))
    return packets, marks


MIN_DATAGRAM = 1228  # IP bytes of a QUIC datagram padded to 1200 bytes (20 IP + 8 UDP)
ACK_ONLY = 90  # IP bytes at most of a packet holding only acknowledgements, a ping, a close


def classify(packets):
    """Labels each packet by what its size says, for the breakdown of the bytes on the
    wire (QUIC encrypts everything else): "handshake" (a QUIC long header), "small" (a short
    header of at most ACK_ONLY bytes: acknowledgements, pings, the close, or a tiny
    message), "padded" (a short header of exactly MIN_DATAGRAM bytes: a datagram padded to
    QUIC's 1200-byte minimum, as path validation and NAT-traversal probes are; one may
    also carry some data), "mtu_probe" (a short header larger than MIN_DATAGRAM and larger
    than every earlier packet in its direction: path-MTU discovery probes grow one by one),
    "other" (the rest: data, and everything QUIC bundles with it) and "not_quic". Meant for
    small exchanges: in a bulk transfer full-size data packets also have these sizes."""
    largest = {}
    labels = []
    for p in packets:
        d, size, kind = p[1], p[2], p[4]
        if kind == "L":
            label = "handshake"
        elif kind != "S":
            label = "not_quic"
        elif size <= ACK_ONLY:
            label = "small"
        elif size == MIN_DATAGRAM:
            label = "padded"
        elif size > MIN_DATAGRAM and size > largest.get(d, 0):
            label = "mtu_probe"
        else:
            label = "other"
        if kind == "S":
            largest[d] = max(largest.get(d, 0), size)
        labels.append(label)
    return labels


def half_trips(packets):
    """The causal depth of every packet, in one-way crossings of the link.

    A packet leaving one side can depend on everything that side has received so far and
    on nothing else. Its depth is 0 if no packet from the other side had arrived when it
    entered the link, else 1 + the largest depth among the packets from the other side
    that had arrived by then. The dialer's first packet has depth 0, the listener's answer
    1, the dialer's answer to that 2, and so on: the depth is the number of one-way trips
    of the longest chain of questions and answers that can have led to the packet, whatever
    the processing time between them (which a count by time would mistake for delay).
    An upper bound: a packet sent on a timer gets the depth of what had arrived before it
    too. Returns the depths, in the packets' order (they are in the order they entered)."""
    pending = {"ab": [], "ba": []}  # direction -> heap of (arrival, depth) not arrived yet
    best = {"ab": -1, "ba": -1}  # direction -> largest depth arrived at the other side
    depths = []
    for p in packets:
        t, d, arrival = p[0], p[1], p[5]
        other = "ba" if d == "ab" else "ab"
        q = pending[other]
        while q and q[0][0] <= t:
            best[other] = max(best[other], heapq.heappop(q)[1])
        depth = best[other] + 1
        depths.append(depth)
        if arrival is not None:
            heapq.heappush(pending[d], (arrival, depth))
    return depths


def count_round_trips(packets, labels):
    """Round trips on the wire, from the dialer's (B's, "ba") side of the link.

    With `half_trips` depths: the handshake ends with the dialer's first short-header
    packet (its depth, 2 for QUIC's one round trip); the dialer closes with the first packet
    of the run of small packets (at most ACK_ONLY bytes: acknowledgements, then
    CONNECTION_CLOSE) that ends its part of the log; its session ends with its last packet.
    Round trips after the handshake = (depth of the close - depth at the end of the
    handshake) / 2; the close's own round trip = (depth of the last packet - depth of the
    close) / 2 (the dialer waits for the listener's close before it exits); in all =
    depth of the last packet / 2. Counted exactly when nothing is lost; a lost packet
    adds the round trips its retransmission takes, as it does to the sync."""
    depths = half_trips(packets)
    mine = [(p, depth, label) for p, depth, label in zip(packets, depths, labels) if p[1] == "ba"]
    if not mine:
        return None
    hs = next((depth for p, depth, _ in mine if p[4] == "S"), None)
    close_at = len(mine)
    while close_at > 0 and mine[close_at - 1][2] == "small":
        close_at -= 1
    close = mine[close_at][1] if close_at < len(mine) else None
    last = mine[-1][1]
    out = {"in_all": last / 2}
    if hs is not None:
        out["handshake"] = hs / 2
        if close is not None:
            out["after_handshake"] = (close - hs) / 2
            out["close"] = (last - close) / 2
    return out


def report(args):
    packets, _marks = read_log(args.log, args.start, args.end)
    labels = classify(packets)
    out = {"packets": len(packets)}
    by = {}
    for p, label in zip(packets, labels):
        d, size, fate = p[1], p[2], p[3]
        e = by.setdefault(d, {"packets": 0, "bytes": 0, "delivered_bytes": 0})
        e["packets"] += 1
        e["bytes"] += size
        if fate == "ok":
            e["delivered_bytes"] += size
        else:
            e[fate] = e.get(fate, 0) + 1
        e[label + "_bytes"] = e.get(label + "_bytes", 0) + size
    out["dirs"] = by
    out["wire_bytes"] = sum(e["bytes"] for e in by.values())
    out["wire_packets"] = len(packets)
    for label in ("handshake", "small", "padded", "mtu_probe", "other", "not_quic"):
        out[label + "_bytes"] = sum(e.get(label + "_bytes", 0) for e in by.values())
    out["dropped"] = sum(1 for p in packets if p[3] != "ok")
    out["round_trips"] = count_round_trips(packets, labels)
    mine = [p for p in packets if p[1] == "ba"]
    if mine:
        # The dialer's session on the wire: its first packet to its last.
        out["dialer_span"] = round(mine[-1][0] - mine[0][0], 4)
        if args.rtt_ms > 0:
            out["dialer_span_rtts"] = round(out["dialer_span"] / (args.rtt_ms / 1000), 2)
    json.dump(out, sys.stdout)
    print()


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run", help="forward packets between two namespaces until stopped")
    r.add_argument("--ns-a", required=True, help="namespace A (a name under /run/netns)")
    r.add_argument("--ns-b", required=True, help="namespace B")
    r.add_argument("--dev", default="wan0", help="the TUN device's name in both namespaces")
    r.add_argument("--addr-a", default="198.18.0.1")
    r.add_argument("--addr-b", default="198.18.0.2")
    r.add_argument("--mtu", type=int, default=1500)
    r.add_argument("--delay-ms", type=float, default=0.0, help="one-way delay, each direction")
    r.add_argument("--loss", type=float, default=0.0, help="probability a packet is lost, each direction")
    r.add_argument("--rate", type=float, default=0.0, help="bits per second each direction (0: unlimited)")
    r.add_argument("--queue-ms", type=float, default=250.0, help="the queue before a rate-limited line, in ms of its rate")
    r.add_argument("--cut", action="append", default=[], metavar="AT:SECONDS", help="blackout AT seconds after the start")
    r.add_argument("--seed", type=int, default=1)
    r.add_argument("--log", help="the packet log to write")
    r.add_argument("--control", help="a FIFO to read commands from (created if missing)")
    r.add_argument("--ready", help="write 'ready' to this file once both devices are up (else print it)")
    r.add_argument("--max-seconds", type=float, default=0, help="exit after this long (0: run until stopped)")
    r.add_argument("--exit-with-parent", action="store_true", help="exit when the process that started it dies")
    r.set_defaults(func=run)
    q = sub.add_parser("report", help="sum up a packet log (between two markers)")
    q.add_argument("log")
    q.add_argument("--from", dest="start", help="marker to start after")
    q.add_argument("--to", dest="end", help="marker to stop at")
    q.add_argument("--rtt-ms", type=float, default=0.0, help="the link's round-trip time (for dialer_span_rtts)")
    q.set_defaults(func=report)
    args = p.parse_args()
    args.func(args)


if __name__ == "__main__":
    main()
