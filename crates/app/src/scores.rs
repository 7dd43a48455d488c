//! Scores over the store (issue 6): read what the store knows about each registered person
//! into `scores::Facts`, build the labelled data of a target, train and record a model run,
//! approve it, and apply it (a score per person, naming the model).
//!
//! Labels:
//! - support: the latest canvass result with a support ID per voter; 1–2 (strong or lean
//!   support) is a supporter, 3–5 is not.
//! - turnout: voted in a past general election (the latest before the current election,
//!   unless another is named), features as of that election's date.
//! - persuasion: the experiment's subjects with a support ID after; treated or control.
//! - donor: gave (a non-memo contribution above zero linked to the person by `tusk resolve`);
//!   the expected gift from the donors' totals.

use std::collections::HashMap;

use model::Date;
use scores::features::{ElectionKind, Method, Party, Vote};
use scores::model::Labelled;
use scores::{Algorithm, Context, Facts, Model, Report, Target, TrainParams};
use serde::Serialize;
use store::models::{self, ModelRun, NewModel, ScoreRow};
use store::sql::Sql;
use store::{Store, StoreError};

use crate::values::{date_of, int_of, text_of};

/// People scored per batch (bounds the feature matrix in memory).
pub const SCORE_BATCH_ROWS: usize = 65_536;
/// Support IDs up to this one count as support (1 strong, 2 lean).
pub const SUPPORT_ID_SUPPORTER_MAX: i64 = 2;

#[derive(Debug, thiserror::Error)]
pub enum ScoringError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Score(#[from] scores::ScoreError),
    #[error("{0}")]
    Invalid(String),
}

type Result<T> = std::result::Result<T, ScoringError>;

/// Everyone the store can score, with the indexes to find them.
pub struct Population {
    pub facts: Vec<Facts>,
    by_voter: HashMap<String, u32>,
    /// Canvass support IDs: (person index, date, support ID).
    support_ids: Vec<(u32, Option<Date>, i64)>,
    /// Experiment answers: (person index, treated, support ID after).
    experiment: Vec<(u32, bool, i64)>,
}

