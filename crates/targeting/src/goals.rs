//! The four reasons a campaign spends on someone, as universe templates. Each template is an
//! ordinary expression (so it can be read, explained, edited and saved) built from named
//! thresholds, with the suppression rules that apply to it written in.

use serde::{Deserialize, Serialize};

/// Persuasion: likely voters (turnout at least this)…
pub const PERSUASION_TURNOUT_MIN: f64 = 0.5;
/// …whose support is in the middle…
pub const PERSUASION_SUPPORT_LOW: f64 = 0.35;
pub const PERSUASION_SUPPORT_HIGH: f64 = 0.65;
/// …and whom a contact moves by at least this much (uplift, in probability).
pub const PERSUASION_UPLIFT_MIN: f64 = 0.05;
/// Turnout/GOTV: likely supporters…
pub const GOTV_SUPPORT_MIN: f64 = 0.6;
/// …whose turnout is in the middle (the sure voters and the never-voters are not worth a
/// contact).
pub const GOTV_TURNOUT_LOW: f64 = 0.3;
pub const GOTV_TURNOUT_HIGH: f64 = 0.7;
/// Fundraising: expected dollars from an ask (P(gives) × expected gift) at least this…
pub const FUNDRAISING_EXPECTED_DOLLARS_MIN: f64 = 20.0;
/// …from likely supporters (a registered voter's support score at least this; people not on
/// the voter file came to the campaign themselves).
pub const FUNDRAISING_SUPPORT_MIN: f64 = 0.5;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Goal {
    Registration,
    Persuasion,
    Turnout,
    Fundraising,
}

impl Goal {
    pub const ALL: [Goal; 4] = [
        Goal::Registration,
        Goal::Persuasion,
        Goal::Turnout,
        Goal::Fundraising,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Goal::Registration => "registration",
            Goal::Persuasion => "persuasion",
            Goal::Turnout => "turnout",
            Goal::Fundraising => "fundraising",
        }
    }

    pub fn parse(s: &str) -> Option<Goal> {
        Goal::ALL.into_iter().find(|g| g.name() == s)
    }

    /// The template's logic in words.
    pub fn logic(self) -> &'static str {
        match self {
            Goal::Registration => {
                "People the campaign knows (volunteers, shared contacts, donors) who are not on the \
                 voter file and live in the state: register them. Do-not-contact people are left out."
            }
            Goal::Persuasion => {
                "Registered likely voters (turnout at least the minimum) in the middle of the support \
                 range whom a contact moves (uplift at least the minimum), who have not voted yet. \
                 Never a volunteer's household (they are ours already, and a persuasion knock there \
                 insults them); never do-not-contact people."
            }
            Goal::Turnout => {
                "Registered likely supporters with middling turnout who have not voted yet in this \
                 election (vote history or a counted early/absentee ballot). Do-not-contact people \
                 are left out."
            }
            Goal::Fundraising => {
                "Likely supporters (or people not on the voter file, who came to the campaign) whose \
                 expected gift from an ask (P(gives) × expected gift) is at least the minimum, except \
                 donors already at the legal limit for this election (ask them to volunteer instead) \
                 and do-not-contact people."
            }
        }
    }
}

/// What a template needs to know about the campaign.
#[derive(Debug, Clone)]
pub struct GoalParams {
    /// The election being worked (for "has not voted yet").
    pub election: model::Date,
    /// The state the campaign registers voters in (`state` field, e.g. "NC").
    pub state: String,
}

/// The universe expression of a goal.
pub fn expression(goal: Goal, p: &GoalParams) -> String {
    let state = p.state.replace('"', "");
    match goal {
        Goal::Registration => format!(
            "not registered and state = \"{state}\" and (volunteer or contact or gave) and not do_not_contact"
        ),
        Goal::Persuasion => format!(
            "registered and turnout >= {PERSUASION_TURNOUT_MIN} and support between {PERSUASION_SUPPORT_LOW} and {PERSUASION_SUPPORT_HIGH} \
             and persuasion >= {PERSUASION_UPLIFT_MIN} and not voted({}) and not volunteer_household and not do_not_contact",
            p.election
        ),
        Goal::Turnout => format!(
            "registered and support >= {GOTV_SUPPORT_MIN} and turnout between {GOTV_TURNOUT_LOW} and {GOTV_TURNOUT_HIGH} \
             and not voted({}) and not do_not_contact",
            p.election
        ),
        Goal::Fundraising => format!(
            "expected_value >= {FUNDRAISING_EXPECTED_DOLLARS_MIN} and (support >= {FUNDRAISING_SUPPORT_MIN} or not registered) \
             and not maxed_out and not do_not_contact"
        ),
    }
}
