//! A restore takes the record over (issue 14, cases 2 and 5): the recovery phrase's root key
//! endorses a new key for the consent log and a new signing key for the restored device.
//! Before, the thief of the old primary (its vault and passphrase) held the same key as the
//! restored vault: he could go on writing as the patient, and a clinician who had seen the
//! old device's newer log refused the restored patient for ever ("the history was
//! rewritten"). Now the clinician follows the branch the root endorses, says so, and
//! refuses everything the replaced key signs.

use carnet::consent::{Access, Pins, WitnessNote, verify_with};
use carnet::crypto::Role;
use carnet::record::SectionId;
use carnet::{RestoreOptions, Vault};
use carnet_scenarios::{
    Items, TestVault, bundle_path, exchange, introduce, link, note, note_texts, own_sync, pass,
    vault,
};

struct World {
    alice: TestVault,
    doctor: TestVault,
    backup: std::path::PathBuf,
    key: carnet::crypto::RecoveryKey,
}

/// Alice shares her notes with her doctor, makes a backup, and goes on with her old phone:
/// a new note and a second exchange the backup does not hold.
fn world() -> World {
    let mut alice = vault("Alice", Role::Patient);
    let phrase = alice.phrase.take().expect("phrase");
    let mut doctor = vault("Dr Martin", Role::Clinician);
    introduce(&mut alice, "Dr Martin", &doctor);
    introduce(&mut doctor, "Alice", &alice);
    alice
        .vault
        .grant("Dr Martin", &[SectionId::Notes], Access::Write, "GP", None)
        .unwrap();
    let record = alice.vault.own_record().unwrap();
    alice.vault.add(&record, note("before the backup")).unwrap();
    exchange(&mut alice, &mut doctor).unwrap();
    let backup = bundle_path("backup");
    alice.vault.backup(&backup).unwrap();
    alice.vault.add(&record, note("after the backup")).unwrap();
    // Two exchanges: the checkpoint a bundle carries is taken before the bundle's own
    // "served" entry, so the doctor sees a log longer than the backup's from the second.
    exchange(&mut alice, &mut doctor).unwrap();
    exchange(&mut alice, &mut doctor).unwrap();
    World {
        alice,
        doctor,
        backup,
        key: phrase.key().unwrap(),
    }
}

fn restore(w: &World, checkpoint: Option<String>) -> (TestVault, carnet::RestoreSummary) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("restored");
    let (v, s) = Vault::restore_with(
        &dir,
        &pass(),
        carnet::crypto::MasterKey::MIN_LOG_N,
        &w.backup,
        &w.key,
        &RestoreOptions {
            expected: Some(w.alice.vault.person_id()),
            newest_checkpoint: checkpoint,
        },
    )
    .unwrap();
    (TestVault::from_parts(tmp, dir, v), s)
}

