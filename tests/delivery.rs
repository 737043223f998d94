//! A batch the receiver stored but whose acknowledgement never reached the sender (the link
//! dropped, or the sender was killed, in between) is logged as received when the receiver
//! next says what it holds, once, and only within a grant in force: the consent log ends
//! up saying exactly what was delivered, and an auditor's check still holds.

use carnet::consent::Access;
use carnet::crypto::Role;
use carnet::record::{Entry, Note, SectionId};
use carnet_scenarios::{deliver_unacknowledged, introduce, vault};

fn note(text: &str) -> Entry {
    Entry::Note(Note {
        text: text.into(),
        title: None,
    })
}

fn served(log: &[carnet::LogLine]) -> usize {
    log.iter().filter(|l| l.kind == "served").count()
}

#[test]
fn a_delivery_whose_acknowledgement_was_lost_is_logged_once_when_the_peer_says_it_holds_it() {
    let mut alice = vault("Alice", Role::Patient);
    let mut doctor = vault("Dr Martin", Role::Clinician);
    introduce(&mut alice, "Dr Martin", &doctor);
    let record = alice.vault.own_record().unwrap();
    for i in 0..3 {
        alice
            .vault
            .add(&record, note(&format!("note {i}")))
            .unwrap();
    }
    let grant = alice
        .vault
        .grant("Dr Martin", &[SectionId::Notes], Access::Read, "care", None)
        .unwrap();
    let card = doctor.vault.card().clone();

    // A live batch goes out and is stored; its acknowledgement is lost: no commit_sent.
    let got = deliver_unacknowledged(&mut alice, &mut doctor).unwrap();
    assert_eq!(got.envelopes, 3);
    let before = served(&alice.vault.access_log().unwrap());

    // Next contact: the doctor says what it holds; the three are logged, once.
    let now = doctor
        .vault
        .engine()
        .have_for(&alice.vault.person_id())
        .unwrap();
    assert_eq!(
        alice
            .vault
            .engine()
            .log_unacknowledged(&card.person_id(), &now)
            .unwrap(),
        3
    );
    let log = alice.vault.access_log().unwrap();
    assert_eq!(served(&log), before + 1);
    assert!(
        log.iter()
            .any(|l| l.text.contains("Dr Martin received 3 change(s) of notes")),
        "{log:?}"
    );
    assert_eq!(
        alice
            .vault
            .engine()
            .log_unacknowledged(&card.person_id(), &now)
            .unwrap(),
        0
    );
    assert_eq!(served(&alice.vault.access_log().unwrap()), before + 1);

    // A peer cannot have more logged than exists: a claim past the chain's head counts up
    // to the head only, and a chain of its own writing is not the patient's to log.
    let mut claim = now.clone();
    for (_, state) in claim.records.iter_mut() {
        for c in state.chains.iter_mut() {
            c.seq += 100;
        }
    }
    assert_eq!(
        alice
            .vault
            .engine()
            .log_unacknowledged(&card.person_id(), &claim)
            .unwrap(),
        0
    );

    // The auditor's check holds on the reconciled log.
    let export = alice.vault.audit_export().unwrap();
    let report = carnet::consent::verify(&export, None);
    assert!(report.ok, "{:?}", report.first_error);

    // After a revoke, what was delivered under the ended grant is not logged anew.
    alice.vault.add(&record, note("after")).unwrap();
    assert_eq!(
        deliver_unacknowledged(&mut alice, &mut doctor)
            .unwrap()
            .envelopes,
        1
    );
    alice.vault.revoke(&grant).unwrap();
    let now = doctor
        .vault
        .engine()
        .have_for(&alice.vault.person_id())
        .unwrap();
    assert_eq!(
        alice
            .vault
            .engine()
            .log_unacknowledged(&card.person_id(), &now)
            .unwrap(),
        0
    );
}

/// A bundle written for someone is logged as written, not received (issue 18: the log said
/// "received" of a file that may never have been imported); once a live sync shows they
/// hold what it carried, the log says they received it, once.
#[test]
fn a_bundle_is_logged_as_written_then_as_received_when_seen_held() {
    let mut alice = vault("Alice", Role::Patient);
    let mut doctor = vault("Dr Martin", Role::Clinician);
    introduce(&mut alice, "Dr Martin", &doctor);
    let record = alice.vault.own_record().unwrap();
    alice.vault.add(&record, note("one")).unwrap();
    alice
        .vault
        .grant("Dr Martin", &[SectionId::Notes], Access::Read, "care", None)
        .unwrap();
    let (_, imported) = carnet_scenarios::exchange(&mut alice, &mut doctor).unwrap();
    assert_eq!(imported.envelopes, 1);
    let log = alice.vault.access_log().unwrap();
    assert_eq!(served(&log), 0, "{log:?}");
    assert_eq!(
        log.iter().filter(|l| l.kind == "bundle written").count(),
        1,
        "{log:?}"
    );
    // The doctor's next live contact says what it holds: now it is known received.
    let now = doctor
        .vault
        .engine()
        .have_for(&alice.vault.person_id())
        .unwrap();
    let card = doctor.vault.card().clone();
    assert_eq!(
        alice
            .vault
            .engine()
            .log_unacknowledged(&card.person_id(), &now)
            .unwrap(),
        1
    );
    assert_eq!(
        alice
            .vault
            .engine()
            .log_unacknowledged(&card.person_id(), &now)
            .unwrap(),
        0
    );
    assert_eq!(served(&alice.vault.access_log().unwrap()), 1);
    let report = carnet::consent::verify(&alice.vault.audit_export().unwrap(), None);
    assert!(report.ok, "{:?}", report.first_error);
}
