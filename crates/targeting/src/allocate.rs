//! Budgeted allocation (PRODUCT.md C4): who gets which contact, to maximise expected net votes
//! (and money, at the campaign's exchange rate) within a budget per channel.
//!
//! The model, in words:
//! - A channel (door, phone, text, mail) has a budget in its own unit (door hours, calls,
//!   texts, pieces), a cost per attempt in that unit (a door attempt is 1/doors-per-hour
//!   hours), a contact rate (the share of attempts that reach the person) and an effect per
//!   goal once reached.
//! - Each person gets at most one attempt, on a channel they may receive (suppression and
//!   frequency caps are applied by the caller, as `allowed`), for the goal where that attempt
//!   is worth most. The value of person `i` on channel `c` is
//!   `v(i, c) = contact_rate(c) × max over i's goals g of value(g, i, c)`, where
//!   - persuasion: `2 × turnout × uplift × effect(c, persuasion)` — a voter moved from them to
//!     us changes the margin by two, and only counts if they vote;
//!   - turnout: `effect(c, turnout) × (2 × support − 1)` — the turnout lift of a contact,
//!     worth the voter's expected net margin;
//!   - registration: `effect(c, registration) × NEW_REGISTRANT_TURNOUT × (2 × support − 1)`
//!     (support `REGISTRATION_SUPPORT_ASSUMED` when the person has no score);
//!   - fundraising: `effect(c, fundraising) × expected_value` dollars, counted as votes at
//!     `dollars_per_vote`.
//! - Since every attempt on a channel costs the same, a budget is a number of attempts, and
//!   the problem is a maximum-weight b-matching of people to channels (people capacity one,
//!   channel `c` capacity `budget/cost` attempts). It is solved exactly by successive longest
//!   augmenting paths: with four channels, an augmenting path is an unassigned person entering
//!   a channel followed by at most three moves of an assigned person from one channel to
//!   another, the best mover on each channel pair kept in a heap. Each step adds the most
//!   valuable next attempt given everything chosen before, and the process stops when no
//!   attempt adds value or every budget is spent (the optimum of a concave function of the
//!   number of attempts). Tested equal to brute force on small instances.
//! - The marginal value of a channel is what one more attempt there would add (the best
//!   augmenting path ending in that channel after the allocation), per unit of its budget.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use serde::{Deserialize, Serialize};

use crate::goals::Goal;
use crate::{Bitmap, People};

/// Channels a campaign contacts people on.
pub const CHANNELS: usize = 4;
/// Turnout of a newly registered voter (for the value of a registration).
pub const NEW_REGISTRANT_TURNOUT: f64 = 0.6;
/// Support assumed for a registration target without a support score (they signed up,
/// shared contacts or gave: most are supporters).
pub const REGISTRATION_SUPPORT_ASSUMED: f64 = 0.75;
/// Budget units one allocation may plan per channel (a bound on memory and time).
pub const ATTEMPTS_PER_CHANNEL_MAX: u64 = 50_000_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    Door,
    Phone,
    Text,
    Mail,
}

impl Channel {
    pub const ALL: [Channel; CHANNELS] =
        [Channel::Door, Channel::Phone, Channel::Text, Channel::Mail];

    pub fn name(self) -> &'static str {
        match self {
            Channel::Door => "door",
            Channel::Phone => "phone",
            Channel::Text => "text",
            Channel::Mail => "mail",
        }
    }

    /// The unit its budget is counted in.
    pub fn unit(self) -> &'static str {
        match self {
            Channel::Door => "hours",
            Channel::Phone => "calls",
            Channel::Text => "texts",
            Channel::Mail => "pieces",
        }
    }

    pub fn parse(s: &str) -> Option<Channel> {
        Channel::ALL.into_iter().find(|c| c.name() == s)
    }

    pub fn index(self) -> usize {
        self as usize
    }
}

/// A frequency cap: at most `max_attempts` attempts on `channel` in `window_days` days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactCap {
    pub channel: Channel,
    pub max_attempts: u32,
    pub window_days: u32,
}

