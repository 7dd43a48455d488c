//! Identity resolution over the store (first step): donors, volunteers and contacts are linked
//! to voters' people; the rest are deduplicated among themselves into new people. One run is
//! one load (kind `resolve`), atomic like any other.

use std::collections::HashMap;

use identity::{RawPerson, Record};
use serde::Serialize;
use store::{LoadCounts, LoadEnd, LoadMeta, PersonRef, ResolutionRow, Store, StoreError, Table};

/// Best matches at or above this probability, but below the linking threshold, go to the
/// clerical review queue.
pub const REVIEW_PROBABILITY_MIN: f64 = 0.2;

/// Tables whose rows get a person from resolution.
pub const RESOLVED_TABLES: [Table; 3] = [Table::Donations, Table::Volunteers, Table::Contacts];

#[derive(Debug, Clone, Default, Serialize)]
pub struct ResolveReport {
    pub load_id: i64,
    pub voters: usize,
    pub records: usize,
    /// Records now attached to a voter's person.
    pub linked_to_voters: usize,
    /// Records whose person changed in this run.
    pub changed: u64,
    /// Borderline pairs new to the review queue.
    pub queued_for_review: u64,
    /// Human decisions in force this run (both records still in the store).
    pub decisions_in_force: usize,
    pub new_people: u64,
    pub candidate_pairs: u64,
    pub prior: f64,
}

pub(crate) fn record(r: &ResolutionRow) -> Record {
    Record::new(
        r.rkey.clone(),
        &RawPerson {
            first: r.first.clone(),
            middle: r.middle.clone(),
            last: r.last.clone(),
            suffix: r.suffix.clone(),
            dob: r.birth_date.clone().unwrap_or_default(),
            birth_year: r.birth_year.map(|y| y.to_string()).unwrap_or_default(),
            street: r.address_line.clone(),
            city: r.city.clone(),
            state: r.state.clone(),
            zip: r.zip5.clone(),
            phone: r.phone.clone(),
            email: r.email.clone(),
            ..Default::default()
        },
    )
}

