//! Issue 15, point 5: every device export of `tests/fixtures/devices` (real files, and
//! layouts reproduced from them by `scripts/make-device-layouts.py`; sources in the
//! fixtures' README) imported and checked against an independent reading of the same
//! file: `scripts/device-reference.py` (Python's csv and json, nothing shared with the
//! importer), whose output is `device-reference.json`. Per file: readings given as
//! numbers, censored readings on each side, sensor errors, lowest, highest, first and
//! last reading, and time in range.

use std::collections::BTreeMap;
use std::path::PathBuf;

use carnet_fhir::{DeviceFormat, FhirError, Item, read_device_csv};
use carnet_record::Censor;
use jiff::tz::TimeZone;
use serde_json::Value;

fn path(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/devices")
        .join(rel)
}

fn format_of(rel: &str) -> DeviceFormat {
    match rel.split('/').next().unwrap() {
        "dexcom_clarity" => DeviceFormat::Dexcom,
        "freestyle_libre" => DeviceFormat::Libre,
        "nightscout" => DeviceFormat::Nightscout,
        "medtronic" => DeviceFormat::Medtronic,
        other => panic!("no format for {other}"),
    }
}

/// What Carnet's import gives, in the reference's terms.
#[derive(Debug, PartialEq)]
struct Reading {
    unit: String,
    count: usize,
    below: usize,
    above: usize,
    errors: usize,
    min: f64,
    max: f64,
    first: (i64, f64),
    last: (i64, f64),
    tir: f64,
}

fn summary(rel: &str) -> Reading {
    let bytes = std::fs::read(path(rel)).unwrap();
    let imp = read_device_csv(&bytes, format_of(rel), &TimeZone::UTC)
        .unwrap_or_else(|e| panic!("{rel}: {e}"));
    let mut values: Vec<(i64, f64)> = Vec::new();
    let (mut below, mut above) = (0, 0);
    let mut units = BTreeMap::new();
    for m in &imp.items {
        match &m.item {
            Item::Readings(set) => {
                *units.entry(set.unit.clone()).or_insert(0) += 1;
                values.extend(set.readings.iter().map(|r| (r.at.sort_key(), r.value)));
            }
            Item::Censored { set, censor } => match censor {
                Censor::Below => below += set.readings.len(),
                Censor::Above => above += set.readings.len(),
            },
            other => panic!("{rel}: unexpected item {other:?}"),
        }
    }
    assert_eq!(units.len(), 1, "{rel}: one unit, {units:?}");
    let unit = units.into_keys().next().unwrap();
    values.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let (lo, hi) = if unit == "mg/dL" {
        (70.0, 180.0)
    } else {
        (3.9, 10.0)
    };
    let in_range = values.iter().filter(|(_, v)| (lo..=hi).contains(v)).count();
    Reading {
        count: values.len(),
        below,
        above,
        errors: imp.skipped.get("sensor error").copied().unwrap_or(0),
        min: values.iter().map(|x| x.1).fold(f64::INFINITY, f64::min),
        max: values.iter().map(|x| x.1).fold(f64::NEG_INFINITY, f64::max),
        first: values[0],
        last: *values.last().unwrap(),
        tir: in_range as f64 / (values.len() + below + above) as f64,
        unit,
    }
}

fn reference(v: &Value) -> Reading {
    let pair = |p: &Value| (p[0].as_i64().unwrap(), p[1].as_f64().unwrap());
    Reading {
        unit: v["unit"].as_str().unwrap().to_string(),
        count: v["count"].as_u64().unwrap() as usize,
        below: v["below"].as_u64().unwrap() as usize,
        above: v["above"].as_u64().unwrap() as usize,
        errors: v["errors"].as_u64().unwrap() as usize,
        min: v["min"].as_f64().unwrap(),
        max: v["max"].as_f64().unwrap(),
        first: pair(&v["first"]),
        last: pair(&v["last"]),
        tir: v["tir"].as_f64().unwrap(),
    }
}

#[test]
fn every_device_export_matches_an_independent_reading() {
    let text = include_str!("device-reference.json");
    let refs: BTreeMap<String, Value> = serde_json::from_str(text).unwrap();
    assert!(refs.len() >= 10, "issue 15: at least 10 device exports");
    // Every file of the fixtures is in the reference, or refused below.
    let mut on_disk = Vec::new();
    for dir in [
        "dexcom_clarity",
        "freestyle_libre",
        "nightscout",
        "medtronic",
    ] {
        for e in std::fs::read_dir(path(dir)).unwrap() {
            on_disk.push(format!(
                "{dir}/{}",
                e.unwrap().file_name().to_string_lossy()
            ));
        }
    }
    on_disk.retain(|f| !REFUSED.iter().any(|(r, _)| r == f));
    on_disk.sort();
    assert_eq!(on_disk, refs.keys().cloned().collect::<Vec<_>>());
    for (rel, v) in &refs {
        let mut got = summary(rel);
        let want = reference(v);
        assert!(
            (got.tir - want.tir).abs() < 1e-12,
            "{rel}: time in range {} vs {}",
            got.tir,
            want.tir
        );
        got.tir = want.tir;
        assert_eq!(
            got, want,
            "{rel}: Carnet's import against the independent reading"
        );
    }
}

/// Device files Carnet refuses, with the reason it must give.
const REFUSED: &[(&str, &str)] = &[(
    // A Nightscout report with sections ("# CGM ENTRIES", then treatments) and a
    // header: not the API's entries export, which has neither.
    "nightscout/nightscout-data-with-treatments.csv",
    "line 1, column \"1-3\": expected dateString, date (ms), sgv[, direction, device], without a header (Nightscout's /api/v1/entries.csv or .tsv), but the line reads \"# CGM ENTRIES\"",
)];

#[test]
fn device_files_carnet_cannot_read_are_refused_saying_why() {
    for (rel, why) in REFUSED {
        let bytes = std::fs::read(path(rel)).unwrap();
        let e = read_device_csv(&bytes, format_of(rel), &TimeZone::UTC).unwrap_err();
        assert!(matches!(e, FhirError::Row { .. }), "{rel}: {e:?}");
        assert!(e.to_string().contains(why), "{rel}: {e}");
    }
}

/// Medtronic CareLink (Guardian Connect): only sensor glucose is kept, and the import says
/// what else the file held (counted by an independent walk of the file with Python's csv:
/// the first filled column of each row without a sensor glucose value).
#[test]
fn medtronic_carelink_keeps_sensor_glucose_and_says_what_else_was_there() {
    let rel = "medtronic/medtronics_test_livia.csv";
    let bytes = std::fs::read(path(rel)).unwrap();
    let imp = read_device_csv(&bytes, DeviceFormat::Medtronic, &TimeZone::UTC).unwrap();
    let left: Vec<(&str, usize)> = imp.skipped.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    assert_eq!(
        left,
        [
            ("Alarm", 1857),
            ("BG Reading (mg/dL)", 255),
            ("Event Marker", 634),
            ("patient info", 1),
        ]
    );
    assert!(
        imp.reasons
            .keys()
            .any(|r| r.starts_with("BG Reading (mg/dL): not kept")),
        "{:?}",
        imp.reasons
    );
    // One series, the sensor's, named after the section's device.
    let sources: Vec<_> = imp
        .items
        .iter()
        .map(|m| match &m.item {
            Item::Readings(s) => (s.source.clone(), s.readings.len()),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        sources,
        [(Some("Medtronic Guardian Connect".to_string()), 22149)]
    );
}
