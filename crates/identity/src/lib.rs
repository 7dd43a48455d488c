//! Identity resolution engine (PRODUCT.md C2): which records are the same person.
//!
//! Fellegi–Sunter record linkage, no IO: callers hand it `Record`s, it hands back scored links.
//!
//! - `record`: the normalised person record the engine compares.
//! - `compare`: comparison levels per field (exact, Jaro–Winkler bands, nickname groups,
//!   initials, swapped names, date transpositions, address number + street, phone, e-mail).
//! - `block`: candidate pairs from several blocking rules, unioned, with a cap per key.
//! - `model`: m/u probabilities without labels (u from random pairs, m and the prior by EM over
//!   comparison-pattern counts), term-frequency adjustments, match weights, `explain`.
//! - `link`: the best left match for each right record.
//!
//! - `dedupe`: pairs inside one set, clustered strongest first with a guard against chaining
//!   different people of one household together.
//!
//! Still to come (issue 4): golden records, the review queue, incremental matching, and
//! resolution over the store.

pub mod block;
pub mod compare;
pub mod dedupe;
pub mod link;
pub mod model;
pub mod record;

pub use compare::{Field, FIELDS};
pub use dedupe::{dedupe, DedupeStats, Pair};
pub use link::{link, Index, Link, LinkSettings, LinkStats, Matcher};
pub use model::{Explanation, Model};
pub use record::{RawPerson, Record};

/// SplitMix64, for the seeded random-pair sample.
#[derive(Debug, Clone)]
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub(crate) fn below(&mut self, n: u64) -> u64 {
        (((self.next_u64() >> 11) as u128 * n as u128) >> 53) as u64
    }
}
