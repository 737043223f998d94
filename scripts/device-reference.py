#!/usr/bin/env python3
"""An independent reading of every device export of `tests/fixtures/devices` (issue 15,
point 5): plain Python (csv, json, datetime), sharing nothing with Carnet's importer.
For each file: the number of glucose readings given as numbers, of censored readings
("Low"/"High", "<40"), of sensor error codes, the lowest and highest number, the first and
last reading (Unix seconds, value) and the share of readings in the 70-180 mg/dL (3.9-10.0
mmol/L) target range, censored ones counted on their side. Local times without an offset
are read as UTC (the test imports with `--tz UTC`). A row repeated with the same time and
value in the same stream (same kind of record, same device) counts once.

`crates/carnet-fhir/tests/device_corpus.rs` checks Carnet's import against the output:

    python3 scripts/device-reference.py > crates/carnet-fhir/tests/device-reference.json
"""
import csv
import io
import json
import sys
from datetime import datetime, timezone
from pathlib import Path

D = Path(__file__).resolve().parent.parent / "tests/fixtures/devices"


def utc(y, mo, d, h, mi, s=0):
    return int(datetime(y, mo, d, h, mi, s, tzinfo=timezone.utc).timestamp())


def num(cell):
    return float(cell.strip().replace(",", "."))


def table(text):
    first = text.splitlines()[:5]
    sep = max([",", ";", "\t"], key=lambda c: max(line.count(c) for line in first))
    return list(csv.reader(io.StringIO(text), delimiter=sep))


class Tally:
    def __init__(self, unit):
        self.unit, self.seen, self.values = unit, set(), []
        self.below = self.above = self.errors = 0

    def add(self, stream, t, v):
        if (stream, t, v) in self.seen:
            return
        self.seen.add((stream, t, v))
        self.values.append((t, v))

    def result(self):
        lo, hi = (70, 180) if self.unit == "mg/dL" else (3.9, 10.0)
        vals = sorted(self.values)
        inr = sum(1 for _, v in vals if lo <= v <= hi)
        total = len(vals) + self.below + self.above
        return {
            "unit": self.unit,
            "count": len(vals),
            "below": self.below,
            "above": self.above,
            "errors": self.errors,
            "min": min(v for _, v in vals),
            "max": max(v for _, v in vals),
            "first": list(vals[0]),
            "last": list(vals[-1]),
            "tir": inr / total,
        }


def dexcom(text):
    rows = table(text)
    h = next(i for i, r in enumerate(rows) if any(c.startswith("Timestamp") for c in r))
    head = rows[h]
    col = lambda p: next(i for i, c in enumerate(head) if c.startswith(p))
    ts, et, gv = col("Timestamp"), col("Event Type"), col("Glucose Value")
    src = head.index("Source Device ID")
    tally = Tally("mmol/L" if "mmol" in head[gv] else "mg/dL")
    for r in rows[h + 1:]:
        if len(r) <= gv or r[et] not in ("EGV", "Calibration", "Fasting Glucose"):
            continue
        t = datetime.fromisoformat(r[ts].replace(" ", "T")).replace(tzinfo=timezone.utc)
        cell = r[gv].strip()
        if cell in ("Low", "High"):
            if cell == "Low":
                tally.below += 1
            else:
                tally.above += 1
            continue
        tally.add((r[et], r[src]), int(t.timestamp()), num(cell))
    return tally.result()


def libre(text):
    rows = table(text)
    names = {"Gerätezeitstempel": "Device Timestamp", "Horodatage de l\u2019appareil": "Device Timestamp",
             "Time": "Device Timestamp", "Aufzeichnungstyp": "Record Type",
             "Type d\u2019enregistrement": "Record Type"}
    h = next(i for i, r in enumerate(rows) if any(names.get(c, c) == "Device Timestamp" for c in r))
    head = [names.get(c, c) for c in rows[h]]
    ts, rt = head.index("Device Timestamp"), head.index("Record Type")
    glucose = [i for i, c in enumerate(head) if "mg/dL" in c or "mmol/L" in c][:2]
    historic, scan = glucose
    tally = Tally("mmol/L" if "mmol/L" in head[historic] else "mg/dL")
    dates = [r[ts].split(" ")[0] for r in rows[h + 1:] if len(r) > ts and r[ts]]
    day_first = any(int(d.replace(".", "-").replace("/", "-").split("-")[0]) > 12
                    for d in dates if len(d.split("/")[0]) != 4)
    for r in rows[h + 1:]:
        if len(r) <= rt or r[rt] not in ("0", "1"):
            continue
        cell = r[historic if r[rt] == "0" else scan]
        if not cell.strip():
            continue
        d, hm = r[ts].split(" ")
        p = [int(x) for x in d.replace(".", "-").replace("/", "-").split("-")]
        y, mo, da = (p[0], p[1], p[2]) if p[0] > 31 else ((p[2], p[1], p[0]) if day_first else (p[2], p[0], p[1]))
        hh, mi = (int(x) for x in hm.split(":")[:2])
        device = r[0] if head[0] in ("Device", "Gerät", "Appareil") else ""
        tally.add((r[rt], device), utc(y, mo, da, hh, mi), num(cell))
    return tally.result()


def sgv_error(v, direction):
    return (0 <= v <= 12 and v == int(v)) or v < 0 or (v < 40 and direction.strip().upper() == "NOT COMPUTABLE")


def nightscout(text):
    tally = Tally("mg/dL")
    if text.lstrip().startswith("["):
        for e in json.loads(text):
            if e.get("type") != "sgv":
                continue
            v = float(e["sgv"])
            if sgv_error(v, e.get("direction", "")):
                tally.errors += 1
                continue
            tally.add(e.get("device", ""), e["date"] // 1000, v)
        return tally.result()
    for r in table(text):
        v = float(r[2])
        direction = r[3] if len(r) > 3 else ""
        if sgv_error(v, direction):
            tally.errors += 1
            continue
        tally.add(r[4] if len(r) > 4 else "", int(r[1]) // 1000, v)
    return tally.result()


def medtronic(text):
    """CareLink: sections announced by `-------;Device;Pump|Sensor;SERIAL;-------`, each
    with an `Index;Date;Time;...` header; a reading is a row with a Sensor Glucose value."""
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    tally, head, device = None, None, ""
    for r in rows:
        if r and r[0].startswith("-------"):
            device, head = r[1], None
            continue
        if r and r[0] == "Index":
            head = r
            sg = next(i for i, c in enumerate(r) if c.startswith("Sensor Glucose"))
            tally = tally or Tally("mmol/L" if "mmol/L" in r[sg] else "mg/dL")
            continue
        if head is None or len(r) <= sg or not r[sg].strip():
            continue
        d = datetime.strptime(r[head.index("Date")] + " " + r[head.index("Time")], "%Y/%m/%d %H:%M:%S")
        tally.add(device, int(d.replace(tzinfo=timezone.utc).timestamp()), num(r[sg]))
    return tally.result()


READERS = {"dexcom_clarity": dexcom, "freestyle_libre": libre, "nightscout": nightscout,
           "medtronic": medtronic}
REFUSED = {"nightscout/nightscout-data-with-treatments.csv"}

out = {}
for path in sorted(D.glob("*/*")):
    rel = f"{path.parent.name}/{path.name}"
    if path.parent.name not in READERS or rel in REFUSED:
        continue
    out[rel] = READERS[path.parent.name](path.read_text(encoding="utf-8-sig"))
json.dump(out, sys.stdout, indent=1, sort_keys=True)
print()
