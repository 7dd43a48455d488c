//! Budgeted allocation over the store (issue 7): the goal universes and the approved scores
//! of everyone in the universe table become `targeting::allocate::Candidate`s (with the
//! channels open to each: a way to reach them, not suppressed, under every frequency cap), the
//! engine chooses who gets which contact, and the run is kept — its question, its answer per
//! channel and one row per chosen person with the figures that explain the choice.

use model::Date;
use serde::{Deserialize, Serialize};
use store::sql::{RowExt, Sql};
use store::{StoreError, Value};
use targeting::allocate::{
    self, Allocation, Candidate, Channel, ChannelResult, ContactCap, Spec, CHANNELS,
};
use targeting::goals::{Goal, GoalParams};
use targeting::{Column, People};

use crate::values::{int_of, text_of};

/// Longest allocation name.
pub const ALLOCATION_NAME_MAX: usize = 100;
/// Rows written per INSERT statement when a run is saved.
pub const ITEMS_PER_INSERT: usize = 500;
/// Chosen people one page of a run's list may hold.
pub const ITEMS_PAGE_MAX: i64 = 1_000;
/// People whose reasons are printed by `--why` at most.
pub const WHY_MAX: usize = 100;
/// Stored values and votes are in billionths (no float column in the store's SQL face)…
const NANO: f64 = 1e9;
/// …scores in millionths, money in cents.
const PPM: f64 = 1e6;

/// The question: budgets, caps, the universe of each goal, the day caps are counted at.
#[derive(Debug, Clone, Serialize)]
pub struct Request {
    pub name: String,
    pub spec: Spec,
    pub caps: Vec<ContactCap>,
    /// (goal, universe expression); a goal left out is not in the mix.
    pub goals: Vec<(Goal, String)>,
    #[serde(serialize_with = "as_text")]
    pub today: Date,
}

impl Request {
    /// The four goal templates for `election` in `state`, default caps, default channels.
    pub fn defaults(
        name: &str,
        election: Date,
        state: &str,
        today: Date,
        budgets: [f64; CHANNELS],
    ) -> Request {
        let params = GoalParams {
            election,
            state: state.to_uppercase(),
        };
        Request {
            name: name.to_string(),
            spec: Spec {
                channels: Channel::ALL
                    .iter()
                    .zip(budgets)
                    .map(|(c, b)| allocate::ChannelSpec::default_for(*c, b))
                    .collect(),
                dollars_per_vote: DOLLARS_PER_VOTE_DEFAULT,
            },
            caps: allocate::DEFAULT_CAPS.to_vec(),
            goals: Goal::ALL
                .iter()
                .map(|g| (*g, targeting::goals::expression(*g, &params)))
                .collect(),
            today,
        }
    }
}

fn as_text<S: serde::Serializer>(d: &Date, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&d.to_string())
}

/// Latest field results that take a person off every channel (as upper-cased in the table)…
pub const RESULTS_NO_CONTACT: [&str; 2] = ["MOVED", "DECEASED"];
/// …off calls and texts…
pub const RESULTS_NO_PHONE: [&str; 1] = ["WRONG NUMBER"];
/// …and off the door.
pub const RESULTS_NO_DOOR: [&str; 1] = ["INACCESSIBLE"];

/// Dollars counted as one net vote unless the campaign says otherwise (what a field program
/// typically spends per net vote; to be set by the campaign).
pub const DOLLARS_PER_VOTE_DEFAULT: f64 = 1_000.0;

#[derive(Debug, thiserror::Error)]
pub enum AllocateError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A field of the request is wrong: the message names it.
    #[error("{0}")]
    Invalid(String),
    /// A goal's universe does not parse or names unknown fields.
    #[error("goals.{goal}: {error}")]
    Expression {
        goal: &'static str,
        error: targeting::LangError,
    },
}

fn number(people: &People, name: &str) -> Option<Vec<f32>> {
    match people.columns.get(name) {
        Some(Column::Number(v)) => Some(v.clone()),
        _ => None,
    }
}

fn flag(people: &People, name: &str) -> targeting::Bitmap {
    match people.columns.get(name) {
        Some(Column::Flag(b)) => b.clone(),
        _ => targeting::Bitmap::empty(people.len()),
    }
}

