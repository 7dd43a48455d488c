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
pub const PREDICT_CHUNK_ROWS: usize = 4_096;

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

/// The booster's trees flattened for scoring: one array of nodes per forest, children by
/// index; a leaf has `feature == LEAF`.
#[derive(Debug, Clone)]
pub struct Forest {
    nodes: Vec<Flat>,
    roots: Vec<u32>,
    base: f64,
    logistic: bool,
}

#[derive(Debug, Clone, Copy)]
struct Flat {
    feature: u32,
    threshold: f64,
    left: u32,
    right: u32,
    missing: u32,
    value: f64,
}

const LEAF: u32 = u32::MAX;

impl Forest {
    pub fn new(g: &Gbt) -> Result<Forest> {
        let b = g.booster()?;
        let trees = match b.prediction_iteration {
            Some(n) => &b.trees[..n.min(b.trees.len())],
            None => &b.trees[..],
        };
        let mut nodes = Vec::new();
        let mut roots = Vec::with_capacity(trees.len());
        for t in trees {
            let at = nodes.len() as u32;
            roots.push(at);
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
            for n in &t.nodes {
                nodes.push(if n.is_leaf {
                    Flat {
                        feature: LEAF,
                        threshold: 0.0,
                        left: 0,
                        right: 0,
                        missing: 0,
                        value: f64::from(n.weight_value),
                    }
                } else {
                    Flat {
                        feature: n.split_feature as u32,
                        threshold: n.split_value,
                        left: at_num(n.left_child)?,
                        right: at_num(n.right_child)?,
                        missing: at_num(n.missing_node)?,
                        value: 0.0,
                    }
                });
            }
        }
        Ok(Forest {
            nodes,
            roots,
            base: b.base_score,
            logistic: g.logistic,
        })
    }

    fn row(&self, x: &[f64]) -> f64 {
        let mut sum = self.base;
        for &r in &self.roots {
            let mut i = r as usize;
            loop {
                let n = &self.nodes[i];
                if n.feature == LEAF {
                    sum += n.value;
                    break;
                }
                let v = x[n.feature as usize];
                i = if v.is_nan() {
                    n.missing
                } else if v < n.threshold {
                    n.left
                } else {
                    n.right
                } as usize;
            }
        }
        sum
    }

    pub fn predict(&self, x: &Matrix) -> Vec<f64> {
        let mut out = vec![0.0; x.rows];
        out.par_chunks_mut(PREDICT_CHUNK_ROWS)
            .enumerate()
            .for_each(|(c, out)| {
                let start = c * PREDICT_CHUNK_ROWS;
                let mut rows = vec![0.0; out.len() * x.cols];
                for j in 0..x.cols {
                    let col = &x.col(j)[start..start + out.len()];
                    for (i, v) in col.iter().enumerate() {
                        rows[i * x.cols + j] = *v;
                    }
                }
                for (i, o) in out.iter_mut().enumerate() {
                    let z = self.row(&rows[i * x.cols..(i + 1) * x.cols]);
                    *o = if self.logistic { sigmoid(z) } else { z };
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
