//! A record member's changes that build on a writer who wrote nothing in the section are
//! refused at receipt, before they are stored (a fuzzer found that Automerge 0.12 panics
//! on such changes; at load they are set aside, see `carnet-record`).

use std::collections::VecDeque;

use carnet::consent::Access;
use carnet::crypto::{ENVELOPE_VERSION, Envelope, EnvelopeHeader, Role};
use carnet::record::{SectionDoc, SectionId};
use carnet::wire::Item;
use carnet::{Error, actor_for};
use carnet_scenarios::{Items, epoch_key_of, exchange, introduce, note, secret_of, vault};

#[test]
fn a_change_building_on_a_stranger_to_the_section_is_refused_before_it_is_stored() {
    let mut alice = vault("Alice", Role::Patient);
    let mut doctor = vault("Dr Martin", Role::Clinician);
    let record = alice.vault.own_record().unwrap();
    introduce(&mut alice, "Dr Martin", &doctor);
    introduce(&mut doctor, "Alice", &alice);
    alice
        .vault
        .grant("Dr Martin", &[SectionId::Notes], Access::Write, "GP", None)
        .unwrap();
    exchange(&mut alice, &mut doctor).unwrap();
    let secret = secret_of(&doctor.dir);
    let device = doctor.vault.device_id();
    let key = epoch_key_of(&alice.dir, &record, SectionId::Notes, 0);
    // An entry made by a writer the section never saw, edited by the doctor: only the
    // edit is sent (the doctor's own change, signed by the doctor).
    let mut stranger = SectionDoc::new(SectionId::Notes, [9; 16]);
    let (id, created) = stranger.insert(&note("elsewhere")).unwrap();
    let mut mine = SectionDoc::new(SectionId::Notes, actor_for(&secret.person_id(), &device));
    mine.apply(&created).unwrap();
    let edited = mine.update(&id, &note("edited")).unwrap();
    let seal = |changes: &carnet::record::ChangeSet| {
        Envelope::seal(
            EnvelopeHeader {
                version: ENVELOPE_VERSION,
                record,
                section: SectionId::Notes.code(),
                epoch: 0,
                author: secret.person_id(),
                device,
                seq: 1,
                prev: None,
            },
            &changes.to_bytes(),
            &key,
            &secret,
        )
        .unwrap()
    };
    let env = seal(&edited);
    let before = alice.vault.state_digest().unwrap();
    let err = alice
        .vault
        .engine()
        .receive_items(
            &doctor.vault.card(),
            &mut Items(VecDeque::from([Item::Envelope {
                bytes: env.as_bytes().to_vec(),
                blobs: Vec::new(),
            }])),
        )
        .unwrap_err();
    assert!(
        matches!(
            &err,
            Error::BadEnvelope { why, .. } if matches!(**why, carnet::EnvelopeFault::UnknownWriter)
        ),
        "{err}"
    );
    assert_eq!(alice.vault.state_digest().unwrap(), before);
    // The doctor's own change that builds only on what Alice holds is taken.
    let mut fine = SectionDoc::new(SectionId::Notes, actor_for(&secret.person_id(), &device));
    let (_, own) = fine.insert(&note("the doctor's")).unwrap();
    alice
        .vault
        .engine()
        .receive_items(
            &doctor.vault.card(),
            &mut Items(VecDeque::from([Item::Envelope {
                bytes: seal(&own).as_bytes().to_vec(),
                blobs: Vec::new(),
            }])),
        )
        .unwrap();
}
