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

fuzz_target!(|data: &[u8]| {
    contain_automerge_panics();
    if let Ok(changes) = carnet_record::ChangeSet::from_bytes(data) {
        let mut doc = carnet_record::SectionDoc::new(carnet_record::SectionId::Notes, [1; 16]);
        if doc.apply(&changes).is_ok() {
            let _ = doc.entries();
        }
        let mut set_aside = std::collections::HashSet::new();
        let mut again = carnet_record::SectionDoc::new(carnet_record::SectionId::Notes, [1; 16]);
        if again.apply_tolerant(&changes, &mut set_aside).is_ok() {
            let _ = again.entries();
        }
    }
});
