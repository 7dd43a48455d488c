//! Deduplication inside one set: scored pairs, then clusters with a guard against chaining.

use rayon::prelude::*;
use serde::Serialize;

use crate::block::Blocker;
use crate::compare::compare;
use crate::link::{guarded_pattern, has_households, LinkSettings, EM_PAIRS_MAX};
use crate::model::Model;
use crate::record::Record;

/// Largest cluster the chaining guard checks member by member; clusters do not grow past it.
pub const CLUSTER_SIZE_MAX: usize = 50;

#[derive(Debug, Clone, Default, Serialize)]
pub struct DedupeStats {
    pub records: usize,
    pub candidate_pairs: u64,
    pub pairs_above_threshold: usize,
    /// Merges refused because two members would be different people of one household, or the
    /// cluster would pass `CLUSTER_SIZE_MAX`.
    pub merges_refused: usize,
    pub clusters: usize,
    pub prior: f64,
}

/// A scored pair of records (indices into the input, `a < b`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Pair {
    pub a: u32,
    pub b: u32,
    pub weight: f64,
    pub probability: f64,
}

struct Clusters {
    parent: Vec<u32>,
    members: Vec<Vec<u32>>,
}

impl Clusters {
    fn new(n: usize) -> Clusters {
        Clusters {
            parent: (0..n as u32).collect(),
            members: (0..n as u32).map(|i| vec![i]).collect(),
        }
    }

    fn find(&mut self, mut x: u32) -> u32 {
        while self.parent[x as usize] != x {
            let p = self.parent[x as usize];
            self.parent[x as usize] = self.parent[p as usize];
            x = p;
        }
        x
    }
}

/// Deduplicates `records`: returns, for each record, the index of its cluster's first
/// member (the lowest index), the pairs scored at or above the threshold, the model and stats.
///
/// Pairs are merged strongest first (ties by record id); a merge is refused when any two
/// members of the joined cluster would be different people of one household (the household
/// guard, when the data has households) or when the cluster would pass `CLUSTER_SIZE_MAX`.
/// So a chain A–B–C cannot join A and C when A and C are, say, father and son.
pub fn dedupe(
    records: &[Record],
    settings: &LinkSettings,
) -> (Vec<u32>, Vec<Pair>, Model, DedupeStats) {
    let blocker = Blocker::new(records, &settings.rules);
    let candidates: Vec<Vec<u32>> = records
        .par_iter()
        .enumerate()
        .map_init(Vec::new, |buf, (j, r)| {
            blocker.candidates(r, buf);
            buf.iter().copied().filter(|&i| (i as usize) < j).collect()
        })
        .collect();
    let total: u64 = candidates.iter().map(|c| c.len() as u64).sum();
    let step = (total as usize / EM_PAIRS_MAX).max(1);
    let sample: Vec<(u32, u32)> = candidates
        .iter()
        .enumerate()
        .flat_map(|(j, c)| c.iter().map(move |&i| (i, j as u32)))
        .step_by(step)
        .collect();
    let model = Model::estimate(records, records, &sample, total as f64, settings.seed);
    let guard = has_households(records);
    let mut pairs: Vec<Pair> = candidates
        .par_iter()
        .enumerate()
        .flat_map_iter(|(j, c)| {
            let model = &model;
            c.iter().filter_map(move |&i| {
                let (a, b) = (&records[i as usize], &records[j]);
                let p = compare(a, b);
                if guard && guarded_pattern(&p) {
                    return None;
                }
                let w = model.weight_of(&p, a);
                let prob = Model::probability(w);
                (prob >= settings.threshold).then_some(Pair {
                    a: i,
                    b: j as u32,
                    weight: w,
                    probability: prob,
                })
            })
        })
        .collect();
    // Strongest first; ties by the pair's ids (smaller id first), so the order of the input
    // does not matter.
    let ids = |p: &Pair| {
        let (x, y) = (&records[p.a as usize].id, &records[p.b as usize].id);
        if x <= y {
            (x, y)
        } else {
            (y, x)
        }
    };
    pairs.sort_by(|x, y| {
        y.weight
            .total_cmp(&x.weight)
            .then_with(|| ids(x).cmp(&ids(y)))
    });
    let mut c = Clusters::new(records.len());
    let mut refused = 0;
    for p in &pairs {
        let (ra, rb) = (c.find(p.a), c.find(p.b));
        if ra == rb {
            continue;
        }
        let (ma, mb) = (&c.members[ra as usize], &c.members[rb as usize]);
        let too_big = ma.len() + mb.len() > CLUSTER_SIZE_MAX;
        let conflict = guard
            && ma.iter().any(|&x| {
                mb.iter()
                    .any(|&y| guarded_pattern(&compare(&records[x as usize], &records[y as usize])))
            });
        if too_big || conflict {
            refused += 1;
            continue;
        }
        // Keep the root with the lower index, so cluster ids do not depend on merge order.
        let (keep, gone) = if ra < rb { (ra, rb) } else { (rb, ra) };
        let moved = std::mem::take(&mut c.members[gone as usize]);
        c.members[keep as usize].extend(moved);
        c.parent[gone as usize] = keep;
    }
    let mut cluster = vec![0u32; records.len()];
    for i in 0..records.len() as u32 {
        let root = c.find(i);
        cluster[i as usize] = *c.members[root as usize].iter().min().unwrap_or(&root);
    }
    let mut roots: Vec<u32> = cluster.clone();
    roots.sort_unstable();
    roots.dedup();
    let stats = DedupeStats {
        records: records.len(),
        candidate_pairs: total,
        pairs_above_threshold: pairs.len(),
        merges_refused: refused,
        clusters: roots.len(),
        prior: model.prior,
    };
    (cluster, pairs, model, stats)
}
