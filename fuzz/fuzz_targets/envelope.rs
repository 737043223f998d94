//! Envelopes arrive from peers and bundles: decoding and verifying must never panic, and
//! whatever decodes must re-encode to the same bytes.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(env) = carnet_crypto::Envelope::from_bytes(data) {
        assert_eq!(env.as_bytes(), data);
        let _ = env.verify();
        let _ = env.open(&carnet_crypto::EpochKey::from_bytes([0; 32]));
    }
});
