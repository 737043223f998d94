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
    let mut set_aside = std::collections::HashSet::new();
    assert!(doc.apply_tolerant(&changes, &mut set_aside).is_err());
    // The document is untouched and still takes honest changes.
    assert!(doc.entries().unwrap().is_empty());
}

/// A series block whose UTC offset is i64::MIN: `abs` overflowed.
#[test]
fn a_series_block_with_the_smallest_offset_is_refused_not_a_panic() {
    let bytes = include_bytes!("regressions/series_block-negate-overflow");
    assert!(SeriesBlock::decode(bytes).is_err());
}
