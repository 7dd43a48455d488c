//! The Fellegi–Sunter model: m and u probabilities per field level, the match prior, term
//! frequencies; weights, probabilities and explanations.

use std::collections::HashMap;
use std::fmt;

use serde::Serialize;

use crate::compare::{compare, Field, Pattern, FIELDS, LEVELS_MAX};
use crate::record::Record;
use crate::Rng;

/// Random pairs drawn to estimate u probabilities.
pub const U_SAMPLE_PAIRS: usize = 300_000;
/// EM iterations for the prior (it converges in far fewer on real data).
pub const EM_ITERATIONS: usize = 40;
/// Rounds of anchored m estimation.
pub const ANCHOR_ROUNDS: usize = 4;
/// Evidence (bits) the other fields must give, beyond log2 of the larger side's size (the
/// prior odds of a pair), before a pair counts towards a field's m.
pub const ANCHOR_MARGIN_BITS: f64 = 4.0;
/// Fewer anchor pairs than this leave a field's m at its starting guess.
pub const ANCHORS_MIN: f64 = 30.0;
/// Smoothing added to every count so no probability is 0.
const SMOOTHING: f64 = 0.5;
/// Term frequencies below this are raised to it (a name seen once is not infinitely rare).
const TF_FLOOR: f64 = 1e-6;

#[derive(Debug, Clone, Serialize)]
pub struct Model {
    /// P(match) among candidate pairs.
    pub prior: f64,
    /// m[field][level] = P(level | match); level 0 (missing) unused.
    pub m: [[f64; LEVELS_MAX]; 8],
    /// u[field][level] = P(level | non-match).
    pub u: [[f64; LEVELS_MAX]; 8],
    /// Share of records with each first / last name (term-frequency adjustment).
    #[serde(skip)]
    tf: [HashMap<String, f64>; 2],
    /// Precomputed for scoring: log2(m/u) per level, the same for exact names with their
    /// own frequency, and the prior's log odds.
    #[serde(skip)]
    bits: [[f64; LEVELS_MAX]; 8],
    #[serde(skip)]
    tf_bits: [HashMap<String, f64>; 2],
    #[serde(skip)]
    prior_bits: f64,
}

fn levels(f: Field) -> usize {
    f.levels().len()
}

fn frequencies<'a>(values: impl Iterator<Item = &'a str>) -> HashMap<String, f64> {
    let mut counts: HashMap<String, f64> = HashMap::new();
    let mut total = 0.0f64;
    for v in values.filter(|v| !v.is_empty()) {
        *counts.entry(v.to_string()).or_default() += 1.0;
        total += 1.0;
    }
    for c in counts.values_mut() {
        *c /= total.max(1.0);
    }
    counts
}

fn normalise(counts: &mut [f64], n: usize) {
    let total: f64 = counts[1..n].iter().sum();
    for c in counts[1..n].iter_mut() {
        *c /= total.max(f64::MIN_POSITIVE);
    }
    counts[0] = 1.0;
}

