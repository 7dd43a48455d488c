-- Migration 4: the change feed, and the history of person assignments behind merge events.
CREATE TABLE person_assignments (
  id              BIGSERIAL PRIMARY KEY,
  load_id         BIGINT NOT NULL,
  table_name      TEXT NOT NULL,
  rkey            TEXT NOT NULL,
  person_id       BIGINT NOT NULL,
  prev_person_id  BIGINT
);
CREATE INDEX person_assignments_load ON person_assignments (load_id);

CREATE TABLE changes (
  seq          BIGSERIAL PRIMARY KEY,
  at           TEXT NOT NULL,
  kind         TEXT NOT NULL,
  resource     TEXT NOT NULL,
  resource_id  BIGINT NOT NULL,
  rkey         TEXT NOT NULL DEFAULT '',
  load_id      BIGINT
);