/// Everyone in at least one goal universe, with what the engine needs.
pub fn candidates(people: &People, req: &Request) -> Result<Vec<Candidate>, AllocateError> {
    check(req)?;
    let n = people.len();
    let mut member = Vec::new();
    for (g, expr) in &req.goals {
        let (_, bits) =
            targeting::count(people, expr, &[]).map_err(|error| AllocateError::Expression {
                goal: g.name(),
                error,
            })?;
        member.push((Goal::ALL.iter().position(|x| x == g).expect("a goal"), bits));
    }
    let capped = allocate::capped(people, &req.caps, req.today);
    let phone = flag(people, "has_phone");
    let address = flag(people, "has_address");
    let dnc = flag(people, "do_not_contact");
    let last = match people.columns.get("last_result") {
        Some(Column::Category { codes, dict }) => Some((codes, dict)),
        _ => None,
    };
    let last_of = |i: usize| last.map_or("", |(c, d)| d[c[i] as usize].as_str());
    let col = |name| number(people, name);
    let (support, turnout, uplift, value) = (
        col("support"),
        col("turnout"),
        col("persuasion"),
        col("expected_value"),
    );
    let get = |c: &Option<Vec<f32>>, i: usize| {
        c.as_ref()
            .map(|v| v[i])
            .filter(|x| x.is_finite())
            .map(f64::from)
    };
    let mut out = Vec::new();
    for i in 0..n {
        let mut goals = 0u8;
        for (k, bits) in &member {
            if bits.get(i) {
                goals |= 1 << k;
            }
        }
        let result = last_of(i);
        if goals == 0 || dnc.get(i) || RESULTS_NO_CONTACT.contains(&result) {
            continue;
        }
        let mut allowed = 0u8;
        for c in Channel::ALL {
            let reach = match c {
                Channel::Door => address.get(i) && !RESULTS_NO_DOOR.contains(&result),
                Channel::Mail => address.get(i),
                Channel::Phone | Channel::Text => {
                    phone.get(i) && !RESULTS_NO_PHONE.contains(&result)
                }
            };
            if reach && !capped[c.index()].get(i) {
                allowed |= 1 << c.index();
            }
        }
        out.push(Candidate {
            row: i as u32,
            support: get(&support, i),
            turnout: get(&turnout, i),
            uplift: get(&uplift, i),
            expected_value: get(&value, i),
            goals,
            allowed,
        });
    }
    Ok(out)
}

fn check(req: &Request) -> Result<(), AllocateError> {
    let raw_len = req.name.chars().count();
    if req.name.trim().is_empty()
        || raw_len > ALLOCATION_NAME_MAX
        || req.name.chars().any(char::is_control)
    {
        return Err(AllocateError::Invalid(format!(
            "name: 1 to {ALLOCATION_NAME_MAX} characters, no control characters"
        )));
    }
    req.spec
        .check()
        .map_err(|e| AllocateError::Invalid(format!("channels.{e}")))?;
    if req.goals.is_empty() {
        return Err(AllocateError::Invalid("goals: at least one goal".into()));
    }
    for (k, (g, _)) in req.goals.iter().enumerate() {
        if req.goals[..k].iter().any(|(h, _)| h == g) {
            return Err(AllocateError::Invalid(format!(
                "goals.{}: given twice",
                g.name()
            )));
        }
    }
    for (k, c) in req.caps.iter().enumerate() {
        if req.caps[..k].iter().any(|d| d.channel == c.channel) {
            return Err(AllocateError::Invalid(format!(
                "caps.{}: given twice",
                c.channel.name()
            )));
        }
        if c.max_attempts == 0 || c.window_days == 0 {
            return Err(AllocateError::Invalid(format!(
                "caps.{}: max_attempts and window_days at least 1",
                c.channel.name()
            )));
        }
    }
    Ok(())
}

/// Runs the engine on the table.
pub fn run(people: &People, req: &Request) -> Result<(Allocation, Vec<Candidate>), AllocateError> {
    let cands = candidates(people, req)?;
    Ok((allocate::allocate(&req.spec, &cands), cands))
}