/// Reads the population: registered voters that are not removed and whose status is active,
/// inactive or temporary, one per person, with their vote history, canvass contacts,
/// volunteering and gifts.
pub fn population(sql: &mut dyn Sql, progress: &mut dyn FnMut(&str)) -> Result<Population> {
    let mut facts: Vec<Facts> = Vec::new();
    let mut by_person: HashMap<i64, u32> = HashMap::new();
    let mut by_voter: HashMap<String, u32> = HashMap::new();
    let mut precincts: HashMap<String, u32> = HashMap::new();
    let mut households: HashMap<i64, u32> = HashMap::new();
    progress("reading voters");
    sql.query_each(
        "SELECT person_id, voter_id, birth_year, gender, race, ethnicity, party, \
         CAST(registration_date AS TEXT), status, county_id, precinct, household_id \
         FROM voters WHERE removed_load_id IS NULL AND status IN ('A', 'I', 'S') \
         ORDER BY person_id, id",
        &[],
        &mut |r| {
            let person = int_of(&r[0]).unwrap_or(0);
            if by_person.contains_key(&person) {
                return Ok(());
            }
            let i = facts.len() as u32;
            by_person.insert(person, i);
            by_voter.insert(text_of(&r[1]).to_string(), i);
            let np = precincts.len() as u32;
            let precinct = *precincts
                .entry(format!("{}|{}", text_of(&r[9]), text_of(&r[10])))
                .or_insert(np);
            let nh = households.len() as u32;
            let household = match int_of(&r[11]) {
                Some(h) => *households.entry(h).or_insert(nh),
                // No address: a household of one.
                None => {
                    households.insert(-(i as i64) - 1, nh);
                    nh
                }
            };
            facts.push(Facts {
                person_id: person,
                birth_year: int_of(&r[2]).and_then(|y| u16::try_from(y).ok()),
                sex: text_of(&r[3]).bytes().next().unwrap_or(b'U'),
                race: text_of(&r[4]).bytes().next().unwrap_or(b'U'),
                hispanic: text_of(&r[5]) == "HL",
                party: Party::parse(text_of(&r[6])),
                registration_date: date_of(&r[7]),
                inactive: text_of(&r[8]) != "A",
                precinct,
                household,
                ..Facts::default()
            });
            Ok(())
        },
    )?;
    progress("reading vote history");
    sql.query_each(
        "SELECT voter_id, CAST(election_date AS TEXT), election_type, method FROM vote_history",
        &[],
        &mut |r| {
            if let (Some(&i), Some(date)) = (by_voter.get(text_of(&r[0])), date_of(&r[1])) {
                facts[i as usize].votes.push(Vote {
                    date,
                    kind: ElectionKind::parse(text_of(&r[2])),
                    method: Method::parse(text_of(&r[3])),
                });
            }
            Ok(())
        },
    )?;
    progress("reading field results");
    let mut support_ids = Vec::new();
    let mut experiment = Vec::new();
    sql.query_each(
        "SELECT voter_id, source, result, support_id, experiment_group, CAST(date AS TEXT) \
         FROM field_results ORDER BY id",
        &[],
        &mut |r| {
            let Some(&i) = by_voter.get(text_of(&r[0])) else {
                return Ok(());
            };
            let support = int_of(&r[3]);
            match text_of(&r[1]) {
                "canvass" => {
                    let f = &mut facts[i as usize];
                    f.canvass_attempts = f.canvass_attempts.saturating_add(1);
                    if text_of(&r[2]).eq_ignore_ascii_case("contacted") {
                        f.canvass_contacts = f.canvass_contacts.saturating_add(1);
                    }
                    if let Some(s) = support {
                        support_ids.push((i, date_of(&r[5]), s));
                    }
                }
                "experiment" => {
                    if let Some(s) = support {
                        experiment.push((i, text_of(&r[4]) == "treatment", s));
                    }
                }
                _ => {}
            }
            Ok(())
        },
    )?;
    progress("reading donations and volunteers");
    sql.query_each(
        "SELECT person_id, COUNT(*), CAST(SUM(amount_cents) AS BIGINT) FROM donations \
         WHERE person_id IS NOT NULL AND NOT memo AND amount_cents > 0 GROUP BY person_id",
        &[],
        &mut |r| {
            if let Some(&i) = int_of(&r[0]).and_then(|p| by_person.get(&p)) {
                let f = &mut facts[i as usize];
                f.gifts = int_of(&r[1]).unwrap_or(0) as u32;
                f.gift_cents = int_of(&r[2]).unwrap_or(0);
            }
            Ok(())
        },
    )?;
    sql.query_each(
        "SELECT DISTINCT person_id FROM volunteers WHERE person_id IS NOT NULL",
        &[],
        &mut |r| {
            if let Some(&i) = int_of(&r[0]).and_then(|p| by_person.get(&p)) {
                facts[i as usize].volunteer = true;
            }
            Ok(())
        },
    )?;
    Ok(Population {
        facts,
        by_voter,
        support_ids,
        experiment,
    })
}

impl Population {
    /// Index of a voter (by the state file's id), for tests and tools that know the truth.
    pub fn index_of_voter(&self, voter_id: &str) -> Option<usize> {
        self.by_voter.get(voter_id).map(|&i| i as usize)
    }

    /// The latest general election in the vote history before `before`.
    pub fn last_general_before(&self, before: Date) -> Option<Date> {
        self.facts
            .iter()
            .flat_map(|f| f.votes.iter())
            .filter(|v| v.kind == ElectionKind::General && v.date < before)
            .map(|v| v.date)
            .max()
    }
}

/// The current election: the latest election date in the absentee/early-vote files loaded.
pub fn current_election(sql: &mut dyn Sql) -> Result<Date> {
    let rows = sql.query("SELECT CAST(MAX(election_date) AS TEXT) FROM ballots", &[])?;
    rows.first().and_then(|r| date_of(&r[0])).ok_or_else(|| {
        ScoringError::Invalid(
            "no current election: load the state's absentee/early-vote file \
                 (tusk import nc-absentee FILE) or name it with --election YYYY-MM-DD"
                .into(),
        )
    })
}

