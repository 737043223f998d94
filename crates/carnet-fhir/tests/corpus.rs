//! Issue 15, point 5: a corpus of real FHIR documents, each imported with assertions on
//! what is kept, not only "no error". 47 bundles from `tests/fixtures/fhir` (sources and
//! licenses in `tests/fixtures/README.md`): IPS documents written by vendors and
//! countries for HL7 and GDHP connectathons (Argentina, Austria, Australia, Brazil,
//! Canada, Switzerland, Cyprus, Germany, Denmark, the EU, Hong Kong, the Netherlands, New
//! Zealand, Taiwan, the UK, the US: Epic, MEDITECH, Dynamic Health IT, VeroSource...), the
//! IPS guide's own examples, Synthea and US Core bundles.
//!
//! Three layers of checks per file:
//! - the number of entries kept per section, and for files Carnet refuses by default, the
//!   stated reason, then what `--skip-invalid` keeps (`CORPUS`);
//! - against an independent reading of the same JSON (a plain walk of `serde_json`
//!   values written here, sharing nothing with the importer): every resource of the file
//!   is accounted for (kept or counted as skipped, by type), and nothing kept is invented
//!   (each code, date and number kept is in the file);
//! - concrete values of a few files (a code, a date, a dose, a status).

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use carnet_fhir::{
    Import, Item, ReadOptions, RecordEntry, RecordExport, export_bundle, read_bundle_with,
};
use carnet_record::{Entry, ImmunizationStatus, MedicationStatus, SectionId, systems};
use serde_json::Value;

fn fixture(rel: &str) -> Vec<u8> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/fhir")
        .join(rel);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn options(skip_invalid: bool, patient_ref: Option<&str>) -> ReadOptions {
    ReadOptions {
        skip_invalid,
        patient_ref: patient_ref.map(str::to_string),
        now: Some("2026-11-30T12:00:00Z".parse().unwrap()),
        ..ReadOptions::default()
    }
}

