//! A bundle's plaintext comes from whoever could seal a file to us (anyone with our card):
//! the frame decoder and the item descriptions must never panic nor allocate past the
//! frame limit, whatever the bytes. Also the wire items a live peer sends.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = carnet::bundle::parse_plaintext(data);
    let mut r = data;
    while let Ok(Some(frame)) = carnet::wire::read_frame_bytes(&mut r, carnet::wire::MAX_FRAME) {
        let _ = carnet::wire::decode_frame::<carnet::wire::Item>(&frame);
        let _ = carnet::wire::decode_frame::<carnet::wire::Have>(&frame);
    }
});