/// Default caps: two knocks a fortnight, three calls or texts a week, four pieces a month.
pub const DEFAULT_CAPS: [ContactCap; CHANNELS] = [
    ContactCap {
        channel: Channel::Door,
        max_attempts: 2,
        window_days: 14,
    },
    ContactCap {
        channel: Channel::Phone,
        max_attempts: 3,
        window_days: 7,
    },
    ContactCap {
        channel: Channel::Text,
        max_attempts: 3,
        window_days: 7,
    },
    ContactCap {
        channel: Channel::Mail,
        max_attempts: 4,
        window_days: 30,
    },
];

/// Who has reached a cap on each channel (index = `Channel::index`): attempts dated in the
/// `window_days` days up to and including `today` number `max_attempts` or more, so one more
/// attempt now would break the cap.
pub fn capped(people: &People, caps: &[ContactCap], today: model::Date) -> [Bitmap; CHANNELS] {
    let n = people.len();
    let mut out: [Bitmap; CHANNELS] = std::array::from_fn(|_| Bitmap::empty(n));
    let t = today.to_days();
    for cap in caps {
        let k = cap.channel.index();
        let mut count: std::collections::HashMap<u32, u32> = Default::default();
        for a in &people.contacts {
            let d = a.date.to_days();
            if a.channel == cap.channel && d <= t && d > t - i64::from(cap.window_days) {
                *count.entry(a.row).or_default() += 1;
            }
        }
        for (row, c) in count {
            if c >= cap.max_attempts && (row as usize) < n {
                out[k].set(row as usize);
            }
        }
    }
    out
}

/// Goals in the order of `Goal::ALL`.
fn goal_index(g: Goal) -> usize {
    Goal::ALL.iter().position(|x| *x == g).expect("a goal")
}

/// One channel: its budget and what an attempt costs and does.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChannelSpec {
    pub channel: Channel,
    /// Budget in the channel's unit (hours, calls, texts, pieces).
    pub budget: f64,
    /// Units one attempt costs (a door attempt: 1 / doors per hour).
    pub cost: f64,
    /// Share of attempts that reach the person.
    pub contact_rate: f64,
    /// Effect of a reached contact per goal, in the order registration, persuasion, turnout,
    /// fundraising: registration probability, share of the persuasion uplift delivered,
    /// turnout lift, share of the expected gift raised.
    pub effect: [f64; 4],
}

impl ChannelSpec {
    /// Attempts the budget pays for.
    pub fn attempts(&self) -> u64 {
        if self.cost <= 0.0 || self.budget <= 0.0 {
            return 0;
        }
        ((self.budget / self.cost + 1e-9).floor() as u64).min(ATTEMPTS_PER_CHANNEL_MAX)
    }

    /// Defaults per channel (orders of magnitude from published field experiments, to be set
    /// by the campaign): door 12 doors an hour, 30% reached; calls 20% reached; texts 10%;
    /// mail 80% delivered and read at a low effect.
    pub fn default_for(channel: Channel, budget: f64) -> ChannelSpec {
        let (cost, rate, effect) = match channel {
            Channel::Door => (1.0 / 12.0, 0.30, [0.10, 1.0, 0.06, 0.0]),
            Channel::Phone => (1.0, 0.20, [0.06, 0.5, 0.02, 0.5]),
            Channel::Text => (1.0, 0.10, [0.04, 0.2, 0.01, 0.2]),
            Channel::Mail => (1.0, 0.80, [0.01, 0.1, 0.003, 0.05]),
        };
        ChannelSpec {
            channel,
            budget,
            cost,
            contact_rate: rate,
            effect,
        }
    }

