//! Held-out evaluation: AUC (also weighted, for scoring against probabilities), log loss,
//! calibration table, Qini curve for uplift.

use serde::{Deserialize, Serialize};

/// Bins of the calibration table.
pub const CALIBRATION_BINS: usize = 10;
/// Points of the Qini curve kept in a report.
pub const QINI_POINTS: usize = 50;

fn order_by_score(score: &[f64]) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..score.len()).collect();
    idx.sort_by(|&a, &b| score[a].total_cmp(&score[b]).then(a.cmp(&b)));
    idx
}

/// Area under the ROC curve where each item counts as a positive with weight `pos[i]` and as a
/// negative with weight `neg[i]`. With 0/1 labels (`pos = y`, `neg = 1 - y`) it is the usual
/// AUC; with a true probability `p` (`pos = p`, `neg = 1 - p`) it is the AUC expected over
/// outcomes drawn from those probabilities. Ties count one half.
pub fn weighted_auc(score: &[f64], pos: &[f64], neg: &[f64]) -> f64 {
    let idx = order_by_score(score);
    let (mut neg_below, mut num) = (0.0, 0.0);
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        let (mut gp, mut gn, mut own) = (0.0, 0.0, 0.0);
        while j < idx.len() && score[idx[j]] == score[idx[i]] {
            gp += pos[idx[j]];
            gn += neg[idx[j]];
            own += pos[idx[j]] * neg[idx[j]];
            j += 1;
        }
        // An item is never paired with itself (it is one outcome, not two).
        num += gp * neg_below + 0.5 * (gp * gn - own);
        neg_below += gn;
        i = j;
    }
    let tp: f64 = pos.iter().sum();
    let tn: f64 = neg.iter().sum();
    let own: f64 = pos.iter().zip(neg).map(|(p, n)| p * n).sum();
    let pairs = tp * tn - own;
    if pairs <= 0.0 {
        return 0.5;
    }
    num / pairs
}

/// AUC of scores against 0/1 labels.
pub fn auc(score: &[f64], y: &[f64]) -> f64 {
    let neg: Vec<f64> = y.iter().map(|v| 1.0 - v).collect();
    weighted_auc(score, y, &neg)
}