fn import(rel: &str, skip_invalid: bool) -> Import {
    read_bundle_with(&fixture(rel), &options(skip_invalid, None), &mut |_, _| {})
        .unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// Entries kept per section: profile, allergies, conditions (problems, procedures),
/// medications, immunizations, measurements (entries and reading sets), documents.
fn kept(imp: &Import) -> [usize; 7] {
    let mut c = [0; 7];
    for m in &imp.items {
        let i = match &m.item {
            Item::Entry(e) => match e.section() {
                SectionId::Profile => 0,
                SectionId::Allergies => 1,
                SectionId::Conditions => 2,
                SectionId::Medications => 3,
                SectionId::Immunizations => 4,
                SectionId::Measurements => 5,
                other => panic!("an entry of section {other:?} from a bundle"),
            },
            Item::Readings(_) | Item::Censored { .. } => 5,
            Item::Document(_) => 6,
        };
        c[i] += 1;
    }
    c
}

/// (file, refused by default with this reason, or "" when it imports as it is; entries
/// kept per section as in [`kept`], by default or with `--skip-invalid` when refused).
const CORPUS: &[(&str, &str, [usize; 7])] = &[
    (
        "ips-connectathon/AR_Repository_Example_01.json",
        "entry 1 (Patient/IPS-examples-Patient-01): active must be true or false without quotes, not the string \"true\"",
        [0, 1, 1, 1, 0, 0, 0],
    ),
    (
        "ips-connectathon/AT_ELGA_GmbH_01.json",
        "",
        [1, 1, 5, 7, 3, 62, 0],
    ),
    (
        "ips-connectathon/AU-example-sparked.json",
        "",
        [1, 1, 2, 4, 6, 2, 0],
    ),
    (
        "ips-connectathon/BR_may2024_connectathon.json",
        "",
        [0, 0, 23, 3, 1, 1, 0],
    ),
    (
        "ips-connectathon/Bundle-NZPSNoClinicalInfoBundle.json",
        "",
        [1, 1, 1, 1, 0, 0, 0],
    ),
    (
        "ips-connectathon/Bundle-aups-gpvisit-retrieval.json",
        "",
        [1, 1, 7, 7, 3, 12, 0],
    ),
    (
        "ips-connectathon/Bundle-aups-noknownx.json",
        "",
        [1, 1, 1, 1, 0, 0, 0],
    ),
    (
        "ips-connectathon/CA-IPS-Bundle1Example.json",
        "",
        [1, 1, 1, 1, 0, 0, 0],
    ),
    (
        "ips-connectathon/CA_Bundle_FullsomeScenario1.json",
        "",
        [1, 2, 18, 8, 0, 5, 0],
    ),
    (
        "ips-connectathon/CA_PuraJuniper_01.json",
        "",
        [1, 0, 13, 3, 0, 84, 0],
    ),
    (
        "ips-connectathon/CA_VeroSource_buddy_bear.json",
        "entry 2 (Immunization): meta.versionId \"1313.2022-12-16T18:10:14Z\" is not a valid id",
        [1, 0, 0, 0, 18, 5, 0],
    ),
    (
        "ips-connectathon/CA_verosource_ips_uwashington_patient_14599.json",
        "",
        [1, 0, 3, 1, 16, 1, 0],
    ),
    (
        "ips-connectathon/CH_HL7CH_Examples_01.json",
        "",
        [1, 1, 1, 2, 1, 0, 0],
    ),
    ("ips-connectathon/CY_Peroni.json", "", [1, 1, 4, 2, 2, 0, 0]),
    (
        "ips-connectathon/DE_no_info_with_Advance_Directive.json",
        "",
        [1, 0, 0, 0, 0, 0, 0],
    ),
    (
        "ips-connectathon/DK_Jens_Villadsen_01.json",
        "",
        [1, 1, 3, 3, 0, 0, 0],
    ),
    (
        "ips-connectathon/EU_Giorgio_Cangioli_01.json",
        "",
        [1, 1, 3, 3, 0, 0, 0],
    ),
    (
        "ips-connectathon/EU_Giorgio_Cangioli_03.json",
        "",
        [1, 1, 7, 12, 0, 0, 0],
    ),
    (
        "ips-connectathon/EU_IPS_wylem_bars.json",
        "",
        [1, 0, 16, 0, 22, 88, 0],
    ),
    (
        "ips-connectathon/HK_IPS_Sample1.json",
        "",
        [1, 2, 1, 0, 0, 0, 0],
    ),
    (
        "ips-connectathon/HK_IPS_Sample_with_medication.json",
        "entry 6 (MedicationStatement/MedicationStatement-00001): dosage[0].doseAndRate[0].rate is not an R4 element of Dosage_DoseAndRate",
        [1, 2, 1, 0, 0, 0, 0],
    ),
    (
        "ips-connectathon/IPS_IG-bundle-01.json",
        "",
        [1, 2, 2, 2, 0, 6, 0],
    ),
    (
        "ips-connectathon/NL_Curavista_01.json",
        "",
        [1, 2, 3, 2, 0, 3, 0],
    ),
    (
        "ips-connectathon/NL_Drimpy_01.json",
        "entry 2 (AllergyIntolerance/c1956d64-9547-4248-a701-9016e1f5ce40): _clinicalStatus is not an R4 element of AllergyIntolerance; did you mean clinicalStatus?",
        [1, 0, 0, 0, 0, 19, 0],
    ),
    (
        "ips-connectathon/NZ_Peter_Jordan_AAA1234.json",
        "",
        [1, 0, 0, 0, 2, 0, 0],
    ),
    (
        "ips-connectathon/NZ_Peter_Jordan_NNJ9186.json",
        "",
        [1, 1, 2, 3, 8, 70, 0],
    ),
    (
        "ips-connectathon/TW_Li-Hui_Lee_01-modified.json",
        "",
        [1, 0, 0, 0, 1, 0, 0],
    ),
    (
        "ips-connectathon/UK_NHSx_IPS_Example_01-modified.json",
        "",
        [1, 1, 4, 4, 0, 0, 0],
    ),
    (
        "ips-connectathon/US_Dynamic_Health_IT_Happy_Kid_FHIR_Bundle-IPS.json",
        "",
        [1, 2, 2, 3, 2, 5, 0],
    ),
    (
        "ips-connectathon/US_Epic_connectathon_May2024.json",
        "",
        [1, 3, 4, 2, 3, 0, 0],
    ),
    (
        "ips-connectathon/US_Interoperability_Institute_Louis_Daniel_Saunders-IPS.json",
        "",
        [1, 0, 5, 0, 0, 9, 0],
    ),
    (
        "ips-connectathon/US_MEDITECH_ips_3.json",
        "",
        [1, 2, 10, 7, 0, 0, 0],
    ),
    (
        "ips-connectathon/US_Washington_GDHP.json",
        "",
        [1, 0, 3, 1, 16, 1, 0],
    ),
    (
        "ips-connectathon/US_ePatientDave_medStatements_original_noNarrative.json",
        "",
        [1, 0, 37, 35, 0, 0, 0],
    ),
    ("ips/bundle-minimal.json", "", [1, 1, 1, 1, 0, 0, 0]),
    (
        "ips/bundle-no-info-required-sections.json",
        "",
        [1, 0, 0, 0, 2, 0, 0],
    ),
    (
        "synthea/gfdp_Bob965_Keeling57_3f6fd0bb-6cd3-eb3f-4401-cd38ace25f2b.json",
        "",
        [1, 0, 0, 0, 46, 30, 64],
    ),
    (
        "synthea/gfdp_Curt84_Volkman526_bfe6ec8e-be59-6b39-507a-133f92b8d117.json",
        "",
        [1, 0, 1, 0, 36, 1085, 300],
    ),
    (
        "synthea/gfdp_Lawerence6_Baumbach677_ea8d2576-4a23-4906-c353-bfed5adb23bd.json",
        "",
        [1, 0, 4, 2, 63, 837, 184],
    ),
    (
        "synthea/smart_Clemente_Kreiger_1484a42d-0eaf-4654-9cbf-6b050a5cd73b.json",
        "",
        [1, 0, 2, 0, 4, 48, 0],
    ),
    (
        "synthea/smart_Juliette_Padberg_4acd4ca8-d54b-47f4-bd13-051276711265.json",
        "",
        [1, 2, 255, 5, 8, 50, 0],
    ),
    (
        "synthea/smart_Vito_Feeney_63dd4423-56ec-4f40-9dd6-82bc133aaddc.json",
        "",
        [1, 0, 43, 4, 11, 869, 0],
    ),
    (
        "uscore/inferno_pdex_bundle_patient_999.json",
        "",
        [1, 1, 3, 1, 1, 2, 1],
    ),
    (
        "uscore/inferno_uscore_bundle_patient_355.json",
        "entry 266 (Observation/3c766796-d8a0-480f-8215-f1e7e3afab21): effectivePeriod.stop is not an R4 element of Period; did you mean effectivePeriod.end?",
        [1, 8, 51, 20, 20, 129, 39],
    ),
    (
        "uscore/inferno_uscore_bundle_patient_85.json",
        "",
        [1, 0, 33, 13, 20, 63, 43],
    ),
];

/// Bundles about several patients: refused by default, naming them; then one is chosen.
/// (file, how many patients, the one chosen, entries kept per section for it).
const MULTI: &[(&str, usize, &str, [usize; 7])] = &[
    (
        "ips-connectathon/CY_194315.json",
        2,
        "Patient/194315",
        [1, 5, 13, 5, 10, 52, 0],
    ),
    (
        "ips-connectathon/CY_Andreas_Ioannou_01.json",
        10,
        "Patient/11463",
        [1, 0, 0, 0, 0, 0, 0],
    ),
];

// ---- The independent reading: plain JSON walks, nothing from the importer. ----

/// Every resource of a bundle, bundles inside it opened in their place.
fn resources(bundle: &Value) -> Vec<&Value> {
    let mut out = Vec::new();
    for e in bundle["entry"].as_array().into_iter().flatten() {
        let r = &e["resource"];
        if r["resourceType"] == "Bundle" {
            out.extend(resources(r));
        } else if r.is_object() {
            out.push(r);
        }
    }
    out
}

/// Every (system, code) pair written anywhere in the file.
fn codings(v: &Value, out: &mut BTreeSet<(String, String)>) {
    match v {
        Value::Object(o) => {
            if let (Some(Value::String(s)), Some(Value::String(c))) =
                (o.get("system"), o.get("code"))
            {
                out.insert((s.clone(), c.clone()));
            }
            o.values().for_each(|x| codings(x, out));
        }
        Value::Array(a) => a.iter().for_each(|x| codings(x, out)),
        _ => {}
    }
}

/// Every string and every number written anywhere in the file.
fn scalars(v: &Value, strings: &mut BTreeSet<String>, numbers: &mut Vec<f64>) {
    match v {
        Value::Object(o) => o.values().for_each(|x| scalars(x, strings, numbers)),
        Value::Array(a) => a.iter().for_each(|x| scalars(x, strings, numbers)),
        Value::String(s) => {
            strings.insert(s.clone());
        }
        Value::Number(n) => numbers.push(n.as_f64().unwrap()),
        _ => {}
    }
}

/// Every resource of the file is kept or counted as skipped, by type: none is lost.
fn accounted(rel: &str, json: &Value, imp: &Import) {
    let mut in_file: BTreeMap<String, usize> = BTreeMap::new();
    for r in resources(json) {
        *in_file
            .entry(r["resourceType"].as_str().unwrap().to_string())
            .or_default() += 1;
    }
    let mut seen: BTreeMap<String, usize> = imp.skipped.clone();
    let mut labels: BTreeMap<String, usize> = BTreeMap::new();
    for m in &imp.items {
        *labels.entry(m.label.clone()).or_default() += 1;
    }
    // Readings joined into one set come from many Observations: count the readings.
    for m in &imp.items {
        if let Item::Readings(set) | Item::Censored { set, .. } = &m.item {
            *labels.get_mut(&m.label).unwrap() += set.readings.len() - 1;
        }
    }
    for (t, n) in labels {
        *seen.entry(t).or_default() += n;
    }
    assert_eq!(
        seen, in_file,
        "{rel}: resources kept or skipped, by type, against the file"
    );
}

/// Nothing kept is invented: each code is a coding of the file (or words of it), each
/// date a prefix of a date of the file, each number a number of the file.
fn not_invented(rel: &str, json: &Value, imp: &Import) {
    let mut codes = BTreeSet::new();
    codings(json, &mut codes);
    let (mut strings, mut numbers) = (BTreeSet::new(), Vec::new());
    scalars(json, &mut strings, &mut numbers);
    let has_code = |c: &carnet_record::Code| {
        if c.system == systems::TEXT {
            assert!(
                strings.contains(&c.code),
                "{rel}: words {:?} not in the file",
                c.code
            );
        } else {
            assert!(
                codes.contains(&(c.system.clone(), c.code.clone())),
                "{rel}: code {}|{} not in the file",
                c.system,
                c.code
            );
        }
    };
    let has_date = |d: &str| {
        assert!(
            strings.iter().any(|s| s.starts_with(d)),
            "{rel}: date {d} not in the file"
        );
    };
    let has_number = |v: f64| {
        assert!(
            numbers.iter().any(|n| (n - v).abs() < 1e-9),
            "{rel}: value {v} not in the file"
        );
    };
    for m in &imp.items {
        let Item::Entry(e) = &m.item else { continue };
        match e {
            Entry::Allergy(a) => a.code.iter().for_each(has_code),
            Entry::Condition(c) => {
                c.code.iter().for_each(has_code);
                c.onset.iter().for_each(|d| has_date(d.as_str()));
            }
            Entry::Medication(x) => {
                x.code.iter().for_each(has_code);
                x.start.iter().for_each(|d| has_date(d.as_str()));
            }
            Entry::Immunization(i) => {
                i.code.iter().for_each(has_code);
                i.date.iter().for_each(|d| has_date(d.as_str()));
            }
            Entry::Procedure(p) => p.code.iter().for_each(has_code),
            Entry::Measurement(x) => {
                has_code(&x.kind);
                has_date(x.at.as_str().get(..10).unwrap_or(x.at.as_str()));
                x.value.iter().for_each(|v| has_number(*v));
                for c in &x.components {
                    has_code(&c.code);
                    has_number(c.value);
                }
            }
            _ => {}
        }
    }
}

#[test]
fn every_corpus_bundle_keeps_what_it_says() {
    assert!(
        CORPUS.len() + MULTI.len() >= 40,
        "issue 15: at least 40 FHIR documents"
    );
    for (rel, refused, expect) in CORPUS {
        let bytes = fixture(rel);
        let json: Value = serde_json::from_slice(&bytes).unwrap();
        let default = read_bundle_with(&bytes, &options(false, None), &mut |_, _| {});
        let imp = if refused.is_empty() {
            default.unwrap_or_else(|e| panic!("{rel}: {e}"))
        } else {
            let e = default
                .err()
                .unwrap_or_else(|| panic!("{rel}: imported, expected refused"));
            let msg = e.to_string();
            assert!(
                msg.contains("is not valid FHIR R4") && msg.contains("nothing was imported"),
                "{rel}: {msg}"
            );
            assert!(msg.contains(refused), "{rel}: {msg}");
            import(rel, true)
        };
        assert_eq!(&kept(&imp), expect, "{rel}: entries kept per section");
        accounted(rel, &json, &imp);
        not_invented(rel, &json, &imp);
        exported(rel, &imp);
    }
}

/// What was kept exports again, one resource per entry (for the project's validator:
/// `CARNET_EXPORT_DIR=dir cargo test -p carnet-fhir --test corpus`, then
/// `validate_fhir.py dir/*.json`).
fn exported(rel: &str, imp: &Import) {
    let entries = all(imp);
    let input = RecordExport {
        record_id: "corpus".into(),
        patient_name: "Corpus".into(),
        entries: entries
            .iter()
            .enumerate()
            .map(|(i, e)| RecordEntry {
                id: format!("e{i}"),
                created: "2026-01-01T00:00:00Z".parse().unwrap(),
                entry: e.clone(),
                attachment: None,
            })
            .collect(),
        now: "2026-11-30T12:00:00Z".parse().unwrap(),
        per_reading: false,
    };
    let b = export_bundle(&input)
        .unwrap_or_else(|e| panic!("{rel}: export: {e}"))
        .bundle;
    let n = b["entry"].as_array().map_or(0, Vec::len);
    let profiles = entries
        .iter()
        .filter(|e| matches!(e, Entry::Profile(_)))
        .count();
    // The Patient is written once whatever the profile; every other entry is a resource.
    assert_eq!(n, entries.len() - profiles + 1, "{rel}: exported resources");
    if let Ok(dir) = std::env::var("CARNET_EXPORT_DIR") {
        let name = rel.replace('/', "_");
        std::fs::write(format!("{dir}/{name}"), b.to_string()).unwrap();
    }
}

#[test]
fn bundles_about_several_patients_are_refused_then_one_is_chosen() {
    for (rel, n, chosen, expect) in MULTI {
        let bytes = fixture(rel);
        let e = read_bundle_with(&bytes, &options(false, None), &mut |_, _| {}).unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.contains(&format!("the bundle is about {n} patients"))
                && msg.contains("Choose one of them")
                && matches!(e, carnet_fhir::FhirError::SeveralPatients(_)),
            "{rel}: {msg}"
        );
        // --skip-invalid does not lift it: which person is a choice, not a defect.
        assert!(read_bundle_with(&bytes, &options(true, None), &mut |_, _| {}).is_err());
        let imp = read_bundle_with(&bytes, &options(false, Some(chosen)), &mut |_, _| {})
            .unwrap_or_else(|e| panic!("{rel}: {e}"));
        assert_eq!(imp.patient.as_ref().unwrap().reference, *chosen, "{rel}");
        assert_eq!(&kept(&imp), expect, "{rel}: entries kept for {chosen}");
        let json: Value = serde_json::from_slice(&bytes).unwrap();
        accounted(rel, &json, &imp);
        not_invented(rel, &json, &imp);
    }
}