/// What a training run was given, kept with the run.
#[derive(Debug, Clone, Serialize)]
pub struct DataSummary {
    pub target: &'static str,
    /// Features are computed as of this date.
    pub as_of: String,
    /// The election the scores are for.
    pub election: String,
    /// Turnout: the past election whose turnout is the label.
    pub label_election: Option<String>,
    pub label: String,
    pub population: usize,
    pub labelled: usize,
    pub positives: usize,
    /// Persuasion: answers in each arm.
    pub treated: Option<usize>,
    pub control: Option<usize>,
}

/// The labelled data of `target` (features as of the right date) and its summary.
pub fn labelled(
    pop: &Population,
    target: Target,
    election: Date,
    label_election: Option<Date>,
) -> Result<(Labelled, DataSummary)> {
    let mut idx: Vec<usize> = Vec::new();
    let mut y: Vec<f64> = Vec::new();
    let mut treated: Vec<bool> = Vec::new();
    let mut as_of = election;
    let mut label_date = None;
    let label: String;
    match target {
        Target::Support => {
            // Latest support ID per person (by date, then file order).
            let mut latest: HashMap<u32, (Option<Date>, i64)> = HashMap::new();
            for &(i, d, s) in &pop.support_ids {
                let e = latest.entry(i).or_insert((d, s));
                if d >= e.0 {
                    *e = (d, s);
                }
            }
            let mut people: Vec<(u32, i64)> =
                latest.into_iter().map(|(i, (_, s))| (i, s)).collect();
            people.sort_unstable();
            for (i, s) in people {
                idx.push(i as usize);
                y.push(f64::from(u8::from(s <= SUPPORT_ID_SUPPORTER_MAX)));
            }
            label = format!("canvass support ID 1–{SUPPORT_ID_SUPPORTER_MAX} (latest per voter)");
        }
        Target::Turnout => {
            let d = match label_election {
                Some(d) => d,
                None => pop.last_general_before(election).ok_or_else(|| {
                    ScoringError::Invalid(
                        "no past general election in the vote history: load the state's vote \
                         history (tusk import ncvhis FILE) first"
                            .into(),
                    )
                })?,
            };
            as_of = d;
            label_date = Some(d);
            for (i, f) in pop.facts.iter().enumerate() {
                let adult = f.birth_year.is_none_or(|y| d.year >= y + 18);
                let registered = f.registration_date.is_none_or(|r| r < d);
                if adult && registered {
                    idx.push(i);
                    y.push(f64::from(u8::from(Context::voted(f, d))));
                }
            }
            label = format!("voted in the general election of {d}");
        }
        Target::Persuasion => {
            for &(i, t, s) in &pop.experiment {
                idx.push(i as usize);
                treated.push(t);
                y.push(f64::from(u8::from(s <= SUPPORT_ID_SUPPORTER_MAX)));
            }
            label = format!(
                "support ID 1–{SUPPORT_ID_SUPPORTER_MAX} after the persuasion experiment, \
                 treatment vs control"
            );
        }
        Target::Donor => {
            for (i, f) in pop.facts.iter().enumerate() {
                idx.push(i);
                y.push(f64::from(u8::from(f.gifts > 0)));
            }
            label = "gave (a contribution linked by tusk resolve)".into();
        }
    }
    let ctx = Context::new(&pop.facts, as_of);
    let people: Vec<&Facts> = idx.iter().map(|&i| &pop.facts[i]).collect();
    let x = ctx.matrix(&people, target);
    let dollars = if target == Target::Donor {
        people.iter().map(|f| f.gift_cents as f64 / 100.0).collect()
    } else {
        Vec::new()
    };
    let summary = DataSummary {
        target: target.name(),
        as_of: as_of.to_string(),
        election: election.to_string(),
        label_election: label_date.map(|d| d.to_string()),
        label,
        population: pop.facts.len(),
        labelled: y.len(),
        positives: y.iter().filter(|v| **v > 0.5).count(),
        treated: (target == Target::Persuasion).then(|| treated.iter().filter(|t| **t).count()),
        control: (target == Target::Persuasion).then(|| treated.iter().filter(|t| !**t).count()),
    };
    Ok((
        Labelled {
            target,
            x,
            y,
            treated,
            dollars,
            person_ids: people.iter().map(|f| f.person_id).collect(),
        },
        summary,
    ))
}