impl Model {
    /// Estimates the model without labels: u from random left×right pairs, then m and the
    /// prior by EM over the comparison patterns of the candidate pairs.
    pub fn estimate(
        left: &[Record],
        right: &[Record],
        candidates: &[(u32, u32)],
        candidate_total: f64,
        seed: u64,
    ) -> Model {
        let mut u = [[SMOOTHING; LEVELS_MAX]; 8];
        if !left.is_empty() && !right.is_empty() {
            let mut rng = Rng::new(seed);
            let all = left.len() as u64 * right.len() as u64;
            let n = (U_SAMPLE_PAIRS as u64).min(all);
            for k in 0..n {
                let (i, j) = if all <= U_SAMPLE_PAIRS as u64 {
                    (k / right.len() as u64, k % right.len() as u64)
                } else {
                    (rng.below(left.len() as u64), rng.below(right.len() as u64))
                };
                let p = compare(&left[i as usize], &right[j as usize]);
                for f in FIELDS {
                    let l = p[f.index()] as usize;
                    if l > 0 {
                        u[f.index()][l] += 1.0;
                    }
                }
            }
        }
        for f in FIELDS {
            normalise(&mut u[f.index()], levels(f));
        }
        let mut patterns: HashMap<Pattern, f64> = HashMap::new();
        for &(i, j) in candidates {
            *patterns
                .entry(compare(&left[i as usize], &right[j as usize]))
                .or_default() += 1.0;
        }
        let mut patterns: Vec<(Pattern, f64)> = patterns.into_iter().collect();
        patterns.sort_by(|a, b| a.0.cmp(&b.0));
        // m without labels, anchored: a field's m is the distribution of its levels among
        // candidate pairs that the *other* fields already call a match (at least
        // `ANCHOR_BITS` of evidence). This keeps the estimate away from the classic wrong
        // answer of a two-class EM on blocked pairs, "same surname" (households, relatives).
        // A few rounds, starting from agreement-heavy guesses.
        let mut m = [[0.0; LEVELS_MAX]; 8];
        for f in FIELDS {
            let n = levels(f);
            for l in 1..n {
                m[f.index()][l] = if l == n - 1 {
                    0.9
                } else {
                    0.1 / (n - 2) as f64
                };
            }
            m[f.index()][0] = 1.0;
        }
        // The evidence an anchor needs grows with the data: one pair in a million is a match
        // a priori, so a shared common name is no anchor in a state-sized file.
        let anchor_bits = (left.len().max(right.len()).max(2) as f64).log2() + ANCHOR_MARGIN_BITS;
        for _ in 0..ANCHOR_ROUNDS {
            let mut mc = [[SMOOTHING; LEVELS_MAX]; 8];
            let mut anchors = [0.0; 8];
            for (p, count) in &patterns {
                let mut per_field = [0.0; 8];
                for f in FIELDS {
                    let l = p[f.index()] as usize;
                    if l > 0 {
                        per_field[f.index()] = (m[f.index()][l] / u[f.index()][l]).log2();
                    }
                }
                let total: f64 = per_field.iter().sum();
                // Households share surname, address, city, zip and often a landline: such
                // evidence says nothing about first names. So a pair anchors the first-name
                // m only with a person-specific agreement (birth date, phone, e-mail), and a
                // pair whose first names differ anchors no other field.
                let person_specific = p[Field::BirthDate.index()] >= 3
                    || p[Field::Phone.index()] == 2
                    || p[Field::Email.index()] >= 2;
                let first_differs = p[Field::FirstName.index()] == 1;
                for f in FIELDS {
                    let l = p[f.index()] as usize;
                    let anchored = if f == Field::FirstName {
                        person_specific
                    } else {
                        !first_differs
                    };
                    if l > 0 && anchored && total - per_field[f.index()] >= anchor_bits {
                        mc[f.index()][l] += count;
                        anchors[f.index()] += count;
                    }
                }
            }
            for f in FIELDS {
                if anchors[f.index()] >= ANCHORS_MIN {
                    normalise(&mut mc[f.index()], levels(f));
                    m[f.index()] = mc[f.index()];
                }
            }
        }
        // The prior over all pairs, by EM with m and u fixed: expected matches / all pairs.
        let all_pairs = (left.len() as f64 * right.len() as f64).max(1.0);
        let factors: Vec<(f64, f64)> = patterns
            .iter()
            .map(|(p, count)| {
                let mut bf = 1.0;
                for f in FIELDS {
                    let l = p[f.index()] as usize;
                    if l > 0 {
                        bf *= m[f.index()][l] / u[f.index()][l];
                    }
                }
                (bf, *count)
            })
            .collect();
        // The pairs given here may be a sample of all candidates.
        let sampled = candidates.len().max(1) as f64;
        let scale = candidate_total.max(sampled) / sampled;
        let mut prior = 1.0 / (left.len().max(right.len()).max(1) as f64);
        for _ in 0..EM_ITERATIONS {
            let odds = prior / (1.0 - prior);
            let expected: f64 = factors
                .iter()
                .map(|(bf, c)| c * (odds * bf) / (1.0 + odds * bf))
                .sum::<f64>()
                * scale;
            prior = (expected / all_pairs).clamp(1e-12, 0.5);
        }
        let tf = [
            frequencies(left.iter().chain(right).map(|r| r.first.as_str())),
            frequencies(left.iter().chain(right).map(|r| r.last.as_str())),
        ];
        Model::with_tf(prior, m, u, tf)
    }

    /// A model from given parameters, without term frequencies (tests, saved models).
    pub fn from_parts(prior: f64, m: [[f64; LEVELS_MAX]; 8], u: [[f64; LEVELS_MAX]; 8]) -> Model {
        Model::with_tf(prior, m, u, [HashMap::new(), HashMap::new()])
    }

    fn with_tf(
        prior: f64,
        m: [[f64; LEVELS_MAX]; 8],
        u: [[f64; LEVELS_MAX]; 8],
        tf: [HashMap<String, f64>; 2],
    ) -> Model {
        let mut bits = [[0.0; LEVELS_MAX]; 8];
        for f in FIELDS {
            for l in 1..levels(f) {
                bits[f.index()][l] = (m[f.index()][l] / u[f.index()][l]).log2();
            }
        }
        let exact = |f: Field| m[f.index()][levels(f) - 1];
        let tf_bits = [
            tf[0]
                .iter()
                .map(|(k, v)| {
                    (
                        k.clone(),
                        (exact(Field::FirstName) / v.max(TF_FLOOR)).log2(),
                    )
                })
                .collect(),
            tf[1]
                .iter()
                .map(|(k, v)| (k.clone(), (exact(Field::LastName) / v.max(TF_FLOOR)).log2()))
                .collect(),
        ];
        Model {
            prior,
            m,
            u,
            tf,
            bits,
            tf_bits,
            prior_bits: (prior / (1.0 - prior)).log2(),
        }
    }

