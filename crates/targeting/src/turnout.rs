//! Election day in memory, no IO: every registered voter with their precinct, scores and
//! whether they have voted (counted early/absentee ballot, or a report from a poll watcher or
//! a call-in), the precincts with their expectation and reporting, chase lists and the
//! turnout board.
//!
//! Reports are applied by journal sequence number: applying one twice, or an older one after
//! a newer one, changes nothing, so the board can be rebuilt from the journal while reports
//! keep arriving and every report is applied exactly once in effect.

use std::collections::HashMap;

use serde::Serialize;

/// A supporter, for chase lists: support score at least this.
pub const CHASE_SUPPORT_MIN: f32 = 0.5;
/// A precinct with a watcher but no report for this long (while the polls are open) is
/// flagged silent.
pub const SILENT_PRECINCT_SECONDS: i64 = 30 * 60;
/// Rows of one chase list page at most.
pub const CHASE_ROWS_MAX: usize = 1_000;

/// One voter as the board is built.
#[derive(Debug, Clone)]
pub struct VoterIn {
    /// The state's voter id (NC: NCID).
    pub voter_id: String,
    pub person_id: Option<i64>,
    pub county: String,
    pub precinct: String,
    /// Support score (0–1) from the approved model, if any.
    pub support: Option<f32>,
    /// Turnout score (0–1) from the approved model, if any.
    pub turnout: Option<f32>,
    /// A counted early-vote or absentee ballot for this election.
    pub early: bool,
}

/// Whether a report says the voter voted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Voted,
    NotVoted,
}

impl Status {
    pub fn parse(s: &str) -> Option<Status> {
        match s {
            "voted" => Some(Status::Voted),
            "not_voted" => Some(Status::NotVoted),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Voted => "voted",
            Status::NotVoted => "not_voted",
        }
    }
}

#[derive(Debug, Clone, Copy, Default)]
struct Reported {
    seq: i64,
    voted: bool,
}

/// A precinct's figures.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PrecinctRow {
    pub county: String,
    pub precinct: String,
    pub registered: u32,
    /// Counted early/absentee ballots.
    pub early: u32,
    /// Voters reported at the polls today (not counting early voters again).
    pub reported: u32,
    /// Early + reported.
    pub voted: u32,
    /// Supporters (support ≥ `CHASE_SUPPORT_MIN`) who have not voted yet.
    pub chase: u32,
    /// The model's expected turnout by the end of the day (early voters count as 1); `None`
    /// when no turnout model is applied.
    pub expected_total: Option<f64>,
    /// Expected by now (`day_share` of the election-day part).
    pub expected_now: Option<f64>,
    pub watchers: u32,
    /// Seconds since the epoch of the newest report received (0: none).
    pub last_report_at: i64,
    /// A watcher is assigned and reported within `SILENT_PRECINCT_SECONDS`.
    pub reporting: bool,
    /// A watcher is assigned and nothing came for `SILENT_PRECINCT_SECONDS`.
    pub silent: bool,
}

#[derive(Debug, Clone, Default)]
struct Precinct {
    county: u16,
    code: String,
    voters: Vec<u32>,
    early: u32,
    reported: u32,
    chase: u32,
    expected_rest: f64,
    has_expectation: bool,
    watchers: u32,
    last_report_at: i64,
}

/// Totals over a set of precincts, with reporting coverage.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Totals {
    pub name: String,
    pub precincts: u32,
    pub registered: u64,
    pub early: u64,
    pub reported: u64,
    pub voted: u64,
    pub chase: u64,
    pub expected_total: Option<f64>,
    pub expected_now: Option<f64>,
    /// Precincts with a watcher assigned.
    pub watched: u32,
    /// Precincts reporting (a report within `SILENT_PRECINCT_SECONDS`).
    pub reporting: u32,
    /// Share of registered voters in reporting precincts: how much of the "reported" figure
    /// the watchers can see.
    pub coverage: f64,
    /// In reporting precincts only: voted, and expected by now.
    pub voted_in_reporting: u64,
    pub expected_now_in_reporting: Option<f64>,
    pub silent: u32,
}

