-- Tusk person store, SQLite. Migration 1: loads, source tables, people, households.
CREATE TABLE loads (
  id            INTEGER PRIMARY KEY,
  kind          TEXT NOT NULL,
  source        TEXT NOT NULL,
  file_name     TEXT NOT NULL,
  file_bytes    INTEGER NOT NULL,
  file_hash     TEXT NOT NULL,
  header        TEXT NOT NULL,
  loaded_by     TEXT NOT NULL,
  started_at    TEXT NOT NULL,
  finished_at   TEXT,
  read          INTEGER NOT NULL DEFAULT 0,
  accepted      INTEGER NOT NULL DEFAULT 0,
  rejected      INTEGER NOT NULL DEFAULT 0,
  new           INTEGER NOT NULL DEFAULT 0,
  updated       INTEGER NOT NULL DEFAULT 0,
  unchanged     INTEGER NOT NULL DEFAULT 0,
  duplicate     INTEGER NOT NULL DEFAULT 0,
  removed       INTEGER NOT NULL DEFAULT 0,
  rejects_file  TEXT,
  scope         TEXT NOT NULL DEFAULT '',
  summary       TEXT NOT NULL DEFAULT '{}'
);

CREATE TABLE people (
  id               INTEGER PRIMARY KEY,
  created_load_id  INTEGER NOT NULL REFERENCES loads(id)
);

CREATE TABLE households (
  id            INTEGER PRIMARY KEY,
  address_key   TEXT NOT NULL,
  address_line  TEXT NOT NULL,
  city          TEXT NOT NULL,
  state         TEXT NOT NULL,
  zip5          TEXT NOT NULL
);

-- Earlier versions of source records replaced by a later load: nothing is lost.
CREATE TABLE record_versions (
  id              INTEGER PRIMARY KEY,
  table_name      TEXT NOT NULL,
  rkey            TEXT NOT NULL,
  load_id         INTEGER NOT NULL,
  row_number      INTEGER NOT NULL,
  raw             TEXT NOT NULL,
  hash            INTEGER NOT NULL,
  replaced_by_load_id INTEGER NOT NULL
);
CREATE INDEX record_versions_rkey ON record_versions (table_name, rkey);

CREATE TABLE voters (
  id INTEGER PRIMARY KEY,
  rkey TEXT NOT NULL UNIQUE,
  person_id INTEGER NOT NULL,
  load_id INTEGER NOT NULL, first_load_id INTEGER NOT NULL, row_number INTEGER NOT NULL,
  raw TEXT NOT NULL, hash INTEGER NOT NULL, removed_load_id INTEGER,
  source TEXT NOT NULL, voter_id TEXT NOT NULL, state TEXT NOT NULL, county_id TEXT NOT NULL,
  county TEXT NOT NULL, registration_number TEXT NOT NULL,
  first_name TEXT NOT NULL, middle_name TEXT NOT NULL, last_name TEXT NOT NULL,
  name_suffix TEXT NOT NULL, first_name_group TEXT NOT NULL,
  status TEXT NOT NULL, status_reason TEXT NOT NULL,
  address_line TEXT NOT NULL, house_number TEXT NOT NULL, street TEXT NOT NULL, unit TEXT NOT NULL,
  city TEXT NOT NULL, res_state TEXT NOT NULL, zip5 TEXT, zip4 TEXT, household_id INTEGER,
  mail_address TEXT NOT NULL, phone TEXT, birth_year INTEGER, birth_date TEXT,
  gender TEXT NOT NULL, race TEXT NOT NULL, ethnicity TEXT NOT NULL, party TEXT NOT NULL,
  registration_date TEXT, precinct TEXT NOT NULL, precinct_desc TEXT NOT NULL,
  municipality TEXT NOT NULL, ward TEXT NOT NULL, congressional_district TEXT NOT NULL,
  senate_district TEXT NOT NULL, house_district TEXT NOT NULL, confidential INTEGER NOT NULL
);
CREATE INDEX voters_person ON voters (person_id);
-- (no index on county: removal scans the source once per snapshot load)

CREATE TABLE vote_history (
  id INTEGER PRIMARY KEY,
  rkey TEXT NOT NULL UNIQUE,
  load_id INTEGER NOT NULL, first_load_id INTEGER NOT NULL, row_number INTEGER NOT NULL,
  raw TEXT NOT NULL, hash INTEGER NOT NULL,
  source TEXT NOT NULL, voter_id TEXT NOT NULL, voter_rkey TEXT NOT NULL,
  election_date TEXT NOT NULL, election_desc TEXT NOT NULL, election_type TEXT NOT NULL,
  method TEXT NOT NULL, method_raw TEXT NOT NULL, voted_party TEXT NOT NULL,
  county_id TEXT NOT NULL, precinct TEXT NOT NULL
);
CREATE INDEX vote_history_voter ON vote_history (voter_rkey);

