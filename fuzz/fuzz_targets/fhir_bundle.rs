//! A FHIR bundle comes from another system or a stranger's file: reading, validating and
//! mapping it must never panic, whatever the bytes.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(import) = carnet_fhir::read_bundle(data, &mut |_, _| {}) {
        for m in &import.items {
            if let carnet_fhir::Item::Entry(e) = &m.item {
                let _ = e.summary();
            }
        }
    }
});
