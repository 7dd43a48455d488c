//! A parsed expression checked against the people's columns: a plan that can be explained and
//! evaluated into a bitmap of the people selected.

use std::fmt::Write;

use crate::bitmap::Bitmap;
use crate::lang::{self, Expr, LangError, Op, Value};
use crate::table::{Column, People};

#[derive(Debug, Clone, PartialEq)]
pub enum Plan {
    All,
    And(Vec<Plan>),
    Or(Vec<Plan>),
    Not(Box<Plan>),
    /// Category value among `codes` (sorted); `names` as written, for `explain`.
    Category {
        field: String,
        codes: Vec<u16>,
        names: Vec<String>,
        unknown: Vec<String>,
    },
    Number {
        field: String,
        low: f32,
        low_inclusive: bool,
        high: f32,
        high_inclusive: bool,
    },
    /// A number field not equal to a value (NaN counts as not equal).
    NumberNot {
        field: String,
        value: f32,
    },
    Flag {
        field: String,
    },
    Voted {
        date: model::Date,
    },
    Tagged {
        name: String,
        list: bool,
    },
}

fn closest<'a>(name: &str, choices: impl Iterator<Item = &'a String>) -> String {
    let mut best: Option<(&String, f64)> = None;
    for c in choices {
        let s = strsim::jaro_winkler(name, c);
        if best.is_none_or(|b| s > b.1) {
            best = Some((c, s));
        }
    }
    match best {
        Some((c, s)) if s > 0.8 => format!(" (did you mean '{c}'?)"),
        _ => String::new(),
    }
}

fn number_of(v: &Value, at: usize, field: &str) -> Result<f32, LangError> {
    match v {
        Value::Number(n) => Ok(*n as f32),
        other => Err(LangError::new(
            at,
            format!("{field} is a number: compare it with a number, not {other}"),
        )),
    }
}

fn text_of(v: &Value) -> String {
    match v {
        Value::Text(s) => s.to_uppercase(),
        Value::Number(n) if n.fract() == 0.0 => format!("{}", *n as i64),
        Value::Number(n) => n.to_string(),
        Value::Date(d) => d.to_string(),
    }
}

fn category(people: &People, field: &str, dict: &[String], values: &[(Value, usize)]) -> Plan {
    let mut codes = Vec::new();
    let mut names = Vec::new();
    let mut unknown = Vec::new();
    for (v, _) in values {
        let t = text_of(v);
        match dict.iter().position(|d| *d == t) {
            Some(c) if c > 0 => codes.push(c as u16),
            _ => unknown.push(t.clone()),
        }
        names.push(t);
    }
    codes.sort_unstable();
    codes.dedup();
    let _ = people;
    Plan::Category {
        field: field.to_string(),
        codes,
        names,
        unknown,
    }
}

/// Score fields: present once a model of that target is approved and applied.
pub const SCORE_FIELDS: [&str; 6] = [
    "support",
    "turnout",
    "persuasion",
    "donor",
    "expected_gift",
    "expected_value",
];

fn column<'a>(people: &'a People, field: &str, at: usize) -> Result<&'a Column, LangError> {
    if !people.columns.contains_key(field) && SCORE_FIELDS.contains(&field) {
        return Err(LangError::new(
            at,
            format!(
                "no scores for '{field}' yet: a {} model must be approved and applied (tusk model approve ID; tusk score apply ID)",
                if field.starts_with("expected_") {
                    "donor"
                } else {
                    field
                }
            ),
        ));
    }
    people.columns.get(field).ok_or_else(|| {
        let names: Vec<String> = people.columns.keys().cloned().collect();
        LangError::new(
            at,
            format!(
                "unknown field '{field}'{}: fields are {}, and voted(DATE), tagged(\"name\"), listed(\"name\")",
                closest(field, names.iter()),
                names.join(", ")
            ),
        )
    })
}

