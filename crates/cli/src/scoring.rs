//! `tusk model …` and `tusk score …`: train, list, read, approve and apply models.

use std::path::PathBuf;

use anyhow::{bail, Context as _, Result};
use clap::Subcommand;
use model::Date;
use scores::{Target, TrainParams};

use crate::{open_store, progress, Cli};

#[derive(Subcommand, Debug)]
pub enum ModelAction {
    /// Train a model on the store's data and record the run (evaluated on held-out people).
    ///
    /// support: canvass support IDs (1–2 = supports); turnout: voted in a past general;
    /// persuasion: the randomised experiment, uplift by the two-model method; donor: gave
    /// (after `tusk resolve` linked donations), with the expected gift.
    Train {
        #[arg(value_parser = ["support", "turnout", "persuasion", "donor"])]
        target: String,
        /// logistic (L2-regularised logistic regression) or gbt (gradient-boosted trees).
        #[arg(long, default_value = "logistic", value_parser = ["logistic", "gbt"])]
        algorithm: String,
        /// Seed of the held-out split and of the boosting.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// The election scores are for (default: the latest in the absentee files loaded).
        #[arg(long)]
        election: Option<String>,
        /// Turnout: the past election whose turnout is the label (default: the latest general
        /// before --election).
        #[arg(long)]
        label_election: Option<String>,
        /// Share of labelled people held out for evaluation, percent.
        #[arg(long, default_value_t = scores::model::HOLDOUT_PERCENT)]
        holdout: u8,
        /// L2 penalty of the logistic regression (standardised features).
        #[arg(long, default_value_t = scores::model::LAMBDA)]
        lambda: f64,
        /// Boosting rounds (gbt).
        #[arg(long, default_value_t = 100)]
        iterations: usize,
        /// Who trained it (recorded with the run; default cli:$USER).
        #[arg(long)]
        by: Option<String>,
        /// Print the run as JSON.
        #[arg(long)]
        json: bool,
    },
    /// List model runs, newest first.
    List {
        #[arg(long)]
        json: bool,
    },
    /// A run's report: data, parameters, AUC, log loss, calibration, Qini, feature importance.
    Report {
        id: i64,
        #[arg(long)]
        json: bool,
        /// Also write the plots (calibration, Qini) as SVG files into this directory.
        #[arg(long)]
        plots: Option<PathBuf>,
    },
    /// Approve a run: its scores feed targeting; the target's previously approved run is
    /// superseded.
    Approve {
        id: i64,
        /// Who approves it (recorded; default cli:$USER).
        #[arg(long)]
        by: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
pub enum ScoreAction {
    /// Score every registered person with a model and store the scores (naming the model).
    Apply {
        id: i64,
        /// The election to score for (default: the one the model was trained for).
        #[arg(long)]
        election: Option<String>,
        #[arg(long)]
        json: bool,
    },
}

fn date_arg(name: &str, v: &Option<String>) -> Result<Option<Date>> {
    v.as_deref()
        .map(|s| {
            Date::parse(s).with_context(|| format!("--{name} '{s}' is not a date (YYYY-MM-DD)"))
        })
        .transpose()
}

pub(crate) fn now() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    model::date::timestamp_utc(secs)
}

fn stage(s: &str) {
    eprintln!("{s} …");
}

pub fn model(cli: &Cli, action: &ModelAction) -> Result<()> {
    let mut store = open_store(&cli.database)?;
    match action {
        ModelAction::Train {
            target,
            algorithm,
            seed,
            election,
            label_election,
            holdout,
            lambda,
            iterations,
            by,
            json,
        } => {
            let target = Target::parse(target).expect("clap checked the target");
            let mut params = TrainParams::new(app::scores::algorithm(algorithm)?, *seed);
            if *holdout == 0 || *holdout >= 100 {
                bail!("--holdout {holdout} must be between 1 and 99 (percent held out)");
            }
            if !(*lambda >= 0.0 && lambda.is_finite()) {
                bail!("--lambda {lambda} must be a non-negative number");
            }
            params.holdout_percent = *holdout;
            params.lambda = *lambda;
            params.gbt.iterations = *iterations;
            let t = app::scores::train(
                &mut *store,
                target,
                &params,
                date_arg("election", election)?,
                date_arg("label-election", label_election)?,
                &by.clone().unwrap_or_else(crate::accounts::cli_actor),
                &now(),
                &mut stage,
            )?;
            if *json {
                let v = app::scores::view(store.sql(), t.id)?.context("the run just written")?;
                println!("{}", serde_json::to_string_pretty(&v)?);
            } else {
                println!(
                    "model {} ({} {}) trained in {:.2} s on {} labelled people ({} held out)",
                    t.id,
                    target.name(),
                    algorithm,
                    t.seconds,
                    t.report.train_rows + t.report.test_rows,
                    t.report.test_rows
                );
                println!("{}", headline(&t.report));
                println!(
                    "read it: tusk model report {0}; approve it: tusk model approve {0}",
                    t.id
                );
            }
            Ok(())
        }
        ModelAction::List { json } => {
            let runs = store::models::all(store.sql())?;
            if *json {
                println!("{}", serde_json::to_string_pretty(&runs)?);
                return Ok(());
            }
            if runs.is_empty() {
                println!("no models yet: tusk model train support|turnout|persuasion|donor");
            }
            for r in runs {
                let v = app::scores::view(store.sql(), r.id)?.context("listed run")?;
                println!(
                    "{:>4}  {:<10} {:<8} {:<10} {}  {}  scored {}",
                    r.id,
                    r.target,
                    r.algorithm,
                    r.status,
                    r.created_at,
                    headline(&v.report),
                    r.scored
                );
            }
            Ok(())
        }
        ModelAction::Report { id, json, plots } => {
            let v = app::scores::view(store.sql(), *id)?
                .with_context(|| format!("no model {id}: see `tusk model list`"))?;
            if *json {
                println!("{}", serde_json::to_string_pretty(&v)?);
            } else {
                print!("{}", report_text(&v));
            }
            if let Some(dir) = plots {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("cannot create {}", dir.display()))?;
                for (name, svg) in app::scores::plots(&v) {
                    let p = dir.join(format!("model-{id}-{name}.svg"));
                    std::fs::write(&p, svg)
                        .with_context(|| format!("cannot write {}", p.display()))?;
                    eprintln!("wrote {}", p.display());
                }
            }
            Ok(())
        }
        ModelAction::Approve { id, by } => {
            let by = by.clone().unwrap_or_else(crate::accounts::cli_actor);
            let prev = app::scores::approve(store.sql(), *id, &by, &now())?;
            match prev {
                Some(p) => println!("model {id} approved; model {p} superseded"),
                None => println!("model {id} approved"),
            }
            Ok(())
        }
    }
}

