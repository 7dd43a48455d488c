//! Tusk's targeting engine (PRODUCT.md C4), no IO: the universe language (`lang`), the people
//! as columns in memory (`table`), plans checked against them with `explain` and evaluated
//! into bitmaps (`plan`), counts and breakdowns.

pub mod allocate;
pub mod bitmap;
pub mod goals;
pub mod lang;
pub mod overview;
pub mod plan;
pub mod sharing;
pub mod table;
pub mod turf;
pub mod turnout;

pub use bitmap::Bitmap;
pub use lang::{parse, LangError};
pub use plan::{breakdown, plan, Plan};
pub use table::{Attempt, CategoryBuilder, Column, People};

/// Age bands of the `age_band` column.
pub const AGE_BANDS: [(u16, u16, &str); 6] = [
    (18, 24, "18-24"),
    (25, 34, "25-34"),
    (35, 44, "35-44"),
    (45, 54, "45-54"),
    (55, 64, "55-64"),
    (65, 200, "65+"),
];

/// The age band of an age ("" below 18 or unknown).
pub fn age_band(age: Option<u16>) -> &'static str {
    match age {
        Some(a) => AGE_BANDS
            .iter()
            .find(|b| a >= b.0 && a <= b.1)
            .map_or("", |b| b.2),
        None => "",
    }
}

/// A universe counted: how many of how many, and the counts per value of each breakdown.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Counted {
    pub count: u64,
    pub total: u64,
    pub explain: String,
    pub breakdowns: Vec<(String, Vec<(String, u64)>)>,
}

/// Plans, evaluates and breaks down `expression` (an empty expression is everyone).
pub fn count(
    people: &People,
    expression: &str,
    by: &[&str],
) -> Result<(Counted, Bitmap), LangError> {
    let p = if expression.trim().is_empty() {
        Plan::All
    } else {
        plan(people, expression)?
    };
    let selected = p.eval(people);
    let mut breakdowns = Vec::new();
    for b in by {
        match breakdown(people, &selected, b) {
            Some(v) => breakdowns.push((b.to_string(), v)),
            None => {
                return Err(LangError::new(
                    0,
                    format!("cannot break down by '{b}': not a category field"),
                ))
            }
        }
    }
    Ok((
        Counted {
            count: selected.count(),
            total: people.len() as u64,
            explain: p.explain(people),
            breakdowns,
        },
        selected,
    ))
}
