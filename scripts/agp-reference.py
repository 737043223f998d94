#!/usr/bin/env python3
"""Independent reference figures of the Ambulatory Glucose Profile for a Dexcom Clarity CSV,
written without Carnet's code (Python's csv, datetime and statistics modules only), to check
carnet-report's figures against (crates/carnet-report/tests/agp.rs).

Definitions (the international consensus, Battelino et al., Diabetes Care 2019; GMI from
Bergenstal et al. 2018), as carnet-report's glucose module states them:
- EGV rows only; "Low" is 40 mg/dL and very low, "High" is 400 mg/dL and very high.
- Local times without an offset are read as UTC (the test reads the file with --tz UTC),
  or, with `--tz ZONE`, in that IANA zone (zoneinfo): an instant per reading from its wall
  clock time; in the hour that happens twice when DST ends, a time earlier than the
  previous row's is the second pass (fold=1), as are the rest of that hour. Days and the
  modal day's bins then use each reading's wall-clock time as written in the file (its
  own offset), so a DST change inside the period moves no reading to another hour.
- Period: readings later than (last reading - 14 days).
- Ranges (% of readings): <54, 54-69, 70-180, 181-250, >250 mg/dL.
- Mean, population standard deviation; GMI = 3.31 + 0.02392 x mean; CV = SD / mean x 100.
- Days: distinct calendar days with a reading. Spacing: the upper median of the positive
  gaps. Active % = min(100, readings x spacing / (last - first + spacing) x 100).
- Modal day: 96 bins of 15 minutes; percentiles 5, 25, 50, 75, 95 by
  statistics.quantiles(method="inclusive") (linear between closest ranks); a bin with
  fewer than 5 readings has none.

Usage: scripts/agp-reference.py FILE.csv [--tz ZONE] > reference.json
"""
import csv
import datetime
import json
import statistics
import sys

path = sys.argv[1]
zone = None
if len(sys.argv) > 3 and sys.argv[2] == "--tz":
    import zoneinfo

    zone = zoneinfo.ZoneInfo(sys.argv[3])
rows = list(csv.reader(open(path, encoding="utf-8-sig")))
header = next(r for r in rows if any(c.startswith("Timestamp") for c in r))
ts_i = next(i for i, c in enumerate(header) if c.startswith("Timestamp"))
ev_i = header.index("Event Type")
gv_i = next(i for i, c in enumerate(header) if c.startswith("Glucose Value"))
readings = []  # (unix seconds, mg/dL, censor)
wall = {}  # unix seconds -> wall-clock seconds since 1970 as written (own offset)
prev, second_pass = None, False
for r in rows:
    if len(r) <= gv_i or r[ev_i] != "EGV":
        continue
    local = datetime.datetime.fromisoformat(r[ts_i].replace(" ", "T"))
    if zone is None:
        t = int(local.replace(tzinfo=datetime.timezone.utc).timestamp())
    else:
        a = local.replace(tzinfo=zone, fold=0)
        b = local.replace(tzinfo=zone, fold=1)
        ambiguous = a.utcoffset() != b.utcoffset()
        if not ambiguous:
            second_pass = False
        elif prev is not None and local < prev:
            second_pass = True
        t = int((b if ambiguous and second_pass else a).timestamp())
        prev = local
    wall[t] = int(local.replace(tzinfo=datetime.timezone.utc).timestamp())
    raw = r[gv_i].strip()
    if raw.lower() == "low":
        readings.append((t, 40.0, "below"))
    elif raw.lower() == "high":
        readings.append((t, 400.0, "above"))
    else:
        readings.append((t, float(raw), None))
readings.sort()
end = readings[-1][0]
win = [r for r in readings if r[0] > end - 14 * 86400]
start = win[0][0]
n = len(win)


def band(v, censor):
    if censor == "below":
        return 0
    if censor == "above":
        return 4
    if v < 54:
        return 0
    if v < 70:
        return 1
    if v <= 180:
        return 2
    if v <= 250:
        return 3
    return 4


bands = [0] * 5
for t, v, c in win:
    bands[band(v, c)] += 1
values = [v for _, v, _ in win]
mean = statistics.fmean(values)
sd = statistics.pstdev(values)
gaps = sorted(b[0] - a[0] for a, b in zip(win, win[1:]) if b[0] > a[0])
spacing = statistics.median_high(gaps)
active = min(100.0, n * spacing / ((end - start) + spacing) * 100)
days = len({wall[t] // 86400 for t, _, _ in win})
bins = [[] for _ in range(96)]
for t, v, _ in win:
    bins[(wall[t] % 86400) // 900].append(v)
percentiles = []
for b in bins:
    if len(b) < 5:
        percentiles.append(None)
        continue
    q = statistics.quantiles(b, n=100, method="inclusive")
    percentiles.append([q[4], q[24], q[49], q[74], q[94]])
json.dump(
    {
        "source": path.split("tests/fixtures/")[-1],
        "tz": sys.argv[3] if zone else "UTC",
        "method": "scripts/agp-reference.py (Python csv/datetime/statistics; definitions in its docstring)",
        "start": start,
        "end": end,
        "readings": n,
        "bands": bands,
        "censored_low": sum(1 for r in win if r[2] == "below"),
        "censored_high": sum(1 for r in win if r[2] == "above"),
        "mean": mean,
        "sd": sd,
        "gmi": 3.31 + 0.02392 * mean,
        "cv": sd / mean * 100,
        "days": days,
        "spacing": spacing,
        "active": active,
        "percentiles": percentiles,
    },
    sys.stdout,
    indent=1,
)
print()
