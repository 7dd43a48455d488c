-- Migration 11: budgeted allocations (issue 7): the question, the answer per channel, and one
-- row per chosen person with the figures that explain the choice.
CREATE TABLE allocations (
  id          BIGSERIAL PRIMARY KEY,
  name        TEXT NOT NULL,
  created_at  TEXT NOT NULL,
  created_by  TEXT NOT NULL,
  request     TEXT NOT NULL,
  summary     TEXT NOT NULL
);
CREATE TABLE allocation_items (
  allocation_id         BIGINT NOT NULL REFERENCES allocations(id),
  person_id             BIGINT NOT NULL,
  channel               TEXT NOT NULL,
  goal                  TEXT NOT NULL,
  value_nano            BIGINT NOT NULL,
  votes_nano            BIGINT NOT NULL,
  dollars_cents         BIGINT NOT NULL,
  support_ppm           BIGINT,
  turnout_ppm           BIGINT,
  uplift_ppm            BIGINT,
  expected_value_cents  BIGINT,
  goals                 BIGINT NOT NULL,
  allowed               BIGINT NOT NULL,
  PRIMARY KEY (allocation_id, person_id)
);
CREATE INDEX allocation_items_channel ON allocation_items (allocation_id, channel, value_nano);
