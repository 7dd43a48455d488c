//! Training runs: split, fit, evaluate on the held-out part, and the model body that scores
//! people later.

use serde::{Deserialize, Serialize};

use crate::gbt::{self, Gbt, GbtParams};
use crate::logistic::{self, Linear};
use crate::metrics::{self, CalibrationBin, Qini};
use crate::{Algorithm, Matrix, Result, ScoreError, Target};

/// Labelled people a model is trained on, too few to learn from below this.
pub const LABELLED_MIN: usize = 200;
/// Each arm of the persuasion experiment needs at least this many answers.
pub const ARM_MIN: usize = 100;
/// Donors needed to fit the expected gift.
pub const DONORS_MIN: usize = 30;
/// Default share of labelled people held out for evaluation, in percent.
pub const HOLDOUT_PERCENT: u8 = 25;
/// Default L2 penalty of the logistic regression (per unit of weight, standardised features).
pub const LAMBDA: f64 = 1e-3;

/// The labelled data of one target.
#[derive(Debug, Clone)]
pub struct Labelled {
    pub target: Target,
    pub x: Matrix,
    /// 1.0 / 0.0: supports (ID 1–2), voted, supports after the experiment, gave.
    pub y: Vec<f64>,
    /// Persuasion: in the treatment group.
    pub treated: Vec<bool>,
    /// Donor: total dollars given (0 for people who did not give).
    pub dollars: Vec<f64>,
    /// Person ids, for the held-out split (a person is always on the same side for one seed).
    pub person_ids: Vec<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TrainParams {
    pub algorithm: Algorithm,
    pub seed: u64,
    pub holdout_percent: u8,
    /// L2 penalty of the logistic regression (also of the expected-gift ridge).
    pub lambda: f64,
    pub gbt: GbtParams,
}

impl TrainParams {
    pub fn new(algorithm: Algorithm, seed: u64) -> TrainParams {
        TrainParams {
            algorithm,
            seed,
            holdout_percent: HOLDOUT_PERCENT,
            lambda: LAMBDA,
            gbt: GbtParams::default(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Fitted {
    Linear(Linear),
    Gbt(Gbt),
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Body {
    /// One probability model (support, turnout).
    Single { model: Fitted },
    /// Uplift by the two-model method (T-learner): P(support | treated, x) − P(support |
    /// control, x), each fitted on its own arm of the randomised experiment.
    TwoModel { treated: Fitted, control: Fitted },
    /// P(gives) and, for a donor, the expected total in dollars: exp(ridge on log dollars)
    /// times Duan's smearing factor.
    Donor {
        propensity: Fitted,
        gift: Linear,
        smear: f64,
    },
}

/// A trained model: what it predicts, from which features, and its fitted body.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Model {
    pub target: Target,
    pub algorithm: Algorithm,
    pub features: Vec<String>,
    pub body: Body,
}

/// How the model did on the held-out people.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Report {
    pub train_rows: usize,
    pub test_rows: usize,
    /// Share of positives among the labelled people.
    pub base_rate: f64,
    /// Held-out AUC (propensity for donor; not for persuasion).
    pub auc: Option<f64>,
    pub log_loss: Option<f64>,
    /// Log loss of always predicting the training base rate (what the model must beat).
    pub log_loss_base: Option<f64>,
    /// Mean predicted against observed per bin; for persuasion, predicted uplift against the
    /// observed treated − control rate.
    pub calibration: Vec<CalibrationBin>,
    pub qini: Option<Qini>,
    /// Donor: mean absolute error of the expected gift on held-out donors, dollars.
    pub gift_mae_dollars: Option<f64>,
    /// Donor: mean gift of held-out donors, dollars (the scale of the error above).
    pub gift_mean_dollars: Option<f64>,
    /// (feature, importance), most important first.
    pub importance: Vec<(String, f64)>,
}

/// Whether a person is in the held-out share for `seed` (the split `train` uses; peers in
/// benchmarks get the same split).
pub fn held_out(person_id: i64, seed: u64, percent: u8) -> bool {
    let mut b = [0u8; 16];
    b[..8].copy_from_slice(&person_id.to_le_bytes());
    b[8..].copy_from_slice(&seed.to_le_bytes());
    xxhash_rust::xxh3::xxh3_64(&b) % 100 < u64::from(percent)
}

fn fit_one(x: &Matrix, y: &[f64], p: &TrainParams) -> Result<Fitted> {
    let w = vec![1.0; y.len()];
    Ok(match p.algorithm {
        Algorithm::Logistic => Fitted::Linear(logistic::fit(x, y, &w, p.lambda, true)),
        Algorithm::Gbt => Fitted::Gbt(gbt::fit(x, y, &w, &p.gbt, true, p.seed)?),
    })
}

fn pick<T: Clone>(v: &[T], idx: &[usize]) -> Vec<T> {
    idx.iter().map(|&i| v[i].clone()).collect()
}

fn too_few(target: Target, have: usize, need: usize, what: &'static str) -> ScoreError {
    ScoreError::TooFew {
        target: target.name(),
        have,
        need,
        what,
    }
}

/// Trains a model for `data.target` and evaluates it on the held-out share.
pub fn train(data: &Labelled, p: &TrainParams) -> Result<(Model, Report)> {
    let n = data.y.len();
    if n < LABELLED_MIN {
        return Err(too_few(data.target, n, LABELLED_MIN, "labelled people"));
    }
    let (test, train): (Vec<usize>, Vec<usize>) =
        (0..n).partition(|&i| held_out(data.person_ids[i], p.seed, p.holdout_percent));
    let xtr = data.x.select(&train);
    let xte = data.x.select(&test);
    let ytr = pick(&data.y, &train);
    let yte = pick(&data.y, &test);
    let base_rate = data.y.iter().sum::<f64>() / n as f64;
    let mut report = Report {
        train_rows: train.len(),
        test_rows: test.len(),
        base_rate,
        ..Report::default()
    };
    let features = data.x.names.clone();
    let body = match data.target {
        Target::Support | Target::Turnout | Target::Donor => {
            let model = fit_one(&xtr, &ytr, p)?;
            let pte = predict_fitted(&model, &xte)?;
            let train_rate = ytr.iter().sum::<f64>() / ytr.len().max(1) as f64;
            report.auc = Some(metrics::auc(&pte, &yte));
            report.log_loss = Some(metrics::log_loss(&pte, &yte));
            report.log_loss_base = Some(metrics::log_loss(&vec![train_rate; yte.len()], &yte));
            report.calibration = metrics::calibration(&pte, &yte);
            report.importance = importance(&model, &features)?;
            if data.target == Target::Donor {
                let donors: Vec<usize> = train
                    .iter()
                    .copied()
                    .filter(|&i| data.dollars[i] > 0.0)
                    .collect();
                if donors.len() < DONORS_MIN {
                    return Err(too_few(data.target, donors.len(), DONORS_MIN, "donors"));
                }
                let xd = data.x.select(&donors);
                let logd: Vec<f64> = donors.iter().map(|&i| data.dollars[i].ln()).collect();
                let gift = logistic::fit(&xd, &logd, &vec![1.0; logd.len()], p.lambda, false);
                let fitted = gift.predict(&xd);
                let smear = fitted
                    .iter()
                    .zip(&logd)
                    .map(|(f, y)| (y - f).exp())
                    .sum::<f64>()
                    / logd.len() as f64;
                let test_donors: Vec<usize> = test
                    .iter()
                    .copied()
                    .filter(|&i| data.dollars[i] > 0.0)
                    .collect();
                if !test_donors.is_empty() {
                    let pred = gift.predict(&data.x.select(&test_donors));
                    let k = test_donors.len() as f64;
                    report.gift_mae_dollars = Some(
                        pred.iter()
                            .zip(&test_donors)
                            .map(|(z, &i)| (z.exp() * smear - data.dollars[i]).abs())
                            .sum::<f64>()
                            / k,
                    );
                    report.gift_mean_dollars =
                        Some(test_donors.iter().map(|&i| data.dollars[i]).sum::<f64>() / k);
                }
                Body::Donor {
                    propensity: model,
                    gift,
                    smear,
                }
            } else {
                Body::Single { model }
            }
        }
        Target::Persuasion => {
            let (t, c): (Vec<usize>, Vec<usize>) =
                train.iter().copied().partition(|&i| data.treated[i]);
            if t.len().min(c.len()) < ARM_MIN {
                return Err(too_few(
                    data.target,
                    t.len().min(c.len()),
                    ARM_MIN,
                    "answers in the smaller arm of the experiment",
                ));
            }
            let treated = fit_one(&data.x.select(&t), &pick(&data.y, &t), p)?;
            let control = fit_one(&data.x.select(&c), &pick(&data.y, &c), p)?;
            let up = uplift(&treated, &control, &xte)?;
            let tte = pick(&data.treated, &test);
            report.qini = Some(metrics::qini(&up, &tte, &yte));
            report.calibration = uplift_calibration(&up, &tte, &yte);
            let it = importance(&treated, &features)?;
            let ic = importance(&control, &features)?;
            let mut imp: Vec<(String, f64)> = it
                .into_iter()
                .map(|(name, v)| {
                    let c = ic.iter().find(|(n, _)| *n == name).map_or(0.0, |x| x.1);
                    (name, (v + c) / 2.0)
                })
                .collect();
            imp.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            report.importance = imp;
            Body::TwoModel { treated, control }
        }
    };
    Ok((
        Model {
            target: data.target,
            algorithm: p.algorithm,
            features,
            body,
        },
        report,
    ))
}

fn uplift(treated: &Fitted, control: &Fitted, x: &Matrix) -> Result<Vec<f64>> {
    let a = predict_fitted(treated, x)?;
    let b = predict_fitted(control, x)?;
    Ok(a.iter().zip(&b).map(|(a, b)| a - b).collect())
}

fn uplift_calibration(up: &[f64], treated: &[bool], y: &[f64]) -> Vec<CalibrationBin> {
    let mut idx: Vec<usize> = (0..up.len()).collect();
    idx.sort_by(|&a, &b| up[a].total_cmp(&up[b]).then(a.cmp(&b)));
    let n = idx.len();
    let bins = metrics::CALIBRATION_BINS / 2;
    (0..bins)
        .filter_map(|b| {
            let part = &idx[b * n / bins..(b + 1) * n / bins];
            let rate = |arm: bool| {
                let v: Vec<f64> = part
                    .iter()
                    .filter(|&&i| treated[i] == arm)
                    .map(|&i| y[i])
                    .collect();
                (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
            };
            Some(CalibrationBin {
                count: part.len(),
                mean_predicted: part.iter().map(|&i| up[i]).sum::<f64>() / part.len().max(1) as f64,
                observed: rate(true)? - rate(false)?,
            })
        })
        .collect()
}

fn importance(m: &Fitted, names: &[String]) -> Result<Vec<(String, f64)>> {
    let v = match m {
        Fitted::Linear(l) => {
            let imp = l.importance();
            let total: f64 = imp.iter().sum::<f64>().max(1e-12);
            imp.iter().map(|v| v / total).collect()
        }
        Fitted::Gbt(g) => g.importance(names.len())?,
    };
    let mut out: Vec<(String, f64)> = names.iter().cloned().zip(v).collect();
    out.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    Ok(out)
}

fn predict_fitted(m: &Fitted, x: &Matrix) -> Result<Vec<f64>> {
    match m {
        Fitted::Linear(l) => Ok(l.predict(x)),
        Fitted::Gbt(g) => g.predict(x),
    }
}

/// Scores for a set of people: the score (a probability; an uplift for persuasion) and, for
/// the donor model, the expected gift in dollars.
#[derive(Debug, Clone, PartialEq)]
pub struct Prediction {
    pub score: Vec<f64>,
    pub value: Option<Vec<f64>>,
}

enum Live {
    Linear(Linear),
    Gbt(crate::gbt::Forest),
}

impl Live {
    fn new(f: &Fitted) -> Result<Live> {
        Ok(match f {
            Fitted::Linear(l) => Live::Linear(l.clone()),
            Fitted::Gbt(g) => Live::Gbt(crate::gbt::Forest::new(g)?),
        })
    }

    fn predict(&self, x: &Matrix) -> Vec<f64> {
        match self {
            Live::Linear(l) => l.predict(x),
            Live::Gbt(f) => f.predict(x),
        }
    }
}

/// A model ready to score many batches (boosters parsed once).
pub struct Scorer {
    features: Vec<String>,
    a: Live,
    b: Option<Live>,
    gift: Option<(Linear, f64)>,
}

impl Model {
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a model serialises")
    }

    pub fn from_json(s: &str) -> Result<Model> {
        serde_json::from_str(s).map_err(|e| ScoreError::Body(e.to_string()))
    }

    pub fn scorer(&self) -> Result<Scorer> {
        let (a, b, gift) = match &self.body {
            Body::Single { model } => (Live::new(model)?, None, None),
            Body::TwoModel { treated, control } => {
                (Live::new(treated)?, Some(Live::new(control)?), None)
            }
            Body::Donor {
                propensity,
                gift,
                smear,
            } => (Live::new(propensity)?, None, Some((gift.clone(), *smear))),
        };
        Ok(Scorer {
            features: self.features.clone(),
            a,
            b,
            gift,
        })
    }
}

impl Scorer {
    pub fn predict(&self, x: &Matrix) -> Result<Prediction> {
        if x.names != self.features {
            return Err(ScoreError::Features {
                model: self.features.join(","),
                given: x.names.join(","),
            });
        }
        let mut score = self.a.predict(x);
        if let Some(b) = &self.b {
            for (s, c) in score.iter_mut().zip(b.predict(x)) {
                *s -= c;
            }
        }
        let value = self
            .gift
            .as_ref()
            .map(|(g, smear)| g.linear(x).iter().map(|z| z.exp() * smear).collect());
        Ok(Prediction { score, value })
    }
}
