//! Linking two sets: for each right record, its best left match.

use rayon::prelude::*;
use serde::Serialize;

use crate::block::{Blocker, Rule, DEFAULT_RULES};
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
}

impl Default for LinkSettings {
    fn default() -> Self {
        LinkSettings {
            threshold: 0.5,
            seed: 1,
            rules: DEFAULT_RULES.to_vec(),
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
}

/// Links `right` to `left`: estimates the model from the data (no labels), then for each
/// right record keeps its best-scoring candidate at or above the threshold. Deterministic:
/// ties go to the lower left index.
pub fn link(
    left: &[Record],
    right: &[Record],
    settings: &LinkSettings,
) -> (Vec<Link>, Model, LinkStats) {
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
    let model = Model::estimate(left, right, &sample, settings.seed);
    let links: Vec<Link> = candidates
        .par_iter()
        .enumerate()
        .filter_map(|(j, c)| {
            let mut best: Option<(f64, u32)> = None;
            for &i in c {
                let w = model.weight(&left[i as usize], &right[j]);
                if best.is_none_or(|(bw, _)| w > bw) {
                    best = Some((w, i));
                }
            }
            let (w, i) = best?;
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
    };
    (links, model, stats)
}
