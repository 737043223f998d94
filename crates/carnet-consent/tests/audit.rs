//! The auditor's checks: a genuine log verifies; every kind of tampering is caught and
//! named.

use carnet_consent::*;
use carnet_crypto::{DeviceId, IdentityCard, PersonSecret, RecordId, Role};

/// Finding plaintext however it is wrapped (base64, zstd, raw deflate).
#[path = "../../../tests/reveal.rs"]
mod reveal;

const SALT: [u8; 32] = [42; 32];

struct World {
    patient: PersonSecret,
    card: IdentityCard,
    doctor: PersonSecret,
    doctor_card: IdentityCard,
    log: ConsentLog,
    grant: GrantId,
}

fn tag(code: u8) -> SectionTag {
    SectionTag::commit(&SALT, code)
}

/// A patient grants a doctor read on sections 1 and 2 and write on 7, delivers keys,
/// serves a bundle, receives a note back, then revokes and rotates.
fn world() -> World {
    let patient = PersonSecret::generate().unwrap();
    let card = IdentityCard::issue(&patient, "Alice", Role::Patient, vec![], 1).unwrap();
    let doctor = PersonSecret::generate().unwrap();
    let doctor_card = IdentityCard::issue(&doctor, "Dr Bob", Role::Clinician, vec![], 1).unwrap();
    let record = RecordId::of_patient(&patient.person_id());
    let mut log = ConsentLog::new(record, patient.person_id());
    log.append(
        &patient,
        Action::Genesis {
            patient_card: card.to_text(),
        },
        100,
    )
    .unwrap();
    let grant = GrantId::random().unwrap();
    log.append(
        &patient,
        Action::Grant {
            grant,
            grantee: doctor.person_id(),
            grantee_card: doctor_card.to_text(),
            sections: vec![tag(1), tag(2), tag(7)],
            access: Access::Write,
            purpose: SectionTag::commit_text(&SALT, "diabetes follow-up"),
            not_before: 100,
            not_after: Some(10_000),
        },
        110,
    )
    .unwrap();
    for s in [1, 2, 7] {
        log.append(
            &patient,
            Action::KeyDelivery {
                grant,
                grantee: doctor.person_id(),
                section: tag(s),
                epoch: 0,
            },
            120,
        )
        .unwrap();
    }
    let range = |s: u8| Range {
        section: tag(s),
        author: patient.person_id(),
        device: DeviceId([1; 16]),
        from: 1,
        to: 3,
    };
    log.append(
        &patient,
        Action::Served {
            to: doctor.person_id(),
            ranges: vec![range(1), range(2)],
        },
        130,
    )
    .unwrap();
    log.append(
        &patient,
        Action::Received {
            from: doctor.person_id(),
            ranges: vec![Range {
                section: tag(7),
                author: doctor.person_id(),
                device: DeviceId([2; 16]),
                from: 1,
                to: 1,
            }],
        },
        140,
    )
    .unwrap();
    log.append(&patient, Action::Revoke { grant }, 150).unwrap();
    for s in [1, 2, 7] {
        log.append(
            &patient,
            Action::EpochRotation {
                section: tag(s),
                epoch: 1,
            },
            150,
        )
        .unwrap();
    }
    World {
        patient,
        card,
        doctor,
        doctor_card,
        log,
        grant,
    }
}

fn export(w: &World) -> AuditExport {
    AuditExport::new(&w.log, &w.card, vec![w.log.checkpoint(&w.patient).unwrap()])
}

fn fails_with(export: &AuditExport, since: Option<&str>, needle: &str) {
    let r = verify(export, since);
    assert!(
        !r.ok,
        "verification passed but should have failed ({needle})"
    );
    let err = r.first_error.unwrap();
    assert!(err.contains(needle), "expected \"{needle}\" in: {err}");
}