    /// The u of a pattern's level for this pair, term-frequency adjusted for exact names.
    fn u_for(&self, f: Field, level: usize, a: &Record) -> (f64, bool) {
        let exact = level == levels(f) - 1;
        let tf = match f {
            Field::FirstName if exact => self.tf[0].get(&a.first),
            Field::LastName if exact => self.tf[1].get(&a.last),
            _ => None,
        };
        match tf {
            Some(&freq) => (freq.max(TF_FLOOR), true),
            None => (self.u[f.index()][level], false),
        }
    }

    /// Match weight (log2 Bayes factor, prior included) of a pair.
    pub fn weight(&self, a: &Record, b: &Record) -> f64 {
        self.weight_of(&compare(a, b), a)
    }

    /// `weight` from a pair's comparison pattern (`a` gives the names' term frequencies).
    pub fn weight_of(&self, p: &Pattern, a: &Record) -> f64 {
        let mut w = self.prior_bits;
        for f in FIELDS {
            let l = p[f.index()] as usize;
            if l == 0 {
                continue;
            }
            let tf = match f {
                Field::FirstName if l == levels(f) - 1 => self.tf_bits[0].get(&a.first),
                Field::LastName if l == levels(f) - 1 => self.tf_bits[1].get(&a.last),
                _ => None,
            };
            w += tf.copied().unwrap_or(self.bits[f.index()][l]);
        }
        w
    }

    pub fn probability(weight: f64) -> f64 {
        1.0 / (1.0 + (-weight).exp2())
    }

    /// Every field's contribution to a pair's weight.
    pub fn explain(&self, a: &Record, b: &Record) -> Explanation {
        let p = compare(a, b);
        let prior_weight = (self.prior / (1.0 - self.prior)).log2();
        let mut fields = Vec::new();
        let mut total = prior_weight;
        for f in FIELDS {
            let l = p[f.index()] as usize;
            let (weight, m, u, tf) = if l == 0 {
                (0.0, 1.0, 1.0, false)
            } else {
                let (u, tf) = self.u_for(f, l, a);
                let m = self.m[f.index()][l];
                ((m / u).log2(), m, u, tf)
            };
            total += weight;
            fields.push(Contribution {
                field: f.name(),
                level: f.levels()[l],
                m,
                u,
                term_frequency: tf,
                weight,
            });
        }
        Explanation {
            prior: self.prior,
            prior_weight,
            fields,
            weight: total,
            probability: Model::probability(total),
        }
    }
}

/// One field's part in a pair's weight.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Contribution {
    pub field: &'static str,
    pub level: &'static str,
    pub m: f64,
    pub u: f64,
    /// u is the value's own frequency (a rare name weighs more than SMITH).
    pub term_frequency: bool,
    pub weight: f64,
}

/// Why a pair scored what it scored: a waterfall from the prior to the final weight.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Explanation {
    pub prior: f64,
    pub prior_weight: f64,
    pub fields: Vec<Contribution>,
    pub weight: f64,
    pub probability: f64,
}

impl fmt::Display for Explanation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{:<12} {:<36} {:>9} {:>10} {:>8} {:>8}",
            "field", "level", "m", "u", "weight", "running"
        )?;
        let mut running = self.prior_weight;
        writeln!(
            f,
            "{:<12} {:<36} {:>9} {:>10} {:>+8.2} {:>+8.2}",
            "prior",
            format!("P(match) = {:.6}", self.prior),
            "",
            "",
            self.prior_weight,
            running
        )?;
        for c in &self.fields {
            running += c.weight;
            let u = if c.term_frequency {
                format!("{:.6}*", c.u)
            } else {
                format!("{:.6}", c.u)
            };
            if c.level == "missing" {
                writeln!(
                    f,
                    "{:<12} {:<36} {:>9} {:>10} {:>8} {:>+8.2}",
                    c.field, c.level, "", "", "0", running
                )?;
            } else {
                writeln!(
                    f,
                    "{:<12} {:<36} {:>9.4} {:>10} {:>+8.2} {:>+8.2}",
                    c.field, c.level, c.m, u, c.weight, running
                )?;
            }
        }
        writeln!(
            f,
            "match weight {:+.2}, probability {:.6}",
            self.weight, self.probability
        )?;
        write!(
            f,
            "(* u is the name's own frequency: a rare name counts for more)"
        )
    }
}
