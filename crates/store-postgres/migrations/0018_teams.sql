-- Migration 18: neighbourhood teams (issue 11). A team covers precincts (each precinct on one
-- team at most) and may have a leader (a user's name); volunteers are on the team of the
-- precinct of their registered address (computed, not stored). The leader logs personal
-- contacts with members (a call, a visit, a meeting): who, when, how.
CREATE TABLE teams (
  id          TEXT PRIMARY KEY,
  name        TEXT NOT NULL,
  county      TEXT NOT NULL,
  leader      TEXT,
  updated_at  TEXT NOT NULL
);
CREATE TABLE team_areas (
  county    TEXT NOT NULL,
  precinct  TEXT NOT NULL,
  team_id   TEXT NOT NULL,
  PRIMARY KEY (county, precinct)
);
CREATE INDEX team_areas_team ON team_areas (team_id);
CREATE TABLE team_contacts (
  team_id       TEXT NOT NULL,
  person_id     BIGINT NOT NULL,
  contacted_by  TEXT NOT NULL,
  contacted_at  TEXT NOT NULL,
  how           TEXT NOT NULL
);
CREATE INDEX team_contacts_person ON team_contacts (team_id, person_id);
