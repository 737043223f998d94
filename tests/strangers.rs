//! Strangers: someone a vault has never heard of (not a contact, grantee, patient who
//! shared a record, nor one of its owner's devices) may only share their own record with
//! its owner. Anything else they bring is refused whole and noted. Before, a bundle from
//! anyone carrying the patient's own changes (written, say, on a device since removed)
//! was taken as the patient's.

use std::collections::VecDeque;

use carnet::Error;
use carnet::actor_for;
use carnet::crypto::{DeviceId, Role};
use carnet::record::{Entry, Note, SectionId};
use carnet::wire::Item;
use carnet_scenarios::{
    Items, deliver_unacknowledged, epoch_key_of, introduce, seal_entry, secret_of, vault,
};

fn note(text: &str) -> Entry {
    Entry::Note(Note {
        text: text.into(),
        title: None,
    })
}

#[test]
fn a_stranger_carrying_the_patients_own_changes_is_refused_and_noted() {
    let mut alice = vault("Alice", Role::Patient);
    let eve = vault("Eve", Role::Clinician);
    let record = alice.vault.own_record().unwrap();
    alice.vault.add(&record, note("real")).unwrap();
    // Signed by Alice's key from a device of hers that is not this one (a thief of an old
    // device could make it), the first of that device's chain: valid in every other way.
    let secret = secret_of(&alice.dir);
    let device = DeviceId([7; 16]);
    let key = epoch_key_of(&alice.dir, &record, SectionId::Notes, 0);
    let env = seal_entry(
        &secret,
        &key,
        record,
        SectionId::Notes,
        0,
        device,
        actor_for(&secret.person_id(), &device),
        1,
        &note("planted"),
    );
    let items = || {
        Items(VecDeque::from([Item::Envelope {
            bytes: env.as_bytes().to_vec(),
            blobs: Vec::new(),
        }]))
    };
    let before = alice.vault.state_digest().unwrap();
    let attempts = alice.vault.attempts().unwrap().len();
    let err = alice
        .vault
        .engine()
        .receive_items(&eve.vault.card(), &mut items())
        .unwrap_err();
    assert!(matches!(err, Error::Stranger { .. }), "{err}");
    assert!(err.to_string().contains("Eve"), "{err}");
    // Nothing taken; the attempt noted (that is the one write).
    let noted = alice.vault.attempts().unwrap();
    assert_eq!(noted.len(), attempts + 1);
    assert_eq!(noted.last().unwrap().person, Some(eve.vault.person_id()));
    let texts: Vec<String> = alice
        .vault
        .list(&record, Some(SectionId::Notes))
        .unwrap()
        .into_iter()
        .map(|e| match e.entry {
            Entry::Note(n) => n.text,
            _ => unreachable!(),
        })
        .collect();
    assert_eq!(texts, ["real"]);
    assert_ne!(
        alice.vault.state_digest().unwrap(),
        before,
        "the attempt is noted"
    );

    // A patient sharing their own record with a clinician who never heard of them is
    // still taken (their first bundle introduces them).
    let mut doctor = vault("Dr Martin", Role::Clinician);
    introduce(&mut alice, "Dr Martin", &doctor);
    alice
        .vault
        .grant(
            "Dr Martin",
            &[SectionId::Notes],
            carnet::consent::Access::Read,
            "care",
            None,
        )
        .unwrap();
    let got = deliver_unacknowledged(&mut alice, &mut doctor).unwrap();
    assert_eq!(got.envelopes, 1);
}
