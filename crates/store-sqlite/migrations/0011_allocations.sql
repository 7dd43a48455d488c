-- Migration 11: budgeted allocations (issue 7): the question, the answer per channel, and one
-- row per chosen person with the figures that explain the choice.
CREATE TABLE allocations (
  id          INTEGER PRIMARY KEY,
  name        TEXT NOT NULL,
  created_at  TEXT NOT NULL,
  created_by  TEXT NOT NULL,
  request     TEXT NOT NULL,
  summary     TEXT NOT NULL
);
CREATE TABLE allocation_items (
  allocation_id         INTEGER NOT NULL REFERENCES allocations(id),
  person_id             INTEGER NOT NULL,
  channel               TEXT NOT NULL,
  goal                  TEXT NOT NULL,
  value_nano            INTEGER NOT NULL,
  votes_nano            INTEGER NOT NULL,
  dollars_cents         INTEGER NOT NULL,
  support_ppm           INTEGER,
  turnout_ppm           INTEGER,
  uplift_ppm            INTEGER,
  expected_value_cents  INTEGER,
  goals                 INTEGER NOT NULL,
  allowed               INTEGER NOT NULL,
  PRIMARY KEY (allocation_id, person_id)
) WITHOUT ROWID;
CREATE INDEX allocation_items_channel ON allocation_items (allocation_id, channel, value_nano);