/// One row of a chase list.
#[derive(Debug, Clone, Serialize)]
pub struct ChaseRow {
    pub voter_id: String,
    pub person_id: Option<i64>,
    pub support: f32,
    pub turnout: Option<f32>,
}

/// What applying a report changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    /// The voter's state changed.
    Changed,
    /// Older than what the board has, or the same state again.
    Unchanged,
    /// No such voter on the board.
    UnknownVoter,
}

/// Election day in memory.
#[derive(Debug, Default)]
pub struct Board {
    ids: String,
    id_end: Vec<u32>,
    /// Voter rows sorted by id, for lookups.
    sorted: Vec<u32>,
    person: Vec<Option<i64>>,
    precinct: Vec<u32>,
    support: Vec<f32>,
    turnout: Vec<f32>,
    early: Vec<bool>,
    reported: Vec<Reported>,
    precincts: Vec<Precinct>,
    /// Per county, precinct code → precinct.
    precinct_index: Vec<HashMap<String, u32>>,
    counties: Vec<String>,
    /// The newest journal sequence number applied.
    pub applied_seq: i64,
}

impl Board {
    /// Builds the board from the voters (any order).
    pub fn new(voters: impl IntoIterator<Item = VoterIn>) -> Board {
        let mut b = Board::default();
        let mut county_index: HashMap<String, u16> = HashMap::new();
        for v in voters {
            let row = b.person.len() as u32;
            let c = match county_index.get(&v.county) {
                Some(c) => *c,
                None => {
                    b.counties.push(v.county.clone());
                    b.precinct_index.push(HashMap::new());
                    let c = (b.counties.len() - 1) as u16;
                    county_index.insert(v.county.clone(), c);
                    c
                }
            };
            let p = match b.precinct_index[c as usize].get(&v.precinct) {
                Some(p) => *p,
                None => {
                    b.precincts.push(Precinct {
                        county: c,
                        code: v.precinct.clone(),
                        ..Default::default()
                    });
                    let p = (b.precincts.len() - 1) as u32;
                    b.precinct_index[c as usize].insert(v.precinct.clone(), p);
                    p
                }
            };
            b.ids.push_str(&v.voter_id);
            b.id_end.push(b.ids.len() as u32);
            b.person.push(v.person_id);
            b.precinct.push(p);
            b.support.push(v.support.unwrap_or(f32::NAN));
            b.turnout.push(v.turnout.unwrap_or(f32::NAN));
            b.early.push(v.early);
            b.reported.push(Reported::default());
            let pr = &mut b.precincts[p as usize];
            pr.voters.push(row);
            if v.early {
                pr.early += 1;
            } else {
                if let Some(t) = v.turnout {
                    pr.expected_rest += t.clamp(0.0, 1.0) as f64;
                }
                if v.support.is_some_and(|s| s >= CHASE_SUPPORT_MIN) {
                    pr.chase += 1;
                }
            }
            if v.turnout.is_some() {
                pr.has_expectation = true;
            }
        }
        let mut sorted: Vec<u32> = (0..b.person.len() as u32).collect();
        sorted.sort_unstable_by(|x, y| b.id(*x).cmp(b.id(*y)));
        b.sorted = sorted;
        b
    }

    fn id(&self, row: u32) -> &str {
        let end = self.id_end[row as usize] as usize;
        let start = if row == 0 {
            0
        } else {
            self.id_end[row as usize - 1] as usize
        };
        &self.ids[start..end]
    }

    /// The row of a voter id.
    pub fn row_of(&self, voter_id: &str) -> Option<u32> {
        self.sorted
            .binary_search_by(|r| self.id(*r).cmp(voter_id))
            .ok()
            .map(|i| self.sorted[i])
    }

    /// Voters on the board.
    pub fn len(&self) -> usize {
        self.person.len()
    }

    pub fn is_empty(&self) -> bool {
        self.person.is_empty()
    }

