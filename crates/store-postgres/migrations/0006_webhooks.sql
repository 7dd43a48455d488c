-- Migration 6: webhooks that push the change feed to other tools.
CREATE TABLE webhooks (
  id               BIGSERIAL PRIMARY KEY,
  name             TEXT NOT NULL UNIQUE,
  url              TEXT NOT NULL,
  secret           TEXT NOT NULL,
  resources        TEXT NOT NULL DEFAULT '',
  disabled         BIGINT NOT NULL DEFAULT 0,
  delivered_seq    BIGINT NOT NULL DEFAULT 0,
  failures         BIGINT NOT NULL DEFAULT 0,
  next_attempt_at  TEXT NOT NULL DEFAULT '',
  last_error       TEXT NOT NULL DEFAULT '',
  delivered        BIGINT NOT NULL DEFAULT 0,
  created_at       TEXT NOT NULL,
  created_by       TEXT NOT NULL
);
