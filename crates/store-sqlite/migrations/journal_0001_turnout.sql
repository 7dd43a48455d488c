-- The election-day journal (a file of its own beside the store, so that a flood of reports
-- and the store's loads never wait for each other's write lock): every "has voted" report
-- as received, once per client report id. Append-only; the newest report per voter wins.
CREATE TABLE turnout_reports (
  seq          INTEGER PRIMARY KEY,
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
