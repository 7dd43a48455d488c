//! Gradient-boosted trees through `forust-ml` (histogram trees, log loss or squared loss).
//! The fitted booster is kept as forust's own JSON, inside the model body.

use forust_ml::gradientbooster::ImportanceMethod;
use forust_ml::objective::ObjectiveType;
use forust_ml::GradientBooster;
use serde::{Deserialize, Serialize};

use crate::{sigmoid, Matrix, Result, ScoreError};

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
