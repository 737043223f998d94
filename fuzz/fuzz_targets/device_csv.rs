//! A device export is a file from anywhere: every format's parser must refuse or read it,
//! never panic. The first byte picks the format.
#![no_main]
use carnet_fhir::{DeviceFormat, read_device_csv};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let format = match pick % 4 {
        0 => DeviceFormat::Dexcom,
        1 => DeviceFormat::Libre,
        2 => DeviceFormat::Nightscout,
        _ => DeviceFormat::Generic,
    };
    if let Ok(import) = read_device_csv(rest, format, &jiff::tz::TimeZone::UTC) {
        for m in import.items {
            if let carnet_fhir::Item::Readings(set) = m.item {
                let _ = set.pack(&Default::default());
            }
        }
    }
});
