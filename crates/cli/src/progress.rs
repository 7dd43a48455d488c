//! Progress for long work: a bar with rows/s and ETA on a terminal, plain log lines otherwise.

use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

/// Time between log lines when stderr is not a terminal (override with
/// `TUSK_PROGRESS_INTERVAL_MS`).
const LOG_EVERY: Duration = Duration::from_secs(5);

fn log_every() -> Duration {
    std::env::var("TUSK_PROGRESS_INTERVAL_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .map(Duration::from_millis)
        .unwrap_or(LOG_EVERY)
}

pub fn for_terminal(quiet: bool) -> Box<dyn app::Progress> {
    if std::io::stderr().is_terminal() {
        Box::new(Bar {
            bar: Mutex::new(None),
            started: Mutex::new(Instant::now()),
        })
    } else if quiet {
        Box::new(app::NoProgress)
    } else {
        Box::new(Lines {
            every: log_every(),
            state: Mutex::new((Instant::now(), Instant::now(), String::new())),
        })
    }
}

struct Bar {
    bar: Mutex<Option<ProgressBar>>,
    started: Mutex<Instant>,
}

impl app::Progress for Bar {
    fn start(&self, file: &str, total_bytes: u64) {
        let bar = ProgressBar::new(total_bytes);
        bar.set_style(
            ProgressStyle::with_template(
                "{prefix} [{bar:30}] {bytes}/{total_bytes} {msg} ETA {eta}",
            )
            .expect("valid template")
            .progress_chars("=> "),
        );
        bar.set_prefix(file.to_string());
        *self.started.lock().expect("lock") = Instant::now();
        *self.bar.lock().expect("lock") = Some(bar);
    }

    fn advance(&self, bytes_done: u64, rows_done: u64) {
        if let Some(bar) = &*self.bar.lock().expect("lock") {
            let secs = self
                .started
                .lock()
                .expect("lock")
                .elapsed()
                .as_secs_f64()
                .max(1e-3);
            bar.set_position(bytes_done);
            bar.set_message(format!(
                "{rows_done} rows, {:.0} rows/s",
                rows_done as f64 / secs
            ));
        }
    }

    fn finish(&self) {
        if let Some(bar) = self.bar.lock().expect("lock").take() {
            bar.finish_and_clear();
        }
    }
}

struct Lines {
    every: Duration,
    state: Mutex<(Instant, Instant, String)>,
}

impl app::Progress for Lines {
    fn start(&self, file: &str, _total_bytes: u64) {
        let mut s = self.state.lock().expect("lock");
        *s = (Instant::now(), Instant::now(), file.to_string());
    }

    fn advance(&self, bytes_done: u64, rows_done: u64) {
        let mut s = self.state.lock().expect("lock");
        if s.1.elapsed() >= self.every {
            s.1 = Instant::now();
            let secs = s.0.elapsed().as_secs_f64().max(1e-3);
            eprintln!(
                "{}: {rows_done} rows ({bytes_done} bytes), {:.0} rows/s",
                s.2,
                rows_done as f64 / secs
            );
        }
    }
}

/// A progress callback counting towards `total` (a bar on a terminal, log lines otherwise).
pub fn counter(total: u64, what: &'static str) -> impl Fn(u64) {
    let started = Instant::now();
    let bar = if std::io::stderr().is_terminal() {
        let b = ProgressBar::new(total);
        b.set_style(
            ProgressStyle::with_template("[{bar:30}] {pos}/{len} {msg} ({per_sec}, ETA {eta})")
                .expect("valid template")
                .progress_chars("=> "),
        );
        b.set_message(what);
        Some(b)
    } else {
        None
    };
    let last = Mutex::new(Instant::now());
    let every = log_every();
    move |done: u64| match &bar {
        Some(b) => {
            b.set_position(done);
            if done >= total {
                b.finish_and_clear();
            }
        }
        None => {
            let mut l = last.lock().expect("lock");
            if l.elapsed() >= every {
                *l = Instant::now();
                let secs = started.elapsed().as_secs_f64().max(1e-3);
                eprintln!("{done}/{total} {what}, {:.0}/s", done as f64 / secs);
            }
        }
    }
}
