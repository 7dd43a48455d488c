-- Migration 4: the change feed, and the history of person assignments behind merge events.
CREATE TABLE person_assignments (
  id              INTEGER PRIMARY KEY,
  load_id         INTEGER NOT NULL,
  table_name      TEXT NOT NULL,
  rkey            TEXT NOT NULL,
  person_id       INTEGER NOT NULL,
  prev_person_id  INTEGER
);
CREATE INDEX person_assignments_load ON person_assignments (load_id);

CREATE TABLE changes (
  seq          INTEGER PRIMARY KEY AUTOINCREMENT,
  at           TEXT NOT NULL,
  kind         TEXT NOT NULL,
  resource     TEXT NOT NULL,
  resource_id  INTEGER NOT NULL,
  rkey         TEXT NOT NULL DEFAULT '',
  load_id      INTEGER
);