    /// Checks the numbers (names the field).
    pub fn check(&self) -> Result<(), String> {
        let n = self.channel.name();
        if !(self.budget.is_finite() && self.budget >= 0.0) {
            return Err(format!(
                "{n}.budget: a number of {} at least 0",
                self.channel.unit()
            ));
        }
        if !(self.cost.is_finite() && self.cost > 0.0) {
            return Err(format!(
                "{n}.cost: {} per attempt, more than 0",
                self.channel.unit()
            ));
        }
        if !(0.0..=1.0).contains(&self.contact_rate) {
            return Err(format!("{n}.contact_rate: a share between 0 and 1"));
        }
        for (g, e) in Goal::ALL.iter().zip(self.effect) {
            if !(e.is_finite() && (0.0..=1.0).contains(&e)) {
                return Err(format!("{n}.effect.{}: a share between 0 and 1", g.name()));
            }
        }
        if self.budget / self.cost > ATTEMPTS_PER_CHANNEL_MAX as f64 {
            return Err(format!(
                "{n}.budget: pays for more than {ATTEMPTS_PER_CHANNEL_MAX} attempts; lower it"
            ));
        }
        Ok(())
    }
}

/// The whole question.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Spec {
    pub channels: Vec<ChannelSpec>,
    /// Dollars worth one net vote (how money and votes are added up).
    pub dollars_per_vote: f64,
}

impl Spec {
    pub fn check(&self) -> Result<(), String> {
        let mut seen = [false; CHANNELS];
        for c in &self.channels {
            if std::mem::replace(&mut seen[c.channel.index()], true) {
                return Err(format!("{}: given twice", c.channel.name()));
            }
            c.check()?;
        }
        if !(self.dollars_per_vote.is_finite() && self.dollars_per_vote > 0.0) {
            return Err("dollars_per_vote: more than 0".into());
        }
        Ok(())
    }

    fn channel(&self, c: Channel) -> Option<&ChannelSpec> {
        self.channels.iter().find(|s| s.channel == c)
    }
}

/// One person the allocation may contact: their scores and the goals and channels open to them.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Candidate {
    /// The person's row in the caller's table.
    pub row: u32,
    pub support: Option<f64>,
    pub turnout: Option<f64>,
    pub uplift: Option<f64>,
    /// Expected dollars from a fundraising ask (P(gives) × expected gift).
    pub expected_value: Option<f64>,
    /// Goals whose universe holds the person (bit `i` = `Goal::ALL[i]`).
    pub goals: u8,
    /// Channels the person may be contacted on (bit = `Channel::index`), after suppression
    /// and frequency caps.
    pub allowed: u8,
}

/// What one reached contact on a channel is worth, per goal, before the contact rate: net
/// votes, and dollars for fundraising (0 where the goal does not apply).
fn goal_values(c: &Candidate, spec: &ChannelSpec) -> [(f64, f64); 4] {
    let mut out = [(0.0, 0.0); 4];
    for (k, g) in Goal::ALL.into_iter().enumerate() {
        if c.goals & (1 << k) == 0 {
            continue;
        }
        let e = spec.effect[k];
        out[k] = match g {
            Goal::Registration => {
                let s = c.support.unwrap_or(REGISTRATION_SUPPORT_ASSUMED);
                (e * NEW_REGISTRANT_TURNOUT * (2.0 * s - 1.0), 0.0)
            }
            Goal::Persuasion => match (c.turnout, c.uplift) {
                (Some(t), Some(u)) => (2.0 * t * u * e, 0.0),
                _ => (0.0, 0.0),
            },
            Goal::Turnout => match c.support {
                Some(s) => (e * (2.0 * s - 1.0), 0.0),
                None => (0.0, 0.0),
            },
            Goal::Fundraising => match c.expected_value {
                Some(v) => (0.0, e * v),
                None => (0.0, 0.0),
            },
        };
    }
    out
}

/// The value of an attempt on `spec`'s channel (votes + dollars / dollars_per_vote), with the
/// goal it serves, its expected net votes and dollars. `None` when not allowed or worthless.
pub fn attempt_value(
    c: &Candidate,
    spec: &ChannelSpec,
    dollars_per_vote: f64,
) -> Option<(f64, Goal, f64, f64)> {
    if c.allowed & (1 << spec.channel.index()) == 0 {
        return None;
    }
    let mut best: Option<(f64, Goal, f64, f64)> = None;
    for (k, (votes, dollars)) in goal_values(c, spec).into_iter().enumerate() {
        let (votes, dollars) = (votes * spec.contact_rate, dollars * spec.contact_rate);
        let v = votes + dollars / dollars_per_vote;
        if v.is_finite() && v > 0.0 && best.is_none_or(|b| v > b.0) {
            best = Some((v, Goal::ALL[k], votes, dollars));
        }
    }
    best
}

