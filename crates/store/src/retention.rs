//! Retention: personal data the campaign no longer needs, erased on schedule (the admin's
//! retention duty, PRODUCT.md §5). What is erased is gone — rows, their earlier versions, the
//! review pairs naming them — and the change feed says so (`deleted`), so that tools that
//! copied it can erase their copies too.
//!
//! The first rule: contacts shared by supporters whose person is known only from shared
//! contacts (no registration, no sign-up, no gift), first loaded before a cut-off. A person
//! left with no record at all is erased with them (their tags, list places, scores and derived
//! list rows go too), unless an account names them.

use crate::sql::{RowExt, Sql};
use crate::{Result, Value};

/// Ids per statement when erasing.
pub const IDS_PER_STATEMENT: usize = 500;

/// What an erasure removed (or, in a dry run, would remove).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Erased {
    pub contacts: u64,
    pub people: u64,
}

fn ids_in(ids: &[i64]) -> (String, Vec<Value>) {
    (
        vec!["?"; ids.len()].join(","),
        ids.iter().map(|i| Value::Int(*i)).collect(),
    )
}

/// Erases the shared contacts whose person has no registration, sign-up or gift and whose
/// record was first loaded by a load finished before `cutoff` (an ISO timestamp). One
/// transaction, with `deleted` changes for each contact and each person erased and the audit
/// entry of the run (`retention.erase`, or `retention.dry_run`, by `actor`, with `detail` and
/// the counts): an erasure is never unaudited.
pub fn erase_unmatched_contacts(
    sql: &mut dyn Sql,
    cutoff: &str,
    now: &str,
    dry_run: bool,
    actor: &str,
    detail: &serde_json::Value,
) -> Result<Erased> {
    let mut erased = Erased::default();
    sql.transaction(&mut |tx| {
        crate::changes::lock(tx)?;
        let found = tx.query(
            "SELECT c.id, c.rkey, c.person_id FROM contacts c JOIN loads l ON l.id = c.first_load_id \
             WHERE l.finished_at < ? AND (c.person_id IS NULL OR ( \
               NOT EXISTS (SELECT 1 FROM voters v WHERE v.person_id = c.person_id) \
               AND NOT EXISTS (SELECT 1 FROM volunteers w WHERE w.person_id = c.person_id) \
               AND NOT EXISTS (SELECT 1 FROM donations d WHERE d.person_id = c.person_id))) \
             ORDER BY c.rkey",
            &[Value::Text(cutoff.into())],
        )?;
        let mut contacts = Vec::with_capacity(found.len());
        let mut people: Vec<i64> = Vec::new();
        for r in &found {
            contacts.push((r.int(0)?, r.text(1)?));
            if let Some(p) = r.opt_int(2)? {
                people.push(p);
            }
        }
        people.sort_unstable();
        people.dedup();
        erased = Erased {
            contacts: contacts.len() as u64,
            people: 0,
        };
        for chunk in contacts.chunks(IDS_PER_STATEMENT) {
            let ids: Vec<i64> = chunk.iter().map(|c| c.0).collect();
            let (marks, params) = ids_in(&ids);
            let keys: Vec<Value> = chunk.iter().map(|c| Value::Text(c.1.clone())).collect();
            let key_marks = vec!["?"; keys.len()].join(",");
            if !dry_run {
                let mut p = vec![Value::Text(now.into())];
                p.extend(params.iter().cloned());
                tx.execute(
                    &format!(
                        "INSERT INTO changes (at, kind, resource, resource_id, rkey, load_id) \
                         SELECT ?, 'deleted', 'contact', id, rkey, NULL FROM contacts \
                         WHERE id IN ({marks}) ORDER BY rkey"
                    ),
                    &p,
                )?;
                tx.execute(
                    &format!("DELETE FROM record_versions WHERE table_name = 'contacts' AND rkey IN ({key_marks})"),
                    &keys,
                )?;
                let mut both = keys.clone();
                both.extend(keys.iter().cloned());
                tx.execute(
                    &format!(
                        "DELETE FROM review_queue WHERE left_rkey IN ({key_marks}) OR right_rkey IN ({key_marks})"
                    ),
                    &both,
                )?;
                tx.execute(
                    &format!("DELETE FROM person_assignments WHERE table_name = 'contacts' AND rkey IN ({key_marks})"),
                    &keys,
                )?;
                tx.execute(&format!("DELETE FROM contacts WHERE id IN ({marks})"), &params)?;
            }
        }
        // People left with no record (and no account naming them).
        let mut gone = Vec::new();
        for &p in &people {
            let left = tx.query(
                "SELECT (SELECT COUNT(*) FROM voters WHERE person_id = ?) \
                 + (SELECT COUNT(*) FROM volunteers WHERE person_id = ?) \
                 + (SELECT COUNT(*) FROM donations WHERE person_id = ?) \
                 + (SELECT COUNT(*) FROM contacts WHERE person_id = ?) \
                 + (SELECT COUNT(*) FROM users WHERE person_id = ?)",
                &[Value::Int(p), Value::Int(p), Value::Int(p), Value::Int(p), Value::Int(p)],
            )?;
            let left = left.first().map(|r| r.int(0)).transpose()?.unwrap_or(1);
            // In a dry run the contacts are still there: count them as gone.
            let own = if dry_run {
                found
                    .iter()
                    .filter(|r| r.opt_int(2).ok().flatten() == Some(p))
                    .count() as i64
            } else {
                0
            };
            if left - own == 0 {
                gone.push(p);
            }
        }
        erased.people = gone.len() as u64;
        let mut d = detail.clone();
        if let Some(o) = d.as_object_mut() {
            o.insert("contacts".into(), erased.contacts.into());
            o.insert("people".into(), erased.people.into());
        }
        crate::accounts::audit(
            tx,
            now,
            actor,
            if dry_run { "retention.dry_run" } else { "retention.erase" },
            "contacts:unmatched",
            &d,
        )?;
        if dry_run {
            return Ok(());
        }
        for chunk in gone.chunks(IDS_PER_STATEMENT) {
            let (marks, params) = ids_in(chunk);
            for table in ["taggings", "list_items", "scores", "allocation_items", "turf_stops", "person_assignments"] {
                tx.execute(&format!("DELETE FROM {table} WHERE person_id IN ({marks})"), &params)?;
            }
            let mut p = vec![Value::Text(now.into())];
            p.extend(params.iter().cloned());
            tx.execute(
                &format!(
                    "INSERT INTO changes (at, kind, resource, resource_id, rkey, load_id) \
                     SELECT ?, 'deleted', 'person', id, '', NULL FROM people WHERE id IN ({marks}) ORDER BY id"
                ),
                &p,
            )?;
            tx.execute(&format!("DELETE FROM people WHERE id IN ({marks})"), &params)?;
        }
        Ok(())
    })?;
    Ok(erased)
}
