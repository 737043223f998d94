//! Offline sharing between a patient and clinicians through bundle files, on real vaults:
//! what a bundle holds (exactly what its recipient is entitled to), the way back from a
//! clinician, incremental exports, and every refusal, each leaving the vault unchanged.

use std::collections::{BTreeSet, VecDeque};

use carnet::consent::Access;
use carnet::crypto::{ENVELOPE_VERSION, Envelope, EnvelopeHeader, Role};
use carnet::record::{
    Allergy, DateTime, DocType, Entry, Immunization, Measurement, Medication, MedicationStatus,
    Note, SectionDoc, SectionId,
};
use carnet::wire::Item;
use carnet::{AttachmentInput, Error, actor_for};
use carnet_scenarios::{
    Items, TestVault, bundle_path, epoch_key_of, exchange, introduce, secret_of, vault,
};

fn note(text: &str) -> Entry {
    Entry::Note(Note {
        text: text.into(),
        title: None,
    })
}

fn allergy(s: &str) -> Entry {
    Entry::Allergy(Allergy {
        substance: s.into(),
        code: None,
        criticality: None,
        reaction: None,
        onset: None,
    })
}

fn medication(name: &str) -> Entry {
    Entry::Medication(Medication {
        name: name.into(),
        code: None,
        dosage: Some("1 tablet a day".into()),
        start: None,
        end: None,
        status: MedicationStatus::Active,
        status_reason: None,
    })
}

/// A patient with one entry in every section and an attachment, and a clinician and a
/// nurse in their contacts.
fn world() -> (TestVault, TestVault, TestVault) {
    let mut alice = vault("Alice", Role::Patient);
    let mut doctor = vault("Dr Martin", Role::Clinician);
    let mut nurse = vault("Nurse Joy", Role::Clinician);
    introduce(&mut alice, "Dr Martin", &doctor);
    introduce(&mut alice, "Nurse Joy", &nurse);
    introduce(&mut doctor, "Alice", &alice);
    introduce(&mut nurse, "Alice", &alice);
    let record = alice.vault.own_record().unwrap();
    for e in [
        allergy("Penicillin"),
        medication("Metformin"),
        note("private worry"),
        Entry::Immunization(Immunization {
            vaccine: "Influenza".into(),
            code: None,
            date: Some("2025-10-15".parse().unwrap()),
            lot: None,
            status: Default::default(),
            status_reason: None,
            date_text: None,
        }),
        Entry::Measurement(
            Measurement::from_input("weight", "72.5", "kg", DateTime::now(), None).unwrap(),
        ),
    ] {
        alice.vault.add(&record, e).unwrap();
    }
    alice
        .vault
        .attach(
            &record,
            b"HbA1c 6.9 %",
            AttachmentInput {
                title: "lab report".into(),
                doc_type: DocType::Report,
                file_name: Some("hba1c.txt".into()),
                media_type: "text/plain".into(),
                date: DateTime::now(),
            },
        )
        .unwrap();
    (alice, doctor, nurse)
}

fn sections_listed(v: &mut TestVault, record: &carnet::crypto::RecordId) -> BTreeSet<SectionId> {
    v.vault
        .list(record, None)
        .unwrap()
        .into_iter()
        .map(|e| e.section)
        .collect()
}

