//! Features: what the store knows about a person, turned into numbers relative to one
//! election (`as_of`). Only elections before `as_of` count, so a turnout model trained on a
//! past election and applied to the next one sees the same kind of history both times.

use model::Date;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

use crate::{Matrix, Target};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ElectionKind {
    General,
    Primary,
    Municipal,
    Other,
}

impl ElectionKind {
    pub fn parse(s: &str) -> ElectionKind {
        match s {
            "general" => ElectionKind::General,
            "primary" => ElectionKind::Primary,
            "municipal" => ElectionKind::Municipal,
            _ => ElectionKind::Other,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    ElectionDay,
    Early,
    Mail,
    Other,
}

impl Method {
    pub fn parse(s: &str) -> Method {
        match s {
            "election_day" => Method::ElectionDay,
            "early" => Method::Early,
            "mail" => Method::Mail,
            _ => Method::Other,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Vote {
    pub date: Date,
    pub kind: ElectionKind,
    pub method: Method,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Party {
    Dem,
    Rep,
    #[default]
    Unaffiliated,
    Other,
}

impl Party {
    pub fn parse(s: &str) -> Party {
        match s {
            "DEM" => Party::Dem,
            "REP" => Party::Rep,
            "UNA" | "" => Party::Unaffiliated,
            _ => Party::Other,
        }
    }
}

/// What the store knows about one registered person (no names, no addresses: features only).
#[derive(Debug, Clone, Default)]
pub struct Facts {
    pub person_id: i64,
    pub birth_year: Option<u16>,
    /// `F`, `M` or anything else (unknown).
    pub sex: u8,
    /// The file's race code (`W`, `B`, `A`, `I`, `M`, `O`, `U`, …).
    pub race: u8,
    pub hispanic: bool,
    pub party: Party,
    pub registration_date: Option<Date>,
    /// Status other than active (inactive, temporary).
    pub inactive: bool,
    /// Index of the precinct (`Context` aggregates by it).
    pub precinct: u32,
    /// Index of the household.
    pub household: u32,
    /// Votes cast, any order.
    pub votes: Vec<Vote>,
    pub volunteer: bool,
    pub gifts: u32,
    pub gift_cents: i64,
    /// Canvass attempts (doors knocked, calls) and contacts made.
    pub canvass_attempts: u16,
    pub canvass_contacts: u16,
}

/// The features, in column order. Each names the targets it is withheld from (the donor model
/// does not see donations; no model sees a support ID).
pub struct FeatureDef {
    pub name: &'static str,
    pub withheld_from: &'static [Target],
}

const fn f(name: &'static str) -> FeatureDef {
    FeatureDef {
        name,
        withheld_from: &[],
    }
}

pub const FEATURES: &[FeatureDef] = &[
    f("age"),
    f("age_squared_over_100"),
    f("female"),
    f("male"),
    f("race_black"),
    f("race_white"),
    f("race_asian"),
    f("race_other"),
    f("hispanic"),
    f("party_dem"),
    f("party_rep"),
    f("party_unaffiliated"),
    f("inactive"),
    f("registration_years"),
    f("voted_general_1"),
    f("voted_general_2"),
    f("voted_general_3"),
    f("voted_primary_1"),
    f("voted_primary_2"),
    f("voted_municipal_1"),
    f("votes_before"),
    f("share_of_elections_voted"),
    f("eligible_elections"),
    f("share_early"),
    f("share_mail"),
    f("years_since_last_vote"),
    f("household_size"),
    f("household_dem_share"),
    f("household_rep_share"),
    f("household_voted_general_1_share"),
    f("precinct_voted_general_1_share"),
    f("precinct_dem_share"),
    f("precinct_rep_share"),
    f("volunteer"),
    FeatureDef {
        name: "gifts_log",
        withheld_from: &[Target::Donor],
    },
    FeatureDef {
        name: "gift_dollars_log",
        withheld_from: &[Target::Donor],
    },
    f("canvass_attempts"),
    f("canvass_contacts"),
];

/// Years since the last vote when a person never voted in the history.
pub const YEARS_SINCE_LAST_VOTE_NEVER: f64 = 12.0;

/// Names of the features a target's model uses, in column order.
pub fn feature_names(target: Target) -> Vec<&'static str> {
    FEATURES
        .iter()
        .filter(|d| !d.withheld_from.contains(&target))
        .map(|d| d.name)
        .collect()
}

/// Aggregates over everyone, for one `as_of` date: the election calendar, precinct and
/// household figures.
pub struct Context {
    pub as_of: Date,
    /// Elections held before `as_of` (from the vote history), newest first.
    pub elections: Vec<(Date, ElectionKind)>,
    household_size: Vec<u32>,
    household_dem: Vec<u32>,
    household_rep: Vec<u32>,
    household_voted_g1: Vec<u32>,
    precinct_size: Vec<u32>,
    precinct_dem: Vec<u32>,
    precinct_rep: Vec<u32>,
    precinct_voted_g1: Vec<u32>,
}

fn voted_on(votes: &[Vote], d: Date) -> bool {
    votes.iter().any(|v| v.date == d)
}

impl Context {
    /// Builds the aggregates over `people` as of the election on `as_of`.
    pub fn new(people: &[Facts], as_of: Date) -> Context {
        let mut calendar: HashMap<Date, ElectionKind> = HashMap::new();
        for p in people {
            for v in &p.votes {
                if v.date < as_of {
                    calendar.insert(v.date, v.kind);
                }
            }
        }
        let mut elections: Vec<(Date, ElectionKind)> = calendar.into_iter().collect();
        elections.sort_by(|a, b| b.0.cmp(&a.0));
        let g1 = elections
            .iter()
            .find(|e| e.1 == ElectionKind::General)
            .map(|e| e.0);
        let nh = people
            .iter()
            .map(|p| p.household as usize + 1)
            .max()
            .unwrap_or(0);
        let np = people
            .iter()
            .map(|p| p.precinct as usize + 1)
            .max()
            .unwrap_or(0);
        let mut c = Context {
            as_of,
            elections,
            household_size: vec![0; nh],
            household_dem: vec![0; nh],
            household_rep: vec![0; nh],
            household_voted_g1: vec![0; nh],
            precinct_size: vec![0; np],
            precinct_dem: vec![0; np],
            precinct_rep: vec![0; np],
            precinct_voted_g1: vec![0; np],
        };
        for p in people {
            let (h, r) = (p.household as usize, p.precinct as usize);
            let dem = u32::from(p.party == Party::Dem);
            let rep = u32::from(p.party == Party::Rep);
            let g = u32::from(g1.is_some_and(|d| voted_on(&p.votes, d)));
            c.household_size[h] += 1;
            c.household_dem[h] += dem;
            c.household_rep[h] += rep;
            c.household_voted_g1[h] += g;
            c.precinct_size[r] += 1;
            c.precinct_dem[r] += dem;
            c.precinct_rep[r] += rep;
            c.precinct_voted_g1[r] += g;
        }
        c
    }

    fn nth(&self, kind: ElectionKind, n: usize) -> Option<Date> {
        self.elections
            .iter()
            .filter(|e| e.1 == kind)
            .nth(n)
            .map(|e| e.0)
    }

    /// All features of one person (every column of `FEATURES`).
    pub fn row(&self, p: &Facts) -> [f64; FEATURES.len()] {
        let as_of = self.as_of;
        let age = p
            .birth_year
            .map(|y| f64::from(as_of.year) - f64::from(y))
            .unwrap_or(45.0);
        let votes: Vec<&Vote> = p.votes.iter().filter(|v| v.date < as_of).collect();
        let voted = |kind, n| match self.nth(kind, n) {
            Some(d) => f64::from(u8::from(votes.iter().any(|v| v.date == d))),
            None => 0.0,
        };
        let reg_years = p
            .registration_date
            .map(|d| ((as_of.to_days() - d.to_days()) as f64 / 365.25).max(0.0))
            .unwrap_or(0.0);
        // Elections the person could have voted in: held after they turned 18 and registered.
        let eligible = self
            .elections
            .iter()
            .filter(|e| {
                p.birth_year.is_none_or(|y| e.0.year >= y + 18)
                    && p.registration_date.is_none_or(|r| r <= e.0)
            })
            .count();
        let n = votes.len() as f64;
        let share = |m: Method| {
            if votes.is_empty() {
                0.0
            } else {
                votes.iter().filter(|v| v.method == m).count() as f64 / n
            }
        };
        let last = votes.iter().map(|v| v.date).max();
        let since = last
            .map(|d| (as_of.to_days() - d.to_days()) as f64 / 365.25)
            .unwrap_or(YEARS_SINCE_LAST_VOTE_NEVER);
        let (h, r) = (p.household as usize, p.precinct as usize);
        let hs = f64::from(self.household_size[h].max(1));
        let me_dem = f64::from(u8::from(p.party == Party::Dem));
        let me_rep = f64::from(u8::from(p.party == Party::Rep));
        let g1 = voted(ElectionKind::General, 0);
        // Household shares among the *other* members (the person's own party is its own feature).
        let others = (hs - 1.0).max(1.0);
        let ps = f64::from(self.precinct_size[r].max(1));
        [
            age,
            age * age / 100.0,
            f64::from(u8::from(p.sex == b'F')),
            f64::from(u8::from(p.sex == b'M')),
            f64::from(u8::from(p.race == b'B')),
            f64::from(u8::from(p.race == b'W')),
            f64::from(u8::from(p.race == b'A')),
            f64::from(u8::from(!matches!(p.race, b'B' | b'W' | b'A' | b'U' | 0))),
            f64::from(u8::from(p.hispanic)),
            me_dem,
            me_rep,
            f64::from(u8::from(p.party == Party::Unaffiliated)),
            f64::from(u8::from(p.inactive)),
            reg_years,
            g1,
            voted(ElectionKind::General, 1),
            voted(ElectionKind::General, 2),
            voted(ElectionKind::Primary, 0),
            voted(ElectionKind::Primary, 1),
            voted(ElectionKind::Municipal, 0),
            n,
            if eligible == 0 {
                0.0
            } else {
                n / eligible as f64
            },
            eligible as f64,
            share(Method::Early),
            share(Method::Mail),
            since.min(YEARS_SINCE_LAST_VOTE_NEVER),
            hs,
            (f64::from(self.household_dem[h]) - me_dem) / others,
            (f64::from(self.household_rep[h]) - me_rep) / others,
            (f64::from(self.household_voted_g1[h]) - g1) / others,
            f64::from(self.precinct_voted_g1[r]) / ps,
            f64::from(self.precinct_dem[r]) / ps,
            f64::from(self.precinct_rep[r]) / ps,
            f64::from(u8::from(p.volunteer)),
            (1.0 + f64::from(p.gifts)).ln(),
            (1.0 + p.gift_cents as f64 / 100.0).ln(),
            f64::from(p.canvass_attempts),
            f64::from(p.canvass_contacts),
        ]
    }

    /// The feature matrix of `people` for `target` (column-major, columns in
    /// `feature_names(target)` order).
    pub fn matrix(&self, people: &[&Facts], target: Target) -> Matrix {
        let keep: Vec<usize> = FEATURES
            .iter()
            .enumerate()
            .filter(|(_, d)| !d.withheld_from.contains(&target))
            .map(|(i, _)| i)
            .collect();
        let rows: Vec<[f64; FEATURES.len()]> = people.par_iter().map(|p| self.row(p)).collect();
        let n = people.len();
        let mut data = vec![0.0; n * keep.len()];
        data.par_chunks_mut(n.max(1))
            .zip(keep.par_iter())
            .for_each(|(col, &j)| {
                for (i, r) in rows.iter().enumerate() {
                    col[i] = r[j];
                }
            });
        Matrix {
            rows: n,
            cols: keep.len(),
            data,
            names: keep.iter().map(|&j| FEATURES[j].name.to_string()).collect(),
        }
    }

    /// Whether the person voted in the election on `date` (a turnout label).
    pub fn voted(p: &Facts, date: Date) -> bool {
        voted_on(&p.votes, date)
    }
}