/// One attempt chosen.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Assignment {
    pub row: u32,
    /// Index into `candidates`.
    #[serde(skip)]
    pub candidate: u32,
    pub channel: Channel,
    pub goal: Goal,
    /// Votes + dollars / dollars_per_vote.
    pub value: f64,
    pub votes: f64,
    pub dollars: f64,
}

/// What a channel got.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChannelResult {
    pub channel: Channel,
    pub unit: &'static str,
    pub budget: f64,
    pub attempts: u64,
    pub attempts_affordable: u64,
    pub spent: f64,
    pub expected_contacts: f64,
    pub votes: f64,
    pub dollars: f64,
    /// Attempts per goal, in the order of `Goal::ALL`.
    pub by_goal: [u64; 4],
    /// Value (votes + dollars / dollars_per_vote) one more unit of budget would add (0 when
    /// the budget is not all spent: more of it would buy nothing).
    pub marginal_value_per_unit: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Allocation {
    pub assignments: Vec<Assignment>,
    pub channels: Vec<ChannelResult>,
    pub votes: f64,
    pub dollars: f64,
    /// Votes + dollars / dollars_per_vote.
    pub value: f64,
    /// Candidates with at least one allowed, valuable attempt.
    pub eligible: u64,
}

/// A heap key: value, then the lower candidate index first (deterministic ties).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Key(f64, u32);

impl Eq for Key {}
impl PartialOrd for Key {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Key {
    fn cmp(&self, o: &Self) -> Ordering {
        self.0.total_cmp(&o.0).then(o.1.cmp(&self.1))
    }
}

const NONE: u8 = u8::MAX;

/// Channels in the order an augmenting path visits them (no allocation per path).
#[derive(Debug, Clone, Copy)]
struct Path {
    ch: [usize; CHANNELS],
    len: usize,
}

impl Path {
    fn one(c: usize) -> Path {
        Path {
            ch: [c; CHANNELS],
            len: 1,
        }
    }

    fn last(&self) -> usize {
        self.ch[self.len - 1]
    }

    fn contains(&self, c: usize) -> bool {
        self.ch[..self.len].contains(&c)
    }

    fn then(mut self, c: usize) -> Path {
        self.ch[self.len] = c;
        self.len += 1;
        self
    }

    fn channels(&self) -> &[usize] {
        &self.ch[..self.len]
    }
}

struct Solver<'a> {
    values: &'a [[f64; CHANNELS]],
    at: Vec<u8>,
    used: [u64; CHANNELS],
    cap: [u64; CHANNELS],
    entry: [BinaryHeap<Key>; CHANNELS],
    moves: [[BinaryHeap<Key>; CHANNELS]; CHANNELS],
}

