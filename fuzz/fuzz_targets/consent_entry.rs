//! Consent entries arrive in bundles and audit exports: decoding must never panic, and
//! whatever decodes is canonical.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(e) = carnet_consent::SignedEntry::from_bytes(data) {
        assert_eq!(e.as_bytes(), data);
        let _ = e.verify(&carnet_crypto::PersonId([1; 32]));
    }
});
