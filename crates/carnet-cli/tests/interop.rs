//! FHIR R4 and device imports, exports, charts and reports, end to end: the real `carnet`
//! binary on real vaults, with the real files in `tests/fixtures` (see its README).

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use carnet_fhir::{Item, read_bundle};
use common::Carnet;
use serde_json::Value;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures")
}

fn bundles(dir: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(fixtures().join("fhir").join(dir))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    v.sort();
    assert!(!v.is_empty(), "no fixtures in {dir}");
    v
}

/// The bundles that are valid FHIR R4 (every synthea, uscore and IPS bundle but the one
/// with a known data error).
fn valid_bundles() -> Vec<PathBuf> {
    let mut v = bundles("synthea");
    v.extend(bundles("ips"));
    v.extend(
        bundles("uscore")
            .into_iter()
            .filter(|p| !p.to_string_lossy().contains("patient_355")),
    );
    v
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn counts(v: &Value) -> BTreeMap<String, u64> {
    v.as_object()
        .map(|o| {
            o.iter()
                .map(|(k, n)| (k.clone(), n.as_u64().unwrap()))
                .collect()
        })
        .unwrap_or_default()
}

/// Every clinical fact of a bundle as Carnet maps it, in a form to compare: entries (with
/// their codes, values, units and dates), and documents with their bytes.
fn facts(bytes: &[u8]) -> Vec<String> {
    let imp = read_bundle(bytes, &mut |_, _| {}).unwrap();
    let mut v: Vec<String> = imp
        .items
        .iter()
        .map(|m| match &m.item {
            Item::Entry(e) => format!("{e:?}"),
            Item::Document(d) => format!(
                "document {} {} {} {} {:?} {}",
                d.title,
                d.doc_type,
                d.date,
                d.media_type,
                d.file_name,
                blake(&d.bytes)
            ),
            Item::Readings(r) => format!("{r:?}"),
            Item::Censored { set, censor } => format!("{censor:?} {set:?}"),
        })
        .collect();
    v.sort();
    v
}

fn blake(b: &[u8]) -> String {
    b.iter()
        .fold(0u64, |h, x| {
            h.wrapping_mul(1_099_511_628_211) ^ u64::from(*x)
        })
        .to_string()
}

#[test]
fn every_valid_bundle_imports_exports_and_round_trips_its_facts() {
    for path in valid_bundles() {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let c = Carnet::patient();
        let original = std::fs::read(&path).unwrap();
        let r = c.json(&["import", "fhir", s(&path)]);
        let imported = counts(&r["imported"]);
        assert!(!imported.is_empty(), "{name}: nothing imported");
        assert!(counts(&r["already_present"]).is_empty(), "{name}");
        // Every resource is either imported or counted as skipped: none vanishes.
        let total: u64 =
            imported.values().sum::<u64>() + counts(&r["not_mapped"]).values().sum::<u64>();
        let entries = serde_json::from_slice::<Value>(&original).unwrap()["entry"]
            .as_array()
            .unwrap()
            .len() as u64;
        assert!(
            total >= entries,
            "{name}: {total} counted of {entries} entries"
        );

        // The contract's "skipped": what is not kept plus what was already there.
        assert_eq!(counts(&r["skipped"]), counts(&r["not_mapped"]), "{name}");

        // Importing it again adds nothing.
        let again = c.json(&["import", "fhir", s(&path)]);
        assert!(counts(&again["imported"]).is_empty(), "{name}: {again}");
        let skipped_again: u64 = counts(&again["skipped"]).values().sum();
        assert_eq!(
            skipped_again,
            imported.values().sum::<u64>() + counts(&r["not_mapped"]).values().sum::<u64>(),
            "{name}"
        );
        assert_eq!(
            counts(&again["already_present"]).values().sum::<u64>(),
            imported.values().sum::<u64>(),
            "{name}"
        );

        // Export, and read the export back with the same mapping: every fact is there.
        let out = c.work.join("export.json");
        let e = c.json(&["export", "fhir", "--out", s(&out)]);
        let exported_bytes = std::fs::read(&out).unwrap();
        assert_eq!(
            facts(&original),
            facts(&exported_bytes),
            "{name}: facts differ"
        );
        // Counts per resource type: as imported (prescriptions come back as statements).
        let res = counts(&e["resources"]);
        for (t, n) in &imported {
            let t = if t == "MedicationRequest" {
                "MedicationStatement"
            } else {
                t
            };
            let meds = imported.get("MedicationRequest").unwrap_or(&0)
                + imported.get("MedicationStatement").unwrap_or(&0);
            let want = if t == "MedicationStatement" { meds } else { *n };
            assert_eq!(res.get(t), Some(&want), "{name}: {t}");
        }
        let ips = c.work.join("ips.json");
        let i = c.json(&["export", "ips", "--out", s(&ips)]);
        assert_eq!(
            counts(&i["resources"]).get("Composition"),
            Some(&1),
            "{name}"
        );
        let ips: Value = serde_json::from_slice(&std::fs::read(&ips).unwrap()).unwrap();
        assert_eq!(ips["type"], "document");
        let comp = &ips["entry"][0]["resource"];
        let codes: Vec<&str> = comp["section"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["code"]["coding"][0]["code"].as_str().unwrap())
            .collect();
        assert_eq!(&codes[..3], &["48765-2", "11450-4", "10160-0"], "{name}");
    }
}

#[test]
fn a_bundle_with_a_data_error_names_the_entry_and_field_and_changes_nothing() {
    let c = Carnet::patient();
    c.ok(&["add", "note", "--text", "keep me"]);
    let before = c.state();
    let path = fixtures().join("fhir/uscore/inferno_uscore_bundle_patient_355.json");
    let err = c.fails(&["import", "fhir", s(&path)]);
    assert!(
        err.contains("entry 266 (Observation/3c766796-d8a0-480f-8215-f1e7e3afab21): effectivePeriod.stop is not an R4 element of Period; did you mean effectivePeriod.end?"),
        "{err}"
    );
    assert_eq!(c.state(), before);
}

#[test]
fn every_corrupt_bundle_gets_a_clear_message_and_no_state_change() {
    let expect: &[(&str, &[&str])] = &[
        (
            "bad_date.json",
            &[
                "entry 0 (Patient/",
                "birthDate \"1970-13-45\" is not a valid date",
            ],
        ),
        (
            "bad_reference_type.json",
            &[
                "entry 4 (Observation/",
                "subject must be an object (a Reference)",
            ],
        ),
        (
            "bad_status_code.json",
            &[
                "entry 4 (Observation/",
                "status \"done-ish\" is not an R4 code",
            ],
        ),
        (
            "cardinality.json",
            &["entry 0 (Patient/", "name must be a list"],
        ),
        (
            "decimal_as_string.json",
            &[
                "entry 4 (Observation/",
                "valueQuantity.value must be a JSON number",
                "\"12.5\"",
            ],
        ),
        (
            "missing_required.json",
            &["entry 4 (Observation/", "code is required in Observation"],
        ),
        ("truncated.json", &["not JSON", "truncated"]),
        (
            "two_choice_values.json",
            &["entry 4 (Observation/", "valueQuantity and valueString"],
        ),
        (
            "unknown_element.json",
            &[
                "entry 4 (Observation/",
                "valueQuantityy is not an R4 element",
                "did you mean valueQuantity?",
            ],
        ),
        (
            "unknown_resource_type.json",
            &[
                "entry 4",
                "\"Observashun\" is not an R4 resource type; did you mean Observation?",
            ],
        ),
    ];
    let files = bundles("corrupt");
    assert_eq!(
        files.len(),
        expect.len(),
        "a corrupt fixture has no expectation"
    );
    let c = Carnet::patient();
    let before = c.state();
    for (file, needles) in expect {
        let path = fixtures().join("fhir/corrupt").join(file);
        let err = c.fails(&["import", "fhir", s(&path)]);
        assert!(err.starts_with("error:"), "{file}: {err}");
        assert!(
            err.contains("nothing was imported") || err.contains("not JSON"),
            "{file}: {err}"
        );
        for n in *needles {
            assert!(err.contains(n), "{file}: expected {n:?} in: {err}");
        }
        assert!(!err.contains("panicked"), "{file}: {err}");
        assert_eq!(c.state(), before, "{file} changed the vault");
    }
}

#[test]
fn junk_and_huge_files_are_refused_before_they_are_read() {
    let c = Carnet::patient();
    let before = c.state();
    let junk = c.work.join("junk.bin");
    std::fs::write(&junk, [0x89, b'P', b'N', b'G', 0, 1, 2, 3, 255, 254]).unwrap();
    let err = c.fails(&["import", "fhir", s(&junk)]);
    assert!(
        err.contains("not JSON") && err.contains("89 50 4e 47"),
        "{err}"
    );
    let other = c.work.join("other.json");
    std::fs::write(&other, br#"{"name": "not FHIR", "items": [1, 2]}"#).unwrap();
    let err = c.fails(&["import", "fhir", s(&other)]);
    assert!(
        err.contains("not a FHIR resource") && err.contains("no resourceType"),
        "{err}"
    );
    let patient = c.work.join("patient.json");
    std::fs::write(&patient, br#"{"resourceType": "Patient", "id": "x"}"#).unwrap();
    let err = c.fails(&["import", "fhir", s(&patient)]);
    assert!(err.contains("one Patient resource, not a Bundle"), "{err}");
    // 200 MB, sparse: a device file is refused from its size; a bundle is streamed (no
    // size cap, issue 15), so this one is refused from its first bytes, never read whole.
    let huge = c.work.join("huge.json");
    let f = std::fs::File::create(&huge).unwrap();
    f.set_len(200 * 1024 * 1024).unwrap();
    drop(f);
    let out = c
        .command()
        .args(["import", "fhir", s(&huge)])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("not JSON") && err.contains("first bytes: 00 00"),
        "{err}"
    );
    for format in ["dexcom", "libre", "nightscout", "generic"] {
        let err = c.fails(&["import", "csv", s(&huge), "--format", format]);
        assert!(err.contains("at most"), "{format}: {err}");
        let err = c.fails(&["import", "csv", s(&junk), "--format", format]);
        assert!(
            err.contains("binary") || err.contains("not"),
            "{format}: {err}"
        );
    }
    assert_eq!(c.state(), before);
}

fn device(path: &str) -> PathBuf {
    fixtures().join("devices").join(path)
}

#[test]
fn device_exports_become_day_blocks_and_reimports_add_nothing() {
    let cases: &[(&str, &str, u64, &str)] = &[
        // 3,917 numbers and 5 "Low" (kept as censored readings), counted with Python's
        // csv module on the file.
        (
            "dexcom_clarity/Clarity_Export_synthetic.csv",
            "dexcom",
            3922,
            "Dexcom android G6",
        ),
        (
            "dexcom_clarity/cgmquantify_test_file.csv",
            "dexcom",
            2148,
            "Dexcom iPhone G6",
        ),
        // 4,305 historic readings and 316 scans (counted with Python's csv module): 69
        // scans share a minute with a historic reading and another value, and two scans
        // of 14-04-1961 20:38 read 141 and 142. All are kept: the scans as their own
        // series, the second 20:38 scan in a series "(another value at the same time)".
        (
            "freestyle_libre/FreeStyle_Libre_3_synthetic.csv",
            "libre",
            4621,
            "FreeStyle Libre 3",
        ),
        (
            "nightscout/nightscout_entries.csv",
            "nightscout",
            1000,
            "Nightscout",
        ),
    ];
    for (file, format, n, source) in cases {
        let c = Carnet::patient();
        let path = device(file);
        let args = [
            "import",
            "csv",
            s(&path),
            "--format",
            format,
            "--tz",
            "Europe/Paris",
        ];
        let r = c.json(&args);
        assert_eq!(
            counts(&r["imported"]).get("glucose"),
            Some(n),
            "{file}: {r}"
        );
        assert_eq!(r["envelopes"], 1, "{file}: one envelope for the whole file");
        let blocks = r["series_blocks"].as_u64().unwrap();
        // A block per day and series (Libre: historic and scans, 16 days).
        assert!((5..=40).contains(&blocks), "{file}: {blocks} blocks");
        let again = c.json(&args);
        assert!(counts(&again["imported"]).is_empty(), "{file}: {again}");
        // Readings given twice in the file were kept once; both copies are known now.
        let twice = counts(&r["repeated_in_file"])
            .get("glucose")
            .copied()
            .unwrap_or(0);
        assert_eq!(
            counts(&again["already_present"]).get("glucose"),
            Some(&(n + twice)),
            "{file}"
        );
        assert_eq!(again["envelopes"], 0);
        let list = c.ok(&["list", "--section", "measurements", "--days"]);
        assert_eq!(
            list.lines().count() as u64,
            blocks,
            "{file}: one line per block"
        );
        // Every block is a summary line (the list's order is not fixed: a block of a
        // single reading, such as a second value at a time already given, may come first).
        for line in list.lines() {
            assert!(
                line.contains("glucose, ")
                    && line.contains(" reading")
                    && line.contains("mg/dL")
                    && line.contains(source),
                "{file}: {line}"
            );
        }
        assert!(list.lines().any(|l| l.contains(" readings, ")), "{file}");
    }
    // The Nightscout JSON holds the same entries as its CSV: nothing new.
    let c = Carnet::patient();
    c.json(&[
        "import",
        "csv",
        s(&device("nightscout/nightscout_entries.csv")),
        "--format",
        "nightscout",
    ]);
    let r = c.json(&[
        "import",
        "csv",
        s(&device("nightscout/nightscout_entries.json")),
        "--format",
        "nightscout",
    ]);
    assert_eq!(
        counts(&r["already_present"]).get("glucose"),
        Some(&1000),
        "{r}"
    );
}

#[test]
fn dexcom_times_are_local_wall_clock_times_of_the_given_zone() {
    let c = Carnet::patient();
    let path = device("dexcom_clarity/cgmquantify_test_file.csv");
    c.json(&[
        "import",
        "csv",
        s(&path),
        "--format",
        "dexcom",
        "--tz",
        "America/New_York",
    ]);
    let out = c.work.join("m.json");
    c.ok(&[
        "export",
        "fhir",
        "--sections",
        "measurements",
        "--out",
        s(&out),
    ]);
    let b: Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    // A reading's own time, or the first of a day's SampledData.
    let times: Vec<&str> = b["entry"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| {
            let r = &e["resource"];
            r["effectiveDateTime"]
                .as_str()
                .or(r["effectivePeriod"]["start"].as_str())
        })
        .collect();
    // The file's first reading: 2016-10-24T11:24:17, in New York (EDT, -04:00).
    assert!(
        times.contains(&"2016-10-24T11:24:17-04:00"),
        "{:?}",
        &times[..3]
    );
    assert_eq!(
        readings_of_bundle(&std::fs::read(&out).unwrap()).len(),
        2148
    );
}

#[test]
fn a_year_of_cgm_from_a_csv_is_a_handful_of_envelopes() {
    let c = Carnet::patient();
    let mut csv = String::from("time,kind,value,unit,source\n");
    let start = 1_735_689_600i64; // 2025-01-01T00:00:00Z
    for i in 0..105_120i64 {
        let t = carnet::record::DateTime::from_unix(start + 300 * i).unwrap();
        csv.push_str(&format!(
            "{t},glucose,{},mg/dL,Dexcom G7\n",
            70 + (i * 7) % 140
        ));
    }
    let path = c.work.join("year.csv");
    std::fs::write(&path, csv).unwrap();
    let r = c.json(&["import", "csv", s(&path), "--format", "generic"]);
    assert_eq!(counts(&r["imported"]).get("glucose"), Some(&105_120));
    assert_eq!(r["series_blocks"], 365);
    assert!(r["envelopes"].as_u64().unwrap() <= 4, "{r}");
    let list = c.ok(&["list", "--section", "measurements", "--days"]);
    assert_eq!(list.lines().count(), 365);
    // Without --days, the year is one line.
    let summary = c.ok(&["list", "--section", "measurements"]);
    assert_eq!(summary.lines().count(), 1, "{summary}");
    assert!(
        summary.contains("glucose: 105120 readings in 365 days, 2025-01-01 to 2025-12-31"),
        "{summary}"
    );
    assert!(
        list.contains("glucose, 288 readings, 2025-03-01, 70-203 mg/dL, Dexcom G7"),
        "{}",
        &list[..400]
    );
    let svg = c.work.join("year.svg");
    let chart = c.json(&["chart", "glucose", "--out", s(&svg)]);
    assert_eq!(chart["readings"], 105_120);
    let svg = std::fs::read_to_string(&svg).unwrap();
    assert!(svg.len() < 200_000, "{} bytes", svg.len());
}

#[test]
fn charts_and_report_are_drawn_from_the_record() {
    let c = Carnet::patient();
    c.json(&[
        "import",
        "csv",
        s(&device("dexcom_clarity/Clarity_Export_synthetic.csv")),
        "--format",
        "dexcom",
        "--tz",
        "Europe/Paris",
    ]);
    c.json(&[
        "import",
        "fhir",
        s(&fixtures()
            .join("fhir/synthea/smart_Vito_Feeney_63dd4423-56ec-4f40-9dd6-82bc133aaddc.json")),
    ]);
    let glucose = c.work.join("glucose.svg");
    // The Synthea bundle has glucose lab values decades later: a window by dates.
    let r = c.json(&[
        "chart",
        "glucose",
        "--from",
        "1961-04-13",
        "--to",
        "1961-04-15",
        "--out",
        s(&glucose),
    ]);
    assert_eq!(r["readings"], 864, "{r}");
    let svg = std::fs::read_to_string(&glucose).unwrap();
    for needle in ["<svg", "target 70–180 mg/dL", "In range", "mg/dL", "Apr"] {
        assert!(svg.contains(needle), "glucose chart lacks {needle:?}");
    }
    let bp = c.work.join("bp.svg");
    c.json(&["chart", "blood-pressure", "--out", s(&bp)]);
    let svg = std::fs::read_to_string(&bp).unwrap();
    for needle in ["systolic", "diastolic", "140 mmHg threshold", "mmHg"] {
        assert!(
            svg.contains(needle),
            "blood pressure chart lacks {needle:?}"
        );
    }
    let w = c.work.join("weight.svg");
    c.json(&["chart", "weight", "--out", s(&w)]);
    assert!(std::fs::read_to_string(&w).unwrap().contains("trend"));
    let err = c.fails(&["chart", "mood", "--out", s(&c.work.join("x.svg"))]);
    assert!(err.contains("chart kind \"mood\" is not known"), "{err}");
    let err = c.fails(&["chart", "weight", "--out", s(&w)]);
    assert!(err.contains("already exists"), "{err}");

    let html = c.work.join("report.html");
    c.json(&["report", "--out", s(&html)]);
    let page = std::fs::read_to_string(&html).unwrap();
    for needle in [
        "<!DOCTYPE html>",
        "Allergies and Intolerances",
        "Problem List",
        "Medication Summary",
        "Immunizations",
        "<svg",
        "Blood pressure",
    ] {
        assert!(page.contains(needle), "report lacks {needle:?}");
    }
    // Self-contained: no script, and no link or source outside the page.
    assert!(!page.contains("<script"));
    for attr in ["src=\"http", "href=\"http", "url(http", "@import"] {
        assert!(!page.contains(attr), "report loads {attr}");
    }
}

#[test]
fn every_new_command_has_help_and_json() {
    let c = Carnet::empty();
    for cmd in [
        &["import", "--help"][..],
        &["import", "fhir", "--help"],
        &["import", "csv", "--help"],
        &["export", "fhir", "--help"],
        &["export", "ips", "--help"],
        &["chart", "--help"],
        &["report", "--help"],
    ] {
        let out = c.ok(cmd);
        assert!(out.contains("Usage"), "{cmd:?}");
    }
    let err = c.fails(&["import", "csv", "x.csv", "--format", "omnipod"]);
    assert!(
        err.contains("dexcom, libre, nightscout, medtronic or generic"),
        "{err}"
    );
}

fn synthea(prefix: &str) -> PathBuf {
    bundles("synthea")
        .into_iter()
        .find(|p| p.file_name().unwrap().to_string_lossy().starts_with(prefix))
        .unwrap()
}

fn entry_count(c: &Carnet) -> usize {
    c.json(&["list"]).as_array().unwrap().len()
}

#[test]
fn another_persons_bundle_is_refused_naming_both_unless_confirmed() {
    let c = Carnet::patient();
    let clemente = synthea("smart_Clemente");
    let bob = synthea("gfdp_Bob965");
    c.json(&["import", "fhir", s(&clemente)]);
    let before = entry_count(&c);
    assert!(before > 50, "{before}");
    let err = c.fails(&["import", "fhir", s(&bob)]);
    for want in [
        "Bob965 Keeling57",
        "1991-07-08",
        "Clemente Kreiger",
        "1984-07-02",
        "names differ",
        "birth dates differ",
        "--same-person",
        "Nothing was imported",
    ] {
        assert!(err.contains(want), "missing {want:?} in: {err}");
    }
    assert_eq!(
        entry_count(&c),
        before,
        "a refused import changed the record"
    );
    // The same person's bundle again is not refused (it adds nothing new).
    let again = c.json(&["import", "fhir", s(&clemente)]);
    assert!(counts(&again["imported"]).is_empty(), "{again}");
    // Confirmed: imported.
    let r = c.json(&["import", "fhir", s(&bob), "--same-person"]);
    assert_eq!(counts(&r["imported"]).get("Immunization"), Some(&46), "{r}");
    assert!(entry_count(&c) > before);
}

#[test]
fn a_bundle_about_several_patients_needs_one_chosen() {
    let clemente = synthea("smart_Clemente");
    let bob = synthea("gfdp_Bob965");
    let read = |p: &Path| serde_json::from_slice::<Value>(&std::fs::read(p).unwrap()).unwrap();
    let (a, b) = (read(&clemente), read(&bob));
    let mut both = a.clone();
    let all: Vec<Value> = a["entry"]
        .as_array()
        .unwrap()
        .iter()
        .chain(b["entry"].as_array().unwrap())
        .cloned()
        .collect();
    both["entry"] = Value::Array(all);
    let c = Carnet::patient();
    let path = c.work.join("two.json");
    std::fs::write(&path, serde_json::to_vec(&both).unwrap()).unwrap();
    let err = c.fails(&["import", "fhir", s(&path)]);
    for want in [
        "about 2 patients",
        "Patient/d78af07c-9cb9-4f31-9b11-c45a28f2eec8",
        "Patient/3f6fd0bb-6cd3-eb3f-4401-cd38ace25f2b",
        "Clemente Kreiger",
        "Bob965 Keeling57",
        "--patient-ref",
    ] {
        assert!(err.contains(want), "missing {want:?} in: {err}");
    }
    let err = c.fails(&[
        "import",
        "fhir",
        s(&path),
        "--patient-ref",
        "Patient/nobody",
    ]);
    assert!(
        err.contains("no patient \"Patient/nobody\"") && err.contains("Bob965 Keeling57"),
        "{err}"
    );
    assert_eq!(entry_count(&c), 0, "a refused import changed the record");

    // Chosen: exactly what Bob's own bundle gives, nothing of Clemente's.
    let r = c.json(&[
        "import",
        "fhir",
        s(&path),
        "--patient-ref",
        "Patient/3f6fd0bb-6cd3-eb3f-4401-cd38ace25f2b",
    ]);
    let alone = Carnet::patient();
    let r_alone = alone.json(&["import", "fhir", s(&bob)]);
    assert_eq!(counts(&r["imported"]), counts(&r_alone["imported"]));
    assert_eq!(entry_count(&c), entry_count(&alone));
    let others = r["reasons"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(k, _)| k.contains("about another patient"))
        .map(|(_, n)| n.as_u64().unwrap())
        .sum::<u64>();
    // Clemente's Patient, 48 observations, 4 immunizations, 4 reports, a condition and a
    // procedure: the mapped types of his bundle.
    assert_eq!(others, 1 + 48 + 4 + 4 + 1 + 1, "{}", r["reasons"]);
    let names: Vec<String> = c
        .json(&["list", "--section", "profile"])
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(names, vec!["Bob965 Keeling57".to_string()]);
}

/// The glucose lines of `list`: (readings, lowest, highest, censored) per block, read from
/// "glucose, 288 readings, 2025-03-01, 63-215 mg/dL, ..." or "glucose, 5 readings below
/// the sensor's range (<40 mg/dL), ...".
fn glucose_blocks(c: &Carnet) -> Vec<(u64, f64, f64, bool)> {
    c.ok(&["list", "--section", "measurements", "--days"])
        .lines()
        .filter(|l| l.contains("glucose, "))
        .map(|l| {
            let rest = &l[l.find("glucose, ").unwrap() + 9..];
            let n: u64 = rest.split(' ').next().unwrap().parse().unwrap();
            if let Some(i) = rest.find("range (") {
                let v: f64 = rest[i + 8..].split(' ').next().unwrap().parse().unwrap();
                (n, v, v, true)
            } else {
                let range = rest.split(", ").nth(2).unwrap().split(' ').next().unwrap();
                let (lo, hi) = range.split_once('-').unwrap();
                (n, lo.parse().unwrap(), hi.parse().unwrap(), false)
            }
        })
        .collect()
}

#[test]
fn dexcom_low_is_kept_censored_counted_below_range_and_exported_with_its_comparator() {
    let c = Carnet::patient();
    let path = device("dexcom_clarity/Clarity_Export_synthetic.csv");
    // An independent reading of the file: EGV rows, their numbers and their "Low"s.
    let text = std::fs::read_to_string(&path).unwrap();
    let egv: Vec<&str> = text
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f.get(2) == Some(&"EGV")).then(|| f[7])
        })
        .collect();
    let lows = egv.iter().filter(|v| v.eq_ignore_ascii_case("low")).count();
    let nums: Vec<f64> = egv.iter().filter_map(|v| v.parse().ok()).collect();
    assert_eq!((egv.len(), lows), (3922, 5));
    let below_70 = nums.iter().filter(|v| **v < 70.0).count() + lows;
    let below_54 = nums.iter().filter(|v| **v < 54.0).count() + lows;
    let above_180 = nums.iter().filter(|v| **v > 180.0).count();

    c.json(&[
        "import",
        "csv",
        s(&path),
        "--format",
        "dexcom",
        "--tz",
        "Europe/Paris",
    ]);
    let blocks = glucose_blocks(&c);
    let censored: Vec<_> = blocks.iter().filter(|b| b.3).collect();
    assert_eq!(censored.iter().map(|b| b.0).sum::<u64>(), lows as u64);
    assert!(censored.iter().all(|b| b.1 == 40.0), "{censored:?}");
    let plain: Vec<_> = blocks.iter().filter(|b| !b.3).collect();
    assert_eq!(plain.iter().map(|b| b.0).sum::<u64>(), nums.len() as u64);
    let lo = plain.iter().map(|b| b.1).fold(f64::INFINITY, f64::min);
    let hi = plain.iter().map(|b| b.2).fold(f64::NEG_INFINITY, f64::max);
    let (min, max) = nums
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
            (a.min(*v), b.max(*v))
        });
    assert_eq!((lo, hi), (min, max));

    // The chart counts the Lows below range.
    let svg_path = c.work.join("g.svg");
    let r = c.json(&[
        "chart",
        "glucose",
        "--from",
        "1961-01-01",
        "--out",
        s(&svg_path),
    ]);
    assert_eq!(r["readings"], 3922, "{r}");
    let svg = std::fs::read_to_string(&svg_path).unwrap();
    let pc = |k: usize| (k as f64 * 100.0 / 3922.0).round();
    // Time below 54 mg/dL counts the Lows (dropping them read 3.11 % for 3.72 % on real
    // data, issue 15).
    let want = format!(
        "below {}% (below 54: {}%) · above {}%",
        pc(below_70),
        (below_54 as f64 * 1000.0 / 3922.0).round() / 10.0,
        pc(above_180)
    );
    assert!(svg.contains(&want), "{want} not in the chart");
    assert!(svg.contains("5 Low and 0 High"));

    // Exported with the comparator, never as a bare 40; re-imported as censored.
    let out = c.work.join("m.json");
    c.ok(&[
        "export",
        "fhir",
        "--sections",
        "measurements",
        "--out",
        s(&out),
    ]);
    let b: Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    // A Low is an L in its day's SampledData (whose lowerLimit is 40), or, alone, a
    // Quantity with the comparator.
    let censored: Vec<(&str, f64)> = b["entry"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|e| {
            let r = &e["resource"];
            let q = &r["valueQuantity"];
            let sd = &r["valueSampledData"];
            let mut v: Vec<(&str, f64)> = q["comparator"]
                .as_str()
                .map(|c| (c, q["value"].as_f64().unwrap()))
                .into_iter()
                .collect();
            for tok in sd["data"].as_str().unwrap_or("").split_whitespace() {
                match tok {
                    "L" => v.push(("<", sd["lowerLimit"].as_f64().unwrap())),
                    "U" => v.push((">", sd["upperLimit"].as_f64().unwrap())),
                    _ => {}
                }
            }
            v
        })
        .collect();
    assert_eq!(censored, vec![("<", 40.0); 5]);
    let d = Carnet::patient();
    d.json(&["import", "fhir", s(&out)]);
    let again = glucose_blocks(&d);
    assert_eq!(
        again.iter().filter(|b| b.3).map(|b| b.0).sum::<u64>(),
        5,
        "{again:?}"
    );
    // The numeric readings, exported as runs of SampledData (their seconds jitter, so a
    // day is several runs), come back as day blocks too, not as one entry per reading.
    let plain_again: Vec<_> = again.iter().filter(|b| !b.3).collect();
    assert_eq!(
        plain_again.iter().map(|b| b.0).sum::<u64>(),
        nums.len() as u64
    );
    assert_eq!(
        plain_again.len(),
        plain.len(),
        "as many day blocks as before"
    );
    let lo_again = plain_again
        .iter()
        .map(|b| b.1)
        .fold(f64::INFINITY, f64::min);
    let hi_again = plain_again
        .iter()
        .map(|b| b.2)
        .fold(f64::NEG_INFINITY, f64::max);
    assert_eq!((lo_again, hi_again), (min, max));
    assert_eq!(
        d.json(&["list", "--section", "measurements"])
            .as_array()
            .unwrap()
            .len(),
        again.len()
    );
}

