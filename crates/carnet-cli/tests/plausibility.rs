//! Plausibility of what is typed or imported (issue 15, point 4): unusual values need
//! `--confirm-unusual` and are marked, past events cannot be dated in the future, `edit`
//! refuses fields an entry does not have, and the README's examples work pasted into bash.

mod common;

use std::path::Path;
use std::process::Command;

use common::Carnet;
use serde_json::{Value, json};

fn entries(c: &Carnet) -> Vec<Value> {
    c.json(&["list"]).as_array().unwrap().clone()
}

#[test]
fn the_readme_examples_work_pasted_into_bash() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md"))
            .unwrap();
    let usage = &readme[readme.find("## Using it").unwrap()..];
    let usage = &usage[..usage.find("Interoperability:").unwrap()];
    let lines: Vec<&str> = usage
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("carnet add "))
        .collect();
    assert!(lines.len() >= 10, "{lines:?}");
    let c = Carnet::patient();
    let bin = Path::new(env!("CARGO_BIN_EXE_carnet")).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    for line in &lines {
        // As a person pastes it: the whole line, comment included, to bash.
        let out = Command::new("bash")
            .arg("-c")
            .arg(line)
            .env("PATH", &path)
            .env("CARNET_VAULT", &c.vault)
            .env("CARNET_PASSPHRASE", common::PASS)
            .env("CARNET_TEST_KDF", "1")
            .current_dir(&c.work)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{line}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let all = entries(&c);
    assert_eq!(all.len(), lines.len(), "one entry per example");
    let condition = all.iter().find(|e| e["section"] == "conditions").unwrap();
    assert_eq!(
        condition["code"],
        json!({"system": "http://snomed.info/sct", "code": "44054006"})
    );
    let med = all.iter().find(|e| e["section"] == "medications").unwrap();
    assert_eq!(med["code"]["code"], "A10BA02");
    let weight = all.iter().find(|e| e["kind"]["code"] == "29463-7").unwrap();
    assert_eq!(weight["value"], 72.5);
    let cold = all.iter().find(|e| e["kind"]["code"] == "8310-5").unwrap();
    assert_eq!(
        (cold["value"].as_f64(), cold["value_text"].as_str()),
        (Some(24.5), Some(carnet::record::UNUSUAL_CONFIRMED))
    );
}

#[test]
fn unusual_values_need_confirmation_and_are_marked() {
    let c = Carnet::patient();
    let before = c.files();
    for (kind, value, unit, says) in [
        ("weight", "7250", "kg", "7250 kg is unusual"),
        ("glucose", "7.2", "mg/dL", "mmol/L?"),
        ("temperature", "98.6", "Cel", "°F?"),
        ("blood-pressure", "350/80", "mmHg", "systolic pressure"),
    ] {
        let err = c.fails(&[
            "add",
            "measurement",
            "--kind",
            kind,
            "--value",
            value,
            "--unit",
            unit,
        ]);
        assert!(
            err.contains(says) && err.contains("--confirm-unusual"),
            "{kind}: {err}"
        );
    }
    assert!(c.files() == before, "a refused value changed the vault");
    c.ok(&[
        "add",
        "measurement",
        "--kind",
        "glucose",
        "--value",
        "7.2",
        "--unit",
        "mg/dL",
        "--confirm-unusual",
    ]);
    let all = entries(&c);
    assert_eq!(all.len(), 1);
    assert_eq!(all[0]["value"], 7.2);
    assert_eq!(all[0]["value_text"], carnet::record::UNUSUAL_CONFIRMED);
    let list = c.ok(&["list"]);
    assert!(list.contains("7.2 mg/dL (unusual, confirmed)"), "{list}");
    // A usual value needs nothing, and is not marked.
    c.ok(&[
        "add",
        "measurement",
        "--kind",
        "glucose",
        "--value",
        "7.2",
        "--unit",
        "mmol/l",
    ]);
    let usual = entries(&c)
        .into_iter()
        .find(|e| e["unit"] == "mmol/L")
        .unwrap();
    assert!(usual.get("value_text").is_none(), "{usual}");

    // Editing the confirmed value to another unusual one needs confirming again.
    let id = all[0]["id"].as_str().unwrap();
    let err = c.fails(&["edit", id, "--set", "value=3"]);
    assert!(err.contains("--confirm-unusual"), "{err}");
    c.ok(&["edit", id, "--set", "value=126"]);
    let edited = c.json(&["show", id]);
    assert_eq!(edited["value"], 126.0);
    assert!(
        edited.get("value_text").is_none(),
        "a usual value lost its mark: {edited}"
    );
}