/// A finished training run.
pub struct Trained {
    pub id: i64,
    pub model: Model,
    pub report: Report,
    pub summary: DataSummary,
    pub seconds: f64,
}

/// Trains a model for `target` on the store's data and records the run.
#[allow(clippy::too_many_arguments)]
pub fn train(
    store: &mut dyn Store,
    target: Target,
    params: &TrainParams,
    election: Option<Date>,
    label_election: Option<Date>,
    by: &str,
    now: &str,
    progress: &mut dyn FnMut(&str),
) -> Result<Trained> {
    let sql = store.sql();
    let election = match election {
        Some(d) => d,
        None => current_election(sql)?,
    };
    let pop = population(sql, progress)?;
    let (data, summary) = labelled(&pop, target, election, label_election)?;
    drop(pop);
    progress(&format!(
        "training {} ({}) on {} labelled people",
        target.name(),
        params.algorithm.name(),
        data.y.len()
    ));
    let started = std::time::Instant::now();
    let (model, report) = scores::train(&data, params)?;
    let seconds = started.elapsed().as_secs_f64();
    let metrics = serde_json::json!({ "report": report, "train_seconds": seconds });
    let id = models::insert(
        sql,
        &NewModel {
            target: target.name(),
            algorithm: params.algorithm.name(),
            seed: params.seed as i64,
            created_at: now,
            created_by: by,
            params: &serde_json::to_string(params).expect("parameters serialise"),
            data_summary: &serde_json::to_string(&summary).expect("summary serialises"),
            metrics: &metrics.to_string(),
            body: &model.to_json(),
        },
    )?;
    Ok(Trained {
        id,
        model,
        report,
        summary,
        seconds,
    })
}

/// A model run with its report and plots, as the CLI, the API and the page show it.
#[derive(Debug, Clone, Serialize)]
pub struct ModelView {
    pub run: ModelRun,
    pub params: serde_json::Value,
    pub data_summary: serde_json::Value,
    pub report: Report,
    pub train_seconds: f64,
    /// Scores written: count per tenth of the score range.
    pub distribution: Vec<(i64, i64)>,
}

pub fn view(sql: &mut dyn Sql, id: i64) -> Result<Option<ModelView>> {
    let Some(run) = models::get(sql, id)? else {
        return Ok(None);
    };
    let metrics: serde_json::Value = serde_json::from_str(&run.metrics)
        .map_err(|e| ScoringError::Invalid(format!("model {id}: metrics unreadable: {e}")))?;
    let report: Report = serde_json::from_value(metrics["report"].clone())
        .map_err(|e| ScoringError::Invalid(format!("model {id}: report unreadable: {e}")))?;
    let distribution = models::distribution(sql, id)?;
    Ok(Some(ModelView {
        params: serde_json::from_str(&run.params).unwrap_or(serde_json::Value::Null),
        data_summary: serde_json::from_str(&run.data_summary).unwrap_or(serde_json::Value::Null),
        train_seconds: metrics["train_seconds"].as_f64().unwrap_or(0.0),
        report,
        run,
        distribution,
    }))
}