#[test]
fn a_genuine_log_verifies_and_round_trips_through_json() {
    let w = world();
    let e = export(&w);
    let back = AuditExport::from_json(e.to_json().as_bytes()).unwrap();
    let r = verify(&back, None);
    assert_eq!(
        r,
        Report {
            ok: true,
            entries: w.log.len(),
            checkpoints: 1,
            first_error: None
        }
    );
    // The purpose the world committed is nowhere in the export: not in the JSON, not in
    // the entries (base64) or the cards inside them, not compressed, as bytes or as text.
    // (Sections reach the log only as the codes a caller commits, one byte each: nothing a
    // search can tell apart; the vault-level check with section names is
    // tests/audit_export.rs.)
    let json = e.to_json();
    let leaks = reveal::needles_found(json.as_bytes(), &["diabetes follow-up", "diabetes"]);
    assert!(leaks.is_empty(), "the purpose leaked: {leaks:?}");
    // The search reads what it searches: the doctor's name is in his card, inside the grant
    // entry (base64 of the entry, then base64url of the card), and it is found there.
    let names = reveal::needles_found(json.as_bytes(), &["Dr Bob", "Alice"]);
    assert_eq!(
        names.len(),
        2,
        "the search did not reach the names inside the cards: {names:?}"
    );
    let bob = &names.iter().find(|f| f.needle == "Dr Bob").unwrap().path;
    assert!(
        bob.matches("base64").count() >= 2,
        "the doctor's name was found without decoding the entry and the card: {bob}"
    );
    let _ = (&w.doctor, &w.doctor_card, w.grant);
}

#[test]
fn removed_reordered_altered_and_inserted_entries_are_detected() {
    let w = world();
    let good = export(&w);

    let mut removed = good.clone();
    removed.entries.remove(3);
    fails_with(&removed, None, "entry 3");

    let mut reordered = good.clone();
    reordered.entries.swap(4, 5);
    fails_with(&reordered, None, "entry 4");

    let mut altered = good.clone();
    let mut bytes = data_encoding::BASE64
        .decode(altered.entries[6].as_bytes())
        .unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 1;
    altered.entries[6] = data_encoding::BASE64.encode(&bytes);
    fails_with(&altered, None, "entry 6");

    // An entry signed by the patient but inserted in the middle.
    let mut inserted = good.clone();
    inserted.entries.insert(2, good.entries[1].clone());
    fails_with(&inserted, None, "entry 2");

    // A forged entry appended by someone else (the doctor), with a checkpoint he signs.
    let mut forged_log = w.log.clone();
    let err = forged_log
        .append(
            &w.doctor,
            Action::Block {
                person: w.patient.person_id(),
            },
            200,
        )
        .unwrap_err();
    assert!(err.to_string().contains("signature"), "{err}");
}

#[test]
fn a_swapped_or_foreign_checkpoint_is_detected() {
    let w = world();
    let mut e = export(&w);
    // A checkpoint of another patient's log.
    let other = world();
    e.checkpoints = vec![other.log.checkpoint(&other.patient).unwrap()];
    fails_with(&e, None, "checkpoint");
    // An old checkpoint only: the newest entries are not covered.
    let mut short = w.log.clone();
    let mut fresh = ConsentLog::new(*short.record(), w.patient.person_id());
    for s in short.entries().iter().take(3) {
        fresh.push(s.clone()).unwrap();
    }
    let old_cp = fresh.checkpoint(&w.patient).unwrap();
    let mut e = export(&w);
    e.checkpoints = vec![old_cp.clone()];
    fails_with(&e, None, "covers 3 of");
    // A checkpoint text altered (size changed).
    let mut e = export(&w);
    e.checkpoints = vec![e.checkpoints[0].replacen(&format!("\n{}\n", w.log.len()), "\n3\n", 1)];
    fails_with(&e, None, "checkpoint");
    short
        .append(
            &w.patient,
            Action::Block {
                person: w.doctor.person_id(),
            },
            300,
        )
        .unwrap();
}

#[test]
fn a_history_rewrite_after_an_old_checkpoint_is_detected() {
    let w = world();
    let old = w.log.checkpoint(&w.patient).unwrap();
    // The honest log grows: the old checkpoint is consistent with it.
    let mut grown = w.log.clone();
    grown
        .append(
            &w.patient,
            Action::Block {
                person: w.doctor.person_id(),
            },
            400,
        )
        .unwrap();
    let e = AuditExport::new(&grown, &w.card, vec![grown.checkpoint(&w.patient).unwrap()]);
    let r = verify(&e, Some(&old));
    assert!(r.ok, "{:?}", r.first_error);
    assert_eq!(r.checkpoints, 2);
    // The patient rewrites history (drops the revoke and what followed, then re-appends
    // other entries) and signs fresh checkpoints: the log is self-consistent, but not with
    // what the auditor saw before.
    let mut rewritten = ConsentLog::new(*w.log.record(), w.patient.person_id());
    for s in w.log.entries().iter().take(7) {
        rewritten.push(s.clone()).unwrap();
    }
    for i in 0..6 {
        rewritten
            .append(
                &w.patient,
                Action::Block {
                    person: carnet_crypto::PersonId([i; 32]),
                },
                500,
            )
            .unwrap();
    }
    let e = AuditExport::new(
        &rewritten,
        &w.card,
        vec![rewritten.checkpoint(&w.patient).unwrap()],
    );
    assert!(
        verify(&e, None).ok,
        "a rewritten log is internally consistent"
    );
    fails_with(&e, Some(&old), "rewritten");
}