#[test]
fn a_clinician_follows_the_restored_record_and_refuses_the_stolen_phone() {
    let mut w = world();
    let record = w.alice.vault.own_record().unwrap();
    // The newest checkpoint the doctor holds (what `carnet audit witness` hands over).
    let seen = w.doctor.vault.witnessed(&record).unwrap().unwrap();
    let (mut restored, summary) = restore(&w, Some(seen.note.clone()));
    let t = summary.takeover.expect("a patient's restore takes over");
    assert!(
        !t.root_declared,
        "the root was declared when the vault was made"
    );
    assert_eq!(t.devices_retired, 1, "the old phone is cut off");
    let forked = t.forked.expect("the doctor had seen a newer log");
    assert!(forked.size > t.index, "{forked:?} {}", t.index);
    assert_eq!(
        note_texts(&mut restored.vault, &record),
        ["before the backup"]
    );

    // The doctor meets the restored record: before, "the history was rewritten" for ever.
    let (_, imported) = exchange(&mut restored, &mut w.doctor)
        .unwrap_or_else(|e| panic!("the doctor refused the restored patient: {e}"));
    assert_eq!(imported.superseded_branches, 1, "{imported:?}");
    let branches = w.doctor.vault.superseded_branches(&record).unwrap();
    assert_eq!(branches.len(), 1);
    assert_eq!(branches[0].from, t.index);
    // And the other way: the doctor writes, the restored record takes it.
    w.doctor
        .vault
        .add(&record, note("from the doctor"))
        .unwrap();
    exchange(&mut w.doctor, &mut restored).unwrap();
    assert!(note_texts(&mut restored.vault, &record).contains(&"from the doctor".to_string()));
    // The restored device writes; the doctor takes it (signed by its own certified key).
    restored
        .vault
        .add(&record, note("after the restore"))
        .unwrap();
    exchange(&mut restored, &mut w.doctor).unwrap();
    assert!(note_texts(&mut w.doctor.vault, &record).contains(&"after the restore".to_string()));
    // A phone linked after the restore writes; the doctor, who read the log up to the
    // takeover before, takes it too (certified after the takeover, with its own key).
    let mut phone = link(&mut restored);
    phone
        .vault
        .add(&record, note("from the new phone"))
        .unwrap();
    own_sync(&mut phone, &mut restored).unwrap();
    exchange(&mut restored, &mut w.doctor)
        .unwrap_or_else(|e| panic!("the doctor refused the new phone's note: {e}"));
    assert!(note_texts(&mut w.doctor.vault, &record).contains(&"from the new phone".to_string()));

    // The thief of the old phone (its vault and passphrase) goes on as Alice.
    w.alice
        .vault
        .add(&record, note("forged by the thief"))
        .unwrap();
    let before = w.doctor.vault.state_digest().unwrap();
    let out = bundle_path("thief");
    w.alice
        .vault
        .export_bundle(&w.doctor.vault.card().clone(), false, &out)
        .unwrap();
    let err = w.doctor.vault.import_bundle(&out).unwrap_err();
    assert!(
        ["replaced", "superseded", "removed"]
            .iter()
            .any(|w| err.to_string().contains(w)),
        "{err}"
    );
    assert_eq!(w.doctor.vault.state_digest().unwrap(), before);
    assert!(!note_texts(&mut w.doctor.vault, &record).contains(&"forged by the thief".to_string()));

    // A full export from the thief (every envelope again, his newest checkpoint) fails the
    // same way: nothing of what the replaced key signs gets in.
    let out = bundle_path("thief-full");
    w.alice
        .vault
        .export_bundle(&w.doctor.vault.card().clone(), true, &out)
        .unwrap();
    assert!(w.doctor.vault.import_bundle(&out).is_err());
    assert_eq!(w.doctor.vault.state_digest().unwrap(), before);

    // The auditor: the restored log verifies against Alice's id, shows the takeover and
    // the branch it left behind; the doctor's cosignature of the old branch, handed over
    // by the doctor, is reported as superseded, not as a fork.
    exchange(&mut w.doctor, &mut restored).unwrap();
    let export = restored.vault.audit_export().unwrap();
    let cosigned = [WitnessNote {
        witness_card: seen.witness_card.clone(),
        note: seen.note.clone(),
    }];
    let v = verify_with(
        &export,
        &Pins {
            patient: Some(w.alice.vault.person_id()),
            cosigned: &cosigned,
            ..Pins::default()
        },
    );
    assert!(v.report.ok, "{:?}", v.report.first_error);
    assert_eq!(v.takeovers.len(), 1);
    assert_eq!(v.takeovers[0].forked.map(|b| b.size), Some(forked.size));
    assert_eq!(v.superseded.len(), 1, "{:?}", v.superseded);
    assert!(
        v.witnesses.iter().any(|s| s.size > t.index),
        "{:?}",
        v.witnesses
    );
}

#[test]
fn a_restore_without_the_doctors_checkpoint_still_wins_and_a_stale_key_grant_is_refused() {
    let mut w = world();
    let record = w.alice.vault.own_record().unwrap();
    let (mut restored, summary) = restore(&w, None);
    assert_eq!(summary.takeover.as_ref().unwrap().forked, None);
    // The doctor had seen more than the backup: it follows the root's branch anyway.
    let (_, imported) = exchange(&mut restored, &mut w.doctor).unwrap();
    assert_eq!(imported.superseded_branches, 1);
    // Live-sync state and bundles agree from now on: a second exchange changes nothing.
    let (_, again) = exchange(&mut restored, &mut w.doctor).unwrap();
    assert_eq!(again.superseded_branches, 0);
    assert_eq!(again.envelopes, 0);
    // The thief revokes and re-grants, which rotates the notes' key and delivers the new
    // one to the doctor: that key grant, signed by the replaced key, is refused (else the
    // doctor would seal what it writes next under a key the thief holds).
    let g = w
        .alice
        .vault
        .grant(
            "Dr Martin",
            &[SectionId::Notes],
            Access::Read,
            "again",
            None,
        )
        .unwrap();
    w.alice.vault.revoke(&g).unwrap();
    let doctor_id = w.doctor.vault.person_id();
    let grants = w.alice.vault.engine().key_grants_for(&doctor_id).unwrap();
    let newest = grants
        .into_iter()
        .max_by_key(|b| {
            carnet::crypto::KeyGrant::from_bytes(b)
                .unwrap()
                .header()
                .epoch
        })
        .unwrap();
    let epoch = carnet::crypto::KeyGrant::from_bytes(&newest)
        .unwrap()
        .header()
        .epoch;
    let before = w.doctor.vault.state_digest().unwrap();
    let sender = w.alice.vault.card().clone();
    let err = w
        .doctor
        .vault
        .engine()
        .receive_items(
            &sender,
            &mut Items(vec![carnet::wire::Item::KeyGrant(newest)].into()),
        )
        .unwrap_err();
    assert!(err.to_string().contains("key grant"), "{err}");
    assert_eq!(w.doctor.vault.state_digest().unwrap(), before);
    // The restored record's own key grants are taken.
    let restored_grants = restored.vault.engine().key_grants_for(&doctor_id).unwrap();
    assert!(!restored_grants.is_empty());
    let _ = (epoch, record);
}

