-- Migration 7: tags on people, and lists of people (OSDI tags/taggings, lists/items).
CREATE TABLE tags (
  id          INTEGER PRIMARY KEY,
  name        TEXT NOT NULL UNIQUE,
  created_at  TEXT NOT NULL,
  created_by  TEXT NOT NULL
);
CREATE TABLE taggings (
  tag_id      INTEGER NOT NULL REFERENCES tags(id),
  person_id   INTEGER NOT NULL,
  created_at  TEXT NOT NULL,
  created_by  TEXT NOT NULL,
  PRIMARY KEY (tag_id, person_id)
);
CREATE INDEX taggings_person ON taggings (person_id);
CREATE TABLE lists (
  id           INTEGER PRIMARY KEY,
  name         TEXT NOT NULL UNIQUE,
  description  TEXT NOT NULL DEFAULT '',
  created_at   TEXT NOT NULL,
  created_by   TEXT NOT NULL
);
CREATE TABLE list_items (
  list_id     INTEGER NOT NULL REFERENCES lists(id),
  person_id   INTEGER NOT NULL,
  added_at    TEXT NOT NULL,
  added_by    TEXT NOT NULL,
  PRIMARY KEY (list_id, person_id)
);
CREATE INDEX list_items_person ON list_items (person_id);