    /// The county and precinct of a voter.
    pub fn place_of(&self, voter_id: &str) -> Option<(&str, &str)> {
        let r = self.row_of(voter_id)?;
        let p = &self.precincts[self.precinct[r as usize] as usize];
        Some((&self.counties[p.county as usize], &p.code))
    }

    /// Whether the voter has voted (counted early/absentee ballot, or reported today).
    pub fn has_voted(&self, voter_id: &str) -> Option<bool> {
        self.row_of(voter_id).map(|r| self.voted(r))
    }

    fn voted(&self, r: u32) -> bool {
        self.early[r as usize] || self.reported[r as usize].voted
    }

    /// Sets how many watchers each precinct has: `(county, precinct) → count`.
    pub fn set_watchers(&mut self, watchers: &HashMap<(String, String), u32>) {
        for p in &mut self.precincts {
            p.watchers = 0;
        }
        for ((county, precinct), n) in watchers {
            if let Some(p) = self.precinct_of(county, precinct) {
                self.precincts[p as usize].watchers = *n;
            }
        }
    }

    fn precinct_of(&self, county: &str, precinct: &str) -> Option<u32> {
        let c = self.counties.iter().position(|c| c == county)?;
        self.precinct_index[c].get(precinct).copied()
    }

    /// Applies one journal report (`received_at`: seconds since the epoch).
    pub fn apply(&mut self, seq: i64, voter_id: &str, status: Status, received_at: i64) -> Applied {
        self.applied_seq = self.applied_seq.max(seq);
        let Some(r) = self.row_of(voter_id) else {
            return Applied::UnknownVoter;
        };
        let ri = r as usize;
        let p = self.precinct[ri] as usize;
        self.precincts[p].last_report_at = self.precincts[p].last_report_at.max(received_at);
        let cur = self.reported[ri];
        if seq <= cur.seq {
            return Applied::Unchanged;
        }
        let voted = status == Status::Voted;
        self.reported[ri] = Reported { seq, voted };
        if cur.voted == voted {
            return Applied::Unchanged;
        }
        if !self.early[ri] {
            let supporter = self.support[ri] >= CHASE_SUPPORT_MIN;
            let pr = &mut self.precincts[p];
            if voted {
                pr.reported += 1;
                pr.chase -= supporter as u32;
            } else {
                pr.reported -= 1;
                pr.chase += supporter as u32;
            }
        }
        Applied::Changed
    }

    fn row(&self, p: u32, now: i64, day_share: f64) -> PrecinctRow {
        let pr = &self.precincts[p as usize];
        let expected_total = pr
            .has_expectation
            .then(|| pr.early as f64 + pr.expected_rest);
        let expected_now = pr
            .has_expectation
            .then(|| pr.early as f64 + pr.expected_rest * day_share.clamp(0.0, 1.0));
        let fresh = pr.last_report_at > 0 && now - pr.last_report_at <= SILENT_PRECINCT_SECONDS;
        PrecinctRow {
            county: self.counties[pr.county as usize].clone(),
            precinct: pr.code.clone(),
            registered: pr.voters.len() as u32,
            early: pr.early,
            reported: pr.reported,
            voted: pr.early + pr.reported,
            chase: pr.chase,
            expected_total,
            expected_now,
            watchers: pr.watchers,
            last_report_at: pr.last_report_at,
            reporting: pr.watchers > 0 && fresh,
            silent: pr.watchers > 0 && !fresh,
        }
    }

    /// Every precinct (of `county` if given), by county and code.
    pub fn precincts(&self, county: Option<&str>, now: i64, day_share: f64) -> Vec<PrecinctRow> {
        let mut ps: Vec<u32> = (0..self.precincts.len() as u32)
            .filter(|p| {
                county
                    .is_none_or(|c| self.counties[self.precincts[*p as usize].county as usize] == c)
            })
            .collect();
        ps.sort_by(|a, b| {
            let (x, y) = (&self.precincts[*a as usize], &self.precincts[*b as usize]);
            self.counties[x.county as usize]
                .cmp(&self.counties[y.county as usize])
                .then(x.code.cmp(&y.code))
        });
        ps.into_iter()
            .map(|p| self.row(p, now, day_share))
            .collect()
    }