#[test]
fn a_key_delivery_after_a_revoke_is_detected() {
    let w = world();
    let mut log = w.log.clone();
    log.append(
        &w.patient,
        Action::KeyDelivery {
            grant: w.grant,
            grantee: w.doctor.person_id(),
            section: tag(1),
            epoch: 1,
        },
        160,
    )
    .unwrap();
    let e = AuditExport::new(&log, &w.card, vec![log.checkpoint(&w.patient).unwrap()]);
    fails_with(&e, None, "not valid at this time");
}

#[test]
fn deliveries_and_service_outside_a_grant_are_detected() {
    let w = world();
    // Before the revoke: a delivery of a section the grant does not cover.
    let mut log = ConsentLog::new(*w.log.record(), w.patient.person_id());
    for s in w.log.entries().iter().take(2) {
        log.push(s.clone()).unwrap();
    }
    let mut wrong_section = log.clone();
    wrong_section
        .append(
            &w.patient,
            Action::KeyDelivery {
                grant: w.grant,
                grantee: w.doctor.person_id(),
                section: tag(5),
                epoch: 0,
            },
            120,
        )
        .unwrap();
    let e = AuditExport::new(
        &wrong_section,
        &w.card,
        vec![wrong_section.checkpoint(&w.patient).unwrap()],
    );
    fails_with(&e, None, "not covered");
    // After expiry.
    let mut expired = log.clone();
    expired
        .append(
            &w.patient,
            Action::KeyDelivery {
                grant: w.grant,
                grantee: w.doctor.person_id(),
                section: tag(1),
                epoch: 0,
            },
            20_000,
        )
        .unwrap();
    let e = AuditExport::new(
        &expired,
        &w.card,
        vec![expired.checkpoint(&w.patient).unwrap()],
    );
    fails_with(&e, None, "not valid at this time");
    // Served to a stranger.
    let mut stranger = log.clone();
    let range = Range {
        section: tag(1),
        author: w.patient.person_id(),
        device: DeviceId([1; 16]),
        from: 1,
        to: 1,
    };
    stranger
        .append(
            &w.patient,
            Action::Served {
                to: carnet_crypto::PersonId([9; 32]),
                ranges: vec![range.clone()],
            },
            130,
        )
        .unwrap();
    let e = AuditExport::new(
        &stranger,
        &w.card,
        vec![stranger.checkpoint(&w.patient).unwrap()],
    );
    fails_with(&e, None, "no valid read grant");
    // Served after a block.
    let mut blocked = log.clone();
    blocked
        .append(
            &w.patient,
            Action::Block {
                person: w.doctor.person_id(),
            },
            130,
        )
        .unwrap();
    blocked
        .append(
            &w.patient,
            Action::Served {
                to: w.doctor.person_id(),
                ranges: vec![range],
            },
            131,
        )
        .unwrap();
    let e = AuditExport::new(
        &blocked,
        &w.card,
        vec![blocked.checkpoint(&w.patient).unwrap()],
    );
    fails_with(&e, None, "no valid read grant");
}

#[test]
fn junk_exports_are_refused_clearly() {
    assert!(AuditExport::from_json(b"not json").is_err());
    assert!(AuditExport::from_json(b"{\"format\":\"other\",\"record\":\"\",\"patient_card\":\"\",\"entries\":[],\"checkpoints\":[]}").is_err());
    let w = world();
    let mut e = export(&w);
    e.entries[0] = "!!!".into();
    fails_with(&e, None, "entry 0");
    let mut e = export(&w);
    e.entries.clear();
    fails_with(&e, None, "genesis");
}

