//! A series block arrives inside a change from a record member who may be hostile:
//! decoding must be bounded and never panic, and what decodes must re-encode to a block
//! that decodes to the same readings.
#![no_main]
use carnet_record::SeriesBlock;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(block) = SeriesBlock::decode(data) {
        let again = SeriesBlock::decode(&block.encode()).expect("a decoded block re-encodes");
        assert_eq!(again, block);
        let _ = (block.start(), block.end(), block.range());
    }
});