fn all(imp: &Import) -> Vec<Entry> {
    imp.items
        .iter()
        .filter_map(|m| match &m.item {
            Item::Entry(e) => Some(e.clone()),
            _ => None,
        })
        .collect()
}

fn medications(imp: &Import) -> Vec<carnet_record::Medication> {
    all(imp)
        .into_iter()
        .filter_map(|e| match e {
            Entry::Medication(m) => Some(m),
            _ => None,
        })
        .collect()
}

fn measurement(imp: &Import, loinc: &str) -> carnet_record::Measurement {
    all(imp)
        .into_iter()
        .find_map(|e| match e {
            Entry::Measurement(m) if m.kind.code == loinc => Some(m),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no {loinc}"))
}

#[test]
fn concrete_values_of_the_corpus_are_kept_as_written() {
    // Austria (ELGA): all 7 medicines are `status: unknown` (issue 15, item 4): kept so,
    // with the code of the Medication they refer to and the period of the statement.
    let at = import("ips-connectathon/AT_ELGA_GmbH_01.json", false);
    let meds = medications(&at);
    assert_eq!(meds.len(), 7);
    assert!(meds.iter().all(|m| m.status == MedicationStatus::Unknown));
    assert_eq!(
        meds.iter()
            .filter(|m| m.code.as_ref().unwrap().code == "1255446")
            .count(),
        6,
        "ASPIRIN TBL 500MG (urn:oid:1.2.40.0.34.4.16|1255446)"
    );
    assert!(meds.iter().any(
        |m| m.start.as_ref().map(|d| d.as_str()) == Some("2014-05-05")
            && m.end.as_ref().map(|d| d.as_str()) == Some("2014-05-10")
    ));
    let wbc = measurement(&at, "26464-8");
    assert_eq!((wbc.value, wbc.unit.as_str()), (Some(26.0), "10*9/L"));
    assert_eq!(wbc.at.as_str(), "2016-12-01T07:34:06+01:00");
    assert_eq!(
        (wbc.reference_range[0].low, wbc.reference_range[0].high),
        (Some(4.0), Some(10.0))
    );
    assert!(all(&at).iter().any(|e| matches!(e, Entry::Condition(c)
        if c.name == "Röteln" && c.onset.as_ref().unwrap().as_str() == "2016-03")));

    // Australia (Sparked): dosage text and a year-only start kept as given.
    let au = import("ips-connectathon/AU-example-sparked.json", false);
    let metformin = medications(&au)
        .into_iter()
        .find(|m| m.name == "Metformin")
        .unwrap();
    assert_eq!(metformin.dosage.as_deref(), Some("500mg twice daily"));
    assert_eq!(metformin.start.unwrap().as_str(), "2024");
    assert!(
        medications(&au)
            .iter()
            .any(|m| m.name == "Insulin (Humulin N)" && m.code.is_none())
    );

    // US (Epic): the high-criticality penicillin allergy with its reactions.
    let epic = import("ips-connectathon/US_Epic_connectathon_May2024.json", false);
    let pen = all(&epic)
        .into_iter()
        .find_map(|e| match e {
            Entry::Allergy(a) if a.substance == "PENICILLINS" => Some(a),
            _ => None,
        })
        .unwrap();
    assert_eq!(pen.criticality, Some(carnet_record::Criticality::High));
    assert_eq!(pen.reaction.as_deref(), Some("Hives; Shortness of Breath"));
    assert!(all(&epic).iter().any(|e| matches!(e, Entry::Condition(c)
        if c.name == "Peritonitis" && c.abatement.as_ref().unwrap().as_str() == "2024-05-10")));

    // New Zealand: a stopped medicine stays stopped; lab values in their unit and time.
    let nz = import("ips-connectathon/NZ_Peter_Jordan_NNJ9186.json", false);
    let cil = medications(&nz)
        .into_iter()
        .find(|m| m.name.starts_with("cilazapril"))
        .unwrap();
    assert_eq!(
        (cil.status, cil.dosage.as_deref()),
        (MedicationStatus::Stopped, Some("Take 1 daily"))
    );
    let ldl = measurement(&nz, "39469-2");
    assert_eq!(
        (ldl.value, ldl.unit.as_str(), ldl.at.as_str()),
        (Some(3.6), "mmol/L", "2023-10-31T15:06:00Z")
    );
    assert!(all(&nz).iter().any(|e| matches!(e, Entry::Immunization(i)
        if i.code.as_ref().unwrap().code == "300" && i.date.as_ref().unwrap().as_str() == "2024-02-18")));

    // Canada (VeroSource): RxNorm code and dose; CVX vaccines with their dates.
    let ca = import(
        "ips-connectathon/CA_verosource_ips_uwashington_patient_14599.json",
        false,
    );
    let ator = &medications(&ca)[0];
    assert_eq!(
        (
            ator.code.as_ref().unwrap().code.as_str(),
            ator.dosage.as_deref()
        ),
        ("617311", Some("40 mg/day"))
    );
    let yf = all(&ca)
        .into_iter()
        .find_map(|e| match e {
            Entry::Immunization(i) if i.code.as_ref().unwrap().code == "37" => Some(i),
            _ => None,
        })
        .unwrap();
    assert_eq!(
        (yf.date.unwrap().as_str(), yf.lot.as_deref(), yf.status),
        ("2008-11-21", Some("UF426AA"), ImmunizationStatus::Completed)
    );

    // Refused files, read with --skip-invalid: what is left out is listed with why, and
    // defects only in what Carnet does not keep cost nothing.
    let hk = import("ips-connectathon/HK_IPS_Sample_with_medication.json", true);
    assert!(hk.reasons.keys().any(|r| r.starts_with("MedicationStatement: entry 6 (MedicationStatement/MedicationStatement-00001) is not valid FHIR R4 and was left out")));
    let bear = import("ips-connectathon/CA_VeroSource_buddy_bear.json", true);
    assert_eq!(
        bear.reasons
            .iter()
            .filter(|(r, _)| r.contains("imported with a defect in what Carnet does not keep"))
            .map(|(_, n)| n)
            .sum::<usize>(),
        18,
        "the 18 immunizations with a ':' in meta.versionId are kept"
    );
    let uscore = import("uscore/inferno_uscore_bundle_patient_355.json", true);
    assert!(
        uscore
            .reasons
            .keys()
            .any(|r| r.contains("entry 266") && r.contains("effectivePeriod.stop"))
    );
}

fn none_known(imp: &Import) -> Vec<SectionId> {
    all(imp)
        .into_iter()
        .filter_map(|e| match e {
            Entry::NoneKnown(n) => Some(n.section),
            _ => None,
        })
        .collect()
}

#[test]
fn whole_section_no_known_codes_are_none_known_and_narrower_ones_keep_their_scope() {
    // Australia (AU PS "no known X" example): SNOMED CT 716186003 No known allergy,
    // 787481004 No known medications, 160245001 No current problems or disability: the
    // record's explicit "none known" for each whole section, not an allergy, a medicine
    // and a problem of those names.
    let au = import("ips-connectathon/Bundle-aups-noknownx.json", false);
    let mut sections = none_known(&au);
    sections.sort_by_key(|s| s.as_str());
    assert_eq!(
        sections,
        [
            SectionId::Allergies,
            SectionId::Conditions,
            SectionId::Medications
        ]
    );
    assert!(all(&au).iter().all(|e| !matches!(
        e,
        Entry::Allergy(_) | Entry::Medication(_) | Entry::Condition(_)
    )));
    // The same SNOMED code beside real data (Sparked, NZ PS, AU PS GP visit).
    for rel in [
        "ips-connectathon/AU-example-sparked.json",
        "ips-connectathon/NZ_Peter_Jordan_NNJ9186.json",
        "ips-connectathon/Bundle-aups-gpvisit-retrieval.json",
    ] {
        let imp = import(rel, false);
        assert_eq!(none_known(&imp), [SectionId::Allergies], "{rel}");
        assert!(
            all(&imp).iter().all(|e| !matches!(e, Entry::Allergy(a)
                if a.code.as_ref().is_some_and(|c| c.code == "716186003"))),
            "{rel}: no allergy named \"No known allergy\""
        );
    }
    // The IPS code for the whole section (Cyprus).
    let cy = import("ips-connectathon/CY_Peroni.json", false);
    assert_eq!(none_known(&cy), [SectionId::Allergies]);

    // Issue 15, item 5: the IPS guide's bundle-01 says "No known food allergy" (SNOMED
    // 429625007) beside a penicillin allergy: kept with that code and scope, never as
    // "no known allergies", in the record or in its IPS export.
    let ig = import("ips-connectathon/IPS_IG-bundle-01.json", false);
    assert!(none_known(&ig).is_empty());
    let food = all(&ig)
        .into_iter()
        .find_map(|e| match e {
            Entry::Allergy(a) if a.code.as_ref().is_some_and(|c| c.code == "429625007") => Some(a),
            _ => None,
        })
        .expect("the food statement kept");
    assert_eq!(food.substance, "No known food allergy (situation)");
    let ips = carnet_fhir::export_ips(&record(&ig))
        .unwrap()
        .bundle
        .to_string();
    assert!(ips.contains("429625007"));
    assert!(!ips.contains("no-known-allergies"), "never widened");

    // "No information" (IPS no-allergy-info, no-medication-info, no-problem-info) says
    // nothing: not "none known", counted as skipped with why.
    for rel in [
        "ips-connectathon/BR_may2024_connectathon.json",
        "ips-connectathon/EU_IPS_wylem_bars.json",
        "ips-connectathon/NZ_Peter_Jordan_AAA1234.json",
    ] {
        let imp = import(rel, false);
        assert!(none_known(&imp).is_empty(), "{rel}");
        assert!(
            imp.reasons
                .keys()
                .any(|r| r.contains("\"no information\" (nothing to keep)")),
            "{rel}: {:?}",
            imp.reasons
        );
    }
}

fn record(imp: &Import) -> RecordExport {
    RecordExport {
        record_id: "corpus".into(),
        patient_name: "Corpus".into(),
        entries: all(imp)
            .into_iter()
            .enumerate()
            .map(|(i, e)| RecordEntry {
                id: format!("e{i}"),
                created: "2026-01-01T00:00:00Z".parse().unwrap(),
                entry: e,
                attachment: None,
            })
            .collect(),
        now: "2026-11-30T12:00:00Z".parse().unwrap(),
        per_reading: false,
    }
}

#[test]
fn reasons_and_doses_are_kept_as_the_source_says() {
    // US (MEDITECH): three MedicationRequests `cancelled` with statusReason "Cancelled by
    // PHABKGJOB": kept stopped, with the reason, and exported with it.
    let us = import("ips-connectathon/US_MEDITECH_ips_3.json", false);
    let cancelled: Vec<_> = medications(&us)
        .into_iter()
        .filter(|m| m.status_reason.is_some())
        .collect();
    assert_eq!(cancelled.len(), 3);
    for m in &cancelled {
        assert_eq!(
            (m.status, m.status_reason.as_deref()),
            (MedicationStatus::Stopped, Some("Cancelled by PHABKGJOB")),
            "{}",
            m.name
        );
    }
    let out = export_bundle(&record(&us)).unwrap().bundle;
    let reasons = out["entry"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["resource"]["statusReason"][0]["text"] == "Cancelled by PHABKGJOB")
        .count();
    assert_eq!(reasons, 3);

    // Austria (ELGA): doses without a unit, timings with a period and no frequency. What
    // the source says, no unit invented: "4 (no unit given), once every 1 d", not "4".
    let at = import("ips-connectathon/AT_ELGA_GmbH_01.json", false);
    let mut doses: Vec<String> = medications(&at)
        .into_iter()
        .filter_map(|m| m.dosage)
        .collect();
    doses.sort();
    assert_eq!(
        doses,
        [
            "1 (no unit given), once every 3 d",
            "10 (no unit given), once every 2 wk",
            "2 mL, once every 1 d",
            "2 mL, once every 1 d",
            "4 (no unit given), once every 1 d",
        ]
    );
}
