//! Key grants and epochs: a grantee can open exactly the keys of the sections granted to
//! them; a revoke moves those sections to a new epoch whose key the revoked party never
//! receives, while the others still in force do.

use carnet::consent::Access;
use carnet::crypto::{KeyGrant, PersonSecret, Role};
use carnet::record::SectionId;
use carnet_scenarios::{pass, vault};

fn secret_of(dir: &std::path::Path) -> PersonSecret {
    let store = carnet_store::Store::open(dir, &pass()).unwrap();
    let bytes = store
        .read()
        .unwrap()
        .get_secret_meta("person")
        .unwrap()
        .unwrap();
    PersonSecret::from_bytes(&bytes).unwrap()
}

#[test]
fn grants_deliver_keys_and_a_revoke_rotates_them_away_from_the_revoked() {
    let alice = vault("Alice", Role::Patient);
    let doctor = vault("Dr Martin", Role::Clinician);
    let nurse = vault("Nurse", Role::Clinician);
    alice
        .vault
        .add_contact("Dr Martin", &doctor.vault.card().to_text())
        .unwrap();
    alice
        .vault
        .add_contact("Nurse", &nurse.vault.card().to_text())
        .unwrap();
    let record = alice.vault.own_record().unwrap();

    let g = alice
        .vault
        .grant(
            "Dr Martin",
            &[SectionId::Allergies, SectionId::Notes],
            Access::Read,
            "follow-up",
            None,
        )
        .unwrap();
    alice
        .vault
        .grant(
            "Nurse",
            &[SectionId::Allergies],
            Access::Read,
            "vaccines",
            None,
        )
        .unwrap();

    let doctor_secret = secret_of(&doctor.dir);
    let nurse_secret = secret_of(&nurse.dir);
    fn grants_for(v: &carnet::Vault, who: &carnet::crypto::PersonId) -> Vec<KeyGrant> {
        v.engine()
            .key_grants_for(who)
            .unwrap()
            .iter()
            .map(|b| KeyGrant::from_bytes(b).unwrap())
            .collect()
    }
    let dk = grants_for(&alice.vault, &doctor.vault.person_id());
    assert_eq!(dk.len(), 2, "one key per granted section");
    for k in &dk {
        k.verify_by(&alice.vault.person_id()).unwrap();
        k.open(&doctor_secret).unwrap();
        assert!(
            k.open(&nurse_secret).is_err(),
            "a key grant opens only for its grantee"
        );
        assert_eq!(k.header().epoch, 0);
    }
    let sections: Vec<u8> = dk.iter().map(|k| k.header().section).collect();
    assert!(
        sections.contains(&SectionId::Allergies.code())
            && sections.contains(&SectionId::Notes.code())
    );
    assert!(
        !sections.contains(&SectionId::Medications.code()),
        "no key for a section not granted"
    );

    alice.vault.revoke(&g).unwrap();
    // The doctor received nothing new: still only epoch-0 keys.
    let dk = grants_for(&alice.vault, &doctor.vault.person_id());
    assert!(
        dk.iter().all(|k| k.header().epoch == 0),
        "a revoked grantee gets no new key"
    );
    // The nurse, still granted allergies, received the new epoch's key.
    let nk = grants_for(&alice.vault, &nurse.vault.person_id());
    assert!(
        nk.iter()
            .any(|k| k.header().section == SectionId::Allergies.code() && k.header().epoch == 1),
        "the remaining grantee receives the rotated key"
    );
    // New changes are sealed under the new epoch.
    alice
        .vault
        .add(
            &record,
            carnet::record::Entry::Note(carnet::record::Note {
                text: "after revoke".into(),
                title: None,
            }),
        )
        .unwrap();
    let envs = alice
        .vault
        .engine()
        .envelopes(&record, SectionId::Notes)
        .unwrap();
    let last = carnet::crypto::Envelope::from_bytes(envs.last().unwrap()).unwrap();
    assert_eq!(last.header().epoch, 1);
    let old_key = dk
        .iter()
        .find(|k| k.header().section == SectionId::Notes.code())
        .unwrap()
        .open(&doctor_secret)
        .unwrap();
    assert!(
        last.open(&old_key).is_err(),
        "the revoked key does not open new changes"
    );

    // The log verifies as an auditor would see it.
    let export = alice.vault.audit_export().unwrap();
    let report = carnet::consent::verify(&export, None);
    assert!(report.ok, "{:?}", report.first_error);
}

