//! What a peer says it holds is kept only where it can be true (issue 14, point 5).
//! Before, a read-only grantee could claim millions of chains and keys in its bundle's
//! header or a live frame: the patient stored the claim whole as that peer's state and
//! walked it on every later exchange (a 3.7 MB claim made each export to that grantee
//! take 36 s, inside the transaction every `carnet add` waits for).

use carnet::crypto::{DeviceId, PersonId, Role};
use carnet::exchange::{Finished, ItemSource};
use carnet::record::{Entry, Note, SectionId};
use carnet::wire::{ChainPos, Have, Item, RecordState};
use carnet_scenarios::{exchange, introduce, pass, vault};

/// A sender that brings nothing but a claim of what it holds.
struct Claim(Option<Have>);

impl ItemSource for Claim {
    fn next_item(&mut self) -> carnet::Result<Option<Item>> {
        Ok(None)
    }
    fn finish(&mut self) -> carnet::Result<Finished> {
        Ok(Finished {
            have: self.0.take(),
            once: None,
        })
    }
}

#[test]
fn a_peers_claim_of_what_it_holds_is_bounded_by_what_exists() {
    let mut alice = vault("Alice", Role::Patient);
    let mut doctor = vault("Dr Martin", Role::Clinician);
    let record = alice.vault.own_record().unwrap();
    introduce(&mut alice, "Dr Martin", &doctor);
    introduce(&mut doctor, "Alice", &alice);
    alice
        .vault
        .add(
            &record,
            Entry::Note(Note {
                text: "seen".into(),
                title: None,
            }),
        )
        .unwrap();
    alice
        .vault
        .grant(
            "Dr Martin",
            &[SectionId::Notes],
            carnet::consent::Access::Read,
            "GP",
            None,
        )
        .unwrap();
    exchange(&mut alice, &mut doctor).unwrap();

    // The grantee claims 50,000 chains nobody wrote, a huge checkpoint, 20,000 keys, and
    // the same record listed many times.
    let mut state = RecordState::default();
    for i in 0..50_000u32 {
        let mut author = [0u8; 32];
        author[..4].copy_from_slice(&i.to_be_bytes());
        state.chains.push(ChainPos {
            section: SectionId::Notes.code(),
            author: PersonId(author),
            device: DeviceId([i as u8; 16]),
            seq: u64::MAX,
        });
    }
    // And the real chain, claimed far beyond what exists.
    state.chains.push(ChainPos {
        section: SectionId::Notes.code(),
        author: alice.vault.person_id(),
        device: alice.vault.device_id(),
        seq: 1_000_000,
    });
    state.consent = u64::MAX;
    for i in 0..20_000u32 {
        state.keys.push((3, i, [i as u8; 8]));
    }
    let claim = Have {
        records: vec![(record, state); 20],
        state: None,
    };
    alice
        .vault
        .engine()
        .receive_items(&doctor.vault.card(), &mut Claim(Some(claim)))
        .unwrap();

    // What Alice keeps of the claim is what can be true: one chain, as far as it exists.
    let store = carnet_store::Store::open(&alice.dir, &pass()).unwrap();
    let kept = store
        .read()
        .unwrap()
        .get_secret_meta(&format!("peer:{record}:{}", doctor.vault.person_id()))
        .unwrap()
        .expect("the grantee's state");
    assert!(
        kept.len() < 1024,
        "the stored claim is {} bytes: it was kept unbounded",
        kept.len()
    );
    drop(store);

    // The lie costs only the liar: once the grantee says what it really holds, the
    // exchange goes on and what it lacks reaches it.
    let honest = doctor
        .vault
        .engine()
        .have_for(&alice.vault.person_id())
        .unwrap();
    alice
        .vault
        .engine()
        .receive_items(&doctor.vault.card(), &mut Claim(Some(honest)))
        .unwrap();
    alice
        .vault
        .add(
            &record,
            Entry::Note(Note {
                text: "new".into(),
                title: None,
            }),
        )
        .unwrap();
    let (sent, got) = exchange(&mut alice, &mut doctor).unwrap();
    assert_eq!((sent.envelopes, got.envelopes), (1, 1));
}

#[test]
fn cards_a_peer_brings_are_kept_only_for_people_it_gives_a_reason_to_name() {
    let mut alice = vault("Alice", Role::Patient);
    let mut doctor = vault("Dr Martin", Role::Clinician);
    introduce(&mut alice, "Dr Martin", &doctor);
    introduce(&mut doctor, "Alice", &alice);
    let people_before = alice.vault.people().unwrap().len();
    // A known grantee brings 300 cards of people nobody here has any dealing with.
    let mut items = std::collections::VecDeque::new();
    for i in 0..300 {
        let stranger = carnet::crypto::PersonSecret::generate().unwrap();
        let card = carnet::crypto::IdentityCard::issue(
            &stranger,
            &format!("Stranger {i}"),
            Role::Clinician,
            Vec::new(),
            1,
        )
        .unwrap();
        items.push_back(Item::Card(card.to_text()));
    }
    alice
        .vault
        .engine()
        .receive_items(&doctor.vault.card(), &mut carnet_scenarios::Items(items))
        .unwrap();
    let people = alice.vault.people().unwrap();
    assert_eq!(
        people.len(),
        people_before,
        "the card book grew by {} cards of nobody",
        people.len() - people_before
    );
}
