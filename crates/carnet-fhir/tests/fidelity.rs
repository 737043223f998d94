//! Issue 15, clinical fidelity: what a source says is kept as it says it and exported back
//! (identifiers, allergy onsets, words-only codes, "not done" statements, vaccinations
//! without a date, reference ranges and interpretations). Real files from
//! `tests/fixtures/fhir` (see its README for sources and licenses) where they hold the
//! case; faithful fixtures written here where none does.

use std::path::PathBuf;

use carnet_fhir::{
    Import, Item, PatientIdentity, ReadOptions, RecordEntry, RecordExport, export_bundle,
    read_bundle_with,
};
use carnet_record::{
    DateTime, Entry, ImmunizationStatus, MedicationStatus, Onset, ProcedureStatus, Profile, systems,
};
use serde_json::{Value, json};

fn fixture(rel: &str) -> Vec<u8> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/fhir")
        .join(rel);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn read(bytes: &[u8], skip_invalid: bool) -> Import {
    let opts = ReadOptions {
        skip_invalid,
        now: Some("2026-11-30T12:00:00Z".parse().unwrap()),
        ..ReadOptions::default()
    };
    read_bundle_with(bytes, &opts, &mut |_, _| {}).unwrap()
}

fn bundle(resources: Vec<Value>) -> Vec<u8> {
    let entries: Vec<Value> = resources
        .into_iter()
        .map(|r| json!({"resource": r}))
        .collect();
    serde_json::to_vec(&json!({"resourceType": "Bundle", "type": "collection", "entry": entries}))
        .unwrap()
}

fn entries(imp: &Import) -> Vec<Entry> {
    imp.items
        .iter()
        .filter_map(|m| match &m.item {
            Item::Entry(e) => Some(e.clone()),
            _ => None,
        })
        .collect()
}

