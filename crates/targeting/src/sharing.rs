//! Targeted sharing (issue 9), no IO: each friend a supporter shared,
//! matched or not to the voter file, is classified (not registered, registered supporter
//! unlikely to vote, persuadable, already voted, not a target), given the asks that fit, and
//! ranked by the expected net votes of asking — target states first, in the campaign's order.
//!
//! The values are expectations under named assumptions (the `EFFECT_*` and `*_PRIOR`
//! constants), not measured effects: they rank the asks for the campaign, they do not
//! forecast results. (The supporter's own list is not ordered by them: `app::sharing`.)

use serde::Serialize;

/// A voter match at least this probable is taken as the friend's registration.
pub const MATCH_PROBABILITY_MIN: f64 = 0.9;
/// A best candidate whose evidence (log2 Bayes factor, the prior left out) reaches this many
/// bits but whose match is below the registration threshold leaves the friend in doubt: not
/// taken as registered, not asked to register either. Bits, not a probability: the prior of
/// a pair falls with the size of the file, the evidence of a shared name and city does not.
pub const DOUBT_BITS: f64 = 14.0;
/// … and so does a best candidate at least this probable (in a small file the prior is large
/// enough that weaker evidence is already a real chance).
pub const DOUBT_PROBABILITY_MIN: f64 = 0.05;
/// Support score from which a registered friend is a supporter.
pub const SUPPORTER_MIN: f32 = 0.6;
/// Support score below which a friend is an opponent (never asked to vote).
pub const OPPONENT_MAX: f32 = 0.4;
/// A supporter whose turnout score is below this is a turnout target.
pub const TURNOUT_TARGET_MAX: f32 = 0.7;
/// Persuasion uplift (change in support probability from the message) from which a friend
/// in the middle is a persuasion target.
pub const PERSUASION_MIN: f32 = 0.02;
/// Assumption: a friend asked by a friend to register does so with this probability.
pub const EFFECT_REGISTER: f64 = 0.10;
/// Assumption: a new registrant votes with this probability.
pub const NEW_REGISTRANT_TURNOUT: f64 = 0.6;
/// Assumption: a supporter's unmatched friend supports the campaign with this probability
/// (friends resemble each other).
pub const FRIEND_SUPPORT_PRIOR: f64 = 0.6;
/// Assumption: a personal ask to vote raises a friend's turnout by this share of what is
/// left (1 − turnout score).
pub const EFFECT_TURNOUT: f64 = 0.08;
/// Assumption: a friend shown the persuasion message by a friend moves by this share of the
/// model's uplift (the model's uplift is for the campaign's own contact).
pub const EFFECT_PERSUADE_SHARE: f64 = 1.0;

/// What the campaign knows of a matched friend's registration.
#[derive(Debug, Clone, Default)]
pub struct Voter {
    /// Two-letter state of the registration.
    pub state: String,
    pub support: Option<f32>,
    pub turnout: Option<f32>,
    pub persuasion: Option<f32>,
    /// Voted in the current election (early ballot or election day).
    pub voted: bool,
}

/// One friend as the engine sees them (never shown to the supporter).
#[derive(Debug, Clone, Default)]
pub struct Friend {
    /// Position in the upload (stable tie-break).
    pub index: usize,
    /// Where the friend lives, as typed or else the supporter's state ("" if unknown).
    pub state: String,
    /// The best voter match and its probability, if any was found.
    pub matched: Option<(f64, Voter)>,
    /// The evidence for the best candidate, in bits (log2 Bayes factor without the prior);
    /// `f64::NEG_INFINITY` when there was no candidate.
    pub evidence_bits: f64,
    /// The contact says enough that a registration would have been found (a full name and a
    /// place): only then does "no match" mean "not registered". A first name and a phone
    /// with no match says nothing.
    pub findable: bool,
}

