//! Identity cards are pasted by people: parsing arbitrary text must never panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(card) = carnet_crypto::IdentityCard::from_text(text) {
            let again = carnet_crypto::IdentityCard::from_text(&card.to_text()).expect("round trip");
            assert_eq!(again, card);
        }
    }
});
