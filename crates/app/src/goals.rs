//! Goals per region (issue 11): a target per region — a county, or `all` for the campaign —
//! and measure of `targeting::overview::METRICS`, with an optional due date. Set from a file
//! (`tusk goals set`), the API or the overview page; the overview counts progress and pace.

use serde::{Deserialize, Serialize};

use crate::csv_file::{rows, Table};
use store::sql::Sql;
use store::{StoreError, Value};

/// The region of a campaign-wide goal.
pub const ALL: &str = "all";
/// The largest target (dollars or people).
pub const TARGET_MAX: i64 = 1_000_000_000_000;
/// Goals set in one request or file.
pub const GOALS_PER_SET_MAX: usize = 1_000;
/// The longest region name.
pub const REGION_CHARS_MAX: usize = 100;
/// Measures counted campaign-wide only (relational asks are not placed in a county).
pub const CAMPAIGN_WIDE_ONLY: [&str; 2] = ["asks_made", "asks_converted"];

/// A goal as given (file row, API item or form).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct GoalInput {
    /// A county of the voter file, or `all`.
    pub region: String,
    /// One of `targeting::overview::METRICS`.
    pub metric: String,
    /// 0 removes the goal.
    pub target: i64,
    /// YYYY-MM-DD.
    #[serde(default)]
    pub due: Option<String>,
    /// Its line in the goals file (errors name it).
    #[serde(skip)]
    pub line: Option<usize>,
}

/// A goal as kept.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Goal {
    pub region: String,
    pub metric: String,
    pub target: i64,
    pub due: Option<String>,
    pub set_by: String,
    pub set_at: String,
    /// What was already counted when it was set (none until the overview first counts it).
    pub baseline: Option<i64>,
}