#[test]
fn nightscout_sensor_error_codes_are_never_stored_as_glucose() {
    // The shared Nightscout export with three rows turned into what uploaders write for a
    // sensor error (Dexcom special values 5 and 1, and 25 NOT COMPUTABLE).
    let text = std::fs::read_to_string(device("nightscout/nightscout_entries.csv")).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let set = |l: &mut String, sgv: &str, dir: &str| {
        let f: Vec<&str> = l.split(',').collect();
        *l = format!("{},{},{sgv},\"{dir}\",", f[0], f[1]);
    };
    set(&mut lines[10], "5", "NOT COMPUTABLE");
    set(&mut lines[20], "1", "NONE");
    set(&mut lines[30], "25", "NOT COMPUTABLE");
    let kept: Vec<f64> = lines
        .iter()
        .enumerate()
        .filter(|(i, _)| ![10, 20, 30].contains(i))
        .map(|(_, l)| l.split(',').nth(2).unwrap().parse().unwrap())
        .collect();
    let c = Carnet::patient();
    let path = c.work.join("entries.csv");
    std::fs::write(&path, lines.join("\n")).unwrap();
    let r = c.json(&["import", "csv", s(&path), "--format", "nightscout"]);
    assert_eq!(counts(&r["imported"]).get("glucose"), Some(&997), "{r}");
    assert_eq!(
        counts(&r["not_mapped"]).get("sensor error"),
        Some(&3),
        "{r}"
    );
    let blocks = glucose_blocks(&c);
    assert_eq!(blocks.iter().map(|b| b.0).sum::<u64>(), 997);
    let lo = blocks.iter().map(|b| b.1).fold(f64::INFINITY, f64::min);
    let hi = blocks.iter().map(|b| b.2).fold(f64::NEG_INFINITY, f64::max);
    let min = kept.iter().copied().fold(f64::INFINITY, f64::min);
    let max = kept.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    // The real lows of the file (32-39 mg/dL with a trend) stay; no error code is a value.
    assert_eq!((lo, hi), (min, max));
    assert_eq!(min, 32.0);
}