/// Mean negative log-likelihood of 0/1 labels.
pub fn log_loss(p: &[f64], y: &[f64]) -> f64 {
    if p.is_empty() {
        return 0.0;
    }
    let s: f64 = p
        .iter()
        .zip(y)
        .map(|(&p, &y)| {
            let p = p.clamp(1e-15, 1.0 - 1e-15);
            -(y * p.ln() + (1.0 - y) * (1.0 - p).ln())
        })
        .sum();
    s / p.len() as f64
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CalibrationBin {
    pub count: usize,
    pub mean_predicted: f64,
    pub observed: f64,
}

/// Equal-count bins by predicted value: mean prediction against the observed rate.
pub fn calibration(p: &[f64], y: &[f64]) -> Vec<CalibrationBin> {
    let idx = order_by_score(p);
    let n = idx.len();
    (0..CALIBRATION_BINS)
        .filter_map(|b| {
            let (s, e) = (b * n / CALIBRATION_BINS, (b + 1) * n / CALIBRATION_BINS);
            if s == e {
                return None;
            }
            let k = (e - s) as f64;
            Some(CalibrationBin {
                count: e - s,
                mean_predicted: idx[s..e].iter().map(|&i| p[i]).sum::<f64>() / k,
                observed: idx[s..e].iter().map(|&i| y[i]).sum::<f64>() / k,
            })
        })
        .collect()
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Qini {
    /// (share of people targeted, incremental positives per person of the population) from the
    /// highest predicted uplift down.
    pub curve: Vec<(f64, f64)>,
    /// Area between the curve and the straight line of random targeting, per person (> 0: the
    /// model finds the persuadable better than chance).
    pub coefficient: f64,
    /// Treated rate minus control rate in the whole group (the experiment's average effect).
    pub average_effect: f64,
}

/// Qini curve of `uplift` predictions for an experiment (`treated`, outcome `y`).
/// At each cut k: Q(k) = Y_t(k) − Y_c(k) · N_t(k)/N_c(k), divided by the group size.
pub fn qini(uplift: &[f64], treated: &[bool], y: &[f64]) -> Qini {
    let mut idx = order_by_score(uplift);
    idx.reverse();
    let n = idx.len();
    let (mut nt, mut nc, mut yt, mut yc) = (0.0, 0.0, 0.0, 0.0);
    let mut q = Vec::with_capacity(n + 1);
    q.push(0.0);
    for &i in &idx {
        if treated[i] {
            nt += 1.0;
            yt += y[i];
        } else {
            nc += 1.0;
            yc += y[i];
        }
        let v = if nc > 0.0 { yt - yc * nt / nc } else { yt };
        q.push(v / n.max(1) as f64);
    }
    let last = *q.last().unwrap_or(&0.0);
    let coefficient = if n == 0 {
        0.0
    } else {
        q.iter()
            .enumerate()
            .map(|(k, v)| v - last * k as f64 / n as f64)
            .sum::<f64>()
            / n as f64
    };
    let step = (n / QINI_POINTS).max(1);
    let curve = (0..=n)
        .filter(|k| k % step == 0 || *k == n)
        .map(|k| (k as f64 / n.max(1) as f64, q[k]))
        .collect();
    let average_effect = if nt > 0.0 && nc > 0.0 {
        yt / nt - yc / nc
    } else {
        0.0
    };
    Qini {
        curve,
        coefficient,
        average_effect,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auc_of_a_perfect_a_reversed_and_a_tied_ranking() {
        let y = [0.0, 0.0, 1.0, 1.0];
        assert_eq!(auc(&[0.1, 0.2, 0.3, 0.4], &y), 1.0);
        assert_eq!(auc(&[0.4, 0.3, 0.2, 0.1], &y), 0.0);
        assert_eq!(auc(&[0.5; 4], &y), 0.5);
        // One positive below one negative: 3 of 4 pairs right.
        assert_eq!(auc(&[0.1, 0.3, 0.2, 0.4], &y), 0.75);
    }

    #[test]
    fn weighted_auc_of_the_truth_against_itself_is_above_one_half() {
        let p = [0.1, 0.5, 0.9];
        let neg: Vec<f64> = p.iter().map(|v| 1.0 - v).collect();
        let a = weighted_auc(&p, &p, &neg);
        // By hand: sum over i of pos_i times the negative weight below it, over all pairs
        // of distinct items: (0.5 * 0.9 + 0.9 * 1.4) / (1.5 * 1.5 - 0.43).
        assert!((a - 1.71 / 1.82).abs() < 1e-12, "{a}");
        assert!(a > 0.5);
    }

    #[test]
    fn calibration_bins_cover_everyone() {
        let p: Vec<f64> = (0..100).map(|i| i as f64 / 100.0).collect();
        let y: Vec<f64> = p
            .iter()
            .map(|v| if *v >= 0.5 { 1.0 } else { 0.0 })
            .collect();
        let c = calibration(&p, &y);
        assert_eq!(c.len(), CALIBRATION_BINS);
        assert_eq!(c.iter().map(|b| b.count).sum::<usize>(), 100);
        assert_eq!(c[0].observed, 0.0);
        assert_eq!(c[9].observed, 1.0);
    }

    #[test]
    fn qini_rewards_finding_the_persuadable() {
        // Half the people respond to treatment (uplift 1), half never do.
        let mut uplift = Vec::new();
        let mut treated = Vec::new();
        let mut y = Vec::new();
        for i in 0..400 {
            let persuadable = i % 2 == 0;
            let t = (i / 2) % 2 == 0;
            uplift.push(if persuadable { 0.9 } else { 0.1 });
            treated.push(t);
            y.push(if persuadable && t { 1.0 } else { 0.0 });
        }
        let good = qini(&uplift, &treated, &y);
        let reversed: Vec<f64> = uplift.iter().map(|u| -u).collect();
        let bad = qini(&reversed, &treated, &y);
        assert!(good.coefficient > 0.05, "{good:?}");
        assert!(bad.coefficient < -0.05, "{bad:?}");
        assert!((good.average_effect - 0.5).abs() < 1e-12);
    }
}