impl Solver<'_> {
    /// Best unassigned person entering `c` (stale entries dropped).
    fn entry_top(&mut self, c: usize) -> Option<Key> {
        while let Some(k) = self.entry[c].peek().copied() {
            if self.at[k.1 as usize] == NONE {
                return Some(k);
            }
            self.entry[c].pop();
        }
        None
    }

    /// Best person at `a` moving to `b`.
    fn move_top(&mut self, a: usize, b: usize) -> Option<Key> {
        while let Some(k) = self.moves[a][b].peek().copied() {
            if self.at[k.1 as usize] == a as u8 {
                return Some(k);
            }
            self.moves[a][b].pop();
        }
        None
    }

    fn place(&mut self, i: u32, c: usize) {
        self.at[i as usize] = c as u8;
        let v = self.values[i as usize];
        for b in 0..CHANNELS {
            if b != c && v[b] > f64::NEG_INFINITY {
                self.moves[c][b].push(Key(v[b] - v[c], i));
            }
        }
    }

    /// The best augmenting path: channels in order (first entered by an unassigned person,
    /// each next one by a person moving from the one before), ending in a channel with room.
    /// With `end`, the best way to use one more attempt on that channel (the path may also
    /// start by taking a person off a channel): not to be augmented.
    fn best_path(&mut self, end: Option<usize>) -> Option<(f64, Path)> {
        let entry: Vec<Option<f64>> = (0..CHANNELS)
            .map(|c| self.entry_top(c).map(|k| k.0))
            .collect();
        let mut mv = [[None; CHANNELS]; CHANNELS];
        for (a, row) in mv.iter_mut().enumerate() {
            for (b, m) in row.iter_mut().enumerate() {
                if a != b {
                    *m = self.move_top(a, b).map(|k| k.0);
                }
            }
        }
        let room = |c: usize| match end {
            Some(e) => c == e,
            None => self.used[c] < self.cap[c],
        };
        let mut best: Option<(f64, Path)> = None;
        // Depth-first over simple paths (at most 64 with four channels).
        let mut stack: Vec<(Path, f64)> = (0..CHANNELS)
            .filter_map(|c| entry[c].map(|g| (Path::one(c), g)))
            .collect();
        if end.is_some() {
            // One more attempt on `end` may also be used by someone moving there from a
            // channel that then has one attempt less.
            stack.extend(
                (0..CHANNELS)
                    .filter(|&c| self.used[c] > 0)
                    .map(|c| (Path::one(c), 0.0)),
            );
        }
        while let Some((path, gain)) = stack.pop() {
            let last = path.last();
            if room(last) && best.as_ref().is_none_or(|b| gain > b.0) {
                best = Some((gain, path));
            }
            for (b, m) in mv[last].iter().enumerate() {
                if let (false, Some(g)) = (path.contains(b), m) {
                    stack.push((path.then(b), gain + g));
                }
            }
        }
        best
    }

    fn augment(&mut self, path: &Path) {
        let path = path.channels();
        // Move the people along the path back to front, so each heap top is read before
        // anyone else changes.
        let mut movers = Vec::with_capacity(path.len());
        let first = self.entry_top(path[0]).expect("path entry").1;
        movers.push(first);
        for w in path.windows(2) {
            movers.push(self.move_top(w[0], w[1]).expect("path move").1);
        }
        self.entry[path[0]].pop();
        for w in path.windows(2) {
            self.moves[w[0]][w[1]].pop();
        }
        for (k, &c) in path.iter().enumerate() {
            self.place(movers[k], c);
        }
        self.used[*path.last().expect("non-empty")] += 1;
    }
}

