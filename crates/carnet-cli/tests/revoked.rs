//! A clinician whose access was revoked is told so by the patient's name when the
//! patient's device refuses to sync, not given a bare refusal.

mod common;

use common::Carnet;

#[test]
fn a_revoked_clinician_is_told_the_patient_no_longer_shares() {
    let alice = Carnet::patient();
    let doctor = Carnet::clinician("Dr Martin");
    alice.json(&["contact", "add", "Dr Martin", &doctor.card()]);
    doctor.json(&["contact", "add", "Alice", &alice.card()]);
    alice.ok(&["add", "allergy", "--substance", "Pollen"]);
    let gid = alice.grant("Dr Martin", "allergies", "read", "gp")["grant_id"]
        .as_str()
        .unwrap()
        .to_string();
    let serve = alice.start(&["serve"], &[]);
    let ticket = serve.first["ticket"].as_str().unwrap().to_string();
    doctor.json(&["sync", &ticket, "--timeout", "10"]);
    assert_eq!(
        doctor
            .json(&["list", "--patient", "Alice"])
            .as_array()
            .unwrap()
            .len(),
        1
    );
    alice.ok(&["revoke", &gid]);
    let out = doctor.run(&["sync", "Alice", "--timeout", "10"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{err}");
    assert!(
        err.contains("Alice Test no longer shares their record with you"),
        "{err}"
    );
    // On which day (the patient's log says when), not why.
    let today = carnet::record::DateTime::now().date().to_string();
    assert!(
        err.contains(&format!("your access ended on {today}")),
        "{err}"
    );
    let out = doctor.run(&["--lang", "fr", "sync", "Alice", "--timeout", "10"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("Alice Test ne vous partage plus son dossier"),
        "{err}"
    );
    // The refusal crosses as a kind (protocol 5), so the clinician reads it in their own
    // language, date included, whatever the patient's device speaks.
    assert!(
        err.contains(&format!("votre accès a pris fin le {today}")),
        "{err}"
    );
    // What was received stays readable.
    assert_eq!(
        doctor
            .json(&["list", "--patient", "Alice"])
            .as_array()
            .unwrap()
            .len(),
        1
    );
    drop(serve);
}
