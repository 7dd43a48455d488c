-- Migration 9: field results (canvass, persuasion experiment), models and scores (issue 6).
CREATE TABLE field_results (
  id BIGSERIAL PRIMARY KEY,
  rkey TEXT NOT NULL UNIQUE,
  load_id BIGINT NOT NULL, first_load_id BIGINT NOT NULL, row_number BIGINT NOT NULL,
  raw TEXT NOT NULL, hash BIGINT NOT NULL,
  source TEXT NOT NULL, result_id TEXT NOT NULL, voter_id TEXT NOT NULL, voter_rkey TEXT NOT NULL,
  date DATE, contact_type TEXT NOT NULL, result TEXT NOT NULL, support_id BIGINT,
  experiment_group TEXT NOT NULL, canvasser TEXT NOT NULL
);
CREATE INDEX field_results_voter ON field_results (voter_rkey);

-- One row per training run: what it was trained on, how, and how well it did.
CREATE TABLE models (
  id            BIGSERIAL PRIMARY KEY,
  target        TEXT NOT NULL,
  algorithm     TEXT NOT NULL,
  status        TEXT NOT NULL DEFAULT 'trained',
  seed          BIGINT NOT NULL,
  created_at    TEXT NOT NULL,
  created_by    TEXT NOT NULL,
  params        TEXT NOT NULL,
  data_summary  TEXT NOT NULL,
  metrics       TEXT NOT NULL,
  body          TEXT NOT NULL,
  approved_at   TEXT,
  approved_by   TEXT,
  scored        BIGINT NOT NULL DEFAULT 0,
  scored_at     TEXT
);

-- A score names its model; probabilities in millionths, expected gifts in cents.
CREATE TABLE scores (
  model_id    BIGINT NOT NULL,
  person_id   BIGINT NOT NULL,
  score_ppm   BIGINT NOT NULL,
  value_cents BIGINT,
  PRIMARY KEY (model_id, person_id)
);
CREATE INDEX scores_person ON scores (person_id);
