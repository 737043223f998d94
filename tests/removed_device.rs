//! A removed device is cut off everywhere (issue 14, case 1). Before, a linked device held
//! the patient's own key: after `device remove`, whoever had it (with its passphrase) kept
//! writing, and its envelopes, carried by anyone, were taken by the patient's primary as
//! the patient's and by grantees under the pre-removal epoch. Now a linked device signs
//! with its own key, certified when it was linked, never holds the patient's key, and its
//! removal names the last of its changes the record keeps: every receiver refuses
//! anything after.

use std::collections::VecDeque;

use carnet::consent::Access;
use carnet::crypto::{DeviceId, Role};
use carnet::record::SectionId;
use carnet::wire::Item;
use carnet::{Error, Vault};
use carnet_scenarios::{
    Items, TestVault, copy_dir, exchange, introduce, link, note, note_texts, own_sync, pass, vault,
};

/// Every envelope of `v`'s chain of `device` in the notes of `record`, oldest first.
fn envelopes_of(v: &TestVault, record: &carnet::crypto::RecordId, device: DeviceId) -> Vec<Item> {
    chain_of(&v.dir, v.vault.person_id(), record, device)
}

fn chain_of(
    dir: &std::path::Path,
    person: carnet::crypto::PersonId,
    record: &carnet::crypto::RecordId,
    device: DeviceId,
) -> Vec<Item> {
    let store = carnet_store::Store::open(dir, &pass()).unwrap();
    let r = store.read().unwrap();
    let mut out = Vec::new();
    let mut next = r
        .chain_head(record, SectionId::Notes.code(), &person, &device)
        .unwrap()
        .map(|h| h.last);
    while let Some(id) = next {
        let env = r.envelope(&id).unwrap().expect("a held envelope");
        next = env.header().prev;
        out.push(Item::Envelope {
            bytes: env.as_bytes().to_vec(),
            blobs: Vec::new(),
        });
    }
    out.reverse();
    out
}

#[test]
fn a_removed_device_gets_no_change_accepted_anywhere() {
    let mut alice = vault("Alice", Role::Patient);
    let mut doctor = vault("Dr Martin", Role::Clinician);
    let record = alice.vault.own_record().unwrap();
    introduce(&mut alice, "Dr Martin", &doctor);
    introduce(&mut doctor, "Alice", &alice);
    alice
        .vault
        .grant("Dr Martin", &[SectionId::Notes], Access::Write, "GP", None)
        .unwrap();

    let mut phone = link(&mut alice);
    // The phone holds no key of Alice's own: it cannot sign as her.
    let store = carnet_store::Store::open(&phone.dir, &pass()).unwrap();
    assert!(
        store
            .read()
            .unwrap()
            .get_secret_meta("person")
            .unwrap()
            .is_none(),
        "a linked device never receives the person's key"
    );
    drop(store);
    let phone_device = phone.vault.device_id();
    assert!(
        alice
            .vault
            .devices()
            .unwrap()
            .iter()
            .any(|d| d.id == phone_device && d.own_key)
    );

    // Before the removal: the phone writes, Alice takes it, the doctor gets it.
    phone.vault.add(&record, note("from the phone")).unwrap();
    own_sync(&mut phone, &mut alice).unwrap();
    exchange(&mut alice, &mut doctor).unwrap();
    assert_eq!(note_texts(&mut doctor.vault, &record), ["from the phone"]);

    // Alice removes the phone; the doctor hears of it.
    alice
        .vault
        .remove_device(&phone_device.to_string()[..8])
        .unwrap();
    exchange(&mut alice, &mut doctor).unwrap();

    // The thief has the phone and its passphrase: it still writes locally...
    phone.vault.add(&record, note("planted")).unwrap();
    let planted: Vec<Item> = envelopes_of(&phone, &record, phone_device)
        .into_iter()
        .skip(1)
        .collect();
    assert_eq!(planted.len(), 1);

    // ...but Alice's primary refuses it, whoever carries it: the phone itself...
    let before = alice.vault.state_digest().unwrap();
    let err = own_sync(&mut phone, &mut alice).unwrap_err();
    assert!(err.to_string().contains("removed"), "{err}");
    // ...or someone she knows and who may write there, in a bundle or live.
    let err = alice
        .vault
        .engine()
        .receive_items(&doctor.vault.card(), &mut Items(planted.clone().into()))
        .unwrap_err();
    assert!(
        matches!(&err, Error::NotAllowed { author, .. } if author.contains("removed")),
        "{err}"
    );
    assert_eq!(alice.vault.state_digest().unwrap(), before);
    assert_eq!(note_texts(&mut alice.vault, &record), ["from the phone"]);

    // The grantee refuses it too, even as if it came from Alice herself.
    let before = doctor.vault.state_digest().unwrap();
    let err = doctor
        .vault
        .engine()
        .receive_items(&alice.vault.card(), &mut Items(planted.into()))
        .unwrap_err();
    assert!(
        matches!(&err, Error::NotAllowed { author, .. } if author.contains("removed")),
        "{err}"
    );
    assert_eq!(doctor.vault.state_digest().unwrap(), before);

    // What the phone wrote before its removal still reaches a grantee who comes later.
    let mut nurse = vault("Nurse Dubois", Role::Clinician);
    introduce(&mut alice, "Nurse Dubois", &nurse);
    introduce(&mut nurse, "Alice", &alice);
    alice
        .vault
        .grant(
            "Nurse Dubois",
            &[SectionId::Notes],
            Access::Read,
            "care",
            None,
        )
        .unwrap();
    exchange(&mut alice, &mut nurse).unwrap();
    assert_eq!(note_texts(&mut nurse.vault, &record), ["from the phone"]);
}

