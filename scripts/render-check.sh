#!/usr/bin/env bash
# Renders Carnet's pictures of a record in headless Chromium, to look at them as a patient
# or a clinician would: a glucose chart (a few days, and a whole year summarised), blood
# pressure and weight charts, and the HTML report. Writes PNGs into OUT (default
# ./render-check) and checks each page rendered to a non-empty picture.
#
# Needs Debian's chromium (`apt-get install -y chromium`) and a built `carnet`
# (`cargo build --bin carnet`). Usage: scripts/render-check.sh [OUT]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="$(mkdir -p "${1:-render-check}" && cd "${1:-render-check}" && pwd)"
bin="${CARNET_BIN:-${CARGO_TARGET_DIR:-$root/target}/debug/carnet}"
chromium="$(command -v chromium || command -v chromium-browser || true)"
[ -x "$bin" ] || { echo "no carnet binary at $bin: run cargo build --bin carnet" >&2; exit 1; }
[ -n "$chromium" ] || { echo "no chromium: apt-get install -y chromium" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# CARNET_TEST_KDF=1: these throwaway vaults use the cheap --kdf-cost 10, for tests only.
export CARNET_VAULT="$work/vault" CARNET_PASSPHRASE="render check" NO_COLOR=1 CARNET_TEST_KDF=1
fx="$root/tests/fixtures"
"$bin" init --name "Vito Feeney" --kdf-cost 10 --no-confirm-phrase >/dev/null
"$bin" import fhir "$fx/fhir/synthea/smart_Vito_Feeney_63dd4423-56ec-4f40-9dd6-82bc133aaddc.json" >/dev/null
"$bin" import csv "$fx/devices/dexcom_clarity/Clarity_Export_synthetic.csv" --format dexcom --tz Europe/Paris >/dev/null
"$bin" add none-known allergies >/dev/null
"$bin" chart glucose --from 1961-04-13 --to 1961-04-15 --out "$work/glucose-3-days.svg" >/dev/null
"$bin" chart glucose --out "$work/glucose-all.svg" >/dev/null
"$bin" chart blood-pressure --out "$work/blood-pressure.svg" >/dev/null
"$bin" chart weight --out "$work/weight.svg" >/dev/null
"$bin" report --out "$work/report.html" --glucose-days 3 >/dev/null

# A year of 5-minute readings, summarised per pixel column.
CARNET_VAULT="$work/year" "$bin" init --name "Year" --kdf-cost 10 --no-confirm-phrase >/dev/null
python3 - "$work/year.csv" <<'PY'
import math, sys, datetime
start = datetime.datetime(2025, 1, 1, tzinfo=datetime.timezone.utc)
with open(sys.argv[1], "w") as f:
    f.write("time,kind,value,unit,source\n")
    for i in range(105120):
        t = start + datetime.timedelta(minutes=5 * i)
        day = (i % 288) / 288
        v = 120 + 45 * math.sin(2 * math.pi * (day - 0.3)) + 25 * math.sin(i / 997) + (i * 7919 % 23 - 11)
        f.write("%s,glucose,%d,mg/dL,Dexcom G7\n" % (t.isoformat().replace("+00:00", "Z"), round(v)))
PY
CARNET_VAULT="$work/year" "$bin" import csv "$work/year.csv" --format generic >/dev/null
CARNET_VAULT="$work/year" "$bin" chart glucose --out "$work/glucose-year.svg" >/dev/null

shoot() { # file.svg|html out.png width height
    "$chromium" --headless --no-sandbox --disable-gpu --disable-background-networking \
        --disable-component-update --disable-sync --no-first-run --hide-scrollbars \
        --user-data-dir="$work/chromium" --screenshot="$2" --window-size="$3,$4" \
        "file://$1" >/dev/null 2>&1
    [ -s "$2" ] || { echo "FAIL: $1 did not render" >&2; exit 1; }
    echo "rendered $(basename "$1") -> $2"
}
for c in glucose-3-days glucose-all glucose-year blood-pressure weight; do
    shoot "$work/$c.svg" "$out/$c.png" 960 440
done
shoot "$work/report.html" "$out/report.png" 1200 2400
cp "$work"/*.svg "$work/report.html" "$out/"
echo "look at $out/*.png"