pub fn score(cli: &Cli, action: &ScoreAction) -> Result<()> {
    let mut store = open_store(&cli.database)?;
    match action {
        ScoreAction::Apply { id, election, json } => {
            let mut bar: Option<Box<dyn Fn(u64)>> = None;
            let mut last_total = 0;
            let a = app::scores::apply(
                &mut *store,
                *id,
                date_arg("election", election)?,
                &now(),
                &mut stage,
                &mut |done, total| {
                    if bar.is_none() || total != last_total {
                        last_total = total;
                        bar = Some(Box::new(progress::counter(total, "people")));
                    }
                    if let Some(b) = &bar {
                        b(done);
                    }
                },
            )?;
            if *json {
                println!("{}", serde_json::to_string_pretty(&a)?);
            } else {
                println!(
                    "model {} ({}) scored {} people for the election of {}; mean score {:.4}",
                    a.model_id, a.target, a.scored, a.election, a.mean_score
                );
            }
            Ok(())
        }
    }
}

fn headline(r: &scores::Report) -> String {
    match (&r.auc, &r.qini) {
        (Some(auc), _) => format!(
            "AUC {:.4}, log loss {:.4} (base rate alone {:.4})",
            auc,
            r.log_loss.unwrap_or(0.0),
            r.log_loss_base.unwrap_or(0.0)
        ),
        (None, Some(q)) => format!(
            "Qini {:.5}, experiment's average effect {:+.4}",
            q.coefficient, q.average_effect
        ),
        _ => String::new(),
    }
}

fn report_text(v: &app::scores::ModelView) -> String {
    use std::fmt::Write;
    let r = &v.run;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "model {} — {} ({}), {}; trained {} by {}, seed {}",
        r.id, r.target, r.algorithm, r.status, r.created_at, r.created_by, r.seed
    );
    if let (Some(at), Some(by)) = (&r.approved_at, &r.approved_by) {
        let _ = writeln!(s, "approved {at} by {by}");
    }
    let _ = writeln!(s, "data: {}", v.data_summary);
    let _ = writeln!(s, "parameters: {}", v.params);
    let rep = &v.report;
    let _ = writeln!(
        s,
        "held out {} of {} labelled people; base rate {:.4}; trained in {:.2} s",
        rep.test_rows,
        rep.train_rows + rep.test_rows,
        rep.base_rate,
        v.train_seconds
    );
    let _ = writeln!(s, "{}", headline(rep));
    if let (Some(mae), Some(mean)) = (rep.gift_mae_dollars, rep.gift_mean_dollars) {
        let _ = writeln!(
            s,
            "expected gift: mean absolute error ${mae:.2} on held-out donors (their mean gift ${mean:.2})"
        );
    }
    if !rep.calibration.is_empty() {
        let _ = writeln!(
            s,
            "\n{}",
            if r.target == "persuasion" {
                "uplift bins: predicted vs observed (treated − control)"
            } else {
                "calibration (equal-count bins): predicted vs observed"
            }
        );
        for b in &rep.calibration {
            let _ = writeln!(
                s,
                "  n {:>7}  predicted {:>8.4}  observed {:>8.4}",
                b.count, b.mean_predicted, b.observed
            );
        }
    }
    if let Some(q) = &rep.qini {
        let _ = writeln!(
            s,
            "\nQini curve (share targeted → incremental supporters per person):"
        );
        for (x, y) in q.curve.iter().step_by(5) {
            let _ = writeln!(s, "  {x:>5.2}  {y:>+9.5}");
        }
    }
    let _ = writeln!(s, "\nfeature importance (top 12):");
    for (name, imp) in rep.importance.iter().take(12) {
        let _ = writeln!(s, "  {name:<34} {imp:.4}");
    }
    if r.scored > 0 {
        let _ = writeln!(
            s,
            "\nscores: {} people at {}",
            r.scored,
            r.scored_at.as_deref().unwrap_or("")
        );
    }
    s
}
