//! L2-regularised logistic regression and ridge regression on standardised features, fitted
//! by Newton's method (iteratively reweighted least squares) with a Cholesky solve. With a few
//! dozen features the Hessian is tiny; the cost is one pass over the rows per iteration,
//! split across threads in fixed chunks (same sums, same order: deterministic).

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::{sigmoid, Matrix};

/// Newton iterations at most; it stops earlier when the step is below `TOLERANCE`.
pub const ITERATIONS_MAX: usize = 50;
pub const TOLERANCE: f64 = 1e-8;
/// Rows per chunk of the parallel passes (fixed, so sums are the same on any machine).
pub const CHUNK_ROWS: usize = 16_384;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Linear {
    pub intercept: f64,
    /// Coefficients on standardised features.
    pub coef: Vec<f64>,
    pub mean: Vec<f64>,
    pub sd: Vec<f64>,
    /// Logistic (probability) or identity (a value).
    pub logistic: bool,
    pub iterations: usize,
}

impl Linear {
    /// Linear predictor for every row.
    pub fn linear(&self, x: &Matrix) -> Vec<f64> {
        let mut z = vec![self.intercept; x.rows];
        for j in 0..x.cols {
            let (b, m, s) = (self.coef[j], self.mean[j], self.sd[j]);
            if b == 0.0 {
                continue;
            }
            let w = b / s;
            z.par_chunks_mut(CHUNK_ROWS)
                .zip(x.col(j).par_chunks(CHUNK_ROWS))
                .for_each(|(z, c)| {
                    for (z, &v) in z.iter_mut().zip(c) {
                        *z += w * (v - m);
                    }
                });
        }
        z
    }

    pub fn predict(&self, x: &Matrix) -> Vec<f64> {
        let mut z = self.linear(x);
        if self.logistic {
            z.par_iter_mut().for_each(|v| *v = sigmoid(*v));
        }
        z
    }

    /// |coefficient| per standardised feature: how much one standard deviation moves the
    /// log-odds (or the value).
    pub fn importance(&self) -> Vec<f64> {
        self.coef.iter().map(|b| b.abs()).collect()
    }
}

fn standardise(x: &Matrix, w: &[f64]) -> (Vec<f64>, Vec<f64>) {
    let total: f64 = w.iter().sum::<f64>().max(1e-12);
    let mut mean = Vec::with_capacity(x.cols);
    let mut sd = Vec::with_capacity(x.cols);
    for j in 0..x.cols {
        let c = x.col(j);
        let m = c.iter().zip(w).map(|(v, w)| v * w).sum::<f64>() / total;
        let var = c
            .iter()
            .zip(w)
            .map(|(v, w)| w * (v - m) * (v - m))
            .sum::<f64>()
            / total;
        mean.push(m);
        // A constant column gets sd 1 and a zero coefficient (the ridge keeps it at 0).
        sd.push(if var > 1e-12 { var.sqrt() } else { 1.0 });
    }
    (mean, sd)
}

/// Fits `y` (0/1 for logistic, any value otherwise) with L2 penalty `lambda` per unit of
/// weight on the standardised coefficients (not on the intercept).
pub fn fit(x: &Matrix, y: &[f64], w: &[f64], lambda: f64, logistic: bool) -> Linear {
    let d = x.cols + 1;
    let (mean, sd) = standardise(x, w);
    let total: f64 = w.iter().sum::<f64>().max(1e-12);
    let mut beta = vec![0.0; d];
    if logistic {
        let p = (y.iter().zip(w).map(|(y, w)| y * w).sum::<f64>() / total).clamp(1e-6, 1.0 - 1e-6);
        beta[0] = (p / (1.0 - p)).ln();
    } else {
        beta[0] = y.iter().zip(w).map(|(y, w)| y * w).sum::<f64>() / total;
    }
    let chunks: Vec<(usize, usize)> = (0..x.rows)
        .step_by(CHUNK_ROWS)
        .map(|s| (s, (s + CHUNK_ROWS).min(x.rows)))
        .collect();
    let mut iterations = 0;
    for it in 0..ITERATIONS_MAX {
        iterations = it + 1;
        // Gradient and Hessian of the penalised negative log-likelihood, chunk by chunk.
        let parts: Vec<(Vec<f64>, Vec<f64>)> = chunks
            .par_iter()
            .map(|&(s, e)| {
                let mut g = vec![0.0; d];
                let mut h = vec![0.0; d * d];
                let mut row = vec![0.0; d];
                for i in s..e {
                    row[0] = 1.0;
                    for j in 0..x.cols {
                        row[j + 1] = (x.data[j * x.rows + i] - mean[j]) / sd[j];
                    }
                    let z: f64 = row.iter().zip(&beta).map(|(a, b)| a * b).sum();
                    let (r, v) = if logistic {
                        let p = sigmoid(z);
                        (p - y[i], (p * (1.0 - p)).max(1e-10))
                    } else {
                        (z - y[i], 1.0)
                    };
                    let wi = w[i];
                    for a in 0..d {
                        g[a] += wi * r * row[a];
                        let va = wi * v * row[a];
                        for b in 0..=a {
                            h[a * d + b] += va * row[b];
                        }
                    }
                }
                (g, h)
            })
            .collect();
        let mut g = vec![0.0; d];
        let mut h = vec![0.0; d * d];
        for (pg, ph) in &parts {
            for (a, b) in g.iter_mut().zip(pg) {
                *a += b;
            }
            for (a, b) in h.iter_mut().zip(ph) {
                *a += b;
            }
        }
        for a in 0..d {
            for b in 0..a {
                h[b * d + a] = h[a * d + b];
            }
        }
        let pen = lambda * total;
        for a in 1..d {
            g[a] += pen * beta[a];
            h[a * d + a] += pen;
        }
        h[0] += 1e-9 * total;
        let step = solve(&mut h, &g, d);
        let mut size: f64 = 0.0;
        for (b, s) in beta.iter_mut().zip(&step) {
            *b -= s;
            size = size.max(s.abs());
        }
        if !logistic || size < TOLERANCE {
            break;
        }
    }
    Linear {
        intercept: beta[0],
        coef: beta[1..].to_vec(),
        mean,
        sd,
        logistic,
        iterations,
    }
}