    /// One precinct's row.
    pub fn precinct(
        &self,
        county: &str,
        precinct: &str,
        now: i64,
        day_share: f64,
    ) -> Option<PrecinctRow> {
        self.precinct_of(county, precinct)
            .map(|p| self.row(p, now, day_share))
    }

    /// Totals per county (sorted by name) and over all of them (last, named "all").
    pub fn totals(&self, rows: &[PrecinctRow]) -> Vec<Totals> {
        let mut by: std::collections::BTreeMap<&str, Totals> = Default::default();
        let mut all = Totals {
            name: "all".into(),
            ..Default::default()
        };
        let mut reporting_registered: HashMap<String, u64> = HashMap::new();
        for r in rows {
            let t = by.entry(&r.county).or_insert_with(|| Totals {
                name: r.county.clone(),
                ..Default::default()
            });
            for t in [t, &mut all] {
                t.precincts += 1;
                t.registered += r.registered as u64;
                t.early += r.early as u64;
                t.reported += r.reported as u64;
                t.voted += r.voted as u64;
                t.chase += r.chase as u64;
                add_opt(&mut t.expected_total, r.expected_total);
                add_opt(&mut t.expected_now, r.expected_now);
                t.watched += (r.watchers > 0) as u32;
                t.silent += r.silent as u32;
                if r.reporting {
                    t.reporting += 1;
                    t.voted_in_reporting += r.voted as u64;
                    add_opt(&mut t.expected_now_in_reporting, r.expected_now);
                    *reporting_registered.entry(t.name.clone()).or_default() += r.registered as u64;
                }
            }
        }
        let mut out: Vec<Totals> = by.into_values().collect();
        out.push(all);
        for t in &mut out {
            let rr = reporting_registered.get(&t.name).copied().unwrap_or(0);
            t.coverage = if t.registered == 0 {
                0.0
            } else {
                rr as f64 / t.registered as f64
            };
        }
        out
    }

    /// Supporters who have not voted yet, among `rows` (voter rows), best first: support,
    /// then turnout score, then voter id.
    fn chase_of(&self, rows: impl Iterator<Item = u32>, limit: usize) -> Vec<ChaseRow> {
        let mut c: Vec<u32> = rows
            .filter(|r| self.support[*r as usize] >= CHASE_SUPPORT_MIN && !self.voted(*r))
            .collect();
        c.sort_by(|a, b| {
            let (a, b) = (*a as usize, *b as usize);
            self.support[b]
                .total_cmp(&self.support[a])
                .then(nan_low(self.turnout[b]).total_cmp(&nan_low(self.turnout[a])))
                .then(self.id(a as u32).cmp(self.id(b as u32)))
        });
        c.truncate(limit.min(CHASE_ROWS_MAX));
        c.into_iter()
            .map(|r| ChaseRow {
                voter_id: self.id(r).to_string(),
                person_id: self.person[r as usize],
                support: self.support[r as usize],
                turnout: Some(self.turnout[r as usize]).filter(|t| !t.is_nan()),
            })
            .collect()
    }

    /// A precinct's chase list.
    pub fn chase_precinct(&self, county: &str, precinct: &str, limit: usize) -> Vec<ChaseRow> {
        match self.precinct_of(county, precinct) {
            Some(p) => self.chase_of(self.precincts[p as usize].voters.iter().copied(), limit),
            None => Vec::new(),
        }
    }

    /// A chase list over given people (a turf's): their registrations on the board, and how
    /// many are on the whole list (not only the `limit` returned).
    pub fn chase_people(&self, people: &[i64], limit: usize) -> (u32, Vec<ChaseRow>) {
        let want: std::collections::HashSet<i64> = people.iter().copied().collect();
        let rows: Vec<u32> = (0..self.person.len() as u32)
            .filter(|r| self.person[*r as usize].is_some_and(|p| want.contains(&p)))
            .collect();
        let total = rows
            .iter()
            .filter(|r| self.support[**r as usize] >= CHASE_SUPPORT_MIN && !self.voted(**r))
            .count() as u32;
        (total, self.chase_of(rows.into_iter(), limit))
    }

