#!/usr/bin/env bash
# Renders the HTML report in headless Chromium, in English and French, to look at it as a
# patient or a clinician would: a PNG of the page on screen and an A4 PDF (print
# stylesheet), for each language, plus one report in mmol/L. The record is made from the
# project's fixtures without a vault (crates/carnet-report/examples/report.rs): a Synthea
# patient, a 14-day Dexcom Clarity export, and a few entries that show flags, notes,
# documents and a vaccination not given.
#
# Needs Debian's chromium (`apt-get install -y chromium`). Usage: scripts/render-report.sh [OUT]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="$(mkdir -p "${1:-render-report}" && cd "${1:-render-report}" && pwd)"
chromium="$(command -v chromium || command -v chromium-browser || true)"
[ -n "$chromium" ] || { echo "no chromium: apt-get install -y chromium" >&2; exit 1; }
fx="$root/tests/fixtures"
bundle="$fx/fhir/synthea/smart_Vito_Feeney_63dd4423-56ec-4f40-9dd6-82bc133aaddc.json"
cgm="$fx/devices/dexcom_clarity/Clarity_Export_synthetic.csv"
cd "$root"
cargo build -q -p carnet-report --example report
bin="${CARGO_TARGET_DIR:-$root/target}/debug/examples/report"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
run() { # lang name [unit]
    "$bin" "$1" "$out/$2.html" "$bundle" "$cgm" ${3:+"$3"}
    "$chromium" --headless --no-sandbox --disable-gpu --disable-background-networking \
        --disable-component-update --disable-sync --no-first-run --hide-scrollbars \
        --user-data-dir="$work/chromium" --screenshot="$out/$2.png" --window-size=1100,6000 \
        "file://$out/$2.html" >/dev/null 2>&1
    "$chromium" --headless --no-sandbox --disable-gpu --disable-background-networking \
        --disable-component-update --disable-sync --no-first-run \
        --user-data-dir="$work/chromium" --no-pdf-header-footer --print-to-pdf="$out/$2.pdf" \
        "file://$out/$2.html" >/dev/null 2>&1
    [ -s "$out/$2.png" ] && [ -s "$out/$2.pdf" ] || { echo "FAIL: $2 did not render" >&2; exit 1; }
    echo "rendered $2: $out/$2.png, $out/$2.pdf"
}
run en report-en
run fr report-fr
run fr report-fr-mmol mmol/L
