//! An auditor runs `audit verify` on files from anyone: never panic, never claim ok for
//! junk.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(export) = carnet_consent::AuditExport::from_json(data) {
        let report = carnet_consent::verify(&export, None);
        if report.ok {
            assert!(report.entries > 0);
        }
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let record = carnet_crypto::RecordId([2; 32]);
        let _ = carnet_consent::verify_checkpoint(text, &record, &carnet_crypto::PersonId([1; 32]));
    }
});
