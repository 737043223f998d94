//! The decrypted body of an envelope comes from a member who may be hostile: decoding and
//! applying it must never panic out of `SectionDoc`.
//!
//! Automerge 0.12 panics on some malformed changes (it trusts their internal references);
//! `SectionDoc` contains those panics (`catch_unwind`, then the vault reloads the section
//! refusing the changes). libfuzzer-sys aborts on every panic from its hook, even one
//! caught later, so this target lets panics raised inside Automerge's own code unwind to
//! `SectionDoc`'s guard, and aborts on any other, as before.
#![no_main]
use libfuzzer_sys::fuzz_target;

fn contain_automerge_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let fuzzer_hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            // Automerge's own code, and its column codec (hexane), which `ChangeSet::from_bytes`
            // also guards.
            let in_automerge = info.location().is_some_and(|l| {
                l.file().contains("/automerge-") || l.file().contains("/hexane-")
            });
            if !in_automerge {
                fuzzer_hook(info);
            }
        }));
    });
}

/// Every read a patient's or clinician's command makes of a section after a change was
/// applied (listing, one entry, its edits and history, saving and loading the snapshot):
/// none may panic out of `SectionDoc`, whatever the change held.
fn read_everything(doc: &carnet_record::SectionDoc) {
    let _ = doc.heads();
    if let Ok((entries, _)) = doc.entries_lossy() {
        for e in entries.iter().take(8) {
            let _ = doc.get(&e.id);
            let _ = doc.later_writes(&e.id);
            let _ = doc.history(&e.id);
        }
    }
    if let Ok(id) = "zzzzzzzzzz".parse::<carnet_record::EntryId>() {
        let _ = doc.history(&id);
    }
    let saved = doc.save();
    if let Ok(back) = carnet_record::SectionDoc::load(doc.section(), &saved, [2; 16]) {
        let _ = back.entries_lossy();
    }
}

fuzz_target!(|data: &[u8]| {
    contain_automerge_panics();
    if let Ok(changes) = carnet_record::ChangeSet::from_bytes(data) {
        let mut doc = carnet_record::SectionDoc::new(carnet_record::SectionId::Notes, [1; 16]);
        if doc.apply(&changes).is_ok() {
            read_everything(&doc);
        }
        let mut set_aside = std::collections::HashSet::new();
        let mut again = carnet_record::SectionDoc::new(carnet_record::SectionId::Notes, [1; 16]);
        if again.apply_tolerant(&changes, &mut set_aside).is_ok() {
            read_everything(&again);
        }
    }
});