#[test]
fn a_bundle_holds_exactly_what_its_recipient_is_entitled_to() {
    let (alice, mut doctor, nurse) = world();
    let record = alice.vault.own_record().unwrap();
    alice
        .vault
        .grant(
            "Dr Martin",
            &[SectionId::Allergies, SectionId::Documents],
            Access::Read,
            "GP follow-up",
            None,
        )
        .unwrap();
    alice
        .vault
        .grant(
            "Nurse Joy",
            &[SectionId::Immunizations],
            Access::Read,
            "vaccines",
            None,
        )
        .unwrap();

    let out = bundle_path("exact");
    let summary = alice
        .vault
        .export_bundle(&doctor.vault.card().clone(), false, &out)
        .unwrap();
    assert_eq!(summary.envelopes, 2, "the allergy and the document");
    assert_eq!(summary.attachments, 1);

    // Look inside as the doctor: only the granted sections, only keys for the doctor,
    // only consent entries about the doctor (never the nurse's grant).
    let info = doctor.vault.inspect_bundle(&out).unwrap();
    assert!(info.signature_ok);
    let granted: BTreeSet<SectionId> = [SectionId::Allergies, SectionId::Documents].into();
    let doc_id = doctor.vault.person_id().to_string();
    let nurse_id = nurse.vault.person_id().to_string();
    for item in &info.items {
        match item.kind {
            "envelope" | "key grant" => {
                assert!(granted.contains(&item.section.unwrap()), "{item:?}")
            }
            _ => {}
        }
        if item.kind == "key grant" {
            assert_eq!(item.person.as_deref(), Some(doc_id.as_str()));
        }
        assert_ne!(item.person.as_deref(), Some(nurse_id.as_str()), "{item:?}");
    }
    assert!(info.items.iter().any(|i| i.kind == "consent entry"));

    // Import: the doctor reads exactly those sections, the attachment included.
    let s = doctor.vault.import_bundle(&out).unwrap();
    assert_eq!(s.envelopes, 2);
    assert_eq!(sections_listed(&mut doctor, &record), granted);
    for s in [
        SectionId::Notes,
        SectionId::Medications,
        SectionId::Immunizations,
    ] {
        assert!(
            matches!(
                doctor.vault.list(&record, Some(s)),
                Err(Error::NoKey { .. })
            ),
            "{s} must stay unreadable"
        );
    }
    let docs = doctor
        .vault
        .list(&record, Some(SectionId::Documents))
        .unwrap();
    let (_, bytes) = doctor.vault.attachment(&record, &docs[0].id).unwrap();
    assert_eq!(&bytes[..], b"HbA1c 6.9 %");
    let patients = doctor.vault.patients().unwrap();
    assert_eq!(patients.len(), 1);
    assert_eq!(patients[0].name, "Alice");
    assert_eq!(
        patients[0]
            .sections
            .keys()
            .copied()
            .collect::<BTreeSet<_>>(),
        granted
    );
    // The patient's log says a bundle was written for them; the auditor's check holds.
    assert!(
        alice
            .vault
            .access_log()
            .unwrap()
            .iter()
            .any(|l| l.kind == "bundle written")
    );
    let report = carnet::consent::verify(&alice.vault.audit_export().unwrap(), None);
    assert!(report.ok, "{:?}", report.first_error);
}

#[test]
fn exports_are_incremental_both_ways_and_clinician_writes_come_back_signed() {
    let (mut alice, mut doctor, _) = world();
    let record = alice.vault.own_record().unwrap();
    alice
        .vault
        .grant(
            "Dr Martin",
            &[
                SectionId::Allergies,
                SectionId::Medications,
                SectionId::Notes,
            ],
            Access::Write,
            "diabetes care",
            None,
        )
        .unwrap();
    let (e, _) = exchange(&mut alice, &mut doctor).unwrap();
    assert_eq!(e.envelopes, 3);
    assert_eq!(e.key_grants, 3);

    // Nothing new: nothing sent but the patient's log entry about that delivery.
    let (e, i) = exchange(&mut alice, &mut doctor).unwrap();
    assert_eq!((e.envelopes, e.key_grants), (0, 0));
    assert_eq!(i.envelopes, 0);
    let (e, _) = exchange(&mut alice, &mut doctor).unwrap();
    assert_eq!((e.envelopes, e.key_grants, e.consent_entries), (0, 0, 0));
    alice.vault.add(&record, allergy("Latex")).unwrap();
    let (e, _) = exchange(&mut alice, &mut doctor).unwrap();
    assert_eq!(e.envelopes, 1, "only the new allergy");

    // The way back: the doctor prescribes and writes a note; only those travel.
    doctor
        .vault
        .add(&record, medication("Insulin glargine"))
        .unwrap();
    doctor
        .vault
        .add(&record, note("Seen today, feet fine"))
        .unwrap();
    let (e, i) = exchange(&mut doctor, &mut alice).unwrap();
    assert_eq!((e.envelopes, i.envelopes), (2, 2));
    let (e, _) = exchange(&mut doctor, &mut alice).unwrap();
    assert_eq!(
        e.envelopes, 0,
        "a repeat export from the clinician is empty"
    );

    let meds = alice
        .vault
        .list(&record, Some(SectionId::Medications))
        .unwrap();
    let insulin = meds
        .iter()
        .find(|m| matches!(&m.entry, Entry::Medication(x) if x.name == "Insulin glargine"))
        .unwrap();
    assert_eq!(insulin.author, Some(doctor.vault.person_id()));
    assert_eq!(insulin.prescriber.as_deref(), Some("Dr Martin"));
    assert_eq!(insulin.author_role, Some(carnet::crypto::Role::Clinician));
    let metformin = meds
        .iter()
        .find(|m| matches!(&m.entry, Entry::Medication(x) if x.name == "Metformin"))
        .unwrap();
    assert!(metformin.prescriber.is_none(), "the patient's own entry");
    assert!(
        alice
            .vault
            .access_log()
            .unwrap()
            .iter()
            .any(|l| l.kind == "received" && l.text.contains("Dr Martin")),
        "the patient's log says who wrote into the record"
    );

    // Both sides now show the same shared sections.
    let (_, _) = exchange(&mut alice, &mut doctor).unwrap();
    for s in [
        SectionId::Allergies,
        SectionId::Medications,
        SectionId::Notes,
    ] {
        let a: Vec<_> = alice
            .vault
            .list(&record, Some(s))
            .unwrap()
            .into_iter()
            .map(|v| (v.id, v.entry))
            .collect();
        let d: Vec<_> = doctor
            .vault
            .list(&record, Some(s))
            .unwrap()
            .into_iter()
            .map(|v| (v.id, v.entry))
            .collect();
        assert_eq!(
            format!("{a:?}"),
            format!("{d:?}"),
            "section {s} differs between patient and clinician"
        );
    }
    let report = carnet::consent::verify(&alice.vault.audit_export().unwrap(), None);
    assert!(report.ok, "{:?}", report.first_error);
}