/// Exports entries as Carnet would, and returns the exported resources.
fn export(entries: &[Entry]) -> Vec<Value> {
    let input = RecordExport {
        record_id: "fidelity".into(),
        patient_name: "Test".into(),
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
        now: "2026-11-30T12:00:00Z".parse::<DateTime>().unwrap(),
        per_reading: false,
    };
    let b = export_bundle(&input).unwrap().bundle;
    // For the FHIR validator: CARNET_EXPORT_DIR=dir cargo test ..., then
    // validate_fhir.py dir/*.json (see tests/fixtures/README.md).
    if let Ok(dir) = std::env::var("CARNET_EXPORT_DIR") {
        let name = blake3::hash(b.to_string().as_bytes()).to_hex();
        std::fs::write(format!("{dir}/{}.json", &name[..12]), b.to_string()).unwrap();
    }
    b["entry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["resource"].clone())
        .collect()
}

/// Exports, then imports the export: what comes back.
fn round_trip(es: &[Entry]) -> Vec<Entry> {
    let resources = export(es);
    entries(&read(&bundle(resources), false))
        .into_iter()
        .filter(|e| !matches!(e, Entry::Profile(_)))
        .collect()
}

fn profile(imp: &Import) -> Profile {
    entries(imp)
        .into_iter()
        .find_map(|e| match e {
            Entry::Profile(p) => Some(p),
            _ => None,
        })
        .expect("a profile")
}

fn patient_of(bytes: &[u8]) -> PatientIdentity {
    read(bytes, false).patient.expect("a patient")
}

const CLEMENTE: &str = "synthea/smart_Clemente_Kreiger_1484a42d-0eaf-4654-9cbf-6b050a5cd73b.json";
const JULIETTE: &str = "synthea/smart_Juliette_Padberg_4acd4ca8-d54b-47f4-bd13-051276711265.json";

/// Clemente's bundle with his Patient changed by `edit`.
fn clemente_with(edit: impl Fn(&mut Value)) -> Vec<u8> {
    let mut b: Value = serde_json::from_slice(&fixture(CLEMENTE)).unwrap();
    for e in b["entry"].as_array_mut().unwrap() {
        if e["resource"]["resourceType"] == "Patient" {
            edit(&mut e["resource"]);
        }
    }
    serde_json::to_vec(&b).unwrap()
}

#[test]
fn identifiers_are_kept_on_import_and_compared() {
    let raw: Value = serde_json::from_slice(&fixture(CLEMENTE)).unwrap();
    let patient = raw["entry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["resource"])
        .find(|r| r["resourceType"] == "Patient")
        .unwrap();
    let given: Vec<(String, String)> = patient["identifier"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["system"].as_str().unwrap().to_string(),
                i["value"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(given.len() >= 4, "{given:?}");
    let me = profile(&read(&fixture(CLEMENTE), false));
    let kept: Vec<(String, String)> = me
        .identifiers
        .iter()
        .map(|i| (i.system.clone().unwrap(), i.value.clone()))
        .collect();
    assert_eq!(kept, given, "every identifier kept, in order");

    // The same bundle again: the same person.
    assert!(carnet_fhir::profile_differences(&me, &patient_of(&fixture(CLEMENTE))).is_empty());
    // Another real person: refused on every count.
    let other = carnet_fhir::profile_differences(&me, &patient_of(&fixture(JULIETTE)));
    assert!(
        other.iter().any(|w| w.contains("names differ"))
            && other.iter().any(|w| w.contains("identifiers of"))
            && other.iter().any(|w| w.contains("birth dates differ")),
        "{other:?}"
    );

    // Same name and birth date, another social security number: another person.
    let ssn = "http://hl7.org/fhir/sid/us-ssn";
    let twin = clemente_with(|p| {
        for i in p["identifier"].as_array_mut().unwrap() {
            if i["system"] == ssn {
                i["value"] = json!("999-00-0000");
            }
        }
    });
    let why = carnet_fhir::profile_differences(&me, &patient_of(&twin));
    assert_eq!(why.len(), 1, "{why:?}");
    assert!(
        why[0].contains(ssn) && why[0].contains("999-00-0000"),
        "{why:?}"
    );
    // The name-and-birth-date rule alone (no identifiers) would have let him in.
    assert!(
        carnet_fhir::differences(&me.name, me.birth_date.as_ref(), &patient_of(&twin)).is_empty()
    );

    // Another name, the same numbers: the same person (names change), unless the birth
    // date contradicts.
    let renamed = clemente_with(|p| {
        p["name"] = json!([{"use": "official", "family": "Martin", "given": ["Clemente"]}]);
    });
    assert!(carnet_fhir::profile_differences(&me, &patient_of(&renamed)).is_empty());
    let renamed_older = clemente_with(|p| {
        p["name"] = json!([{"use": "official", "family": "Martin", "given": ["Clemente"]}]);
        p["birthDate"] = json!("1901-01-01");
    });
    let why = carnet_fhir::profile_differences(&me, &patient_of(&renamed_older));
    assert!(
        why.iter().any(|w| w.contains("birth dates differ")),
        "{why:?}"
    );

    // Exported back.
    let out = export(&[Entry::Profile(me.clone())]);
    let ids = out[0]["identifier"].as_array().unwrap();
    assert_eq!(ids.len(), given.len());
    assert_eq!(ids[0]["system"], given[0].0.as_str());
    assert_eq!(
        profile(&read(&bundle(out), false)).identifiers,
        me.identifiers
    );
}

#[test]
fn allergy_onsets_are_kept_and_exported_back() {
    // The IPS example's penicillin allergy gives onsetDateTime "2010".
    let imp = read(&fixture("ips/bundle-minimal.json"), false);
    let allergy = entries(&imp)
        .into_iter()
        .find_map(|e| match e {
            Entry::Allergy(a) => Some(a),
            _ => None,
        })
        .unwrap();
    let raw: Value = serde_json::from_slice(&fixture("ips/bundle-minimal.json")).unwrap();
    let source = raw["entry"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["resource"]["resourceType"] == "AllergyIntolerance")
        .unwrap()["resource"]["onsetDateTime"]
        .as_str()
        .unwrap()
        .to_string();
    let day = source.split('T').next().unwrap();
    assert_eq!(
        allergy.onset,
        Some(Onset::Date {
            date: day.parse().unwrap()
        })
    );
    let out = export(&[Entry::Allergy(allergy.clone())]);
    assert_eq!(out[1]["onsetDateTime"], day);

    // The other forms of onset[x].
    let a = |onset: (&str, Value)| {
        let mut r = json!({"resourceType": "AllergyIntolerance", "patient": {"reference": "Patient/p"},
            "code": {"text": "Peanut"}});
        r[onset.0] = onset.1;
        r
    };
    let imp = read(
        &bundle(vec![
            a((
                "onsetAge",
                json!({"value": 3, "unit": "years", "system": "http://unitsofmeasure.org", "code": "a"}),
            )),
            a(("onsetString", json!("childhood"))),
            a((
                "onsetPeriod",
                json!({"start": "2001-05", "end": "2001-06-10"}),
            )),
        ]),
        false,
    );
    let es = entries(&imp);
    let onsets: Vec<Option<Onset>> = es
        .iter()
        .map(|e| match e {
            Entry::Allergy(a) => a.onset.clone(),
            _ => None,
        })
        .collect();
    assert_eq!(
        onsets,
        vec![
            Some(Onset::Age {
                value: 3.0,
                unit: "a".into()
            }),
            Some(Onset::Text {
                text: "childhood".into()
            }),
            Some(Onset::Period {
                start: Some("2001-05".parse().unwrap()),
                end: Some("2001-06-10".parse().unwrap())
            }),
        ]
    );
    assert!(
        es[0].summary().contains("since age 3 years"),
        "{}",
        es[0].summary()
    );
    assert_eq!(round_trip(&es), es, "exported and read back unchanged");
}

#[test]
fn words_only_codes_are_kept_and_exported_as_words() {
    let imp = read(
        &bundle(vec![
            json!({"resourceType": "Observation", "status": "final", "code": {"text": "Pain score"},
                "effectiveDateTime": "2024-03-01T10:00:00Z", "valueInteger": 4,
                "interpretation": [{"text": "moderate"}]}),
            json!({"resourceType": "Observation", "status": "final",
                "code": {"coding": [{"system": "http://loinc.org", "code": "85354-9"}]},
                "effectiveDateTime": "2024-03-01T10:00:00Z",
                "component": [
                    {"code": {"text": "Systolic, left arm"}, "valueQuantity": {"value": 131, "system": "http://unitsofmeasure.org", "code": "mm[Hg]"}},
                    {"code": {"coding": [{"system": "http://loinc.org", "code": "8462-4"}]}, "valueQuantity": {"value": 84, "system": "http://unitsofmeasure.org", "code": "mm[Hg]"}}]}),
        ]),
        false,
    );
    let es = entries(&imp);
    assert_eq!(es.len(), 2, "{:?}", imp.reasons);
    let Entry::Measurement(m) = &es[0] else {
        panic!()
    };
    assert_eq!(
        (m.kind.system.as_str(), m.kind.code.as_str(), m.value),
        (systems::TEXT, "Pain score", Some(4.0))
    );
    assert!(
        es[0].summary().starts_with("Pain score 4"),
        "{}",
        es[0].summary()
    );
    let Entry::Measurement(bp) = &es[1] else {
        panic!()
    };
    assert_eq!(bp.components.len(), 2, "the words-only part is kept");
    let out = export(&es);
    assert_eq!(out[1]["code"], json!({"text": "Pain score"}));
    assert_eq!(out[1]["interpretation"], json!([{"text": "moderate"}]));
    let words = out[2]["component"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["valueQuantity"]["value"] == 131.0)
        .unwrap();
    assert_eq!(words["code"], json!({"text": "Systolic, left arm"}));
    assert_eq!(round_trip(&es), es);
}

#[test]
fn statements_of_what_was_not_done_stay_negated() {
    // Real: a US Core Immunization "not-done", "product out of stock", whose only date is
    // words (occurrenceString). The bundle holds one real defect elsewhere: --skip-invalid.
    let imp = read(
        &fixture("uscore/inferno_uscore_bundle_patient_355.json"),
        true,
    );
    let not_done: Vec<_> = entries(&imp)
        .into_iter()
        .filter_map(|e| match e {
            Entry::Immunization(i) if i.status == ImmunizationStatus::NotDone => Some(i),
            _ => None,
        })
        .collect();
    assert_eq!(not_done.len(), 1);
    let i = &not_done[0];
    assert_eq!(i.status_reason.as_deref(), Some("product out of stock"));
    assert_eq!(i.date, None);
    assert_eq!(i.date_text.as_deref(), Some("1946-08-29T19:33:18-04:00"));
    let line = Entry::Immunization(i.clone()).summary();
    assert!(line.starts_with("NOT GIVEN"), "{line}");
    let out = export(&[Entry::Immunization(i.clone())]);
    assert_eq!(out[1]["status"], "not-done");
    assert_eq!(out[1]["statusReason"]["text"], "product out of stock");
    assert_eq!(out[1]["occurrenceString"], "1946-08-29T19:33:18-04:00");

    // Faithful: a medicine stated as not taken, a procedure stated as not done.
    let imp = read(
        &bundle(vec![
            json!({"resourceType": "MedicationStatement", "status": "not-taken",
                "medicationCodeableConcept": {"coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "1191", "display": "Aspirin"}]},
                "subject": {"reference": "Patient/p"}, "effectiveDateTime": "2024-01-05",
                "statusReason": [{"coding": [{"system": "http://snomed.info/sct", "code": "62014003", "display": "Adverse reaction to drug"}], "text": "Gastric bleeding"}]}),
            json!({"resourceType": "Procedure", "status": "not-done",
                "code": {"coding": [{"system": "http://snomed.info/sct", "code": "73761001", "display": "Colonoscopy"}]},
                "subject": {"reference": "Patient/p"}, "performedDateTime": "2024-02-01",
                "statusReason": {"coding": [{"system": "http://snomed.info/sct", "code": "183944003", "display": "Procedure refused"}]}}),
        ]),
        false,
    );
    let es = entries(&imp);
    // Issue 15, Deliver 3: the negation keeps its reason (its words, else the display).
    let Entry::Medication(m) = &es[0] else {
        panic!("{:?}", es[0])
    };
    assert_eq!(
        (m.status, m.status_reason.as_deref()),
        (MedicationStatus::NotTaken, Some("Gastric bleeding"))
    );
    let Entry::Procedure(p) = &es[1] else {
        panic!("{:?}", es[1])
    };
    assert_eq!(
        (p.status, p.status_reason.as_deref()),
        (ProcedureStatus::NotDone, Some("Procedure refused"))
    );
    assert_eq!(
        es[0].summary(),
        "Aspirin (not-taken, reason: Gastric bleeding)"
    );
    assert_eq!(
        es[1].summary(),
        "Colonoscopy (not-done, reason: Procedure refused), on 2024-02-01"
    );
    let out = export(&es);
    assert_eq!(
        (out[1]["status"].as_str(), out[2]["status"].as_str()),
        (Some("not-taken"), Some("not-done"))
    );
    // MedicationStatement.statusReason is a list, Procedure.statusReason one concept.
    assert_eq!(out[1]["statusReason"][0]["text"], "Gastric bleeding");
    assert_eq!(out[2]["statusReason"]["text"], "Procedure refused");
    assert_eq!(round_trip(&es), es);
}

#[test]
fn a_vaccination_without_a_date_is_exported_as_an_immunization() {
    let imp = read(
        &bundle(vec![
            json!({"resourceType": "Immunization", "status": "completed",
            "vaccineCode": {"coding": [{"system": "http://hl7.org/fhir/sid/cvx", "code": "03", "display": "MMR"}]},
            "patient": {"reference": "Patient/p"},
            "_occurrenceDateTime": {"extension": [{"url": "http://hl7.org/fhir/StructureDefinition/data-absent-reason", "valueCode": "unknown"}]}}),
        ]),
        false,
    );
    let es = entries(&imp);
    let out = export(&es);
    assert_eq!(out[1]["resourceType"], "Immunization");
    assert_eq!(out[1]["status"], "completed");
    assert_eq!(out[1]["occurrenceString"], "unknown");
    assert!(out[1].get("occurrenceDateTime").is_none());
    assert_eq!(round_trip(&es), es);
}

#[test]
fn reference_ranges_and_interpretations_are_kept_and_exported() {
    // Real: a urine protein "Negative" whose range is the words "Negative" (US Core
    // patient 85); a calcium with interpretation "B" (patient 355).
    let imp = read(
        &fixture("uscore/inferno_uscore_bundle_patient_85.json"),
        false,
    );
    let protein = entries(&imp)
        .into_iter()
        .find_map(|e| match e {
            Entry::Measurement(m) if m.kind.code == "20454-5" => Some(m),
            _ => None,
        })
        .unwrap();
    assert_eq!(protein.reference_range.len(), 1);
    assert_eq!(protein.reference_range[0].text.as_deref(), Some("Negative"));
    let imp = read(
        &fixture("uscore/inferno_uscore_bundle_patient_355.json"),
        true,
    );
    let calcium = entries(&imp)
        .into_iter()
        .find_map(|e| match e {
            Entry::Measurement(m) if m.kind.code == "49765-1" && !m.interpretation.is_empty() => {
                Some(m)
            }
            _ => None,
        })
        .unwrap();
    assert_eq!(calcium.interpretation[0].code, "B");
    // Faithful: a lab value with a numeric range and "H".
    let imp = read(
        &bundle(vec![
            json!({"resourceType": "Observation", "status": "final",
            "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "laboratory"}]}],
            "code": {"coding": [{"system": "http://loinc.org", "code": "2093-3", "display": "Cholesterol"}]},
            "effectiveDateTime": "2024-03-01", "valueQuantity": {"value": 245, "system": "http://unitsofmeasure.org", "code": "mg/dL"},
            "interpretation": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation", "code": "H", "display": "High"}]}],
            "referenceRange": [{"low": {"value": 100, "system": "http://unitsofmeasure.org", "code": "mg/dL"}, "high": {"value": 200, "system": "http://unitsofmeasure.org", "code": "mg/dL"}}]}),
        ]),
        false,
    );
    let es = entries(&imp);
    let Entry::Measurement(m) = &es[0] else {
        panic!()
    };
    let r = &m.reference_range[0];
    assert_eq!(
        (r.low, r.high, r.unit.as_deref()),
        (Some(100.0), Some(200.0), Some("mg/dL"))
    );
    assert_eq!(r.judge(245.0, "mg/dL"), Some(std::cmp::Ordering::Greater));
    assert_eq!(r.judge(245.0, "mmol/L"), None, "another unit is not judged");
    assert_eq!(m.interpretation[0].code, "H");
    let out = export(&es);
    assert_eq!(out[1]["referenceRange"][0]["high"]["value"], 200.0);
    assert_eq!(out[1]["interpretation"][0]["coding"][0]["code"], "H");
    let all = [
        Entry::Measurement(protein),
        Entry::Measurement(calcium),
        es[0].clone(),
    ];
    assert_eq!(round_trip(&all), all);
}

#[test]
fn old_records_without_the_new_fields_still_load() {
    // Entries as stored before these fields existed.
    for old in [
        json!({"type": "allergy", "substance": "Peanut", "criticality": "high"}),
        json!({"type": "immunization", "vaccine": "Influenza", "date": "2020-10-01"}),
        json!({"type": "profile", "name": "Ana Lima", "birth_date": "1980-02-14"}),
        json!({"type": "measurement", "kind": {"system": "http://loinc.org", "code": "29463-7"},
            "value": 70.0, "unit": "kg", "at": "2024-01-01T08:00:00Z"}),
    ] {
        let e: Entry = serde_json::from_value(old.clone()).unwrap();
        assert_eq!(
            serde_json::to_value(&e).unwrap(),
            old,
            "written back as it was"
        );
        if let Entry::Immunization(i) = &e {
            assert_eq!(i.status, ImmunizationStatus::Completed);
        }
    }
}

#[test]
fn a_value_given_only_as_words_is_exported_as_value_string() {
    // A result whose value is words and no number (a urine dipstick "trace", a culture
    // "no growth"): kept as the words, exported as `valueString`, never as a Quantity
    // without a value (which R4 allows but says nothing) nor dropped.
    let imp = read(
        &bundle(vec![
            json!({"resourceType": "Observation", "status": "final",
                "code": {"coding": [{"system": "http://loinc.org", "code": "5792-7", "display": "Glucose [Mass/volume] in Urine by Test strip"}]},
                "effectiveDateTime": "2024-03-01T10:00:00Z", "valueCodeableConcept": {"text": "trace"}}),
            json!({"resourceType": "Observation", "status": "final",
                "code": {"coding": [{"system": "http://loinc.org", "code": "630-4", "display": "Bacteria identified in Urine by Culture"}]},
                "effectiveDateTime": "2024-03-02", "valueString": "no growth after 48 hours"}),
        ]),
        false,
    );
    let es = entries(&imp);
    assert_eq!(es.len(), 2, "{:?}", imp.reasons);
    let texts: Vec<(Option<f64>, Option<&str>)> = es
        .iter()
        .map(|e| match e {
            Entry::Measurement(m) => (m.value, m.value_text.as_deref()),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        texts,
        vec![
            (None, Some("trace")),
            (None, Some("no growth after 48 hours"))
        ]
    );
    let out = export(&es);
    let values: Vec<&Value> = out[1..].iter().map(|r| &r["valueString"]).collect();
    assert_eq!(
        values,
        vec![&json!("trace"), &json!("no growth after 48 hours")]
    );
    for r in &out[1..] {
        assert!(r.get("valueQuantity").is_none(), "{r}");
    }
    assert_eq!(round_trip(&es), es);
}
