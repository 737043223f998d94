//! A sync cut in the middle of a large attachment resumes where it stopped (issue 13: "a
//! record restarts from zero after any failed sync", and one attachment larger than a
//! batch was sent again whole). The receiver keeps the first bytes of what arrived
//! (`Vault::keep_partial`), says so to the same sender next time (`partials_from`), and
//! the sender sends only the rest (`send_batch_resuming`); the whole is checked against
//! its id. Kept bytes that do not match are dropped, and the attachment comes whole.

use carnet::AttachmentInput;
use carnet::consent::Access;
use carnet::crypto::Role;
use carnet::record::{DateTime, DocType, Entry, SectionId};
use carnet::wire::Item;
use carnet_scenarios::{Items, TestVault, introduce, vault};

const SIZE: usize = 3 * (1 << 20) + 12_345;

fn scan() -> Vec<u8> {
    let mut x = 0x2545_f491_4f6c_dd1du64;
    (0..SIZE)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

fn setup() -> (TestVault, TestVault, Vec<Item>) {
    let mut alice = vault("Alice", Role::Patient);
    let mut doctor = vault("Dr Martin", Role::Clinician);
    introduce(&mut alice, "Dr Martin", &doctor);
    introduce(&mut doctor, "Alice", &alice);
    let record = alice.vault.own_record().unwrap();
    alice
        .vault
        .attach(
            &record,
            &scan(),
            AttachmentInput {
                title: "scan".into(),
                doc_type: DocType::Imaging,
                file_name: None,
                media_type: "application/octet-stream".into(),
                date: DateTime::now(),
            },
        )
        .unwrap();
    alice
        .vault
        .grant(
            "Dr Martin",
            &[SectionId::Documents],
            Access::Read,
            "x",
            None,
        )
        .unwrap();
    // Everything Alice would send, as one live session's items.
    let theirs = doctor
        .vault
        .engine()
        .have_for(&alice.vault.person_id())
        .unwrap();
    let card = doctor.vault.card().clone();
    let mut items = Vec::new();
    alice
        .vault
        .engine()
        .send_batch(&card, &theirs, None, &mut |i| {
            items.push(i);
            Ok(())
        })
        .unwrap();
    (alice, doctor, items)
}

fn deliver(to: &mut TestVault, from: &TestVault, items: Vec<Item>) -> carnet::Result<()> {
    let card = from.vault.card().clone();
    to.vault
        .engine()
        .receive_items(&card, &mut Items(items.into()))
        .map(|_| ())
}

fn parts(items: &[Item]) -> Vec<(u64, usize)> {
    items
        .iter()
        .filter_map(|i| match i {
            Item::BlobPart { offset, bytes, .. } => Some((*offset, bytes.len())),
            _ => None,
        })
        .collect()
}

#[test]
fn a_cut_attachment_resumes_from_what_arrived() {
    let (alice, mut doctor, items) = setup();
    let alice_id = alice.vault.person_id();
    let all = parts(&items);
    assert!(all.len() >= 4, "{all:?}");
    // The link is cut after the envelope and two parts of the attachment.
    let cut = items
        .iter()
        .enumerate()
        .filter(|(_, i)| matches!(i, Item::BlobPart { .. }))
        .nth(1)
        .unwrap()
        .0;
    let kept = doctor
        .vault
        .engine()
        .keep_partial(&alice_id, &items[..=cut])
        .unwrap();
    assert_eq!(kept, 2 << 20);
    let partials = doctor.vault.engine().partials_from(&alice_id).unwrap();
    assert_eq!(partials.len(), 1);
    assert_eq!(partials[0].1, 2 << 20);
    // Nobody else resumes from it.
    let nurse = vault("Nurse", Role::Clinician);
    assert!(
        doctor
            .vault
            .engine()
            .partials_from(&nurse.vault.person_id())
            .unwrap()
            .is_empty()
    );

    // The next sync: only the rest of the attachment goes.
    let theirs = doctor.vault.engine().have_for(&alice_id).unwrap();
    let card = doctor.vault.card().clone();
    let mut again = Vec::new();
    alice
        .vault
        .engine()
        .send_batch_resuming(&card, &theirs, None, &partials, &mut |i| {
            again.push(i);
            Ok(())
        })
        .unwrap();
    let rest = parts(&again);
    assert_eq!(rest.first().map(|p| p.0), Some(2 << 20), "{rest:?}");
    let total = items
        .iter()
        .find_map(|i| match i {
            Item::BlobPart { total, .. } => Some(*total),
            _ => None,
        })
        .unwrap();
    let sent: usize = rest.iter().map(|p| p.1).sum();
    assert_eq!(sent as u64, total - (2 << 20));
    deliver(&mut doctor, &alice, again).unwrap();
    let record = alice.vault.own_record().unwrap();
    let docs = doctor
        .vault
        .list(&record, Some(SectionId::Documents))
        .unwrap();
    let Entry::Document(_) = &docs[0].entry else {
        panic!("not a document")
    };
    let (_, bytes) = doctor.vault.attachment(&record, &docs[0].id).unwrap();
    assert_eq!(bytes.as_slice(), &scan()[..]);
    // Nothing is kept once it is whole.
    assert!(
        doctor
            .vault
            .engine()
            .partials_from(&alice_id)
            .unwrap()
            .is_empty()
    );
}

#[test]
fn kept_bytes_that_do_not_match_are_dropped_and_the_attachment_comes_whole() {
    let (alice, mut doctor, items) = setup();
    let alice_id = alice.vault.person_id();
    let cut = items
        .iter()
        .position(|i| matches!(i, Item::BlobPart { .. }))
        .unwrap();
    // What was kept is altered (a damaged disk, a hostile relay).
    let mut prefix = items[..=cut].to_vec();
    if let Some(Item::BlobPart { bytes, .. }) = prefix.last_mut() {
        bytes[100] ^= 1;
    }
    doctor
        .vault
        .engine()
        .keep_partial(&alice_id, &prefix)
        .unwrap();
    let partials = doctor.vault.engine().partials_from(&alice_id).unwrap();
    let theirs = doctor.vault.engine().have_for(&alice_id).unwrap();
    let card = doctor.vault.card().clone();
    let mut again = Vec::new();
    alice
        .vault
        .engine()
        .send_batch_resuming(&card, &theirs, None, &partials, &mut |i| {
            again.push(i);
            Ok(())
        })
        .unwrap();
    let before = doctor.vault.state_digest().unwrap();
    let err = deliver(&mut doctor, &alice, again).unwrap_err();
    assert!(err.to_string().contains("does not match its id"), "{err}");
    assert_eq!(doctor.vault.state_digest().unwrap(), before);
    // Dropped: the next sync asks for nothing to resume and gets it whole.
    assert!(
        doctor
            .vault
            .engine()
            .partials_from(&alice_id)
            .unwrap()
            .is_empty()
    );
    deliver(&mut doctor, &alice, items).unwrap();
    let record = alice.vault.own_record().unwrap();
    let docs = doctor
        .vault
        .list(&record, Some(SectionId::Documents))
        .unwrap();
    let (_, bytes) = doctor.vault.attachment(&record, &docs[0].id).unwrap();
    assert_eq!(bytes.as_slice(), &scan()[..]);
}