/// Links every donation, volunteer and contact row to the best voter (at `threshold`), and
/// groups the others into new people. Running it again on the same store changes nothing.
pub fn resolve(
    store: &mut dyn Store,
    threshold: f64,
    loaded_by: &str,
    now: &str,
) -> Result<ResolveReport, StoreError> {
    let voter_rows = store.resolution_rows(Table::Voters)?;
    let mut rows: Vec<(Table, ResolutionRow)> = Vec::new();
    for t in RESOLVED_TABLES {
        rows.extend(store.resolution_rows(t)?.into_iter().map(|r| (t, r)));
    }
    let left: Vec<Record> = voter_rows.iter().map(record).collect();
    let right: Vec<Record> = rows.iter().map(|(_, r)| record(r)).collect();
    let settings = identity::LinkSettings {
        threshold,
        ..Default::default()
    };
    // Links down to the review floor; the ones below the threshold are for a human.
    let mut decided: HashMap<(String, String), bool> = HashMap::new();
    for it in store.review_items(false)? {
        if let Some(d) = &it.decision {
            decided.insert((it.left_rkey.clone(), it.right_rkey.clone()), d == "accept");
        }
    }
    // Links down to the review floor (the ones below the threshold are for a human), never
    // through a rejected pair.
    let link_settings = identity::LinkSettings {
        threshold: threshold.min(REVIEW_PROBABILITY_MIN),
        forbidden: decided
            .iter()
            .filter(|(_, a)| !**a)
            .map(|(k, _)| k.clone())
            .collect(),
        ..Default::default()
    };
    let (links, model, stats) = identity::link(&left, &right, &link_settings);
    let voter_index: HashMap<&str, usize> = voter_rows
        .iter()
        .enumerate()
        .map(|(i, v)| (v.rkey.as_str(), i))
        .collect();
    let mut who: Vec<Option<PersonRef>> = vec![None; rows.len()];
    let mut review = Vec::new();
    for k in &links {
        let (l, r) = (
            voter_rows[k.left as usize].rkey.as_str(),
            rows[k.right as usize].1.rkey.as_str(),
        );
        let link = match decided.get(&(l.to_string(), r.to_string())) {
            Some(&accept) => accept,
            None if k.probability >= threshold => true,
            None => {
                review.push(store::ReviewCandidate {
                    left_rkey: l.to_string(),
                    right_rkey: r.to_string(),
                    probability: k.probability,
                    weight: k.weight,
                });
                false
            }
        };
        if link {
            if let Some(p) = voter_rows[k.left as usize].person_id {
                who[k.right as usize] = Some(PersonRef::Existing(p));
            }
        }
    }
    // Accepted pairs the model did not pick as best: linked as the human said.
    let right_index: HashMap<&str, usize> = rows
        .iter()
        .enumerate()
        .map(|(i, (_, r))| (r.rkey.as_str(), i))
        .collect();
    let mut accepted: Vec<&(String, String)> = decided
        .iter()
        .filter(|(_, a)| **a)
        .map(|(k, _)| k)
        .collect();
    accepted.sort_unstable();
    for (l, r) in accepted {
        if let (Some(&li), Some(&ri)) = (voter_index.get(l.as_str()), right_index.get(r.as_str())) {
            let p = voter_rows[li].person_id.map(PersonRef::Existing);
            if p.is_some() {
                who[ri] = p;
            }
        }
    }
    let decisions_in_force = decided
        .keys()
        .filter(|(l, r)| {
            voter_index.contains_key(l.as_str()) && right_index.contains_key(r.as_str())
        })
        .count();
    let linked = who.iter().filter(|w| w.is_some()).count();
    // Per source: records, and how many are now a voter's person (the data health page).
    let mut by_source: std::collections::BTreeMap<&'static str, (u64, u64)> = Default::default();
    for (i, (t, _)) in rows.iter().enumerate() {
        let e = by_source.entry(t.name()).or_default();
        e.0 += 1;
        e.1 += who[i].is_some() as u64;
    }
    let by_source: serde_json::Value = by_source
        .into_iter()
        .map(|(t, (n, k))| {
            (
                t.to_string(),
                serde_json::json!({"records": n, "linked_to_voters": k}),
            )
        })
        .collect::<serde_json::Map<_, _>>()
        .into();
    // The rest: deduplicated among themselves; a cluster whose members already share one
    // person (a previous run) keeps it, so a second run changes nothing.
    let rest: Vec<usize> = (0..rows.len()).filter(|i| who[*i].is_none()).collect();
    let rest_records: Vec<Record> = rest.iter().map(|&i| right[i].clone()).collect();
    let (cluster, _, _, _) = identity::dedupe(&rest_records, &settings);
    let voter_people: std::collections::HashSet<i64> =
        voter_rows.iter().filter_map(|v| v.person_id).collect();
    let mut members: HashMap<u32, Vec<usize>> = HashMap::new();
    for (k, &c) in cluster.iter().enumerate() {
        members.entry(c).or_default().push(rest[k]);
    }
    for (c, m) in &members {
        let old: Vec<Option<i64>> = m.iter().map(|&i| rows[i].1.person_id).collect();
        let keep = match old.first() {
            Some(Some(p)) if old.iter().all(|o| *o == Some(*p)) && !voter_people.contains(p) => {
                Some(*p)
            }
            _ => None,
        };
        for &i in m {
            who[i] = Some(keep.map(PersonRef::Existing).unwrap_or(PersonRef::New(*c)));
        }
    }
    let mut counts = LoadCounts::default();
    let mut changes: Vec<(Table, String, PersonRef)> = Vec::new();
    for (i, (t, r)) in rows.iter().enumerate() {
        let w = who[i].expect("every row is assigned");
        counts.read += 1;
        counts.accepted += 1;
        match (w, r.person_id) {
            (PersonRef::Existing(p), Some(old)) if p == old => counts.unchanged += 1,
            _ => {
                counts.updated += 1;
                changes.push((*t, r.rkey.clone(), w));
            }
        }
    }
    let meta = LoadMeta {
        kind: "resolve".into(),
        source: "identity".into(),
        file_name: "(the store)".into(),
        file_bytes: 0,
        header: String::new(),
        loaded_by: loaded_by.into(),
        started_at: now.into(),
    };
    let mut load = store.begin_load(&meta)?;
    let new_people = load.assign_persons(&changes)?;
    let queued_for_review = load.enqueue_reviews(&review)?;
    counts.new = 0;
    let end = LoadEnd {
        counts: counts.clone(),
        finished_at: now.into(),
        summary: serde_json::json!({
            "voters": voter_rows.len(),
            "linked_to_voters": linked,
            "by_source": by_source,
            "new_people": new_people,
            "queued_for_review": queued_for_review,
            "decisions_in_force": decisions_in_force,
            "candidate_pairs": stats.candidate_pairs,
            "prior": model.prior,
        }),
        ..Default::default()
    };
    let load_id = load.commit(&end)?;
    Ok(ResolveReport {
        load_id,
        voters: voter_rows.len(),
        records: rows.len(),
        linked_to_voters: linked,
        changed: counts.updated,
        queued_for_review,
        decisions_in_force,
        new_people,
        candidate_pairs: stats.candidate_pairs,
        prior: model.prior,
    })
}

/// Why two records in the store score what they score under the model `resolve` estimates
/// from the store now: the waterfall, and whether the household guard keeps them apart.
pub fn explain(
    store: &mut dyn Store,
    a: &str,
    b: &str,
) -> Result<(identity::Explanation, bool), StoreError> {
    let voter_rows = store.resolution_rows(Table::Voters)?;
    let mut rows: Vec<ResolutionRow> = Vec::new();
    for t in RESOLVED_TABLES {
        rows.extend(store.resolution_rows(t)?);
    }
    let find = |key: &str| {
        voter_rows
            .iter()
            .chain(&rows)
            .find(|r| r.rkey == key)
            .map(record)
            .ok_or_else(|| StoreError::Invalid(format!("no record {key} among voters, donations, volunteers, contacts (keys look like nc:AA123456, fec:SUB_ID, mobilize:ID)")))
    };
    let (ra, rb) = (find(a)?, find(b)?);
    let left: Vec<Record> = voter_rows.iter().map(record).collect();
    let right: Vec<Record> = rows.iter().map(record).collect();
    let (_, model, stats) = identity::link(&left, &right, &identity::LinkSettings::default());
    let guarded = stats.household_guard && identity::link::household_guard(&ra, &rb);
    Ok((model.explain(&ra, &rb), guarded))
}