    /// The voter ids of a precinct (its roster), in board order.
    pub fn roster(&self, county: &str, precinct: &str) -> Vec<(String, bool, bool)> {
        match self.precinct_of(county, precinct) {
            Some(p) => self.precincts[p as usize]
                .voters
                .iter()
                .map(|r| {
                    (
                        self.id(*r).to_string(),
                        self.voted(*r),
                        self.support[*r as usize] >= CHASE_SUPPORT_MIN,
                    )
                })
                .collect(),
            None => Vec::new(),
        }
    }
}

fn nan_low(x: f32) -> f32 {
    if x.is_nan() {
        f32::NEG_INFINITY
    } else {
        x
    }
}

fn add_opt(acc: &mut Option<f64>, x: Option<f64>) {
    if let Some(x) = x {
        *acc = Some(acc.unwrap_or(0.0) + x);
    }
}

/// Share of the election-day vote cast by `minutes` after the polls open, for polls open
/// `open_minutes` (NC: 6:30–19:30, 780 minutes). An assumption, named: a morning rush, a
/// lunch bump and an after-work rush, as piecewise-linear cumulative shares at the fractions
/// of the day in `DAY_CURVE`.
pub fn day_share(minutes: f64, open_minutes: f64) -> f64 {
    if open_minutes <= 0.0 {
        return 1.0;
    }
    let x = (minutes / open_minutes).clamp(0.0, 1.0);
    for w in DAY_CURVE.windows(2) {
        let ((x0, y0), (x1, y1)) = (w[0], w[1]);
        if x <= x1 {
            return y0 + (y1 - y0) * (x - x0) / (x1 - x0);
        }
    }
    1.0
}

/// Cumulative share of the day's vote at fractions of the polling day (assumed curve).
pub const DAY_CURVE: [(f64, f64); 7] = [
    (0.0, 0.0),
    (0.15, 0.20),
    (0.35, 0.38),
    (0.50, 0.50),
    (0.70, 0.64),
    (0.90, 0.90),
    (1.0, 1.0),
];

#[cfg(test)]
mod tests {
    use super::*;

    fn v(id: &str, precinct: &str, support: f32, turnout: f32, early: bool) -> VoterIn {
        VoterIn {
            voter_id: id.into(),
            person_id: Some(id.bytes().fold(0, |a, b| a * 256 + b as i64)),
            county: "WAKE".into(),
            precinct: precinct.into(),
            support: Some(support),
            turnout: Some(turnout),
            early,
        }
    }

    fn board() -> Board {
        Board::new(vec![
            v("A1", "01", 0.9, 0.5, false),
            v("A2", "01", 0.8, 0.9, false),
            v("A3", "01", 0.2, 0.9, false),
            v("A4", "01", 0.7, 0.4, true),
            v("B1", "02", 0.6, 0.3, false),
        ])
    }

    #[test]
    fn reports_apply_once_and_in_sequence_order() {
        let mut b = board();
        assert_eq!(b.apply(2, "A1", Status::Voted, 100), Applied::Changed);
        // Replayed, or an older report arriving late: nothing changes.
        assert_eq!(b.apply(2, "A1", Status::Voted, 100), Applied::Unchanged);
        assert_eq!(b.apply(1, "A1", Status::NotVoted, 90), Applied::Unchanged);
        assert_eq!(b.has_voted("A1"), Some(true));
        assert_eq!(b.apply(3, "ZZ", Status::Voted, 100), Applied::UnknownVoter);
        let row = b.precinct("WAKE", "01", 100, 0.5).unwrap();
        assert_eq!((row.early, row.reported, row.voted), (1, 1, 2));
        // A correction takes the vote back.
        assert_eq!(b.apply(4, "A1", Status::NotVoted, 110), Applied::Changed);
        assert_eq!(b.precinct("WAKE", "01", 110, 0.5).unwrap().reported, 0);
        // A report on an early voter does not count them twice.
        b.apply(5, "A4", Status::Voted, 120);
        assert_eq!(b.precinct("WAKE", "01", 120, 0.5).unwrap().voted, 1);
        assert_eq!(b.applied_seq, 5);
    }

