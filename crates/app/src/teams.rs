//! Neighbourhood teams (issue 11): the campaign draws teams over precincts and names their
//! leaders (`tusk teams set FILE`); volunteers are on the team of the precinct of their
//! registered address; a leader sees their team — members, how to reach them, what each
//! recorded lately, the contact attempts in the team's precincts — and who has not been
//! contacted personally lately, and logs personal contacts.

use serde::Serialize;
use store::sql::Sql;
use store::{StoreError, Value};

use crate::accounts::Principal;
use crate::csv_file::{rows, Table};

/// How errors name the teams file.
const TEAMS_FILE: &str = "teams file";

/// Teams in one file.
pub const TEAMS_MAX: usize = 10_000;
/// Precincts on one team.
pub const PRECINCTS_PER_TEAM_MAX: usize = 200;
/// The longest team id and name.
pub const TEAM_ID_CHARS_MAX: usize = 40;
pub const TEAM_NAME_CHARS_MAX: usize = 100;
/// A member counts as contacted personally when the last personal contact is this recent.
pub const PERSONAL_CONTACT_DAYS: i64 = 30;
/// What the team and each member did is counted over this many days (and the last 7).
pub const ACTIVITY_DAYS: i64 = 30;
/// How a personal contact was made.
pub const HOW: [&str; 3] = ["call", "visit", "meeting"];

