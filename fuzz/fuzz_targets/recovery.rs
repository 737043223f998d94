//! What a restore or a recovery reads comes from files and people: a backup's plaintext,
//! a typed phrase, a released share, a sealed share file, a link code. None may panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = carnet::backup::parse_plaintext(data);
    let _ = carnet_crypto::SealedShare::from_bytes(data);
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = carnet_crypto::RecoveryPhrase::parse(text).map(|p| p.key());
        if let Ok(s) = carnet_crypto::ReleasedShare::from_text(text) {
            let _ = carnet_crypto::RecoveryKey::combine(&[s]);
        }
        let _ = text.parse::<carnet_sync::LinkCode>();
    }
});
