//! The people as columns, in memory: what universes are counted over. Categories are coded
//! (`u16` per person and a dictionary), numbers are `f32` (NaN when unknown), yes/no fields and
//! "voted on this date", "has this tag" are bitmaps.

use std::collections::{BTreeMap, HashMap};

use crate::bitmap::Bitmap;

/// Distinct values one category column may hold (codes are `u16`; 0 is "unknown").
pub const CATEGORY_VALUES_MAX: usize = 65_535;

#[derive(Debug, Clone)]
pub enum Column {
    Category { codes: Vec<u16>, dict: Vec<String> },
    Number(Vec<f32>),
    Flag(Bitmap),
}

impl Column {
    pub fn kind(&self) -> &'static str {
        match self {
            Column::Category { .. } => "category",
            Column::Number(_) => "number",
            Column::Flag(_) => "yes/no",
        }
    }
}

/// Builds one category column value by value.
#[derive(Debug, Default)]
pub struct CategoryBuilder {
    codes: Vec<u16>,
    dict: Vec<String>,
    index: HashMap<String, u16>,
    overflow: bool,
}

impl CategoryBuilder {
    pub fn new() -> CategoryBuilder {
        CategoryBuilder {
            codes: Vec::new(),
            dict: vec![String::new()],
            index: HashMap::new(),
            overflow: false,
        }
    }

    /// Appends one person's value (empty: unknown). Values are compared upper-case.
    pub fn push(&mut self, v: &str) {
        let v = v.trim();
        if v.is_empty() {
            self.codes.push(0);
            return;
        }
        let key = v.to_uppercase();
        let next = self.dict.len();
        let code = match self.index.get(&key) {
            Some(c) => *c,
            None if next <= CATEGORY_VALUES_MAX => {
                self.index.insert(key.clone(), next as u16);
                self.dict.push(key);
                next as u16
            }
            None => {
                self.overflow = true;
                0
            }
        };
        self.codes.push(code);
    }

    /// Sets the value of person `i` (pushed before as unknown).
    pub fn set(&mut self, i: usize, v: &str) {
        self.push(v);
        let c = self.codes.pop().expect("just pushed");
        self.codes[i] = c;
    }

    pub fn len(&self) -> usize {
        self.codes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.codes.is_empty()
    }

    /// The column; `overflowed` tells whether values beyond `CATEGORY_VALUES_MAX` were lost.
    pub fn finish(self) -> (Column, bool) {
        (
            Column::Category {
                codes: self.codes,
                dict: self.dict,
            },
            self.overflow,
        )
    }
}

/// Everyone a universe can select, as columns.
#[derive(Debug, Clone, Default)]
pub struct People {
    /// Person ids, in row order.
    pub ids: Vec<i64>,
    pub columns: BTreeMap<String, Column>,
    /// Election date → who voted (vote history, or a counted ballot).
    pub voted: BTreeMap<model::Date, Bitmap>,
    pub tags: BTreeMap<String, Bitmap>,
    pub lists: BTreeMap<String, Bitmap>,
    /// Where each number column came from (e.g. "model 12"), for `explain`.
    pub sources: BTreeMap<String, String>,
    /// Contact attempts (field results): who, on which channel, when — for frequency caps.
    pub contacts: Vec<Attempt>,
    /// Household id per row (0: none known) — the doors of turfs.
    pub households: Vec<i64>,
    /// Dated events for series over time: registrations of this cycle (amount 1) and gifts
    /// of this cycle (amount in cents; refunds are not among them).
    pub registered_on: Vec<Dated>,
    pub gifts: Vec<Dated>,
}

/// Something that happened to a person on a day, with an amount.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dated {
    pub row: u32,
    pub date: model::Date,
    pub amount: u32,
}

/// One contact attempt on a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attempt {
    pub row: u32,
    pub channel: crate::allocate::Channel,
    pub date: model::Date,
}

impl People {
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Adds a column; its length must be the number of people.
    pub fn add(&mut self, name: &str, c: Column) {
        let n = match &c {
            Column::Category { codes, .. } => codes.len(),
            Column::Number(v) => v.len(),
            Column::Flag(b) => b.len(),
        };
        assert_eq!(
            n,
            self.ids.len(),
            "column {name} has {n} rows, not {}",
            self.ids.len()
        );
        self.columns.insert(name.to_string(), c);
    }

    /// The field names with their kinds, for error messages and the page.
    pub fn fields(&self) -> Vec<(String, &'static str)> {
        let mut v: Vec<(String, &'static str)> = self
            .columns
            .iter()
            .map(|(k, c)| (k.clone(), c.kind()))
            .collect();
        v.extend([
            ("voted(YYYY-MM-DD)".to_string(), "function"),
            ("tagged(\"name\")".to_string(), "function"),
            ("listed(\"name\")".to_string(), "function"),
        ]);
        v
    }
}

impl People {
    /// The people repeated to `n` rows (row `i` is row `i % len`; ids are made unique by
    /// adding a multiple of the largest id): benchmarks at a size the store does not have.
    pub fn repeated(&self, n: usize) -> People {
        let len = self.len().max(1);
        let step = self.ids.iter().copied().max().unwrap_or(0) + 1;
        let rep = |b: &Bitmap| Bitmap::from_fn(n, |i| b.get(i % len));
        People {
            ids: (0..n)
                .map(|i| self.ids[i % len] + step * (i / len) as i64)
                .collect(),
            columns: self
                .columns
                .iter()
                .map(|(k, c)| {
                    let c = match c {
                        Column::Category { codes, dict } => Column::Category {
                            codes: (0..n).map(|i| codes[i % len]).collect(),
                            dict: dict.clone(),
                        },
                        Column::Number(v) => Column::Number((0..n).map(|i| v[i % len]).collect()),
                        Column::Flag(b) => Column::Flag(rep(b)),
                    };
                    (k.clone(), c)
                })
                .collect(),
            voted: self.voted.iter().map(|(k, b)| (*k, rep(b))).collect(),
            tags: self.tags.iter().map(|(k, b)| (k.clone(), rep(b))).collect(),
            lists: self
                .lists
                .iter()
                .map(|(k, b)| (k.clone(), rep(b)))
                .collect(),
            sources: self.sources.clone(),
            // Attempts of the first copy only: the repeated rows have no history.
            contacts: self.contacts.clone(),
            households: (0..n)
                .map(|i| match self.households.get(i % len) {
                    Some(&h) if h != 0 => h + step * (i / len) as i64,
                    _ => 0,
                })
                .collect(),
            // Like attempts: the first copy's only.
            registered_on: self.registered_on.clone(),
            gifts: self.gifts.clone(),
        }
    }
}