#[test]
fn an_expired_grant_rotates_its_sections_without_touching_history() {
    use carnet::record::{Entry, Note};
    use carnet_scenarios::{exchange, introduce};

    let mut alice = vault("Alice", Role::Patient);
    let mut doctor = vault("Dr Martin", Role::Clinician);
    let mut nurse = vault("Nurse", Role::Clinician);
    introduce(&mut alice, "Dr Martin", &doctor);
    introduce(&mut alice, "Nurse", &nurse);
    let record = alice.vault.own_record().unwrap();
    let note = |t: &str| {
        Entry::Note(Note {
            text: t.into(),
            title: None,
        })
    };
    for i in 0..5 {
        alice.vault.add(&record, note(&format!("n{i}"))).unwrap();
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    alice
        .vault
        .grant(
            "Dr Martin",
            &[SectionId::Notes],
            Access::Read,
            "one visit",
            Some(now + 3600),
        )
        .unwrap();
    alice
        .vault
        .grant("Nurse", &[SectionId::Notes], Access::Read, "ongoing", None)
        .unwrap();
    exchange(&mut alice, &mut doctor).unwrap();
    let history = alice
        .vault
        .engine()
        .envelopes(&record, SectionId::Notes)
        .unwrap();

    // A day later, for an app that schedules expiry.
    let ended = alice.vault.expire_grants_at(now + 86_400).unwrap();
    assert_eq!(ended.len(), 1);
    assert_eq!(ended[0].contact, "Dr Martin");
    assert!(
        alice
            .vault
            .expire_grants_at(now + 86_400)
            .unwrap()
            .is_empty()
    );
    // History is untouched: no envelope was re-encrypted or rewritten.
    assert_eq!(
        alice
            .vault
            .engine()
            .envelopes(&record, SectionId::Notes)
            .unwrap(),
        history
    );
    // The section moved on: the doctor holds no key to epoch 1, the nurse does.
    let epochs = |v: &carnet::Vault, who: &carnet::crypto::PersonId| -> Vec<u32> {
        v.engine()
            .key_grants_for(who)
            .unwrap()
            .iter()
            .map(|b| KeyGrant::from_bytes(b).unwrap().header().epoch)
            .collect()
    };
    assert!(!epochs(&alice.vault, &doctor.vault.person_id()).contains(&1));
    assert!(epochs(&alice.vault, &nurse.vault.person_id()).contains(&1));
    alice.vault.add(&record, note("after the end")).unwrap();
    let last = alice
        .vault
        .engine()
        .envelopes(&record, SectionId::Notes)
        .unwrap();
    let last = carnet::crypto::Envelope::from_bytes(last.last().unwrap()).unwrap();
    assert_eq!(last.header().epoch, 1);
    // Nothing more goes to the doctor; the nurse receives the new note.
    assert!(matches!(
        exchange(&mut alice, &mut doctor),
        Err(carnet::Error::NothingShared { .. })
    ));
    exchange(&mut alice, &mut nurse).unwrap();
    assert_eq!(
        nurse
            .vault
            .list(&record, Some(SectionId::Notes))
            .unwrap()
            .len(),
        6
    );
    let log = alice.vault.access_log().unwrap();
    assert!(
        log.iter().any(|l| l.text.contains("ended: its end date")),
        "{log:?}"
    );
    let report = carnet::consent::verify(&alice.vault.audit_export().unwrap(), None);
    assert!(report.ok, "{:?}", report.first_error);
}

#[test]
fn a_new_passphrase_and_the_unlock_key_open_the_vault_and_nothing_else_does() {
    use carnet::crypto::secrecy::SecretString;
    use carnet::record::{Entry, Note};
    let alice = vault("Alice", Role::Patient);
    let record = alice.vault.own_record().unwrap();
    alice
        .vault
        .add(
            &record,
            Entry::Note(Note {
                text: "kept".into(),
                title: None,
            }),
        )
        .unwrap();
    let key = alice.vault.unlock_key().unwrap();
    let new = SecretString::from("a new and longer passphrase".to_string());
    alice
        .vault
        .change_passphrase(&new, carnet::crypto::MasterKey::MIN_LOG_N)
        .unwrap();
    let dir = alice.dir.clone();
    drop(alice.vault);
    let before = carnet_scenarios::files(&dir);
    // The old passphrase no longer opens it, and changes nothing trying.
    assert!(matches!(
        carnet::Vault::open(&dir, &pass()),
        Err(carnet::Error::Store(
            carnet_store::StoreError::WrongPassphrase(_)
        ))
    ));
    // A key that is not this vault's is refused the same way, unchanged.
    assert!(carnet::Vault::open_with_unlock_key(&dir, &[7u8; 32]).is_err());
    assert_eq!(carnet_scenarios::files(&dir), before);
    // The new passphrase and the unlock key (unchanged by the new passphrase) open it.
    let v = carnet::Vault::open(&dir, &new).unwrap();
    assert_eq!(v.list(&record, Some(SectionId::Notes)).unwrap().len(), 1);
    drop(v);
    let v = carnet::Vault::open_with_unlock_key(&dir, &key).unwrap();
    assert_eq!(v.list(&record, Some(SectionId::Notes)).unwrap().len(), 1);
    assert_eq!(*v.unlock_key().unwrap(), *key);
}
