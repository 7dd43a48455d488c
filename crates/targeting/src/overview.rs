//! Campaign progress per region from the people table (issue 11): per county — or per
//! precinct within chosen counties — how many people, supporters (approved support score at
//! least `SUPPORTER_MIN`), volunteers, donors and donors at their limit, people canvassed,
//! contact attempts by channel, and who has voted in an election. No IO; one pass over the
//! rows, so it costs the same whatever is asked.

use crate::allocate::Channel;
use serde::Serialize;

use crate::table::{Column, People};

/// A supporter: approved support score at least this.
pub const SUPPORTER_MIN: f32 = 0.6;

/// Fields the overview may be broken down by.
pub const OVERVIEW_BY: [&str; 2] = ["county", "precinct"];

#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Row {
    /// The county (or precinct) this row counts.
    pub key: String,
    pub people: u64,
    /// None when no support model is applied.
    pub supporters: Option<u64>,
    pub volunteers: u64,
    pub donors: u64,
    pub maxed_out: u64,
    /// People with at least one canvass result.
    pub canvassed: u64,
    /// People with a canvass result `Contacted` (reached at the door or on the phone).
    pub reached: u64,
    /// Contact attempts recorded, by channel: doors knocked, calls, texts, mail.
    pub doors: u64,
    pub calls: u64,
    pub texts: u64,
    pub mail: u64,
    /// Voted in the election asked for (vote history or a counted ballot); None when not asked.
    pub voted: Option<u64>,
    /// Registered this cycle (since January 1 of the year before the election).
    pub registrations: u64,
    /// Dollars given for elections of this cycle (rounded).
    pub money: u64,
}

/// What a region's goal can count: (name, what it is). `asks_made`, `asks_converted` and
/// `travellers` are counted outside the people table (relational asks, the trip planner).
pub const METRICS: [(&str, &str); 13] = [
    ("registrations", "new registrations this cycle"),
    ("supporters", "supporters (support score ≥ 0.6)"),
    ("doors", "doors knocked"),
    ("calls", "calls made"),
    ("texts", "texts sent"),
    (
        "contacts",
        "people reached at the door or on the phone (a result Contacted)",
    ),
    ("volunteers", "volunteers"),
    ("donors", "donors"),
    ("money", "dollars raised this cycle"),
    ("maxed_out", "donors at their limit"),
    ("asks_made", "relational asks made"),
    ("asks_converted", "relational asks converted"),
    ("travellers", "travellers placed by the trip planner"),
];

impl Row {
    /// The count of a metric of `METRICS` this row holds (None for those counted elsewhere).
    pub fn metric(&self, name: &str) -> Option<u64> {
        Some(match name {
            "registrations" => self.registrations,
            "supporters" => self.supporters.unwrap_or(0),
            "doors" => self.doors,
            "calls" => self.calls,
            "texts" => self.texts,
            "contacts" => self.reached,
            "volunteers" => self.volunteers,
            "donors" => self.donors,
            "money" => self.money,
            "maxed_out" => self.maxed_out,
            _ => return None,
        })
    }
}

/// Where a goal stands.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Pace {
    /// The target is reached.
    Done,
    /// At least where a steady pace from the day the goal was set to its due date would be.
    OnPace,
    /// Short of that steady pace.
    Behind,
    /// The due date has passed short of the target.
    Missed,
    /// No due date: progress only.
    Open,
}

/// Slack below the steady pace still called on pace (a share of the target).
pub const PACE_SLACK: f64 = 0.05;

/// The pace of `actual` against `target`, for a goal set on `start` when `baseline` was
/// already counted, due on `due`, today: a steady line from the baseline on `start` to the
/// target on `due`. Returns the pace and the share of the way from the baseline to the target a
/// steady pace would have covered by today.
pub fn pace(
    actual: u64,
    target: u64,
    baseline: u64,
    start: model::Date,
    due: Option<model::Date>,
    today: model::Date,
) -> (Pace, Option<f64>) {
    if target > 0 && actual >= target {
        return (Pace::Done, None);
    }
    let Some(due) = due else {
        return (Pace::Open, None);
    };
    if today > due {
        return (Pace::Missed, Some(1.0));
    }
    let span = (due.to_days() - start.to_days()).max(1) as f64;
    let expected = ((today.to_days() - start.to_days()) as f64 / span).clamp(0.0, 1.0);
    let share =
        actual.saturating_sub(baseline) as f64 / target.saturating_sub(baseline).max(1) as f64;
    let p = if share + PACE_SLACK >= expected {
        Pace::OnPace
    } else {
        Pace::Behind
    };
    (p, Some(expected))
}