fn compile(people: &People, e: &Expr) -> Result<Plan, LangError> {
    Ok(match e {
        Expr::And(v) => Plan::And(v.iter().map(|x| compile(people, x)).collect::<Result<_, _>>()?),
        Expr::Or(v) => Plan::Or(v.iter().map(|x| compile(people, x)).collect::<Result<_, _>>()?),
        Expr::Not(x) => Plan::Not(Box::new(compile(people, x)?)),
        Expr::Flag { field, at } => match column(people, field, *at)? {
            Column::Flag(_) => Plan::Flag {
                field: field.clone(),
            },
            c => {
                return Err(LangError::new(
                    *at,
                    format!(
                        "{field} is a {}: compare it, e.g. {field} = \"…\" or {field} >= 0.5",
                        c.kind()
                    ),
                ))
            }
        },
        Expr::Compare {
            field,
            at,
            op,
            value,
            value_at,
        } => match column(people, field, *at)? {
            Column::Category { dict, .. } => {
                let p = category(people, field, dict, &[(value.clone(), *value_at)]);
                match op {
                    Op::Eq => p,
                    Op::Ne => Plan::Not(Box::new(p)),
                    _ => {
                        return Err(LangError::new(
                            *at,
                            format!(
                                "{field} is a category: use = != in (...), not {}",
                                op.symbol()
                            ),
                        ))
                    }
                }
            }
            Column::Number(_) => {
                let v = number_of(value, *value_at, field)?;
                let (inf, ninf) = (f32::INFINITY, f32::NEG_INFINITY);
                let n = |low, li, high, hi| Plan::Number {
                    field: field.clone(),
                    low,
                    low_inclusive: li,
                    high,
                    high_inclusive: hi,
                };
                match op {
                    Op::Eq => n(v, true, v, true),
                    Op::Ne => Plan::NumberNot {
                        field: field.clone(),
                        value: v,
                    },
                    Op::Lt => n(ninf, true, v, false),
                    Op::Le => n(ninf, true, v, true),
                    Op::Gt => n(v, false, inf, true),
                    Op::Ge => n(v, true, inf, true),
                }
            }
            Column::Flag(_) => {
                return Err(LangError::new(
                    *at,
                    format!("{field} is yes/no: write `{field}` or `not {field}`"),
                ))
            }
        },
        Expr::In {
            field,
            at,
            values,
            negated,
        } => match column(people, field, *at)? {
            Column::Category { dict, .. } => {
                let p = category(people, field, dict, values);
                if *negated {
                    Plan::Not(Box::new(p))
                } else {
                    p
                }
            }
            Column::Number(_) => {
                let mut parts = Vec::new();
                for (v, vat) in values {
                    let x = number_of(v, *vat, field)?;
                    parts.push(Plan::Number {
                        field: field.clone(),
                        low: x,
                        low_inclusive: true,
                        high: x,
                        high_inclusive: true,
                    });
                }
                let p = Plan::Or(parts);
                if *negated {
                    Plan::Not(Box::new(p))
                } else {
                    p
                }
            }
            Column::Flag(_) => {
                return Err(LangError::new(
                    *at,
                    format!("{field} is yes/no: write `{field}` or `not {field}`"),
                ))
            }
        },
        Expr::Between {
            field,
            at,
            low,
            high,
        } => match column(people, field, *at)? {
            Column::Number(_) => {
                let lo = number_of(&low.0, low.1, field)?;
                let hi = number_of(&high.0, high.1, field)?;
                if lo > hi {
                    return Err(LangError::new(
                        low.1,
                        format!("the low bound {lo} is above the high bound {hi}"),
                    ));
                }
                Plan::Number {
                    field: field.clone(),
                    low: lo,
                    low_inclusive: true,
                    high: hi,
                    high_inclusive: true,
                }
            }
            c => {
                return Err(LangError::new(
                    *at,
                    format!("between works on numbers; {field} is a {}", c.kind()),
                ))
            }
        },
        Expr::Call { func, at, arg } => match func.as_str() {
            "voted" => match &arg.0 {
                Value::Date(d) => Plan::Voted { date: *d },
                other => {
                    return Err(LangError::new(
                        arg.1,
                        format!("voted(...) takes an election date YYYY-MM-DD, not {other}"),
                    ))
                }
            },
            "tagged" | "listed" => match &arg.0 {
                Value::Text(s) => Plan::Tagged {
                    name: s.clone(),
                    list: func == "listed",
                },
                other => {
                    return Err(LangError::new(
                        arg.1,
                        format!("{func}(...) takes a quoted name, not {other}"),
                    ))
                }
            },
            other => {
                return Err(LangError::new(
                    *at,
                    format!("unknown function '{other}': use voted(YYYY-MM-DD), tagged(\"name\") or listed(\"name\")"),
                ))
            }
        },
    })
}

