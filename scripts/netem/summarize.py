#!/usr/bin/env python3
"""Turns the JSON lines of scripts/wan-sync.sh into a markdown table, followed by the
round trips derived from the times at 0/20/100/300 ms and the targets of issue 13:
an incremental sync <= 8 KiB on the wire including the handshake, <= 2 round trips after
it.

    summarize.py results.jsonl
"""

import json
import sys

WIRE_TARGET = 8 * 1024
TRIPS_TARGET = 2


def kib(n):
    return "-" if n is None else (f"{n / 1024:.1f} KiB" if n < 1024 * 1024 else f"{n / 1048576:.2f} MiB")


def describe(r):
    parts = [f"{r['rtt_ms']:g} ms"]
    if r["loss"]:
        parts.append(f"{r['loss'] * 100:g} % loss")
    if r["rate"]:
        rate = r["rate"]
        parts.append(f"{rate / 1e6:g} Mbit/s" if rate >= 1e6 else f"{rate / 1e3:g} kbit/s")
    if r.get("cut") not in (None, "-"):
        at, dur = r["cut"].split(":")
        parts.append(f"{dur} s cut at {at} s")
    return ", ".join(parts)


def error_text(err):
    """The message of `carnet --json`'s {"error": ...} on stderr, else the text as it is."""
    try:
        return f'"{json.loads(err)["error"]}"'
    except (ValueError, KeyError, TypeError):
        return err


def trips(r):
    """Round trips counted on the wire: "in all = handshake + sync + close" for a small
    sync on a link of 100 ms or more, where the count is exact; "-" otherwise (on a
    faster link processing time is of the order of the delay, and in a bulk transfer the
    close cannot be told from the acknowledgements)."""
    t = r["wire"].get("round_trips") if r.get("wire") else None
    if not t or r["rtt_ms"] < 100 or r["loss"] or r["rate"]:
        return "-"
    if r["phase"] == "first" or "after_handshake" not in t:
        return f"{t['in_all']:g}"
    return f"{t['in_all']:g} = {t['handshake']:g} + {t['after_handshake']:g} + {t['close']:g}"


def main():
    rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
    print("| link | sync | result | time | app bytes | wire bytes (packets) | handshake | padded + MTU probes | lost or dropped packets | round trips on the wire: in all = handshake + sync + close |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        w = r.get("wire")
        if r["ok"] is None:
            print(f"| {describe(r)} | {r['phase']} | {r['error']} | | | | | | | |")
            continue
        result = "ok" if r["ok"] else "**FAIL**: " + error_text(r["error"]).replace("|", "/")
        padded = "-" if r["phase"] == "first" else kib(w["padded_bytes"] + w["mtu_probe_bytes"])
        print(
            f"| {describe(r)} | {r['phase']} | {result} | {r['time_s']:.2f} s | "
            f"{kib(r.get('app_bytes'))} | {kib(w['wire_bytes'])} ({w['wire_packets']}) | "
            f"{kib(w['handshake_bytes'])} | {padded} | {w['dropped']} | {trips(r)} |"
        )

    print()
    # The count checked against the clock: the time a sync takes more than on a link with
    # no delay, in round-trip times, should be the count.
    base = {r["phase"]: r["time_s"] for r in rows if r["ok"] and r["rtt_ms"] == 0 and not r["loss"] and not r["rate"]}
    for r in rows:
        t = r["wire"].get("round_trips") if r.get("wire") else None
        if r["ok"] and t and r["rtt_ms"] >= 100 and not r["loss"] and not r["rate"] and r["phase"] in base:
            by_time = (r["time_s"] - base[r["phase"]]) / (r["rtt_ms"] / 1000)
            print(f"- {describe(r)}, {r['phase']}: {t['in_all']:g} round trips counted; by the clock "
                  f"({r['time_s']:.2f} s - {base[r['phase']]:.2f} s at 0 ms) / {r['rtt_ms']:g} ms = {by_time:.2f}.")

    incs = [r for r in rows if r["phase"] == "incremental" and r["ok"]]
    clean = [r for r in incs if not r["loss"] and r.get("cut") in (None, "-")]
    if incs:
        worst = max(r["wire"]["wire_bytes"] for r in clean or incs)
        best = min(r["wire"]["wire_bytes"] for r in clean or incs)
        print(f"- Target: an incremental sync <= 8 KiB on the wire, handshake included: "
              f"{kib(best)} to {kib(worst)} without loss -> {'met' if worst <= WIRE_TARGET else 'NOT met'}.")
        counted = [r["wire"]["round_trips"]["after_handshake"] for r in clean
                   if r["rtt_ms"] >= 100 and not r["rate"] and r["wire"].get("round_trips")
                   and "after_handshake" in r["wire"]["round_trips"]]
        if counted:
            most = max(counted)
            print(f"- Target: <= 2 round trips after the handshake: {most:g} counted (until the dialer closes) "
                  f"-> {'met' if most <= TRIPS_TARGET else 'NOT met'}.")
    failed = [r for r in rows if r["ok"] is False]
    if failed:
        print(f"- Failed: {'; '.join(describe(r) + ', ' + r['phase'] + ' sync' for r in failed)}.")


if __name__ == "__main__":
    main()
