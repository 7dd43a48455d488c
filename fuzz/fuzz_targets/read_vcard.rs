//! Fuzz the vCard reader: any bytes, read to the end, must never panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(reader) = ingest::Reader::open(ingest::Kind::Vcard, None, data) {
        for row in reader {
            if row.is_err() {
                break;
            }
        }
    }
});