#[test]
fn observations_dated_without_a_time_stay_dates_in_the_record() {
    let path = fixtures().join("fhir/uscore/inferno_uscore_bundle_patient_85.json");
    // An independent reading: the Observations whose effectiveDateTime has no time.
    let b: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let mut want: Vec<String> = b["entry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["resource"])
        .filter(|r| r["resourceType"] == "Observation")
        .filter_map(|r| {
            r["effectiveDateTime"]
                .as_str()
                .or_else(|| r["effectivePeriod"]["start"].as_str())
        })
        .filter(|t| !t.contains('T'))
        .map(str::to_string)
        .collect();
    want.sort();
    assert_eq!(want.len(), 7);
    let c = Carnet::patient();
    c.json(&["import", "fhir", s(&path)]);
    let mut got: Vec<String> = c
        .json(&["list", "--section", "measurements"])
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["at"].as_str())
        .filter(|t| !t.contains('T'))
        .map(str::to_string)
        .collect();
    got.sort();
    // Every date-only Observation (6 effectiveDateTime, 1 effectivePeriod.start) is
    // stored as its date; none became midnight UTC.
    assert_eq!(got, want);
    assert!(
        c.ok(&["list", "--section", "measurements"])
            .lines()
            .all(|l| !l.contains("2005-07-05T00:00:00Z")),
        "a date became midnight UTC"
    );
}