fn flag<'a>(people: &'a People, name: &str) -> Option<&'a crate::bitmap::Bitmap> {
    match people.columns.get(name) {
        Some(Column::Flag(b)) => Some(b),
        _ => None,
    }
}

/// Rows by `by` (a category field of `OVERVIEW_BY`), only people whose county is in
/// `counties` when given; the total first (key "all"), then rows by people, largest first.
pub fn progress(
    people: &People,
    by: &str,
    counties: Option<&[String]>,
    voted_on: Option<model::Date>,
) -> Result<Vec<Row>, String> {
    if !OVERVIEW_BY.contains(&by) {
        return Err(format!(
            "by: {by:?} is not one of {}",
            OVERVIEW_BY.join(", ")
        ));
    }
    let Some(Column::Category { codes, dict }) = people.columns.get(by) else {
        return Err(format!("by: the people table has no {by} column"));
    };
    if counties.is_some() && !matches!(people.columns.get("county"), Some(Column::Category { .. }))
    {
        return Err("the people table has no county column".into());
    }
    let keep = county_filter(people, counties);
    let support = match people.columns.get("support") {
        Some(Column::Number(v)) => Some(v),
        _ => None,
    };
    let (vol, gave, maxed, canv, newreg, reach) = (
        flag(people, "volunteer"),
        flag(people, "gave"),
        flag(people, "maxed_out"),
        flag(people, "canvassed"),
        flag(people, "new_registrant"),
        flag(people, "reached"),
    );
    let given = match people.columns.get("given") {
        Some(Column::Number(v)) => Some(v),
        _ => None,
    };
    let mut dollars = vec![0f64; dict.len()];
    let voted = voted_on.map(|d| people.voted.get(&d));
    let mut rows: Vec<Row> = dict
        .iter()
        .map(|k| Row {
            key: k.clone(),
            supporters: support.map(|_| 0),
            voted: voted.map(|_| 0),
            ..Row::default()
        })
        .collect();
    let has = |b: Option<&crate::bitmap::Bitmap>, i: usize| b.is_some_and(|b| b.get(i)) as u64;
    for (i, &code) in codes.iter().enumerate() {
        if keep.as_ref().is_some_and(|k| !k.has(i)) {
            continue;
        }
        let r = &mut rows[code as usize];
        r.people += 1;
        if let (Some(s), Some(n)) = (support, r.supporters.as_mut()) {
            *n += (s[i] >= SUPPORTER_MIN) as u64;
        }
        r.volunteers += has(vol, i);
        r.donors += has(gave, i);
        r.maxed_out += has(maxed, i);
        r.canvassed += has(canv, i);
        r.registrations += has(newreg, i);
        r.reached += has(reach, i);
        if let Some(g) = given {
            dollars[code as usize] += f64::from(g[i]);
        }
        if let (Some(v), Some(n)) = (voted, r.voted.as_mut()) {
            *n += has(v, i);
        }
    }
    for a in &people.contacts {
        let i = a.row as usize;
        if keep.as_ref().is_some_and(|k| !k.has(i)) {
            continue;
        }
        let r = &mut rows[codes[i] as usize];
        match a.channel {
            Channel::Door => r.doors += 1,
            Channel::Phone => r.calls += 1,
            Channel::Text => r.texts += 1,
            Channel::Mail => r.mail += 1,
        }
    }
    for (r, d) in rows.iter_mut().zip(&dollars) {
        r.money = d.round() as u64;
    }
    rows.retain(|r| r.people > 0);
    rows.sort_by(|a, b| b.people.cmp(&a.people).then(a.key.cmp(&b.key)));
    let mut total = Row {
        key: "all".into(),
        supporters: support.map(|_| 0),
        voted: voted.map(|_| 0),
        ..Row::default()
    };
    for r in &rows {
        total.people += r.people;
        total.supporters = total.supporters.map(|t| t + r.supporters.unwrap_or(0));
        total.volunteers += r.volunteers;
        total.donors += r.donors;
        total.maxed_out += r.maxed_out;
        total.canvassed += r.canvassed;
        total.registrations += r.registrations;
        total.reached += r.reached;
        total.money += r.money;
        total.doors += r.doors;
        total.calls += r.calls;
        total.texts += r.texts;
        total.mail += r.mail;
        total.voted = total.voted.map(|t| t + r.voted.unwrap_or(0));
    }
    rows.insert(0, total);
    Ok(rows)
}

