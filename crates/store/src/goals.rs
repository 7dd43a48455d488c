//! Goals per region (migration 17): a target per region (a county, or `all`) and measure,
//! with an optional due date. Plain SQL for both backends.

use crate::sql::{RowExt, Sql};
use crate::{Result, Value};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Goal {
    /// A county, or `all` for the whole campaign.
    pub region: String,
    /// What is counted (`app::goals::METRICS`).
    pub metric: String,
    pub target: i64,
    /// YYYY-MM-DD, when the target should be reached.
    pub due: Option<String>,
    pub set_by: String,
    pub set_at: String,
    /// What was already counted when the goal was set (filled by the overview's first count
    /// after setting).
    pub baseline: Option<i64>,
}

/// Every goal, by region then measure.
pub fn list(sql: &mut dyn Sql) -> Result<Vec<Goal>> {
    sql.query(
        "SELECT region, metric, target, due, set_by, set_at, baseline FROM region_goals ORDER BY region, metric",
        &[],
    )?
    .iter()
    .map(|r| {
        Ok(Goal {
            region: r.text(0)?,
            metric: r.text(1)?,
            target: r.int(2)?,
            due: r.opt_text(3)?,
            set_by: r.text(4)?,
            set_at: r.text(5)?,
            baseline: r.opt_int(6)?,
        })
    })
    .collect()
}

/// Records what a goal's measure counted when the goal was first counted after being set.
pub fn set_baseline(sql: &mut dyn Sql, region: &str, metric: &str, baseline: i64) -> Result<()> {
    sql.execute(
        "UPDATE region_goals SET baseline = ? WHERE region = ? AND metric = ? AND baseline IS NULL",
        &[
            Value::Int(baseline),
            Value::Text(region.to_string()),
            Value::Text(metric.to_string()),
        ],
    )?;
    Ok(())
}

/// Sets goals in one transaction: each replaces the goal of its region and measure (its
/// baseline counted again); a target of 0 removes it.
pub fn set(sql: &mut dyn Sql, goals: &[Goal]) -> Result<()> {
    sql.transaction(&mut |tx| {
        for g in goals {
            tx.execute(
                "DELETE FROM region_goals WHERE region = ? AND metric = ?",
                &[Value::Text(g.region.clone()), Value::Text(g.metric.clone())],
            )?;
            if g.target > 0 {
                tx.execute(
                    "INSERT INTO region_goals (region, metric, target, due, set_by, set_at) VALUES (?, ?, ?, ?, ?, ?)",
                    &[
                        Value::Text(g.region.clone()),
                        Value::Text(g.metric.clone()),
                        Value::Int(g.target),
                        g.due.clone().map_or(Value::Null, Value::Text),
                        Value::Text(g.set_by.clone()),
                        Value::Text(g.set_at.clone()),
                    ],
                )?;
            }
        }
        Ok(())
    })
}
