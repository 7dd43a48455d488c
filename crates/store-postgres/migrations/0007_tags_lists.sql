-- Migration 7: tags on people, and lists of people (OSDI tags/taggings, lists/items).
CREATE TABLE tags (
  id          BIGSERIAL PRIMARY KEY,
  name        TEXT NOT NULL UNIQUE,
  created_at  TEXT NOT NULL,
  created_by  TEXT NOT NULL
);
CREATE TABLE taggings (
  tag_id      BIGINT NOT NULL REFERENCES tags(id),
  person_id   BIGINT NOT NULL,
  created_at  TEXT NOT NULL,
  created_by  TEXT NOT NULL,
  PRIMARY KEY (tag_id, person_id)
);
CREATE INDEX taggings_person ON taggings (person_id);
CREATE TABLE lists (
  id           BIGSERIAL PRIMARY KEY,
  name         TEXT NOT NULL UNIQUE,
  description  TEXT NOT NULL DEFAULT '',
  created_at   TEXT NOT NULL,
  created_by   TEXT NOT NULL
);
CREATE TABLE list_items (
  list_id     BIGINT NOT NULL REFERENCES lists(id),
  person_id   BIGINT NOT NULL,
  added_at    TEXT NOT NULL,
  added_by    TEXT NOT NULL,
  PRIMARY KEY (list_id, person_id)
);
CREATE INDEX list_items_person ON list_items (person_id);