/// Weeks of registrations and money shown over time at most.
pub const SERIES_WEEKS_MAX: usize = 52;

/// One week of the series: its first day, new registrations, dollars given.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Week {
    pub from: String,
    pub registrations: u64,
    pub dollars: u64,
}

/// New registrations and dollars given per week over the last `weeks` weeks up to `until`,
/// for people whose county is in `counties` when given. Weeks without any are zeros.
pub fn weekly(
    people: &People,
    counties: Option<&[String]>,
    weeks: usize,
    until: model::Date,
) -> Vec<Week> {
    let weeks = weeks.clamp(1, SERIES_WEEKS_MAX) as i64;
    let keep = county_filter(people, counties);
    let first = until.to_days() - 7 * weeks + 1;
    let mut regs = vec![0u64; weeks as usize];
    let mut cents = vec![0u64; weeks as usize];
    let add = |events: &[crate::table::Dated], into: &mut Vec<u64>, by_amount: bool| {
        for e in events {
            let d = e.date.to_days();
            if d < first
                || d > until.to_days()
                || keep.as_ref().is_some_and(|k| !k.has(e.row as usize))
            {
                continue;
            }
            into[((d - first) / 7) as usize] += if by_amount { u64::from(e.amount) } else { 1 };
        }
    };
    add(&people.registered_on, &mut regs, false);
    add(&people.gifts, &mut cents, true);
    (0..weeks as usize)
        .map(|w| Week {
            from: model::Date::from_days(first + 7 * w as i64).to_string(),
            registrations: regs[w],
            dollars: (cents[w] + 50) / 100,
        })
        .collect()
}

/// A county filter: whether a row's county is wanted, looked up from its code (no pass over
/// every row to build it: series touch only the rows of their events).
struct Keep<'a> {
    codes: &'a [u16],
    wanted: Vec<bool>,
}

impl Keep<'_> {
    fn has(&self, row: usize) -> bool {
        self.wanted[self.codes[row] as usize]
    }
}

/// Rows kept by a county filter (None: everyone).
fn county_filter<'a>(people: &'a People, counties: Option<&[String]>) -> Option<Keep<'a>> {
    counties.and_then(|list| match people.columns.get("county") {
        Some(Column::Category { codes, dict }) => Some(Keep {
            codes,
            wanted: dict
                .iter()
                .map(|c| list.iter().any(|x| x.eq_ignore_ascii_case(c)))
                .collect(),
        }),
        _ => None,
    })
}

/// Days of contact attempts shown over time at most.
pub const SERIES_DAYS_MAX: usize = 60;