CREATE TABLE ballots (
  id INTEGER PRIMARY KEY,
  rkey TEXT NOT NULL UNIQUE,
  load_id INTEGER NOT NULL, first_load_id INTEGER NOT NULL, row_number INTEGER NOT NULL,
  raw TEXT NOT NULL, hash INTEGER NOT NULL,
  source TEXT NOT NULL, voter_id TEXT NOT NULL, voter_rkey TEXT NOT NULL,
  election_date TEXT NOT NULL, request_type TEXT NOT NULL, request_date TEXT, send_date TEXT,
  return_date TEXT, return_status TEXT NOT NULL, counted INTEGER NOT NULL,
  county TEXT NOT NULL, precinct TEXT NOT NULL, site_name TEXT NOT NULL
);
CREATE INDEX ballots_voter ON ballots (voter_rkey);

CREATE TABLE donations (
  id INTEGER PRIMARY KEY,
  rkey TEXT NOT NULL UNIQUE,
  person_id INTEGER,
  load_id INTEGER NOT NULL, first_load_id INTEGER NOT NULL, row_number INTEGER NOT NULL,
  raw TEXT NOT NULL, hash INTEGER NOT NULL,
  sub_id TEXT NOT NULL, committee_id TEXT NOT NULL, amendment TEXT NOT NULL,
  report_type TEXT NOT NULL, election TEXT NOT NULL, image_num TEXT NOT NULL,
  transaction_type TEXT NOT NULL, entity_type TEXT NOT NULL,
  first_name TEXT NOT NULL, middle_name TEXT NOT NULL, last_name TEXT NOT NULL,
  name_suffix TEXT NOT NULL, first_name_group TEXT NOT NULL,
  city TEXT NOT NULL, state TEXT NOT NULL, zip5 TEXT, zip4 TEXT, employer TEXT NOT NULL,
  occupation TEXT NOT NULL, date TEXT, amount_cents INTEGER NOT NULL, other_id TEXT NOT NULL,
  tran_id TEXT NOT NULL, file_num TEXT NOT NULL, memo INTEGER NOT NULL, memo_text TEXT NOT NULL
);
CREATE INDEX donations_person ON donations (person_id);

CREATE TABLE volunteers (
  id INTEGER PRIMARY KEY,
  rkey TEXT NOT NULL UNIQUE,
  person_id INTEGER,
  load_id INTEGER NOT NULL, first_load_id INTEGER NOT NULL, row_number INTEGER NOT NULL,
  raw TEXT NOT NULL, hash INTEGER NOT NULL,
  source TEXT NOT NULL, source_key TEXT NOT NULL,
  first_name TEXT NOT NULL, middle_name TEXT NOT NULL, last_name TEXT NOT NULL,
  name_suffix TEXT NOT NULL, first_name_group TEXT NOT NULL, email TEXT, phone TEXT,
  address_line TEXT NOT NULL, house_number TEXT NOT NULL, street TEXT NOT NULL, unit TEXT NOT NULL,
  city TEXT NOT NULL, state TEXT NOT NULL, zip5 TEXT, zip4 TEXT, birth_date TEXT,
  birth_year INTEGER, entry_date TEXT
);
CREATE INDEX volunteers_person ON volunteers (person_id);

CREATE TABLE contacts (
  id INTEGER PRIMARY KEY,
  rkey TEXT NOT NULL UNIQUE,
  person_id INTEGER,
  load_id INTEGER NOT NULL, first_load_id INTEGER NOT NULL, row_number INTEGER NOT NULL,
  raw TEXT NOT NULL, hash INTEGER NOT NULL,
  source TEXT NOT NULL, source_key TEXT NOT NULL, owner TEXT NOT NULL,
  first_name TEXT NOT NULL, middle_name TEXT NOT NULL, last_name TEXT NOT NULL,
  name_suffix TEXT NOT NULL, first_name_group TEXT NOT NULL, email TEXT, phone TEXT,
  address_line TEXT NOT NULL, house_number TEXT NOT NULL, street TEXT NOT NULL, unit TEXT NOT NULL,
  city TEXT NOT NULL, state TEXT NOT NULL, zip5 TEXT, zip4 TEXT, birth_date TEXT,
  birth_year INTEGER, entry_date TEXT
);
CREATE INDEX contacts_person ON contacts (person_id);
