//! Attachment blobs come from peers: opening arbitrary bytes must never panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let key = carnet_crypto::ContentKey::from_bytes([7; 32]);
    let _ = carnet_crypto::open_blob(&key, data);
});