#[test]
fn changes_received_are_checked_against_their_authors_write_grant() {
    let w = world();
    let range = |author: carnet_crypto::PersonId| Range {
        section: tag(7),
        author,
        device: DeviceId([2; 16]),
        from: 2,
        to: 2,
    };
    // After the revoke (the world ends with one): the doctor's change is refused.
    let mut after = w.log.clone();
    after
        .append(
            &w.patient,
            Action::Received {
                from: w.doctor.person_id(),
                ranges: vec![range(w.doctor.person_id())],
            },
            160,
        )
        .unwrap();
    let e = AuditExport::new(&after, &w.card, vec![after.checkpoint(&w.patient).unwrap()]);
    fails_with(&e, None, "no valid write grant");

    // Before the revoke, relayed by someone else: what counts is the author's grant.
    let mut log = ConsentLog::new(*w.log.record(), w.patient.person_id());
    for s in w.log.entries().iter().take(5) {
        log.push(s.clone()).unwrap();
    }
    let mut relayed = log.clone();
    relayed
        .append(
            &w.patient,
            Action::Received {
                from: carnet_crypto::PersonId([9; 32]),
                ranges: vec![range(w.doctor.person_id())],
            },
            125,
        )
        .unwrap();
    let e = AuditExport::new(
        &relayed,
        &w.card,
        vec![relayed.checkpoint(&w.patient).unwrap()],
    );
    let r = verify(&e, None);
    assert!(r.ok, "{:?}", r.first_error);

    // A change authored by a stranger is refused whoever brings it.
    let mut stranger = log.clone();
    stranger
        .append(
            &w.patient,
            Action::Received {
                from: w.doctor.person_id(),
                ranges: vec![range(carnet_crypto::PersonId([9; 32]))],
            },
            125,
        )
        .unwrap();
    let e = AuditExport::new(
        &stranger,
        &w.card,
        vec![stranger.checkpoint(&w.patient).unwrap()],
    );
    fails_with(&e, None, "no valid write grant");
    // An entry naming no range is malformed.
    let mut empty = log.clone();
    empty
        .append(
            &w.patient,
            Action::Served {
                to: w.doctor.person_id(),
                ranges: vec![],
            },
            125,
        )
        .unwrap();
    let e = AuditExport::new(&empty, &w.card, vec![empty.checkpoint(&w.patient).unwrap()]);
    fails_with(&e, None, "names no envelope range");
}

/// The first `n` entries of the world's log: the log as it stood earlier, with a checkpoint
/// the patient genuinely signed then.
fn prefix(w: &World, n: usize) -> ConsentLog {
    let mut log = ConsentLog::new(*w.log.record(), w.patient.person_id());
    for s in w.log.entries().iter().take(n) {
        log.push(s.clone()).unwrap();
    }
    log
}

#[test]
fn an_export_cut_back_below_an_older_checkpoint_fails() {
    let w = world();
    // The auditor kept the checkpoint of the whole log.
    let seen = w.log.checkpoint(&w.patient).unwrap();
    // Later someone hands them the log cut back to an earlier checkpoint: every entry and
    // checkpoint in it is genuine, so on its own it verifies.
    let cut = prefix(&w, 7);
    let e = AuditExport::new(&cut, &w.card, vec![cut.checkpoint(&w.patient).unwrap()]);
    let r = verify(&e, None);
    assert!(r.ok, "{:?}", r.first_error);
    fails_with(&e, Some(&seen), "cut back");
}

/// The attack `verify` alone lets through: someone with a key of their own writes a log
/// whose card bears the patient's name. Everything in it is consistent.
fn impostor_export(name: &str) -> (PersonSecret, AuditExport) {
    let mallory = PersonSecret::generate().unwrap();
    let card = IdentityCard::issue(&mallory, name, Role::Patient, vec![], 1).unwrap();
    let mut log = ConsentLog::new(
        RecordId::of_patient(&mallory.person_id()),
        mallory.person_id(),
    );
    log.append(
        &mallory,
        Action::Genesis {
            patient_card: card.to_text(),
        },
        100,
    )
    .unwrap();
    log.append(
        &mallory,
        Action::Block {
            person: carnet_crypto::PersonId([9; 32]),
        },
        110,
    )
    .unwrap();
    let cp = log.checkpoint(&mallory).unwrap();
    (mallory, AuditExport::new(&log, &card, vec![cp]))
}

fn pinned(patient: &PersonSecret) -> Pins<'static> {
    Pins {
        patient: Some(patient.person_id()),
        ..Pins::default()
    }
}

#[test]
fn a_log_signed_by_another_key_under_the_patients_name_is_refused_for_that_patient() {
    let w = world();
    let (mallory, forged) = impostor_export("Alice");
    // Without a trust root it is self-consistent, and that is all verify can say.
    let r = verify_with(&forged, &Pins::default());
    assert!(r.report.ok, "{:?}", r.report.first_error);
    assert_eq!(r.trust_root, None);
    assert_eq!(r.name.as_deref(), Some("Alice"));
    // Pinned to the real patient, it is refused, naming whose log it is.
    let r = verify_with(&forged, &pinned(&w.patient));
    assert!(!r.report.ok);
    let err = r.report.first_error.unwrap();
    assert!(
        err.contains(&format!("consent log of person {}", mallory.person_id()))
            && err.contains("\"Alice\"")
            && err.contains(&format!("not of {}", w.patient.person_id())),
        "{err}"
    );
    assert_eq!(r.person, Some(mallory.person_id()), "whose log it is");
    assert_eq!(r.newest, None);

    // The real patient's card put in front of the impostor's entries: the entries must be
    // signed by the pinned patient, and they are not.
    let mut swapped = forged.clone();
    swapped.patient_card = w.card.to_text();
    swapped.record = w.log.record().to_string();
    let r = verify_with(&swapped, &pinned(&w.patient));
    assert!(!r.report.ok);
    let err = r.report.first_error.unwrap();
    assert!(err.starts_with("entry 0"), "{err}");
}

