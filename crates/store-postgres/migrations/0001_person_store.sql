-- Tusk person store, PostgreSQL. Migration 1: loads, source tables, people, households.
CREATE TABLE loads (
  id            BIGSERIAL PRIMARY KEY,
  kind          TEXT NOT NULL,
  source        TEXT NOT NULL,
  file_name     TEXT NOT NULL,
  file_bytes    BIGINT NOT NULL,
  file_hash     TEXT NOT NULL,
  header        TEXT NOT NULL,
  loaded_by     TEXT NOT NULL,
  started_at    TEXT NOT NULL,
  finished_at   TEXT,
  read          BIGINT NOT NULL DEFAULT 0,
  accepted      BIGINT NOT NULL DEFAULT 0,
  rejected      BIGINT NOT NULL DEFAULT 0,
  new           BIGINT NOT NULL DEFAULT 0,
  updated       BIGINT NOT NULL DEFAULT 0,
  unchanged     BIGINT NOT NULL DEFAULT 0,
  duplicate     BIGINT NOT NULL DEFAULT 0,
  removed       BIGINT NOT NULL DEFAULT 0,
  rejects_file  TEXT,
  scope         TEXT NOT NULL DEFAULT '',
  summary       TEXT NOT NULL DEFAULT '{}'
);

CREATE TABLE people (
  id               BIGSERIAL PRIMARY KEY,
  created_load_id  BIGINT NOT NULL REFERENCES loads(id)
);

CREATE TABLE households (
  id            BIGINT PRIMARY KEY,
  address_key   TEXT NOT NULL,
  address_line  TEXT NOT NULL,
  city          TEXT NOT NULL,
  state         TEXT NOT NULL,
  zip5          TEXT NOT NULL
);

-- Earlier versions of source records replaced by a later load: nothing is lost.
CREATE TABLE record_versions (
  id              BIGSERIAL PRIMARY KEY,
  table_name      TEXT NOT NULL,
  rkey            TEXT NOT NULL,
  load_id         BIGINT NOT NULL,
  row_number      BIGINT NOT NULL,
  raw             TEXT NOT NULL,
  hash            BIGINT NOT NULL,
  replaced_by_load_id BIGINT NOT NULL
);
CREATE INDEX record_versions_rkey ON record_versions (table_name, rkey);

CREATE TABLE voters (
  id BIGSERIAL PRIMARY KEY,
  rkey TEXT NOT NULL UNIQUE,
  person_id BIGINT NOT NULL,
  load_id BIGINT NOT NULL, first_load_id BIGINT NOT NULL, row_number BIGINT NOT NULL,
  raw TEXT NOT NULL, hash BIGINT NOT NULL, removed_load_id BIGINT,
  source TEXT NOT NULL, voter_id TEXT NOT NULL, state TEXT NOT NULL, county_id TEXT NOT NULL,
  county TEXT NOT NULL, registration_number TEXT NOT NULL,
  first_name TEXT NOT NULL, middle_name TEXT NOT NULL, last_name TEXT NOT NULL,
  name_suffix TEXT NOT NULL, first_name_group TEXT NOT NULL,
  status TEXT NOT NULL, status_reason TEXT NOT NULL,
  address_line TEXT NOT NULL, house_number TEXT NOT NULL, street TEXT NOT NULL, unit TEXT NOT NULL,
  city TEXT NOT NULL, res_state TEXT NOT NULL, zip5 TEXT, zip4 TEXT, household_id BIGINT,
  mail_address TEXT NOT NULL, phone TEXT, birth_year BIGINT, birth_date DATE,
  gender TEXT NOT NULL, race TEXT NOT NULL, ethnicity TEXT NOT NULL, party TEXT NOT NULL,
  registration_date DATE, precinct TEXT NOT NULL, precinct_desc TEXT NOT NULL,
  municipality TEXT NOT NULL, ward TEXT NOT NULL, congressional_district TEXT NOT NULL,
  senate_district TEXT NOT NULL, house_district TEXT NOT NULL, confidential BOOLEAN NOT NULL
);
CREATE INDEX voters_person ON voters (person_id);
-- (no index on county: removal scans the source once per snapshot load)

CREATE TABLE vote_history (
  id BIGSERIAL PRIMARY KEY,
  rkey TEXT NOT NULL UNIQUE,
  load_id BIGINT NOT NULL, first_load_id BIGINT NOT NULL, row_number BIGINT NOT NULL,
  raw TEXT NOT NULL, hash BIGINT NOT NULL,
  source TEXT NOT NULL, voter_id TEXT NOT NULL, voter_rkey TEXT NOT NULL,
  election_date DATE NOT NULL, election_desc TEXT NOT NULL, election_type TEXT NOT NULL,
  method TEXT NOT NULL, method_raw TEXT NOT NULL, voted_party TEXT NOT NULL,
  county_id TEXT NOT NULL, precinct TEXT NOT NULL
);
CREATE INDEX vote_history_voter ON vote_history (voter_rkey);

