//! Neighbourhood teams (migration 18): teams with their precincts and leader, and the personal
//! contacts a leader logs with members. Membership is computed from the voter file (the
//! precinct of a volunteer's registered address). Plain SQL for both backends.

use crate::sql::{RowExt, Sql};
use crate::{Result, Value};

fn text(s: &str) -> Value {
    Value::Text(s.to_string())
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Team {
    pub id: String,
    pub name: String,
    pub county: String,
    /// A user's name.
    pub leader: Option<String>,
    /// Its precincts, sorted.
    pub precincts: Vec<String>,
    pub updated_at: String,
}

/// A volunteer on a team: their sign-up (the latest) and person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub person_id: i64,
    pub first_name: String,
    pub last_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub precinct: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonalContact {
    pub person_id: i64,
    pub contacted_by: String,
    pub contacted_at: String,
    pub how: String,
}

/// Replaces every team and its precincts, in one transaction (personal contacts stay, by
/// team id).
pub fn replace(sql: &mut dyn Sql, teams: &[Team], now: &str) -> Result<()> {
    sql.transaction(&mut |tx| {
        tx.execute("DELETE FROM team_areas", &[])?;
        tx.execute("DELETE FROM teams", &[])?;
        for t in teams {
            tx.execute(
                "INSERT INTO teams (id, name, county, leader, updated_at) VALUES (?, ?, ?, ?, ?)",
                &[
                    text(&t.id),
                    text(&t.name),
                    text(&t.county),
                    t.leader.clone().map_or(Value::Null, Value::Text),
                    text(now),
                ],
            )?;
            for p in &t.precincts {
                tx.execute(
                    "INSERT INTO team_areas (county, precinct, team_id) VALUES (?, ?, ?)",
                    &[text(&t.county), text(p), text(&t.id)],
                )?;
            }
        }
        Ok(())
    })
}

/// Every team, by county then id.
pub fn list(sql: &mut dyn Sql) -> Result<Vec<Team>> {
    let mut teams: Vec<Team> = sql
        .query(
            "SELECT id, name, county, leader, updated_at FROM teams ORDER BY county, id",
            &[],
        )?
        .iter()
        .map(|r| {
            Ok(Team {
                id: r.text(0)?,
                name: r.text(1)?,
                county: r.text(2)?,
                leader: r.opt_text(3)?,
                precincts: Vec::new(),
                updated_at: r.text(4)?,
            })
        })
        .collect::<Result<_>>()?;
    for r in sql.query(
        "SELECT team_id, precinct FROM team_areas ORDER BY team_id, precinct",
        &[],
    )? {
        let (id, p) = (r.text(0)?, r.text(1)?);
        if let Some(t) = teams.iter_mut().find(|t| t.id == id) {
            t.precincts.push(p);
        }
    }
    Ok(teams)
}

/// The volunteers whose registered address is in the team's precincts (one row per person:
/// their latest sign-up), by last then first name.
pub fn members(sql: &mut dyn Sql, team: &Team) -> Result<Vec<Member>> {
    if team.precincts.is_empty() {
        return Ok(Vec::new());
    }
    let marks = vec!["?"; team.precincts.len()].join(", ");
    let mut params = vec![text(&team.county)];
    params.extend(team.precincts.iter().map(|p| text(p)));
    let rows = sql.query(
        &format!(
            "SELECT vol.person_id, vol.first_name, vol.last_name, vol.email, vol.phone, v.precinct \
             FROM voters v JOIN volunteers vol ON vol.person_id = v.person_id \
             WHERE v.county = ? AND v.precinct IN ({marks}) AND v.removed_load_id IS NULL \
             ORDER BY vol.person_id, vol.id DESC"
        ),
        &params,
    )?;
    let mut out: Vec<Member> = Vec::new();
    for r in rows {
        let person_id = r.int(0)?;
        if out.last().is_some_and(|m| m.person_id == person_id) {
            continue;
        }
        out.push(Member {
            person_id,
            first_name: r.text(1)?,
            last_name: r.text(2)?,
            email: r.opt_text(3)?,
            phone: r.opt_text(4)?,
            precinct: r.text(5)?,
        });
    }
    out.sort_by(|a, b| {
        (a.last_name.as_str(), a.first_name.as_str(), a.person_id).cmp(&(
            b.last_name.as_str(),
            b.first_name.as_str(),
            b.person_id,
        ))
    });
    Ok(out)
}

/// Contact attempts recorded in the team's precincts, by contact type (`door`, `phone`, …):
/// (type, since `recent`, since `since`) — one pass over the precincts' voters for both
/// windows (`recent` ≥ `since`, both YYYY-MM-DD).
pub fn area_attempts(
    sql: &mut dyn Sql,
    team: &Team,
    recent: &str,
    since: &str,
) -> Result<Vec<(String, i64, i64)>> {
    if team.precincts.is_empty() {
        return Ok(Vec::new());
    }
    let marks = vec!["?"; team.precincts.len()].join(", ");
    let mut params = vec![text(recent), text(&team.county)];
    params.extend(team.precincts.iter().map(|p| text(p)));
    params.push(text(since));
    sql.query(
        &format!(
            "SELECT f.contact_type, \
             CAST(SUM(CASE WHEN CAST(f.date AS TEXT) >= ? THEN 1 ELSE 0 END) AS BIGINT), \
             CAST(COUNT(*) AS BIGINT) FROM voters v \
             JOIN field_results f ON f.voter_rkey = v.rkey \
             WHERE v.county = ? AND v.precinct IN ({marks}) AND v.removed_load_id IS NULL \
             AND f.source = 'canvass' AND CAST(f.date AS TEXT) >= ? \
             GROUP BY f.contact_type ORDER BY f.contact_type"
        ),
        &params,
    )?
    .iter()
    .map(|r| Ok((r.text(0)?, r.int(1)?, r.int(2)?)))
    .collect()
}

/// Canvass results recorded by `canvasser` (an actor, `user:NAME`) since `since`.
pub fn results_by(sql: &mut dyn Sql, canvasser: &str, since: &str) -> Result<i64> {
    sql.query(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM field_results WHERE canvasser = ? AND CAST(date AS TEXT) >= ?",
        &[text(canvasser), text(since)],
    )?
    .first()
    .map_or(Ok(0), |r| r.int(0))
}

pub fn add_contact(sql: &mut dyn Sql, team_id: &str, c: &PersonalContact) -> Result<()> {
    sql.execute(
        "INSERT INTO team_contacts (team_id, person_id, contacted_by, contacted_at, how) VALUES (?, ?, ?, ?, ?)",
        &[
            text(team_id),
            Value::Int(c.person_id),
            text(&c.contacted_by),
            text(&c.contacted_at),
            text(&c.how),
        ],
    )?;
    Ok(())
}

/// The latest personal contact logged with each member of a team (one per person).
pub fn contacts(sql: &mut dyn Sql, team_id: &str) -> Result<Vec<PersonalContact>> {
    sql.query(
        "SELECT c.person_id, MAX(c.contacted_by), c.contacted_at, MAX(c.how) FROM team_contacts c \
         WHERE c.team_id = ? AND c.contacted_at = (SELECT MAX(d.contacted_at) FROM team_contacts d \
         WHERE d.team_id = c.team_id AND d.person_id = c.person_id) \
         GROUP BY c.person_id, c.contacted_at ORDER BY c.person_id",
        &[text(team_id)],
    )?
    .iter()
    .map(|r| {
        Ok(PersonalContact {
            person_id: r.int(0)?,
            contacted_by: r.text(1)?,
            contacted_at: r.text(2)?,
            how: r.text(3)?,
        })
    })
    .collect()
}