#[derive(Debug, thiserror::Error)]
pub enum GoalError {
    /// `goals[i].field` (or `row N, field`) and why.
    #[error("{at}: {message}")]
    Invalid { at: String, message: String },
    /// The goals file, by row and column.
    #[error(transparent)]
    File(#[from] crate::csv_file::FileError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// How errors name the goals file.
const GOALS_FILE: &str = "goals file";

fn invalid(at: String, message: impl Into<String>) -> GoalError {
    GoalError::Invalid {
        at,
        message: message.into(),
    }
}

/// A county as the voter file spells it: as typed, else in capitals (the state files'
/// spelling); None when the voter file has no such county.
pub fn county_as_stored(sql: &mut dyn Sql, typed: &str) -> Result<Option<String>, StoreError> {
    let typed = typed.trim();
    for c in [typed.to_string(), typed.to_uppercase()] {
        if !sql
            .query(
                "SELECT 1 FROM voters WHERE county = ? AND removed_load_id IS NULL LIMIT 1",
                &[Value::Text(c.clone())],
            )?
            .is_empty()
        {
            return Ok(Some(c));
        }
    }
    Ok(None)
}

/// `goals[2].due` in API errors, `row 3, due` in a file's.
fn field(at: &str, name: &str) -> String {
    if at.starts_with("row ") {
        format!("{at}, {name}")
    } else {
        format!("{at}.{name}")
    }
}

/// Checks one goal; `at` names it in errors (`goals[2]`, `row 3`). Regions other than `all`
/// must be counties of the voter file.
fn check(sql: &mut dyn Sql, g: &GoalInput, at: &str) -> Result<GoalInput, GoalError> {
    let region = g.region.trim();
    let region = if region.eq_ignore_ascii_case(ALL) {
        ALL.to_string()
    } else {
        region.to_string()
    };
    if region.is_empty() || region.chars().count() > REGION_CHARS_MAX {
        return Err(invalid(
            field(at, "region"),
            format!("must be `all` or a county, at most {REGION_CHARS_MAX} characters"),
        ));
    }
    let metric = g.metric.trim().to_lowercase();
    if !targeting::overview::METRICS
        .iter()
        .any(|(m, _)| *m == metric)
    {
        let names: Vec<&str> = targeting::overview::METRICS.iter().map(|m| m.0).collect();
        return Err(invalid(
            field(at, "metric"),
            format!("{:?} is not one of {}", g.metric, names.join(", ")),
        ));
    }
    if region != ALL && CAMPAIGN_WIDE_ONLY.contains(&metric.as_str()) {
        return Err(invalid(
            field(at, "region"),
            format!("{metric} is counted for the whole campaign only: use region `all`"),
        ));
    }
    if !(0..=TARGET_MAX).contains(&g.target) {
        return Err(invalid(
            field(at, "target"),
            format!("must be between 0 (removes the goal) and {TARGET_MAX}"),
        ));
    }
    let due = match g.due.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
        None => None,
        Some(d) => Some(
            model::Date::parse(d)
                .ok_or_else(|| {
                    invalid(
                        field(at, "due"),
                        format!("{d:?} is not a date (YYYY-MM-DD)"),
                    )
                })?
                .to_string(),
        ),
    };
    let region = if region == ALL {
        region
    } else {
        county_as_stored(sql, &region)?.ok_or_else(|| {
            invalid(
                field(at, "region"),
                format!("no county {region} in the voter file"),
            )
        })?
    };
    Ok(GoalInput {
        region,
        metric,
        target: g.target,
        due,
        line: g.line,
    })
}

/// Checks every goal, then sets them all in one transaction (nothing is kept when one is
/// wrong). A target of 0 removes the goal of its region and measure.
pub fn set(
    sql: &mut dyn Sql,
    goals: &[GoalInput],
    at_prefix: &str,
    actor: &str,
    now: &str,
) -> Result<usize, GoalError> {
    if goals.len() > GOALS_PER_SET_MAX {
        return Err(invalid(
            at_prefix.to_string(),
            format!("{} goals: at most {GOALS_PER_SET_MAX} at once", goals.len()),
        ));
    }
    let mut checked = Vec::with_capacity(goals.len());
    for (i, g) in goals.iter().enumerate() {
        let at = if at_prefix.starts_with("row") {
            format!("row {}", g.line.unwrap_or(i + 2))
        } else {
            format!("{at_prefix}[{i}]")
        };
        let g = check(sql, g, &at)?;
        checked.push(store::goals::Goal {
            region: g.region,
            metric: g.metric,
            target: g.target,
            due: g.due,
            set_by: actor.to_string(),
            set_at: now.to_string(),
            baseline: None,
        });
    }
    store::goals::set(sql, &checked)?;
    Ok(checked.len())
}

/// Every goal, by region then measure.
pub fn list(sql: &mut dyn Sql) -> Result<Vec<Goal>, StoreError> {
    Ok(store::goals::list(sql)?
        .into_iter()
        .map(|g| Goal {
            region: g.region,
            metric: g.metric,
            target: g.target,
            due: g.due,
            set_by: g.set_by,
            set_at: g.set_at,
            baseline: g.baseline,
        })
        .collect())
}

/// Reads a goals file: CSV with a header `region,metric,target[,due]` (any order, any case).
/// Errors name the row (its line in the file; the header is line 1) and column.
pub fn parse_csv(text: &str) -> Result<Vec<GoalInput>, GoalError> {
    let t = Table::parse(GOALS_FILE, text)?;
    for c in ["region", "metric", "target"] {
        t.col(c)?;
    }
    if t.len() > GOALS_PER_SET_MAX {
        return Err(invalid(
            GOALS_FILE.to_string(),
            format!("more than {GOALS_PER_SET_MAX} goals in one file"),
        ));
    }
    rows(&t)
        .map(|c| {
            let v = c.required("target")?;
            let target = v
                .replace([',', '_'], "")
                .parse::<i64>()
                .map_err(|_| t.err(c.row, "target", format!("{v:?} is not a whole number")))?;
            Ok(GoalInput {
                region: c.text("region")?,
                metric: c.text("metric")?,
                target,
                due: Some(c.opt_text("due")).filter(|d| !d.is_empty()),
                line: Some(c.line() as usize),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_goals_file_is_read_with_rows_named() {
        let g = parse_csv(
            "Region,Metric,Target,Due\nWAKE,doors,\"5,000\",2026-10-31\nall,money,250000,\n",
        )
        .unwrap();
        assert_eq!(g.len(), 2);
        assert_eq!(g[0].target, 5000);
        assert_eq!(g[0].due.as_deref(), Some("2026-10-31"));
        assert_eq!(g[1].due, None);
        let e = parse_csv("region,metric,target\nWAKE,doors,lots\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "goals file, row 2, target: \"lots\" is not a whole number"
        );
        // Rows follow the reader's line count: a quoted line break counts.
        let e = parse_csv("region,metric,target\n\"WA\nKE\",doors,1\nWAKE,calls,x\n").unwrap_err();
        assert!(
            e.to_string().starts_with("goals file, row 4, target"),
            "{e}"
        );
        let e = parse_csv("region,target\nWAKE,1\n").unwrap_err();
        assert_eq!(e.to_string(), "goals file: the header has no metric column");
    }
}