/// Solves `h x = g` for symmetric positive-definite `h` (Cholesky, in place).
fn solve(h: &mut [f64], g: &[f64], d: usize) -> Vec<f64> {
    for j in 0..d {
        let mut s = h[j * d + j];
        for k in 0..j {
            s -= h[j * d + k] * h[j * d + k];
        }
        let l = s.max(1e-12).sqrt();
        h[j * d + j] = l;
        for i in j + 1..d {
            let mut s = h[i * d + j];
            for k in 0..j {
                s -= h[i * d + k] * h[j * d + k];
            }
            h[i * d + j] = s / l;
        }
    }
    let mut z = vec![0.0; d];
    for i in 0..d {
        let mut s = g[i];
        for k in 0..i {
            s -= h[i * d + k] * z[k];
        }
        z[i] = s / h[i * d + i];
    }
    let mut x = vec![0.0; d];
    for i in (0..d).rev() {
        let mut s = z[i];
        for k in i + 1..d {
            s -= h[k * d + i] * x[k];
        }
        x[i] = s / h[i * d + i];
    }
    x
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matrix(cols: Vec<Vec<f64>>) -> Matrix {
        let rows = cols[0].len();
        Matrix {
            rows,
            cols: cols.len(),
            names: (0..cols.len()).map(|i| format!("x{i}")).collect(),
            data: cols.concat(),
        }
    }

    #[test]
    fn ridge_recovers_a_known_line() {
        let x: Vec<f64> = (0..200).map(|i| i as f64 / 10.0).collect();
        let y: Vec<f64> = x.iter().map(|v| 3.0 + 2.0 * v).collect();
        let m = fit(&matrix(vec![x.clone()]), &y, &vec![1.0; 200], 0.0, false);
        let p = m.predict(&matrix(vec![vec![5.0]]));
        assert!((p[0] - 13.0).abs() < 1e-6, "{p:?}");
    }

    #[test]
    fn logistic_recovers_known_log_odds() {
        // Deterministic design: for each x in a grid, the share of ones is sigmoid(-1 + 2x).
        let mut x = Vec::new();
        let mut y = Vec::new();
        let mut w = Vec::new();
        for k in 0..21 {
            let v = -1.0 + k as f64 / 10.0;
            let p = sigmoid(-1.0 + 2.0 * v);
            x.extend([v, v]);
            y.extend([1.0, 0.0]);
            w.extend([p, 1.0 - p]);
        }
        let m = fit(&matrix(vec![x]), &y, &w, 0.0, true);
        let p = m.predict(&matrix(vec![vec![0.25, 1.0]]));
        assert!((p[0] - sigmoid(-0.5)).abs() < 1e-6, "{p:?}");
        assert!((p[1] - sigmoid(1.0)).abs() < 1e-6, "{p:?}");
        // A penalty shrinks the slope towards zero.
        let shrunk = fit(
            &matrix(vec![(0..42).map(|i| (i / 2) as f64).collect()]),
            &y,
            &w,
            10.0,
            true,
        );
        assert!(shrunk.coef[0].abs() < 0.5, "{shrunk:?}");
    }
}