/// Parses and checks an expression against the people's columns.
pub fn plan(people: &People, expression: &str) -> Result<Plan, LangError> {
    compile(people, &lang::parse(expression)?)
}

impl Plan {
    /// The plan, one condition per line, indented by nesting, with what each reads.
    pub fn explain(&self, people: &People) -> String {
        let mut s = String::new();
        self.explain_into(people, 0, &mut s);
        s
    }

    fn explain_into(&self, people: &People, depth: usize, s: &mut String) {
        let pad = "  ".repeat(depth);
        match self {
            Plan::All => {
                let _ = writeln!(s, "{pad}everyone");
            }
            Plan::And(v) | Plan::Or(v) => {
                let _ = writeln!(
                    s,
                    "{pad}{} of:",
                    if matches!(self, Plan::And(_)) {
                        "all"
                    } else {
                        "any"
                    }
                );
                for p in v {
                    p.explain_into(people, depth + 1, s);
                }
            }
            Plan::Not(p) => {
                let _ = writeln!(s, "{pad}not:");
                p.explain_into(people, depth + 1, s);
            }
            Plan::Category {
                field,
                names,
                unknown,
                ..
            } => {
                let quoted: Vec<String> = names.iter().map(|n| format!("\"{n}\"")).collect();
                let _ = write!(s, "{pad}{field} in ({}) [category]", quoted.join(", "));
                if !unknown.is_empty() {
                    let _ = write!(s, " — no one has {}", unknown.join(", "));
                }
                s.push('\n');
            }
            Plan::Number {
                field,
                low,
                low_inclusive,
                high,
                high_inclusive,
            } => {
                let src = people
                    .sources
                    .get(field)
                    .map(|x| format!(" from {x}"))
                    .unwrap_or_default();
                let mut parts = Vec::new();
                if low.is_finite() {
                    parts.push(format!(
                        "{field} {} {low}",
                        if *low_inclusive { ">=" } else { ">" }
                    ));
                }
                if high.is_finite() {
                    parts.push(format!(
                        "{field} {} {high}",
                        if *high_inclusive { "<=" } else { "<" }
                    ));
                }
                let _ = writeln!(
                    s,
                    "{pad}{} [number{src}; unknown values never match]",
                    parts.join(" and ")
                );
            }
            Plan::NumberNot { field, value } => {
                let _ = writeln!(
                    s,
                    "{pad}{field} != {value} [number; unknown counts as different]"
                );
            }
            Plan::Flag { field } => {
                let _ = writeln!(s, "{pad}{field} [yes/no]");
            }
            Plan::Voted { date } => {
                let note = if people.voted.contains_key(date) {
                    ""
                } else {
                    " — no votes or counted ballots recorded for this date"
                };
                let _ = writeln!(
                    s,
                    "{pad}voted on {date} [vote history or a counted ballot]{note}"
                );
            }
            Plan::Tagged { name, list } => {
                let (what, map) = if *list {
                    ("on list", &people.lists)
                } else {
                    ("tagged", &people.tags)
                };
                let note = if map.contains_key(name) {
                    ""
                } else {
                    " — no such tag or list yet"
                };
                let _ = writeln!(s, "{pad}{what} \"{name}\"{note}");
            }
        }
    }

