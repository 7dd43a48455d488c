//! Retention (the admin's duty, PRODUCT.md §5): erase what the campaign no longer needs, on a
//! schedule the campaign sets, audited. See `store::retention` for what each rule erases.

use store::sql::Sql;
use store::StoreError;

/// Shared contacts never matched to a registration, a sign-up or a gift are kept this many
/// days after they were loaded unless the campaign says otherwise.
pub const CONTACT_RETENTION_DAYS_DEFAULT: u32 = 180;
/// Longest retention one may ask for (ten years).
pub const RETENTION_DAYS_MAX: u32 = 3_660;

/// Erases shared contacts loaded more than `days` days before `now_secs` whose person is known
/// only from shared contacts, audited in the same transaction. Returns what was (or, dry,
/// would be) erased.
pub fn erase_unmatched_contacts(
    sql: &mut dyn Sql,
    days: u32,
    by: &str,
    now_secs: i64,
    dry_run: bool,
) -> Result<store::retention::Erased, StoreError> {
    if days > RETENTION_DAYS_MAX {
        return Err(StoreError::Invalid(format!(
            "days: at most {RETENTION_DAYS_MAX}"
        )));
    }
    let now = model::date::timestamp_utc(now_secs);
    let cutoff = model::date::timestamp_utc(now_secs - i64::from(days) * 86_400);
    store::retention::erase_unmatched_contacts(
        sql,
        &cutoff,
        &now,
        dry_run,
        by,
        &serde_json::json!({ "older_than_days": days, "cutoff": cutoff }),
    )
}

/// Erases friends shared by supporters that matched no registration, matched more than `days`
/// days before `now_secs` (their asks kept as counts only), audited in the same transaction.
pub fn erase_unmatched_friends(
    sql: &mut dyn Sql,
    days: u32,
    by: &str,
    now_secs: i64,
    dry_run: bool,
) -> Result<store::sharing::Erased, StoreError> {
    if days > RETENTION_DAYS_MAX {
        return Err(StoreError::Invalid(format!(
            "days: at most {RETENTION_DAYS_MAX}"
        )));
    }
    let now = model::date::timestamp_utc(now_secs);
    let cutoff = model::date::timestamp_utc(now_secs - i64::from(days) * 86_400);
    store::sharing::erase_unmatched(sql, &cutoff, &now, dry_run, by)
}
