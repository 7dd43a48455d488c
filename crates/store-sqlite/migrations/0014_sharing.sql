-- Migration 14: targeted sharing (relational organising). A supporter agrees to the terms
-- (sharing_consents), uploads contacts (sharing_uploads), each friend is matched and
-- classified (sharing_friends: what the supporter typed, kept for re-matching, and the match,
-- never shown to them) and given asks (sharing_asks: done by the supporter, credited when later
-- data shows the friend registered or voted). Withdrawal erases friends and uploads; asks
-- stay as counts with no link to anyone. The precinct table gives polling places; the
-- campaign's sharing settings (target states, links, dates, texts) are one JSON document.
CREATE TABLE sharing_settings (
  id          INTEGER PRIMARY KEY CHECK (id = 1),
  body        TEXT NOT NULL,
  updated_at  TEXT NOT NULL,
  updated_by  TEXT NOT NULL
);
CREATE TABLE precincts (
  county           TEXT NOT NULL,
  precinct         TEXT NOT NULL,
  polling_place    TEXT NOT NULL,
  polling_address  TEXT NOT NULL,
  loaded_at        TEXT NOT NULL,
  PRIMARY KEY (county, precinct)
);
CREATE TABLE sharing_consents (
  id             INTEGER PRIMARY KEY,
  user_id        INTEGER NOT NULL,
  terms_version  TEXT NOT NULL,
  terms_sha256   TEXT NOT NULL,
  agreed_at      TEXT NOT NULL,
  withdrawn_at   TEXT
);
CREATE INDEX sharing_consents_user ON sharing_consents (user_id);
CREATE TABLE sharing_uploads (
  id          INTEGER PRIMARY KEY,
  user_id     INTEGER NOT NULL,
  consent_id  INTEGER NOT NULL,
  format      TEXT NOT NULL,
  entries     INTEGER NOT NULL,
  accepted    INTEGER NOT NULL,
  rejected    INTEGER NOT NULL,
  load_mark   INTEGER NOT NULL,
  created_at  TEXT NOT NULL
);
CREATE INDEX sharing_uploads_user ON sharing_uploads (user_id, created_at);
CREATE TABLE sharing_friends (
  id               INTEGER PRIMARY KEY,
  upload_id        INTEGER NOT NULL,
  user_id          INTEGER NOT NULL,
  position         INTEGER NOT NULL,
  typed_name       TEXT NOT NULL,
  details          TEXT NOT NULL,
  state            TEXT NOT NULL,
  voter_rkey       TEXT,
  person_id        INTEGER,
  probability_ppm  INTEGER,
  county           TEXT,
  precinct         TEXT,
  class            TEXT NOT NULL,
  value_e9         INTEGER NOT NULL,
  matched_at       TEXT NOT NULL
);
CREATE INDEX sharing_friends_user ON sharing_friends (user_id);
CREATE INDEX sharing_friends_upload ON sharing_friends (upload_id);
CREATE TABLE sharing_asks (
  id           INTEGER PRIMARY KEY,
  friend_id    INTEGER,
  user_id      INTEGER,
  kind         TEXT NOT NULL,
  state        TEXT NOT NULL,
  created_at   TEXT NOT NULL,
  done_at      TEXT,
  credited_at  TEXT,
  credit       TEXT
);
CREATE INDEX sharing_asks_user ON sharing_asks (user_id);
CREATE INDEX sharing_asks_friend ON sharing_asks (friend_id);