/// Allocates the budget over `candidates` exactly (see the module's words).
pub fn allocate(spec: &Spec, candidates: &[Candidate]) -> Allocation {
    let mut values = vec![[f64::NEG_INFINITY; CHANNELS]; candidates.len()];
    let mut cap = [0u64; CHANNELS];
    for s in &spec.channels {
        cap[s.channel.index()] = s.attempts();
    }
    let mut entry: [Vec<Key>; CHANNELS] = Default::default();
    let mut eligible = 0;
    for (i, c) in candidates.iter().enumerate() {
        let mut any = false;
        for s in &spec.channels {
            if let Some((v, ..)) = attempt_value(c, s, spec.dollars_per_vote) {
                let k = s.channel.index();
                values[i][k] = v;
                // Also where the budget buys nothing: the marginal value of its first unit.
                entry[k].push(Key(v, i as u32));
                any = true;
            }
        }
        eligible += u64::from(any);
    }
    let mut solver = Solver {
        values: &values,
        at: vec![NONE; candidates.len()],
        used: [0; CHANNELS],
        cap,
        entry: entry.map(BinaryHeap::from),
        moves: Default::default(),
    };
    while let Some((gain, path)) = solver.best_path(None) {
        if gain <= 0.0 {
            break;
        }
        solver.augment(&path);
    }
    let mut marginal = [0.0f64; CHANNELS];
    for s in &spec.channels {
        let k = s.channel.index();
        if solver.used[k] >= cap[k] {
            if let Some((gain, _)) = solver.best_path(Some(k)) {
                marginal[k] = gain.max(0.0) / s.cost;
            }
        }
    }
    let mut assignments = Vec::new();
    for (i, &at) in solver.at.iter().enumerate() {
        if at == NONE {
            continue;
        }
        let ch = Channel::ALL[at as usize];
        let s = spec.channel(ch).expect("a channel of the spec");
        let (value, goal, votes, dollars) =
            attempt_value(&candidates[i], s, spec.dollars_per_vote).expect("allowed and valuable");
        assignments.push(Assignment {
            row: candidates[i].row,
            candidate: i as u32,
            channel: ch,
            goal,
            value,
            votes,
            dollars,
        });
    }
    let channels: Vec<ChannelResult> = spec
        .channels
        .iter()
        .map(|s| {
            let k = s.channel.index();
            let mine = assignments.iter().filter(|a| a.channel == s.channel);
            let mut by_goal = [0u64; 4];
            let (mut votes, mut dollars) = (0.0, 0.0);
            for a in mine {
                by_goal[goal_index(a.goal)] += 1;
                votes += a.votes;
                dollars += a.dollars;
            }
            ChannelResult {
                channel: s.channel,
                unit: s.channel.unit(),
                budget: s.budget,
                attempts: solver.used[k],
                attempts_affordable: cap[k],
                spent: solver.used[k] as f64 * s.cost,
                expected_contacts: solver.used[k] as f64 * s.contact_rate,
                votes,
                dollars,
                by_goal,
                marginal_value_per_unit: marginal[k],
            }
        })
        .collect();
    let votes = channels.iter().map(|c| c.votes).sum();
    let dollars = channels.iter().map(|c| c.dollars).sum();
    let value = assignments.iter().map(|a| a.value).sum();
    Allocation {
        assignments,
        channels,
        votes,
        dollars,
        value,
        eligible,
    }
}