#[test]
fn a_record_made_before_roots_is_taken_over_with_its_phrase() {
    // A record whose log declares no root (made by an earlier version): the restore
    // declares it and takes over in the same transaction.
    let mut alice = vault("Alice", Role::Patient);
    let phrase = alice.phrase.take().unwrap();
    // A log as an earlier version wrote it is not reachable through the API; this checks
    // that a second restore (root declared, a takeover already there) takes over again.
    let backup = bundle_path("b1");
    alice.vault.backup(&backup).unwrap();
    let w = World {
        alice,
        doctor: vault("Dr", Role::Clinician),
        backup,
        key: phrase.key().unwrap(),
    };
    let (mut first, s1) = restore(&w, None);
    assert_eq!(s1.takeover.unwrap().devices_retired, 1);
    let backup2 = bundle_path("b2");
    first.vault.backup(&backup2).unwrap();
    let w2 = World {
        backup: backup2,
        ..w
    };
    let (second, s2) = restore(&w2, None);
    let t2 = s2.takeover.unwrap();
    assert_eq!(
        t2.devices_retired, 1,
        "the first restored device is cut off"
    );
    let export = second.vault.audit_export().unwrap();
    let v = verify_with(
        &export,
        &Pins {
            patient: Some(w2.alice.vault.person_id()),
            ..Pins::default()
        },
    );
    assert!(v.report.ok, "{:?}", v.report.first_error);
    assert_eq!(v.takeovers.len(), 2);
    let _ = &mut first;
}

/// What the thief can make with the old phone's vault once the doctor knows the takeover:
/// the patient's key, the notes' current epoch key. A change signed with that key from a
/// device id of his choosing, or from a device he certifies himself, is refused; so is a
/// checkpoint of the old phone's log.
#[test]
fn the_replaced_key_signs_nothing_a_grantee_takes() {
    let mut w = world();
    let record = w.alice.vault.own_record().unwrap();
    let (mut restored, _) = restore(&w, None);
    exchange(&mut restored, &mut w.doctor).unwrap();
    let thief = carnet_scenarios::secret_of(&w.alice.dir);
    let epoch = 0;
    let key = carnet_scenarios::epoch_key_of(&w.alice.dir, &record, SectionId::Notes, epoch);
    let sender = w.alice.vault.card().clone();
    let before = w.doctor.vault.state_digest().unwrap();
    let deliver = |doctor: &mut TestVault, item: carnet::wire::Item| {
        doctor
            .vault
            .engine()
            .receive_items(&sender, &mut Items(vec![item].into()))
    };

    // Format 1 (signed with the patient's key) from a new device id.
    let device = carnet::crypto::DeviceId::random().unwrap();
    let env = carnet_scenarios::seal_entry(
        &thief,
        &key,
        record,
        SectionId::Notes,
        epoch,
        device,
        carnet::actor_for(&thief.person_id(), &device),
        1,
        &note("forged from a new device"),
    );
    let err = deliver(
        &mut w.doctor,
        carnet::wire::Item::Envelope {
            bytes: env.as_bytes().to_vec(),
            blobs: vec![],
        },
    )
    .unwrap_err();
    assert!(err.to_string().contains("superseded"), "{err}");

    // Format 2, from a device the thief certifies with the patient's key.
    let dev_key = carnet::crypto::DeviceSecret::generate().unwrap();
    let cert =
        carnet::crypto::DeviceCert::issue(&thief, device, [9; 32], Some(dev_key.public()), 1);
    let mut doc = carnet::record::SectionDoc::new(
        SectionId::Notes,
        carnet::actor_for(&thief.person_id(), &device),
    );
    let (_, changes) = doc.insert(&note("forged by a certified device")).unwrap();
    let env = carnet::crypto::Envelope::seal(
        carnet::crypto::EnvelopeHeader {
            version: carnet::crypto::DEVICE_ENVELOPE_VERSION,
            record,
            section: SectionId::Notes.code(),
            epoch,
            author: thief.person_id(),
            device,
            seq: 1,
            prev: None,
        },
        &changes.to_bytes(),
        &key,
        carnet::crypto::Signer::Device(&dev_key, &cert),
    )
    .unwrap();
    let err = deliver(
        &mut w.doctor,
        carnet::wire::Item::Envelope {
            bytes: env.as_bytes().to_vec(),
            blobs: vec![],
        },
    )
    .unwrap_err();
    assert!(err.to_string().contains("superseded"), "{err}");

    // The old phone's newest checkpoint (it goes on appending as before).
    w.alice.vault.add(&record, note("more")).unwrap();
    let export = w.alice.vault.audit_export().unwrap();
    let note_text = export.checkpoints.last().unwrap().clone();
    let err = w
        .doctor
        .vault
        .engine()
        .receive_items(
            &sender,
            &mut Items(
                vec![carnet::wire::Item::Checkpoint {
                    record,
                    note: note_text,
                    consistency: vec![],
                }]
                .into(),
            ),
        )
        .unwrap_err();
    assert!(err.to_string().contains("replaced"), "{err}");
    assert_eq!(w.doctor.vault.state_digest().unwrap(), before);
    assert!(
        !note_texts(&mut w.doctor.vault, &record)
            .iter()
            .any(|n| n.starts_with("forged"))
    );
}

