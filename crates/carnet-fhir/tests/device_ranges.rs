//! Issue 15, point 6: a glucose number outside what the device measures is not a reading
//! as measured (beyond its range a sensor writes Low or High): refused unless the
//! importing person confirms it, then stored as a single measurement marked so. The real
//! exports of `tests/fixtures/devices` (sources and licenses in its README), each with one
//! value changed, as a wrong unit or an edited file would.

use std::path::PathBuf;

use carnet_fhir::{DeviceFormat, DeviceOptions, FhirError, Item, read_device_csv_with};
use carnet_record::{Entry, UNUSUAL_CONFIRMED};
use jiff::tz::TimeZone;

fn fixture(rel: &str) -> String {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/devices")
        .join(rel);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn read(
    text: &str,
    format: DeviceFormat,
    confirm: bool,
) -> Result<carnet_fhir::DeviceImport, FhirError> {
    read_device_csv_with(
        text.as_bytes(),
        format,
        &TimeZone::UTC,
        &DeviceOptions {
            confirm_unusual: confirm,
        },
    )
}

/// (readings in series, values of marked single measurements).
fn counts(imp: &carnet_fhir::DeviceImport) -> (usize, Vec<f64>) {
    let mut n = 0;
    let mut marked = Vec::new();
    for m in &imp.items {
        match &m.item {
            Item::Readings(set) => n += set.readings.len(),
            Item::Entry(Entry::Measurement(x)) => {
                assert_eq!(x.value_text.as_deref(), Some(UNUSUAL_CONFIRMED));
                marked.push(x.value.unwrap());
            }
            _ => {}
        }
    }
    (n, marked)
}

/// Replaces the first line starting with `prefix`'s `from` by `to`.
fn edit_line(text: &str, contains: &str, from: &str, to: &str) -> String {
    let mut done = false;
    text.split_inclusive('\n')
        .map(|l| {
            if !done && l.contains(contains) {
                done = true;
                l.replacen(from, to, 1)
            } else {
                l.to_string()
            }
        })
        .collect()
}

#[test]
fn a_dexcom_value_above_400_is_not_stored_as_measured() {
    let real = fixture("dexcom_clarity/Clarity_Export_synthetic.csv");
    let (n, marked) = counts(&read(&real, DeviceFormat::Dexcom, false).unwrap());
    assert!(n > 100 && marked.is_empty());
    // Row 11 is the first EGV, 144 mg/dL: 450 is beyond the G6's 400.
    let bad = edit_line(&real, "1961-04-12 00:56:47,EGV", ",144,", ",450,");
    let e = read(&bad, DeviceFormat::Dexcom, false)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("line 12")
            && e.contains("450 mg/dL")
            && e.contains("40-400")
            && e.contains(carnet_fhir::CONFIRM_UNUSUAL),
        "{e}"
    );
    let (m, marked) = counts(&read(&bad, DeviceFormat::Dexcom, true).unwrap());
    assert_eq!((m, marked), (n - 1, vec![450.0]));
    // 400 itself is a reading.
    let edge = edit_line(&real, "1961-04-12 00:56:47,EGV", ",144,", ",400,");
    assert_eq!(
        counts(&read(&edge, DeviceFormat::Dexcom, false).unwrap()).0,
        n
    );
}

#[test]
fn a_libre_value_above_500_is_not_stored_as_measured() {
    let real = fixture("freestyle_libre/FreeStyle_Libre_3_synthetic.csv");
    let (n, _) = counts(&read(&real, DeviceFormat::Libre, false).unwrap());
    let bad = edit_line(&real, "12-04-1961 22:35,0,", ",99,", ",520,");
    let e = read(&bad, DeviceFormat::Libre, false)
        .unwrap_err()
        .to_string();
    assert!(e.contains("520 mg/dL") && e.contains("40-500"), "{e}");
    // A Libre reads up to 500: 480 is a reading.
    let high = edit_line(&real, "12-04-1961 22:35,0,", ",99,", ",480,");
    assert_eq!(
        counts(&read(&high, DeviceFormat::Libre, false).unwrap()).0,
        n
    );
    let (m, marked) = counts(&read(&bad, DeviceFormat::Libre, true).unwrap());
    assert_eq!((m, marked), (n - 1, vec![520.0]));
}

#[test]
fn a_nightscout_value_above_any_sensor_is_not_stored_as_measured() {
    let real = fixture("nightscout/nightscout_entries.json");
    let (n, _) = counts(&read(&real, DeviceFormat::Nightscout, false).unwrap());
    let bad = edit_line(&real, "\"sgv\": 162", "162", "650");
    let e = read(&bad, DeviceFormat::Nightscout, false)
        .unwrap_err()
        .to_string();
    assert!(e.contains("650 mg/dL") && e.contains("entry 0"), "{e}");
    let (m, marked) = counts(&read(&bad, DeviceFormat::Nightscout, true).unwrap());
    assert_eq!((m, marked), (n - 1, vec![650.0]));
}