/// Why a person was chosen, in words: their figures, the goal, and what each open channel
/// was worth.
pub fn why(c: &Candidate, spec: &Spec, chosen: Channel) -> String {
    let mut parts = Vec::new();
    let f = |x: Option<f64>| x.map_or("—".to_string(), |v| format!("{v:.2}"));
    parts.push(format!(
        "support {}, turnout {}, uplift {}, expected gift value ${}",
        f(c.support),
        f(c.turnout),
        f(c.uplift),
        f(c.expected_value)
    ));
    let goals: Vec<&str> = Goal::ALL
        .iter()
        .enumerate()
        .filter(|(k, _)| c.goals & (1 << k) != 0)
        .map(|(_, g)| g.name())
        .collect();
    parts.push(format!("in the {} universe(s)", goals.join(", ")));
    for s in &spec.channels {
        let what = match attempt_value(c, s, spec.dollars_per_vote) {
            Some((v, g, ..)) => format!("{}: {v:.4} for {}", s.channel.name(), g.name()),
            None if c.allowed & (1 << s.channel.index()) == 0 => {
                format!(
                    "{}: not allowed (suppressed, capped or no way to reach)",
                    s.channel.name()
                )
            }
            None => format!("{}: worth nothing", s.channel.name()),
        };
        parts.push(if s.channel == chosen {
            format!("{what} (chosen)")
        } else {
            what
        });
    }
    parts.join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn spec(caps: [u64; CHANNELS]) -> Spec {
        Spec {
            channels: Channel::ALL
                .iter()
                .zip(caps)
                .map(|(c, n)| ChannelSpec {
                    budget: n as f64,
                    cost: 1.0,
                    ..ChannelSpec::default_for(*c, 0.0)
                })
                .collect(),
            dollars_per_vote: 500.0,
        }
    }

    /// The best total by trying every assignment (each person: nothing or one channel).
    fn brute(spec: &Spec, cands: &[Candidate]) -> f64 {
        let cap: Vec<u64> = spec.channels.iter().map(|s| s.attempts()).collect();
        let vals: Vec<Vec<Option<f64>>> = cands
            .iter()
            .map(|c| {
                spec.channels
                    .iter()
                    .map(|s| attempt_value(c, s, spec.dollars_per_vote).map(|v| v.0))
                    .collect()
            })
            .collect();
        fn go(i: usize, vals: &[Vec<Option<f64>>], left: &mut Vec<u64>) -> f64 {
            if i == vals.len() {
                return 0.0;
            }
            let mut best = go(i + 1, vals, left);
            for (k, v) in vals[i].iter().enumerate() {
                if let Some(v) = v {
                    if left[k] > 0 {
                        left[k] -= 1;
                        best = best.max(v + go(i + 1, vals, left));
                        left[k] += 1;
                    }
                }
            }
            best
        }
        go(0, &vals, &mut cap.clone())
    }

    fn candidate() -> impl Strategy<Value = Candidate> {
        (
            proptest::option::weighted(0.9, 0.0..1.0f64),
            proptest::option::weighted(0.9, 0.0..1.0f64),
            proptest::option::weighted(0.8, -0.05..0.2f64),
            proptest::option::weighted(0.5, 0.0..200.0f64),
            0u8..16,
            0u8..16,
        )
            .prop_map(|(s, t, u, e, goals, allowed)| Candidate {
                row: 0,
                support: s,
                turnout: t,
                uplift: u,
                expected_value: e,
                goals,
                allowed,
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1000))]
        #[test]
        fn equals_brute_force_and_keeps_every_rule(
            mut cands in proptest::collection::vec(candidate(), 0..9),
            caps in proptest::array::uniform4(0u64..4),
        ) {
            for (i, c) in cands.iter_mut().enumerate() {
                c.row = i as u32 * 10;
            }
            let spec = spec(caps);
            let a = allocate(&spec, &cands);
            let best = brute(&spec, &cands);
            prop_assert!((a.value - best).abs() < 1e-9, "allocation {} vs optimum {}", a.value, best);
            // No budget exceeded, no person twice, only allowed channels.
            for ch in &a.channels {
                prop_assert!(ch.attempts <= ch.attempts_affordable);
                prop_assert!(ch.spent <= ch.budget + 1e-9);
            }
            let mut seen = std::collections::HashSet::new();
            for x in &a.assignments {
                prop_assert!(seen.insert(x.candidate));
                let c = &cands[x.candidate as usize];
                prop_assert_eq!(c.row, x.row);
                prop_assert!(c.allowed & (1 << x.channel.index()) != 0, "suppressed channel used");
                prop_assert!(c.goals & (1 << goal_index(x.goal)) != 0, "goal the person is not in");
                prop_assert!(x.value > 0.0);
            }
        }
    }

    #[test]
    fn a_scarce_channel_goes_to_whom_it_helps_most() {
        // Two turnout targets, one door attempt, one call: the stronger supporter gets the
        // door (bigger lift), the other the call.
        let all = 0b1111;
        let t = 1 << goal_index(Goal::Turnout);
        let c = |row, s| Candidate {
            row,
            support: Some(s),
            turnout: Some(0.5),
            goals: t,
            allowed: all,
            ..Candidate::default()
        };
        let a = allocate(&spec([1, 1, 0, 0]), &[c(1, 0.7), c(2, 0.9)]);
        let door: Vec<u32> = a
            .assignments
            .iter()
            .filter(|x| x.channel == Channel::Door)
            .map(|x| x.row)
            .collect();
        assert_eq!(door, vec![2]);
        assert_eq!(a.assignments.len(), 2);
        // Door: 0.30 × 0.06 × 0.8 ; phone: 0.20 × 0.02 × 0.4.
        assert!((a.votes - (0.3 * 0.06 * 0.8 + 0.2 * 0.02 * 0.4)).abs() < 1e-12);
        // Both budgets spent; one more door attempt would reach nobody new but could move
        // the caller to the door: 0.3×0.06×0.4 − 0.2×0.02×0.4 gained, plus nothing.
        let door_m = a.channels[0].marginal_value_per_unit;
        assert!(
            (door_m - (0.3 * 0.06 * 0.4 - 0.2 * 0.02 * 0.4)).abs() < 1e-12,
            "{door_m}"
        );
    }

    #[test]
    fn suppressed_and_opposed_people_get_nothing() {
        let t = 1 << goal_index(Goal::Turnout);
        let c = [
            Candidate {
                row: 1,
                support: Some(0.9),
                goals: t,
                allowed: 0,
                ..Candidate::default()
            },
            Candidate {
                row: 2,
                support: Some(0.2),
                goals: t,
                allowed: 0b1111,
                ..Candidate::default()
            },
        ];
        let a = allocate(&spec([5, 5, 5, 5]), &c);
        assert!(a.assignments.is_empty());
        assert_eq!(a.eligible, 0);
        assert_eq!(
            a.channels
                .iter()
                .map(|c| c.marginal_value_per_unit)
                .sum::<f64>(),
            0.0
        );
    }

    #[test]
    fn a_channel_without_budget_still_says_what_its_first_unit_buys() {
        let t = 1 << goal_index(Goal::Turnout);
        let c = Candidate {
            row: 1,
            support: Some(0.9),
            goals: t,
            allowed: 0b1111,
            ..Candidate::default()
        };
        let a = allocate(&spec([0, 0, 0, 0]), &[c]);
        assert!(a.assignments.is_empty());
        // One door attempt would reach 30% × 6% lift × 0.8 net margin.
        let door = a.channels[0].marginal_value_per_unit;
        assert!((door - 0.3 * 0.06 * 0.8).abs() < 1e-12, "{door}");
    }

    #[test]
    fn money_counts_at_the_exchange_rate() {
        let f = 1 << goal_index(Goal::Fundraising);
        let c = Candidate {
            row: 7,
            expected_value: Some(100.0),
            goals: f,
            allowed: 0b0010,
            ..Candidate::default()
        };
        let a = allocate(&spec([0, 1, 0, 0]), &[c]);
        assert_eq!(a.assignments.len(), 1);
        assert!((a.dollars - 0.2 * 0.5 * 100.0).abs() < 1e-12);
        assert!((a.value - 10.0 / 500.0).abs() < 1e-12);
        assert!(why(&c, &spec([0, 1, 0, 0]), Channel::Phone)
            .contains("phone: 0.0200 for fundraising (chosen)"));
    }

    #[test]
    fn caps_count_attempts_inside_the_window_only() {
        let d = |s: &str| model::Date::parse(s).unwrap();
        let mut people = People {
            ids: vec![1, 2, 3],
            ..People::default()
        };
        let at = |row, channel, date: &str| crate::table::Attempt {
            row,
            channel,
            date: d(date),
        };
        people.contacts = vec![
            at(0, Channel::Door, "2026-10-20"),
            at(0, Channel::Door, "2026-10-30"),
            at(1, Channel::Door, "2026-10-30"),
            at(1, Channel::Door, "2026-10-01"), // outside the 14 days
            at(2, Channel::Phone, "2026-10-30"),
            at(2, Channel::Phone, "2026-10-31"),
            at(2, Channel::Phone, "2026-11-01"),
            at(2, Channel::Phone, "2026-11-05"), // after today: not counted
        ];
        let c = capped(&people, &DEFAULT_CAPS, d("2026-11-01"));
        assert_eq!(c[Channel::Door.index()].ones().collect::<Vec<_>>(), vec![0]);
        assert_eq!(
            c[Channel::Phone.index()].ones().collect::<Vec<_>>(),
            vec![2]
        );
        assert_eq!(c[Channel::Text.index()].count(), 0);
    }

    #[test]
    fn spec_errors_name_the_field() {
        let mut s = spec([1, 1, 1, 1]);
        s.channels[1].contact_rate = 1.5;
        assert_eq!(
            s.check().unwrap_err(),
            "phone.contact_rate: a share between 0 and 1"
        );
        s.channels[1].contact_rate = 0.2;
        s.channels[0].cost = 0.0;
        assert!(s.check().unwrap_err().starts_with("door.cost"));
        s.channels[0].cost = 1.0;
        s.channels.push(s.channels[2].clone());
        assert_eq!(s.check().unwrap_err(), "text: given twice");
    }
}