/// A device that holds the patient's own key (linked by an older version, or a copy of the
/// primary's vault) is cut off in place with the recovery phrase (`Vault::rekey`): the
/// primary goes on as a new device, and nothing the copy writes afterwards is taken. A
/// wrong phrase changes nothing.
#[test]
fn a_device_holding_the_patients_key_is_cut_off_in_place_with_the_phrase() {
    let mut alice = vault("Alice", Role::Patient);
    let phrase = alice.phrase.take().unwrap();
    let mut doctor = vault("Dr Martin", Role::Clinician);
    introduce(&mut alice, "Dr Martin", &doctor);
    introduce(&mut doctor, "Alice", &alice);
    alice
        .vault
        .grant("Dr Martin", &[SectionId::Notes], Access::Write, "GP", None)
        .unwrap();
    let record = alice.vault.own_record().unwrap();
    alice.vault.add(&record, note("before")).unwrap();
    exchange(&mut alice, &mut doctor).unwrap();
    // The copy that holds Alice's key (the thief's).
    let stolen = tempfile::tempdir().unwrap();
    let sdir = stolen.path().join("vault");
    carnet_scenarios::copy_dir(&alice.dir, &sdir);
    let v = Vault::open(&sdir, &pass()).unwrap();
    let mut thief = TestVault::from_parts(stolen, sdir, v);

    // A wrong phrase: refused, nothing changes, the vault goes on as before.
    let before = alice.vault.state_digest().unwrap();
    let other = carnet::crypto::RecoveryPhrase::generate().unwrap();
    assert!(alice.vault.rekey(&other.key().unwrap()).is_err());
    assert_eq!(alice.vault.state_digest().unwrap(), before);
    alice.vault.add(&record, note("still mine")).unwrap();

    let old_device = alice.vault.device_id();
    let s = alice.vault.rekey(&phrase.key().unwrap()).unwrap();
    assert_eq!(s.devices_retired, 1);
    assert_ne!(alice.vault.device_id(), old_device);
    alice.vault.add(&record, note("after the rekey")).unwrap();
    exchange(&mut alice, &mut doctor).unwrap();
    assert_eq!(
        note_texts(&mut doctor.vault, &record),
        ["after the rekey", "before", "still mine"]
    );

    // The copy goes on writing with Alice's key: refused.
    thief.vault.add(&record, note("forged")).unwrap();
    let digest = doctor.vault.state_digest().unwrap();
    assert!(exchange(&mut thief, &mut doctor).is_err());
    assert_eq!(doctor.vault.state_digest().unwrap(), digest);

    // Alice's vault reopens with its new keys and goes on.
    let dir = alice.dir.clone();
    drop(std::mem::replace(
        &mut alice.vault,
        Vault::open(&dir, &pass()).unwrap(),
    ));
    alice.vault.add(&record, note("reopened")).unwrap();
    doctor.vault.add(&record, note("from the doctor")).unwrap();
    exchange(&mut alice, &mut doctor).unwrap();
    exchange(&mut doctor, &mut alice).unwrap();
    assert!(note_texts(&mut doctor.vault, &record).contains(&"reopened".to_string()));
    assert!(note_texts(&mut alice.vault, &record).contains(&"from the doctor".to_string()));
}