    /// The people selected.
    pub fn eval(&self, people: &People) -> Bitmap {
        let n = people.len();
        match self {
            Plan::All => Bitmap::full(n),
            Plan::And(v) => {
                let mut it = v.iter();
                let mut b = it
                    .next()
                    .map_or_else(|| Bitmap::full(n), |p| p.eval(people));
                for p in it {
                    b.and_with(&p.eval(people));
                }
                b
            }
            Plan::Or(v) => {
                let mut b = Bitmap::empty(n);
                for p in v {
                    b.or_with(&p.eval(people));
                }
                b
            }
            Plan::Not(p) => {
                let mut b = p.eval(people);
                b.negate();
                b
            }
            Plan::Category { field, codes, .. } => match people.columns.get(field) {
                Some(Column::Category { codes: col, .. }) => {
                    if codes.len() == 1 {
                        let c = codes[0];
                        Bitmap::from_slice(col, |x| *x == c)
                    } else {
                        let mut want = vec![false; 65_536];
                        for &c in codes {
                            want[c as usize] = true;
                        }
                        Bitmap::from_slice(col, |x| want[*x as usize])
                    }
                }
                _ => Bitmap::empty(n),
            },
            Plan::Number {
                field,
                low,
                low_inclusive,
                high,
                high_inclusive,
            } => match people.columns.get(field) {
                Some(Column::Number(col)) => {
                    let (lo, hi) = (*low, *high);
                    // One loop per kind of bounds, each a pair of branch-free compares (NaN
                    // compares false: unknown values never match).
                    match (*low_inclusive, *high_inclusive) {
                        (true, true) => Bitmap::from_slice(col, |v| (*v >= lo) & (*v <= hi)),
                        (true, false) => Bitmap::from_slice(col, |v| (*v >= lo) & (*v < hi)),
                        (false, true) => Bitmap::from_slice(col, |v| (*v > lo) & (*v <= hi)),
                        (false, false) => Bitmap::from_slice(col, |v| (*v > lo) & (*v < hi)),
                    }
                }
                _ => Bitmap::empty(n),
            },
            Plan::NumberNot { field, value } => match people.columns.get(field) {
                Some(Column::Number(col)) => Bitmap::from_slice(col, |v| *v != *value),
                _ => Bitmap::full(n),
            },
            Plan::Flag { field } => match people.columns.get(field) {
                Some(Column::Flag(b)) => b.clone(),
                _ => Bitmap::empty(n),
            },
            Plan::Voted { date } => people
                .voted
                .get(date)
                .cloned()
                .unwrap_or_else(|| Bitmap::empty(n)),
            Plan::Tagged { name, list } => {
                let map = if *list { &people.lists } else { &people.tags };
                map.get(name).cloned().unwrap_or_else(|| Bitmap::empty(n))
            }
        }
    }
}

/// Counts of the selected people per value of a category column, largest first (unknown
/// values as "(unknown)").
pub fn breakdown(people: &People, selected: &Bitmap, by: &str) -> Option<Vec<(String, u64)>> {
    let Some(Column::Category { codes, dict }) = people.columns.get(by) else {
        return None;
    };
    let mut counts = vec![0u64; dict.len()];
    for i in selected.ones() {
        counts[codes[i] as usize] += 1;
    }
    let mut out: Vec<(String, u64)> = counts
        .into_iter()
        .enumerate()
        .filter(|(_, c)| *c > 0)
        .map(|(k, c)| {
            (
                if k == 0 {
                    "(unknown)".to_string()
                } else {
                    dict[k].clone()
                },
                c,
            )
        })
        .collect();
    out.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    Some(out)
}
