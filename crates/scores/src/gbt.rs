//! Gradient-boosted trees through `forust-ml` (histogram trees, log loss or squared loss).
//! The fitted booster is kept as forust's own JSON, inside the model body.

use forust_ml::gradientbooster::ImportanceMethod;
use forust_ml::objective::ObjectiveType;
use forust_ml::GradientBooster;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::{sigmoid, Matrix, Result, ScoreError};

/// Rows scored together: their features are copied row-major once, then every tree walks them
/// (cache-friendly, unlike walking tree by tree over column-major data).
pub const PREDICT_CHUNK_ROWS: usize = 1_024;
/// Rows that walk a tree together.
const LANES: usize = 8;

/// Boosting parameters (recorded with every model run).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GbtParams {
    pub iterations: usize,
    pub learning_rate: f32,
    pub max_depth: usize,
    pub min_leaf_weight: f32,
    pub l2: f32,
    pub bins: u16,
}

impl Default for GbtParams {
    fn default() -> Self {
        GbtParams {
            iterations: 100,
            learning_rate: 0.1,
            max_depth: 5,
            min_leaf_weight: 20.0,
            l2: 1.0,
            bins: 255,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Gbt {
    /// forust's JSON dump of the booster.
    pub booster: String,
    pub logistic: bool,
}

fn matrix(x: &Matrix) -> forust_ml::Matrix<'_, f64> {
    forust_ml::Matrix::new(&x.data, x.rows, x.cols)
}

pub fn fit(
    x: &Matrix,
    y: &[f64],
    w: &[f64],
    p: &GbtParams,
    logistic: bool,
    seed: u64,
) -> Result<Gbt> {
    let objective = if logistic {
        ObjectiveType::LogLoss
    } else {
        ObjectiveType::SquaredLoss
    };
    let mut b = GradientBooster::default()
        .set_objective_type(objective)
        .set_iterations(p.iterations)
        .set_learning_rate(p.learning_rate)
        .set_max_depth(p.max_depth)
        .set_min_leaf_weight(p.min_leaf_weight)
        .set_l2(p.l2)
        .set_nbins(p.bins)
        .set_seed(seed)
        .set_parallel(true);
    b.fit(&matrix(x), y, w, None)
        .map_err(|e| ScoreError::Gbt(e.to_string()))?;
    Ok(Gbt {
        booster: b.json_dump().map_err(|e| ScoreError::Gbt(e.to_string()))?,
        logistic,
    })
}

impl Gbt {
    pub fn booster(&self) -> Result<GradientBooster> {
        GradientBooster::from_json(&self.booster).map_err(|e| ScoreError::Body(e.to_string()))
    }

    pub fn predict(&self, x: &Matrix) -> Result<Vec<f64>> {
        let b = self.booster()?;
        let mut p = b.predict(&matrix(x), true);
        if self.logistic {
            p.iter_mut().for_each(|v| *v = sigmoid(*v));
        }
        Ok(p)
    }

    /// Total split gain per feature, normalised to sum to 1.
    pub fn importance(&self, cols: usize) -> Result<Vec<f64>> {
        let b = self.booster()?;
        let imp = b.calculate_feature_importance(ImportanceMethod::TotalGain, true);
        Ok((0..cols)
            .map(|j| imp.get(&j).copied().unwrap_or(0.0) as f64)
            .collect())
    }
}

/// The booster's trees flattened for scoring. Each node holds its feature, threshold and two
/// children; a leaf points to itself with an infinite threshold, so a walk of a tree's depth
/// ends on its leaf without a branch per node (data-dependent branches mispredict about half
/// the time; a walk without them lets the CPU overlap many rows).
#[derive(Debug, Clone)]
pub struct Forest {
    feature: Vec<u32>,
    threshold: Vec<f64>,
    /// `[left, right]` per node.
    kids: Vec<[u32; 2]>,
    value: Vec<f64>,
    /// (root, depth) per tree.
    trees: Vec<(u32, u32)>,
    /// Where a missing value (NaN) goes, per node; used only for rows that have one.
    missing: Vec<u32>,
    base: f64,
    logistic: bool,
}

impl Forest {
    pub fn new(g: &Gbt) -> Result<Forest> {
        let b = g.booster()?;
        let trees = match b.prediction_iteration {
            Some(n) => &b.trees[..n.min(b.trees.len())],
            None => &b.trees[..],
        };
        let mut f = Forest {
            feature: Vec::new(),
            threshold: Vec::new(),
            kids: Vec::new(),
            value: Vec::new(),
            trees: Vec::with_capacity(trees.len()),
            missing: Vec::new(),
            base: b.base_score,
            logistic: g.logistic,
        };
        for t in trees {
            let at = f.feature.len() as u32;
            // forust numbers nodes within a tree; map those numbers to positions.
            let pos: std::collections::HashMap<usize, u32> = t
                .nodes
                .iter()
                .enumerate()
                .map(|(i, n)| (n.num, at + i as u32))
                .collect();
            let at_num = |k: usize| -> Result<u32> {
                pos.get(&k)
                    .copied()
                    .ok_or_else(|| ScoreError::Body(format!("tree node {k} missing")))
            };
            let root = t.nodes.first().map_or(0, |n| n.num);
            let root = at_num(root)?;
            let mut depth = 0;
            for (i, n) in t.nodes.iter().enumerate() {
                let me = at + i as u32;
                depth = depth.max(n.depth as u32);
                if n.is_leaf {
                    f.feature.push(0);
                    f.threshold.push(f64::INFINITY);
                    f.kids.push([me, me]);
                    f.missing.push(me);
                    f.value.push(f64::from(n.weight_value));
                } else {
                    f.feature.push(n.split_feature as u32);
                    f.threshold.push(n.split_value);
                    f.kids.push([at_num(n.left_child)?, at_num(n.right_child)?]);
                    f.missing.push(at_num(n.missing_node)?);
                    f.value.push(0.0);
                }
            }
            f.trees.push((root, depth));
        }
        Ok(f)
    }

    /// The raw sum for one row that has a missing value (forust's missing branches).
    fn row_with_missing(&self, x: &[f64]) -> f64 {
        let mut sum = self.base;
        for &(root, depth) in &self.trees {
            let mut i = root as usize;
            for _ in 0..depth {
                let v = x[self.feature[i] as usize];
                i = if v.is_nan() {
                    self.missing[i]
                } else {
                    self.kids[i][usize::from(v >= self.threshold[i])]
                } as usize;
            }
            sum += self.value[i];
        }
        sum
    }

    pub fn predict(&self, x: &Matrix) -> Vec<f64> {
        let cols = x.cols;
        let mut out = vec![0.0; x.rows];
        out.par_chunks_mut(PREDICT_CHUNK_ROWS)
            .enumerate()
            .for_each(|(c, out)| {
                let start = c * PREDICT_CHUNK_ROWS;
                let n = out.len();
                let mut rows = vec![0.0; n * cols];
                for j in 0..cols {
                    for (i, v) in x.col(j)[start..start + n].iter().enumerate() {
                        rows[i * cols + j] = *v;
                    }
                }
                out.iter_mut().for_each(|o| *o = self.base);
                // LANES rows walk each tree in lockstep: independent chains the CPU overlaps.
                let mut i = 0;
                while i < n {
                    let lanes = LANES.min(n - i);
                    for &(root, depth) in &self.trees {
                        let mut k = [root as usize; LANES];
                        for _ in 0..depth {
                            for (l, k) in k.iter_mut().enumerate().take(lanes) {
                                let r = (i + l) * cols;
                                // NaN compares false: it goes left here and is redone below.
                                let right =
                                    rows[r + self.feature[*k] as usize] >= self.threshold[*k];
                                *k = self.kids[*k][usize::from(right)] as usize;
                            }
                        }
                        for (l, k) in k.iter().enumerate().take(lanes) {
                            out[i + l] += self.value[*k];
                        }
                    }
                    i += lanes;
                }
                for (i, o) in out.iter_mut().enumerate() {
                    let r = &rows[i * cols..(i + 1) * cols];
                    if r.iter().any(|v| v.is_nan()) {
                        *o = self.row_with_missing(r);
                    }
                    if self.logistic {
                        *o = sigmoid(*o);
                    }
                }
            });
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_flat_forest_predicts_what_forust_predicts() {
        // y depends on two features with an interaction; 3,000 rows.
        let n = 3_000;
        let mut a = Vec::with_capacity(n);
        let mut b = Vec::with_capacity(n);
        let mut y = Vec::with_capacity(n);
        let mut s: u64 = 7;
        let mut next = || {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (s >> 11) as f64 / (1u64 << 53) as f64
        };
        for _ in 0..n {
            let (u, v) = (next(), next());
            a.push(u);
            b.push((v * 10.0).floor());
            y.push(f64::from(u8::from(u + v * 0.5 + next() * 0.5 > 1.0)));
        }
        let x = Matrix {
            rows: n,
            cols: 2,
            data: [a, b].concat(),
            names: vec!["a".into(), "b".into()],
        };
        let params = GbtParams {
            iterations: 20,
            ..GbtParams::default()
        };
        let g = fit(&x, &y, &vec![1.0; n], &params, true, 1).unwrap();
        let want = g.predict(&x).unwrap();
        let got = Forest::new(&g).unwrap().predict(&x);
        assert_eq!(want.len(), got.len());
        for (w, g) in want.iter().zip(&got) {
            assert!((w - g).abs() < 1e-9, "{w} vs {g}");
        }
        assert!(want.iter().any(|p| *p > 0.7) && want.iter().any(|p| *p < 0.3));
    }
}