#[test]
fn skip_invalid_leaves_out_what_is_broken_and_keeps_the_rest() {
    // The Clemente Kreiger bundle with three real-world defects: an Observation id over 64
    // characters, another's meta.versionId with ':' (both in what Carnet does not keep),
    // and its one Condition with a clinicalStatus code that is not a code.
    let clemente = synthea("smart_Clemente");
    let mut b: Value = serde_json::from_slice(&std::fs::read(&clemente).unwrap()).unwrap();
    let entries = b["entry"].as_array_mut().unwrap();
    let obs: Vec<usize> = (0..entries.len())
        .filter(|&i| entries[i]["resource"]["resourceType"] == "Observation")
        .collect();
    entries[obs[0]]["resource"]["id"] = Value::String("x".repeat(70));
    entries[obs[1]]["resource"]["meta"] = serde_json::json!({"versionId": "1:2"});
    let cond = (0..entries.len())
        .find(|&i| entries[i]["resource"]["resourceType"] == "Condition")
        .unwrap();
    entries[cond]["resource"]["clinicalStatus"]["coding"][0]["code"] =
        Value::String(" active  now".into());
    let c = Carnet::patient();
    let path = c.work.join("defects.json");
    std::fs::write(&path, serde_json::to_vec(&b).unwrap()).unwrap();

    // By default: all or nothing, every problem named.
    let err = c.fails(&["import", "fhir", s(&path)]);
    assert!(err.contains("3 problems"), "{err}");
    assert!(err.contains(&format!("entry {cond} (Condition/")), "{err}");
    assert_eq!(entry_count(&c), 0);

    let r = c.json(&["import", "fhir", s(&path), "--skip-invalid"]);
    let whole = Carnet::patient();
    let r_whole = whole.json(&["import", "fhir", s(&clemente)]);
    let (mut got, mut want) = (counts(&r["imported"]), counts(&r_whole["imported"]));
    assert_eq!(want.remove("Condition"), Some(1));
    assert_eq!(
        got.remove("Condition"),
        None,
        "the broken condition is left out"
    );
    assert_eq!(
        got, want,
        "everything else is imported, the two observations included"
    );
    let reasons = r["reasons"].as_object().unwrap();
    let left_out: Vec<&String> = reasons
        .keys()
        .filter(|k| k.contains("left out (--skip-invalid)"))
        .collect();
    assert_eq!(left_out.len(), 1, "{reasons:?}");
    assert!(left_out[0].contains(&format!("entry {cond} (Condition/")));
    assert_eq!(
        reasons
            .keys()
            .filter(|k| k.contains("defect in what Carnet does not keep"))
            .count(),
        2,
        "{reasons:?}"
    );
}