#[test]
fn a_linked_device_cannot_act_in_the_persons_name() {
    let mut alice = vault("Alice", Role::Patient);
    let doctor = vault("Dr Martin", Role::Clinician);
    let mut phone = link(&mut alice);
    // Consent actions, exchanges with others and backups need the person's key.
    let err = phone
        .vault
        .add_contact("Dr Martin", &doctor.vault.card().to_text())
        .unwrap_err();
    assert!(err.to_string().contains("primary"), "{err}");
    let out = tempfile::tempdir().unwrap();
    let err = phone
        .vault
        .backup(&out.path().join("b.backup"))
        .unwrap_err();
    assert!(err.to_string().contains("primary"), "{err}");
    assert!(std::fs::read_dir(out.path()).unwrap().next().is_none());
    // It reopens with its own key and certificate, and its writes reach the primary.
    let record = alice.vault.own_record().unwrap();
    drop(phone.vault);
    phone.vault = Vault::open(&phone.dir, &pass()).unwrap();
    phone.vault.add(&record, note("on the phone")).unwrap();
    own_sync(&mut phone, &mut alice).unwrap();
    assert_eq!(note_texts(&mut alice.vault, &record), ["on the phone"]);
}

#[test]
fn a_removed_devices_chain_is_taken_only_whole_up_to_its_recorded_head() {
    let mut alice = vault("Alice", Role::Patient);
    let record = alice.vault.own_record().unwrap();
    let mut phone = link(&mut alice);
    let phone_device = phone.vault.device_id();
    phone.vault.add(&record, note("first")).unwrap();
    // A copy of the phone as it is now (one change): what a thief may have kept.
    let stale = tempfile::tempdir().unwrap();
    copy_dir(&phone.dir, &stale.path().join("vault"));
    phone.vault.add(&record, note("second")).unwrap();
    own_sync(&mut phone, &mut alice).unwrap();
    alice
        .vault
        .remove_device(&phone_device.to_string()[..8])
        .unwrap();

    // The stale copy writes its own second change: a fork of the chain below the head
    // the removal recorded (same position as "second", another envelope).
    let thief = Vault::open(&stale.path().join("vault"), &pass()).unwrap();
    thief.add(&record, note("forged")).unwrap();
    drop(thief);
    let forged = chain_of(
        &stale.path().join("vault"),
        alice.vault.person_id(),
        &record,
        phone_device,
    );
    assert_eq!(forged.len(), 2);

    // A grantee who holds none of that chain yet refuses the fork, as if from Alice...
    let mut nurse = vault("Nurse Dubois", Role::Clinician);
    introduce(&mut alice, "Nurse Dubois", &nurse);
    introduce(&mut nurse, "Alice", &alice);
    alice
        .vault
        .grant(
            "Nurse Dubois",
            &[SectionId::Notes],
            Access::Read,
            "care",
            None,
        )
        .unwrap();
    // (the keys and the removal first, from Alice, with no envelope of the phone)
    exchange(&mut alice, &mut nurse).unwrap();
    let before = nurse.vault.state_digest().unwrap();
    let held = note_texts(&mut nurse.vault, &record);
    // Alice's export sent the phone's chain whole, so the nurse holds it: the fork is
    // refused by the chain itself there. A second nurse who holds nothing of it shows
    // the removal's own check.
    assert_eq!(held, ["first", "second"]);
    let err = nurse
        .vault
        .engine()
        .receive_items(&alice.vault.card(), &mut Items(forged.clone().into()))
        .unwrap_err();
    assert!(!err.to_string().is_empty());
    assert_eq!(nurse.vault.state_digest().unwrap(), before);

    let mut nurse2 = vault("Nurse Blanc", Role::Clinician);
    introduce(&mut alice, "Nurse Blanc", &nurse2);
    introduce(&mut nurse2, "Alice", &alice);
    alice
        .vault
        .grant(
            "Nurse Blanc",
            &[SectionId::Notes],
            Access::Read,
            "care",
            None,
        )
        .unwrap();
    // Her keys and log entries, without the phone's envelopes: what a bundle holding only
    // consent items and keys brings.
    let theirs = nurse2
        .vault
        .engine()
        .have_for(&alice.vault.person_id())
        .unwrap();
    let mut items = VecDeque::new();
    alice
        .vault
        .engine()
        .send_batch(&nurse2.vault.card(), &theirs, None, &mut |i| {
            if !matches!(i, Item::Envelope { .. }) {
                items.push_back(i);
            }
            Ok(())
        })
        .unwrap();
    nurse2
        .vault
        .engine()
        .receive_items(&alice.vault.card(), &mut Items(items))
        .unwrap();
    let before = nurse2.vault.state_digest().unwrap();
    let err = nurse2
        .vault
        .engine()
        .receive_items(&alice.vault.card(), &mut Items(forged.into()))
        .unwrap_err();
    assert!(
        matches!(&err, Error::NotAllowed { author, .. } if author.contains("removed")),
        "{err}"
    );
    assert_eq!(nurse2.vault.state_digest().unwrap(), before);
    // Only the first change, alone (a chain cut short of its head), is refused too;
    // the whole real chain is taken.
    let real = envelopes_of(&alice, &record, phone_device);
    assert_eq!(real.len(), 2);
    let err = nurse2
        .vault
        .engine()
        .receive_items(&alice.vault.card(), &mut Items(real[..1].to_vec().into()))
        .unwrap_err();
    assert!(matches!(&err, Error::NotAllowed { .. }), "{err}");
    nurse2
        .vault
        .engine()
        .receive_items(&alice.vault.card(), &mut Items(real.into()))
        .unwrap();
    assert_eq!(note_texts(&mut nurse2.vault, &record), ["first", "second"]);

    // A live sender in batches of one envelope each still sends that chain whole (a
    // batch cut inside it would be refused), and a grantee gets all of it.
    let mut nurse3 = vault("Nurse Petit", Role::Clinician);
    introduce(&mut alice, "Nurse Petit", &nurse3);
    introduce(&mut nurse3, "Alice", &alice);
    alice
        .vault
        .grant(
            "Nurse Petit",
            &[SectionId::Notes],
            Access::Read,
            "care",
            None,
        )
        .unwrap();
    for _ in 0..20 {
        let theirs = nurse3
            .vault
            .engine()
            .have_for(&alice.vault.person_id())
            .unwrap();
        let mut items = VecDeque::new();
        let sent = alice
            .vault
            .engine()
            .send_batch(&nurse3.vault.card(), &theirs, Some(1), &mut |i| {
                items.push_back(i);
                Ok(())
            })
            .unwrap();
        nurse3
            .vault
            .engine()
            .receive_items(&alice.vault.card(), &mut Items(items))
            .unwrap();
        if !sent.more {
            break;
        }
    }
    assert_eq!(note_texts(&mut nurse3.vault, &record), ["first", "second"]);
}