    #[test]
    fn any_order_of_the_same_reports_gives_the_same_board() {
        let reports = [
            (1, "A1", Status::Voted),
            (2, "A2", Status::Voted),
            (3, "A1", Status::NotVoted),
            (4, "B1", Status::Voted),
            (5, "A1", Status::Voted),
        ];
        let mut forward = board();
        for (s, id, st) in reports {
            forward.apply(s, id, st, 10);
        }
        let mut backward = board();
        for (s, id, st) in reports.iter().rev() {
            backward.apply(*s, id, *st, 10);
        }
        for id in ["A1", "A2", "A3", "A4", "B1"] {
            assert_eq!(forward.has_voted(id), backward.has_voted(id), "{id}");
        }
        let f = forward.precincts(None, 10, 1.0);
        let bk = backward.precincts(None, 10, 1.0);
        assert_eq!(
            f.iter().map(|r| r.voted).collect::<Vec<_>>(),
            bk.iter().map(|r| r.voted).collect::<Vec<_>>()
        );
    }

    #[test]
    fn chase_lists_hold_supporters_who_have_not_voted_best_first() {
        let mut b = board();
        let ids = |rows: Vec<ChaseRow>| rows.into_iter().map(|r| r.voter_id).collect::<Vec<_>>();
        // A3 is not a supporter, A4 voted early.
        assert_eq!(ids(b.chase_precinct("WAKE", "01", 10)), ["A1", "A2"]);
        b.apply(1, "A1", Status::Voted, 10);
        assert_eq!(ids(b.chase_precinct("WAKE", "01", 10)), ["A2"]);
        assert_eq!(b.precinct("WAKE", "01", 10, 1.0).unwrap().chase, 1);
        let p = b.person[b.row_of("B1").unwrap() as usize].unwrap();
        let (total, rows) = b.chase_people(&[p], 10);
        assert_eq!((total, ids(rows)), (1, vec!["B1".to_string()]));
    }

    #[test]
    fn expectation_and_coverage() {
        let mut b = board();
        let mut w = HashMap::new();
        w.insert(("WAKE".to_string(), "01".to_string()), 1);
        w.insert(("WAKE".to_string(), "02".to_string()), 1);
        b.set_watchers(&w);
        b.apply(1, "A2", Status::Voted, 1_000);
        let rows = b.precincts(None, 1_000, 0.5);
        // Precinct 01: one early voter counts 1, the others' turnout scores × day share.
        let p1 = &rows[0];
        assert!((p1.expected_total.unwrap() - (1.0 + 0.5 + 0.9 + 0.9)).abs() < 1e-6);
        assert!((p1.expected_now.unwrap() - (1.0 + 2.3 * 0.5)).abs() < 1e-6);
        assert!(p1.reporting && !p1.silent);
        // Precinct 02 has a watcher who never reported: silent, not covered.
        assert!(rows[1].silent && !rows[1].reporting);
        let totals = b.totals(&rows);
        let all = totals.last().unwrap();
        assert_eq!(all.name, "all");
        assert!((all.coverage - 4.0 / 5.0).abs() < 1e-9);
        assert_eq!((all.voted, all.voted_in_reporting, all.silent), (2, 2, 1));
        // Later, precinct 01 falls silent too.
        let later = b.precincts(None, 1_000 + SILENT_PRECINCT_SECONDS + 1, 0.5);
        assert!(later[0].silent);
    }

    #[test]
    fn the_day_curve_is_cumulative() {
        assert_eq!(day_share(0.0, 780.0), 0.0);
        assert_eq!(day_share(780.0, 780.0), 1.0);
        assert_eq!(day_share(2_000.0, 780.0), 1.0);
        let mut last = 0.0;
        for m in 0..=780 {
            let s = day_share(m as f64, 780.0);
            assert!(s >= last, "minute {m}");
            last = s;
        }
        assert!((day_share(390.0, 780.0) - 0.5).abs() < 1e-9);
    }
}