#[test]
fn the_right_patient_passes_and_the_report_says_whose_log_and_which_root() {
    let w = world();
    let e = export(&w);
    let r = verify_with(&e, &pinned(&w.patient));
    assert!(r.report.ok, "{:?}", r.report.first_error);
    assert_eq!(r.report.entries, w.log.len());
    assert_eq!(r.trust_root, Some(w.patient.person_id()));
    assert_eq!(r.record, Some(*w.log.record()));
    assert_eq!(r.person, Some(w.patient.person_id()));
    assert_eq!(r.name.as_deref(), Some("Alice"));
    let newest = r.newest.unwrap();
    assert_eq!(newest.size, w.log.len());
    assert_eq!(newest.root, w.log.root(w.log.len()).unwrap());
    assert_eq!(&newest.note, e.checkpoints.last().unwrap());
    // What it says agrees with the older entry point.
    assert_eq!(verify(&e, None), r.report);
}

#[test]
fn a_log_cut_back_below_a_pinned_size_fails() {
    let w = world();
    let n = w.log.len();
    let full = export(&w);
    let pins = |min: u64| Pins {
        patient: Some(w.patient.person_id()),
        min_size: Some(min),
        ..Pins::default()
    };
    assert!(verify_with(&full, &pins(n)).report.ok);
    assert!(verify_with(&full, &pins(3)).report.ok);
    // The same log cut back to its 7th entry, with the checkpoint the patient signed then.
    let cut = prefix(&w, 7);
    let e = AuditExport::new(&cut, &w.card, vec![cut.checkpoint(&w.patient).unwrap()]);
    assert!(verify_with(&e, &pins(7)).report.ok);
    let r = verify_with(&e, &pins(n));
    assert!(!r.report.ok);
    let err = r.report.first_error.unwrap();
    assert!(
        err.contains(&format!(
            "holds 7 entries, fewer than the {n} of the size you pinned"
        )) && err.contains("cut back"),
        "{err}"
    );
}

#[test]
fn an_older_checkpoint_checks_extension_and_the_size_it_covers() {
    let w = world();
    let old_log = prefix(&w, 5);
    let old = old_log.checkpoint(&w.patient).unwrap();
    let r = verify_with(
        &export(&w),
        &Pins {
            since: Some(&old),
            ..pinned(&w.patient)
        },
    );
    assert!(r.report.ok, "{:?}", r.report.first_error);
    assert_eq!(r.since_size, Some(5));
    assert_eq!(r.report.checkpoints, 2);
    // A checkpoint of someone else's log is not one of this log.
    let (mallory, forged) = impostor_export("Alice");
    let theirs = forged.checkpoints[0].clone();
    let r = verify_with(
        &export(&w),
        &Pins {
            since: Some(&theirs),
            ..Pins::default()
        },
    );
    assert!(!r.report.ok);
    let err = r.report.first_error.unwrap();
    assert!(err.contains("your older checkpoint"), "{err}");
    let _ = mallory;
}

#[test]
fn a_genesis_naming_someone_else_is_refused_even_when_the_patient_signs_it() {
    let w = world();
    // The pinned patient signs every entry, but the genesis binds the record to another
    // person's card.
    let (_, forged) = impostor_export("Alice");
    let other_card = IdentityCard::from_text(&forged.patient_card).unwrap();
    let mut log = ConsentLog::new(*w.log.record(), w.patient.person_id());
    log.append(
        &w.patient,
        Action::Genesis {
            patient_card: other_card.to_text(),
        },
        100,
    )
    .unwrap();
    let e = AuditExport::new(&log, &w.card, vec![log.checkpoint(&w.patient).unwrap()]);
    let r = verify_with(&e, &pinned(&w.patient));
    assert!(!r.report.ok);
    let err = r.report.first_error.unwrap();
    assert!(
        err.contains("entry 0: genesis: the card is not the record owner's"),
        "{err}"
    );
}
