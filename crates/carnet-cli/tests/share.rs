//! Offline sharing through the binary: bundles both ways, the clinician's commands, and
//! refusals with a clear message, a non-zero exit and an unchanged vault.

mod common;

use common::{Carnet, reveal};

/// A file path in `c`'s work directory.
fn path(c: &Carnet, name: &str) -> String {
    c.work.join(name).to_string_lossy().into_owned()
}

/// Exports from `from` to contact `to` into a file in `from`'s work directory, returns
/// the export JSON and the path.
fn export(from: &Carnet, to: &str, name: &str) -> (serde_json::Value, String) {
    let out = path(from, name);
    let v = from.json(&["share", "export", "--to", to, "--out", &out]);
    (v, out)
}

#[test]
fn a_record_goes_to_a_clinician_and_their_prescription_comes_back() {
    let alice = Carnet::patient();
    let doctor = Carnet::clinician("Dr Martin");
    alice.json(&["contact", "add", "Dr Martin", &doctor.card()]);
    alice.ok(&["add", "allergy", "--substance", "Penicillin"]);
    alice.ok(&["add", "note", "--text", "private diary"]);
    alice.ok(&["add", "condition", "--name", "Type 2 diabetes"]);
    alice.json(&[
        "grant",
        "Dr Martin",
        "--sections",
        "allergies,conditions",
        "--access",
        "read",
        "--purpose",
        "GP follow-up",
    ]);
    alice.grant("Dr Martin", "medications", "write", "prescriptions");

    let (v, bundle) = export(&alice, "Dr Martin", "to-doctor.bundle");
    assert_eq!(v["envelopes"], 2, "{v}");
    assert!(v["bytes"].as_u64().unwrap() > 0);
    let info = doctor.json(&["share", "inspect", &bundle]);
    assert_eq!(info["signature_ok"], true);
    let i = doctor.json(&["share", "import", &bundle]);
    assert_eq!(i["envelopes"], 2, "{i}");
    assert_eq!(i["from"], "Alice Test");

    let patients = doctor.json(&["patients"]);
    let p = &patients.as_array().unwrap()[0];
    assert_eq!(p["name"], "Alice Test");
    let sections: Vec<&str> = p["sections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert_eq!(sections, vec!["allergies", "conditions", "medications"]);
    assert_eq!(p["access"]["medications"], "write");
    let id = p["id"].as_str().unwrap().to_string();

    // The clinician reads what was shared, not the diary.
    let list = doctor.json(&["list", "--patient", "Alice"]);
    let texts = list.to_string();
    assert!(texts.contains("Penicillin") && texts.contains("Type 2 diabetes"));
    assert!(!texts.contains("private diary"));
    assert_eq!(
        doctor.json(&["list", "--patient", &id[..10]]),
        list,
        "a patient can be named by id too"
    );
    let err = doctor.fails(&["list", "--patient", "Alice", "--section", "notes"]);
    assert!(err.contains("not shared with you"), "{err}");

    // Write where granted, refused where read-only.
    doctor.json(&[
        "add",
        "medication",
        "--name",
        "Metformin",
        "--dosage",
        "500 mg twice a day",
        "--patient",
        "Alice Test",
    ]);
    let err = doctor.fails(&[
        "add",
        "allergy",
        "--substance",
        "Latex",
        "--patient",
        "Alice Test",
    ]);
    assert!(err.contains("not write"), "{err}");

    let (v, back) = export(&doctor, "Alice Test", "to-alice.bundle");
    assert_eq!(v["envelopes"], 1, "{v}");
    let i = alice.json(&["share", "import", &back]);
    assert_eq!(i["envelopes"], 1);
    let text = alice.ok(&["list", "--section", "medications"]);
    assert!(
        text.contains("prescribed by Dr Martin, clinician, signature verified"),
        "{text}"
    );
    let meds = alice.json(&["list", "--section", "medications"]);
    assert_eq!(meds[0]["prescriber"], "Dr Martin");
    assert_eq!(meds[0]["author_role"], "clinician");
    let log = alice.ok(&["log"]);
    // A bundle written is not a bundle received: the log says which it knows.
    assert!(
        log.contains("A bundle of 2 change(s) of allergies, conditions was written for Dr Martin"),
        "{log}"
    );
    assert!(!log.contains("Dr Martin received 2 change(s)"), "{log}");
    assert!(
        log.contains("Dr Martin added 1 change(s) to medications"),
        "{log}"
    );

    // Incremental: nothing new, no envelope.
    let (v, _) = export(&alice, "Dr Martin", "again.bundle");
    assert_eq!(v["envelopes"], 0, "{v}");

    let audit = path(&alice, "audit.json");
    alice.ok(&["audit", "export", "--out", &audit]);
    let r = Carnet::empty().json(&["audit", "verify", &audit]);
    assert_eq!(r["ok"], true, "{r}");
    // No health data, no section name, no purpose: not in the JSON, not in the entries
    // (base64), the cards inside them or the checkpoints, not compressed (zstd, deflate), as
    // bytes or as text (tests/reveal.rs says what the search sees).
    let bytes = std::fs::read(&audit).unwrap();
    let leaks = reveal::needles_found(
        &bytes,
        &[
            "Penicillin",
            "Metformin",
            "diabetes",
            "private diary",
            "500 mg twice",
            "allergies",
            "conditions",
            "medications",
            "notes",
            "GP follow-up",
            "prescriptions",
        ],
    );
    assert!(
        leaks.is_empty(),
        "health data in the audit export: {leaks:?}"
    );
    // The search reads what it searches: the names are there by design, inside the cards,
    // themselves inside the entries, and it finds them.
    let names = reveal::needles_found(&bytes, &["Dr Martin", "Alice Test"]);
    assert_eq!(
        names.len(),
        2,
        "the search did not reach the names inside the cards: {names:?}"
    );
    let doctor_name = &names.iter().find(|f| f.needle == "Dr Martin").unwrap().path;
    assert!(
        doctor_name.matches("base64").count() >= 2,
        "the doctor's name was found without decoding the entry and the card: {doctor_name}"
    );
}

#[test]
fn bad_bundles_are_refused_clearly_and_change_nothing() {
    let alice = Carnet::patient();
    let doctor = Carnet::clinician("Dr Martin");
    let nurse = Carnet::clinician("Nurse Joy");
    alice.json(&["contact", "add", "Dr Martin", &doctor.card()]);
    alice.json(&["contact", "add", "Nurse Joy", &nurse.card()]);
    alice.ok(&["add", "allergy", "--substance", "Penicillin"]);
    let g = alice.json(&[
        "grant",
        "Dr Martin",
        "--sections",
        "allergies,notes",
        "--access",
        "write",
        "--purpose",
        "care",
    ]);
    let (_, bundle) = export(&alice, "Dr Martin", "b.bundle");

    // Addressed to the doctor: the nurse is refused.
    let before = nurse.state();
    let err = nurse.fails(&["share", "import", &bundle]);
    assert!(err.contains("not addressed to you"), "{err}");
    assert_eq!(nurse.state(), before);

    // Junk, a missing file, a flipped byte.
    let junk = path(&doctor, "junk.bundle");
    std::fs::write(&junk, b"\x00\x01binary junk").unwrap();
    let before = doctor.state();
    let err = doctor.fails(&["share", "import", &junk]);
    assert!(err.contains("not a Carnet bundle"), "{err}");
    let err = doctor.fails(&["share", "import", &path(&doctor, "missing.bundle")]);
    assert!(err.contains("not a file"), "{err}");
    let mut bytes = std::fs::read(&bundle).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x01;
    let flipped = path(&doctor, "flipped.bundle");
    std::fs::write(&flipped, &bytes).unwrap();
    let err = doctor.fails(&["share", "import", &flipped]);
    assert!(!err.is_empty());
    assert_eq!(doctor.state(), before);

    // Genuine once; the replay is refused.
    doctor.json(&["share", "import", &bundle]);
    let before = doctor.state();
    let err = doctor.fails(&["share", "import", &bundle]);
    assert!(err.contains("already imported"), "{err}");
    assert_eq!(doctor.state(), before);

    // Exports that make no sense.
    let err = alice.fails(&["share", "export", "--to", "Dr Martin", "--out", &bundle]);
    assert!(err.contains("already exists"), "{err}");
    let err = alice.fails(&[
        "share",
        "export",
        "--to",
        "Nobody",
        "--out",
        &path(&alice, "n.bundle"),
    ]);
    assert!(err.contains("no contact or patient"), "{err}");
    let err = alice.fails(&[
        "share",
        "export",
        "--to",
        "Nurse Joy",
        "--out",
        &path(&alice, "n.bundle"),
    ]);
    assert!(err.contains("nothing is shared"), "{err}");

    // Revoked while the doctor writes offline: the late change is refused, and nothing
    // more goes to the doctor.
    alice.ok(&["revoke", g["grant_id"].as_str().unwrap()]);
    doctor.ok(&[
        "add",
        "note",
        "--text",
        "late note",
        "--patient",
        "Alice Test",
    ]);
    let (_, late) = export(&doctor, "Alice Test", "late.bundle");
    let before = alice.state();
    let err = alice.fails(&["share", "import", &late]);
    assert!(err.contains("may not write"), "{err}");
    assert_eq!(alice.state(), before);
    assert!(!alice.ok(&["list"]).contains("late note"));
    let err = alice.fails(&[
        "share",
        "export",
        "--to",
        "Dr Martin",
        "--out",
        &path(&alice, "after.bundle"),
    ]);
    assert!(err.contains("nothing is shared"), "{err}");
}

#[test]
fn an_edit_is_attributed_to_its_writer_and_a_changed_prescription_is_no_longer_verified() {
    let alice = Carnet::patient();
    let doctor = Carnet::clinician("Dr Martin");
    alice.json(&["contact", "add", "Dr Martin", &doctor.card()]);
    let allergy = alice.json(&[
        "add",
        "allergy",
        "--substance",
        "Penicillin",
        "--criticality",
        "high",
    ])["id"]
        .as_str()
        .unwrap()
        .to_string();
    alice.grant("Dr Martin", "allergies,medications", "write", "care");
    let (_, b) = export(&alice, "Dr Martin", "1.bundle");
    doctor.json(&["share", "import", &b]);

    // The clinician changes the patient's allergy; the clinician prescribes insulin.
    doctor.ok(&[
        "edit",
        &allergy,
        "--patient",
        "Alice",
        "--set",
        "substance=Amoxicillin",
        "--set",
        "criticality=low",
    ]);
    let insulin = doctor.json(&[
        "add",
        "medication",
        "--name",
        "Insulin",
        "--dosage",
        "10 units",
        "--patient",
        "Alice",
    ])["id"]
        .as_str()
        .unwrap()
        .to_string();
    doctor.json(&["contact", "add", "Alice", &alice.card()]);
    let (_, b) = export(&doctor, "Alice", "2.bundle");
    alice.json(&["share", "import", &b]);

    // The allergy still has its creator, and says who wrote what it says now.
    let shown = alice.json(&["show", &allergy]);
    assert_eq!(shown["author_name"], "Alice Test", "{shown}");
    assert_eq!(shown["edited"], true, "{shown}");
    let edits = shown["edits"].as_array().unwrap();
    let fields: Vec<&str> = edits.iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["criticality", "substance"], "{shown}");
    assert!(edits.iter().all(|e| e["by_name"] == "Dr Martin"), "{shown}");
    assert!(edits.iter().all(|e| e["at"].is_string()), "{shown}");
    let list = alice.ok(&["list", "--section", "allergies"]);
    assert!(list.contains("edited by Dr Martin"), "{list}");
    let text = alice.ok(&["show", &allergy]);
    assert!(text.contains("edited:   substance by Dr Martin"), "{text}");

    // The prescription is verified as the clinician's until the patient changes it.
    let shown = alice.json(&["show", &insulin]);
    assert_eq!(shown["prescriber"], "Dr Martin", "{shown}");
    assert_eq!(shown["edited"], false, "{shown}");
    alice.ok(&["edit", &insulin, "--set", "dosage=100 units"]);
    let shown = alice.json(&["show", &insulin]);
    assert!(shown.get("prescriber").is_none(), "{shown}");
    assert_eq!(shown["edits"][0]["field"], "dosage", "{shown}");
    assert_eq!(shown["edits"][0]["by_name"], "Alice Test", "{shown}");
    let list = alice.ok(&["list", "--section", "medications"]);
    assert!(!list.contains("signature verified"), "{list}");
    assert!(list.contains("edited by Alice Test"), "{list}");
    let text = alice.ok(&["show", &insulin]);
    assert!(text.contains("not the prescriber's own writing"), "{text}");

    // The history lists the changes, by whom; a removed entry keeps its history.
    let h = alice.json(&["history", &allergy]);
    let steps: Vec<(String, String, String)> = h
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["kind"].as_str().unwrap().to_string(),
                s["by_name"].as_str().unwrap().to_string(),
                s["fields"].to_string(),
            )
        })
        .collect();
    assert_eq!(
        steps,
        [
            ("created".into(), "Alice Test".into(), steps[0].2.clone()),
            (
                "changed".into(),
                "Dr Martin".into(),
                r#"["criticality","substance"]"#.into()
            ),
        ],
        "{h}"
    );
    alice.ok(&["remove", &insulin]);
    let h = alice.json(&["history", &insulin]);
    let kinds: Vec<&str> = h
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["created", "changed", "removed"], "{h}");
    assert_eq!(h[0]["by_name"], "Dr Martin");
    let text = alice.ok(&["history", &insulin]);
    assert!(
        text.contains("Alice Test") && text.contains("changed dosage"),
        "{text}"
    );
}