#[derive(Debug, thiserror::Error)]
pub enum TeamError {
    /// `row 3, precincts` (files) or a field name (the API) and why.
    #[error("{at}: {message}")]
    Invalid { at: String, message: String },
    /// The teams file, by row and column.
    #[error(transparent)]
    File(#[from] crate::csv_file::FileError),
    #[error("no team {0} that you lead or manage")]
    NotFound(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn invalid(at: impl Into<String>, message: impl Into<String>) -> TeamError {
    TeamError::Invalid {
        at: at.into(),
        message: message.into(),
    }
}

/// A team as read from the teams file.
#[derive(Debug, Clone, PartialEq)]
pub struct TeamInput {
    pub id: String,
    pub name: String,
    pub county: String,
    pub precincts: Vec<String>,
    pub leader: Option<String>,
    /// Its line in the teams file (errors name it).
    pub line: Option<usize>,
}

/// Reads a teams file: CSV with a header `team_id,name,county,precincts,leader` (any order,
/// any case; `precincts` separated by `;`; `leader` a user's name, may be empty). Errors name
/// the row (its line in the file; the header is line 1) and column.
pub fn parse_csv(text: &str) -> Result<Vec<TeamInput>, TeamError> {
    let t = Table::parse(TEAMS_FILE, text)?;
    for c in ["team_id", "name", "county", "precincts"] {
        t.col(c)?;
    }
    if t.len() > TEAMS_MAX {
        return Err(invalid(
            TEAMS_FILE,
            format!("more than {TEAMS_MAX} teams in one file"),
        ));
    }
    rows(&t)
        .map(|c| {
            Ok(TeamInput {
                id: c.text("team_id")?,
                name: c.text("name")?,
                county: c.text("county")?,
                precincts: c
                    .text("precincts")?
                    .split(';')
                    .map(|p| p.trim().to_string())
                    .filter(|p| !p.is_empty())
                    .collect(),
                leader: Some(c.opt_text("leader")).filter(|l| !l.is_empty()),
                line: Some(c.line() as usize),
            })
        })
        .collect()
}

/// Checks every team (ids unique, each precinct of the county in the voter file and on one
/// team only, leaders existing users), then replaces all teams in one transaction. Returns
/// the number of teams. Rows are named as in the file (the first team is row 2).
pub fn set(sql: &mut dyn Sql, teams: &[TeamInput], now: &str) -> Result<usize, TeamError> {
    let mut seen_ids = std::collections::HashSet::new();
    let mut seen_precincts = std::collections::HashMap::new();
    let mut kept = Vec::with_capacity(teams.len());
    for (i, t) in teams.iter().enumerate() {
        let at = |c: &str| format!("row {}, {c}", t.line.unwrap_or(i + 2));
        if t.id.is_empty()
            || t.id.chars().count() > TEAM_ID_CHARS_MAX
            || !t
                .id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        {
            return Err(invalid(
                at("team_id"),
                format!(
                    "{:?}: 1 to {TEAM_ID_CHARS_MAX} letters, digits, '.', '_' or '-' (it is part of the team's address)",
                    t.id
                ),
            ));
        }
        if !seen_ids.insert(t.id.clone()) {
            return Err(invalid(
                at("team_id"),
                format!("{} is on an earlier row", t.id),
            ));
        }
        if t.name.is_empty() || t.name.chars().count() > TEAM_NAME_CHARS_MAX {
            return Err(invalid(
                at("name"),
                format!("must be 1 to {TEAM_NAME_CHARS_MAX} characters"),
            ));
        }
        if t.county.is_empty() {
            return Err(invalid(at("county"), "is empty"));
        }
        let Some(county) = crate::goals::county_as_stored(sql, &t.county)? else {
            return Err(invalid(
                at("county"),
                format!("no county {} in the voter file", t.county),
            ));
        };
        if t.precincts.is_empty() || t.precincts.len() > PRECINCTS_PER_TEAM_MAX {
            return Err(invalid(
                at("precincts"),
                format!("1 to {PRECINCTS_PER_TEAM_MAX} precincts, separated by ;"),
            ));
        }
        let mut precincts = Vec::with_capacity(t.precincts.len());
        for typed in &t.precincts {
            // As typed, else in capitals (the state files' spelling).
            let mut found = None;
            for p in [typed.clone(), typed.to_uppercase()] {
                let known = sql.query(
                    "SELECT 1 FROM voters WHERE county = ? AND precinct = ? AND removed_load_id IS NULL LIMIT 1",
                    &[Value::Text(county.clone()), Value::Text(p.clone())],
                )?;
                if !known.is_empty() {
                    found = Some(p);
                    break;
                }
            }
            let Some(p) = found else {
                return Err(invalid(
                    at("precincts"),
                    format!("no precinct {typed} in {county} in the voter file"),
                ));
            };
            if let Some(other) = seen_precincts.insert((county.clone(), p.clone()), t.id.clone()) {
                return Err(invalid(
                    at("precincts"),
                    format!("{county} {p} is already on team {other}: a precinct is on one team"),
                ));
            }
            precincts.push(p);
        }
        precincts.sort();
        precincts.dedup();
        if let Some(l) = &t.leader {
            if store::accounts::user_by_name(sql, l)?.is_none() {
                return Err(invalid(
                    at("leader"),
                    format!("no user {l}: add them first (tusk user add)"),
                ));
            }
        }
        kept.push(store::teams::Team {
            id: t.id.clone(),
            name: t.name.clone(),
            county,
            leader: t.leader.clone(),
            precincts,
            updated_at: now.to_string(),
        });
    }
    store::teams::replace(sql, &kept, now)?;
    Ok(kept.len())
}

/// Whether `p` may see a team: those who read everyone; organizers in its county; its leader.
pub fn may_see(p: &Principal, t: &store::teams::Team) -> bool {
    match p {
        Principal::User {
            role,
            regions,
            username,
            ..
        } => {
            role.reads_everyone()
                || (role.is_staff() && regions.iter().any(|r| r.eq_ignore_ascii_case(&t.county)))
                || t.leader.as_deref() == Some(username.as_str())
        }
        Principal::Key { .. } => false,
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct TeamSummary {
    pub id: String,
    pub name: String,
    pub county: String,
    pub precincts: Vec<String>,
    pub leader: Option<String>,
    pub members: usize,
    /// Members without a personal contact in the last `PERSONAL_CONTACT_DAYS`.
    pub not_contacted: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct LastContact {
    pub at: String,
    pub by: String,
    pub how: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct MemberView {
    pub person_id: i64,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub precinct: String,
    pub last_contact: Option<LastContact>,
    /// A personal contact in the last `PERSONAL_CONTACT_DAYS`.
    pub contacted: bool,
    /// Their account, when they have one (a user linked to their person).
    pub account: Option<String>,
    /// Canvass results they recorded in the last `ACTIVITY_DAYS`.
    pub results_recorded: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct TeamView {
    pub team: TeamSummary,
    /// Not contacted personally lately first, then the others; by name within each.
    pub members: Vec<MemberView>,
    /// Contact attempts in the team's precincts by type: the last 7 days, the last
    /// `ACTIVITY_DAYS`.
    pub attempts_week: Vec<(String, i64)>,
    pub attempts_month: Vec<(String, i64)>,
}

fn days_before(today: &str, days: i64) -> String {
    model::Date::parse(today.get(..10).unwrap_or(""))
        .map(|d| model::Date::from_days(d.to_days() - days).to_string())
        .unwrap_or_default()
}

fn member_views(
    sql: &mut dyn Sql,
    team: &store::teams::Team,
    today: &str,
) -> Result<Vec<MemberView>, StoreError> {
    let members = store::teams::members(sql, team)?;
    let contacts = store::teams::contacts(sql, &team.id)?;
    let recent = days_before(today, PERSONAL_CONTACT_DAYS);
    let since = days_before(today, ACTIVITY_DAYS);
    let users = store::accounts::list_users(sql)?;
    let mut out = Vec::with_capacity(members.len());
    for m in members {
        let last = contacts.iter().find(|c| c.person_id == m.person_id);
        let account = users
            .iter()
            .find(|u| u.person_id == Some(m.person_id))
            .map(|u| u.username.clone());
        let results_recorded = match &account {
            Some(a) => store::teams::results_by(sql, &format!("user:{a}"), &since)?,
            None => 0,
        };
        out.push(MemberView {
            person_id: m.person_id,
            name: format!("{} {}", m.first_name, m.last_name)
                .trim()
                .to_string(),
            email: m.email,
            phone: m.phone,
            precinct: m.precinct,
            contacted: last.is_some_and(|c| c.contacted_at.as_str() >= recent.as_str()),
            last_contact: last.map(|c| LastContact {
                at: c.contacted_at.clone(),
                by: c.contacted_by.clone(),
                how: c.how.clone(),
            }),
            account,
            results_recorded,
        });
    }
    // Stable: by name within each group.
    out.sort_by_key(|m| m.contacted);
    Ok(out)
}

fn summary(t: &store::teams::Team, members: &[MemberView]) -> TeamSummary {
    TeamSummary {
        id: t.id.clone(),
        name: t.name.clone(),
        county: t.county.clone(),
        precincts: t.precincts.clone(),
        leader: t.leader.clone(),
        members: members.len(),
        not_contacted: members.iter().filter(|m| !m.contacted).count(),
    }
}

/// The teams `p` may see, with their member counts (members and their latest personal
/// contact only: the activity is on each team's page).
pub fn list(sql: &mut dyn Sql, p: &Principal, today: &str) -> Result<Vec<TeamSummary>, StoreError> {
    let recent = days_before(today, PERSONAL_CONTACT_DAYS);
    let mut out = Vec::new();
    for t in store::teams::list(sql)? {
        if !may_see(p, &t) {
            continue;
        }
        let members = store::teams::members(sql, &t)?;
        let contacts = store::teams::contacts(sql, &t.id)?;
        let not_contacted = members
            .iter()
            .filter(|m| {
                !contacts.iter().any(|c| {
                    c.person_id == m.person_id && c.contacted_at.as_str() >= recent.as_str()
                })
            })
            .count();
        out.push(TeamSummary {
            id: t.id.clone(),
            name: t.name.clone(),
            county: t.county.clone(),
            precincts: t.precincts.clone(),
            leader: t.leader.clone(),
            members: members.len(),
            not_contacted,
        });
    }
    Ok(out)
}

fn find(sql: &mut dyn Sql, p: &Principal, id: &str) -> Result<store::teams::Team, TeamError> {
    store::teams::list(sql)?
        .into_iter()
        .find(|t| t.id == id && may_see(p, t))
        .ok_or_else(|| TeamError::NotFound(id.to_string()))
}

/// One team as its leader (or an organizer) sees it.
pub fn view(
    sql: &mut dyn Sql,
    p: &Principal,
    id: &str,
    today: &str,
) -> Result<TeamView, TeamError> {
    let t = find(sql, p, id)?;
    let members = member_views(sql, &t, today)?;
    let attempts = store::teams::area_attempts(
        sql,
        &t,
        &days_before(today, 7),
        &days_before(today, ACTIVITY_DAYS),
    )?;
    Ok(TeamView {
        team: summary(&t, &members),
        attempts_week: attempts
            .iter()
            .filter(|a| a.1 > 0)
            .map(|a| (a.0.clone(), a.1))
            .collect(),
        attempts_month: attempts.into_iter().map(|a| (a.0, a.2)).collect(),
        members,
    })
}

/// Logs a personal contact with a member of the team.
pub fn log_contact(
    sql: &mut dyn Sql,
    p: &Principal,
    id: &str,
    person_id: i64,
    how: &str,
    now: &str,
) -> Result<(), TeamError> {
    let t = find(sql, p, id)?;
    if !HOW.contains(&how) {
        return Err(invalid(
            "how",
            format!("{how:?} is not one of {}", HOW.join(", ")),
        ));
    }
    if !store::teams::members(sql, &t)?
        .iter()
        .any(|m| m.person_id == person_id)
    {
        return Err(invalid(
            "person_id",
            format!("{person_id} is not a member of team {id}"),
        ));
    }
    store::teams::add_contact(
        sql,
        &t.id,
        &store::teams::PersonalContact {
            person_id,
            contacted_by: p.actor(),
            contacted_at: now.to_string(),
            how: how.to_string(),
        },
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_teams_file_is_read_with_rows_named() {
        let t = parse_csv("Team_ID,Name,County,Precincts,Leader\nT1,North Raleigh,WAKE,01-01; 01-02,vol\nT2,South,wake,02-01,\n").unwrap();
        assert_eq!(t.len(), 2);
        assert_eq!(t[0].precincts, ["01-01", "01-02"]);
        assert_eq!(t[0].leader.as_deref(), Some("vol"));
        assert_eq!(t[1].leader, None);
        let e = parse_csv("team_id,name,county\nT1,N,WAKE\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "teams file: the header has no precincts column"
        );
    }

    #[test]
    fn days_before_counts_back_over_months() {
        assert_eq!(days_before("2026-11-03T10:00:00Z", 7), "2026-10-27");
        assert_eq!(days_before("2026-03-01", 1), "2026-02-28");
    }
}
