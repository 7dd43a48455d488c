//! Small server-side SVG charts for model reports (calibration plot, Qini curve): plain text,
//! no script, testable as strings.

use std::fmt::Write;

use crate::metrics::{CalibrationBin, Qini};

const W: f64 = 360.0;
const H: f64 = 260.0;
const PAD: f64 = 44.0;

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

struct Frame {
    x0: f64,
    x1: f64,
    y0: f64,
    y1: f64,
}

impl Frame {
    fn x(&self, v: f64) -> f64 {
        PAD + (v - self.x0) / (self.x1 - self.x0).max(1e-12) * (W - 1.5 * PAD)
    }
    fn y(&self, v: f64) -> f64 {
        H - PAD - (v - self.y0) / (self.y1 - self.y0).max(1e-12) * (H - 1.5 * PAD)
    }
    fn path(&self, pts: &[(f64, f64)]) -> String {
        let mut d = String::new();
        for (i, (x, y)) in pts.iter().enumerate() {
            let _ = write!(
                d,
                "{}{:.1},{:.1}",
                if i == 0 { "M" } else { " L" },
                self.x(*x),
                self.y(*y)
            );
        }
        d
    }
}

fn chart(title: &str, xl: &str, yl: &str, f: &Frame, body: &str) -> String {
    let mut s = String::new();
    let _ = write!(
        s,
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" width="{W}" height="{H}" role="img" aria-label="{t}"><title>{t}</title><rect x="0" y="0" width="{W}" height="{H}" fill="#fff"/>"##,
        t = esc(title)
    );
    let _ = write!(
        s,
        r##"<line x1="{a:.1}" y1="{b:.1}" x2="{c:.1}" y2="{b:.1}" stroke="#333"/><line x1="{a:.1}" y1="{b:.1}" x2="{a:.1}" y2="{d:.1}" stroke="#333"/>"##,
        a = f.x(f.x0),
        b = f.y(f.y0),
        c = f.x(f.x1),
        d = f.y(f.y1)
    );
    for (v, anchor) in [(f.x0, "start"), (f.x1, "end")] {
        let _ = write!(
            s,
            r##"<text x="{:.1}" y="{:.1}" font-size="10" text-anchor="{anchor}">{v:.2}</text>"##,
            f.x(v),
            f.y(f.y0) + 12.0
        );
    }
    for v in [f.y0, f.y1] {
        let _ = write!(
            s,
            r##"<text x="{:.1}" y="{:.1}" font-size="10" text-anchor="end">{v:.2}</text>"##,
            PAD - 4.0,
            f.y(v) + 3.0
        );
    }
    let _ = write!(
        s,
        r##"<text x="{:.1}" y="{:.1}" font-size="11" text-anchor="middle">{}</text><text x="12" y="{:.1}" font-size="11" text-anchor="middle" transform="rotate(-90 12 {:.1})">{}</text>{body}</svg>"##,
        (f.x(f.x0) + f.x(f.x1)) / 2.0,
        H - 8.0,
        esc(xl),
        (f.y(f.y0) + f.y(f.y1)) / 2.0,
        (f.y(f.y0) + f.y(f.y1)) / 2.0,
        esc(yl)
    );
    s
}

/// Calibration plot: each bin's mean prediction against its observed rate, with the diagonal.
pub fn calibration(bins: &[CalibrationBin], title: &str) -> String {
    let hi = bins
        .iter()
        .flat_map(|b| [b.mean_predicted, b.observed])
        .fold(0.0f64, f64::max)
        .max(0.05);
    let lo = bins
        .iter()
        .flat_map(|b| [b.mean_predicted, b.observed])
        .fold(0.0f64, f64::min);
    let f = Frame {
        x0: lo,
        x1: hi,
        y0: lo,
        y1: hi,
    };
    let pts: Vec<(f64, f64)> = bins
        .iter()
        .map(|b| (b.mean_predicted, b.observed))
        .collect();
    let mut body = format!(
        r##"<path d="{}" stroke="#999" stroke-dasharray="4 3" fill="none"/><path d="{}" stroke="#1f5fa8" stroke-width="2" fill="none"/>"##,
        f.path(&[(lo, lo), (hi, hi)]),
        f.path(&pts)
    );
    for (x, y) in &pts {
        let _ = write!(
            body,
            r##"<circle cx="{:.1}" cy="{:.1}" r="3" fill="#1f5fa8"/>"##,
            f.x(*x),
            f.y(*y)
        );
    }
    chart(title, "mean predicted", "observed", &f, &body)
}

/// Qini curve against random targeting (the straight line to the same end point).
pub fn qini(q: &Qini, title: &str) -> String {
    let ys = q.curve.iter().map(|p| p.1);
    let hi = ys.clone().fold(0.0f64, f64::max).max(1e-3);
    let lo = ys.fold(0.0f64, f64::min);
    let f = Frame {
        x0: 0.0,
        x1: 1.0,
        y0: lo,
        y1: hi,
    };
    let end = q.curve.last().map_or(0.0, |p| p.1);
    let body = format!(
        r##"<path d="{}" stroke="#999" stroke-dasharray="4 3" fill="none"/><path d="{}" stroke="#1f5fa8" stroke-width="2" fill="none"/>"##,
        f.path(&[(0.0, 0.0), (1.0, end)]),
        f.path(&q.curve)
    );
    chart(
        title,
        "share targeted (highest uplift first)",
        "incremental supporters per person",
        &f,
        &body,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calibration_plot_has_one_point_per_bin_and_escapes_its_title() {
        let bins: Vec<CalibrationBin> = (0..10)
            .map(|i| CalibrationBin {
                count: 5,
                mean_predicted: i as f64 / 10.0,
                observed: i as f64 / 11.0,
            })
            .collect();
        let s = calibration(&bins, "support <model 3>");
        assert_eq!(s.matches("<circle").count(), 10);
        assert!(s.contains("support &lt;model 3&gt;"));
        assert!(s.starts_with("<svg") && s.ends_with("</svg>"));
    }
}
