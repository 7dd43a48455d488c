//! Linking two sets: for each right record, its best left match.

use rayon::prelude::*;
use serde::Serialize;

use crate::block::{Blocker, Rule, DEFAULT_RULES};
use crate::compare::{compare, Field, Pattern};
use crate::model::Model;
use crate::record::Record;

/// Candidate pairs given to EM at most (an even sample beyond that).
pub const EM_PAIRS_MAX: usize = 2_000_000;

#[derive(Debug, Clone)]
pub struct LinkSettings {
    /// Links below this match probability are not reported.
    pub threshold: f64,
    pub seed: u64,
    pub rules: Vec<Rule>,
    /// Pairs a person said are different people, by record ids `(left id, right id)`: never
    /// linked; the right record gets its next best candidate instead.
    pub forbidden: std::collections::HashSet<(String, String)>,
}

impl Default for LinkSettings {
    fn default() -> Self {
        LinkSettings {
            threshold: 0.5,
            seed: 1,
            rules: DEFAULT_RULES.to_vec(),
            forbidden: Default::default(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Link {
    /// Index into the left records.
    pub left: u32,
    /// Index into the right records.
    pub right: u32,
    pub weight: f64,
    pub probability: f64,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct LinkStats {
    pub left: usize,
    pub right: usize,
    pub candidate_pairs: u64,
    pub skipped_keys: usize,
    pub prior: f64,
    /// The household guard was on (the left records have households).
    pub household_guard: bool,
    /// Wall time of each stage, in milliseconds.
    pub blocking_ms: u64,
    pub estimating_ms: u64,
    pub scoring_ms: u64,
}

/// The best-weighted candidate for `r` (ties to the lower index), skipping guarded and
/// forbidden pairs.
fn best_of(
    left: &[Record],
    model: &Model,
    guard: bool,
    settings: &LinkSettings,
    r: &Record,
    candidates: &[u32],
) -> Option<(f64, u32)> {
    let mut best: Option<(f64, u32)> = None;
    for &i in candidates {
        let a = &left[i as usize];
        let p = compare(a, r);
        if guard && guarded_pattern(&p) {
            continue;
        }
        if !settings.forbidden.is_empty()
            && settings.forbidden.contains(&(a.id.clone(), r.id.clone()))
        {
            continue;
        }
        let w = model.weight_of(&p, a);
        if best.is_none_or(|(bw, _)| w > bw) {
            best = Some((w, i));
        }
    }
    best
}

/// Matches one record at a time against a fixed set (an incoming sign-up or donation against
/// the voters), with a model estimated beforehand: no re-estimation, one blocking lookup and
/// a few dozen comparisons per record. `L` is how the set is held: borrowed (`&[Record]`) or
/// owned ([`Index`], a long-lived index such as the server's over the voters).
pub struct Matcher<L: AsRef<[Record]>> {
    left: L,
    blocker: Blocker,
    model: Model,
    guard: bool,
    settings: LinkSettings,
}

/// A [`Matcher`] that owns its records.
pub type Index = Matcher<Vec<Record>>;

impl<L: AsRef<[Record]>> Matcher<L> {
    pub fn new(left: L, model: Model, settings: LinkSettings) -> Matcher<L> {
        Matcher {
            blocker: Blocker::new(left.as_ref(), &settings.rules),
            guard: has_households(left.as_ref()),
            left,
            model,
            settings,
        }
    }

    /// The best left match of `r` at or above the threshold (`right` is 0 in the result).
    pub fn best(&self, r: &Record) -> Option<Link> {
        self.best_above(r, self.settings.threshold)
    }

    /// The best left match of `r` at or above `floor` (callers that queue borderline pairs for
    /// review ask for less than they link).
    pub fn best_above(&self, r: &Record, floor: f64) -> Option<Link> {
        let mut candidates = Vec::new();
        self.blocker.candidates(r, &mut candidates);
        let (w, i) = best_of(
            self.left.as_ref(),
            &self.model,
            self.guard,
            &self.settings,
            r,
            &candidates,
        )?;
        let p = Model::probability(w);
        (p >= floor).then_some(Link {
            left: i,
            right: 0,
            weight: w,
            probability: p,
        })
    }

    pub fn left(&self) -> &[Record] {
        self.left.as_ref()
    }

    /// `r`'s key under `rule` was too common to be searched (see `Blocker::skipped`).
    pub fn skipped(&self, rule: crate::block::Rule, r: &Record) -> bool {
        self.blocker.skipped(rule, r)
    }

    pub fn model(&self) -> &Model {
        &self.model
    }
}

/// The household guard: two records with different first names (both given; not a nickname,
/// an initial or a near spelling) at the same street address are never linked on that alone —
/// that is a relative. They need a person-specific agreement: birth date (exact or one digit
/// off), phone or e-mail.
pub fn household_guard(a: &Record, b: &Record) -> bool {
    guarded_pattern(&compare(a, b))
}

/// `household_guard` on a comparison pattern.
pub fn guarded_pattern(p: &Pattern) -> bool {
    p[Field::FirstName.index()] == 1
        && p[Field::Address.index()] >= 2
        && p[Field::BirthDate.index()] < 3
        && p[Field::Phone.index()] != 2
        && p[Field::Email.index()] < 2
}

/// Share of records living with someone of another first name above which the left data is
/// taken to have households (voter files do; FEBRL does not), and the household guard is on.
pub const HOUSEHOLD_SHARE_MIN: f64 = 0.01;

/// Whether records share street addresses with people of other first names.
pub fn has_households(records: &[Record]) -> bool {
    use std::collections::HashMap;
    let mut at: HashMap<(&str, &str, &str), &str> = HashMap::new();
    let mut shared = 0usize;
    for r in records {
        if r.house_number.is_empty() || r.street.is_empty() {
            continue;
        }
        match at.insert((&r.house_number, &r.street, &r.zip5), &r.first) {
            Some(other) if other != r.first => shared += 1,
            _ => {}
        }
    }
    shared as f64 >= HOUSEHOLD_SHARE_MIN * records.len() as f64
}

/// Links `right` to `left`: estimates the model from the data (no labels), then for each
/// right record keeps its best-scoring candidate at or above the threshold. Deterministic:
/// ties go to the lower left index.
pub fn link(
    left: &[Record],
    right: &[Record],
    settings: &LinkSettings,
) -> (Vec<Link>, Model, LinkStats) {
    let clock = std::time::Instant::now();
    let blocker = Blocker::new(left, &settings.rules);
    let candidates: Vec<Vec<u32>> = right
        .par_iter()
        .map_init(Vec::new, |buf, r| {
            blocker.candidates(r, buf);
            buf.clone()
        })
        .collect();
    let total: u64 = candidates.iter().map(|c| c.len() as u64).sum();
    let step = (total as usize / EM_PAIRS_MAX).max(1);
    let mut k = 0usize;
    let mut sample = Vec::with_capacity((total as usize).min(EM_PAIRS_MAX) + 1);
    for (j, c) in candidates.iter().enumerate() {
        for &i in c {
            if k % step == 0 {
                sample.push((i, j as u32));
            }
            k += 1;
        }
    }
    let blocking_ms = clock.elapsed().as_millis() as u64;
    let clock = std::time::Instant::now();
    let model = Model::estimate(left, right, &sample, total as f64, settings.seed);
    let estimating_ms = clock.elapsed().as_millis() as u64;
    let clock = std::time::Instant::now();
    let guard = has_households(left);
    let links: Vec<Link> = candidates
        .par_iter()
        .enumerate()
        .filter_map(|(j, c)| {
            let (w, i) = best_of(left, &model, guard, settings, &right[j], c)?;
            let p = Model::probability(w);
            (p >= settings.threshold).then_some(Link {
                left: i,
                right: j as u32,
                weight: w,
                probability: p,
            })
        })
        .collect();
    let stats = LinkStats {
        left: left.len(),
        right: right.len(),
        candidate_pairs: total,
        skipped_keys: blocker.skipped_keys,
        prior: model.prior,
        household_guard: guard,
        blocking_ms,
        estimating_ms,
        scoring_ms: clock.elapsed().as_millis() as u64,
    };
    (links, model, stats)
}