fn ips(name: &str) -> PathBuf {
    fixtures().join("fhir/ips").join(name)
}

#[test]
fn real_ips_documents_keep_to_their_person_and_open_inside_a_bundle() {
    let martha = ips("bundle-minimal.json");
    let james = ips("bundle-no-info-required-sections.json");
    // One person's summary, then another's: refused, naming both.
    let c = Carnet::patient();
    let r = c.json(&["import", "fhir", s(&martha)]);
    assert_eq!(counts(&r["imported"]).values().sum::<u64>(), 4, "{r}");
    let err = c.fails(&["import", "fhir", s(&james)]);
    assert!(
        err.contains("James Judge, born 1985-04-25 (Patient/AAA1234; identifiers https://standards.digital.health.nz/ns/nhi-id|AAA1234)")
            && err.contains("Martha DeLarosa, born 1972-05-01"),
        "{err}"
    );
    assert_eq!(entry_count(&c), 4);

    // Both documents in one collection (a bundle of bundles): refused, naming both;
    // with one chosen, exactly that person's entries.
    let read = |p: &Path| serde_json::from_slice::<Value>(&std::fs::read(p).unwrap()).unwrap();
    let both = serde_json::json!({"resourceType": "Bundle", "type": "collection", "entry": [
        {"resource": read(&martha)}, {"resource": read(&james)}]});
    let d = Carnet::patient();
    let path = d.work.join("two-summaries.json");
    std::fs::write(&path, serde_json::to_vec(&both).unwrap()).unwrap();
    let err = d.fails(&["import", "fhir", s(&path)]);
    assert!(
        err.contains("about 2 patients") && err.contains("Patient/AAA1234"),
        "{err}"
    );
    let r = d.json(&[
        "import",
        "fhir",
        s(&path),
        "--patient-ref",
        "Patient/AAA1234",
    ]);
    assert_eq!(
        counts(&r["imported"]),
        BTreeMap::from([("Immunization".to_string(), 2), ("Patient".to_string(), 1)]),
        "{r}"
    );
    assert!(
        r["patient"]
            .as_str()
            .unwrap()
            .starts_with("James Judge, born 1985-04-25 (Patient/AAA1234"),
        "{r}"
    );
    assert_eq!(counts(&r["not_mapped"]).get("Bundle"), Some(&2), "{r}");
    let listed = d.ok(&["list"]);
    assert!(
        listed.contains("James Judge") && !listed.contains("Martha"),
        "{listed}"
    );
    assert_eq!(
        listed.matches("Influenza, seasonal, injectable").count(),
        2,
        "{listed}"
    );
}