#[test]
fn past_events_dated_in_the_future_are_refused() {
    let c = Carnet::patient();
    let before = c.files();
    let err = c.fails(&[
        "add",
        "immunization",
        "--vaccine",
        "Influenza",
        "--date",
        "2030-10-15",
    ]);
    assert!(
        err.contains("vaccination date")
            && err.contains("2030-10-15")
            && err.contains("after today"),
        "{err}"
    );
    let err = c.fails(&[
        "add",
        "measurement",
        "--kind",
        "weight",
        "--value",
        "70",
        "--unit",
        "kg",
        "--at",
        "2031-01-01T08:00:00Z",
    ]);
    assert!(err.contains("in the future"), "{err}");
    let err = c.fails(&["add", "condition", "--name", "Asthma", "--onset", "2099"]);
    assert!(err.contains("onset"), "{err}");
    assert!(c.files() == before, "a refused entry changed the vault");
    // A planned medicine may start later.
    c.ok(&[
        "add",
        "medication",
        "--name",
        "Metformin",
        "--start",
        "2099-01-01",
        "--status",
        "intended",
    ]);
    assert_eq!(entries(&c).len(), 1);
}

#[test]
fn typed_forms_people_use_are_accepted() {
    let c = Carnet::patient();
    c.ok(&[
        "add",
        "measurement",
        "--kind",
        "weight",
        "--value",
        "72,5",
        "--unit",
        "kg",
    ]);
    c.ok(&[
        "add",
        "measurement",
        "--kind",
        "glucose",
        "--value",
        "98",
        "--unit",
        "mg/dl",
    ]);
    c.ok(&[
        "add",
        "measurement",
        "--kind",
        "blood-pressure",
        "--value",
        "128/82",
        "--unit",
        "mmhg",
    ]);
    c.ok(&[
        "add",
        "measurement",
        "--kind",
        "2093-3",
        "--value",
        "4,9",
        "--unit",
        "MMOL/L",
    ]);
    c.ok(&[
        "add",
        "condition",
        "--name",
        "Type 2 diabetes",
        "--code",
        "snomed:44054006",
    ]);
    let all = entries(&c);
    let mut got: Vec<String> = all
        .iter()
        .filter(|e| e["section"] == "measurements")
        .map(|e| format!("{} {}", e["value"], e["unit"]))
        .collect();
    got.sort();
    assert_eq!(
        got,
        vec![
            "4.9 \"mmol/L\"",
            "72.5 \"kg\"",
            "98.0 \"mg/dL\"",
            "null \"mm[Hg]\"",
        ]
    );
    let cond = all.iter().find(|e| e["section"] == "conditions").unwrap();
    assert_eq!(cond["code"]["system"], "http://snomed.info/sct");
    assert_eq!(cond["code"]["code"], "44054006");
    // "1,500" could be a thousands separator: refused, not guessed.
    let err = c.fails(&[
        "add",
        "measurement",
        "--kind",
        "weight",
        "--value",
        "1,500",
        "--unit",
        "kg",
    ]);
    assert!(err.contains("not a number"), "{err}");
}