/// The SVG plots of a report: calibration, and the Qini curve for persuasion.
pub fn plots(v: &ModelView) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if !v.report.calibration.is_empty() {
        let title = if v.run.target == "persuasion" {
            format!(
                "Model {}: predicted uplift against observed (treated − control)",
                v.run.id
            )
        } else {
            format!("Model {}: calibration on held-out people", v.run.id)
        };
        out.push((
            "calibration".to_string(),
            scores::svg::calibration(&v.report.calibration, &title),
        ));
    }
    if let Some(q) = &v.report.qini {
        out.push((
            "qini".to_string(),
            scores::svg::qini(
                q,
                &format!("Model {}: Qini curve on held-out subjects", v.run.id),
            ),
        ));
    }
    out
}

/// Approves a run for targeting; returns the run it supersedes.
pub fn approve(sql: &mut dyn Sql, id: i64, by: &str, now: &str) -> Result<Option<i64>> {
    if models::get(sql, id)?.is_none() {
        return Err(ScoringError::Invalid(format!(
            "no model {id}: see `tusk model list`"
        )));
    }
    Ok(models::approve(sql, id, by, now)?)
}

/// Scores of one batch of people: the score (probability, or uplift) and optional value.
pub fn score_batch(
    scorer: &scores::model::Scorer,
    ctx: &Context,
    people: &[&Facts],
    target: Target,
) -> Result<Vec<ScoreRow>> {
    let x = ctx.matrix(people, target);
    let p = scorer.predict(&x)?;
    Ok(people
        .iter()
        .enumerate()
        .map(|(i, f)| ScoreRow {
            person_id: f.person_id,
            score_ppm: (p.score[i] * 1e6).round() as i64,
            value_cents: p.value.as_ref().map(|v| (v[i] * 100.0).round() as i64),
        })
        .collect())
}

/// What `apply` did.
#[derive(Debug, Clone, Serialize)]
pub struct Applied {
    pub model_id: i64,
    pub target: String,
    pub election: String,
    pub scored: usize,
    pub mean_score: f64,
}

/// Scores everyone in the population with model `id` for `election` (default: the election
/// the model was trained for) and stores the scores (replacing that model's earlier scores).
/// `progress(done, total)`.
pub fn apply(
    store: &mut dyn Store,
    id: i64,
    election: Option<Date>,
    now: &str,
    stage: &mut dyn FnMut(&str),
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Applied> {
    let sql = store.sql();
    let body = models::body(sql, id)?
        .ok_or_else(|| ScoringError::Invalid(format!("no model {id}: see `tusk model list`")))?;
    let model = Model::from_json(&body)?;
    // Default: the election the model was trained for, else the store's current one.
    let trained_for = models::get(sql, id)?
        .and_then(|r| serde_json::from_str::<serde_json::Value>(&r.data_summary).ok())
        .and_then(|v| v["election"].as_str().and_then(Date::parse));
    let election = match election.or(trained_for) {
        Some(d) => d,
        None => current_election(sql)?,
    };
    let pop = population(sql, stage)?;
    stage("scoring");
    let ctx = Context::new(&pop.facts, election);
    let scorer = model.scorer()?;
    let total = pop.facts.len() as u64;
    let mut rows = Vec::with_capacity(pop.facts.len());
    for chunk in pop.facts.chunks(SCORE_BATCH_ROWS) {
        let people: Vec<&Facts> = chunk.iter().collect();
        rows.extend(score_batch(&scorer, &ctx, &people, model.target)?);
        progress(rows.len() as u64, total);
    }
    drop(pop);
    stage("writing scores");
    let n = rows.len() as u64;
    models::write_scores(sql, id, &rows, now, &mut |done| progress(done, n))?;
    Ok(Applied {
        model_id: id,
        target: model.target.name().into(),
        election: election.to_string(),
        scored: rows.len(),
        mean_score: rows.iter().map(|r| r.score_ppm as f64 / 1e6).sum::<f64>()
            / rows.len().max(1) as f64,
    })
}

/// Parses an algorithm name with a message listing the choices.
pub fn algorithm(name: &str) -> Result<Algorithm> {
    Algorithm::parse(name).ok_or_else(|| {
        ScoringError::Invalid(format!(
            "unknown algorithm '{name}': use logistic (regularised logistic regression) or gbt \
             (gradient-boosted trees)"
        ))
    })
}
