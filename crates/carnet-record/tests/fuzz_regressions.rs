//! Inputs the fuzzers found that crashed the record codec (`fuzz/known-crashes` listed them
//! until fixed): each is now refused with an error, never a panic.

use carnet_record::{ChangeSet, SectionDoc, SectionId, SeriesBlock};

/// A change set whose change names, in its operations, an actor that wrote nothing in the
/// document: Automerge 0.12 unwraps that actor's lookup and panicked the receiver.
#[test]
fn a_change_naming_an_unknown_actor_is_refused_not_a_panic() {
    let bytes = include_bytes!("regressions/changeset-unknown-actor");
    let changes = ChangeSet::from_bytes(bytes).expect("the reproducer decodes as a change set");
    let mut doc = SectionDoc::new(SectionId::Notes, [1; 16]);
    let err = doc.apply(&changes).unwrap_err();
    assert!(err.to_string().contains("writer"), "{err}");
    // Loading what a vault stored sets it aside for good (the section stays readable).
    let mut set_aside = std::collections::HashSet::new();
    let aside = doc.apply_tolerant(&changes, &mut set_aside).unwrap();
    assert!(aside.is_empty(), "it is never handed back to be re-issued");
    assert!(!set_aside.is_empty());
    assert!(doc.entries().unwrap().is_empty());
}

/// A series block whose UTC offset is i64::MIN: `abs` overflowed.
#[test]
fn a_series_block_with_the_smallest_offset_is_refused_not_a_panic() {
    let bytes = include_bytes!("regressions/series_block-negate-overflow");
    assert!(SeriesBlock::decode(bytes).is_err());
}

/// Changes arrive in any order (a vault replays chain by chain): an edit by one writer of
/// an entry another created waits for that creation, then both apply. The check above
/// must not take the wait for a reference to a stranger.
#[test]
fn an_edit_arriving_before_what_it_edits_waits_and_applies() {
    use carnet_record::{Entry, Note};
    let mut a = SectionDoc::new(SectionId::Notes, [1; 16]);
    let (id, created) = a
        .insert(&Entry::Note(Note {
            text: "first".into(),
            title: None,
        }))
        .unwrap();
    let mut b = SectionDoc::new(SectionId::Notes, [2; 16]);
    b.apply(&created).unwrap();
    let edited = b
        .update(
            &id,
            &Entry::Note(Note {
                text: "edited".into(),
                title: None,
            }),
        )
        .unwrap();
    for tolerant in [false, true] {
        let mut c = SectionDoc::new(SectionId::Notes, [3; 16]);
        let mut set_aside = std::collections::HashSet::new();
        for changes in [&edited, &created] {
            if tolerant {
                assert!(
                    c.apply_tolerant(changes, &mut set_aside)
                        .unwrap()
                        .is_empty()
                );
            } else {
                c.apply(changes).unwrap();
            }
        }
        let entries = c.entries().unwrap();
        assert_eq!(entries.len(), 1);
        assert!(
            matches!(&entries[0].entry, Entry::Note(n) if n.text == "edited"),
            "{entries:?}"
        );
        assert!(set_aside.is_empty());
    }
}

/// A change set whose columns end short (found by `.ci/run`'s fuzzing on 2026-11-30):
/// Automerge's column codec (hexane) unwraps an end-of-input error and panicked while the
/// change was decoded; it is refused as malformed.
#[test]
fn a_change_set_whose_columns_end_short_is_refused_not_a_panic() {
    let bytes = include_bytes!("regressions/changeset-hexane-eof");
    let Err(err) = ChangeSet::from_bytes(bytes) else {
        panic!("a change set whose columns end short was accepted");
    };
    assert!(err.to_string().contains("change"), "{err}");
}