#[test]
fn a_clinicians_removed_device_is_refused_by_the_patient_too() {
    let mut alice = vault("Alice", Role::Patient);
    let mut doctor = vault("Dr Martin", Role::Clinician);
    let nurse = vault("Nurse Dubois", Role::Clinician);
    let record = alice.vault.own_record().unwrap();
    introduce(&mut alice, "Dr Martin", &doctor);
    introduce(&mut doctor, "Alice", &alice);
    introduce(&mut alice, "Nurse Dubois", &nurse);
    alice
        .vault
        .grant("Dr Martin", &[SectionId::Notes], Access::Write, "GP", None)
        .unwrap();
    alice
        .vault
        .grant(
            "Nurse Dubois",
            &[SectionId::Notes],
            Access::Read,
            "care",
            None,
        )
        .unwrap();
    exchange(&mut alice, &mut doctor).unwrap();
    // The doctor's laptop, linked with its own key, writes a note that reaches Alice.
    let mut laptop = link(&mut doctor);
    let laptop_device = laptop.vault.device_id();
    own_sync(&mut doctor, &mut laptop).unwrap();
    laptop.vault.add(&record, note("from the laptop")).unwrap();
    own_sync(&mut laptop, &mut doctor).unwrap();
    exchange(&mut doctor, &mut alice).unwrap();
    assert_eq!(note_texts(&mut alice.vault, &record), ["from the laptop"]);

    // The doctor removes the laptop; Alice hears of it with the doctor's next exchange.
    doctor
        .vault
        .remove_device(&laptop_device.to_string()[..8])
        .unwrap();
    exchange(&mut doctor, &mut alice).unwrap();

    // The thief writes on the laptop; someone Alice knows carries it to her.
    laptop.vault.add(&record, note("planted")).unwrap();
    let planted: Vec<Item> = chain_of(
        &laptop.dir,
        doctor.vault.person_id(),
        &record,
        laptop_device,
    )
    .into_iter()
    .skip(1)
    .collect();
    assert_eq!(planted.len(), 1);
    let before = alice.vault.state_digest().unwrap();
    let err = alice
        .vault
        .engine()
        .receive_items(&nurse.vault.card(), &mut Items(planted.into()))
        .unwrap_err();
    assert!(
        matches!(&err, Error::NotAllowed { author, .. } if author.contains("removed")),
        "{err}"
    );
    assert_eq!(alice.vault.state_digest().unwrap(), before);
    assert_eq!(note_texts(&mut alice.vault, &record), ["from the laptop"]);
}