CREATE TABLE ballots (
  id BIGSERIAL PRIMARY KEY,
  rkey TEXT NOT NULL UNIQUE,
  load_id BIGINT NOT NULL, first_load_id BIGINT NOT NULL, row_number BIGINT NOT NULL,
  raw TEXT NOT NULL, hash BIGINT NOT NULL,
  source TEXT NOT NULL, voter_id TEXT NOT NULL, voter_rkey TEXT NOT NULL,
  election_date DATE NOT NULL, request_type TEXT NOT NULL, request_date DATE, send_date DATE,
  return_date DATE, return_status TEXT NOT NULL, counted BOOLEAN NOT NULL,
  county TEXT NOT NULL, precinct TEXT NOT NULL, site_name TEXT NOT NULL
);
CREATE INDEX ballots_voter ON ballots (voter_rkey);

CREATE TABLE donations (
  id BIGSERIAL PRIMARY KEY,
  rkey TEXT NOT NULL UNIQUE,
  person_id BIGINT,
  load_id BIGINT NOT NULL, first_load_id BIGINT NOT NULL, row_number BIGINT NOT NULL,
  raw TEXT NOT NULL, hash BIGINT NOT NULL,
  sub_id TEXT NOT NULL, committee_id TEXT NOT NULL, amendment TEXT NOT NULL,
  report_type TEXT NOT NULL, election TEXT NOT NULL, image_num TEXT NOT NULL,
  transaction_type TEXT NOT NULL, entity_type TEXT NOT NULL,
  first_name TEXT NOT NULL, middle_name TEXT NOT NULL, last_name TEXT NOT NULL,
  name_suffix TEXT NOT NULL, first_name_group TEXT NOT NULL,
  city TEXT NOT NULL, state TEXT NOT NULL, zip5 TEXT, zip4 TEXT, employer TEXT NOT NULL,
  occupation TEXT NOT NULL, date DATE, amount_cents BIGINT NOT NULL, other_id TEXT NOT NULL,
  tran_id TEXT NOT NULL, file_num TEXT NOT NULL, memo BOOLEAN NOT NULL, memo_text TEXT NOT NULL
);
CREATE INDEX donations_person ON donations (person_id);

CREATE TABLE volunteers (
  id BIGSERIAL PRIMARY KEY,
  rkey TEXT NOT NULL UNIQUE,
  person_id BIGINT,
  load_id BIGINT NOT NULL, first_load_id BIGINT NOT NULL, row_number BIGINT NOT NULL,
  raw TEXT NOT NULL, hash BIGINT NOT NULL,
  source TEXT NOT NULL, source_key TEXT NOT NULL,
  first_name TEXT NOT NULL, middle_name TEXT NOT NULL, last_name TEXT NOT NULL,
  name_suffix TEXT NOT NULL, first_name_group TEXT NOT NULL, email TEXT, phone TEXT,
  address_line TEXT NOT NULL, house_number TEXT NOT NULL, street TEXT NOT NULL, unit TEXT NOT NULL,
  city TEXT NOT NULL, state TEXT NOT NULL, zip5 TEXT, zip4 TEXT, birth_date DATE,
  birth_year BIGINT, entry_date DATE
);
CREATE INDEX volunteers_person ON volunteers (person_id);

CREATE TABLE contacts (
  id BIGSERIAL PRIMARY KEY,
  rkey TEXT NOT NULL UNIQUE,
  person_id BIGINT,
  load_id BIGINT NOT NULL, first_load_id BIGINT NOT NULL, row_number BIGINT NOT NULL,
  raw TEXT NOT NULL, hash BIGINT NOT NULL,
  source TEXT NOT NULL, source_key TEXT NOT NULL, owner TEXT NOT NULL,
  first_name TEXT NOT NULL, middle_name TEXT NOT NULL, last_name TEXT NOT NULL,
  name_suffix TEXT NOT NULL, first_name_group TEXT NOT NULL, email TEXT, phone TEXT,
  address_line TEXT NOT NULL, house_number TEXT NOT NULL, street TEXT NOT NULL, unit TEXT NOT NULL,
  city TEXT NOT NULL, state TEXT NOT NULL, zip5 TEXT, zip4 TEXT, birth_date DATE,
  birth_year BIGINT, entry_date DATE
);
CREATE INDEX contacts_person ON contacts (person_id);
