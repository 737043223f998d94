//! The decrypted body of an envelope comes from a member who may be hostile: decoding and
//! applying it must never panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(changes) = carnet_record::ChangeSet::from_bytes(data) {
        let mut doc = carnet_record::SectionDoc::new(carnet_record::SectionId::Notes, [1; 16]);
        if doc.apply(&changes).is_ok() {
            let _ = doc.entries();
        }
    }
});