/// An envelope written by `author_dir`'s owner, sealed with a key they hold, for `section`
/// of `record`: what a malicious holder of a read key could make.
fn forge(
    author: &TestVault,
    record: &carnet::crypto::RecordId,
    section: SectionId,
    epoch: u32,
    seq: u64,
    entry: &Entry,
) -> Vec<u8> {
    let secret = secret_of(&author.dir);
    let key = epoch_key_of(&author.dir, record, section, epoch);
    let device = author.vault.device_id();
    let mut doc = SectionDoc::new(section, actor_for(&secret.person_id(), &device));
    let (_, changes) = doc.insert(entry).unwrap();
    Envelope::seal(
        EnvelopeHeader {
            version: ENVELOPE_VERSION,
            record: *record,
            section: section.code(),
            epoch,
            author: secret.person_id(),
            device,
            seq,
            prev: None,
        },
        &changes.to_bytes(),
        &key,
        &secret,
    )
    .unwrap()
    .as_bytes()
    .to_vec()
}

#[test]
fn a_write_by_someone_without_write_access_is_refused_and_changes_nothing() {
    let (mut alice, mut doctor, _) = world();
    let record = alice.vault.own_record().unwrap();
    alice
        .vault
        .grant(
            "Dr Martin",
            &[SectionId::Allergies],
            Access::Read,
            "read only",
            None,
        )
        .unwrap();
    exchange(&mut alice, &mut doctor).unwrap();

    // The doctor's own vault refuses the write.
    let err = doctor.vault.add(&record, allergy("Peanuts")).unwrap_err();
    assert!(matches!(err, Error::ReadOnly { .. }), "{err}");

    // A forged envelope, sealed with the read key the doctor holds, is refused by the
    // patient's engine whatever carries it.
    let forged = forge(
        &doctor,
        &record,
        SectionId::Allergies,
        0,
        1,
        &allergy("Peanuts"),
    );
    let before = alice.vault.state_digest().unwrap();
    let err = alice
        .vault
        .engine()
        .receive_items(
            &doctor.vault.card().clone(),
            &mut Items(VecDeque::from([Item::Envelope {
                bytes: forged,
                blobs: vec![],
            }])),
        )
        .unwrap_err();
    assert!(matches!(err, Error::NotAllowed { .. }), "{err}");
    assert!(err.to_string().contains("Dr Martin"), "{err}");
    assert_eq!(alice.vault.state_digest().unwrap(), before);
    assert_eq!(
        alice
            .vault
            .list(&record, Some(SectionId::Allergies))
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn a_clinician_whose_write_was_revoked_cannot_write_any_more() {
    let (mut alice, mut doctor, _) = world();
    let record = alice.vault.own_record().unwrap();
    let g = alice
        .vault
        .grant(
            "Dr Martin",
            &[SectionId::Notes],
            Access::Write,
            "care",
            None,
        )
        .unwrap();
    exchange(&mut alice, &mut doctor).unwrap();
    doctor
        .vault
        .add(&record, note("before the revoke"))
        .unwrap();
    exchange(&mut doctor, &mut alice).unwrap();

    // Revoked while the doctor is offline; the doctor, not knowing, writes again.
    alice.vault.revoke(&g).unwrap();
    doctor.vault.add(&record, note("after the revoke")).unwrap();
    let out = bundle_path("late");
    doctor
        .vault
        .export_bundle(&alice.vault.card().clone(), false, &out)
        .unwrap();
    let before = alice.vault.state_digest().unwrap();
    let err = alice.vault.import_bundle(&out).unwrap_err();
    assert!(matches!(err, Error::NotAllowed { .. }), "{err}");
    assert_eq!(alice.vault.state_digest().unwrap(), before);
    let notes: Vec<String> = alice
        .vault
        .list(&record, Some(SectionId::Notes))
        .unwrap()
        .into_iter()
        .filter_map(|v| match v.entry {
            Entry::Note(n) => Some(n.text),
            _ => None,
        })
        .collect();
    assert!(notes.contains(&"before the revoke".to_string()));
    assert!(!notes.contains(&"after the revoke".to_string()));
}

#[test]
fn altered_replayed_misaddressed_and_out_of_order_bundles_are_refused() {
    let (alice, doctor, nurse) = world();
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
    alice
        .vault
        .grant(
            "Nurse Joy",
            &[SectionId::Allergies],
            Access::Read,
            "GP",
            None,
        )
        .unwrap();
    let out = bundle_path("b1");
    alice
        .vault
        .export_bundle(&doctor.vault.card().clone(), false, &out)
        .unwrap();
    let good = std::fs::read(&out).unwrap();

    // Addressed to the doctor: the nurse cannot open it.
    let before = nurse.vault.state_digest().unwrap();
    let err = nurse.vault.import_bundle(&out).unwrap_err();
    assert!(err.to_string().contains("not addressed to you"), "{err}");
    assert_eq!(nurse.vault.state_digest().unwrap(), before);

    // Bit flips anywhere (header, sealed stream), and truncations.
    let before = doctor.vault.state_digest().unwrap();
    let bad = bundle_path("bad");
    for pos in (0..good.len()).step_by(good.len() / 40 + 1) {
        let mut b = good.clone();
        b[pos] ^= 0x10;
        std::fs::write(&bad, &b).unwrap();
        let err = doctor.vault.import_bundle(&bad).unwrap_err();
        assert!(!err.to_string().is_empty());
        assert_eq!(
            doctor.vault.state_digest().unwrap(),
            before,
            "flip at {pos}"
        );
    }
    for cut in [10, good.len() / 2, good.len() - 1] {
        std::fs::write(&bad, &good[..cut]).unwrap();
        assert!(doctor.vault.import_bundle(&bad).is_err(), "cut at {cut}");
        assert_eq!(doctor.vault.state_digest().unwrap(), before);
    }
    std::fs::write(&bad, b"{\"resourceType\": \"Bundle\"}").unwrap();
    let err = doctor.vault.import_bundle(&bad).unwrap_err();
    assert!(err.to_string().contains("not a Carnet bundle"), "{err}");

    // Genuine: taken once; the replay is refused and changes nothing.
    doctor.vault.import_bundle(&out).unwrap();
    let before = doctor.vault.state_digest().unwrap();
    let err = doctor.vault.import_bundle(&out).unwrap_err();
    assert!(matches!(err, Error::AlreadyImported), "{err}");
    assert_eq!(doctor.vault.state_digest().unwrap(), before);

    // Out of order: bundle 3 continues bundle 2, which the doctor never imported.
    let record = alice.vault.own_record().unwrap();
    alice.vault.add(&record, allergy("Latex")).unwrap();
    let b2 = bundle_path("b2");
    alice
        .vault
        .export_bundle(&doctor.vault.card().clone(), false, &b2)
        .unwrap();
    alice.vault.add(&record, allergy("Aspirin")).unwrap();
    let b3 = bundle_path("b3");
    alice
        .vault
        .export_bundle(&doctor.vault.card().clone(), false, &b3)
        .unwrap();
    let before = doctor.vault.state_digest().unwrap();
    let err = doctor.vault.import_bundle(&b3).unwrap_err();
    assert!(err.to_string().contains("earlier one"), "{err}");
    assert_eq!(doctor.vault.state_digest().unwrap(), before);
    doctor.vault.import_bundle(&b2).unwrap();
    doctor.vault.import_bundle(&b3).unwrap();
    assert_eq!(
        doctor
            .vault
            .list(&record, Some(SectionId::Allergies))
            .unwrap()
            .len(),
        3
    );
}

#[test]
fn a_revoked_or_blocked_clinician_gets_no_new_plaintext() {
    let (mut alice, mut doctor, mut nurse) = world();
    let record = alice.vault.own_record().unwrap();
    let g = alice
        .vault
        .grant(
            "Dr Martin",
            &[SectionId::Allergies],
            Access::Read,
            "GP",
            None,
        )
        .unwrap();
    alice
        .vault
        .grant(
            "Nurse Joy",
            &[SectionId::Allergies],
            Access::Read,
            "GP",
            None,
        )
        .unwrap();
    exchange(&mut alice, &mut doctor).unwrap();
    exchange(&mut alice, &mut nurse).unwrap();
    alice.vault.revoke(&g).unwrap();
    alice.vault.add(&record, allergy("Shellfish")).unwrap();

    // Nothing is exported to the revoked doctor.
    let err = alice
        .vault
        .export_bundle(&doctor.vault.card().clone(), false, &bundle_path("no"))
        .unwrap_err();
    assert!(matches!(err, Error::NothingShared { .. }), "{err}");

    // The bundle made after the revoke for the nurse: the doctor cannot import it.
    let for_nurse = bundle_path("nurse");
    alice
        .vault
        .export_bundle(&nurse.vault.card().clone(), false, &for_nurse)
        .unwrap();
    let before = doctor.vault.state_digest().unwrap();
    assert!(doctor.vault.import_bundle(&for_nurse).is_err());
    assert_eq!(doctor.vault.state_digest().unwrap(), before);

    // Even handed the new envelopes directly, the doctor holds no key to them.
    let new_env = alice
        .vault
        .engine()
        .envelopes(&record, SectionId::Allergies)
        .unwrap()
        .into_iter()
        .find(|b| Envelope::from_bytes(b).unwrap().header().epoch == 1)
        .expect("an envelope under the new epoch");
    let err = doctor
        .vault
        .engine()
        .receive_items(
            &alice.vault.card().clone(),
            &mut Items(VecDeque::from([Item::Envelope {
                bytes: new_env,
                blobs: vec![],
            }])),
        )
        .unwrap_err();
    assert!(matches!(err, Error::NoKey { .. }), "{err}");
    assert_eq!(doctor.vault.state_digest().unwrap(), before);
    let seen: Vec<String> = doctor
        .vault
        .list(&record, Some(SectionId::Allergies))
        .unwrap()
        .into_iter()
        .filter_map(|v| match v.entry {
            Entry::Allergy(a) => Some(a.substance),
            _ => None,
        })
        .collect();
    assert!(!seen.contains(&"Shellfish".to_string()));
    // What the doctor read before the revoke stays readable: it cannot be recalled.
    assert!(seen.contains(&"Penicillin".to_string()));

    // The nurse, still granted, gets it.
    nurse.vault.import_bundle(&for_nurse).unwrap();
    assert_eq!(
        nurse
            .vault
            .list(&record, Some(SectionId::Allergies))
            .unwrap()
            .len(),
        2
    );

    // Block: nothing goes out, nothing comes in.
    alice.vault.block("Nurse Joy").unwrap();
    let err = alice
        .vault
        .export_bundle(&nurse.vault.card().clone(), false, &bundle_path("blocked"))
        .unwrap_err();
    assert!(matches!(err, Error::Blocked { .. }), "{err}");
    let nurse_out = bundle_path("from-nurse");
    // The nurse still has a key and may try to send anything.
    nurse
        .vault
        .export_bundle(&alice.vault.card().clone(), false, &nurse_out)
        .unwrap();
    let before = alice.vault.state_digest().unwrap();
    let err = alice.vault.import_bundle(&nurse_out).unwrap_err();
    assert!(matches!(err, Error::Blocked { .. }), "{err}");
    assert_eq!(alice.vault.state_digest().unwrap(), before);
    let report = carnet::consent::verify(&alice.vault.audit_export().unwrap(), None);
    assert!(report.ok, "{:?}", report.first_error);
}

#[test]
fn a_clinician_accepts_a_record_only_from_its_patient() {
    let (mut alice, mut doctor, mut nurse) = world();
    let record = alice.vault.own_record().unwrap();
    alice
        .vault
        .grant(
            "Dr Martin",
            &[SectionId::Allergies],
            Access::Write,
            "GP",
            None,
        )
        .unwrap();
    exchange(&mut alice, &mut doctor).unwrap();
    // The nurse (no grant) tries to feed the doctor Alice's envelopes and a forged key.
    let envs = alice
        .vault
        .engine()
        .envelopes(&record, SectionId::Allergies)
        .unwrap();
    let before = doctor.vault.state_digest().unwrap();
    let err = doctor
        .vault
        .engine()
        .receive_items(
            &nurse.vault.card().clone(),
            &mut Items(
                envs.into_iter()
                    .map(|bytes| Item::Envelope {
                        bytes,
                        blobs: vec![],
                    })
                    .collect(),
            ),
        )
        .unwrap_err();
    assert!(err.to_string().contains("only from its patient"), "{err}");
    assert_eq!(doctor.vault.state_digest().unwrap(), before);
    let _ = &mut nurse;
}

#[test]
fn after_a_refused_bundle_the_next_one_goes_through_once_write_is_granted_again() {
    // Found by the convergence property: the clinician's guess that the patient holds what
    // it sent must be corrected by what the patient says it holds.
    let (mut alice, mut doctor, _) = world();
    let record = alice.vault.own_record().unwrap();
    let g = alice
        .vault
        .grant(
            "Dr Martin",
            &[SectionId::Allergies],
            Access::Write,
            "care",
            None,
        )
        .unwrap();
    exchange(&mut alice, &mut doctor).unwrap();
    alice.vault.revoke(&g).unwrap();
    doctor.vault.add(&record, allergy("Nuts")).unwrap();
    assert!(matches!(
        exchange(&mut doctor, &mut alice),
        Err(Error::NotAllowed { .. })
    ));
    // Write is granted again: the patient's bundle tells the doctor what it holds, and the
    // doctor's next bundle carries the change the patient refused before.
    alice
        .vault
        .grant(
            "Dr Martin",
            &[SectionId::Allergies],
            Access::Write,
            "care again",
            None,
        )
        .unwrap();
    exchange(&mut alice, &mut doctor).unwrap();
    let (e, i) = exchange(&mut doctor, &mut alice).unwrap();
    assert_eq!((e.envelopes, i.envelopes), (1, 1));
    assert!(
        alice
            .vault
            .list(&record, Some(SectionId::Allergies))
            .unwrap()
            .iter()
            .any(|v| matches!(&v.entry, Entry::Allergy(a) if a.substance == "Nuts"))
    );
}

#[test]
fn two_grants_on_one_section_each_keep_their_keys() {
    // Found by the convergence property: revoking a second grant on a section must not
    // take away the first grant's keys to that section's history.
    let (mut alice, mut doctor, _) = world();
    let record = alice.vault.own_record().unwrap();
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
    let g2 = alice
        .vault
        .grant(
            "Dr Martin",
            &[SectionId::Allergies, SectionId::Notes],
            Access::Write,
            "care",
            None,
        )
        .unwrap();
    alice.vault.revoke(&g2).unwrap();
    alice.vault.add(&record, allergy("Latex")).unwrap();
    exchange(&mut alice, &mut doctor).unwrap();
    let seen = doctor
        .vault
        .list(&record, Some(SectionId::Allergies))
        .unwrap();
    assert_eq!(
        seen.len(),
        2,
        "history (epoch 0) and the new allergy (epoch 1)"
    );
    let held = doctor.vault.engine().held_sections(&record).unwrap();
    assert_eq!(held.get(&SectionId::Allergies), Some(&Access::Read));
    assert!(
        !held.contains_key(&SectionId::Notes),
        "the revoked grant covers nothing"
    );
    assert!(matches!(
        doctor.vault.add(&record, allergy("Nuts")),
        Err(Error::ReadOnly { .. })
    ));
}

#[test]
fn a_later_read_grant_does_not_hide_an_earlier_write_grant() {
    let (mut alice, mut doctor, _) = world();
    let record = alice.vault.own_record().unwrap();
    alice
        .vault
        .grant(
            "Dr Martin",
            &[SectionId::Notes],
            Access::Write,
            "care",
            None,
        )
        .unwrap();
    alice
        .vault
        .grant(
            "Dr Martin",
            &[SectionId::Notes],
            Access::Read,
            "second opinion",
            None,
        )
        .unwrap();
    exchange(&mut alice, &mut doctor).unwrap();
    assert_eq!(
        doctor
            .vault
            .engine()
            .held_sections(&record)
            .unwrap()
            .get(&SectionId::Notes),
        Some(&Access::Write)
    );
    doctor.vault.add(&record, note("by the doctor")).unwrap();
    let (_, i) = exchange(&mut doctor, &mut alice).unwrap();
    assert_eq!(i.envelopes, 1);
}

#[test]
fn sending_in_small_batches_delivers_the_same_record() {
    let (alice, doctor, _) = world();
    let record = alice.vault.own_record().unwrap();
    for i in 0..5 {
        alice.vault.add(&record, note(&format!("n{i}"))).unwrap();
    }
    alice
        .vault
        .grant(
            "Dr Martin",
            &[SectionId::Notes, SectionId::Documents],
            Access::Read,
            "care",
            None,
        )
        .unwrap();
    let card = doctor.vault.card().clone();
    let mut theirs = carnet::wire::Have::default();
    let mut batches = 0;
    loop {
        let mut items = VecDeque::new();
        let report = alice
            .vault
            .engine()
            .send_batch(&card, &theirs, Some(1), &mut |i| {
                items.push_back(i);
                Ok(())
            })
            .unwrap();
        alice
            .vault
            .engine()
            .commit_sent(&card.person_id(), &report)
            .unwrap();
        doctor
            .vault
            .engine()
            .receive_items(&alice.vault.card().clone(), &mut Items(items))
            .unwrap();
        batches += 1;
        theirs = report.peer_after.clone();
        if !report.more {
            break;
        }
        assert!(batches < 50, "batches must make progress");
    }
    assert_eq!(batches, 7, "one envelope per batch: 6 notes and a document");
    assert_eq!(
        doctor
            .vault
            .list(&record, Some(SectionId::Notes))
            .unwrap()
            .len(),
        6
    );
    let docs = doctor
        .vault
        .list(&record, Some(SectionId::Documents))
        .unwrap();
    assert_eq!(
        &doctor.vault.attachment(&record, &docs[0].id).unwrap().1[..],
        b"HbA1c 6.9 %"
    );
    let report = carnet::consent::verify(&alice.vault.audit_export().unwrap(), None);
    assert!(report.ok, "{:?}", report.first_error);
}

#[test]
fn bulk_imported_attachments_and_readings_travel_to_a_clinician() {
    use carnet::record::{Code, Reading, ReadingSet, systems};
    use carnet::{ImportItem, LabeledItem};

    let (mut alice, mut doctor, _) = world();
    let record = alice.vault.own_record().unwrap();
    let start = 1_735_689_600;
    alice
        .vault
        .import(
            &record,
            vec![
                LabeledItem {
                    label: "DocumentReference".into(),
                    item: ImportItem::Document {
                        input: AttachmentInput {
                            title: "discharge letter".into(),
                            doc_type: DocType::Letter,
                            file_name: Some("letter.txt".into()),
                            media_type: "text/plain".into(),
                            date: DateTime::now(),
                        },
                        bytes: b"Discharged in good health.".to_vec(),
                    },
                },
                LabeledItem {
                    label: "Observation".into(),
                    item: ImportItem::Readings(ReadingSet {
                        kind: Code::new(systems::LOINC, "99504-3", None),
                        unit: "mg/dL".into(),
                        source: Some("Dexcom G6".into()),
                        readings: (0..2_000i64)
                            .map(|i| Reading {
                                at: DateTime::from_unix(start + 300 * i).unwrap(),
                                value: 90.0 + (i % 40) as f64,
                            })
                            .collect(),
                    }),
                },
            ],
            &mut |_, _| {},
        )
        .unwrap();
    alice
        .vault
        .grant(
            "Dr Martin",
            &[SectionId::Documents, SectionId::Measurements],
            Access::Read,
            "care",
            None,
        )
        .unwrap();
    exchange(&mut alice, &mut doctor).unwrap();
    let docs = doctor
        .vault
        .list(&record, Some(SectionId::Documents))
        .unwrap();
    let letter = docs
        .iter()
        .find(|d| matches!(&d.entry, Entry::Document(x) if x.title == "discharge letter"))
        .expect("the imported document");
    let (_, bytes) = doctor.vault.attachment(&record, &letter.id).unwrap();
    assert_eq!(&bytes[..], b"Discharged in good health.");
    let readings = doctor.vault.readings(&record, &["99504-3"]).unwrap();
    assert_eq!(readings.len(), 2_000, "every reading of the series blocks");
    // A full re-export resends attachments the doctor holds: taken without complaint.
    let out = bundle_path("full");
    alice
        .vault
        .export_bundle(&doctor.vault.card().clone(), true, &out)
        .unwrap();
    let again = doctor.vault.import_bundle(&out).unwrap();
    assert_eq!(again.envelopes, 0);
}

#[test]
fn a_thousand_imported_documents_reach_a_clinician_by_bundle() {
    use carnet::{ImportItem, LabeledItem};

    let mut alice = vault("Alice", Role::Patient);
    let mut doctor = vault("Dr Martin", Role::Clinician);
    introduce(&mut alice, "Dr Martin", &doctor);
    introduce(&mut doctor, "Alice", &alice);
    let record = alice.vault.own_record().unwrap();
    let body = |i: usize| format!("scanned letter {i}").into_bytes();
    let items = (0..1_000)
        .map(|i| LabeledItem {
            label: "DocumentReference".into(),
            item: ImportItem::Document {
                input: AttachmentInput {
                    title: format!("letter {i}"),
                    doc_type: DocType::Letter,
                    file_name: Some(format!("letter-{i}.txt")),
                    media_type: "text/plain".into(),
                    date: DateTime::from_unix(1_735_689_600 + 60 * i as i64).unwrap(),
                },
                bytes: body(i),
            },
        })
        .collect();
    let imported = alice.vault.import(&record, items, &mut |_, _| {}).unwrap();
    assert_eq!(imported.added.get("DocumentReference"), Some(&1_000));
    alice
        .vault
        .grant(
            "Dr Martin",
            &[SectionId::Documents],
            Access::Read,
            "records transfer",
            None,
        )
        .unwrap();

    let (sent, taken) = exchange(&mut alice, &mut doctor).unwrap();
    let limit = carnet::wire::MAX_ENVELOPE_ATTACHMENTS;
    assert_eq!(sent.envelopes, 1_000usize.div_ceil(limit));
    assert_eq!(sent.attachments, 1_000);
    assert_eq!(taken.attachments, 1_000);
    assert_eq!(taken.envelopes, sent.envelopes);
    let docs = doctor
        .vault
        .list(&record, Some(SectionId::Documents))
        .unwrap();
    assert_eq!(docs.len(), 1_000);
    let by_title: std::collections::HashMap<String, carnet::record::EntryId> = docs
        .iter()
        .filter_map(|d| match &d.entry {
            Entry::Document(x) => Some((x.title.clone(), d.id.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(by_title.len(), 1_000, "1,000 distinct documents");
    // The first and last, and those on each side of an envelope's limit.
    for i in [0, limit - 1, limit, 500, 999] {
        let id = &by_title[&format!("letter {i}")];
        let (_, bytes) = doctor.vault.attachment(&record, id).unwrap();
        assert_eq!(bytes[..], body(i)[..], "letter {i}");
    }
    // Nothing is left to send.
    let (again, _) = exchange(&mut alice, &mut doctor).unwrap();
    assert_eq!((again.envelopes, again.attachments), (0, 0));
}
