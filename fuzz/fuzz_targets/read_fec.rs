//! Fuzz the fec reader: any bytes, read to the end, must never panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mapping = ingest::Mapping::parse(
        "entity = \"contacts\"\nsource = \"f\"\nowner = \"o\"\n[columns]\nfirst_name = \"a\"\nphone = \"b\"\n",
    )
    .expect("valid mapping");
    if let Ok(reader) = ingest::Reader::open(ingest::Kind::Fec, Some(&mapping), data) {
        for row in reader {
            if row.is_err() {
                break;
            }
        }
    }
});
