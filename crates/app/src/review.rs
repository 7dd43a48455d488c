//! The clerical review queue as a data director works it: each borderline pair with both
//! records and the waterfall of why it scored what it did; a decision applies at once (the
//! record joins the voter's person, or leaves it for a person of its own) and every later
//! `tusk resolve` keeps it. Decisions are audited and in the change feed (merged, unmerged).

use identity::{Explanation, Model};
use serde::Serialize;
use store::accounts::AuditRecord;
use store::{
    LoadCounts, LoadEnd, LoadMeta, PersonRef, ResolutionRow, ReviewItem, Store, StoreError, Table,
};

use crate::accounts::Principal;

/// Pairs on one page of the queue.
pub const REVIEW_PAGE_MAX: usize = 50;
/// Load kind of a review decision.
pub const REVIEW_LOAD_KIND: &str = "review";

#[derive(Debug, Clone, Serialize)]
pub struct ReviewView {
    pub item: ReviewItem,
    pub left: Option<ResolutionRow>,
    pub right: Option<ResolutionRow>,
    /// The waterfall under the current model (absent while the model is being estimated).
    pub explanation: Option<Explanation>,
    /// Different first names at one address without a person-specific agreement.
    pub household_guard: bool,
    /// The right record is on the left voter's person now.
    pub linked: bool,
}

/// Undecided pairs (all pairs with `all`), most likely first, one page.
pub fn queue(
    store: &mut dyn Store,
    model: Option<&Model>,
    all: bool,
    offset: usize,
    limit: usize,
) -> Result<(usize, Vec<ReviewView>), StoreError> {
    let items = store.review_items(!all)?;
    let total = items.len();
    let mut out = Vec::new();
    for item in items
        .into_iter()
        .skip(offset)
        .take(limit.min(REVIEW_PAGE_MAX))
    {
        let left = store::people::resolution_row(store.sql(), &item.left_rkey)?.map(|x| x.1);
        let right = store::people::resolution_row(store.sql(), &item.right_rkey)?.map(|x| x.1);
        let (explanation, guard) = match (&left, &right, model) {
            (Some(l), Some(r), Some(m)) => {
                let (a, b) = (crate::resolve::record(l), crate::resolve::record(r));
                (
                    Some(m.explain(&a, &b)),
                    identity::link::household_guard(&a, &b),
                )
            }
            _ => (None, false),
        };
        let linked = matches!((&left, &right), (Some(l), Some(r)) if l.person_id.is_some() && l.person_id == r.person_id);
        out.push(ReviewView {
            item,
            left,
            right,
            explanation,
            household_guard: guard,
            linked,
        });
    }
    Ok((total, out))
}

#[derive(Debug, thiserror::Error)]
pub enum ReviewError {
    #[error("{0}")]
    Invalid(String),
    /// A key that is in no table: (`left` or `right`, message).
    #[error("{1}")]
    NotFound(&'static str, String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What a decision did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Decided {
    pub decision: &'static str,
    /// The right record's person now.
    pub person_id: Option<i64>,
    /// Whether the record moved.
    pub moved: bool,
    pub load_id: Option<i64>,
}

/// Records a decision on a pair and applies it now: `accept` puts the right record on the
/// left voter's person; `reject` takes it off that person (onto a person of its own). Both
/// keys must exist; the left must be a voter. Returns the audit record to write.
pub fn decide(
    store: &mut dyn Store,
    who: &Principal,
    left: &str,
    right: &str,
    accept: bool,
    now: &str,
) -> Result<(Decided, AuditRecord), ReviewError> {
    let l = store::people::resolution_row(store.sql(), left)?;
    let r = store::people::resolution_row(store.sql(), right)?;
    let l = match l {
        None => {
            return Err(ReviewError::NotFound(
                "left",
                format!("left: no record {left:?} in the store (voter keys look like nc:AA123456)"),
            ))
        }
        Some((Table::Voters, l)) => l,
        Some(_) => {
            return Err(ReviewError::Invalid(format!(
                "left: {left:?} is not a voter record"
            )))
        }
    };
    let Some((rt, r)) = r else {
        return Err(ReviewError::NotFound(
            "right",
            format!("right: no record {right:?} in the store"),
        ));
    };
    if rt == Table::Voters {
        return Err(ReviewError::Invalid(
            "right: two voter registrations are not merged by review yet (voter-file dedupe is still to come)".into(),
        ));
    }
    store.decide(left, right, accept, &who.actor(), now)?;
    let linked = l.person_id.is_some() && l.person_id == r.person_id;
    let target = match (accept, linked) {
        (true, false) => l.person_id.map(PersonRef::Existing),
        (false, true) => Some(PersonRef::New(0)),
        _ => None,
    };
    let mut load_id = None;
    if let Some(t) = target {
        let meta = LoadMeta {
            kind: REVIEW_LOAD_KIND.into(),
            source: "identity".into(),
            file_name: "(review)".into(),
            file_bytes: 0,
            header: String::new(),
            loaded_by: who.actor(),
            started_at: now.into(),
        };
        let mut load = store.begin_load(&meta)?;
        load.assign_persons(&[(rt, right.to_string(), t)])?;
        let counts = LoadCounts {
            read: 1,
            accepted: 1,
            updated: 1,
            ..Default::default()
        };
        load_id = Some(load.commit(&LoadEnd {
            counts,
            finished_at: now.into(),
            summary: serde_json::json!({ "decision": if accept { "accept" } else { "reject" }, "left": left, "right": right }),
            ..Default::default()
        })?);
    }
    let now_person = store::people::resolution_row(store.sql(), right)?.and_then(|x| x.1.person_id);
    let decision = if accept { "accept" } else { "reject" };
    let audit = AuditRecord::new(
        now,
        &who.actor(),
        if accept {
            "review.accept"
        } else {
            "review.reject"
        },
        &format!("{left} {right}"),
        serde_json::json!({ "moved": target.is_some(), "person": now_person }),
    );
    Ok((
        Decided {
            decision,
            person_id: now_person,
            moved: target.is_some(),
            load_id,
        },
        audit,
    ))
}
