//! Grantees are witnesses (issue 14, point 4): they cosign each checkpoint of the patient's
//! consent log they receive, the patient collects the cosignatures into its audit export,
//! and an auditor refuses a log shorter than a size a witness cosigned, or one that
//! conflicts with what a witness saw. Before, an export cut back to an earlier checkpoint,
//! or either branch of a forked log, verified.

use carnet::consent::{Access, Pins, WitnessNote, verify_with};
use carnet::crypto::Role;
use carnet::record::SectionId;
use carnet_scenarios::{TestVault, copy_dir, exchange, introduce, pass, vault};

fn pins<'a>(patient: &TestVault, cosigned: &'a [WitnessNote]) -> Pins<'a> {
    Pins {
        patient: Some(patient.vault.person_id()),
        cosigned,
        ..Pins::default()
    }
}

#[test]
fn a_cut_back_or_forked_log_fails_against_a_witness() {
    let mut alice = vault("Alice", Role::Patient);
    let mut doctor = vault("Dr Martin", Role::Clinician);
    let mut nurse = vault("Nurse Dubois", Role::Clinician);
    introduce(&mut alice, "Dr Martin", &doctor);
    introduce(&mut doctor, "Alice", &alice);
    introduce(&mut alice, "Nurse Dubois", &nurse);
    alice
        .vault
        .grant(
            "Dr Martin",
            &[SectionId::Allergies],
            Access::Read,
            "GP",
            None,
        )
        .unwrap();
    exchange(&mut alice, &mut doctor).unwrap();
    // An export as the log stood then: what a dishonest holder may show later.
    let old = alice.vault.audit_export().unwrap();
    // A copy of the vault as it stood then: a stale backup to fork from.
    let stale = tempfile::tempdir().unwrap();
    copy_dir(&alice.dir, &stale.path().join("vault"));

    // The log grows: a grant to the nurse, and what it served.
    alice
        .vault
        .grant(
            "Nurse Dubois",
            &[SectionId::Allergies],
            Access::Read,
            "care",
            None,
        )
        .unwrap();
    exchange(&mut alice, &mut doctor).unwrap();
    // The doctor, as a witness, cosigned what it received and sends it back.
    exchange(&mut doctor, &mut alice).unwrap_or_else(|e| panic!("{e}"));
    let current = alice.vault.audit_export().unwrap();
    assert_eq!(
        current.witnesses.len(),
        1,
        "the doctor's cosignature was collected"
    );
    let v = verify_with(&current, &pins(&alice, &[]));
    assert!(v.report.ok, "{:?}", v.report.first_error);
    assert_eq!(v.witnesses.len(), 1);
    assert_eq!(v.witnesses[0].witness, doctor.vault.person_id());
    let cosigned_size = v.witnesses[0].size;
    assert!(cosigned_size > old.entries.len() as u64);

    // The witness's own copy of what it cosigned, for the auditor.
    let from_doctor = doctor
        .vault
        .witnessed(&alice.vault.own_record().unwrap())
        .unwrap()
        .expect("the doctor cosigned a checkpoint");

    // Case 4: the older export verifies on its own (it is self-consistent)...
    assert!(verify_with(&old, &pins(&alice, &[])).report.ok);
    // ...but not against the witness: the log was cut back.
    let v = verify_with(&old, &pins(&alice, std::slice::from_ref(&from_doctor)));
    assert!(!v.report.ok);
    let why = v.report.first_error.unwrap();
    assert!(why.contains("cut back"), "{why}");

    // Case 5: the stale copy is opened and goes its own way (another grant): a branch of
    // the same length or longer, with another history.
    let fork = carnet::Vault::open(&stale.path().join("vault"), &pass()).unwrap();
    fork.grant(
        "Nurse Dubois",
        &[SectionId::Allergies],
        Access::Write,
        "other",
        None,
    )
    .unwrap();
    for _ in 0..4 {
        fork.block("Nurse Dubois").ok();
        fork.grant("Dr Martin", &[SectionId::Notes], Access::Read, "more", None)
            .ok();
    }
    let forked = fork.audit_export().unwrap();
    assert!(
        forked.entries.len() as u64 >= cosigned_size,
        "a branch at least as long"
    );
    assert!(
        verify_with(&forked, &pins(&alice, &[])).report.ok,
        "each branch verifies alone"
    );
    let v = verify_with(&forked, &pins(&alice, std::slice::from_ref(&from_doctor)));
    assert!(!v.report.ok);
    let why = v.report.first_error.unwrap();
    assert!(why.contains("fork"), "{why}");

    // A cosignature that names another witness than its signer does not count.
    let mut wrong = from_doctor.clone();
    wrong.witness_card = nurse.vault.card().to_text();
    let v = verify_with(&current, &pins(&alice, std::slice::from_ref(&wrong)));
    assert!(!v.report.ok);
    let _ = &mut nurse;
}