/// Runs `carnet ARGS` at a terminal (util-linux `script` gives it one) with `answer` typed.
fn at_terminal(c: &Carnet, args: &str, answer: &str) -> std::process::Output {
    use std::io::Write;
    let mut child = std::process::Command::new("script")
        .args([
            "-qec",
            &format!("{} {args}", env!("CARGO_BIN_EXE_carnet")),
            "/dev/null",
        ])
        .env("CARNET_VAULT", &c.vault)
        .env("CARNET_PASSPHRASE", common::PASS)
        .env("CARNET_TEST_KDF", "1")
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(answer.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn at_a_terminal_the_same_person_is_confirmed_by_answering() {
    if !Path::new("/usr/bin/script").exists() {
        eprintln!("skipped: util-linux `script` (a terminal for the prompt) is not installed");
        return;
    }
    let martha = ips("bundle-minimal.json");
    let james = ips("bundle-no-info-required-sections.json");
    let c = Carnet::patient();
    c.json(&["import", "fhir", s(&martha)]);
    let out = at_terminal(&c, &format!("import fhir {}", s(&james)), "no\n");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "{text}");
    assert!(text.contains("Are they the same person?"), "{text}");
    assert_eq!(
        entry_count(&c),
        4,
        "a refusal at the prompt changed the record"
    );
    let out = at_terminal(&c, &format!("import fhir {}", s(&james)), "same\n");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_eq!(entry_count(&c), 6, "the two vaccinations were added");
}

#[test]
fn a_medicine_not_taken_and_a_procedure_not_done_show_why() {
    // Issue 15, Deliver 3: a negation keeps its exact scope and its stated reason, and
    // `list` shows both, in English and in French.
    let c = Carnet::patient();
    let bundle = serde_json::json!({"resourceType": "Bundle", "type": "collection", "entry": [
        {"fullUrl": "urn:uuid:6c1e0f4e-0d7a-4c55-9a49-2d6f1c1b0001", "resource": {
            "resourceType": "MedicationStatement", "status": "not-taken",
            "medicationCodeableConcept": {"coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "1191", "display": "Aspirin"}]},
            "subject": {"display": "Patient"}, "effectiveDateTime": "2024-01-05",
            "statusReason": [{"text": "Gastric bleeding"}]}},
        {"fullUrl": "urn:uuid:6c1e0f4e-0d7a-4c55-9a49-2d6f1c1b0002", "resource": {
            "resourceType": "Procedure", "status": "not-done",
            "code": {"coding": [{"system": "http://snomed.info/sct", "code": "73761001", "display": "Colonoscopy"}]},
            "subject": {"display": "Patient"}, "performedDateTime": "2024-02-01",
            "statusReason": {"text": "Patient refused"}}}
    ]});
    let path = c.work.join("negations.json");
    std::fs::write(&path, bundle.to_string()).unwrap();
    c.ok(&["import", "fhir", s(&path)]);
    let en = c.ok(&["list"]);
    assert!(
        en.contains("Aspirin (not taken, reason: Gastric bleeding)"),
        "{en}"
    );
    assert!(
        en.contains("Colonoscopy (not done, reason: Patient refused)"),
        "{en}"
    );
    let fr = c.ok(&["--lang", "fr", "list"]);
    assert!(
        fr.contains("Aspirin (non pris, raison : Gastric bleeding)"),
        "{fr}"
    );
    assert!(
        fr.contains("Colonoscopy (non fait, raison : Patient refused)"),
        "{fr}"
    );
    let json = c.json(&["list", "--section", "medications"]);
    assert_eq!(json[0]["status_reason"], "Gastric bleeding");
}

/// A reading as the test compares them: Unix seconds, value, and its censoring
/// (0 measured, -1 below the sensor's range, 1 above).
/// The header of a Dexcom Clarity export, as the tests that generate one write it.
const DEXCOM_HEADER: &str = "Index,Timestamp (YYYY-MM-DDThh:mm:ss),Event Type,Event Subtype,Patient Info,Device Info,Source Device ID,Glucose Value (mg/dL)\n";

/// One EGV row of a generated Dexcom Clarity export, at Unix time `t` (UTC wall clock).
fn dexcom_row(i: i64, t: i64, cell: &str) -> String {
    let ts = carnet::record::DateTime::from_unix(t).unwrap();
    let ts = ts.as_str().trim_end_matches('Z');
    format!("{i},{ts},EGV,,,,G6,{cell}\n")
}

type Point = (i64, f64, i8);

/// Every device reading of a bundle, by Carnet's own mapping, sorted.
fn readings_of_bundle(bytes: &[u8]) -> Vec<Point> {
    let imp = read_bundle(bytes, &mut |_, _| {}).unwrap();
    let mut v = Vec::new();
    for m in &imp.items {
        let (set, c) = match &m.item {
            Item::Readings(set) => (set, 0),
            Item::Censored { set, censor } => (
                set,
                if *censor == carnet::record::Censor::Below {
                    -1
                } else {
                    1
                },
            ),
            Item::Entry(carnet::record::Entry::Profile(_)) => continue,
            other => panic!("not a reading: {other:?}"),
        };
        v.extend(set.readings.iter().map(|r| (r.at.sort_key(), r.value, c)));
    }
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v
}

/// Count, censored on each side, first, last, lowest and highest measured value.
fn series_figures(p: &[Point]) -> (usize, usize, usize, Point, Point, f64, f64) {
    let measured: Vec<f64> = p.iter().filter(|x| x.2 == 0).map(|x| x.1).collect();
    (
        measured.len(),
        p.iter().filter(|x| x.2 < 0).count(),
        p.iter().filter(|x| x.2 > 0).count(),
        p[0],
        *p.last().unwrap(),
        measured.iter().cloned().fold(f64::INFINITY, f64::min),
        measured.iter().cloned().fold(f64::NEG_INFINITY, f64::max),
    )
}

/// Issue 15, seen-item 9: three years of 5-minute CGM readings (sensor sessions every 10
/// days whose clock starts 17 s later, 2 hours without readings at each change, single
/// missing readings, a reading now and then 7 s off its grid, Low and High every day)
/// imported from a Clarity file, exported as compact FHIR (SampledData per day, E/L/U),
/// re-imported into another vault into the same day blocks, and imported there again
/// (nothing added). The readings are compared with the generator's, not with Carnet's.
#[test]
fn a_dense_series_exports_compactly_and_reimports_into_the_same_day_blocks() {
    let start = 1_640_995_200i64; // 2022-01-01T00:00:00Z
    let mut csv = String::from(DEXCOM_HEADER);
    let mut want: Vec<Point> = Vec::new();
    for i in 0..3 * 365 * 288i64 {
        if i % 2880 < 24 || i % 997 == 0 {
            continue;
        }
        let mut t = start + i * 300 + 17 * (i / 2880);
        if i % 1500 == 0 {
            t += 7;
        }
        let (cell, point) = match i % 288 {
            36 | 37 => ("Low".to_string(), (t, 40.0, -1)),
            180 => ("High".to_string(), (t, 400.0, 1)),
            _ => {
                let v = (60 + (i * 7919) % 300) as f64;
                (format!("{v}"), (t, v, 0))
            }
        };
        csv.push_str(&dexcom_row(i, t, &cell));
        want.push(point);
    }
    let a = Carnet::patient();
    let csv_path = a.work.join("three-years.csv");
    std::fs::write(&csv_path, &csv).unwrap();
    let r = a.json(&[
        "import",
        "csv",
        s(&csv_path),
        "--format",
        "dexcom",
        "--tz",
        "UTC",
    ]);
    let blocks = r["series_blocks"].as_u64().unwrap();
    assert!(blocks >= 3 * 365, "{r}");

    let out = a.work.join("compact.json");
    a.json(&["export", "fhir", "--out", s(&out)]);
    let compact = std::fs::read(&out).unwrap();
    // For the project's validator: `CARNET_EXPORT_DIR=dir cargo test ...`, then
    // `validate_fhir.py dir/dense-series-compact.json`.
    if let Ok(dir) = std::env::var("CARNET_EXPORT_DIR") {
        std::fs::write(Path::new(&dir).join("dense-series-compact.json"), &compact).unwrap();
    }
    let exported = readings_of_bundle(&compact);
    assert_eq!(exported.len(), want.len());
    assert_eq!(series_figures(&exported), series_figures(&want));
    assert_eq!(
        exported, want,
        "every reading, time and censoring as generated"
    );
    let doc: Value = serde_json::from_slice(&compact).unwrap();
    let obs: Vec<&Value> = doc["entry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["resource"])
        .filter(|r| r["resourceType"] == "Observation")
        .collect();
    let sampled = obs.iter().filter(|r| r["valueSampledData"].is_object());
    let data: String = sampled
        .map(|r| r["valueSampledData"]["data"].as_str().unwrap().to_string() + " ")
        .collect();
    let tokens = |t: &str| data.split_whitespace().filter(|x| *x == t).count();
    // Single missing readings are E, Low and High are L and U inside the day's data.
    assert!(tokens("E") > 0 && tokens("L") > 0 && tokens("U") > 0);

    // One Observation per reading, as the previous export wrote them: its size, and the
    // file itself (over the 64 MiB that import used to refuse), streamed in below.
    let subject = doc["entry"][0]["fullUrl"].as_str().unwrap();
    let big_path = a.work.join("per-reading.json");
    let mut big = std::io::BufWriter::new(std::fs::File::create(&big_path).unwrap());
    use std::io::Write;
    write!(
        big,
        "{{\"resourceType\":\"Bundle\",\"type\":\"collection\",\"entry\":[{}",
        serde_json::to_string(&doc["entry"][0]).unwrap()
    )
    .unwrap();
    let per_reading: usize = want
        .iter()
        .enumerate()
        .map(|(i, (t, v, c))| {
            let mut q = serde_json::json!({"value": v, "unit": "mg/dL",
                "system": "http://unitsofmeasure.org", "code": "mg/dL"});
            if *c != 0 {
                q["comparator"] = serde_json::json!(if *c < 0 { "<" } else { ">" });
            }
            let e = serde_json::json!({"fullUrl": format!("urn:uuid:00000000-0000-8000-8000-{i:012}"),
                "resource": {"resourceType": "Observation", "id": format!("00000000-0000-8000-8000-{i:012}"),
                "status": "final", "code": {"coding": [{"system": "http://loinc.org", "code": "99504-3",
                "display": "Glucose [Mass/volume] in Interstitial fluid"}]},
                "subject": {"reference": subject}, "device": {"display": "Dexcom G6"},
                "effectiveDateTime": carnet::record::DateTime::from_unix(*t).unwrap().as_str(),
                "valueQuantity": q}});
            let bytes = serde_json::to_vec(&e).unwrap();
            big.write_all(b",").unwrap();
            big.write_all(&bytes).unwrap();
            bytes.len() + 1
        })
        .sum();
    big.write_all(b"]}").unwrap();
    big.flush().unwrap();
    drop(big);
    println!(
        "3 years, {} readings: compact export {} bytes in {} Observations; one Observation per reading: {} bytes ({:.2} %)",
        want.len(),
        compact.len(),
        obs.len(),
        per_reading,
        100.0 * compact.len() as f64 / per_reading as f64
    );
    assert!(compact.len() * 20 < per_reading, "compact is under 5 %");
    assert!(obs.len() < 3 * 365 * 4, "a few Observations a day");

    // Another vault takes the compact export into day blocks, the same readings.
    let b = Carnet::patient();
    let r = b.json(&["import", "fhir", s(&out)]);
    assert_eq!(r["series_blocks"].as_u64().unwrap(), blocks, "{r}");
    let again = b.json(&["import", "fhir", s(&out)]);
    assert!(counts(&again["imported"]).is_empty(), "{again}");
    assert_eq!(again["series_blocks"].as_u64().unwrap_or(0), 0, "{again}");
    let out_b = b.work.join("compact-b.json");
    b.json(&["export", "fhir", "--out", s(&out_b)]);
    let back = readings_of_bundle(&std::fs::read(&out_b).unwrap());
    assert_eq!(back, want, "the re-imported record holds the same readings");

    // The per-reading file, 167 MB, is streamed in (never refused for its size) into
    // the same day blocks.
    let size = std::fs::metadata(&big_path).unwrap().len();
    assert!(size > 64 * 1024 * 1024, "{size}");
    let c = Carnet::patient();
    let r = c.json(&["import", "fhir", s(&big_path)]);
    std::fs::remove_file(&big_path).unwrap();
    assert_eq!(r["series_blocks"].as_u64().unwrap(), blocks, "{r}");
    let out_c = c.work.join("compact-c.json");
    c.json(&["export", "fhir", "--out", s(&out_c)]);
    assert_eq!(readings_of_bundle(&std::fs::read(&out_c).unwrap()), want);
}

/// Issue 15: documents of a streamed FHIR import. Three documents of 30 MB (90 MB, over
/// the 64 MiB once held) import whole, each with its bytes; while the bundle is read they
/// wait in the vault's directory encrypted (a plaintext marker in a document is never in
/// a temporary file), and no temporary file is left, after an import or a refusal. A
/// bundle whose last entry is invalid refuses everything.
#[test]
fn documents_over_64_mib_stream_in_encrypted_and_whole() {
    use std::io::Write;
    const DOC: usize = 30_000_000;
    const MARK: &[u8] = b"PLAINTEXT-MARKER-OF-A-CARNET-DOCUMENT";
    // Bytes of document `d`, generated (xorshift), the marker every 768 KiB in the first.
    fn doc_bytes(d: u64, mut emit: impl FnMut(&[u8])) {
        let mut x = 0x9E37_79B9_7F4A_7C15u64 ^ (d + 1);
        let mut left = DOC;
        let mut chunk = Vec::with_capacity(3 << 18);
        while left > 0 {
            chunk.clear();
            let n = left.min(3 << 18);
            while chunk.len() < n {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                chunk.extend_from_slice(&x.to_le_bytes());
            }
            chunk.truncate(n);
            if d == 0 {
                chunk[..MARK.len()].copy_from_slice(MARK);
            }
            emit(&chunk);
            left -= n;
        }
    }
    let c = Carnet::patient();
    let write = |path: &Path, bad_last: bool| -> Vec<String> {
        let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
        let mut hashes = Vec::new();
        write!(
            f,
            r#"{{"resourceType":"Bundle","type":"collection","entry":[{{"fullUrl":"urn:uuid:00000000-0000-8000-8000-000000000000","resource":{{"resourceType":"Patient","id":"00000000-0000-8000-8000-000000000000","name":[{{"text":"Alice Test"}}]}}}}"#
        )
        .unwrap();
        for d in 0..3u64 {
            write!(
                f,
                r#",{{"fullUrl":"urn:uuid:00000000-0000-8000-8000-00000000000{}","resource":{{"resourceType":"DocumentReference","id":"00000000-0000-8000-8000-00000000000{}","status":"current","type":{{"text":"Letter"}},"description":"Letter {d}","date":"2024-0{}-01T10:00:00Z","content":[{{"attachment":{{"contentType":"application/pdf","title":"letter{d}.pdf","data":""#,
                d + 1,
                d + 1,
                d + 1
            )
            .unwrap();
            let mut h = blake3::Hasher::new();
            doc_bytes(d, |b| {
                h.update(b);
                f.write_all(data_encoding::BASE64.encode(b).as_bytes())
                    .unwrap();
            });
            hashes.push(h.finalize().to_hex().to_string());
            f.write_all(b"\"}}]}}").unwrap();
        }
        if bad_last {
            f.write_all(br#",{"resource":{"resourceType":"Condition","id":"bad","subjekt":{"reference":"Patient/00000000-0000-8000-8000-000000000000"}}}"#).unwrap();
        }
        f.write_all(b"]}").unwrap();
        f.flush().unwrap();
        hashes
    };
    // Runs the import, reading every temporary file of the vault's directory meanwhile.
    let import = |file: &str| -> (bool, usize, String) {
        let mut child = c
            .command()
            .args(["--json", "import", "fhir", file])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut seen = std::collections::BTreeSet::new();
        while child.try_wait().unwrap().is_none() {
            for e in std::fs::read_dir(&c.vault).unwrap() {
                let p = e.unwrap().path();
                let name = p.file_name().unwrap().to_string_lossy().to_string();
                if !name.starts_with(".carnet-import-") {
                    continue;
                }
                if let Ok(bytes) = std::fs::read(&p) {
                    assert!(
                        !bytes.windows(MARK.len()).any(|w| w == MARK),
                        "{name} holds a document in clear"
                    );
                    if bytes.len() > 1 << 20 {
                        seen.insert(name);
                    }
                }
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        let out = child.wait_with_output().unwrap();
        let left: Vec<_> = std::fs::read_dir(&c.vault)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
            .filter(|n| n.starts_with(".carnet-import-"))
            .collect();
        assert!(left.is_empty(), "temporary files left: {left:?}");
        (
            out.status.success(),
            seen.len(),
            String::from_utf8_lossy(&out.stderr).to_string(),
        )
    };

    // An invalid last entry refuses everything: the vault is as it was.
    let bad = c.work.join("bad.json");
    write(&bad, true);
    let before = c.state();
    let (ok, seen, err) = import(s(&bad));
    std::fs::remove_file(&bad).unwrap();
    assert!(!ok && err.contains("subjekt"), "{err}");
    assert!(seen >= 1, "no temporary file seen while reading");
    assert_eq!(c.state(), before);

    let good = c.work.join("documents.json");
    let hashes = write(&good, false);
    assert!(std::fs::metadata(&good).unwrap().len() > 64 << 20);
    let (ok, seen, err) = import(s(&good));
    std::fs::remove_file(&good).unwrap();
    assert!(ok, "{err}");
    assert!(seen >= 1, "no temporary file seen while reading");
    let list = c.json(&["list"]);
    let mut docs: Vec<&Value> = list
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "document")
        .collect();
    docs.sort_by_key(|e| e["title"].as_str().unwrap().to_string());
    assert_eq!(docs.len(), 3, "{list:#}");
    for (d, e) in docs.iter().enumerate() {
        assert_eq!(e["title"], format!("Letter {d}"));
        let out = format!("back{d}.pdf");
        c.ok(&["get-attachment", e["id"].as_str().unwrap(), "--out", &out]);
        let back = std::fs::read(c.work.join(&out)).unwrap();
        std::fs::remove_file(c.work.join(&out)).unwrap();
        assert_eq!(back.len(), DOC);
        assert_eq!(
            blake3::hash(&back).to_hex().to_string(),
            hashes[d],
            "document {d}"
        );
    }
}

/// `export fhir --cgm-ig`: every reading its own Observation in the HL7 CGM guide's form
/// (its sensor-reading profile, category laboratory, UCUM; Low and High with their
/// comparator), and Carnet takes it back into the same day blocks.
#[test]
fn a_series_exports_one_observation_per_reading_in_the_cgm_guides_form() {
    let start = 1_704_067_200i64; // 2024-01-01T00:00:00Z
    let mut csv = String::from(DEXCOM_HEADER);
    let mut want: Vec<Point> = Vec::new();
    for i in 0..10 * 288i64 {
        if i % 500 == 0 {
            continue;
        }
        let t = start + i * 300;
        let (cell, point) = match i % 288 {
            36 => ("Low".to_string(), (t, 40.0, -1)),
            180 => ("High".to_string(), (t, 400.0, 1)),
            _ => {
                let v = (70 + (i * 31) % 200) as f64;
                (format!("{v}"), (t, v, 0))
            }
        };
        csv.push_str(&dexcom_row(i, t, &cell));
        want.push(point);
    }
    let a = Carnet::patient();
    let csv_path = a.work.join("ten-days.csv");
    std::fs::write(&csv_path, &csv).unwrap();
    let r = a.json(&[
        "import",
        "csv",
        s(&csv_path),
        "--format",
        "dexcom",
        "--tz",
        "UTC",
    ]);
    let blocks = r["series_blocks"].as_u64().unwrap();
    let out = a.work.join("cgm-ig.json");
    a.json(&["export", "fhir", "--cgm-ig", "--out", s(&out)]);
    let bytes = std::fs::read(&out).unwrap();
    if let Ok(dir) = std::env::var("CARNET_EXPORT_DIR") {
        std::fs::write(Path::new(&dir).join("dense-series-cgm-ig.json"), &bytes).unwrap();
    }
    let doc: Value = serde_json::from_slice(&bytes).unwrap();
    let obs: Vec<&Value> = doc["entry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["resource"])
        .filter(|r| r["resourceType"] == "Observation")
        .collect();
    assert_eq!(obs.len(), want.len(), "one Observation per reading");
    for o in &obs {
        assert_eq!(
            o["meta"]["profile"][0],
            "http://hl7.org/fhir/uv/cgm/StructureDefinition/cgm-sensor-reading-mass-per-volume"
        );
        assert_eq!(o["code"]["coding"][0]["code"], "99504-3");
        assert_eq!(o["category"][0]["coding"][0]["code"], "laboratory");
        assert!(o["effectiveDateTime"].is_string() && o["valueSampledData"].is_null());
        assert_eq!(o["valueQuantity"]["code"], "mg/dL");
    }
    let comparators = |c: &str| {
        obs.iter()
            .filter(|o| o["valueQuantity"]["comparator"] == c)
            .count()
    };
    assert_eq!(comparators("<"), want.iter().filter(|p| p.2 < 0).count());
    assert_eq!(comparators(">"), want.iter().filter(|p| p.2 > 0).count());
    assert_eq!(readings_of_bundle(&bytes), want);

    // Back into another vault: the same day blocks, the same readings.
    let b = Carnet::patient();
    let r = b.json(&["import", "fhir", s(&out)]);
    assert_eq!(r["series_blocks"].as_u64().unwrap(), blocks, "{r}");
    let out_b = b.work.join("back.json");
    b.json(&["export", "fhir", "--out", s(&out_b)]);
    assert_eq!(readings_of_bundle(&std::fs::read(&out_b).unwrap()), want);
}
