-- Migration 13: the election-day journal. Every "has voted" report as received, once per
-- client report id; append-only, the newest report per voter wins. (On SQLite this table
-- lives in a file of its own beside the store.)
CREATE TABLE turnout_reports (
  seq          BIGSERIAL PRIMARY KEY,
  client_id    TEXT NOT NULL UNIQUE,
  voter_id     TEXT NOT NULL,
  status       TEXT NOT NULL,
  source       TEXT NOT NULL,
  county       TEXT NOT NULL,
  precinct     TEXT NOT NULL,
  actor        TEXT NOT NULL,
  observed_at  TEXT NOT NULL,
  received_at  TEXT NOT NULL
);
CREATE INDEX voters_precinct ON voters (county, precinct);
CREATE INDEX voters_voter_id ON voters (voter_id);
