#!/usr/bin/env python3
"""Writes the device exports of `tests/fixtures/devices` that are *reproduced*, not real:
layouts for which no real file with a usable license was found (issue 15, point 5). Each
is one of the real shared exports (same readings, same times) re-expressed in the other
layout, as the format specs (`shared/data/devices/format-specs`, PyPI cgm-format 0.13.0,
MIT) and code that reads real exports describe it. Deterministic: run it again and
`git diff` shows nothing.

    python3 scripts/make-device-layouts.py
"""
import csv
import io
import json
from pathlib import Path

D = Path(__file__).resolve().parent.parent / "tests/fixtures/devices"


def rows(path, delimiter=","):
    text = (D / path).read_text(encoding="utf-8-sig")
    return list(csv.reader(io.StringIO(text), delimiter=delimiter))


def write(path, table, delimiter, bom=False, preamble=None):
    out = io.StringIO()
    if preamble is not None:
        out.write(preamble + "\r\n")
    w = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    w.writerows(table)
    data = out.getvalue()
    (D / path).write_bytes((b"\xef\xbb\xbf" if bom else b"") + data.encode("utf-8"))


# 1. Dexcom Clarity, "tab-delimited" export: the same cells, tabs between them.
write(
    "dexcom_clarity/Clarity_Export_synthetic_tab.txt",
    rows("dexcom_clarity/Clarity_Export_synthetic.csv"),
    "\t",
    bom=True,
)

# 2./3. LibreView in German and French, from the FreeStyle Libre 3 export.
libre = rows("freestyle_libre/FreeStyle_Libre_3_synthetic.csv")
preamble, header, data = libre[0], libre[1], libre[2:]
DE = {
    "Device": "Gerät",
    "Serial Number": "Seriennummer",
    "Device Timestamp": "Gerätezeitstempel",
    "Record Type": "Aufzeichnungstyp",
    "Historic Glucose mg/dL": "Glukosewert-Verlauf mg/dL",
    "Scan Glucose mg/dL": "Glukose-Scan mg/dL",
    "Strip Glucose mg/dL": "Glukose-Teststreifen mg/dL",
}
FR = {
    "Device": "Appareil",
    "Serial Number": "Numéro de série",
    "Device Timestamp": "Horodatage de l\u2019appareil",
    "Record Type": "Type d\u2019enregistrement",
    "Historic Glucose mg/dL": "Historique de la glycémie mmol/L",
    "Scan Glucose mg/dL": "Numérisation de la glycémie mmol/L",
    "Strip Glucose mg/dL": "Glycémie de la bandelette mmol/L",
}
ts = header.index("Device Timestamp")
glucose_cols = [header.index(c) for c in ("Historic Glucose mg/dL", "Scan Glucose mg/dL", "Strip Glucose mg/dL") if c in header]


def mmol(cell):
    """mg/dL -> mmol/L at one decimal with a decimal comma, as LibreView writes it in French."""
    if cell.strip() == "":
        return cell
    return f"{round(float(cell) / 18.016, 1):.1f}".replace(".", ",")


# German: `;` between fields, DD.MM.YYYY, mg/dL.
de = [[DE.get(h, h) for h in header]]
for r in data:
    r = list(r)
    r[ts] = r[ts].replace("-", ".", 2)
    de.append(r)
write("freestyle_libre/LibreView_de_synthetic.csv", de, ";", bom=True,
      preamble="Glukose-Werte;Erstellt am;" + preamble[2] + ";Erstellt von;" + preamble[4])

# French: `;`, DD/MM/YYYY, mmol/L with a decimal comma.
fr = [[FR.get(h, h) for h in header]]
for r in data:
    r = list(r)
    r[ts] = r[ts].replace("-", "/", 2)
    for c in glucose_cols:
        r[c] = mmol(r[c])
    fr.append(r)
write("freestyle_libre/LibreView_fr_mmol_synthetic.csv", fr, ";", bom=True,
      preamble="Données de glycémie;Généré le;" + preamble[2] + ";Généré par;" + preamble[4])

# 4. The older Libre Pro / FreeStyle Libre desktop layout: the patient's name on the first
# line, then `ID, Time, Record Type, Historic Glucose (mg/dL), Scan Glucose (mg/dL)...`,
# tab-delimited, times `YYYY/MM/DD hh:mm`.
OLD = ["ID", "Time", "Record Type", "Historic Glucose (mg/dL)", "Scan Glucose (mg/dL)",
       "Non-numeric Rapid-Acting Insulin", "Rapid-Acting Insulin (units)", "Non-numeric Food",
       "Carbohydrates (grams)", "Non-numeric Long-Acting Insulin", "Long-Acting Insulin (units)",
       "Notes", "Strip Glucose (mg/dL)", "Ketone (mmol/L)", "Meal Insulin (units)",
       "Correction Insulin (units)", "User Change Insulin (units)", "Previous Time", "Updated Time"]
rt = header.index("Record Type")
hist, scan = header.index("Historic Glucose mg/dL"), header.index("Scan Glucose mg/dL")
old = [OLD]
for i, r in enumerate(data):
    d, t = r[ts].split(" ")
    dd, mm, yyyy = d.split("-")
    row = [""] * len(OLD)
    row[0], row[1], row[2] = str(1000 + i), f"{yyyy}/{mm}/{dd} {t}", r[rt]
    row[3], row[4] = r[hist], r[scan]
    old.append(row)
write("freestyle_libre/LibrePro_old_layout_synthetic.txt", old, "\t", preamble=preamble[4])

# 5. Nightscout entries.tsv: the entries.csv cells with tabs.
write("nightscout/nightscout_entries.tsv", rows("nightscout/nightscout_entries.csv"), "\t")

# 6. Nightscout JSON with `sgv` as a string, as some uploaders write it.
entries = json.loads((D / "nightscout/nightscout_entries.json").read_text())
for e in entries:
    if isinstance(e.get("sgv"), (int, float)):
        e["sgv"] = str(e["sgv"])
(D / "nightscout/nightscout_entries_string_sgv.json").write_text(json.dumps(entries, indent=1) + "\n")
