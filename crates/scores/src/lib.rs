//! Tusk's scoring engine (PRODUCT.md C3): features relative to an election, regularised
//! logistic regression (own Newton solver) and gradient-boosted trees (`forust-ml`), the
//! persuasion model as a two-model uplift estimate, donor propensity with expected gift,
//! held-out evaluation (AUC, log loss, calibration, Qini) and SVG plots. No IO: the caller
//! reads the store into `Facts` and writes the scores back.

pub mod features;
pub mod gbt;
pub mod logistic;
pub mod metrics;
pub mod model;
pub mod svg;

pub use features::{Context, Facts, FEATURES};
pub use model::{train, Labelled, Model, Report, TrainParams};

use serde::{Deserialize, Serialize};

/// What a model predicts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Target {
    /// P(supports our candidate), from canvass support IDs (1–2 = supports).
    Support,
    /// P(votes in the election), from vote history of a past election.
    Turnout,
    /// Uplift: how much a persuasion contact raises P(supports), from the randomised experiment.
    Persuasion,
    /// P(gives), and the expected gift of a donor, from donations.
    Donor,
}

impl Target {
    pub const ALL: [Target; 4] = [
        Target::Support,
        Target::Turnout,
        Target::Persuasion,
        Target::Donor,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Target::Support => "support",
            Target::Turnout => "turnout",
            Target::Persuasion => "persuasion",
            Target::Donor => "donor",
        }
    }

    pub fn parse(s: &str) -> Option<Target> {
        Target::ALL.into_iter().find(|t| t.name() == s)
    }
}

/// How a model is fitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Algorithm {
    /// L2-regularised logistic regression on standardised features (Newton's method).
    Logistic,
    /// Gradient-boosted trees (histogram, log loss; `forust-ml`).
    Gbt,
}

impl Algorithm {
    pub const ALL: [Algorithm; 2] = [Algorithm::Logistic, Algorithm::Gbt];

    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Logistic => "logistic",
            Algorithm::Gbt => "gbt",
        }
    }

    pub fn parse(s: &str) -> Option<Algorithm> {
        Algorithm::ALL.into_iter().find(|a| a.name() == s)
    }
}

/// A feature matrix, column-major (column `j` is `data[j * rows .. (j + 1) * rows]`).
#[derive(Debug, Clone, PartialEq)]
pub struct Matrix {
    pub rows: usize,
    pub cols: usize,
    pub data: Vec<f64>,
    pub names: Vec<String>,
}

impl Matrix {
    pub fn col(&self, j: usize) -> &[f64] {
        &self.data[j * self.rows..(j + 1) * self.rows]
    }

    /// The rows at `idx`, in that order.
    pub fn select(&self, idx: &[usize]) -> Matrix {
        let mut data = Vec::with_capacity(idx.len() * self.cols);
        for j in 0..self.cols {
            let c = self.col(j);
            data.extend(idx.iter().map(|&i| c[i]));
        }
        Matrix {
            rows: idx.len(),
            cols: self.cols,
            data,
            names: self.names.clone(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ScoreError {
    #[error("not enough labelled people to train a {target} model: {have} (at least {need} needed, {what})")]
    TooFew {
        target: &'static str,
        have: usize,
        need: usize,
        what: &'static str,
    },
    #[error("the model's features ({model}) are not the features given ({given}): rebuild the features for this model's target")]
    Features { model: String, given: String },
    #[error("gradient boosting failed: {0}")]
    Gbt(String),
    #[error("the model body is not readable: {0}")]
    Body(String),
}

pub type Result<T> = std::result::Result<T, ScoreError>;

/// The logistic function.
pub fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}