#[test]
fn edit_refuses_a_field_the_entry_does_not_have() {
    let c = Carnet::patient();
    let id = c.json(&["add", "allergy", "--substance", "Penicillin"])["id"]
        .as_str()
        .unwrap()
        .to_string();
    let before = c.json(&["show", &id]);
    let err = c.fails(&["edit", &id, "--set", "reacton=rash"]);
    assert!(
        err.contains("no field \"reacton\" (did you mean reaction?)")
            && err.contains("substance, code, criticality, reaction"),
        "{err}"
    );
    // (Opening a vault rewrites its file's header; what it holds is what must not change.)
    assert_eq!(
        c.json(&["show", &id]),
        before,
        "a refused edit changed the entry"
    );
    assert_eq!(entries(&c).len(), 1);
    c.ok(&["edit", &id, "--set", "reaction=rash"]);
    assert_eq!(c.json(&["show", &id])["reaction"], "rash");
}

fn observation(value: f64, unit: &str) -> Value {
    json!({"resourceType": "Bundle", "type": "collection", "entry": [
        {"fullUrl": "urn:uuid:6f0e1a8c-0000-4000-8000-000000000001", "resource": {
            "resourceType": "Observation", "id": "w", "status": "final",
            "code": {"coding": [{"system": "http://loinc.org", "code": "29463-7"}]},
            "effectiveDateTime": "2024-03-01T08:00:00Z",
            "valueQuantity": {"value": value, "system": "http://unitsofmeasure.org", "code": unit}}}]})
}

#[test]
fn an_imported_unusual_value_needs_confirmation_and_keeps_its_mark_through_export() {
    let c = Carnet::patient();
    let path = c.work.join("w.json");
    std::fs::write(&path, observation(7250.0, "kg").to_string()).unwrap();
    let p = path.to_str().unwrap();
    let err = c.fails(&["import", "fhir", p]);
    assert!(
        err.contains("entry 0 (Observation/w)")
            && err.contains("7250 kg is unusual")
            && err.contains("--confirm-unusual"),
        "{err}"
    );
    assert!(entries(&c).is_empty());
    c.json(&["import", "fhir", p, "--confirm-unusual"]);
    let all = entries(&c);
    assert_eq!(all.len(), 1);
    assert_eq!(
        (all[0]["value"].as_f64(), all[0]["value_text"].as_str()),
        (Some(7250.0), Some(carnet::record::UNUSUAL_CONFIRMED))
    );
    let out = c.work.join("out.json");
    c.ok(&["export", "fhir", "--out", out.to_str().unwrap()]);
    let b: Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    let obs = b["entry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["resource"])
        .find(|r| r["resourceType"] == "Observation")
        .unwrap();
    assert_eq!(obs["valueQuantity"]["value"], 7250.0);
    assert_eq!(obs["note"][0]["text"], carnet::record::UNUSUAL_CONFIRMED);
    assert!(obs.get("valueString").is_none());
    // Carnet's own export carries the confirmation: another vault takes it as is.
    let d = Carnet::patient();
    d.json(&["import", "fhir", out.to_str().unwrap()]);
    let m: Vec<Value> = entries(&d)
        .into_iter()
        .filter(|e| e["section"] == "measurements")
        .collect();
    assert_eq!(m.len(), 1);
    assert_eq!(m[0]["value_text"], carnet::record::UNUSUAL_CONFIRMED);
}

#[test]
fn a_device_file_row_is_checked_as_if_typed() {
    let c = Carnet::patient();
    let path = c.work.join("scale.csv");
    std::fs::write(
        &path,
        "time,kind,value,unit,source\n2025-01-01 08:00,weight,70.5,kg,Withings\n2025-01-02 08:00,weight,7250,kg,Withings\n",
    )
    .unwrap();
    let p = path.to_str().unwrap();
    let err = c.fails(&["import", "csv", p, "--format", "generic", "--tz", "UTC"]);
    assert!(
        err.contains("line 3") && err.contains("7250 kg is unusual"),
        "{err}"
    );
    assert!(entries(&c).is_empty(), "a refused file stored something");
    c.json(&[
        "import",
        "csv",
        p,
        "--format",
        "generic",
        "--tz",
        "UTC",
        "--confirm-unusual",
    ]);
    let list = c.ok(&["list"]);
    assert!(list.contains("7250 kg (unusual, confirmed)"), "{list}");
    assert!(list.contains("weight, 1 reading"), "{list}");
}
