-- Migration 2: the clerical review queue of identity resolution, and its decisions.
CREATE TABLE review_queue (
  id                BIGSERIAL PRIMARY KEY,
  left_rkey         TEXT NOT NULL,
  right_rkey        TEXT NOT NULL,
  probability       DOUBLE PRECISION NOT NULL,
  weight            DOUBLE PRECISION NOT NULL,
  created_load_id   BIGINT NOT NULL,
  decision          TEXT CHECK (decision IN ('accept', 'reject')),
  decided_by        TEXT,
  decided_at        TEXT,
  UNIQUE (left_rkey, right_rkey)
);