/// A kept run: its question and its answer per channel.
#[derive(Debug, Clone, Serialize)]
pub struct Run {
    pub id: i64,
    pub name: String,
    pub created_at: String,
    pub created_by: String,
    pub request: serde_json::Value,
    pub summary: Summary,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Summary {
    pub channels: Vec<ChannelSummary>,
    pub votes: f64,
    pub dollars: f64,
    pub value: f64,
    pub eligible: u64,
    pub chosen: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ChannelSummary {
    pub channel: Channel,
    pub unit: String,
    pub budget: f64,
    pub attempts: u64,
    pub attempts_affordable: u64,
    pub spent: f64,
    pub expected_contacts: f64,
    pub votes: f64,
    pub dollars: f64,
    /// Attempts per goal (registration, persuasion, turnout, fundraising).
    pub by_goal: [u64; 4],
    pub marginal_value_per_unit: f64,
}

impl From<&ChannelResult> for ChannelSummary {
    fn from(c: &ChannelResult) -> Self {
        ChannelSummary {
            channel: c.channel,
            unit: c.unit.to_string(),
            budget: c.budget,
            attempts: c.attempts,
            attempts_affordable: c.attempts_affordable,
            spent: c.spent,
            expected_contacts: c.expected_contacts,
            votes: c.votes,
            dollars: c.dollars,
            by_goal: c.by_goal,
            marginal_value_per_unit: c.marginal_value_per_unit,
        }
    }
}

pub fn summary(a: &Allocation) -> Summary {
    Summary {
        channels: a.channels.iter().map(ChannelSummary::from).collect(),
        votes: a.votes,
        dollars: a.dollars,
        value: a.value,
        eligible: a.eligible,
        chosen: a.assignments.len() as u64,
    }
}

/// Keeps a run: the request and summary, and one row per chosen person (channel, goal, value
/// and the figures behind it), in one transaction.
pub fn save(
    sql: &mut dyn Sql,
    people: &People,
    req: &Request,
    a: &Allocation,
    cands: &[Candidate],
    by: &str,
    now: &str,
) -> Result<Run, AllocateError> {
    let request = serde_json::to_value(req).map_err(|e| StoreError::Backend(e.to_string()))?;
    let sum = summary(a);
    let mut id = 0;
    sql.transaction(&mut |tx| {
        let rows = tx.query(
            "INSERT INTO allocations (name, created_at, created_by, request, summary) \
             VALUES (?, ?, ?, ?, ?) RETURNING id",
            &[
                Value::Text(req.name.trim().into()),
                Value::Text(now.into()),
                Value::Text(by.into()),
                Value::Text(request.to_string()),
                Value::Text(serde_json::to_string(&sum).unwrap_or_default()),
            ],
        )?;
        id = rows
            .first()
            .ok_or_else(|| StoreError::Backend("INSERT … RETURNING gave no row".into()))?
            .int(0)?;
        for chunk in a.assignments.chunks(ITEMS_PER_INSERT) {
            let mut q = String::from(
                "INSERT INTO allocation_items (allocation_id, person_id, channel, goal, value_nano, \
                 votes_nano, dollars_cents, support_ppm, turnout_ppm, uplift_ppm, expected_value_cents, \
                 goals, allowed) VALUES ",
            );
            let mut params = Vec::with_capacity(chunk.len() * 13);
            for (k, x) in chunk.iter().enumerate() {
                if k > 0 {
                    q.push(',');
                }
                q.push_str("(?,?,?,?,?,?,?,?,?,?,?,?,?)");
                let c = &cands[x.candidate as usize];
                let opt = |v: Option<f64>, scale: f64| {
                    v.map_or(Value::Null, |x| Value::Int((x * scale).round() as i64))
                };
                params.extend([
                    Value::Int(id),
                    Value::Int(people.ids[x.row as usize]),
                    Value::Text(x.channel.name().into()),
                    Value::Text(x.goal.name().into()),
                    Value::Int((x.value * NANO).round() as i64),
                    Value::Int((x.votes * NANO).round() as i64),
                    Value::Int((x.dollars * 100.0).round() as i64),
                    opt(c.support, PPM),
                    opt(c.turnout, PPM),
                    opt(c.uplift, PPM),
                    opt(c.expected_value, 100.0),
                    Value::Int(i64::from(c.goals)),
                    Value::Int(i64::from(c.allowed)),
                ]);
            }
            tx.execute(&q, &params)?;
        }
        Ok(())
    })?;
    Ok(Run {
        id,
        name: req.name.trim().to_string(),
        created_at: now.to_string(),
        created_by: by.to_string(),
        request,
        summary: sum,
    })
}

fn run_of(r: &[Value]) -> Result<Run, StoreError> {
    let request = serde_json::from_str(&r.text(4)?).unwrap_or(serde_json::Value::Null);
    let summary = serde_json::from_str(&r.text(5)?)
        .map_err(|e| StoreError::Backend(format!("allocation summary: {e}")))?;
    Ok(Run {
        id: r.int(0)?,
        name: r.text(1)?,
        created_at: r.text(2)?,
        created_by: r.text(3)?,
        request,
        summary,
    })
}

const RUN_COLUMNS: &str = "id, name, created_at, created_by, request, summary";

pub fn all(sql: &mut dyn Sql) -> Result<Vec<Run>, StoreError> {
    sql.query(
        &format!("SELECT {RUN_COLUMNS} FROM allocations ORDER BY id DESC"),
        &[],
    )?
    .iter()
    .map(|r| run_of(r))
    .collect()
}

pub fn get(sql: &mut dyn Sql, id: i64) -> Result<Option<Run>, StoreError> {
    sql.query(
        &format!("SELECT {RUN_COLUMNS} FROM allocations WHERE id = ?"),
        &[Value::Int(id)],
    )?
    .first()
    .map(|r| run_of(r))
    .transpose()
}

/// One chosen person of a run, with why.
#[derive(Debug, Clone, Serialize)]
pub struct Item {
    pub person_id: i64,
    pub channel: String,
    pub goal: String,
    pub value: f64,
    pub votes: f64,
    pub dollars: f64,
    pub why: String,
}

/// The chosen people of a run, best first, optionally of one channel.
pub fn items(
    sql: &mut dyn Sql,
    run: &Run,
    channel: Option<Channel>,
    limit: i64,
    offset: i64,
) -> Result<Vec<Item>, AllocateError> {
    if !(1..=ITEMS_PAGE_MAX).contains(&limit) {
        return Err(AllocateError::Invalid(format!(
            "limit: 1 to {ITEMS_PAGE_MAX}"
        )));
    }
    if offset < 0 {
        return Err(AllocateError::Invalid("offset: 0 or more".into()));
    }
    let spec: Spec = run
        .request
        .get("spec")
        .cloned()
        .and_then(|s| serde_json::from_value(s).ok())
        .ok_or_else(|| {
            AllocateError::Invalid(format!("allocation {}: its request cannot be read", run.id))
        })?;
    let mut params = vec![Value::Int(run.id)];
    let mut q = String::from(
        "SELECT person_id, channel, goal, value_nano, votes_nano, dollars_cents, support_ppm, \
         turnout_ppm, uplift_ppm, expected_value_cents, goals, allowed FROM allocation_items \
         WHERE allocation_id = ?",
    );
    if let Some(c) = channel {
        q.push_str(" AND channel = ?");
        params.push(Value::Text(c.name().into()));
    }
    q.push_str(" ORDER BY value_nano DESC, person_id LIMIT ? OFFSET ?");
    params.extend([Value::Int(limit), Value::Int(offset)]);
    let float = |v: &Value, scale: f64| int_of(v).map(|i| i as f64 / scale);
    let mut out = Vec::new();
    for r in sql.query(&q, &params)? {
        let channel = text_of(&r[1]).to_string();
        let cand = Candidate {
            row: 0,
            support: float(&r[6], PPM),
            turnout: float(&r[7], PPM),
            uplift: float(&r[8], PPM),
            expected_value: float(&r[9], 100.0),
            goals: int_of(&r[10]).unwrap_or(0) as u8,
            allowed: int_of(&r[11]).unwrap_or(0) as u8,
        };
        let why = Channel::parse(&channel)
            .map(|c| allocate::why(&cand, &spec, c))
            .unwrap_or_default();
        out.push(Item {
            person_id: r.int(0)?,
            channel,
            goal: text_of(&r[2]).to_string(),
            value: float(&r[3], NANO).unwrap_or(0.0),
            votes: float(&r[4], NANO).unwrap_or(0.0),
            dollars: float(&r[5], 100.0).unwrap_or(0.0),
            why,
        });
    }
    Ok(out)
}

/// A run's list for one channel as CSV, best first (the person's columns, then `channel`,
/// `goal`, `value`), with the number of people in it. Ages as of `year`. The caller writes
/// the export's audit record (`crate::lists::audit`).
pub fn list_csv(
    sql: &mut dyn Sql,
    run: &Run,
    channel: Channel,
    format: crate::lists::Format,
    year: i64,
) -> Result<(String, usize), AllocateError> {
    let mut chosen: Vec<(i64, String, f64)> = Vec::new();
    sql.query_each(
        "SELECT person_id, goal, value_nano FROM allocation_items WHERE allocation_id = ? AND channel = ? \
         ORDER BY value_nano DESC, person_id",
        &[Value::Int(run.id), Value::Text(channel.name().into())],
        &mut |r| {
            chosen.push((
                int_of(&r[0]).unwrap_or(0),
                text_of(&r[1]).to_string(),
                int_of(&r[2]).unwrap_or(0) as f64 / NANO,
            ));
            Ok(())
        },
    )?;
    let ids: Vec<i64> = chosen.iter().map(|x| x.0).collect();
    let rows = crate::lists::rows(sql, &ids)?;
    let by_id: std::collections::HashMap<i64, (&String, f64)> =
        chosen.iter().map(|x| (x.0, (&x.1, x.2))).collect();
    let extra: Vec<crate::lists::Extra> = rows
        .iter()
        .map(|r| {
            let (goal, value) = by_id[&r.person_id];
            vec![
                ("channel".to_string(), channel.name().to_string()),
                ("goal".to_string(), goal.clone()),
                ("value".to_string(), format!("{value:.6}")),
            ]
        })
        .collect();
    Ok((crate::lists::csv(&rows, &extra, format, year), rows.len()))
}
