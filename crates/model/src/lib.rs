//! Tusk's domain types and the normalisation shared by ingest and matching. No IO.

pub mod date;
pub mod normalize;
pub mod records;

pub use date::Date;
pub use records::*;

/// Content hash of a source record's verbatim text (xxh3, 64 bits), used to tell `unchanged`
/// from `updated` rows when a file is loaded again. Stable across releases: it is stored.
pub fn content_hash(raw: &str) -> i64 {
    xxhash_rust::xxh3::xxh3_64(raw.as_bytes()) as i64
}

/// Household id from a household key (see `normalize::household_key`): a 63-bit hash, so that
/// both backends can compute it without a lookup. Collisions are possible in principle (about
/// 2.4e-7 for 3 M addresses).
pub fn household_id(key: &str) -> i64 {
    (xxhash_rust::xxh3::xxh3_64(key.as_bytes()) >> 1) as i64
}