/// The campaign's settings for sharing.
#[derive(Debug, Clone)]
pub struct Campaign {
    /// Target states, most important first ("Ohio first, Virginia second").
    pub target_states: Vec<String>,
    /// States where registration is still open.
    pub registration_open: Vec<String>,
    /// States where early voting is open now or still to come.
    pub early_vote_open: Vec<String>,
    /// Asking supporters for money is on.
    pub fundraising: bool,
    /// A voter match at least this probable is the friend's registration
    /// (`MATCH_PROBABILITY_MIN` unless the campaign chose otherwise).
    pub match_min: f64,
}

impl Default for Campaign {
    fn default() -> Campaign {
        Campaign {
            target_states: Vec::new(),
            registration_open: Vec::new(),
            early_vote_open: Vec::new(),
            fundraising: false,
            match_min: MATCH_PROBABILITY_MIN,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Class {
    /// No confident voter match where they live: the registration target.
    NotRegistered,
    /// A registered supporter unlikely to vote.
    TurnoutTarget,
    /// In the middle, and the persuasion model says the message moves them.
    Persuadable,
    AlreadyVoted,
    NotATarget,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Ask {
    Register,
    VoteEarly,
    PollingPlace,
    Give,
    Persuade,
}

/// A friend classified, with the asks that fit and their value.
#[derive(Debug, Clone, Serialize)]
pub struct Ranked {
    pub index: usize,
    pub class: Class,
    pub asks: Vec<Ask>,
    /// Expected net votes of asking (0 for friends not worth an ask).
    pub value: f64,
}

/// Weight of a state: 1 for the first target state, 1/2 for the second, …; 0 outside them.
pub fn state_weight(state: &str, c: &Campaign) -> f64 {
    c.target_states
        .iter()
        .position(|s| s.eq_ignore_ascii_case(state))
        .map_or(0.0, |i| 1.0 / (i as f64 + 1.0))
}

fn has(list: &[String], state: &str) -> bool {
    list.iter().any(|s| s.eq_ignore_ascii_case(state))
}

/// The friend's class.
pub fn classify(f: &Friend, c: &Campaign) -> Class {
    match &f.matched {
        Some((p, v)) if *p >= c.match_min => {
            if v.voted {
                return Class::AlreadyVoted;
            }
            if state_weight(&v.state, c) == 0.0 {
                return Class::NotATarget;
            }
            let support = v.support.unwrap_or(0.5);
            let turnout = v.turnout.unwrap_or(0.5);
            if support >= SUPPORTER_MIN && turnout < TURNOUT_TARGET_MAX {
                Class::TurnoutTarget
            } else if support > OPPONENT_MAX
                && support < SUPPORTER_MIN
                && v.persuasion.is_some_and(|u| u >= PERSUASION_MIN)
            {
                Class::Persuadable
            } else {
                Class::NotATarget
            }
        }
        Some((p, _)) if *p >= DOUBT_PROBABILITY_MIN => Class::NotATarget,
        _ if f.evidence_bits >= DOUBT_BITS => Class::NotATarget,
        _ if f.findable && state_weight(&f.state, c) > 0.0 => Class::NotRegistered,
        _ => Class::NotATarget,
    }
}

/// The asks that fit a friend of `class` (in the order they should be made).
pub fn asks(f: &Friend, class: Class, c: &Campaign) -> Vec<Ask> {
    let state = match &f.matched {
        Some((p, v)) if *p >= c.match_min => v.state.as_str(),
        _ => f.state.as_str(),
    };
    match class {
        Class::NotRegistered if has(&c.registration_open, state) => vec![Ask::Register],
        Class::NotRegistered => Vec::new(),
        Class::TurnoutTarget if has(&c.early_vote_open, state) => {
            vec![Ask::VoteEarly, Ask::PollingPlace]
        }
        Class::TurnoutTarget => vec![Ask::PollingPlace],
        Class::Persuadable => vec![Ask::Persuade],
        Class::AlreadyVoted | Class::NotATarget => {
            // A reliable supporter (matched, likely to vote, already voted or not) may give.
            let supporter = matches!(&f.matched, Some((p, v)) if *p >= c.match_min
                && v.support.is_some_and(|s| s >= SUPPORTER_MIN));
            if c.fundraising && supporter {
                vec![Ask::Give]
            } else {
                Vec::new()
            }
        }
    }
}

/// Expected net votes of asking a friend of `class` (see the assumptions above).
pub fn value(f: &Friend, class: Class, c: &Campaign) -> f64 {
    match (class, &f.matched) {
        (Class::NotRegistered, m) => {
            // A weak match may be the friend already registered: discount by it.
            let p = m.as_ref().map_or(0.0, |(p, _)| *p);
            state_weight(&f.state, c)
                * (1.0 - p)
                * EFFECT_REGISTER
                * NEW_REGISTRANT_TURNOUT
                * (2.0 * FRIEND_SUPPORT_PRIOR - 1.0)
        }
        (Class::TurnoutTarget, Some((_, v))) => {
            let s = v.support.unwrap_or(0.5) as f64;
            let t = v.turnout.unwrap_or(0.5) as f64;
            state_weight(&v.state, c) * EFFECT_TURNOUT * (1.0 - t) * (2.0 * s - 1.0)
        }
        (Class::Persuadable, Some((_, v))) => {
            let u = v.persuasion.unwrap_or(0.0) as f64;
            let t = v.turnout.unwrap_or(0.5) as f64;
            // Support moved by u changes the margin by 2u among those who vote.
            state_weight(&v.state, c) * EFFECT_PERSUADE_SHARE * 2.0 * u * t
        }
        _ => 0.0,
    }
}

/// Every friend classified, with asks and value, best first (value, then upload order).
/// Friends with no ask are kept, last, so that the supporter's list stays whole.
pub fn rank(friends: &[Friend], c: &Campaign) -> Vec<Ranked> {
    let mut out: Vec<Ranked> = friends
        .iter()
        .map(|f| {
            let class = classify(f, c);
            let asks = asks(f, class, c);
            let value = if asks.is_empty() {
                0.0
            } else {
                value(f, class, c)
            };
            Ranked {
                index: f.index,
                class,
                asks,
                value,
            }
        })
        .collect();
    out.sort_by(|a, b| {
        b.value
            .total_cmp(&a.value)
            .then(a.asks.is_empty().cmp(&b.asks.is_empty()))
            .then(a.index.cmp(&b.index))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn campaign() -> Campaign {
        Campaign {
            target_states: vec!["OH".into(), "VA".into()],
            registration_open: vec!["OH".into(), "VA".into()],
            early_vote_open: vec!["OH".into()],
            fundraising: true,
            ..Campaign::default()
        }
    }

    fn voter(state: &str, s: f32, t: f32, u: f32, voted: bool) -> Option<(f64, Voter)> {
        Some((
            0.99,
            Voter {
                state: state.into(),
                support: Some(s),
                turnout: Some(t),
                persuasion: Some(u),
                voted,
            },
        ))
    }

    fn friend(index: usize, state: &str, matched: Option<(f64, Voter)>) -> Friend {
        Friend {
            index,
            state: state.into(),
            matched,
            evidence_bits: f64::NEG_INFINITY,
            findable: true,
        }
    }

    #[test]
    fn each_class_and_its_asks() {
        let c = campaign();
        let cases = [
            (
                friend(0, "OH", None),
                Class::NotRegistered,
                vec![Ask::Register],
            ),
            (friend(1, "TX", None), Class::NotATarget, vec![]),
            (
                friend(2, "OH", voter("OH", 0.8, 0.3, 0.0, false)),
                Class::TurnoutTarget,
                vec![Ask::VoteEarly, Ask::PollingPlace],
            ),
            (
                friend(3, "VA", voter("VA", 0.8, 0.3, 0.0, false)),
                Class::TurnoutTarget,
                vec![Ask::PollingPlace],
            ),
            (
                friend(4, "OH", voter("OH", 0.5, 0.6, 0.05, false)),
                Class::Persuadable,
                vec![Ask::Persuade],
            ),
            (
                friend(5, "OH", voter("OH", 0.8, 0.3, 0.0, true)),
                Class::AlreadyVoted,
                vec![Ask::Give],
            ),
            (
                friend(6, "OH", voter("OH", 0.9, 0.95, 0.0, false)),
                Class::NotATarget,
                vec![Ask::Give],
            ),
            (
                friend(7, "OH", voter("OH", 0.2, 0.3, 0.1, false)),
                Class::NotATarget,
                vec![],
            ),
            // Registered in a state the campaign does not work in.
            (
                friend(8, "OH", voter("TX", 0.8, 0.3, 0.0, false)),
                Class::NotATarget,
                vec![Ask::Give],
            ),
        ];
        for (f, class, asks_want) in cases {
            let got = classify(&f, &c);
            assert_eq!(got, class, "friend {}", f.index);
            assert_eq!(asks(&f, got, &c), asks_want, "friend {}", f.index);
        }
        // A weak match is not a registration: still a registration target, discounted.
        let weak = Friend {
            evidence_bits: DOUBT_BITS - 1.0,
            ..friend(9, "OH", Some((0.025, Voter::default())))
        };
        // A candidate with strong evidence, below the threshold only for the file's size: in
        // doubt, neither.
        let doubt = Friend {
            evidence_bits: DOUBT_BITS,
            ..friend(11, "OH", Some((0.01, Voter::default())))
        };
        assert_eq!(classify(&doubt, &c), Class::NotATarget);
        let likely = friend(12, "OH", Some((DOUBT_PROBABILITY_MIN, Voter::default())));
        assert_eq!(classify(&likely, &c), Class::NotATarget);
        assert_eq!(classify(&weak, &c), Class::NotRegistered);
        let full = value(&friend(0, "OH", None), Class::NotRegistered, &c);
        let half = value(&weak, Class::NotRegistered, &c);
        let want = full * (1.0 - 0.025);
        assert!((half - want).abs() < 1e-12, "{half} vs {want}");
        // Too little to look for: no match says nothing, no ask.
        let sparse = Friend {
            findable: false,
            ..friend(10, "OH", None)
        };
        assert_eq!(classify(&sparse, &c), Class::NotATarget);
        // Registration closed: no ask.
        let closed = Campaign {
            registration_open: vec![],
            ..campaign()
        };
        assert!(asks(&friend(0, "OH", None), Class::NotRegistered, &closed).is_empty());
    }

    #[test]
    fn target_states_first_then_value_then_upload_order() {
        let c = campaign();
        let friends = vec![
            friend(0, "VA", voter("VA", 0.8, 0.3, 0.0, false)),
            friend(1, "OH", voter("OH", 0.8, 0.3, 0.0, false)),
            friend(2, "TX", None),
            friend(3, "OH", voter("OH", 0.8, 0.3, 0.0, false)),
            friend(4, "OH", voter("OH", 0.9, 0.1, 0.0, false)),
        ];
        let ranked = rank(&friends, &c);
        let order: Vec<usize> = ranked.iter().map(|r| r.index).collect();
        // Ohio before Virginia for the same friend; the surer, less likely voter first;
        // ties by upload order; nothing to ask of the Texan, last.
        assert_eq!(order, [4, 1, 3, 0, 2]);
        assert_eq!(ranked[4].value, 0.0);
        assert!((ranked[3].value * 2.0 - ranked[1].value).abs() < 1e-12);
        // Ranking does not depend on the order of the upload beyond ties.
        let mut rev = friends.clone();
        rev.reverse();
        let again: Vec<usize> = rank(&rev, &c).iter().map(|r| r.index).collect();
        assert_eq!(again, order);
    }

    #[test]
    fn values_follow_the_assumptions() {
        let c = campaign();
        let f = friend(0, "OH", voter("OH", 0.75, 0.4, 0.0, false));
        let v = value(&f, Class::TurnoutTarget, &c);
        assert!((v - EFFECT_TURNOUT * 0.6 * 0.5).abs() < 1e-6, "{v}");
        let p = friend(1, "OH", voter("OH", 0.5, 0.5, 0.04, false));
        let v = value(&p, Class::Persuadable, &c);
        assert!((v - 2.0 * 0.04 * 0.5).abs() < 1e-6, "{v}");
        assert_eq!(value(&f, Class::AlreadyVoted, &c), 0.0);
    }
}
