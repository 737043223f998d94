//! Envelopes arriving from elsewhere (a copy of the same vault, a peer): only genuine
//! changes by someone allowed to write are taken, all or nothing.

use carnet::Error;
use carnet::crypto::Role;
use carnet::record::{Entry, Note, SectionId};
use carnet_scenarios::{files, pass, vault};

fn note(text: &str) -> Entry {
    Entry::Note(Note {
        text: text.into(),
        title: None,
    })
}

/// A second device of the same patient: same keys, its own copy of the store. Made by
/// copying the vault directory before any change, as a restore would.
fn clone_vault(src: &std::path::Path) -> (tempfile::TempDir, std::path::PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dst = tmp.path().join("copy");
    std::fs::create_dir(&dst).unwrap();
    for e in std::fs::read_dir(src).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), dst.join(e.file_name())).unwrap();
    }
    (tmp, dst)
}

#[test]
fn genuine_envelopes_are_taken_once_and_replays_change_nothing() {
    let a = vault("Alice", Role::Patient);
    let record = a.vault.own_record().unwrap();
    let (_t, copy_dir) = clone_vault(&a.dir);
    for i in 0..3 {
        a.vault.add(&record, note(&format!("n{i}"))).unwrap();
    }
    let envs = a
        .vault
        .engine()
        .envelopes(&record, SectionId::Notes)
        .unwrap();
    assert_eq!(envs.len(), 3);

    let b = carnet::Vault::open(&copy_dir, &pass()).unwrap();
    assert!(b.list(&record, None).unwrap().is_empty());
    let report = b.engine().receive(&envs).unwrap();
    assert_eq!((report.accepted, report.duplicates), (3, 0));
    let texts: Vec<String> = b
        .list(&record, Some(SectionId::Notes))
        .unwrap()
        .into_iter()
        .map(|v| match v.entry {
            Entry::Note(n) => n.text,
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    assert_eq!(texts.len(), 3);

    // Replaying the same envelopes is a no-op, byte for byte.
    drop(b);
    let before = files(&copy_dir);
    let b = carnet::Vault::open(&copy_dir, &pass()).unwrap();
    let report = b.engine().receive(&envs).unwrap();
    assert_eq!((report.accepted, report.duplicates), (0, 3));
    drop(b);
    assert_eq!(files(&copy_dir).len(), before.len());
    let b = carnet::Vault::open(&copy_dir, &pass()).unwrap();
    assert_eq!(
        b.engine()
            .envelopes(&record, SectionId::Notes)
            .unwrap()
            .len(),
        3
    );
}

#[test]
fn a_flipped_bit_anywhere_is_refused_and_nothing_is_stored() {
    let a = vault("Alice", Role::Patient);
    let record = a.vault.own_record().unwrap();
    let (_t, copy_dir) = clone_vault(&a.dir);
    a.vault.add(&record, note("first")).unwrap();
    a.vault.add(&record, note("second")).unwrap();
    let envs = a
        .vault
        .engine()
        .envelopes(&record, SectionId::Notes)
        .unwrap();
    let b = carnet::Vault::open(&copy_dir, &pass()).unwrap();
    let bits = envs[1].len() * 8;
    for bit in (0..bits).step_by(7) {
        let mut bad = envs.clone();
        bad[1][bit / 8] ^= 1 << (bit % 8);
        let err = b.engine().receive(&bad).unwrap_err();
        assert!(
            matches!(
                err,
                Error::BadEnvelope { .. } | Error::NoKey { .. } | Error::NotAllowed { .. }
            ),
            "bit {bit}: {err}"
        );
        // All or nothing: the good first envelope was not kept either.
        assert!(
            b.engine()
                .envelopes(&record, SectionId::Notes)
                .unwrap()
                .is_empty(),
            "bit {bit}"
        );
    }
    assert!(b.list(&record, None).unwrap().is_empty());
}

#[test]
fn a_change_by_someone_without_write_access_is_refused() {
    let alice = vault("Alice", Role::Patient);
    let mallory = vault("Mallory", Role::Patient);
    let alice_record = alice.vault.own_record().unwrap();
    let mallory_record = mallory.vault.own_record().unwrap();
    mallory.vault.add(&mallory_record, note("mine")).unwrap();
    let envs = mallory
        .vault
        .engine()
        .envelopes(&mallory_record, SectionId::Notes)
        .unwrap();
    // Alice's vault has no key for Mallory's record: refused.
    let (_t, copy) = clone_vault(&alice.dir);
    drop(alice);
    let a = carnet::Vault::open(&copy, &pass()).unwrap();
    let err = a.engine().receive(&envs).unwrap_err();
    assert!(matches!(err, Error::NoKey { .. }), "{err}");
    assert!(a.list(&alice_record, None).unwrap().is_empty());
}

#[test]
fn a_clinician_has_no_record_of_their_own() {
    let c = vault("Dr Who", Role::Clinician);
    let err = c.vault.own_record().unwrap_err();
    assert!(err.to_string().contains("clinician"), "{err}");
    let alice = vault("Alice", Role::Patient);
    let record = alice.vault.own_record().unwrap();
    assert!(matches!(
        c.vault.add(&record, note("x")),
        Err(Error::NoKey { .. })
    ));
}

#[test]
fn a_change_sealed_with_the_right_key_but_signed_by_a_stranger_is_refused() {
    use carnet::crypto::{ENVELOPE_VERSION, Envelope, EnvelopeHeader, PersonSecret};
    use carnet::record::SectionDoc;

    let alice = vault("Alice", Role::Patient);
    let record = alice.vault.own_record().unwrap();
    let dir = alice.dir.clone();
    // The stranger somehow holds the epoch key (say, a stolen device backup).
    let key = {
        let store = carnet_store::Store::open(&dir, &pass()).unwrap();
        let read = store.read().unwrap();
        read.epoch_key(&record, SectionId::Notes.code(), 0)
            .unwrap()
            .unwrap()
    };
    let mallory = PersonSecret::generate().unwrap();
    let device = carnet::crypto::DeviceId([7; 16]);
    let mut doc = SectionDoc::new(
        SectionId::Notes,
        carnet::actor_for(&mallory.person_id(), &device),
    );
    let (_, changes) = doc.insert(&note("forged prescription")).unwrap();
    let env = Envelope::seal(
        EnvelopeHeader {
            version: ENVELOPE_VERSION,
            record,
            section: SectionId::Notes.code(),
            epoch: 0,
            author: mallory.person_id(),
            device,
            seq: 1,
            prev: None,
        },
        &changes.to_bytes(),
        &key,
        &mallory,
    )
    .unwrap();
    let alice = alice;
    let before = alice.vault.state_digest().unwrap();
    let err = alice
        .vault
        .engine()
        .receive(&[env.as_bytes().to_vec()])
        .unwrap_err();
    assert!(matches!(err, Error::NotAllowed { .. }), "{err}");
    assert!(err.to_string().contains("may not write"), "{err}");
    assert!(alice.vault.list(&record, None).unwrap().is_empty());
    assert_eq!(
        alice.vault.state_digest().unwrap(),
        before,
        "the refused envelope changed the vault"
    );
}

#[test]
fn changes_smuggled_under_another_authors_signature_are_refused() {
    // Alice signs an envelope whose Automerge changes claim another device's actor: the
    // receiver must not attribute them to anyone but the signer's own device.
    use carnet::crypto::PersonSecret;

    let alice = vault("Alice", Role::Patient);
    let record = alice.vault.own_record().unwrap();
    let dir = alice.dir.clone();
    // A second handle on the same vault, as another process would have.
    let store = carnet_store::Store::open(&dir, &pass()).unwrap();
    let r = store.read().unwrap();
    let key = r
        .epoch_key(&record, SectionId::Notes.code(), 0)
        .unwrap()
        .unwrap();
    let secret = PersonSecret::from_bytes(&r.get_secret_meta("person").unwrap().unwrap()).unwrap();
    drop(r);
    drop(store);
    let device = carnet::crypto::DeviceId([1; 16]);
    let other_actor = carnet::actor_for(&PersonSecret::generate().unwrap().person_id(), &device);
    let env = carnet_scenarios::seal_entry(
        &secret,
        &key,
        record,
        SectionId::Notes,
        0,
        device,
        other_actor,
        1,
        &note("who wrote this?"),
    );
    let alice = alice;
    let before = alice.vault.state_digest().unwrap();
    let err = alice
        .vault
        .engine()
        .receive(&[env.as_bytes().to_vec()])
        .unwrap_err();
    assert!(err.to_string().contains("another author"), "{err}");
    assert!(alice.vault.list(&record, None).unwrap().is_empty());
    assert_eq!(alice.vault.state_digest().unwrap(), before);
}