/// Contact attempts per day and channel (door, phone, text, mail) over the last `days` days
/// up to the latest attempt, for people whose county is in `counties` when given. Days
/// without attempts are in the series as zeros.
pub fn attempts_by_day(
    people: &People,
    counties: Option<&[String]>,
    days: usize,
) -> Vec<(model::Date, [u64; 4])> {
    let days = days.clamp(1, SERIES_DAYS_MAX) as i64;
    let keep = county_filter(people, counties);
    let Some(last) = people.contacts.iter().map(|a| a.date).max() else {
        return Vec::new();
    };
    let first = last.to_days() - days + 1;
    let mut out: Vec<(model::Date, [u64; 4])> = (first..=last.to_days())
        .map(|d| (model::Date::from_days(d), [0; 4]))
        .collect();
    for a in &people.contacts {
        let d = a.date.to_days();
        if d < first || keep.as_ref().is_some_and(|k| !k.has(a.row as usize)) {
            continue;
        }
        let k = match a.channel {
            Channel::Door => 0,
            Channel::Phone => 1,
            Channel::Text => 2,
            Channel::Mail => 3,
        };
        out[(d - first) as usize].1[k] += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bitmap::Bitmap;
    use crate::table::Attempt;

    fn people() -> People {
        let n = 6;
        let mut p = People {
            ids: (1..=n as i64).collect(),
            ..People::default()
        };
        p.add(
            "county",
            Column::Category {
                codes: vec![0, 0, 1, 1, 1, 0],
                dict: vec!["WAKE".into(), "DURHAM".into()],
            },
        );
        p.add(
            "precinct",
            Column::Category {
                codes: vec![0, 1, 2, 2, 2, 1],
                dict: vec!["W1".into(), "W2".into(), "D1".into()],
            },
        );
        p.add(
            "support",
            Column::Number(vec![0.9, 0.1, f32::NAN, 0.6, 0.7, 0.5]),
        );
        p.add("volunteer", Column::Flag(Bitmap::from_fn(n, |i| i == 2)));
        p.add("gave", Column::Flag(Bitmap::from_fn(n, |i| i < 2)));
        p.add("maxed_out", Column::Flag(Bitmap::from_fn(n, |i| i == 1)));
        p.add(
            "canvassed",
            Column::Flag(Bitmap::from_fn(n, |i| i % 2 == 0)),
        );
        p.add("reached", Column::Flag(Bitmap::from_fn(n, |i| i == 0)));
        p.add(
            "new_registrant",
            Column::Flag(Bitmap::from_fn(n, |i| i == 3 || i == 5)),
        );
        p.add(
            "given",
            Column::Number(vec![100.0, 3300.0, 0.0, 0.0, 0.0, 0.0]),
        );
        let d = model::Date::new(2026, 11, 3).unwrap();
        p.voted.insert(d, Bitmap::from_fn(n, |i| i >= 4));
        p.contacts = vec![
            Attempt {
                row: 0,
                channel: Channel::Door,
                date: d,
            },
            Attempt {
                row: 0,
                channel: Channel::Door,
                date: d,
            },
            Attempt {
                row: 3,
                channel: Channel::Phone,
                date: d,
            },
        ];
        p
    }

    #[test]
    fn counts_by_county_and_precinct() {
        let p = people();
        let d = model::Date::new(2026, 11, 3).unwrap();
        let rows = progress(&p, "county", None, Some(d)).unwrap();
        let get = |k: &str| rows.iter().find(|r| r.key == k).unwrap().clone();
        let all = get("all");
        assert_eq!(
            (all.people, all.supporters, all.volunteers),
            (6, Some(3), 1)
        );
        assert_eq!((all.donors, all.maxed_out, all.canvassed), (2, 1, 3));
        assert_eq!((all.doors, all.calls, all.voted), (2, 1, Some(2)));
        let wake = get("WAKE");
        assert_eq!(
            (wake.people, wake.supporters, wake.doors, wake.voted),
            (3, Some(1), 2, Some(1))
        );
        assert_eq!((all.registrations, all.money), (2, 3400));
        assert_eq!((wake.registrations, wake.money), (1, 3400));
        assert_eq!(wake.metric("money"), Some(3400));
        assert_eq!(wake.metric("contacts"), Some(wake.reached));
        assert_eq!(
            (all.reached, wake.reached),
            (1, 1),
            "reached is not canvassed"
        );
        assert_eq!(wake.metric("asks_made"), None, "counted elsewhere");
        for (m, _) in METRICS {
            let elsewhere = ["asks_made", "asks_converted", "travellers"].contains(&m);
            assert_eq!(wake.metric(m).is_none(), elsewhere, "{m}");
        }
        let durham = get("DURHAM");
        assert_eq!(
            (
                durham.people,
                durham.supporters,
                durham.calls,
                durham.volunteers
            ),
            (3, Some(2), 1, 1)
        );
        // Precincts within Durham only.
        let rows = progress(&p, "precinct", Some(&["durham".to_string()]), None).unwrap();
        assert_eq!(
            rows.iter().map(|r| r.key.as_str()).collect::<Vec<_>>(),
            ["all", "D1"]
        );
        assert_eq!((rows[1].people, rows[1].voted), (3, None));
        assert!(progress(&p, "party", None, None)
            .unwrap_err()
            .starts_with("by: \"party\""));
    }

    #[test]
    fn pace_against_a_steady_line_from_set_to_due() {
        let d = |m, day| model::Date::new(2026, m, day).unwrap();
        // Set on Sep 1, due Oct 31 (60 days); on Oct 1 a steady pace is at half.
        let (p, e) = pace(50, 100, 0, d(9, 1), Some(d(10, 31)), d(10, 1));
        assert_eq!(p, Pace::OnPace);
        assert!((e.unwrap() - 0.5).abs() < 1e-9);
        assert_eq!(
            pace(46, 100, 0, d(9, 1), Some(d(10, 31)), d(10, 1)).0,
            Pace::OnPace,
            "within the slack"
        );
        assert_eq!(
            pace(44, 100, 0, d(9, 1), Some(d(10, 31)), d(10, 1)).0,
            Pace::Behind
        );
        assert_eq!(
            pace(100, 100, 0, d(9, 1), Some(d(10, 31)), d(10, 1)).0,
            Pace::Done
        );
        assert_eq!(
            pace(99, 100, 0, d(9, 1), Some(d(10, 31)), d(11, 1)).0,
            Pace::Missed
        );
        assert_eq!(pace(1, 100, 0, d(9, 1), None, d(11, 1)).0, Pace::Open);
        // A goal set when 80 of 100 were already there: the line starts at 80. Half-way in
        // time, 85 is behind (a steady pace would be at 90), 90 is on pace.
        assert_eq!(
            pace(85, 100, 80, d(9, 1), Some(d(10, 31)), d(10, 1)).0,
            Pace::Behind
        );
        assert_eq!(
            pace(90, 100, 80, d(9, 1), Some(d(10, 31)), d(10, 1)).0,
            Pace::OnPace
        );
        // Before it was set (a clock behind): nothing expected yet.
        assert_eq!(
            pace(0, 100, 0, d(9, 1), Some(d(10, 31)), d(8, 1)),
            (Pace::OnPace, Some(0.0))
        );
    }

    #[test]
    fn registrations_and_money_per_week() {
        let mut p = people();
        let d = |m, day| model::Date::new(2026, m, day).unwrap();
        p.registered_on = vec![
            crate::table::Dated {
                row: 0,
                date: d(10, 30),
                amount: 1,
            },
            crate::table::Dated {
                row: 3,
                date: d(10, 20),
                amount: 1,
            },
            crate::table::Dated {
                row: 4,
                date: d(9, 1),
                amount: 1,
            },
        ];
        p.gifts = vec![
            crate::table::Dated {
                row: 1,
                date: d(10, 31),
                amount: 10_050,
            },
            crate::table::Dated {
                row: 3,
                date: d(10, 21),
                amount: 2_500,
            },
        ];
        // Three weeks up to Oct 31: Oct 11–17, Oct 18–24, Oct 25–31.
        let w = weekly(&p, None, 3, d(10, 31));
        assert_eq!(w.len(), 3);
        assert_eq!(w[0].from, "2026-10-11");
        assert_eq!((w[0].registrations, w[0].dollars), (0, 0));
        assert_eq!((w[1].registrations, w[1].dollars), (1, 25));
        assert_eq!(
            (w[2].registrations, w[2].dollars),
            (1, 101),
            "100.50 rounds up"
        );
        // Wake is rows 0, 1 and 5.
        let wake = weekly(&p, Some(&["WAKE".into()]), 3, d(10, 31));
        assert_eq!((wake[1].registrations, wake[1].dollars), (0, 0));
        assert_eq!((wake[2].registrations, wake[2].dollars), (1, 101));
    }

    #[test]
    fn attempts_over_time() {
        let mut p = people();
        let d = model::Date::new(2026, 11, 3).unwrap();
        p.contacts.push(Attempt {
            row: 2,
            channel: Channel::Text,
            date: model::Date::new(2026, 11, 1).unwrap(),
        });
        let s = attempts_by_day(&p, None, 3);
        assert_eq!(s.len(), 3);
        assert_eq!(s[0], (model::Date::new(2026, 11, 1).unwrap(), [0, 0, 1, 0]));
        assert_eq!(s[1].1, [0; 4]);
        assert_eq!(s[2], (d, [2, 1, 0, 0]));
        let wake = attempts_by_day(&p, Some(&["WAKE".into()]), 3);
        assert_eq!(wake[2].1, [2, 0, 0, 0]);
        assert_eq!(wake[0].1, [0; 4]);
        assert!(attempts_by_day(&People::default(), None, 3).is_empty());
    }
}
