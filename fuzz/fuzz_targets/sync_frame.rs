//! A live peer sends anything it likes: the sync frame decoder, the device certificate
//! parser and the ticket parser must never panic, whatever the bytes.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(frame) = postcard::from_bytes::<carnet_sync::Frame>(data)
        && let carnet_sync::Frame::Hello { card, cert, .. } = frame
    {
        let _ = carnet_crypto::IdentityCard::from_text(&card);
        if let Ok(c) = carnet_crypto::DeviceCert::from_bytes(&cert) {
            let _ = c.verify(&[0u8; 32]);
        }
    }
    if let Ok(c) = carnet_crypto::DeviceCert::from_bytes(data) {
        let _ = c.verify(&[1u8; 32]);
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = text.parse::<carnet_sync::Ticket>();
    }
});
