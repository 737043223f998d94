//! The glucose profile's figures (time in ranges, mean, GMI, CV, days, time with readings,
//! percentiles of the modal day) against an independent computation on real Dexcom
//! exports: `scripts/agp-reference.py` (Python's csv, datetime and statistics modules,
//! no Carnet code) wrote `tests/agp-reference-*.json` from the files of
//! `tests/fixtures/devices/dexcom_clarity` (sources and licenses in its README), with
//!   scripts/agp-reference.py tests/fixtures/devices/dexcom_clarity/FILE.csv \
//!     > crates/carnet-report/tests/agp-reference-FILE.json
//! Carnet reads the same files with its own parser (carnet-fhir, `--tz UTC`).

use std::path::PathBuf;

use carnet_fhir::{DeviceFormat, Item, read_device_csv};
use carnet_record::Censor;
use carnet_report::{GlucoseInput, Lang, Point, ReportInput, glucose_stats, pct_text, pct_text_1};
use jiff::tz::TimeZone;
use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Carnet's reading of a Clarity export: the CGM readings, Low/High marked.
fn carnet_points(file: &str) -> Vec<Point> {
    carnet_points_in(file, &TimeZone::UTC)
}

/// [`carnet_points`], local times read in `tz`; each point keeps its own offset.
fn carnet_points_in(file: &str, tz: &TimeZone) -> Vec<Point> {
    let bytes = std::fs::read(
        root()
            .join("tests/fixtures/devices/dexcom_clarity")
            .join(file),
    )
    .unwrap();
    let imp = read_device_csv(&bytes, DeviceFormat::Dexcom, tz).unwrap();
    let mut pts = Vec::new();
    for m in &imp.items {
        let (set, censored) = match &m.item {
            Item::Readings(set) => (set, None),
            Item::Censored { set, censor } => (set, Some(*censor)),
            _ => continue,
        };
        if set.kind.code != "99504-3" {
            continue; // meter readings are not the sensor's
        }
        for r in &set.readings {
            pts.push(Point {
                t: r.at.sort_key(),
                value: r.value,
                second: None,
                censored,
                offset: Some(r.at.offset_seconds()),
            });
        }
    }
    pts.sort_by_key(|p| p.t);
    pts
}

fn reference(file: &str) -> Value {
    let name = file.trim_end_matches(".csv");
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join(format!("agp-reference-{name}.json"));
    serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()
}

fn close(a: f64, b: f64, what: &str) {
    assert!(
        (a - b).abs() <= 1e-9 * b.abs().max(1.0),
        "{what}: carnet {a}, reference {b}"
    );
}

fn check(file: &str) {
    check_against(&reference(file), &carnet_points(file), 0);
}

/// Carnet's figures of `pts` (the chart drawn in `offset`) against the reference `r`.
fn check_against(r: &Value, pts: &[Point], offset: i32) {
    let s = glucose_stats(pts, "mg/dL", offset).unwrap();
    assert_eq!(s.start, r["start"].as_i64().unwrap());
    assert_eq!(s.end, r["end"].as_i64().unwrap());
    assert_eq!(s.readings as u64, r["readings"].as_u64().unwrap());
    let bands: Vec<usize> = r["bands"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap() as usize)
        .collect();
    assert_eq!(s.bands.to_vec(), bands, "time in ranges");
    assert_eq!(
        (s.censored.0 as u64, s.censored.1 as u64),
        (
            r["censored_low"].as_u64().unwrap(),
            r["censored_high"].as_u64().unwrap()
        )
    );
    close(s.mean_mg_dl, r["mean"].as_f64().unwrap(), "mean");
    close(s.sd_mg_dl, r["sd"].as_f64().unwrap(), "SD");
    close(s.gmi_percent, r["gmi"].as_f64().unwrap(), "GMI");
    close(s.cv_percent, r["cv"].as_f64().unwrap(), "CV");
    assert_eq!(s.days as u64, r["days"].as_u64().unwrap(), "days");
    assert_eq!(s.spacing, r["spacing"].as_i64().unwrap(), "spacing");
    close(s.active_percent, r["active"].as_f64().unwrap(), "active %");
    let refp = r["percentiles"].as_array().unwrap();
    assert_eq!(s.percentiles.len(), refp.len());
    let mut compared = 0;
    for (i, (mine, theirs)) in s.percentiles.iter().zip(refp).enumerate() {
        match (mine, theirs.as_array()) {
            (None, None) => {}
            (Some(m), Some(t)) => {
                for k in 0..5 {
                    close(
                        m[k],
                        t[k].as_f64().unwrap(),
                        &format!("bin {i} percentile {k}"),
                    );
                }
                compared += 1;
            }
            other => panic!("bin {i}: {other:?}"),
        }
    }
    assert!(compared >= 90, "{compared} bins compared");
}

#[test]
fn figures_match_an_independent_computation_on_the_clarity_export() {
    // 14 days, 3,922 readings, 5 "Low".
    check("Clarity_Export_synthetic.csv");
}

#[test]
fn figures_match_an_independent_computation_on_the_g6_export() {
    // 9 days, 2,148 readings; 8 below 54 mg/dL (0.37 %).
    check("cgmquantify_test_file.csv");
}

#[test]
fn the_modal_day_keeps_each_reading_in_its_own_offset_across_a_dst_change() {
    // The real G6 export (2016-10-24 to 11-01) read in Europe/Paris crosses the end of
    // summer time (2016-10-30 03:00 CEST -> 02:00 CET): readings before it are at +02:00,
    // after it at +01:00. The reference (scripts/agp-reference.py --tz Europe/Paris) bins
    // each reading by its wall-clock time as written in the file.
    let paris = TimeZone::get("Europe/Paris").unwrap();
    let pts = carnet_points_in("cgmquantify_test_file.csv", &paris);
    let offsets: std::collections::BTreeSet<i32> = pts.iter().filter_map(|p| p.offset).collect();
    assert_eq!(offsets, [3600, 7200].into(), "both offsets in the period");
    let r = reference("cgmquantify_test_file-Europe_Paris.csv");
    assert_eq!(r["tz"], "Europe/Paris");
    // The chart is drawn in the last reading's offset (+01:00), as the CLI does.
    check_against(&r, &pts, 3600);
    // One offset for the whole period puts every reading before the change an hour off:
    // the modal day is not the reference's.
    let one: Vec<Point> = pts
        .iter()
        .map(|p| Point {
            offset: None,
            ..p.clone()
        })
        .collect();
    let s = glucose_stats(&one, "mg/dL", 3600).unwrap();
    let theirs = r["percentiles"].as_array().unwrap();
    let moved = s
        .percentiles
        .iter()
        .zip(theirs)
        .filter(|(m, t)| m.map(|m| m[2]) != t.as_array().map(|t| t[2].as_f64().unwrap()))
        .count();
    assert!(moved > 50, "{moved} bins moved");
}

#[test]
fn a_few_very_low_readings_are_never_zero_percent() {
    let pts = carnet_points("cgmquantify_test_file.csv");
    let s = glucose_stats(&pts, "mg/dL", 0).unwrap();
    assert_eq!(s.bands[0], 8);
    for lang in Lang::ALL {
        let html = carnet_report::report_html(&ReportInput {
            patient_name: "Joe",
            glucose: Some(GlucoseInput {
                points: &pts,
                unit: "mg/dL",
                offset_seconds: 0,
            }),
            lang,
            ..Default::default()
        });
        let very_low = pct_text(8, 2148, lang);
        assert_eq!(very_low.replace('\u{a0}', ""), "<1%");
        // The bar says it, and the chart's line of figures gives the decimal.
        assert!(
            html.contains(&carnet_report::esc(&very_low)),
            "{lang}: {very_low}"
        );
        let decimal = pct_text_1(8, 2148, lang);
        assert_eq!(decimal.replace('\u{a0}', "").replace(',', "."), "0.4%");
        assert!(
            html.contains(&format!("54: {decimal})")) || html.contains(&format!("54 : {decimal})")),
            "{lang}"
        );
        assert_eq!(
            pct_text_1(1, 3922, lang)
                .replace('\u{a0}', "")
                .replace(',', "."),
            "<0.1%"
        );
        assert!(!html.contains("below 0%") && !html.contains("sous la cible 0"));
    }
}

#[test]
fn the_profile_is_the_same_in_either_unit() {
    // The same readings in mmol/L give the same ranges (limits in mmol/L, 3.9-10.0) up to
    // readings at the edges, and the same GMI.
    let pts = carnet_points("Clarity_Export_synthetic.csv");
    let mg = glucose_stats(&pts, "mg/dL", 0).unwrap();
    let mmol_pts: Vec<Point> = pts
        .iter()
        .map(|p| Point {
            value: (p.value / 18.016 * 10.0).round() / 10.0,
            ..p.clone()
        })
        .collect();
    let mmol = glucose_stats(&mmol_pts, "mmol/L", 0).unwrap();
    assert!((mg.gmi_percent - mmol.gmi_percent).abs() < 0.01);
    for i in 0..5 {
        let d = mg.bands[i].abs_diff(mmol.bands[i]) as f64 / mg.readings as f64;
        assert!(d < 0.02, "range {i}: {} vs {}", mg.bands[i], mmol.bands[i]);
    }
    assert_eq!(
        mmol_pts
            .iter()
            .filter(|p| p.censored == Some(Censor::Below))
            .count(),
        5
    );
}
